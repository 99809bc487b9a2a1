//! The only module that knows HTTP: the router (built with its OpenAPI document, so the two
//! cannot drift apart), shared state, and the layers every request passes through.

pub mod error;
pub mod extract;
pub mod openapi;
pub mod system;
pub mod telemetry;
pub mod ui;

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;

use crate::kernel::Lyceum;
use error::ApiError;

/// Settings of the HTTP layer.
#[derive(Debug, Clone)]
pub struct WebSettings {
    /// `scheme://host[:port]` of the base URL: the only Origin accepted on cookie-authenticated writes.
    pub public_origin: String,
    pub secure_cookies: bool,
    pub trust_proxy: bool,
    pub max_body_bytes: usize,
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub lyceum: Arc<Lyceum>,
    pub web: Arc<WebSettings>,
}

/// The detail of the 404 for a path no route matches.
pub const NO_ROUTE: &str = "no route matches this path";

/// Puts the layers every request passes through around the composed router (`crate::routes`):
/// the 404 and 405 fallbacks, the body limit, the security headers and telemetry.
pub fn finish(router: Router<AppState>, state: AppState) -> Router {
    let max_body = state.web.max_body_bytes;
    router
        .fallback(|| async { ApiError::new(axum::http::StatusCode::NOT_FOUND, "not_found", NO_ROUTE) })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                axum::http::StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this method is not allowed here",
            )
        })
        .layer(DefaultBodyLimit::max(max_body))
        .layer(middleware::from_fn(security_headers))
        .layer(middleware::from_fn(telemetry::track))
        .with_state(state)
}

/// Headers every answer carries: no sniffing, no framing, no referrer leaks, no caching of
/// authenticated JSON. The referrer policy is `same-origin`, not `no-referrer`: under
/// `no-referrer` browsers send `Origin: null` on every POST, even same-origin ones, and the
/// same-origin check of forms and cookie-authenticated API calls would refuse them all.
async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await.into_response();
    let h = res.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"),
    );
    h.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    res
}
