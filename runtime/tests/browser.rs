//! The canvas in real Chromium, driven through chromedriver (WebDriver): the
//! trace-driven loop as a new user does it, from the address `gloam serve`
//! prints. Screenshots of the key screens go to
//! `target/tmp/screenshots/`, and to `docs/screenshots/` with `UPDATE_EXPECT=1`
//! (`cargo xtask test --update`).
//!
//! Needs `chromium` and `chromedriver` (Debian's `chromium` and
//! `chromium-driver`, which `cargo xtask test` installs). Without them the
//! test says it was skipped, except under CI, where it fails.

mod support;

use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::binary::{ROOT, Server};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How long anything may take to show up: generous, for a loaded CI machine.
const PATIENCE: Duration = Duration::from_secs(20);

/// chromedriver, killed on drop.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.wait();
    }
}

impl Driver {
    /// Starts chromedriver, or says why the browser tests cannot run.
    async fn start() -> Option<Driver> {
        let missing: Vec<&str> =
            [CHROMIUM, CHROMEDRIVER].into_iter().filter(|path| !Path::new(path).exists()).collect();
        if !missing.is_empty() {
            let message = format!(
                "browser test skipped: {} not installed (apt-get install chromium chromium-driver; \
                 `cargo xtask test` does it)",
                missing.join(" and ")
            );
            assert!(std::env::var_os("CI").is_none(), "{message}");
            eprintln!("{message}");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("addr").port();
        // Its own process group: Chromium is its child, and all of it goes when the test ends, passed or not.
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("chromedriver starts");
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < PATIENCE, "chromedriver did not start listening");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Some(Driver { child, url })
    }

    /// A headless Chromium at 1280×800 with a fresh profile and no
    /// background traffic (this machine has no outside network).
    async fn browser(&self, profile: &Path) -> Client {
        let arguments = [
            "--headless=new".to_string(),
            "--no-sandbox".to_string(),
            "--disable-gpu".to_string(),
            "--disable-dev-shm-usage".to_string(),
            "--disable-background-networking".to_string(),
            "--disable-component-update".to_string(),
            "--disable-sync".to_string(),
            "--disable-quic".to_string(),
            "--no-first-run".to_string(),
            "--window-size=1280,800".to_string(),
            "--force-device-scale-factor=1".to_string(),
            format!("--user-data-dir={}", profile.display()),
        ];
        let capabilities = serde_json::json!({
            "goog:chromeOptions": { "binary": CHROMIUM, "args": arguments }
        });
        let serde_json::Value::Object(capabilities) = capabilities else { unreachable!("an object") };
        let browser = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .expect("a Chromium session");
        // The page itself gets 1280×800: the window is that plus its frame.
        let frame = browser.execute("return window.outerHeight - window.innerHeight", vec![]).await;
        let frame = frame.ok().and_then(|height| height.as_u64()).unwrap_or(0) as u32;
        browser.set_window_size(1280, 800 + frame).await.expect("the window is resized");
        browser
    }
}

