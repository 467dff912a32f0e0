//! Builds the two WebAssembly halves of Gloam that the `gloam` binary embeds:
//!
//! - the sandbox's runtime module (`runtime/guest`, crate `gloam-guest`),
//!   whose path the crate gets as `GLOAM_GUEST_WASM`;
//! - the canvas UI (`canvas-ui`, crate `gloam-canvas-ui`), run through
//!   wasm-bindgen (the library the `wasm-bindgen` CLI is made of, pinned to the
//!   UI's `wasm-bindgen` version), listed with its static files in
//!   `$OUT_DIR/canvas_ui_assets.rs`.
//!
//! Each is a separate cargo invocation with its own target directory
//! (`<target>/wasm32`), so it never waits on the outer build's lock.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-unknown-unknown";

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let workspace = manifest_dir.parent().expect("runtime/ is inside the workspace").to_path_buf();
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    // OUT_DIR is <target>/<profile>/build/<crate>-<hash>/out.
    let target_dir = out_dir.ancestors().nth(4).map(Path::to_path_buf).unwrap_or_else(|| workspace.join("target"));
    let wasm_target = target_dir.join("wasm32");

    for watched in ["runtime/guest", "interpreter/src", "language/src", "canvas-ui", "Cargo.toml", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={}", workspace.join(watched).display());
    }

    let guest = build_for_wasm(&workspace, &wasm_target, "gloam-guest", "guest");
    println!("cargo:rustc-env=GLOAM_GUEST_WASM={}", guest.display());

    let canvas_ui = build_for_wasm(&workspace, &wasm_target, "gloam-canvas-ui", "canvas-ui");
    let bindgen_out = out_dir.join("canvas-ui");
    let _ = std::fs::remove_dir_all(&bindgen_out);
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(&canvas_ui)
        .out_name("canvas")
        .web(true)
        .expect("wasm-bindgen knows the `web` output")
        .typescript(false)
        .generate(&bindgen_out)
        .unwrap_or_else(|error| panic!("wasm-bindgen could not process {}: {error:#}", canvas_ui.display()));
    write_asset_list(&[&workspace.join("canvas-ui/static"), &bindgen_out], &out_dir.join("canvas_ui_assets.rs"));
}

/// Builds one package's library for wasm32 with the given profile and
/// returns the path of its `.wasm`.
fn build_for_wasm(workspace: &Path, wasm_target: &Path, package: &str, profile: &str) -> PathBuf {
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

/// Writes `CANVAS_UI_ASSETS: &[(&str, &[u8])]`: every file under the given
/// folders by its path relative to its folder (later folders win).
fn write_asset_list(folders: &[&Path], list: &Path) {
    let mut files = std::collections::BTreeMap::new();
    for folder in folders {
        collect_files(folder, folder, &mut files);
    }
    let mut text = String::from("pub static CANVAS_UI_ASSETS: &[(&str, &[u8])] = &[\n");
    for (name, path) in files {
        let _ = writeln!(text, "    ({name:?}, include_bytes!({:?})),", path.display().to_string());
    }
    text.push_str("];\n");
    std::fs::write(list, text).expect("OUT_DIR is writable");
}

fn collect_files(root: &Path, folder: &Path, files: &mut std::collections::BTreeMap<String, PathBuf>) {
    let entries = std::fs::read_dir(folder).unwrap_or_else(|error| panic!("cannot read {}: {error}", folder.display()));
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_files(root, &path, files);
        } else if let Ok(relative) = path.strip_prefix(root) {
            files.insert(relative.to_string_lossy().replace('\\', "/"), path);
        }
    }
}
