//! Shared by the build scripts that build a crate of this workspace for
//! wasm32 (`runtime/build.rs`: the guest; `canvas-ui/assets/build.rs`: the
//! canvas UI), included with `#[path]`. Each build is a separate cargo
//! invocation with its own target directory, `<target>/wasm32`, so it never
//! waits on the outer build's lock.

use std::path::{Path, PathBuf};
use std::process::Command;

pub const TARGET: &str = "wasm32-unknown-unknown";

/// `<target>/wasm32`, where `<target>` is the outer build's target directory.
pub fn wasm_target_dir(workspace: &Path) -> PathBuf {
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    // OUT_DIR is <target>/<profile>/build/<crate>-<hash>/out.
    let target_dir = out_dir.ancestors().nth(4).map(Path::to_path_buf).unwrap_or_else(|| workspace.join("target"));
    target_dir.join("wasm32")
}

/// Builds one package's library for wasm32 with the given profile into
/// `wasm_target` and returns the path of its `.wasm`.
pub fn build(workspace: &Path, wasm_target: &Path, package: &str, profile: &str) -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(workspace)
        .args(["build", "--package", package, "--lib", "--target", TARGET, "--profile", profile, "--target-dir"])
        .arg(wasm_target)
        // The outer build's flags and wrappers (clippy, coverage) are for the host.
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTFLAGS")
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .env_remove("RUSTC_WRAPPER")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET")
        .status()
        .expect("cargo can be started");
    if !status.success() {
        panic!(
            "building {package} for {TARGET} failed. If the target is missing, run `rustup target add {TARGET}` \
             (`cargo xtask run` and `cargo xtask test` do this for you)."
        );
    }
    wasm_target.join(TARGET).join(profile).join(format!("{}.wasm", package.replace('-', "_")))
}
