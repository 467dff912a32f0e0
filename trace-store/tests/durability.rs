//! An acknowledged code edit survives `kill -9` of the process that made it
//! (SQLite; PostgreSQL's durability is the server's).
//!
//! The test runs its own binary again as a child that appends versions and
//! prints each id once `append_versions` has returned, kills the child with
//! SIGKILL mid-stream, and reopens the file.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use gloam_trace_store::{NewVersion, Store, VersionState};

const CHILD_ENV: &str = "GLOAM_DURABILITY_CHILD_URL";
const ACKS_BEFORE_KILL: usize = 25;

#[test]
fn acknowledged_edits_survive_kill_9() {
    if let Ok(url) = std::env::var(CHILD_ENV) {
        child(&url);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/store.db", dir.path().display());
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "acknowledged_edits_survive_kill_9", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, &url)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut acknowledged = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(id) = line.strip_prefix("acknowledged ") {
            acknowledged.push(id.parse::<i64>().unwrap());
            if acknowledged.len() == ACKS_BEFORE_KILL {
                child.kill().unwrap(); // SIGKILL
                break;
            }
        }
    }
    child.wait().unwrap();
    assert_eq!(acknowledged.len(), ACKS_BEFORE_KILL, "the child stopped early");

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let store = Store::open(&url).await.unwrap();
        for id in acknowledged {
            let version = store.version("c", id).await.unwrap();
            assert!(version.is_some(), "acknowledged version {id} was lost");
        }
        store.close().await;
    });
}

fn child(url: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        let store = Store::open(url).await.expect("child: open");
        store.create_canvas("c").await.expect("child: create canvas");
        // Bounded: the parent kills it long before the end.
        for i in 0..10_000 {
            let version = NewVersion {
                toplevel_id: None,
                source: format!("GET /{i} = \"{i}\""),
                state: VersionState::Live,
                key: Some(format!("GET /{i}")),
                kind: Some("handler".to_string()),
                file: "main.gloam".to_string(),
                diagnostics: serde_json::json!([]),
            };
            let latest = store.latest_version_id("c").await.expect("child: latest");
            let stored = store.append_versions("c", vec![version], latest).await.expect("child: append");
            println!("acknowledged {}", stored[0].id);
        }
    });
}
