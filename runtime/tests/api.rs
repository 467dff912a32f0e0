//! The server in-process: user traffic, traces, the editor API.

mod support;

on_both_stores!(
    the_trace_driven_loop,
    replay_takes_effects_from_the_trace,
    traces_record_effects_and_never_secrets,
    runaway_handlers_fail_alone,
    oversized_bodies_get_413_and_a_trace,
    the_editor_api_needs_the_canvas_token,
    malformed_code_and_requests_get_precise_errors,
    live_values_of_a_draft_on_a_trace,
    push_and_pull_round_trip_all_or_nothing,
    trace_ergonomics,
    retention_keeps_the_newest_traces,
    canvases_are_chosen_by_host_or_path_prefix,
    editors_are_told_of_new_traces,
    metrics_count_requests_and_traces,
    workers_run_on_emitted_events,
    outbound_http_is_recorded_and_replayed,
    replay_against_an_older_code_version,
    saves_swap_atomically_under_load,
    bodies_that_are_not_text_are_refused,
    crons_run_when_due,
    nodes_on_one_store_share_code_and_cron_runs,
    traces_are_redacted_before_they_are_stored,
    secret_values_never_leave_the_run,
    a_change_made_on_stale_code_is_checked_again,
    secrets_cannot_be_sent_to_workers,
);

use axum::http::StatusCode;
use gloam_runtime::app::Config;
use serde_json::json;
use support::{TestServer, assert_status};

const TODOS: &str = r#"
type Todo = { id: String, title: String, done: Bool }

db todos: Todo

fn label(t: Todo) -> String =
  if t.done then "[x] ${t.title}" else "[ ] ${t.title}"

handler POST /todos/:id =
  let todo = Todo { id: request.params.id, title: request.body, done: false }
  DB.set(todos, todo.id, todo)
  Http.json(todo, 201)

handler GET /todos/:id =
  match DB.get(todos, request.params.id) with
  | Some(t) -> Http.text(label(t), 200)
  | None -> Http.text("no todo ${request.params.id}", 404)

handler GET /secret =
  match Secrets.get("api-key") with
  | Some(key) -> Http.text(if Secret.matches(key, "s3cr3t-value") then "the key matches" else "another key", 200)
  | None -> Http.text("no key", 500)

handler GET /loop =
  List.range(0, 1000000) |> List.map(\n -> n * 2) |> List.length |> Int.toString
"#;

async fn the_trace_driven_loop(url: String) {
    let server = TestServer::new(&url, TODOS).await;
    // A request to an unknown path is a 404 and lands in the 404 list.
    let reply = server.user("GET", "/hello?name=Ada", "").await;
    assert_status(&reply, StatusCode::NOT_FOUND);
    assert!(reply.body.contains("no handler for GET /hello"), "{}", reply.body);
    let first_trace = reply.header("x-gloam-trace-id").expect("trace id").to_string();
    server.flush().await;
    let listed = server.editor("GET", "/404s", None).await.json();
    assert_eq!(listed[0]["key"], "404 GET /hello");
    assert_eq!(listed[0]["count"], 1);

    // One call makes a handler from it; the 404's traces become the handler's.
    let created = server.editor("POST", "/404s/handler", Some(json!({ "key": "404 GET /hello" }))).await;
    assert_status(&created, StatusCode::OK);
    let created = created.json();
    assert_eq!(created["state"], "live");
    let id = created["toplevel_id"].as_i64().expect("id");
    assert_eq!(server.editor("GET", "/404s", None).await.json(), json!([]));
    let traces = server.editor("GET", "/traces?key=GET%20/hello", None).await.json();
    assert_eq!(traces[0]["id"], first_trace.as_str());
    assert_eq!(server.user("GET", "/hello", "").await.status, 501);

    // Editing puts the code live at once.
    let saved = server
        .save(id, "handler GET /hello =\n  let name = Dict.get(request.query, \"name\") |> Option.withDefault(\"you\")\n  Http.text(\"Hello, ${name}\", 200)")
        .await;
    assert_eq!(saved["state"], "live");
    let reply = server.user("GET", "/hello?name=Grace", "").await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "Hello, Grace"));

    // Replaying the first trace shows how the response changed.
    let replay = server.editor("POST", &format!("/traces/{first_trace}/replay"), None).await.json();
    assert_eq!(replay["recorded"]["status"], 404);
    assert_eq!(replay["replayed"]["status"], 200);
    assert_eq!(replay["replayed"]["body"], "Hello, Ada");
    assert_eq!(replay["diff"]["status"], json!([404, 200]));
    assert!(replay["diff"]["body"].as_str().expect("diff").contains("+Hello, Ada"), "{replay}");
    assert_eq!(replay["same"], false);

    // Broken code is kept as a draft; the live version keeps serving.
    let draft = server.save(id, "handler GET /hello =\n  Http.text(1, 200)").await;
    assert_eq!(draft["state"], "draft");
    let diagnostic = &draft["diagnostics"][0];
    assert_eq!(diagnostic["code"], "type-mismatch");
    assert_eq!(diagnostic["toplevel_id"], id);
    assert_eq!((diagnostic["start"]["line"].as_i64(), diagnostic["start"]["column"].as_i64()), (Some(2), Some(13)));
    assert_eq!(server.user("GET", "/hello?name=Grace", "").await.body, "Hello, Grace");

    // History and rollback to the skeleton.
    let versions = server.editor("GET", &format!("/toplevels/{id}/versions"), None).await.json();
    let states: Vec<&str> =
        versions.as_array().expect("list").iter().map(|v| v["state"].as_str().unwrap_or("")).collect();
    assert_eq!(states, ["draft", "live", "live"]);
    let skeleton = versions[2]["id"].as_i64().expect("version id");
    let rolled =
        server.editor("POST", &format!("/toplevels/{id}/rollback"), Some(json!({ "version": skeleton }))).await;
    assert_eq!(rolled.json()["state"], "live");
    assert_eq!(server.user("GET", "/hello", "").await.status, 501);
}

