//! Attacks on a Gloam server from an unauthenticated client (and, where it
//! says so, from a token holder's code), over real loopback sockets: slow and
//! idle connections, connection floods, runaway fan-out, one canvas starving
//! another, outbound calls to private addresses and to the server itself,
//! rate and sign-in floods, disk filling through 404s. Each test is bounded
//! in time and in the number of connections it opens, and each failed before
//! the limit it attacks existed.

mod support;

use gloam_runtime::app::Config;
use gloam_runtime::app::rate::RateLimits;
use gloam_runtime::budget::BudgetLimits;
use gloam_runtime::outbound::OutboundPolicy;
use gloam_runtime::server::listen::ConnectionLimits;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::time::{Duration, Instant};
use support::TestServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Calls the URL in `?url=`, and says what came back.
const FETCH: &str = r#"
handler GET /fetch =
  let url = Dict.get(request.query, "url") |> Option.withDefault("")
  match Http.get(url) with
  | Ok(response) -> Http.text("got ${Int.toString(response.status)}", 200)
  | Error(message) -> Http.text("failed: ${message}", 502)

handler GET /hello =
  Http.text("hello", 200)
"#;

async fn server_with(code: &str, config: Config) -> (TestServer, SocketAddr, tempfile::TempDir) {
    listening(code, config, ConnectionLimits::default()).await
}

/// A server on a fresh SQLite file, on a loopback socket with these limits.
async fn listening(
    code: &str,
    config: Config,
    limits: ConnectionLimits,
) -> (TestServer, SocketAddr, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("gloam.db").display());
    let server = TestServer::open(&url, code, config).await;
    let address = server.listen(limits).await;
    (server, address, dir)
}

/// Outbound calls may reach loopback (where the tests' upstreams are).
fn loopback_allowed() -> OutboundPolicy {
    OutboundPolicy { allowed: vec!["127.0.0.1".parse().expect("host")], own_port: None }
}

async fn connect(address: SocketAddr) -> TcpStream {
    TcpStream::connect(address).await.expect("connects")
}

/// Reads until the server closes the connection (or `within` passes); the bytes read.
async fn read_until_closed(stream: &mut TcpStream, within: Duration) -> Option<Vec<u8>> {
    let mut bytes = Vec::new();
    tokio::time::timeout(within, stream.read_to_end(&mut bytes)).await.ok()?.ok()?;
    Some(bytes)
}

/// A plain GET over its own connection; status and body.
async fn get(address: SocketAddr, path: impl AsRef<str>) -> (u16, String) {
    let path = path.as_ref();
    let response = reqwest::Client::new()
        .get(format!("http://{address}{path}"))
        .timeout(Duration::from_secs(20))
        .send()
        .await
        .expect("a response");
    let status = response.status().as_u16();
    (status, response.text().await.expect("a body"))
}

/// A local upstream that accepts connections and never answers.
async fn black_hole() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    address
}

// ------------------------------------------------------------------ connections

#[tokio::test]
async fn slowloris_connections_are_closed_at_the_header_timeout() {
    let limits = ConnectionLimits { header_timeout: Duration::from_secs(1), ..ConnectionLimits::default() };
    let (_server, address, _dir) = listening(FETCH, Config::default(), limits).await;
    let started = Instant::now();
    let mut slow = Vec::new();
    for _ in 0..50 {
        let mut stream = connect(address).await;
        stream.write_all(b"GET /hello HTTP/1.1\r\nhost: demo.localhost\r\nx-slow: ").await.expect("writes");
        slow.push(stream);
    }
    for stream in &mut slow {
        // Before: held open for as long as the client liked.
        assert!(read_until_closed(stream, Duration::from_secs(5)).await.is_some(), "a half-sent head was not closed");
    }
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    assert_eq!(get(address, "/hello").await, (200, "hello".to_string()));
}

#[tokio::test]
async fn idle_kept_alive_connections_are_closed() {
    let limits = ConnectionLimits { header_timeout: Duration::from_secs(1), ..ConnectionLimits::default() };
    let (_server, address, _dir) = listening(FETCH, Config::default(), limits).await;
    let mut stream = connect(address).await;
    stream.write_all(b"GET /hello HTTP/1.1\r\nhost: demo.localhost\r\n\r\n").await.expect("writes");
    let answered = read_until_closed(&mut stream, Duration::from_secs(5)).await.expect("closed after idling");
    assert!(String::from_utf8_lossy(&answered).starts_with("HTTP/1.1 200"), "{}", String::from_utf8_lossy(&answered));
}

