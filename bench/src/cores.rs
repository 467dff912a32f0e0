//! Which core runs what: servers on one, load generators and this process on
//! another (`taskset`), so a server's figures are not a share of a core it
//! fights its load generator for.

use std::process::Command;
use std::sync::OnceLock;

/// The core servers run on.
pub const SERVER: usize = 0;
/// The core load generators, the upstream and in-process measurements run on.
pub const LOAD: usize = 1;

/// The cores this process may use, read before it pins itself to one.
fn cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, usize::from))
}

/// Whether pinning is possible here: two cores or more and `taskset`.
pub fn pinning() -> bool {
    static PINNING: OnceLock<bool> = OnceLock::new();
    *PINNING.get_or_init(|| {
        let taskset = Command::new("taskset").arg("--version").output().is_ok_and(|out| out.status.success());
        cores() >= 2 && taskset
    })
}

/// A command for `program`, run on `core` when pinning is possible.
pub fn on_core(core: usize, program: &str) -> Command {
    if pinning() {
        let mut command = Command::new("taskset");
        command.args(["--cpu-list", &core.to_string(), program]);
        command
    } else {
        Command::new(program)
    }
}

/// Moves this process (all its threads) to the load core.
pub fn pin_self() -> anyhow::Result<()> {
    if !pinning() {
        return Ok(());
    }
    let pid = std::process::id().to_string();
    let status =
        Command::new("taskset").args(["--all-tasks", "--cpu-list", "--pid", &LOAD.to_string(), &pid]).output()?;
    anyhow::ensure!(
        status.status.success(),
        "taskset could not pin the harness: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    Ok(())
}

/// What the report says about where things ran.
pub fn describe() -> String {
    let cores = cores();
    if pinning() {
        format!(
            "{cores} cores; servers pinned to core {SERVER}, load generators and the harness to core {LOAD} (taskset)"
        )
    } else {
        format!("{cores} core(s); no pinning (it needs two cores and taskset), so load and servers share cores")
    }
}