async fn replay_takes_effects_from_the_trace(url: String) {
    let server = TestServer::new(&url, TODOS).await;
    assert_eq!(server.user("POST", "/todos/1", "write tests").await.status, 201);
    let read = server.user("GET", "/todos/1", "").await;
    assert_eq!(read.body, "[ ] write tests");
    let trace = read.header("x-gloam-trace-id").expect("id").to_string();
    // The datastore changes; a replay still sees what the request saw.
    assert_eq!(server.user("POST", "/todos/1", "something else").await.status, 201);
    let replay = server.editor("POST", &format!("/traces/{trace}/replay"), None).await.json();
    assert_eq!(replay["same"], true, "{replay}");
    assert_eq!(replay["effects"][0]["function"], "DB.get");
    // Run live, it sees today's datastore.
    let live = server.editor("POST", &format!("/traces/{trace}/replay"), Some(json!({ "live_effects": true }))).await;
    assert_eq!(live.json()["replayed"]["body"], "[ ] something else");
    // Code that calls an effect the trace lacks gets an explicit "not recorded".
    let id = server.toplevel("GET /todos/:id").await;
    server.save(id, "handler GET /todos/:id =\n  let now = Time.now()\n  Http.text(Int.toString(now), 200)").await;
    let replay = server.editor("POST", &format!("/traces/{trace}/replay"), None).await.json();
    let failure = replay["failure"].as_str().expect("a failure");
    assert!(failure.contains("Time.now was not recorded in this trace"), "{failure}");
    assert!(failure.contains("line 2"), "{failure}");
}

async fn traces_record_effects_and_never_secrets(url: String) {
    let server = TestServer::new(&url, TODOS).await;
    let set = server.editor("PUT", "/secrets/api-key", Some(json!({ "value": "s3cr3t-value" }))).await;
    assert_status(&set, StatusCode::OK);
    let reply = server.user("GET", "/secret", "").await;
    assert_eq!(reply.body, "the key matches");
    let id = reply.header("x-gloam-trace-id").expect("id").to_string();
    server.flush().await;
    let trace = server.editor("GET", &format!("/traces/{id}"), None).await;
    assert!(!trace.body.contains("s3cr3t"), "{}", trace.body);
    let trace = trace.json();
    assert_eq!(trace["effects"][0]["function"], "Secrets.get");
    assert_eq!(trace["effects"][0]["result"]["Ok"]["Variant"]["payload"][0], json!({ "Secret": "<secret>" }));
    assert_eq!(server.editor("GET", "/secrets", None).await.json(), json!(["api-key"]));
    // Replay reads the secret again rather than from the trace.
    let replay = server.editor("POST", &format!("/traces/{id}/replay"), None).await.json();
    assert_eq!(replay["same"], true, "{replay}");
    // The editor set it, then a replay read it: both are in the audit log,
    // newest first; user traffic reading it is not.
    assert_eq!(server.editor("DELETE", "/secrets/api-key", None).await.status, 200);
    let audit = server.editor("GET", "/audit", None).await.json();
    let rows: Vec<(&str, &str)> = audit
        .as_array()
        .expect("a list")
        .iter()
        .map(|row| (row["name"].as_str().expect("name"), row["action"].as_str().expect("action")))
        .collect();
    assert_eq!(rows, [("api-key", "delete"), ("api-key", "read"), ("api-key", "set")], "{audit}");
}

