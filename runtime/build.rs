//! Builds the sandbox's runtime module (`runtime/guest`, crate `gloam-guest`)
//! for wasm32 into `<target>/wasm32`, with the `guest` profile; the crate gets
//! its path as `GLOAM_GUEST_WASM`. The canvas UI is built by its own crate,
//! `gloam-canvas-assets`, so a change to the language or the interpreter does
//! not rebuild it.

use std::path::PathBuf;

#[path = "../build-support/wasm32.rs"]
mod wasm32;

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let workspace = manifest_dir.parent().expect("runtime/ is inside the workspace").to_path_buf();
    for watched in ["runtime/guest", "interpreter/src", "language/src", "Cargo.toml", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={}", workspace.join(watched).display());
    }
    let guest = wasm32::build(&workspace, &wasm32::wasm_target_dir(&workspace), "gloam-guest", "guest");
    println!("cargo:rustc-env=GLOAM_GUEST_WASM={}", guest.display());
}
