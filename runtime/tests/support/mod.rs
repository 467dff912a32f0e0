//! An in-process Gloam server over a fresh store, driven through its router
//! (`tower::ServiceExt::oneshot`), as the axum testing example does.

#![allow(dead_code)] // each test binary uses its own part of the support

pub mod binary;

/// Fresh SQLite files and PostgreSQL databases, shared with the store's tests.
#[path = "../../../trace-store/tests/harness/mod.rs"]
pub mod harness;

/// Generates `sqlite::CASE` and `postgres::CASE` tests from `async fn CASE(url: String)`.
#[macro_export]
macro_rules! on_both_stores {
    ($($case:ident),* $(,)?) => {
        on_both_stores!(@module sqlite, run_sqlite, $($case),*);
        on_both_stores!(@module postgres, run_postgres, $($case),*);
    };
    (@module $module:ident, $run:ident, $($case:ident),*) => {
        mod $module {
            $(#[tokio::test]
            async fn $case() {
                $crate::support::harness::$run(super::$case).await
            })*
        }
    };
}

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use gloam_runtime::app::{AppState, Config};
use gloam_runtime::server;
use gloam_trace_store::Store;
use serde_json::Value;
use tower::ServiceExt;

pub struct TestServer {
    pub state: AppState,
    pub app: Router,
    pub canvas: String,
    pub token: String,
}

/// A user's response: status, headers (lower-case names), body.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }

    pub fn json(&self) -> Value {
        gloam_interpreter::wire::parse_document(self.body.as_bytes())
            .unwrap_or_else(|error| panic!("not JSON ({error}): {}", self.body))
    }
}

/// The key of every test server's store (several nodes share one store).
pub fn secret_key() -> gloam_trace_store::SecretKey {
    gloam_trace_store::SecretKey::from_hex(&"07".repeat(32)).expect("64 hex characters")
}

impl TestServer {
    /// A server over the store at `url` with one canvas, `demo`, holding `code`.
    pub async fn new(url: &str, code: &str) -> TestServer {
        Self::open(url, code, Config::default()).await
    }

    pub async fn open(url: &str, code: &str, config: Config) -> TestServer {
        let store = Store::open(url).await.expect("store opens");
        let store = store.use_secret_key(secret_key()).await.expect("the tests' key opens the store");
        let state = AppState::open(store, config).await.expect("state loads");
        let canvas = state.ensure_canvas("demo").await.expect("canvas");
        let token = canvas.token.clone();
        let server = TestServer { app: server::app(state.clone()), state, canvas: "demo".into(), token };
        if !code.is_empty() {
            let pushed =
                server.editor("PUT", "/files", Some(serde_json::json!({ "files": { "main.gloam": code } }))).await;
            assert_eq!(pushed.status, 200, "pushing the test code: {}", pushed.body);
            server.compiled().await;
        }
        server
    }

    /// Waits until the live code is compiled (until then the interpreter
    /// runs it, without the sandbox's memory and time limits).
    pub async fn compiled(&self) {
        let canvas = self.state.canvas(&self.canvas).expect("the canvas");
        for _ in 0..1_000 {
            if !self.state.engine.is_compiling(&canvas.code()) {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("the code was not compiled in 10 s");
    }

    pub async fn send(&self, request: Request<Body>) -> Reply {
        let response = self.app.clone().oneshot(request).await.expect("the router answers");
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| (name.as_str().to_string(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
            .collect();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
        Reply { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
    }

    /// A request of user traffic.
    pub async fn user(&self, method: &str, path: &str, body: &str) -> Reply {
        let request = Request::builder().method(method).uri(path).header("host", "demo.localhost");
        self.send(request.body(Body::from(body.to_string())).expect("request")).await
    }

    /// An editor API call on the test canvas, with its token.
    pub async fn editor(&self, method: &str, path: &str, body: Option<Value>) -> Reply {
        self.editor_as(&self.token, method, path, body).await
    }

    pub async fn editor_as(&self, token: &str, method: &str, path: &str, body: Option<Value>) -> Reply {
        let request = Request::builder()
            .method(method)
            .uri(format!("/_gloam/api/canvases/{}{path}", self.canvas))
            .header("host", "127.0.0.1:9999")
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json");
        let body = body.map_or_else(Body::empty, |json| Body::from(json.to_string()));
        self.send(request.body(body).expect("request")).await
    }

    /// Serves the server on a real loopback socket, as `gloam serve` does,
    /// until the state is told to stop; returns its address.
    pub async fn listen(&self, limits: server::listen::ConnectionLimits) -> std::net::SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
        let address = listener.local_addr().expect("its address");
        tokio::spawn(server::listen::serve(listener, self.app.clone(), self.state.clone(), limits));
        address
    }

    /// Waits until every trace so far is stored.
    pub async fn flush(&self) {
        self.state.writer.flush().await;
    }

    /// The toplevel id of a declaration, by key.
    pub async fn toplevel(&self, key: &str) -> i64 {
        let toplevels = self.editor("GET", "/toplevels", None).await.json();
        toplevels
            .as_array()
            .expect("a list")
            .iter()
            .find(|toplevel| toplevel["key"] == key)
            .and_then(|toplevel| toplevel["id"].as_i64())
            .unwrap_or_else(|| panic!("no toplevel {key} in {toplevels}"))
    }

    /// Saves a toplevel's source; returns the API's answer.
    pub async fn save(&self, id: i64, source: &str) -> Value {
        let reply =
            self.editor("PUT", &format!("/toplevels/{id}"), Some(serde_json::json!({ "source": source }))).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.json()
    }

    /// The newest trace of a handler key.
    pub async fn newest_trace(&self, key: &str) -> Value {
        self.flush().await;
        let path = format!("/traces?key={}&limit=1", key.replace(' ', "%20"));
        let traces = self.editor("GET", &path, None).await.json();
        traces.get(0).cloned().unwrap_or_else(|| panic!("no trace for {key}"))
    }
}

pub fn assert_status(reply: &Reply, status: StatusCode) {
    assert_eq!(reply.status, status.as_u16(), "body: {}", reply.body);
}