#[tokio::test]
async fn connections_over_the_per_client_cap_get_503() {
    let limits = ConnectionLimits { max_connections_per_client: 10, ..ConnectionLimits::default() };
    let (_server, address, _dir) = listening(FETCH, Config::default(), limits).await;
    let mut held = Vec::new();
    for _ in 0..10 {
        held.push(connect(address).await);
    }
    tokio::time::sleep(Duration::from_millis(100)).await; // all ten accepted
    let mut over = connect(address).await;
    let refused = read_until_closed(&mut over, Duration::from_secs(5)).await.expect("answered and closed");
    let refused = String::from_utf8_lossy(&refused);
    assert!(refused.starts_with("HTTP/1.1 503"), "{refused}");
    assert!(refused.contains("too many open connections"), "{refused}");
    drop(held);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(get(address, "/hello").await.0, 200, "the places come back when connections close");
    let metrics = get(address, "/_gloam/metrics").await.1;
    assert!(metrics.contains("gloam_refused_connections_total 1"), "{metrics}");
}

#[tokio::test]
async fn connections_over_the_total_cap_get_503() {
    let limits = ConnectionLimits { max_connections: 5, max_connections_per_client: 0, ..ConnectionLimits::default() };
    let (_server, address, _dir) = listening(FETCH, Config::default(), limits).await;
    let held: Vec<TcpStream> = futures_util::future::join_all((0..5).map(|_| connect(address))).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut over = connect(address).await;
    let refused = read_until_closed(&mut over, Duration::from_secs(5)).await.expect("answered and closed");
    assert!(String::from_utf8_lossy(&refused).starts_with("HTTP/1.1 503"));
    drop(held);
}

#[tokio::test]
async fn a_body_trickled_slower_than_the_body_timeout_gets_408() {
    let config = Config { body_timeout: Duration::from_secs(1), ..Config::default() };
    let (server, address, _dir) = server_with(FETCH, config).await;
    let mut stream = connect(address).await;
    stream
        .write_all(b"POST /anything HTTP/1.1\r\nhost: demo.localhost\r\ncontent-length: 100\r\n\r\n")
        .await
        .expect("writes");
    let started = Instant::now();
    let trickle = async {
        for _ in 0..100 {
            if stream.write_all(b"x").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let _ = tokio::time::timeout(Duration::from_millis(1500), trickle).await;
    let mut answer = vec![0; 4096];
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut answer)).await.expect("answered");
    let answer = String::from_utf8_lossy(&answer[..read.expect("reads")]).into_owned();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("did not arrive within 1 seconds"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(4));
    server.flush().await;
}

