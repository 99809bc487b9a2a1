//! Static assets embedded in the binary: our CSS and script, and the vendored htmx.

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

/// (file name, content type, bytes)
const ASSETS: &[(&str, &str, &[u8])] = &[
    ("app.css", "text/css; charset=utf-8", include_bytes!("../../../assets/app.css")),
    ("app.js", "text/javascript; charset=utf-8", include_bytes!("../../../assets/app.js")),
    ("editor.js", "text/javascript; charset=utf-8", include_bytes!("../../../assets/editor.js")),
    ("htmx.min.js", "text/javascript; charset=utf-8", include_bytes!("../../../assets/htmx.min.js")),
];

pub async fn serve(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|(name, _, _)| *name == file) {
        Some((_, content_type, bytes)) => {
            ([(header::CONTENT_TYPE, *content_type), (header::CACHE_CONTROL, "public, max-age=3600")], *bytes)
                .into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
