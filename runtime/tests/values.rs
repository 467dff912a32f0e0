//! Values and requests at the edges, through the whole server on both stores
//! and both engines: values nested to the limits are stored, read back,
//! traced and replayed; deeper ones are refused at the call, in words;
//! route parameters are decoded after routing; responses carry exactly the
//! headers the handler gave.

mod support;

on_both_stores!(
    deep_values_store_load_trace_and_replay,
    route_parameters_are_decoded_after_routing,
    responses_carry_exactly_the_headers_given,
);

use gloam_runtime::app::Config;
use gloam_runtime::engine::EngineKind;
use serde_json::json;
use support::TestServer;

const TREES: &str = r#"
type Tree = | Leaf | Node(Tree, Int, Tree)

db trees: Tree

fn insert(t: Tree, n: Int) -> Tree =
  match t with
  | Leaf -> Node(Leaf, n, Leaf)
  | Node(l, v, r) -> if n < v then Node(insert(l, n), v, r) else Node(l, v, insert(r, n))

fn depth(t: Tree) -> Int =
  match t with
  | Leaf -> 0
  | Node(l, _, r) -> 1 + Int.max(depth(l), depth(r))

handler POST /trees/:n =
  let n = Result.withDefault(Int.parse(request.params.n), 0)
  DB.set(trees, request.params.n, List.fold(List.range(1, n), Leaf, insert))
  Http.empty(204)

handler GET /trees/:n =
  match DB.get(trees, request.params.n) with
  | Some(t) -> Http.text("depth ${Int.toString(depth(t))}", 200)
  | None -> Http.text("none", 404)

type Box = { inner: Option<Box>, label: String }

db boxes: Box

fn boxed(n: Int) -> Box = List.fold(List.range(1, n), Box { inner: None, label: "in" }, \b, _ -> Box { inner: Some(b), label: "box" })

fn size(b: Box) -> Int =
  match b.inner with
  | Some(inner) -> 1 + size(inner)
  | None -> 1

handler POST /boxes/:n =
  DB.set(boxes, request.params.n, boxed(Result.withDefault(Int.parse(request.params.n), 0)))
  match DB.get(boxes, request.params.n) with
  | Some(b) -> Http.text("boxes ${Int.toString(size(b))}", 200)
  | None -> Http.text("none", 404)

handler POST /echo = Result.withDefault(Json.parse(request.body), JsonNull)

handler GET /json/:n =
  let t = List.fold(List.range(1, Result.withDefault(Int.parse(request.params.n), 0)), Leaf, insert)
  match Json.decode<Tree>(Json.encode(t)) with
  | Ok(back) -> Http.text("depth ${Int.toString(depth(back))} same ${if back == t then "yes" else "no"}", 200)
  | Error(e) -> Http.text(e, 500)
"#;

/// What no response body may show: wasm symbols, backtraces, Rust names.
fn assert_no_internals(body: &str) {
    for internal in ["wasm", "backtrace", "_ZN", "gloam_guest", "::", "panicked"] {
        assert!(!body.contains(internal), "internal text `{internal}` in: {body}");
    }
}