#[tokio::test]
async fn oversized_headers_get_431_and_long_paths_are_stored_cut() {
    let (server, address, _dir) = server_with(FETCH, Config::default()).await;
    let mut stream = connect(address).await;
    let huge = "v".repeat(500 * 1024);
    let head = format!("GET /hello HTTP/1.1\r\nhost: demo.localhost\r\nx-huge: {huge}\r\n\r\n");
    let _ = stream.write_all(head.as_bytes()).await; // the server may close before it is all sent
    let answer = read_until_closed(&mut stream, Duration::from_secs(5)).await.unwrap_or_default();
    assert!(String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 431"), "{}", String::from_utf8_lossy(&answer));

    let long_path = format!("/{}", "p".repeat(60 * 1024));
    let (status, _) = get(address, &long_path).await;
    assert_eq!(status, 404);
    server.flush().await;
    let listed = server.editor("GET", "/404s", None).await.json();
    let key = listed[0]["key"].as_str().expect("a 404 key");
    assert!(key.len() < 3 * 1024, "the key keeps a cut path: {} bytes", key.len());
    assert!(key.ends_with('…'), "{key}");
}

// ----------------------------------------------------------------------- budgets

#[tokio::test]
async fn one_canvas_waiting_on_a_black_hole_cannot_starve_another() {
    let hole = black_hole().await;
    let config = Config {
        outbound: loopback_allowed(),
        budgets: BudgetLimits { runs_per_canvas: 5, run_wait: Duration::from_millis(300), ..BudgetLimits::default() },
        ..Config::default()
    };
    let (server, address, _dir) = server_with(FETCH, config).await;
    let other = server.state.ensure_canvas("other").await.expect("a second canvas");
    gloam_runtime::app::changes::push(
        &server.state,
        &other,
        [("main.gloam".to_string(), "handler GET /ok =\n  Http.text(\"fine\", 200)".to_string())].into(),
    )
    .await
    .expect("pushed");

    let path = format!("/@demo/fetch?url=http://{hole}/");
    let stuck: Vec<_> = (0..10).map(|_| tokio::spawn(get(address, path.clone()))).collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let started = Instant::now();
    assert_eq!(get(address, "/@other/ok").await, (200, "fine".to_string()));
    assert!(started.elapsed() < Duration::from_secs(2), "the other canvas waited {:?}", started.elapsed());
    let mut busy = 0;
    for request in stuck {
        let (status, body) = request.await.expect("joined");
        if status == 503 {
            assert!(body.contains("runs in flight, its limit"), "{body}");
            busy += 1;
        }
    }
    assert_eq!(busy, 5, "five runs in flight, five refused");
}

#[tokio::test]
async fn outbound_calls_in_flight_are_capped_per_canvas() {
    let hole = black_hole().await;
    let config = Config {
        outbound: loopback_allowed(),
        outbound_timeout: Duration::from_secs(2),
        budgets: BudgetLimits { outbound_per_canvas: 3, ..BudgetLimits::default() },
        ..Config::default()
    };
    let (_server, address, _dir) = server_with(FETCH, config).await;
    let path = format!("/fetch?url=http://{hole}/");
    let calls: Vec<_> = (0..6).map(|_| tokio::spawn(get(address, path.clone()))).collect();
    let mut refused = 0;
    for call in calls {
        let (_, body) = call.await.expect("joined");
        refused += usize::from(body.contains("outbound calls in flight, its limit"));
    }
    assert_eq!(refused, 3, "three calls in flight, three refused");
}

#[tokio::test]
async fn a_run_stops_waiting_once_its_client_has_gone() {
    let hole = black_hole().await;
    let config = Config {
        outbound: loopback_allowed(),
        outbound_timeout: Duration::from_secs(30),
        budgets: BudgetLimits { client_gone_grace: Duration::from_millis(200), ..BudgetLimits::default() },
        ..Config::default()
    };
    let (server, address, _dir) = server_with(FETCH, config).await;
    let mut stream = connect(address).await;
    let head = format!("GET /fetch?url=http://{hole}/ HTTP/1.1\r\nhost: demo.localhost\r\n\r\n");
    stream.write_all(head.as_bytes()).await.expect("writes");
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(stream); // the client goes away
    let started = Instant::now();
    loop {
        server.flush().await;
        let traces = server.editor("GET", "/traces?key=GET%20/fetch", None).await.json();
        if let Some(trace) = traces.get(0) {
            let id = trace["id"].as_str().expect("id");
            let trace = server.editor("GET", &format!("/traces/{id}"), None).await.json();
            assert!(trace["error"].as_str().is_some_and(|e| e.contains("the client went away")), "{trace}");
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "the run still waits on its upstream");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

const FAN_OUT: &str = r#"
type Tick = { n: Int }

worker fan(tick: Tick) =
  Queue.emit(fan, { tick with n: tick.n + 1 })
  Queue.emit(fan, { tick with n: tick.n + 1 })

handler POST /fan =
  Queue.emit(fan, Tick { n: 0 })
  Http.text("fanning", 202)
"#;

#[tokio::test]
async fn fan_out_through_workers_stops_at_the_events_per_request_budget() {
    let config =
        Config { budgets: BudgetLimits { events_per_request: 40, ..BudgetLimits::default() }, ..Config::default() };
    let (server, address, _dir) = server_with(FAN_OUT, config).await;
    let response = reqwest::Client::new().post(format!("http://{address}/fan")).send().await.expect("answered");
    assert_eq!(response.status(), 202);
    // Before: 2^16 worker runs from one request. Now: at most 40 events.
    let mut last = usize::MAX;
    for _ in 0..200 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        server.flush().await;
        let count = server.editor("GET", "/traces?key=WORKER%20fan&limit=1000", None).await.json();
        let count = count.as_array().map_or(0, Vec::len);
        if count == last {
            break;
        }
        last = count;
    }
    let traces = server.editor("GET", "/traces?key=WORKER%20fan&limit=1000", None).await.json();
    assert!((1..=40).contains(&last), "{last} worker runs: {traces}");
    let refused = traces.as_array().expect("list").iter().filter_map(|trace| trace["error"].as_str()).find(|error| {
        error.contains("Queue.emit failed: the request that started this run has caused 40 events already")
    });
    assert!(refused.is_some(), "{traces}");
    assert_eq!(server.state.canvas("demo").expect("canvas").budget.queued_events(), 0, "every place given back");
}

// ------------------------------------------------------------------------- SSRF

#[tokio::test]
async fn handlers_cannot_reach_private_addresses_or_the_server_itself() {
    let upstream = black_hole().await;
    let (server, address, _dir) = server_with(FETCH, Config::default()).await;
    for target in [
        format!("http://{upstream}/"),
        format!("http://localhost:{}/", upstream.port()),
        "http://169.254.169.254/latest/meta-data/".to_string(),
        "http://[::1]:9/".to_string(),
        "http://10.0.0.1/".to_string(),
        format!("http://{address}/_gloam/metrics"),
    ] {
        let (status, body) = get(address, &format!("/fetch?url={target}")).await;
        assert_eq!(status, 502, "{target}: {body}");
        assert!(body.contains("refused:") && body.contains("handlers may not reach"), "{target}: {body}");
    }
    // The refusal is in the trace, as the call's result.
    server.flush().await;
    let newest = server.newest_trace("GET /fetch").await;
    let trace = server.editor("GET", &format!("/traces/{}", newest["id"].as_str().expect("id")), None).await.json();
    assert!(trace.to_string().contains("handlers may not reach"), "{trace}");
}

#[tokio::test]
async fn an_allowed_host_is_reached_but_never_the_servers_own_port() {
    let upstream = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let upstream_address = upstream.local_addr().expect("address");
    let app = axum::Router::new().route("/", axum::routing::get(|| async { "upstream" }));
    tokio::spawn(async move { axum::serve(upstream, app).await.expect("serves") });
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("gloam.db").display());
    // The port is known before the server starts, as `gloam serve` knows it.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let own = listener.local_addr().expect("address");
    drop(listener);
    let config = Config {
        outbound: OutboundPolicy {
            allowed: vec!["127.0.0.1".parse().expect("host"), "localhost".parse().expect("host")],
            own_port: Some(own.port()),
        },
        ..Config::default()
    };
    let server = TestServer::open(&url, FETCH, config).await;
    let listener = tokio::net::TcpListener::bind(own).await.expect("the same port");
    tokio::spawn(gloam_runtime::server::listen::serve(
        listener,
        server.app.clone(),
        server.state.clone(),
        ConnectionLimits::default(),
    ));
    let (_, body) = get(own, &format!("/fetch?url=http://{upstream_address}/")).await;
    assert_eq!(body, "got 200");
    for target in [format!("http://{own}/hello"), format!("http://localhost:{}/hello", own.port())] {
        let (status, body) = get(own, &format!("/fetch?url={target}")).await;
        assert_eq!(status, 502, "{body}");
        assert!(body.contains("this server's own address"), "{target}: {body}");
    }
}

#[tokio::test]
async fn a_redirect_to_a_private_address_is_refused() {
    let private = black_hole().await;
    let redirector = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let redirector_address = redirector.local_addr().expect("address");
    let location = format!("http://{private}/");
    let app = axum::Router::new()
        .route("/", axum::routing::get(move || async move { axum::response::Redirect::temporary(&location) }));
    tokio::spawn(async move { axum::serve(redirector, app).await.expect("serves") });
    let allowed = format!("127.0.0.1:{}", redirector_address.port());
    let config = Config {
        outbound: OutboundPolicy { allowed: vec![allowed.parse().expect("host")], own_port: None },
        outbound_timeout: Duration::from_secs(5),
        ..Config::default()
    };
    let (_server, address, _dir) = server_with(FETCH, config).await;
    let (status, body) = get(address, &format!("/fetch?url=http://{redirector_address}/")).await;
    assert_eq!(status, 502, "{body}");
    assert!(body.contains("handlers may not reach"), "{body}");
}

#[tokio::test]
async fn a_canvas_allow_list_set_through_the_api_opens_one_host() {
    let upstream = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let upstream_address = upstream.local_addr().expect("address");
    let app = axum::Router::new().route("/", axum::routing::get(|| async { "upstream" }));
    tokio::spawn(async move { axum::serve(upstream, app).await.expect("serves") });
    let (server, address, _dir) = server_with(FETCH, Config::default()).await;
    let fetch = format!("/fetch?url=http://{upstream_address}/");
    assert_eq!(get(address, &fetch).await.0, 502, "refused before the canvas allows it");
    let bad = server.editor("PUT", "/outbound", Some(serde_json::json!({ "allow": ["a/b"] }))).await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    let allow = format!("127.0.0.1:{}", upstream_address.port());
    let set = server.editor("PUT", "/outbound", Some(serde_json::json!({ "allow": [allow] }))).await;
    assert_eq!(set.json()["allow"][0], allow.as_str(), "{}", set.body);
    assert_eq!(get(address, &fetch).await, (200, "got 200".to_string()));
    // Another port of the same address stays closed.
    let other = black_hole().await;
    assert_eq!(get(address, format!("/fetch?url=http://{other}/")).await.0, 502);
}

#[tokio::test]
async fn sigterm_stops_the_server_although_an_event_stream_and_a_half_sent_request_are_open() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut server = support::binary::Server::start(
        &dir.path().join("gloam.db"),
        &["--load", "examples/hello", "--shutdown-grace", "2"],
    );
    let events = reqwest::Client::new()
        .get(format!("{}/_gloam/api/canvases/hello/events", server.address))
        .bearer_auth(server.token("hello"))
        .send()
        .await
        .expect("the event stream opens");
    assert_eq!(events.status(), 200);
    let address: SocketAddr = server.address.trim_start_matches("http://").parse().expect("an address");
    let mut half = connect(address).await;
    half.write_all(b"POST /x HTTP/1.1\r\nhost: hello.localhost\r\ncontent-length: 100\r\n\r\nabc")
        .await
        .expect("writes");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    // Before: the process never exited while either was open.
    let status = server.terminate(Duration::from_secs(15)).expect("exited");
    assert!(status.success(), "{status}");
    assert!(started.elapsed() < Duration::from_secs(8), "stopping took {:?}", started.elapsed());
    drop(events);
}

