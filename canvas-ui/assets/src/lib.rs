//! The canvas UI's files, built by this crate's `build.rs` (the UI compiled
//! to wasm32 with the `canvas-ui` profile, then wasm-bindgen) and embedded:
//! `gloam serve` alone serves them. A crate of its own so that only changes
//! to the UI, its static files or `gloam-api` rebuild it — not the language
//! or the interpreter, which the `gloam` binary's own build script watches.

/// Every file of the UI by its path relative to the UI's root (`index.html`,
/// `canvas.js`, `canvas_bg.wasm`, …) and its bytes.
pub static CANVAS_UI_ASSETS: &[(&str, &[u8])] = include!(concat!(env!("OUT_DIR"), "/canvas_ui_assets.rs"));
