//! The sandbox's limits, end to end: a handler that runs away (time), grows
//! without bound (memory), recurses too deep (call depth, then the stack) or
//! builds a huge string stops with a clear 500, its trace says why, and the
//! server keeps serving other requests meanwhile. The tests run on tokio's
//! single-threaded runtime on purpose: a compiled run yields at every epoch
//! tick, so even one thread keeps answering.

mod support;

use gloam_interpreter::Limits;
use gloam_runtime::app::Config;
use gloam_runtime::outbound::OutboundPolicy;
use std::time::{Duration, Instant};
use support::TestServer;
use support::harness::{SqliteDb, sqlite_db};

const CODE: &str = r#"
handler GET /hello =
  Http.text("hello", 200)

fn sum(n: Int) -> Int =
  List.fold(List.range(0, n), 0, \acc, i -> acc + i)

handler GET /spin =
  Http.text(Int.toString(List.fold(List.range(0, 5000000), 0, \acc, i -> acc + sum(1000))), 200)

handler GET /bomb =
  Http.text(Int.toString(List.length(List.map(List.range(0, 5000000), \i -> "item ${Int.toString(i)}"))), 200)

fn depth(n: Int) -> Int = if n == 0 then 0 else 1 + depth(n - 1)

handler GET /deep =
  Http.text(Int.toString(depth(100000000)), 200)

handler GET /huge =
  Http.text(String.repeat("gloam", 100000000), 200)
"#;

/// A server with `CODE` on a fresh SQLite store (removed when the second value drops).
async fn server(config: Config) -> (TestServer, SqliteDb) {
    let db = sqlite_db();
    (TestServer::open(&db.url, CODE, config).await, db)
}

