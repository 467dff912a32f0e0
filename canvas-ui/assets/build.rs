//! Builds the canvas UI (`canvas-ui`, crate `gloam-canvas-ui`) for wasm32,
//! runs it through wasm-bindgen (the library the `wasm-bindgen` CLI is made
//! of, pinned to the UI's `wasm-bindgen` version), and lists it with its
//! static files in `$OUT_DIR/canvas_ui_assets.rs`.
//!
//! The wasm32 build goes to `<target>/wasm32` (shared with the guest that
//! `runtime/build.rs` builds), never waiting on the outer build's lock.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[path = "../../build-support/wasm32.rs"]
mod wasm32;

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let workspace = manifest_dir.ancestors().nth(2).expect("canvas-ui/assets/ is inside the workspace").to_path_buf();
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));

    // What the UI is made of: its sources, static files and manifest, the wire
    // types it shares with the server, and the workspace's dependency versions
    // and profiles. Not the language or the interpreter: the UI does not use them.
    for watched in [
        "canvas-ui/src",
        "canvas-ui/static",
        "canvas-ui/Cargo.toml",
        "api/src",
        "api/Cargo.toml",
        "Cargo.toml",
        "Cargo.lock",
    ] {
        println!("cargo:rerun-if-changed={}", workspace.join(watched).display());
    }

    let canvas_ui = wasm32::build(&workspace, &wasm32::wasm_target_dir(&workspace), "gloam-canvas-ui", "canvas-ui");
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

/// Writes the list `CANVAS_UI_ASSETS` is: every file under the given folders
/// by its path relative to its folder (later folders win).
fn write_asset_list(folders: &[&Path], list: &Path) {
    let mut files = std::collections::BTreeMap::new();
    for folder in folders {
        collect_files(folder, folder, &mut files);
    }
    let mut text = String::from("&[\n");
    for (name, path) in files {
        let _ = writeln!(text, "    ({name:?}, include_bytes!({:?})),", path.display().to_string());
    }
    text.push_str("]\n");
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
