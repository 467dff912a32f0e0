//! The canvas: Gloam's browser IDE. A leptos app rendered in the browser,
//! served by `gloam serve` at `/_gloam/canvas/{canvas}`, talking to the
//! runtime only through the editor API (docs/api.md).
//!
//! - `api`: the editor API's answers and calls.
//! - `state`: the shared signals and the actions (save, replay, …).
//! - `app`: the page, sidebar, event stream and shortcuts.
//! - `editor`: the code editor with live values and diagnostics.
//! - `panels`: trace dots, request/response, replay, history, 404s, data, logs.
//! - `highlight`, `text`: pure helpers, unit-tested on the host.

pub mod api;
mod app;
mod editor;
pub mod highlight;
mod panels;
mod state;
pub mod text;

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