/// Sends `runaway` and, while it runs, a stream of `GET /hello`s; returns
/// the runaway's reply and how many hellos were answered before it ended.
async fn alongside(server: &TestServer, runaway: &str) -> (support::Reply, usize) {
    let stop = tokio::sync::Notify::new();
    let (reply, hellos) = tokio::join!(
        async {
            let reply = server.user("GET", runaway, "").await;
            stop.notify_one();
            reply
        },
        async {
            let mut answered = 0;
            loop {
                tokio::select! {
                    _ = stop.notified() => break answered,
                    reply = server.user("GET", "/hello", "") => {
                        assert_eq!(reply.status, 200, "{}", reply.body);
                        answered += 1;
                        // A steady stream, not a flood that fills the trace queue.
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                }
            }
        }
    );
    (reply, hellos)
}

async fn assert_traced(server: &TestServer, key: &str, message: &str) {
    let trace = server.newest_trace(key).await;
    assert_eq!(trace["status"], 500, "{trace}");
    assert!(trace["error"].as_str().is_some_and(|error| error.contains(message)), "{trace}");
}

#[tokio::test]
async fn an_endless_loop_is_stopped_by_the_time_limit_while_others_are_served() {
    let unlimited_steps = Limits { max_steps: u64::MAX / 4, ..Limits::default() };
    let config = Config { limits: unlimited_steps, time_limit: Duration::from_secs(1), ..Config::default() };
    let (server, _db) = server(config).await;
    let started = Instant::now();
    let (reply, hellos) = alongside(&server, "/spin").await;
    let took = started.elapsed();
    assert_eq!(reply.status, 500, "{}", reply.body);
    assert!(reply.body.contains("time limit of 1 s exceeded"), "{}", reply.body);
    assert!(took < Duration::from_secs(5), "stopped after {took:?}");
    assert!(hellos > 10, "only {hellos} other requests were answered while it ran");
    assert_traced(&server, "GET /spin", "time limit").await;
}

/// Sends `path` while other requests are served; it must fail with a 500
/// whose body and trace say `message`, and the server must go on serving.
async fn stops_with(config: Config, path: &str, message: &str) -> support::Reply {
    let (server, _db) = server(config).await;
    let (reply, _) = alongside(&server, path).await;
    assert_eq!(reply.status, 500, "{}", reply.body);
    assert!(reply.body.contains(message), "{}", reply.body);
    assert_traced(&server, &format!("GET {path}"), message).await;
    assert_eq!(server.user("GET", "/hello", "").await.body, "hello");
    reply
}

#[tokio::test]
async fn the_step_budget_stops_a_loop_first_with_the_interpreters_message() {
    let config = Config { limits: Limits { max_steps: 1_000_000, ..Limits::default() }, ..Config::default() };
    stops_with(config, "/spin", "step budget of 1000000 steps exhausted").await;
}

#[tokio::test]
async fn a_memory_bomb_hits_the_memory_limit() {
    let config = Config { max_memory_bytes: 64 * 1024 * 1024, ..Config::default() };
    stops_with(config, "/bomb", "memory limit of 64 MiB exceeded").await;
}

#[tokio::test]
async fn deep_recursion_stops_at_the_call_depth_limit_then_at_the_stack() {
    let reply = stops_with(Config::default(), "/deep", "recursion deeper than 20000 calls").await;
    assert!(reply.body.contains("(in depth, line 1, column 53)"), "the error has the call's place: {}", reply.body);
    let unlimited_depth = Limits { max_call_depth: u32::MAX, ..Limits::default() };
    stops_with(Config { limits: unlimited_depth, ..Config::default() }, "/deep", "stack overflow").await;
}

#[tokio::test]
async fn a_huge_string_hits_the_size_limit() {
    stops_with(Config::default(), "/huge", "is more than the limit of 10000000").await;
}

/// A local upstream answering "late" after `delay`.
async fn slow_upstream(delay: Duration) -> std::net::SocketAddr {
    let slow = axum::Router::new().route(
        "/slow",
        axum::routing::get(move || async move {
            tokio::time::sleep(delay).await;
            "late"
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let upstream = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, slow).await.expect("the upstream serves") });
    upstream
}

/// A server whose `GET /wait` calls the upstream and answers with its body.
async fn waiting_on(upstream: std::net::SocketAddr, config: Config) -> (TestServer, SqliteDb) {
    let code = format!(
        "handler GET /wait =\n  match Http.get(\"http://{upstream}/slow\") with\n  | Ok(response) -> Http.text(response.body, 200)\n  | Error(message) -> Http.text(message, 502)\n"
    );
    // The upstream is on loopback, which handlers may not reach unless allowed.
    let allowed = vec![upstream.ip().to_string().parse().expect("a host")];
    let config = Config { outbound: OutboundPolicy { allowed, own_port: None }, ..config };
    let db = sqlite_db();
    (TestServer::open(&db.url, &code, config).await, db)
}

#[tokio::test]
async fn waiting_on_an_effect_counts_against_the_time_limit() {
    let config = Config { time_limit: Duration::from_secs(1), ..Config::default() };
    let (server, _db) = waiting_on(slow_upstream(Duration::from_secs(5)).await, config).await;
    let started = Instant::now();
    let reply = server.user("GET", "/wait", "").await;
    assert_eq!(reply.status, 500, "{}", reply.body);
    assert!(reply.body.contains("time limit of 1 s exceeded"), "{}", reply.body);
    assert!(started.elapsed() < Duration::from_secs(3), "stopped after {:?}", started.elapsed());
}

/// A compiled handler waiting on an outbound call holds no thread: on this
/// test's single thread, a hundred requests waiting on a slow upstream at
/// once take about one upstream delay, not a hundred.
#[tokio::test]
async fn handlers_waiting_on_a_slow_upstream_overlap_on_one_thread() {
    let delay = Duration::from_millis(300);
    let (server, _db) = waiting_on(slow_upstream(delay).await, Config::default()).await;
    let started = Instant::now();
    let replies = futures_util::future::join_all((0..100).map(|_| server.user("GET", "/wait", ""))).await;
    let took = started.elapsed();
    for reply in &replies {
        assert_eq!((reply.status, reply.body.as_str()), (200, "late"));
    }
    assert!(took < delay * 10, "100 waiting handlers took {took:?}: they did not overlap");
}

/// A client that goes away does not cut its handler short: the run finishes
/// (its effects all done or none) and its trace is stored.
#[tokio::test]
async fn a_run_outlives_a_client_that_went_away() {
    let (server, _db) = waiting_on(slow_upstream(Duration::from_millis(300)).await, Config::default()).await;
    let gone = tokio::time::timeout(Duration::from_millis(50), server.user("GET", "/wait", "")).await;
    assert!(gone.is_err(), "the client gave up before the answer");
    tokio::time::sleep(Duration::from_millis(600)).await;
    let trace = server.newest_trace("GET /wait").await;
    assert_eq!(trace["status"], 200, "{trace}");
}
