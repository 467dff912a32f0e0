//! How long and how hard each measurement runs: the full run (under ten
//! minutes on two cores) and the quick smoke check CI runs.

use std::time::Duration;

pub struct Plan {
    pub name: &'static str,
    /// wrk's duration and connections for hello and JSON.
    pub load: Duration,
    pub connections: u32,
    /// End-to-end fizzbuzz (the issue's `wrk -c100 -d5s`).
    pub fizz_load: Duration,
    pub fizz_connections: u32,
    /// fizzboom with I/O: the issue's `wrk -c500 -d30s`, the upstream's delay.
    pub boom_load: Duration,
    pub boom_connections: u32,
    pub upstream_delay: Duration,
    /// The fixed-rate latency run (half of bare axum's maximum).
    pub fixed_rate: Duration,
    /// Saves timed from the editor API to the first request they serve.
    pub edits: usize,
    /// Live-values analyses of the 50-line handler.
    pub analyses: usize,
    /// In-process runs of fizzbuzz per engine, for N = 100 and N = 10,000.
    pub rounds_small: usize,
    pub rounds_large: usize,
    /// Traces written straight to each store.
    pub ingest_traces: usize,
    /// Distinct 404 keys a scanner makes before the 404 list is timed.
    pub not_found_keys: usize,
    /// Handlers of the canvas the memory figure loads.
    pub handlers: usize,
    /// Only the in-process figures (`--only in-process`): a quick look at
    /// the engines while changing them.
    pub only_in_process: bool,
}

impl Plan {
    pub fn full() -> Plan {
        Plan {
            name: "full",
            load: Duration::from_secs(10),
            connections: 64,
            fizz_load: Duration::from_secs(5),
            fizz_connections: 100,
            boom_load: Duration::from_secs(30),
            boom_connections: 500,
            upstream_delay: Duration::from_secs(1),
            fixed_rate: Duration::from_secs(10),
            edits: 100,
            analyses: 200,
            rounds_small: 2_000,
            rounds_large: 100,
            ingest_traces: 50_000,
            not_found_keys: 100_000,
            handlers: 1_000,
            only_in_process: false,
        }
    }

    /// Every measurement, briefly: whether the harness works, not the numbers.
    pub fn quick() -> Plan {
        Plan {
            name: "quick",
            load: Duration::from_secs(1),
            connections: 16,
            fizz_load: Duration::from_secs(1),
            fizz_connections: 16,
            boom_load: Duration::from_secs(2),
            boom_connections: 20,
            upstream_delay: Duration::from_millis(50),
            fixed_rate: Duration::from_secs(1),
            edits: 10,
            analyses: 10,
            rounds_small: 20,
            rounds_large: 3,
            ingest_traces: 1_000,
            not_found_keys: 2_000,
            handlers: 50,
            only_in_process: false,
        }
    }

    pub fn is_quick(&self) -> bool {
        self.name == "quick"
    }
}
