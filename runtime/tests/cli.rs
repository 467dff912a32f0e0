//! The `gloam` binary, run as a user would run it.

use std::process::{Command, Output};

fn gloam(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gloam"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .expect("the gloam binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn temp_file(name: &str, contents: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("gloam-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("temp file");
    path
}

#[test]
fn check_reports_a_precise_diagnostic_with_caret() {
    let path = temp_file("broken.gloam", "fn f(x: Int) -> String = x + 1\n");
    let output = gloam(&["check", path.to_str().expect("utf-8 path")]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(text.contains("error[type-mismatch]: type mismatch: expected `String`, found `Int`"), "{text}");
    assert!(text.contains("broken.gloam:1:26"), "{text}");
    assert!(
        text.contains("1 | fn f(x: Int) -> String = x + 1\n  |                          ^^^^^ this is `Int`"),
        "{text}"
    );
}

#[test]
fn check_json_gives_positions() {
    let path = temp_file("unknown.gloam", "fn main() =\n  String.lenght(\"a\")\n");
    let output = gloam(&["check", "--json", path.to_str().expect("utf-8 path")]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    for expected in [
        "\"code\": \"unknown-function\"",
        "\"errors\": 1",
        "\"line\": 2",
        "\"column\": 3",
        "help: did you mean `String.length`?",
    ] {
        assert!(text.contains(expected), "missing {expected} in {text}");
    }
}

#[test]
fn check_accepts_the_examples() {
    for example in ["examples/hello", "examples/todo-api", "examples/webhook-relay"] {
        let output = gloam(&["check", example]);
        assert!(output.status.success(), "{example}: {}", stdout(&output));
        assert!(stdout(&output).contains(": ok ("), "{}", stdout(&output));
    }
}

#[test]
fn run_executes_a_request_script_with_state_between_requests() {
    let output = gloam(&["run", "examples/todo-api", "--script", "examples/todo-api/requests.txt"]);
    let text = stdout(&output);
    assert!(output.status.success(), "{text}");
    assert!(text.contains("< 201"), "{text}");
    assert!(text.contains("{\"id\":\"1\",\"title\":\"write the spec\",\"done\":true}"), "{text}");
    assert!(text.contains("< 422"), "{text}");
    assert!(text.contains("< 400\n< content-type: text/plain; charset=utf-8\nat $: missing field `title`"), "{text}");
    assert!(text.contains("< 404"), "{text}");
}

#[test]
fn missing_file_is_a_clear_error() {
    let output = gloam(&["check", "does/not/exist.gloam"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot read does/not/exist.gloam"));
}

#[test]
fn check_of_a_folder_points_into_the_right_file() {
    let dir = std::env::temp_dir().join(format!("gloam-cli-folder-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(dir.join("a_types.gloam"), "type Todo = { id: String, done: Bool }\n").expect("write");
    std::fs::write(dir.join("b_handlers.gloam"), "// handlers\n\nfn f(t: Todo) -> Int = t.done\n").expect("write");
    let output = gloam(&["check", dir.to_str().expect("utf-8 path")]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(text.contains("b_handlers.gloam:3:24"), "{text}");
    assert!(text.contains("3 | fn f(t: Todo) -> Int = t.done"), "{text}");
    let json = stdout(&gloam(&["check", "--json", dir.to_str().expect("utf-8 path")]));
    assert!(json.contains("b_handlers.gloam\"") && json.contains("\"line\": 3"), "{json}");
}

#[test]
fn run_decodes_and_answers_as_the_server_does() {
    let path = temp_file(
        "server_parity.gloam",
        r#"handler GET /echo/:text = Http.text("${request.params.text}|${Option.withDefault(Dict.get(request.query, "q"), "")}", 200)
handler GET /bad = Http.withHeader(Http.text("hi", 200), "x-note", "a\nb")
handler GET /fn = Http.json(Json.encode([1, 2]), 200)
handler GET /none = Http.empty(204)
"#,
    );
    let path = path.to_str().expect("utf-8 path");
    let output = gloam(&["run", path, "-r", "GET /echo/a%2Fb?q=x+y%26z", "-r", "GET /none", "-r", "GET /bad"]);
    let text = stdout(&output);
    // Percent-decoded after routing, the query decoded: as the server does.
    assert!(text.contains("< 200\n< content-type: text/plain; charset=utf-8\na/b|x y&z\n"), "{text}");
    // No content type the handler did not give.
    assert!(text.contains("> GET /none\n< 204\n\n"), "{text}");
    // A header HTTP cannot carry is a 500 with its place, as on the server.
    assert!(text.contains("< 500 Http.Response: the header `x-note: a\\nb` cannot be sent"), "{text}");
    assert!(text.contains("(in GET /bad, line 1, column 20)"), "{text}");
    assert_eq!(output.status.code(), Some(1), "{text}");
}

#[test]
fn run_without_requests_prints_main() {
    let path = temp_file("main.gloam", "fn main() = [1 + 2, 10 / 3]\n");
    let output = gloam(&["run", path.to_str().expect("utf-8 path")]);
    assert_eq!((output.status.code(), stdout(&output).as_str()), (Some(0), "[3, 3]\n"));
    let failing = temp_file("failing.gloam", "fn main() =\n  let zero = 0\n  7 / zero\n");
    let output = gloam(&["run", failing.to_str().expect("utf-8 path")]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stdout(&output), "error: division by zero in `7 / 0` (in main, line 3, column 3)\n");
    let neither = temp_file("neither.gloam", "fn f() = 1\n");
    let output = gloam(&["run", neither.to_str().expect("utf-8 path")]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no requests and no `fn main()`"));
}
