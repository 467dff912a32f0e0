//! The servers under measurement, as separate processes on the server core:
//! `gloam serve` (the real binary) and the bare axum baseline.

use crate::cores;
use anyhow::{Context, bail};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};

/// The canvas the benchmark's `gloam serve` loads (bench/canvas).
pub const CANVAS: &str = "bench";

/// A running server, killed on drop.
pub struct Server {
    child: Child,
    /// `http://host:port`.
    pub base: String,
    /// The editor API token of the canvas (Gloam only).
    pub token: String,
}

impl Server {
    /// `gloam serve` with a fresh store, loading `canvas` as the canvas `bench`.
    pub fn gloam(binary: &Path, store: &str, canvas: &Path, extra: &[&str]) -> anyhow::Result<Server> {
        let mut command = cores::on_core(cores::SERVER, &binary.to_string_lossy());
        command.args(["serve", "--store", store, "--listen", "127.0.0.1:0", "--canvas", CANVAS, "--load"]);
        command.arg(canvas).args(extra);
        Server::start(command, "Gloam is serving on ")
    }

    /// The bare axum baseline: this program's `baseline` command.
    pub fn baseline() -> anyhow::Result<Server> {
        let program = std::env::current_exe().context("cannot find the harness's own binary")?;
        let mut command = cores::on_core(cores::SERVER, &program.to_string_lossy());
        command.arg("baseline");
        Server::start(command, crate::baseline::SERVING)
    }

    /// Starts the command and reads its address (after `serving`) and, from
    /// Gloam, the canvas token from what it prints.
    fn start(mut command: std::process::Command, serving: &str) -> anyhow::Result<Server> {
        let shown = format!("{command:?}");
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("cannot start {shown}"))?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let mut base = None;
        let mut token = None;
        for line in lines.by_ref() {
            let line = line?;
            if let Some(rest) = line.strip_prefix(serving) {
                base = rest.split_whitespace().next().map(String::from);
                if serving == crate::baseline::SERVING {
                    break;
                }
            }
            if let Some(exports) = line.trim().strip_prefix("for the CLI: export ") {
                token = exports.split_whitespace().find_map(|part| part.strip_prefix("GLOAM_TOKEN=")).map(String::from);
                break;
            }
        }
        // Keep reading so the server never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        let Some(base) = base else {
            let _ = child.kill();
            bail!("{shown} printed no address (it exited with {:?})", child.wait().ok());
        };
        Ok(Server { child, base, token: token.unwrap_or_default() })
    }

    /// The address of a user route of the bench canvas (Gloam serves it
    /// under `/@bench`; the baseline at the root).
    pub fn route(&self, path: &str) -> String {
        if self.token.is_empty() { format!("{}{path}", self.base) } else { format!("{}/@{CANVAS}{path}", self.base) }
    }

    /// The editor API address of the bench canvas.
    pub fn api(&self, path: &str) -> String {
        format!("{}/_gloam/api/canvases/{CANVAS}{path}", self.base)
    }

    /// Resident memory now, in MiB (`VmRSS` of /proc; `taskset` execs the server, so the pid is its own).
    pub fn resident_mib(&self) -> anyhow::Result<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        let kib: f64 = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.split_whitespace().next())
            .context("no VmRSS in /proc/PID/status")?
            .parse()?;
        Ok(kib / 1024.0)
    }

    /// A counter or gauge of Gloam's `/_gloam/metrics`, summed over its
    /// labels (counters of user traffic are per canvas).
    pub async fn metric(&self, client: &reqwest::Client, name: &str) -> anyhow::Result<u64> {
        let text = client.get(format!("{}/_gloam/metrics", self.base)).send().await?.text().await?;
        let values: Vec<&str> = text
            .lines()
            .filter_map(|line| line.strip_prefix(name))
            .filter(|rest| rest.starts_with([' ', '{']))
            .filter_map(|rest| rest.rsplit_once(' ').map(|(_, value)| value.trim()))
            .collect();
        if values.is_empty() && !text.contains(&format!("# TYPE {name} ")) {
            anyhow::bail!("no {name} in the metrics");
        }
        values.into_iter().try_fold(0, |sum, value| {
            Ok(sum + value.parse::<u64>().with_context(|| format!("{name} is not a number"))?)
        })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
