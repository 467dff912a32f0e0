//! §6: how many traces per second each store absorbs through the server's
//! own batching writer, with nothing else running; and what reading the 404
//! list costs once a scanner has made many keys.

use crate::report::quantile;
use gloam_runtime::effects::clock::now_ms;
use gloam_trace_store::{
    Retention, Share, Store, Trace, TraceBudget, TraceKey, TraceRequest, TraceResponse, TraceWriter, WriterConfig,
};
use std::time::{Duration, Instant};

/// Fresh SQLite files and PostgreSQL databases: the store's test harness.
#[allow(dead_code)] // the harness also serves the store's tests; this uses part of it
#[path = "../../trace-store/tests/harness/mod.rs"]
mod harness;

/// Traces per second into a fresh SQLite store.
pub async fn sqlite(traces: usize) -> anyhow::Result<f64> {
    let db = harness::sqlite_db();
    rate(&db.url, traces).await
}

/// Traces per second into a fresh PostgreSQL database, or `None` (after
/// saying why) when no server is reachable.
pub async fn postgres(traces: usize) -> anyhow::Result<Option<f64>> {
    let Some(db) = harness::postgres_db().await else { return Ok(None) };
    let rate = rate(&db.url, traces).await;
    db.drop_database().await;
    rate.map(Some)
}

/// A fresh PostgreSQL database for a server to use, dropped with the guard.
pub async fn postgres_store() -> Option<PostgresStore> {
    harness::postgres_db().await.map(PostgresStore)
}

pub struct PostgresStore(harness::PostgresDb);

impl PostgresStore {
    pub fn url(&self) -> &str {
        &self.0.url
    }

    pub async fn drop_database(self) {
        self.0.drop_database().await;
    }
}

/// Queues `traces` hello traces at once (the queue holds them all: nothing
/// is dropped) and times until the writer has stored every one.
async fn rate(url: &str, traces: usize) -> anyhow::Result<f64> {
    let store = Store::open(url).await?;
    store.create_canvas("bench").await?;
    // One canvas may fill the whole queue here: nothing else is writing.
    let config = WriterConfig { capacity: traces, canvas_share: Share(100), ..WriterConfig::default() };
    let writer = TraceWriter::spawn(store.clone(), config);
    let all: Vec<Trace> = (0..traces).map(|_| hello_trace()).collect();
    let started = Instant::now();
    for trace in all {
        anyhow::ensure!(writer.submit(trace), "the writer refused a trace");
    }
    writer.flush().await;
    let seconds = started.elapsed().as_secs_f64();
    let stats = writer.stats();
    anyhow::ensure!(stats.written == traces as u64, "{} of {traces} traces were written ({stats:?})", stats.written);
    store.close().await;
    Ok(traces as f64 / seconds)
}

/// Traces stored per write while filling the 404 list.
const NOT_FOUND_TRACES_PER_WRITE: usize = 10_000;

/// The median time of `rounds` reads of the 404 list on SQLite: of a canvas
/// whose scanner made `keys` distinct 404 keys, and of one with 100.
pub async fn not_found_list(keys: usize, rounds: usize) -> anyhow::Result<(Duration, Duration)> {
    let db = harness::sqlite_db();
    let store = Store::open(&db.url).await?;
    for (canvas, count) in [("many", keys), ("few", 100)] {
        let scan: Vec<Trace> = (0..count)
            .map(|i| {
                let mut trace = hello_trace();
                trace.canvas = canvas.into();
                trace.request.path = format!("/scan/{i}");
                trace.handler_key =
                    TraceKey::NotFound { method: "GET".into(), path: trace.request.path.clone() }.to_string();
                trace
            })
            .collect();
        for batch in scan.chunks(NOT_FOUND_TRACES_PER_WRITE) {
            store.write_traces(batch, &[], Retention::default(), TraceBudget::default(), now_ms()).await?;
        }
    }
    let times = |canvas: &'static str| {
        let store = store.clone();
        async move {
            let mut times = Vec::with_capacity(rounds);
            for _ in 0..rounds.max(1) {
                let started = Instant::now();
                store.not_found_list(canvas).await?;
                times.push(started.elapsed());
            }
            anyhow::Ok(quantile(&times, 0.5))
        }
    };
    let many = times("many").await?;
    let few = times("few").await?;
    store.close().await;
    Ok((many, few))
}

/// What `GET /hello/Ada` from wrk leaves in the store.
fn hello_trace() -> Trace {
    Trace {
        id: uuid::Uuid::now_v7().to_string(),
        canvas: "bench".into(),
        handler_key: "GET /hello/:name".into(),
        received_at_ms: now_ms(),
        code_version: 1,
        request: TraceRequest {
            method: "GET".into(),
            path: "/hello/Ada".into(),
            headers: vec![("host".into(), "127.0.0.1:8000".into())],
            ..TraceRequest::default()
        },
        response: TraceResponse {
            status: 200,
            headers: vec![("content-type".into(), "text/plain; charset=utf-8".into())],
            body: "Hello, Ada.".into(),
        },
        duration_us: 40,
        effects: Vec::new(),
        logs: Vec::new(),
        error: None,
    }
}