// ------------------------------------------------------------------ rate limits

#[tokio::test]
async fn a_client_over_its_request_rate_gets_429_and_a_trace() {
    let config =
        Config { rates: RateLimits { per_client: NonZeroU32::new(5), ..RateLimits::default() }, ..Config::default() };
    let (server, address, _dir) = server_with(FETCH, config).await;
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(get(address, "/hello").await.0);
    }
    assert_eq!(statuses.iter().filter(|status| **status == 200).count(), 5, "{statuses:?}");
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    let newest = server.newest_trace("GET /hello").await;
    assert_eq!(newest["status"], 429, "{newest}");
}

#[tokio::test]
async fn guessing_tokens_is_stopped_and_unknown_canvases_look_like_wrong_tokens() {
    let (server, address, _dir) = server_with(FETCH, Config::default()).await;
    let client = reqwest::Client::new();
    let ask = |canvas: &str, token: &str| {
        client.get(format!("http://{address}/_gloam/api/canvases/{canvas}/toplevels")).bearer_auth(token).send()
    };
    let unknown = ask("nope", "x").await.expect("answered");
    let (unknown_status, unknown_body) = (unknown.status(), unknown.text().await.expect("body"));
    let wrong = ask("demo", "x").await.expect("answered");
    assert_eq!((unknown_status, wrong.status().as_u16()), (reqwest::StatusCode::UNAUTHORIZED, 401));
    assert_eq!(unknown_body.replace("nope", "NAME"), wrong.text().await.expect("body").replace("demo", "NAME"));
    let traffic = get(address, "/@nope/x").await.1;
    assert!(!traffic.contains("demo"), "the 404 of an unknown canvas lists no canvases: {traffic}");

    let allowance = RateLimits::default().auth_failures_per_minute.get();
    for _ in 2..allowance {
        assert_eq!(ask("demo", "guess").await.expect("answered").status(), 401);
    }
    let limited = ask("demo", "guess").await.expect("answered");
    assert_eq!(limited.status(), 429);
    // Even the right token learns nothing now.
    assert_eq!(ask("demo", &server.token).await.expect("answered").status(), 429);
}

