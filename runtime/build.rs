//! Builds the sandbox's runtime module (`runtime/guest`, crate `gloam-guest`)
//! for `wasm32-unknown-unknown` and hands its path to the crate as
//! `GLOAM_GUEST_WASM`. It is a separate cargo invocation with its own target
//! directory (`<target>/guest`), so it never waits on the outer build's lock.

use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-unknown-unknown";

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let workspace = manifest_dir.parent().expect("runtime/ is inside the workspace").to_path_buf();
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    // OUT_DIR is <target>/<profile>/build/<crate>-<hash>/out.
    let target_dir = out_dir.ancestors().nth(4).map(Path::to_path_buf).unwrap_or_else(|| workspace.join("target"));
    let guest_target = target_dir.join("guest");

    for watched in ["runtime/guest", "interpreter/src", "language/src", "Cargo.toml", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={}", workspace.join(watched).display());
    }

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(&workspace)
        .args(["build", "--package", "gloam-guest", "--lib", "--target", TARGET, "--profile", "guest", "--target-dir"])
        .arg(&guest_target)
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
            "building the sandbox runtime (runtime/guest) for {TARGET} failed. If the target is missing, \
             run `rustup target add {TARGET}` (`cargo xtask run` and `cargo xtask test` do this for you)."
        );
    }
    let wasm = guest_target.join(TARGET).join("guest").join("gloam_guest.wasm");
    println!("cargo:rustc-env=GLOAM_GUEST_WASM={}", wasm.display());
}
