//! The load generators, run on the load core and read back: `wrk` (as much
//! load as the server takes) and `hey` (a fixed rate), both from Debian.

use crate::cores;
use anyhow::{Context, bail};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// What a load run measured.
#[derive(Debug, Clone, Copy, Default)]
pub struct Load {
    pub requests: u64,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Responses that were not 2xx/3xx, plus connect/read/write errors and timeouts.
    pub errors: u64,
}

/// A request to make: GET, or POST with a JSON body.
pub struct Target<'a> {
    pub url: &'a str,
    pub json_body: Option<&'a str>,
}

impl<'a> Target<'a> {
    pub fn get(url: &'a str) -> Target<'a> {
        Target { url, json_body: None }
    }
}

/// `wrk` with one thread: as many requests as `connections` keep-alive
/// connections get answered in `duration`.
pub fn wrk(target: &Target, connections: u32, duration: Duration, timeout: Duration) -> anyhow::Result<Load> {
    let script = tempfile::Builder::new().suffix(".lua").tempfile()?;
    let mut command = wrk_command(target, connections, duration, timeout, Some(script.path()))?;
    let output = command.output().context("cannot run wrk (cargo xtask bench installs it)")?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!("wrk failed: {}{}", text, String::from_utf8_lossy(&output.stderr));
    }
    parse_wrk(&text).with_context(|| format!("cannot read wrk's report:\n{text}"))
}

/// `wrk` GETting `url` in the background, for load while something else is
/// measured; kill it when done.
pub fn wrk_in_background(url: &str, connections: u32, duration: Duration) -> anyhow::Result<Child> {
    let mut command = wrk_command(&Target::get(url), connections, duration, Duration::from_secs(5), None)?;
    Ok(command.stdout(Stdio::null()).stderr(Stdio::null()).spawn()?)
}

fn wrk_command(
    target: &Target,
    connections: u32,
    duration: Duration,
    timeout: Duration,
    script: Option<&std::path::Path>,
) -> anyhow::Result<Command> {
    let mut command = cores::on_core(cores::LOAD, "wrk");
    command.args(["--threads", "1", "--latency"]);
    command.args(["--connections", &connections.to_string()]);
    command.args(["--duration", &format!("{}s", duration.as_secs().max(1))]);
    command.args(["--timeout", &format!("{}s", timeout.as_secs().max(1))]);
    if let (Some(body), Some(script)) = (target.json_body, script) {
        let lua = format!(
            "wrk.method = \"POST\"\nwrk.body = {}\nwrk.headers[\"Content-Type\"] = \"application/json\"\n",
            serde_json::to_string(body)?
        );
        std::fs::write(script, lua)?;
        command.arg("--script").arg(script);
    }
    command.arg(target.url);
    Ok(command)
}

/// A time as wrk prints it (`812.00us`, `1.23ms`, `2.00s`), in milliseconds.
fn wrk_millis(text: &str) -> Option<f64> {
    let (number, scale) = if let Some(n) = text.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = text.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix("m") {
        (n, 60_000.0)
    } else {
        (text.strip_suffix('s')?, 1000.0)
    };
    Some(number.parse::<f64>().ok()? * scale)
}

fn parse_wrk(text: &str) -> anyhow::Result<Load> {
    let mut load = Load::default();
    for line in text.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["50%", time] => load.p50_ms = wrk_millis(time).context("p50")?,
            ["99%", time] => load.p99_ms = wrk_millis(time).context("p99")?,
            [count, "requests", "in", ..] => load.requests = count.parse()?,
            ["Requests/sec:", rate] => load.per_second = rate.parse()?,
            ["Non-2xx", "or", "3xx", "responses:", count] => load.errors += count.parse::<u64>()?,
            ["Socket", "errors:", ..] => {
                // "Socket errors: connect 0, read 0, write 0, timeout 0"
                load.errors +=
                    words.iter().filter_map(|word| word.trim_end_matches(',').parse::<u64>().ok()).sum::<u64>();
            }
            _ => {}
        }
    }
    if load.requests == 0 && load.per_second == 0.0 {
        bail!("no requests were counted");
    }
    Ok(load)
}

/// `hey` at a fixed total rate: `connections` workers, each at its share.
pub fn hey_at_rate(url: &str, rate: f64, connections: u32, duration: Duration) -> anyhow::Result<Load> {
    let per_worker = (rate / f64::from(connections)).max(1.0);
    let output = cores::on_core(cores::LOAD, "hey")
        .args(["-z", &format!("{}s", duration.as_secs().max(1))])
        .args(["-c", &connections.to_string(), "-q", &format!("{per_worker:.0}")])
        .arg(url)
        .output()
        .context("cannot run hey (cargo xtask bench installs it)")?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!("hey failed: {}{}", text, String::from_utf8_lossy(&output.stderr));
    }
    parse_hey(&text).with_context(|| format!("cannot read hey's report:\n{text}"))
}

fn parse_hey(text: &str) -> anyhow::Result<Load> {
    let mut load = Load::default();
    let mut errors_follow = false;
    for line in text.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["Requests/sec:", rate] => load.per_second = rate.parse()?,
            ["50%", "in", seconds, "secs"] => load.p50_ms = seconds.parse::<f64>()? * 1000.0,
            ["99%", "in", seconds, "secs"] => load.p99_ms = seconds.parse::<f64>()? * 1000.0,
            ["Error", "distribution:"] => errors_follow = true,
            [status, count, "responses"] => {
                let count: u64 = count.parse()?;
                load.requests += count;
                if !status.starts_with("[2") && !status.starts_with("[3") {
                    load.errors += count;
                }
            }
            [count, ..] if errors_follow => {
                load.errors += count.trim_matches(|c| c == '[' || c == ']').parse::<u64>().unwrap_or(0);
            }
            _ => {}
        }
    }
    if load.requests == 0 {
        bail!("no responses were counted");
    }
    Ok(load)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_wrk_reports() {
        let report = "Running 1s test @ http://127.0.0.1:1/hello\n  1 threads and 16 connections\n  \
            Latency Distribution\n     50%  812.00us\n     75%    1.00ms\n     90%    1.20ms\n     99%    2.50ms\n  \
            20931 requests in 1.00s, 2.68MB read\n  Socket errors: connect 0, read 1, write 0, timeout 2\n  \
            Non-2xx or 3xx responses: 4\nRequests/sec:  20910.44\nTransfer/sec:      2.68MB\n";
        let load = parse_wrk(report).expect("a report");
        assert_eq!(load.requests, 20931);
        assert_eq!(load.errors, 7);
        assert!((load.p50_ms - 0.812).abs() < 1e-9 && (load.p99_ms - 2.5).abs() < 1e-9);
        assert!((load.per_second - 20910.44).abs() < 1e-9);
        assert!(parse_wrk("wrk: connection refused").is_err());
    }

    #[test]
    fn reads_hey_reports() {
        let report = "Summary:\n  Total:\t1.0012 secs\n  Requests/sec:\t999.3\n\nLatency distribution:\n  \
            10% in 0.0002 secs\n  50% in 0.0003 secs\n  99% in 0.0012 secs\n\nStatus code distribution:\n  \
            [200]\t995 responses\n  [500]\t5 responses\n\nError distribution:\n  [3]\tGet \"http://x\": EOF\n";
        let load = parse_hey(report).expect("a report");
        assert_eq!((load.requests, load.errors), (1000, 8));
        assert!((load.p50_ms - 0.3).abs() < 1e-9 && (load.p99_ms - 1.2).abs() < 1e-9);
    }
}
