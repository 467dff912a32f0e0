//! `gloam-bench`: Gloam measured against its baselines — bare axum, the
//! interpreter, native Rust, the goals of BENCHMARKS.md — in one run on one
//! machine, every figure next to its baseline as a ratio.
//!
//! `cargo xtask bench [--quick]` builds it (release; `--quick` a debug build
//! that checks the harness works, not the numbers) and runs:
//!
//! - `gloam-bench run --gloam PATH [--quick] [--only in-process] [--output FILE]`:
//!   every measurement (or only those without HTTP), printed and written to
//!   FILE as a Markdown table;
//! - `gloam-bench baseline`: the bare axum server (started by `run`).
//!
//! On a machine with two cores or more, servers run on core 0 and everything
//! else (this process, the load generators) on core 1, so load and service
//! never compete for a core.

mod baseline;
mod cores;
mod editing;
mod in_process;
mod ingest;
mod load;
mod plan;
mod report;
mod scenarios;
mod servers;

use anyhow::{Context, bail};
use std::path::PathBuf;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("baseline") => baseline::serve(),
        Some("run") => {
            let mut gloam = None;
            let mut output = None;
            let mut quick = false;
            let mut only_in_process = false;
            let mut rest = args[1..].iter();
            while let Some(arg) = rest.next() {
                match arg.as_str() {
                    "--quick" => quick = true,
                    "--gloam" => gloam = rest.next().map(PathBuf::from),
                    "--output" => output = rest.next().map(PathBuf::from),
                    "--only" if rest.next().is_some_and(|only| only == "in-process") => only_in_process = true,
                    other => bail!("unknown argument {other}"),
                }
            }
            let gloam = gloam.context("give the gloam binary to measure with --gloam PATH")?;
            let plan = plan::Plan { only_in_process, ..if quick { plan::Plan::quick() } else { plan::Plan::full() } };
            let output = output.unwrap_or_else(|| PathBuf::from(format!("target/bench/{}.md", plan.name)));
            scenarios::run_all(&plan, &gloam, &output)
        }
        _ => {
            eprintln!(
                "usage: gloam-bench run --gloam PATH [--quick] [--only in-process] [--output FILE] | gloam-bench baseline"
            );
            std::process::exit(2);
        }
    }
}