#[tokio::test]
async fn the_reserved_prefix_cannot_be_reached_percent_encoded() {
    let code = format!("{FETCH}\nhandler GET /_gloam/metrics =\n  Http.text(\"user handler\", 200)\n");
    let (_server, address, _dir) = server_with(&code, Config::default()).await;
    for path in ["/@demo/%5fgloam/metrics", "/@demo/%5Fgloam/metrics", "/%5fgloam/metrics"] {
        let (status, body) = get(address, path).await;
        assert!(!body.contains("user handler"), "{path} reached a user handler");
        assert_eq!(status, 404, "{path}: {body}");
    }
}

// -------------------------------------------------------------- 404s and memory

#[tokio::test]
async fn a_404_flood_stores_only_a_prefix_of_each_body() {
    let (server, address, _dir) = server_with(FETCH, Config::default()).await;
    let client = reqwest::Client::new();
    let body = "b".repeat(1024 * 1024 - 1);
    for n in 0..5 {
        let response =
            client.post(format!("http://{address}/random/{n}")).body(body.clone()).send().await.expect("answered");
        assert_eq!(response.status(), 404);
    }
    server.flush().await;
    let traces = server.editor("GET", "/traces?key=404%20POST%20/random/3", None).await.json();
    let id = traces[0]["id"].as_str().expect("a 404 trace");
    let trace = server.editor("GET", &format!("/traces/{id}"), None).await.json();
    let stored = trace["request"]["body"].as_str().expect("a body").len();
    assert!(stored <= 64 * 1024, "{stored} bytes of a 404 body stored");
    assert_eq!(trace["request"]["body_truncated"], true);
}