/// Polls until `ready` gives a value, or fails saying what never happened,
/// with a screenshot (`failure.png`) and the page's text.
async fn eventually<T, F>(browser: &Client, what: &str, mut ready: impl FnMut() -> F) -> T
where
    F: std::future::Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(value) = ready().await {
            return value;
        }
        if started.elapsed() > PATIENCE {
            screenshot(browser, "failure").await;
            let page = browser.find(Locator::Css("body")).await.ok();
            let text = match page {
                Some(body) => body.text().await.unwrap_or_default(),
                None => String::new(),
            };
            panic!("waited {PATIENCE:?} for {what}; the page says:\n{text}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn find(browser: &Client, css: &str) -> Element {
    eventually(browser, &format!("an element `{css}`"), || async { browser.find(Locator::Css(css)).await.ok() }).await
}

/// Waits until the element's text passes `test`; returns the text.
async fn text_where(browser: &Client, css: &str, what: &str, test: impl Fn(&str) -> bool) -> String {
    eventually(browser, &format!("`{css}` to {what}"), || async {
        let text = browser.find(Locator::Css(css)).await.ok()?.text().await.ok()?;
        test(&text).then_some(text)
    })
    .await
}

/// Waits until the element's text contains `wanted`; returns the text.
async fn text_containing(browser: &Client, css: &str, wanted: &str) -> String {
    text_where(browser, css, &format!("contain {wanted:?}"), |text| text.contains(wanted)).await
}

/// Waits until the element's whole text is `wanted`.
async fn exact_text(browser: &Client, css: &str, wanted: &str) {
    text_where(browser, css, &format!("say {wanted:?}"), |text| text.trim() == wanted).await;
}

async fn click(browser: &Client, css: &str) {
    find(browser, css).await.click().await.unwrap_or_else(|error| panic!("cannot click `{css}`: {error}"));
}

/// Saves a screenshot as a test artifact, and into the docs when asked to.
async fn screenshot(browser: &Client, name: &str) {
    let png = browser.screenshot().await.expect("a screenshot");
    let mut folders = vec![PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots")];
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        folders.push(Path::new(ROOT).join("docs/screenshots"));
    }
    for folder in folders {
        std::fs::create_dir_all(&folder).expect("a screenshot folder");
        std::fs::write(folder.join(format!("{name}.png")), &png).expect("the screenshot is written");
    }
}

async fn get(server: &Server, path: &str) -> (u16, String, String) {
    let response = reqwest::get(format!("{}/@main{path}", server.address)).await.expect("a response");
    let status = response.status().as_u16();
    let trace = response.headers()["x-gloam-trace-id"].to_str().expect("a trace id").to_string();
    (status, trace, response.text().await.expect("a body"))
}

const HANDLER: &str = "handler GET /greet =
  let given = Dict.get(request.query, \"name\")
  let name = Option.withDefault(given, \"you\")
  let chars = String.toChars(name)
  let upper = List.map(chars, \\c -> Char.toUpper(c))
  Log.info(\"greeted ${name}\")
  Http.text(\"Hello, ${name}!\", 200)";

/// Replaces the editor's text as one edit (an `input` event, like a paste)
/// and answers how many milliseconds passed until `wanted` showed beside
/// the code: the pause the canvas waits for, the analysis and the drawing.
const TIME_TO_LIVE_VALUE: &str = "
  const [text, wanted, done] = arguments;
  const area = document.querySelector('textarea#code');
  area.value = text;
  area.dispatchEvent(new Event('input', { bubbles: true }));
  const typed = performance.now();
  const check = () => document.querySelector('.values').textContent.includes(wanted)
    ? done(performance.now() - typed) : requestAnimationFrame(check);
  check();";

#[tokio::test]
async fn the_trace_driven_loop_in_the_browser() {
    let Some(driver) = Driver::start().await else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start(&dir.path().join("gloam.db"), &[]);
    let browser = driver.browser(&dir.path().join("chromium")).await;

    // The address `gloam serve` printed opens the canvas, token and all.
    browser.goto(server.canvas_url("main")).await.expect("the canvas opens");
    find(&browser, ".connection.online").await;
    // The theme follows the system's (light, headless) until chosen; the screenshots start dark.
    if browser.find(Locator::Css("html[data-theme='light']")).await.is_ok() {
        click(&browser, "#theme").await;
    }
    find(&browser, "html[data-theme='dark']").await;
    text_containing(&browser, ".welcome", "Send traffic first").await;

    // A request nobody handles shows up in the 404 list by itself.
    let (status, not_found_trace, _) = get(&server, "/greet?name=Ada").await;
    assert_eq!(status, 404);
    let entry = ".not-found .entry[data-key='404 GET /greet']";
    text_containing(&browser, entry, "1").await;
    click(&browser, entry).await;
    find(&browser, &format!(".dot.selected[data-trace='{not_found_trace}']")).await;
    text_containing(&browser, "#trace .request-line", "GET /greet").await;
    screenshot(&browser, "1-404-list").await;

    // One click makes a handler of it, with the 404's request as its trace.
    click(&browser, "#create-handler").await;
    let code = find(&browser, "textarea#code").await;
    eventually(&browser, "the skeleton in the editor", || async {
        code.prop("value").await.ok().flatten().filter(|value| value.starts_with("handler GET /greet"))
    })
    .await;
    find(&browser, &format!(".dot.selected[data-trace='{not_found_trace}']")).await;

    // Typing shows live values for that request: beside each `let`, under the cursor, and the answer.
    code.click().await.expect("the editor takes focus");
    code.send_keys(&format!("{}a{}", char::from(Key::Control), char::from(Key::Null))).await.expect("select all");
    code.send_keys(HANDLER).await.expect("typing");
    text_containing(&browser, ".values", "name = \"Ada\"").await;
    text_containing(&browser, "#draft-response .body", "Hello, Ada!").await;
    text_containing(&browser, "#code-state", "unsaved").await;
    // Inside the List.map's lambda: each iteration's value can be chosen.
    let lambda_body = HANDLER.find("toUpper(c)").expect("in the code") + "toUpper(".len();
    browser
        .execute(
            "const area = document.querySelector('textarea#code'); area.focus(); \
             area.setSelectionRange(arguments[0], arguments[0]); area.dispatchEvent(new Event('click'));",
            vec![lambda_body.into()],
        )
        .await
        .expect("the cursor moves");
    text_containing(&browser, "#value-under-cursor", "run 1 of 3").await;
    text_containing(&browser, "#value-under-cursor .live-value", "'A'").await;
    click(&browser, ".iterations button:last-of-type").await;
    text_containing(&browser, "#value-under-cursor", "run 2 of 3").await;
    text_containing(&browser, "#value-under-cursor .live-value", "'d'").await;
    screenshot(&browser, "2-live-values").await;

    // How soon live values follow an edit (printed, not asserted: speed is for benchmarks).
    let mut delays = Vec::new();
    for round in 0..10 {
        let edited =
            HANDLER.replace("  Log.info", &format!("  let shout = String.toUpper(name) ++ \"{round}\"\n  Log.info"));
        let wanted = format!("shout = \"ADA{round}\"");
        let delay = browser.execute_async(TIME_TO_LIVE_VALUE, vec![edited.into(), wanted.into()]).await;
        delays.push(delay.expect("the value shows").as_f64().expect("milliseconds"));
    }
    delays.sort_by(f64::total_cmp);
    eprintln!(
        "live values shown after an edit: median {:.0} ms, slowest {:.0} ms (10 edits, 30 ms of them the pause): {delays:.0?}",
        delays[delays.len() / 2],
        delays[delays.len() - 1]
    );

    // Ctrl+S: live at once, no deploy.
    code.send_keys(&format!("{}s{}", char::from(Key::Control), char::from(Key::Null))).await.expect("save");
    exact_text(&browser, "#code-state", "live").await;
    let (status, new_trace, body) = get(&server, "/greet?name=Grace").await;
    assert_eq!((status, body.as_str()), (200, "Hello, Grace!"));

    // The new request arrives as a dot; selecting it shows what was asked and answered.
    click(&browser, &format!(".dot[data-trace='{new_trace}']")).await;
    find(&browser, &format!(".dot.selected[data-trace='{new_trace}']")).await;
    text_containing(&browser, "#trace", "Grace").await;
    text_containing(&browser, "#recorded-response .body", "Hello, Grace!").await;
    text_containing(&browser, ".values", "name = \"Grace\"").await;
    click(&browser, "#replay").await;
    text_containing(&browser, "#replay-result", "Same response as recorded").await;

    // The first request, recorded as a 404, replayed against the new code.
    click(&browser, &format!(".dot[data-trace='{not_found_trace}']")).await;
    find(&browser, &format!(".dot.selected[data-trace='{not_found_trace}']")).await;
    text_containing(&browser, "#recorded-response .status", "404").await;
    code.send_keys(&format!("{}{}{}", char::from(Key::Control), char::from(Key::Enter), char::from(Key::Null)))
        .await
        .expect("replay shortcut");
    text_containing(&browser, "#replay-result", "The response changed").await;
    text_containing(&browser, "#replay-result .status-change", "404 → 200").await;
    text_containing(&browser, "#body-diff .added", "+Hello, Ada!").await;
    screenshot(&browser, "3-replay").await;

    // The light theme.
    click(&browser, "#theme").await;
    click(&browser, "#tab-trace").await;
    find(&browser, "html[data-theme='light']").await;
    screenshot(&browser, "4-light-theme").await;

    // Logs of every request, newest first.
    click(&browser, ".entry[data-key='logs']").await;
    text_containing(&browser, "#log-view", "greeted Grace").await;
    click(&browser, ".sidebar .entry[data-key='GET /greet']").await;

    // History: the skeleton and the saved code; rolling back puts the skeleton live again.
    click(&browser, "#tab-history").await;
    let versions = eventually(&browser, "two versions", || async {
        let versions = browser.find_all(Locator::Css("#history li button")).await.ok()?;
        (versions.len() == 2).then_some(versions)
    })
    .await;
    versions[1].click().await.expect("the oldest version opens");
    click(&browser, ".version button").await;
    text_containing(&browser, ".notice", "Rolled back").await;
    let (status, _, _) = get(&server, "/greet?name=Ada").await;
    assert_eq!(status, 501, "the skeleton serves again");

    // A new toplevel is checked as it is typed, before it exists: the mistake is underlined and said.
    click(&browser, "#new-toplevel").await;
    let code = find(&browser, "textarea#code").await;
    code.click().await.expect("the editor takes focus");
    code.send_keys(&format!("{}a{}", char::from(Key::Control), char::from(Key::Null))).await.expect("select all");
    code.send_keys("fn twice(n: Int) -> Int = n + \"x\"").await.expect("typing");
    text_containing(&browser, "#diagnostics", "type mismatch").await;
    text_containing(&browser, ".highlight .marked", "\"x\"").await;
    code.send_keys(&format!(
        "{}{}{}2",
        char::from(Key::Backspace),
        char::from(Key::Backspace),
        char::from(Key::Backspace)
    ))
    .await
    .expect("fixing");
    code.send_keys(&format!("{}s{}", char::from(Key::Control), char::from(Key::Null))).await.expect("save");
    find(&browser, ".sidebar .entry.selected[data-key='twice']").await;
    exact_text(&browser, "#code-state", "live").await;

    browser.close().await.expect("the browser closes");
}