async fn deep_values_store_load_trace_and_replay(url: String) {
    for engine in [EngineKind::Compiled, EngineKind::Interpreter] {
        let server = TestServer::open(&url, TREES, Config { engine, ..Config::default() }).await;
        for depth in ["1", "40", "200", "1000"] {
            let stored = server.user("POST", &format!("/trees/{depth}"), "").await;
            assert_eq!(stored.status, 204, "{engine:?} storing depth {depth}: {}", stored.body);
            let loaded = server.user("GET", &format!("/trees/{depth}"), "").await;
            assert_eq!((loaded.status, loaded.body.as_str()), (200, format!("depth {depth}").as_str()), "{engine:?}");
        }
        // Deeper than a stored value may nest: refused at the call, nothing written.
        let refused = server.user("POST", "/trees/1001", "").await;
        assert_eq!(refused.status, 500, "{engine:?}: {}", refused.body);
        assert!(
            refused.body.contains("DB.set failed: the value is nested more than 1000 levels deep"),
            "{}",
            refused.body
        );
        assert!(refused.body.contains("(in POST /trees/:n, line 3, column 3)"), "{}", refused.body);
        assert_no_internals(&refused.body);
        assert_eq!(server.user("GET", "/trees/1001", "").await.body, "none");

        // JSON: up to 1,000 nested arrays and objects (two per tree level) round trip.
        let json = server.user("GET", "/json/500", "").await;
        assert_eq!((json.status, json.body.as_str()), (200, "depth 500 same yes"), "{engine:?}");
        let too_deep = server.user("GET", "/json/501", "").await;
        assert_eq!(too_deep.status, 500, "{engine:?}: {}", too_deep.body);
        assert!(too_deep.body.contains("more than 1000 levels deep"), "{}", too_deep.body);
        assert_no_internals(&too_deep.body);

        // Records take the most room per level in their stored form (a box and
        // its `Some` are two levels).
        let boxes = server.user("POST", "/boxes/499", "").await;
        assert_eq!((boxes.status, boxes.body.as_str()), (200, "boxes 500"), "{engine:?}");
        // A handler's value of any depth becomes its response inside the run.
        let nested = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let echoed = server.user("POST", "/echo", &nested(1000)).await;
        assert_eq!((echoed.status, echoed.body.as_str()), (200, nested(1000).as_str()), "{engine:?}");
        let refused = server.user("POST", "/echo", &nested(1001)).await;
        assert_eq!((refused.status, refused.body.as_str()), (200, "null"), "{engine:?}");

        // The deepest stored value is in the trace, which reads back and replays.
        let trace = server.newest_trace("GET /trees/:n").await;
        assert_eq!(trace["path"], "/trees/1001");
        let deepest = server.editor("GET", "/traces?key=GET%20/trees/:n&limit=10", None).await.json();
        let id = deepest
            .as_array()
            .and_then(|traces| traces.iter().find(|trace| trace["path"] == "/trees/1000"))
            .and_then(|trace| trace["id"].as_str())
            .expect("the trace of GET /trees/1000")
            .to_string();
        let full = server.editor("GET", &format!("/traces/{id}"), None).await;
        assert_eq!(full.status, 200, "{}", full.body);
        let replay = server.editor("POST", &format!("/traces/{id}/replay"), None).await.json();
        assert_eq!(replay["same"], true, "{engine:?}: {replay}");
        assert_eq!(replay["replayed"]["body"], "depth 1000");
    }
}

const ROUTES: &str = r#"
handler GET /echo/:text = Http.text("${request.params.text}|${request.path}", 200)
handler GET /echo/:a/:b = Http.text("two: ${request.params.a} ${request.params.b}", 200)
handler GET /files/:name/raw = Http.text(request.params.name, 200)
"#;

async fn route_parameters_are_decoded_after_routing(url: String) {
    let server = TestServer::new(&url, ROUTES).await;
    for (path, body) in [
        ("/echo/a%2Fb", "a/b|/echo/a/b"),
        ("/echo/a/b", "two: a b"),
        ("/echo/caf%C3%A9%20au%20lait", "café au lait|/echo/café au lait"),
        ("/echo/%25", "%|/echo/%"),
        ("/files/x%2Fy%2Fz/raw", "x/y/z"),
    ] {
        let reply = server.user("GET", path, "").await;
        assert_eq!((reply.status, reply.body.as_str()), (200, body), "{path}");
    }
    // The trace keeps the path as it came, so a replay routes it the same way.
    let trace = server.newest_trace("GET /files/:name/raw").await;
    assert_eq!(trace["path"], "/files/x%2Fy%2Fz/raw");
    let id = trace["id"].as_str().expect("trace id");
    let replay = server.editor("POST", &format!("/traces/{id}/replay"), None).await.json();
    assert_eq!(replay["same"], true, "{replay}");
    let curl = server.editor("GET", &format!("/traces/{id}/curl"), None).await;
    assert!(curl.body.contains("/files/x%2Fy%2Fz/raw"), "{}", curl.body);
}

const RESPONSES: &str = r#"
handler GET /empty = Http.empty(204)
handler GET /gone = Http.redirect("/there")
handler GET /accepted = Http.empty(202)
handler GET /file = Http.withHeader(Http.text("x", 200), "content-disposition", "attachment; filename=\"résumé.pdf\"")
"#;

async fn responses_carry_exactly_the_headers_given(url: String) {
    let server = TestServer::new(&url, RESPONSES).await;
    for (path, status) in [("/empty", 204), ("/gone", 302), ("/accepted", 202)] {
        let reply = server.user("GET", path, "").await;
        assert_eq!(reply.status, status, "{path}: {}", reply.body);
        assert_eq!(reply.header("content-type"), None, "{path}: {:?}", reply.headers);
    }
    // Header values may hold UTF-8 text, as HTTP allows.
    let file = server.user("GET", "/file", "").await;
    assert_eq!(file.header("content-disposition"), Some("attachment; filename=\"résumé.pdf\""), "{}", file.body);
    let redirect = server.user("GET", "/gone", "").await;
    assert_eq!(redirect.header("location"), Some("/there"));
    assert_eq!(json!(redirect.body), json!(""));
}