#[tokio::test]
async fn concurrent_memory_bombs_share_the_servers_memory_budget() {
    const BOMB: &str = "handler GET /bomb =\n  let big = List.range(0, 3000000) |> List.map(\\i -> Int.toString(i))\n  Http.text(Int.toString(List.length(big)), 200)";
    let config =
        Config { max_memory_bytes: 256 * 1024 * 1024, total_memory_bytes: 300 * 1024 * 1024, ..Config::default() };
    let (_server, address, _dir) = server_with(BOMB, config).await;
    let bombs: Vec<_> = (0..4).map(|_| tokio::spawn(get(address, "/bomb"))).collect();
    let mut refused = 0;
    for bomb in bombs {
        let (status, body) = bomb.await.expect("joined");
        if status == 500 {
            assert!(
                body.contains("memory for runs is all in use") || body.contains("memory limit of 256 MiB"),
                "{body}"
            );
            refused += usize::from(body.contains("memory for runs is all in use"));
        }
    }
    assert!(refused >= 1, "four bombs of ~200 MiB fit in 300 MiB?");
}

#[tokio::test]
async fn a_canvas_whose_code_is_slow_to_load_answers_503_then_serves() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("gloam.db").display());
    {
        let server = TestServer::open(&url, FETCH, Config::default()).await;
        server.state.store.close().await;
    }
    let store = gloam_trace_store::Store::open(&url).await.expect("reopens");
    let config = Config { load_timeout: Duration::ZERO, ..Config::default() };
    let state = gloam_runtime::app::AppState::open(store, config).await.expect("starts at once");
    let canvas = state.canvas("demo").expect("registered while loading");
    for _ in 0..500 {
        if canvas.unavailable.load().is_none() && canvas.code().sources().next().is_some() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the canvas never finished loading");
}
