//! The web UI: server-rendered pages (askama templates in `templates/`) with htmx partials. Pages
//! call the same service methods as the JSON API, so the same permission engine guards them.

pub mod assets;
pub mod form;
pub mod session;
pub mod shell;

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;

/// A page URL that percent-encodes U+0000 is refused before any handler runs: no id, search or
/// filter holds it, and PostgreSQL cannot even compare text with it (the query would fail: a 500).
/// Forms are checked by `PageForm`; the API's extractors do the same for the API.
pub async fn refuse_nul_in_url(req: Request, next: Next) -> Response {
    if req.uri().path().contains("%00") {
        return session::error_page(StatusCode::NOT_FOUND, "There is nothing here, or you may not see it.");
    }
    if req.uri().query().is_some_and(|q| q.contains("%00")) {
        return session::error_page(StatusCode::UNPROCESSABLE_ENTITY, "The address contains a NUL character.");
    }
    next.run(req).await
}
