//! `gloam serve` as a user runs it: the real binary, real sockets, a SQLite
//! file; and the CLI commands that talk to it.

mod support;

use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;
use support::binary::{ROOT, Server};

fn client() -> reqwest::Client {
    reqwest::Client::new()
}

async fn editor(server: &Server, canvas: &str, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
    let url = format!("{}/_gloam/api/canvases/{canvas}{path}", server.address);
    let mut request = client().request(method, url).bearer_auth(server.token(canvas));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("the editor API answers");
    let status = response.status();
    let text = response.text().await.expect("body");
    assert!(status.is_success(), "{status}: {text}");
    serde_json::from_str(&text).expect("JSON")
}

#[tokio::test]
async fn the_loop_over_real_http_and_an_edit_survives_kill_9() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = dir.path().join("gloam.db");
    let mut server = Server::start(&store, &["--load", "examples/hello"]);
    let get = |path: &str| client().get(format!("{}{path}", server.address)).send();

    // Unknown path: 404, in the 404 list.
    let response = get("/hi?name=Ada").await.expect("response");
    assert_eq!(response.status(), 404);
    let first_trace = response.headers()["x-gloam-trace-id"].to_str().expect("id").to_string();
    let listed = editor(&server, "hello", reqwest::Method::GET, "/404s", None).await;
    assert_eq!(listed[0]["key"], "404 GET /hi");

    // Handler from the 404, then code.
    let created =
        editor(&server, "hello", reqwest::Method::POST, "/404s/handler", Some(json!({ "key": "404 GET /hi" }))).await;
    let id = created["toplevel_id"].as_i64().expect("id");
    let code = "handler GET /hi =\n  let name = Dict.get(request.query, \"name\") |> Option.withDefault(\"there\")\n  Http.text(greeting(name, true), 200)";
    let saved =
        editor(&server, "hello", reqwest::Method::PUT, &format!("/toplevels/{id}"), Some(json!({ "source": code })))
            .await;
    assert_eq!(saved["state"], "live");
    // Acknowledged: kill -9 at once, then restart on the same store.
    server.kill_hard();
    let server = Server::start(&store, &[]);
    let response = client().get(format!("{}/hi?name=Ada", server.address)).send().await.expect("response");
    assert_eq!(response.text().await.expect("body"), "Hello, Ada!");

    // Replay the first trace against the new code, with the CLI.
    let replayed = server.gloam("hello", &["replay", &first_trace]);
    let text = String::from_utf8_lossy(&replayed.stdout);
    assert_eq!(replayed.status.code(), Some(3), "changed responses exit 3: {text}");
    assert!(text.contains("recorded: 404"), "{text}");
    assert!(text.contains("+Hello, Ada!"), "{text}");

    // Rollback to the skeleton.
    let versions = editor(&server, "hello", reqwest::Method::GET, &format!("/toplevels/{id}/versions"), None).await;
    let skeleton = versions.as_array().and_then(|v| v.last()).and_then(|v| v["id"].as_i64()).expect("first version");
    let body = json!({ "version": skeleton });
    editor(&server, "hello", reqwest::Method::POST, &format!("/toplevels/{id}/rollback"), Some(body)).await;
    let response = client().get(format!("{}/hi", server.address)).send().await.expect("response");
    assert_eq!(response.status(), 501);

    // `gloam traces` lists them.
    let traces = server.gloam("hello", &["traces", "--key", "GET /hi"]);
    let text = String::from_utf8_lossy(&traces.stdout);
    assert!(text.contains(&first_trace), "{text}");
    assert!(text.contains("3 trace(s)"), "{text}");
}

#[test]
fn push_and_pull_through_the_cli() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start(&dir.path().join("gloam.db"), &["--load", "examples/todo-api", "--canvas", "todos"]);
    let pulled = dir.path().join("pulled");
    let output = server.gloam("todos", &["pull", pulled.to_str().expect("path")]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let original = std::fs::read_to_string(Path::new(ROOT).join("examples/todo-api/todos.gloam")).expect("example");
    let copy = std::fs::read_to_string(pulled.join("todos.gloam")).expect("pulled file");
    assert_eq!(gloam_language::syntax::parse(&copy).module, gloam_language::syntax::parse(&original).module);

    std::fs::write(pulled.join("todos.gloam"), copy.replace("title must not be empty", "a title, please"))
        .expect("edit");
    let output = server.gloam("todos", &["push", pulled.to_str().expect("path")]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("0 created, 1 updated, 0 deleted"), "{text}");

    std::fs::write(pulled.join("broken.gloam"), "fn broken() -> Int = \"no\"\n").expect("write");
    let output = server.gloam("todos", &["push", pulled.to_str().expect("path")]);
    let errors = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2));
    assert!(errors.contains("nothing was stored"), "{errors}");
    assert!(errors.contains("error[type-mismatch]"), "{errors}");

    // Pulling again makes the folder the canvas: the file that was refused goes.
    let output = server.gloam("todos", &["pull", pulled.to_str().expect("path")]);
    assert!(String::from_utf8_lossy(&output.stdout).contains("removed"), "{}", String::from_utf8_lossy(&output.stdout));
    assert!(!pulled.join("broken.gloam").exists());
    assert!(std::fs::read_to_string(pulled.join("todos.gloam")).expect("file").contains("a title, please"));
}

/// Secrets are sealed under the key `gloam serve` made on first start (a
/// file only the server's user can read); another key stops the server at
/// start, saying why.
#[tokio::test]
async fn secrets_are_sealed_under_the_servers_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = dir.path().join("g.db");
    let server = Server::start(&store, &["--load", "examples/hello"]);
    editor(&server, "hello", reqwest::Method::PUT, "/secrets/api-key", Some(json!({ "value": "sk-live-42" }))).await;
    drop(server);
    let key = store.with_extension("key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key).expect("the key file").permissions().mode() & 0o777, 0o600);
    }
    for file in std::fs::read_dir(dir.path()).expect("the store's folder") {
        let bytes = std::fs::read(file.expect("a file").path()).expect("readable");
        assert!(!bytes.windows(10).any(|window| window == b"sk-live-42"), "the value is stored in plain text");
    }
    let output = Command::new(env!("CARGO_BIN_EXE_gloam"))
        .args(["serve", "--store", &format!("sqlite://{}", store.display()), "--listen", "127.0.0.1:0"])
        .env("GLOAM_SECRET_KEY", "ab".repeat(32))
        .output()
        .expect("runs");
    let errors = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{errors}");
    assert!(errors.contains("does not open with this secret key"), "{errors}");
}

#[test]
fn a_broken_canvas_folder_is_refused_at_start() {
    let dir = tempfile::tempdir().expect("temp dir");
    let code = dir.path().join("code");
    std::fs::create_dir(&code).expect("dir");
    std::fs::write(code.join("main.gloam"), "handler GET / =\n  Http.text(1, 200)\n").expect("write");
    let output = Command::new(env!("CARGO_BIN_EXE_gloam"))
        .args([
            "serve",
            "--store",
            &format!("sqlite://{}", dir.path().join("g.db").display()),
            "--listen",
            "127.0.0.1:0",
        ])
        .args(["--load", code.to_str().expect("path")])
        .output()
        .expect("runs");
    let errors = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{errors}");
    assert!(errors.contains("error[type-mismatch]") && errors.contains("nothing was stored"), "{errors}");
}
