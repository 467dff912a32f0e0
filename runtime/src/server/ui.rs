//! The canvas UI: the browser IDE (`canvas-ui/`), built to WebAssembly by
//! `gloam-canvas-assets` and embedded in the binary, so `gloam serve` alone serves it.
//!
//! ```text
//! /_gloam/canvas/{canvas}   the app's page for one canvas (token in the URL's #fragment)
//! /_gloam/ui/{file}         its script, module and style sheet
//! ```
//!
//! The app talks to the server only through the editor API.

use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use gloam_canvas_assets::CANVAS_UI_ASSETS;

pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/_gloam/canvas/{canvas}", get(|| async { asset("index.html") }))
        .route("/_gloam/ui/{*file}", get(|Path(file): Path<String>| async move { asset(&file) }))
}

/// The UI's address for one canvas; the token rides in the fragment, which
/// browsers never send to a server.
pub fn address(server: &str, canvas: &str, token: &str) -> String {
    format!("{server}/_gloam/canvas/{canvas}#token={token}")
}

fn asset(name: &str) -> Response {
    let Some((_, bytes)) = CANVAS_UI_ASSETS.iter().find(|(file, _)| *file == name) else {
        return (StatusCode::NOT_FOUND, format!("the canvas UI has no file {name}\n")).into_response();
    };
    let content_type = match name.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        _ => "application/octet-stream",
    };
    let headers = [
        (header::CONTENT_TYPE, content_type),
        // The files change with the binary; `no-cache` makes browsers revalidate.
        (header::CACHE_CONTROL, "no-cache"),
        // No other page may frame the canvas (and click its buttons for the user).
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::CONTENT_SECURITY_POLICY, "frame-ancestors 'none'"),
    ];
    (headers, *bytes).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_its_module_and_its_style_are_embedded() {
        for file in ["index.html", "canvas.js", "canvas_bg.wasm", "style.css"] {
            assert!(
                CANVAS_UI_ASSETS.iter().any(|(name, bytes)| *name == file && !bytes.is_empty()),
                "{file} is missing from the embedded canvas UI"
            );
        }
        assert_eq!(asset("nope.js").status(), StatusCode::NOT_FOUND);
        assert_eq!(asset("canvas_bg.wasm").headers()[header::CONTENT_TYPE], "application/wasm");
        assert_eq!(asset("index.html").headers()[header::X_FRAME_OPTIONS], "DENY");
    }
}