async fn runaway_handlers_fail_alone(url: String) {
    let config =
        Config { limits: gloam_interpreter::Limits { max_steps: 200_000, ..Default::default() }, ..Config::default() };
    let server = TestServer::open(&url, TODOS, config).await;
    let (runaway, other) = tokio::join!(server.user("GET", "/loop", ""), server.user("POST", "/todos/2", "still here"));
    assert_status(&runaway, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(runaway.body.contains("step budget of 200000 steps exhausted"), "{}", runaway.body);
    assert_eq!(other.status, 201);
    let trace = server.newest_trace("GET /loop").await;
    assert!(trace["error"].as_str().expect("error").contains("step budget"), "{trace}");
    assert_eq!(server.user("GET", "/todos/2", "").await.body, "[ ] still here");
}

async fn oversized_bodies_get_413_and_a_trace(url: String) {
    let config = Config { max_body_bytes: 1024, ..Config::default() };
    let server = TestServer::open(&url, TODOS, config).await;
    let reply = server.user("POST", "/todos/3", &"x".repeat(4096)).await;
    assert_status(&reply, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(reply.body.contains("larger than the limit of 1024 bytes"), "{}", reply.body);
    let trace = server.newest_trace("POST /todos/:id").await;
    assert_eq!(trace["status"], 413);
    assert_eq!(server.user("POST", "/todos/3", "small").await.status, 201);
}

async fn the_editor_api_needs_the_canvas_token(url: String) {
    let server = TestServer::new(&url, TODOS).await;
    let reply = server.editor_as("wrong", "GET", "/toplevels", None).await;
    assert_status(&reply, StatusCode::UNAUTHORIZED);
    assert!(reply.json()["message"].as_str().expect("message").contains("API token"));
    let mut other = TestServer { canvas: "nowhere".into(), token: server.token.clone(), ..server };
    // An unknown canvas answers like a wrong token: names cannot be found out by asking.
    assert_status(&other.editor("GET", "/toplevels", None).await, StatusCode::UNAUTHORIZED);
    other.canvas = "demo".into();
    let server = other;
    // User traffic needs no token.
    assert_eq!(server.user("GET", "/todos/9", "").await.status, 404);
}

async fn malformed_code_and_requests_get_precise_errors(url: String) {
    let server = TestServer::new(&url, TODOS).await;
    let id = server.toplevel("label").await;
    // Two declarations in one toplevel.
    let reply = server
        .editor("PUT", &format!("/toplevels/{id}"), Some(json!({ "source": "fn a() -> Int = 1\nfn b() -> Int = 2" })))
        .await;
    assert_status(&reply, StatusCode::BAD_REQUEST);
    assert!(reply.body.contains("one declaration"), "{}", reply.body);
    // A syntax error is a draft with a span.
    let draft = server.save(id, "fn label(t: Todo) -> String =\n  if t.done then").await;
    assert_eq!(draft["state"], "draft");
    assert!(draft["diagnostics"][0]["rendered"].as_str().expect("text").contains("label:2"), "{draft}");
    // A change that breaks another toplevel names it.
    let draft = server.save(id, "fn label(t: Todo) -> Int = 1").await;
    assert_eq!(draft["state"], "draft");
    let broken = server.toplevel("GET /todos/:id").await;
    assert!(draft["diagnostics"].as_array().expect("list").iter().any(|d| d["toplevel_id"] == broken), "{draft}");
    // The listing shows the draft with its diagnostics, the live version serving.
    let listed = server.editor("GET", "/toplevels", None).await.json();
    let label = listed.as_array().expect("list").iter().find(|t| t["id"] == id).expect("label").clone();
    assert_eq!(label["draft"]["source"], "fn label(t: Todo) -> Int = 1");
    assert!(label["live"]["source"].as_str().expect("live").contains("[x]"));
    // Unknown toplevel, unknown trace, bad JSON.
    assert_status(
        &server.editor("PUT", "/toplevels/999", Some(json!({ "source": "fn x() -> Int = 1" }))).await,
        StatusCode::NOT_FOUND,
    );
    assert_status(&server.editor("GET", "/traces/nope", None).await, StatusCode::NOT_FOUND);
    let wrong_field = server.editor("PUT", &format!("/toplevels/{id}"), Some(json!({ "src": "x" }))).await;
    assert_status(&wrong_field, StatusCode::BAD_REQUEST);
    assert_eq!(wrong_field.json()["error"], "bad_request");
    assert!(
        wrong_field.json()["message"].as_str().expect("message").contains("unknown field `src`"),
        "{}",
        wrong_field.body
    );
    let not_a_number = server.editor("GET", "/toplevels/abc/versions", None).await;
    assert_status(&not_a_number, StatusCode::BAD_REQUEST);
    assert_eq!(not_a_number.json()["error"], "bad_request");
    // Deleting what others need is refused.
    let type_id = server.toplevel("Todo").await;
    let refused = server.editor("DELETE", &format!("/toplevels/{type_id}"), None).await;
    assert_status(&refused, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.json()["diagnostics"].as_array().is_some_and(|d| !d.is_empty()));
    // A toplevel that never went live can be deleted.
    let created = server.editor("POST", "/toplevels", Some(json!({ "source": "fn half() -> Int =" }))).await.json();
    assert_eq!(created["state"], "draft");
    let draft_id = created["toplevel_id"].as_i64().expect("id");
    assert_status(&server.editor("DELETE", &format!("/toplevels/{draft_id}"), None).await, StatusCode::OK);
    let listed = server.editor("GET", "/toplevels", None).await.json();
    assert!(listed.as_array().expect("list").iter().all(|t| t["id"] != draft_id), "{listed}");
    // A response HTTP cannot carry is the handler's failure, said clearly.
    let created = server
        .editor("POST", "/toplevels", Some(json!({ "source": "handler GET /bad =\n  Http.text(\"x\", 200) |> Http.withHeader(\"bad name\", \"v\")" })))
        .await;
    assert_eq!(created.json()["state"], "live");
    let bad = server.user("GET", "/bad", "").await;
    assert_status(&bad, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(bad.body.contains("the header `bad name: v` cannot be sent"), "{}", bad.body);
    assert!(bad.body.contains("(in GET /bad, line 2, column 3)"), "{}", bad.body);
}

async fn live_values_of_a_draft_on_a_trace(url: String) {
    let server = TestServer::new(&url, TODOS).await;
    server.user("POST", "/todos/7", "seven").await;
    let trace = server.user("GET", "/todos/7", "").await.header("x-gloam-trace-id").expect("id").to_string();
    server.flush().await;
    let id = server.toplevel("GET /todos/:id").await;
    let draft = "handler GET /todos/:id =\n  let found = DB.get(todos, request.params.id)\n  let n = String.length(request.params.id) * 10\n  Http.text(\"${Int.toString(n)}\", 200)";
    let values = server
        .editor("POST", "/live-values", Some(json!({ "trace_id": trace, "toplevel_id": id, "source": draft })))
        .await
        .json();
    assert_eq!(values["response"]["body"], "10", "{values}");
    let value_at = |text: &str| {
        let start = draft.find(text).expect("in the draft") as u64;
        let end = start + text.len() as u64;
        values["expressions"]
            .as_array()
            .expect("list")
            .iter()
            .find(|e| e["start"] == start && e["end"] == end)
            .map(|e| e["values"][0].clone())
    };
    assert_eq!(
        value_at("DB.get(todos, request.params.id)"),
        Some(json!("Some(Todo { id: \"7\", title: \"seven\", done: false })"))
    );
    assert_eq!(value_at("String.length(request.params.id) * 10"), Some(json!("10")));
    // Broken code still shows what runs before the break, and its diagnostics.
    let broken = "handler GET /todos/:id =\n  let n = String.length(request.params.id)\n  n +";
    let values = server
        .editor("POST", "/live-values", Some(json!({ "trace_id": trace, "toplevel_id": id, "source": broken })))
        .await
        .json();
    assert!(!values["diagnostics"].as_array().expect("list").is_empty(), "{values}");
    assert!(values["expressions"].as_array().expect("list").iter().any(|e| e["values"][0] == "1"), "{values}");
    // Without a trace nothing runs, but the diagnostics come back (the editor's check as you type).
    let checked =
        server.editor("POST", "/live-values", Some(json!({ "toplevel_id": id, "source": broken }))).await.json();
    assert_eq!(checked["diagnostics"], values["diagnostics"], "{checked}");
    assert_eq!((checked["expressions"].as_array().map(Vec::len), &checked["failure"]), (Some(0), &json!(null)));
    // A toplevel not created yet is checked too; its diagnostics are under toplevel 0.
    let new = server
        .editor("POST", "/live-values", Some(json!({ "source": "fn twice(n: Int) -> Int = n + \"x\"" })))
        .await
        .json();
    assert_eq!(new["diagnostics"][0]["toplevel_id"], 0, "{new}");
    assert_eq!(new["diagnostics"][0]["code"], "type-mismatch", "{new}");
    // Analysis never writes: a draft that sets a row leaves the datastore alone.
    let writer = "handler GET /todos/:id =\n  DB.set(todos, \"99\", Todo { id: \"99\", title: \"x\", done: false })\n  Http.text(\"ok\", 200)";
    server
        .editor("POST", "/live-values", Some(json!({ "trace_id": trace, "toplevel_id": id, "source": writer })))
        .await;
    assert_eq!(server.user("GET", "/todos/99", "").await.status, 404);
}

async fn push_and_pull_round_trip_all_or_nothing(url: String) {
    let server = TestServer::new(&url, TODOS).await;
    let pulled = server.editor("GET", "/files", None).await.json();
    let text = pulled["files"]["main.gloam"].as_str().expect("main.gloam").to_string();
    assert!(text.contains("handler GET /secret"));
    // Pushing a broken set stores nothing.
    let broken =
        server.editor("PUT", "/files", Some(json!({ "files": { "main.gloam": "fn a() -> Int = \"no\"" } }))).await;
    assert_status(&broken, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(server.editor("GET", "/files", None).await.json()["files"]["main.gloam"], text.as_str());
    // Pushing the same text changes nothing; moving a declaration to another file updates it.
    let same = server.editor("PUT", "/files", Some(json!({ "files": { "main.gloam": text } }))).await.json();
    assert_eq!((same["created"].as_array().map(Vec::len), same["unchanged"].as_u64()), (Some(0), Some(7)));
    let without_loop = text.split("handler GET /loop").next().expect("text").to_string();
    let split = json!({ "files": { "main.gloam": without_loop, "extra.gloam": "fn twice(n: Int) -> Int = n * 2\n" } });
    let pushed = server.editor("PUT", "/files", Some(split)).await.json();
    assert_eq!(pushed["created"], json!(["twice"]));
    assert_eq!(pushed["deleted"], json!(["GET /loop"]));
    assert_eq!(server.user("GET", "/loop", "").await.status, 404);
    let files = server.editor("GET", "/files", None).await.json();
    assert_eq!(files["files"]["extra.gloam"], "fn twice(n: Int) -> Int = n * 2\n");
}

async fn trace_ergonomics(url: String) {
    let server = TestServer::new(&url, TODOS).await;
    let reply = server.user("POST", "/todos/5?x=1%202", "it's done").await;
    let id = reply.header("x-gloam-trace-id").expect("id").to_string();
    server.flush().await;
    // Copy as curl.
    let curl = server.editor("GET", &format!("/traces/{id}/curl"), None).await.body;
    // To the server the editor talks to, not to the host the request named.
    assert!(curl.starts_with("curl -X POST 'http://127.0.0.1:9999/@demo/todos/5?x=1+2'"), "{curl}");
    assert!(curl.contains(r"--data-raw 'it'\''s done'"), "{curl}");
    // The traces of a function are those of the handlers that call it.
    server.user("GET", "/todos/5", "").await;
    server.flush().await;
    let traces = server.editor("GET", "/functions/label/traces", None).await.json();
    let keys: Vec<&str> = traces.as_array().expect("list").iter().filter_map(|t| t["handler_key"].as_str()).collect();
    assert_eq!(keys, ["GET /todos/:id"]);
    // Delete a trace.
    assert_status(&server.editor("DELETE", &format!("/traces/{id}"), None).await, StatusCode::OK);
    assert_status(&server.editor("GET", &format!("/traces/{id}"), None).await, StatusCode::NOT_FOUND);
    // The 404 list is capped on request (newest first).
    for path in ["/x1", "/x2", "/x3"] {
        server.user("GET", path, "").await;
    }
    let two = server.editor("GET", "/404s?limit=2", None).await.json();
    let keys: Vec<&str> = two.as_array().expect("list").iter().filter_map(|e| e["key"].as_str()).collect();
    assert_eq!(keys.len(), 2, "{two}");
    assert!(keys.iter().all(|key| key.starts_with("404 GET /x")), "{two}");
    // The datastore view shows rows as Gloam values.
    let rows = server.editor("GET", "/datastores/todos", None).await.json();
    assert_eq!(rows[0]["value"], "Todo { id: \"5\", title: \"it's done\", done: false }");
}

async fn retention_keeps_the_newest_traces(url: String) {
    let config = Config {
        retention: gloam_trace_store::Retention { newest: 3, max_age_ms: 24 * 60 * 60 * 1000 },
        ..Config::default()
    };
    let server = TestServer::open(&url, TODOS, config).await;
    let mut ids = Vec::new();
    for n in 0..6 {
        let reply = server.user("GET", &format!("/todos/{n}"), "").await;
        ids.push(reply.header("x-gloam-trace-id").expect("id").to_string());
        server.flush().await;
    }
    let kept = server.editor("GET", "/traces?key=GET%20/todos/:id", None).await.json();
    let kept: Vec<&str> = kept.as_array().expect("list").iter().filter_map(|t| t["id"].as_str()).collect();
    assert_eq!(kept, [ids[5].as_str(), ids[4].as_str(), ids[3].as_str()]);
}

async fn canvases_are_chosen_by_host_or_path_prefix(url: String) {
    let server = TestServer::new(&url, TODOS).await;
    let second = server.state.ensure_canvas("other").await.expect("canvas");
    let request = |host: &str, path: &str| {
        axum::http::Request::builder().uri(path).header("host", host).body(axum::body::Body::empty()).expect("request")
    };
    let by_host = server.send(request("demo.localhost:8000", "/todos/1")).await;
    assert_eq!(by_host.body, "no todo 1");
    let by_prefix = server.send(request("127.0.0.1:8000", "/@demo/todos/1")).await;
    assert_eq!(by_prefix.body, "no todo 1");
    let ambiguous = server.send(request("127.0.0.1:8000", "/todos/1")).await;
    assert_eq!(ambiguous.status, 404);
    assert!(ambiguous.body.contains("choose one with the host NAME.localhost"), "{}", ambiguous.body);
    let unknown = server.send(request("zzz.localhost", "/")).await;
    assert!(unknown.body.contains("no canvas `zzz`"), "{}", unknown.body);
    let other = server.send(request("other.localhost", "/todos/1")).await;
    assert!(other.body.contains("canvas `other`"), "{}", other.body);
    assert_ne!(second.token, server.token);
}

async fn editors_are_told_of_new_traces(url: String) {
    use futures_util::StreamExt;
    let server = TestServer::new(&url, TODOS).await;
    let request = axum::http::Request::builder()
        .uri(format!("/_gloam/api/canvases/demo/events?token={}", server.token))
        .body(axum::body::Body::empty())
        .expect("request");
    let response = tower::ServiceExt::oneshot(server.app.clone(), request).await.expect("events");
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut stream = response.into_body().into_data_stream();
    server.user("GET", "/nowhere", "").await;
    let mut seen = String::new();
    while !seen.contains("\n\n") {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(5), stream.next()).await;
        let chunk = chunk.expect("an event in time").expect("a chunk").expect("bytes");
        seen += &String::from_utf8_lossy(&chunk);
    }
    assert!(seen.starts_with("event: not_found\ndata: {"), "{seen}");
    assert!(seen.contains("\"handler_key\":\"404 GET /nowhere\""), "{seen}");
}

async fn metrics_count_requests_and_traces(url: String) {
    let server = TestServer::new(&url, TODOS).await;
    server.user("GET", "/todos/1", "").await;
    server.user("GET", "/nope", "").await;
    server.flush().await;
    let metrics = server
        .send(axum::http::Request::get("/_gloam/metrics").body(axum::body::Body::empty()).expect("request"))
        .await;
    for line in [
        "gloam_requests_total{canvas=\"demo\"} 2",
        "gloam_not_found_total{canvas=\"demo\"} 1",
        "gloam_request_duration_seconds_count{canvas=\"demo\",handler=\"GET /todos/:id\"}",
        "gloam_traces_written_total 2",
        "gloam_traces_dropped_total 0",
    ] {
        assert!(metrics.body.contains(line), "missing {line} in\n{}", metrics.body);
    }
    let reserved = server.user("GET", "/_gloam/anything", "").await;
    assert!(reserved.body.contains("reserved"), "{}", reserved.body);
}

const WORKERS: &str = r#"
type Event = { id: String, hops: Int }

db seen: Event

worker record(event: Event) =
  DB.set(seen, event.id, event)
  Log.info("recorded ${event.id}")

worker bounce(event: Event) =
  Queue.emit(bounce, { event with hops: event.hops + 1 })

handler POST /events/:id =
  Queue.emit(record, Event { id: request.params.id, hops: 0 })
  Http.text("queued", 202)

handler POST /bounce =
  Queue.emit(bounce, Event { id: "b", hops: 0 })
  Http.text("bouncing", 202)
"#;

async fn workers_run_on_emitted_events(url: String) {
    let server = TestServer::new(&url, WORKERS).await;
    assert_eq!(server.user("POST", "/events/e1", "").await.status, 202);
    let mut run = serde_json::Value::Null;
    for _ in 0..100 {
        server.flush().await;
        let traces = server.editor("GET", "/traces?key=WORKER%20record", None).await.json();
        if let Some(found) = traces.get(0) {
            run = found.clone();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(run["status"], 200, "the worker ran: {run}");
    let trace = server.editor("GET", &format!("/traces/{}", run["id"].as_str().expect("id")), None).await.json();
    assert_eq!(trace["logs"][0]["message"], "recorded e1");
    assert_eq!(trace["effects_shown"][0]["function"], "DB.set");
    // The canvas-wide log view lists the traces that logged (the request that emitted did not).
    let logs = server.editor("GET", "/logs", None).await.json();
    assert_eq!((&logs[0]["trace_id"], &logs[0]["logs"][0]["message"]), (&run["id"], &json!("recorded e1")), "{logs}");
    assert_eq!(logs.as_array().map(Vec::len), Some(1), "{logs}");
    let rows = server.editor("GET", "/datastores/seen", None).await.json();
    assert_eq!(rows[0]["value"], "Event { id: \"e1\", hops: 0 }");
    // A worker run replays like a request.
    let replay =
        server.editor("POST", &format!("/traces/{}/replay", run["id"].as_str().expect("id")), None).await.json();
    assert_eq!((replay["handler"].as_str(), replay["same"].as_bool()), (Some("WORKER record"), Some(true)), "{replay}");
    // A worker that emits to itself forever is stopped, and says so.
    server.user("POST", "/bounce", "").await;
    let mut stopped = serde_json::Value::Null;
    for _ in 0..200 {
        server.flush().await;
        let traces = server.editor("GET", "/traces?key=WORKER%20bounce&limit=100", None).await.json();
        if let Some(found) = traces.as_array().expect("list").iter().find(|t| t["status"] == 500) {
            stopped = found.clone();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(stopped["error"].as_str().is_some_and(|e| e.contains("a cycle?")), "{stopped}");
}

/// Outbound calls may reach the local upstream (loopback is refused by default).
fn loopback_allowed() -> Config {
    let allowed = vec!["127.0.0.1".parse().expect("a host")];
    Config { outbound: gloam_runtime::outbound::OutboundPolicy { allowed, own_port: None }, ..Config::default() }
}

/// A local upstream for outbound calls: answers `POST /in` with 201 and the body length.
async fn upstream() -> (String, tokio::task::JoinHandle<()>) {
    // `/auth` lets in only the key `secret_values_never_leave_the_run` sets.
    let authorised = |headers: axum::http::HeaderMap| async move {
        match headers.get("authorization").and_then(|value| value.to_str().ok()) {
            Some("Bearer sk-live-0123456789") => (StatusCode::OK, "authorised"),
            _ => (StatusCode::UNAUTHORIZED, "who are you?"),
        }
    };
    let app = axum::Router::new()
        .route(
            "/in",
            axum::routing::post(|body: String| async move { (StatusCode::CREATED, format!("got {}", body.len())) }),
        )
        .route("/auth", axum::routing::post(authorised));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.expect("upstream serves");
    });
    (format!("http://{address}"), task)
}

async fn outbound_http_is_recorded_and_replayed(url: String) {
    let relay = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/webhook-relay/relay.gloam"))
        .expect("the example");
    let code = format!("{relay}\nhandler GET /check =\n  Http.text(\"x\", 200)\n");
    let server = TestServer::open(&url, &code, loopback_allowed()).await;
    let (upstream, task) = upstream().await;
    let target = format!("{upstream}/in");
    server.editor("PUT", "/secrets/target-url", Some(json!({ "value": target }))).await;
    let reply = server.user("POST", "/hooks", "{\"event\":\"push\"}").await;
    assert_eq!(reply.status, 202, "{}", reply.body);
    assert_eq!(reply.json()["status"], 201);
    let id = reply.header("x-gloam-trace-id").expect("id").to_string();
    let trace = server.editor("GET", &format!("/traces/{id}"), None).await.json();
    let functions: Vec<&str> =
        trace["effects"].as_array().expect("list").iter().filter_map(|e| e["function"].as_str()).collect();
    assert_eq!(functions, ["Secrets.get", "Http.requestWithSecrets", "Random.uuid", "Time.now", "DB.set"]);
    assert!(trace["effects_shown"][1]["result"].as_str().expect("shown").contains("body: \"got 16\""), "{trace}");
    // The target URL is a secret: the call is recorded as written, and the
    // delivery stored names the secret, not its value.
    assert_eq!(trace["effects"][1]["arguments"][1], json!({ "String": "{{target}}" }));
    assert!(!trace.to_string().contains(&target), "{trace}");
    assert_eq!(trace["logs"][0]["message"], "delivered to target-url: 201");
    let rows = server.editor("GET", "/datastores/deliveries", None).await;
    assert!(rows.body.contains("target-url") && !rows.body.contains(&target), "{}", rows.body);
    // With the upstream gone, a replay still gets the recorded answer.
    task.abort();
    let replay = server.editor("POST", &format!("/traces/{id}/replay"), None).await.json();
    assert_eq!(replay["same"], true, "{replay}");
    // Live, the failure is a value the handler turns into a 502.
    let live =
        server.editor("POST", &format!("/traces/{id}/replay"), Some(json!({ "live_effects": true }))).await.json();
    assert_eq!(live["replayed"]["status"], 502, "{live}");
    assert!(live["replayed"]["body"].as_str().expect("body").contains("upstream failed"), "{live}");
    assert!(!live.to_string().contains(&target), "the error names the secret URL: {live}");
    // Live values never repeat an outbound call that the trace lacks.
    let id_check = server.user("GET", "/check", "").await.header("x-gloam-trace-id").expect("id").to_string();
    let check = server.toplevel("GET /check").await;
    let draft = format!("handler GET /check =\n  Http.get(\"{upstream}/in\")\n  Http.text(\"x\", 200)");
    let values = server
        .editor("POST", "/live-values", Some(json!({ "trace_id": id_check, "toplevel_id": check, "source": draft })))
        .await
        .json();
    let failure = values["failure"]["message"].as_str().expect("failure");
    assert!(failure.contains("outbound calls are not made while analysing"), "{failure}");
}

async fn replay_against_an_older_code_version(url: String) {
    let server = TestServer::new(&url, TODOS).await;
    let reply = server.user("GET", "/todos/1", "").await;
    let trace = reply.header("x-gloam-trace-id").expect("id").to_string();
    let before = server.editor("GET", "", None).await.json()["version"].as_i64().expect("version");
    let id = server.toplevel("GET /todos/:id").await;
    server.save(id, "handler GET /todos/:id =\n  Http.text(\"changed\", 200)").await;
    let now = server.editor("POST", &format!("/traces/{trace}/replay"), None).await.json();
    assert_eq!(now["replayed"]["body"], "changed");
    let then =
        server.editor("POST", &format!("/traces/{trace}/replay"), Some(json!({ "version": before }))).await.json();
    assert_eq!((then["code_version"].as_i64(), then["same"].as_bool()), (Some(before), Some(true)), "{then}");
    let missing = server.editor("POST", &format!("/traces/{trace}/replay"), Some(json!({ "version": 999_999 }))).await;
    assert_status(&missing, StatusCode::NOT_FOUND);
}

/// Requests racing saves each see one whole version: never a mix, never an error.
async fn saves_swap_atomically_under_load(url: String) {
    let code = "fn word() -> String = \"a\"\n\nhandler GET /w =\n  Http.text(word() ++ word(), 200)\n";
    let server = TestServer::new(&url, code).await;
    let id = server.toplevel("word").await;
    let requests = async {
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..200 {
            let reply = server.user("GET", "/w", "").await;
            assert_eq!(reply.status, 200, "{}", reply.body);
            seen.insert(reply.body);
        }
        seen
    };
    let saves = async {
        for n in 0..20 {
            let word = if n % 2 == 0 { "b" } else { "a" };
            server.save(id, &format!("fn word() -> String = \"{word}\"")).await;
            tokio::task::yield_now().await;
        }
    };
    let (seen, ()) = tokio::join!(requests, saves);
    assert!(seen.iter().all(|body| body == "aa" || body == "bb"), "{seen:?}");
}

async fn bodies_that_are_not_text_are_refused(url: String) {
    let server = TestServer::new(&url, TODOS).await;
    let request = axum::http::Request::post("/todos/1")
        .header("host", "demo.localhost")
        .body(axum::body::Body::from(vec![0xff, 0xfe, 0x00]))
        .expect("request");
    let reply = server.send(request).await;
    assert_status(&reply, StatusCode::BAD_REQUEST);
    assert!(reply.body.contains("not UTF-8"), "{}", reply.body);
    let trace = server.newest_trace("POST /todos/:id").await;
    assert_eq!(trace["status"], 400);
}

async fn crons_run_when_due(url: String) {
    let code =
        "db ticks: Int\n\ncron \"*/15 9 * * *\" tick =\n  DB.set(ticks, \"last\", Time.now())\n  Log.info(\"tick\")\n";
    let server = TestServer::new(&url, code).await;
    let nine_fifteen = 1_795_597_200_000 + 15 * 60_000; // 2026-11-25T09:15:00Z
    assert_eq!(gloam_runtime::app::jobs::fire_due_crons(&server.state, nine_fifteen + 60_000), 0);
    assert_eq!(gloam_runtime::app::jobs::fire_due_crons(&server.state, nine_fifteen), 1);
    let mut run = serde_json::Value::Null;
    for _ in 0..100 {
        let traces = server.editor("GET", "/traces?key=CRON%20tick", None).await.json();
        if let Some(found) = traces.get(0) {
            run = found.clone();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!((run["status"].as_u64(), run["method"].as_str()), (Some(200), Some("CRON")), "{run}");
    let id = run["id"].as_str().expect("id");
    let trace = server.editor("GET", &format!("/traces/{id}"), None).await.json();
    assert_eq!(trace["logs"][0]["message"], "tick");
    let replay = server.editor("POST", &format!("/traces/{id}/replay"), None).await.json();
    assert_eq!((replay["handler"].as_str(), replay["same"].as_bool()), (Some("CRON tick"), Some(true)), "{replay}");
}

/// A second server on the same store, as a second node behind a load balancer.
async fn second_node(server: &TestServer, url: &str) -> TestServer {
    let store = gloam_trace_store::Store::open(url).await.expect("store opens");
    let store = store.use_secret_key(support::secret_key()).await.expect("the shared key");
    let state = gloam_runtime::app::AppState::open(store, Config::default()).await.expect("state");
    TestServer {
        app: gloam_runtime::server::app(state.clone()),
        state,
        canvas: server.canvas.clone(),
        token: server.token.clone(),
    }
}

async fn nodes_on_one_store_share_code_and_cron_runs(url: String) {
    let code =
        "cron \"* * * * *\" every_minute =\n  Log.info(\"ran\")\n\nhandler GET /v =\n  Http.text(\"one\", 200)\n";
    let first = TestServer::new(&url, code).await;
    let second = second_node(&first, &url).await;
    assert_eq!(second.user("GET", "/v", "").await.body, "one");
    // Each cron run happens on one node only.
    let minute = 1_795_597_200_000;
    gloam_runtime::app::jobs::fire_due_crons(&first.state, minute);
    gloam_runtime::app::jobs::fire_due_crons(&second.state, minute);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    first.flush().await;
    second.flush().await;
    let runs = first.editor("GET", "/traces?key=CRON%20every_minute", None).await.json();
    assert_eq!(runs.as_array().map(Vec::len), Some(1), "{runs}");
    if first.state.store.backend() == gloam_trace_store::Backend::Sqlite {
        return; // one node per SQLite file: there is nobody to tell of code changes
    }
    // A save on one node is served by the other.
    let id = first.toplevel("GET /v").await;
    first.save(id, "handler GET /v =\n  Http.text(\"two\", 200)").await;
    let mut body = String::new();
    for _ in 0..250 {
        body = second.user("GET", "/v", "").await.body;
        if body == "two" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(body, "two", "the second node did not pick up the change");
}

async fn traces_are_redacted_before_they_are_stored(url: String) {
    let code = "handler POST /login =\n  let auth = Dict.get(request.headers, \"authorization\") |> Option.withDefault(\"none\")\n  Http.text(Int.toString(String.length(auth)), 200)\n";
    let config = Config {
        redaction: gloam_runtime::redact::Redaction::with_defaults(&["x-api-key".into()], &["password".into()]),
        ..Config::default()
    };
    let server = TestServer::open(&url, code, config).await;
    let request = axum::http::Request::post("/login")
        .header("host", "demo.localhost")
        .header("authorization", "Bearer s3cr3t")
        .header("x-api-key", "k3y")
        .body(axum::body::Body::from(r#"{"user":"ada","password":"hunter2"}"#))
        .expect("request");
    let reply = server.send(request).await;
    assert_eq!(reply.body, "13", "the handler sees the request as it came");
    let id = reply.header("x-gloam-trace-id").expect("id").to_string();
    let trace = server.editor("GET", &format!("/traces/{id}"), None).await;
    for secret in ["s3cr3t", "k3y", "hunter2"] {
        assert!(!trace.body.contains(secret), "{secret} stored: {}", trace.body);
    }
    let trace = trace.json();
    assert_eq!(trace["request"]["body"], r#"{"user":"ada","password":"<redacted>"}"#);
    let headers = trace["request"]["headers"].as_array().expect("headers");
    assert!(headers.iter().any(|h| h[0] == "authorization" && h[1] == "<redacted>"), "{trace}");
}

async fn secret_values_never_leave_the_run(url: String) {
    let (upstream, _task) = upstream().await;
    let handler = |body: &str| {
        format!(
            "handler GET /leak =\n  match Secrets.get(\"api-key\") with\n  | Some(key) -> {body}\n  | None -> Http.text(\"no key\", 500)\n"
        )
    };
    let legit = handler(&format!(
        "match Http.requestWithSecrets(\"POST\", \"{upstream}/auth\", {{ \"authorization\": \"Bearer {{{{key}}}}\" }}, {{ \"key\": key }}, \"\") with\n    | Ok(response) -> Http.text(response.body, response.status)\n    | Error(message) -> Http.text(message, 502)"
    ));
    let server = TestServer::open(&url, &legit, loopback_allowed()).await;
    server.editor("PUT", "/secrets/api-key", Some(json!({ "value": "sk-live-0123456789" }))).await;
    let reply = server.user("GET", "/leak", "").await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "authorised"), "the header carried the secret");
    let id = reply.header("x-gloam-trace-id").expect("id").to_string();
    server.flush().await;
    let trace = server.editor("GET", &format!("/traces/{id}"), None).await;
    assert!(!trace.body.contains("sk-live"), "a secret reached the trace: {}", trace.body);
    // Recorded as written, the secrets by name (the authorization header is
    // redacted by name besides).
    assert!(trace.body.contains(r#"{"Dict":{"key":{"Secret":"<secret>"}}}"#), "{}", trace.body);
    let replay = server.editor("POST", &format!("/traces/{id}/replay"), Some(json!({ "live_effects": true }))).await;
    assert!(!replay.body.contains("sk-live"), "a secret reached the replay: {}", replay.body);
    assert_eq!(replay.json()["replayed"]["body"], "authorised", "{}", replay.body);
    let check = server.toplevel("GET /leak").await;
    let values = server.editor("POST", "/live-values", Some(json!({ "trace_id": id, "toplevel_id": check }))).await;
    assert!(!values.body.contains("sk-live"), "a secret reached the live values: {}", values.body);
    assert!(values.body.contains("Some(<secret>)"), "{}", values.body);
    // The live replay and the live values each read the secret: audited.
    let audit = server.editor("GET", "/audit", None).await.json();
    let actions: Vec<&str> =
        audit.as_array().expect("a list").iter().filter_map(|row| row["action"].as_str()).collect();
    assert_eq!(actions, ["read", "read", "set"], "{audit}");
    let logs = server.editor("GET", "/logs", None).await;
    assert!(!logs.body.contains("sk-live"), "a secret reached the logs: {}", logs.body);

    // Every changed form of the secret is a type error: such code is not
    // saved live, and says why.
    for (derived, code) in [
        ("Http.text(String.toUpper(key), 200)", "type-mismatch"),
        ("Http.text(String.reverse(key), 200)", "type-mismatch"),
        ("Http.text(String.join(String.split(key, \"\"), \" \"), 200)", "type-mismatch"),
        ("Http.text(String.fromChars(String.toChars(key)), 200)", "type-mismatch"),
        ("(Log.info(\"using ${key}\")\n  Http.text(\"x\", 200))", "secret-shown"),
        ("Http.json(Some(key), 200)", "not-data"),
        ("Http.text(if key == key then \"same\" else \"no\", 200)", "secret-shown"),
    ] {
        let saved = server.save(check, &handler(derived)).await;
        assert_eq!(saved["state"], "draft", "{derived}: {saved}");
        let codes: Vec<&str> =
            saved["diagnostics"].as_array().expect("a list").iter().filter_map(|d| d["code"].as_str()).collect();
        assert_eq!(codes, [code], "{derived}: {saved}");
    }
    assert_eq!(server.user("GET", "/leak", "").await.body, "authorised", "the legitimate code still serves");
}

/// Two nodes save one after the other; the second had not seen the first's
/// change. Its save is checked again against the latest code, not stored
/// blindly on top of it.
async fn a_change_made_on_stale_code_is_checked_again(url: String) {
    let code = "type Item = { name: String }\n\nhandler GET /i =\n  Http.json(Item { name: \"a\" }, 200)\n";
    let first = TestServer::new(&url, code).await;
    let second = second_node(&first, &url).await;
    let handler_id = first.toplevel("GET /i").await;
    // First node: the field is renamed, and the handler follows (both live).
    assert_eq!(
        first.save(handler_id, "handler GET /i =\n  Http.json(Item { name: \"a\" }, 201)").await["state"],
        "live"
    );
    let renamed = first
        .editor("PUT", "/files", Some(json!({ "files": { "main.gloam": "type Item = { title: String }\n\nhandler GET /i =\n  Http.json(Item { title: \"a\" }, 200)\n" } })))
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    // Second node, perhaps still on the old code, edits the handler with the old field.
    let saved = second.save(handler_id, "handler GET /i =\n  Http.json(Item { name: \"b\" }, 200)").await;
    assert_eq!(saved["state"], "draft", "checked against the renamed type: {saved}");
    assert_eq!(second.user("GET", "/i", "").await.body, r#"{"title":"a"}"#);
    assert_eq!(first.user("GET", "/i", "").await.body, r#"{"title":"a"}"#);
}

async fn secrets_cannot_be_sent_to_workers(url: String) {
    let code = "type Job = { key: Secret }\n\nworker use_key(job: Job) =\n  Log.info(\"got it\")\n";
    let server = TestServer::new(&url, "").await;
    let pushed = server.editor("PUT", "/files", Some(json!({ "files": { "main.gloam": code } }))).await;
    assert!(pushed.body.contains("not-data"), "{}", pushed.body);
    assert!(pushed.body.contains("a worker's events are queued as JSON"), "{}", pushed.body);
}
