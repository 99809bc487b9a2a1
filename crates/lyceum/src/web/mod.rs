//! The only module that knows HTTP: the router (built with its OpenAPI document, so the two
//! cannot drift apart), shared state, and the layers every request passes through.

pub mod api;
pub mod error;
pub mod extract;
pub mod pages;
pub mod system;
pub mod telemetry;

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::service::Lyceum;
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

#[derive(OpenApi)]
#[openapi(
    info(title = "Lyceum API", version = "1", description = "Organisations, workspaces, members, invitations, API keys and audit."),
    components(schemas(error::Problem)),
    modifiers(&SecuritySchemes),
    security(("session" = []), ("api_key" = []))
)]
struct ApiDoc;

struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(extract::SESSION_COOKIE))),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The API routes and their OpenAPI document, from the same handler list.
pub fn api_router() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    use api::*;
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(accounts::signup))
        .routes(routes!(accounts::login))
        .routes(routes!(accounts::logout))
        .routes(routes!(accounts::me, accounts::update_me))
        .routes(routes!(orgs::create_org))
        .routes(routes!(orgs::get_org))
        .routes(routes!(orgs::list_workspaces, orgs::create_workspace))
        .routes(routes!(orgs::update_workspace))
        .routes(routes!(orgs::credits))
        .routes(routes!(members::list_org))
        .routes(routes!(members::list_workspace))
        .routes(routes!(members::change_org_role, members::remove_from_org))
        .routes(routes!(members::change_workspace_role, members::remove_from_workspace))
        .routes(routes!(members::bulk_remove_from_workspace))
        .routes(routes!(members::bulk_remove_from_org))
        .routes(routes!(members::leave_org))
        .routes(routes!(members::leave_workspace))
        .routes(routes!(invitations::invite_to_org, invitations::list))
        .routes(routes!(invitations::invite_to_workspace))
        .routes(routes!(invitations::resend))
        .routes(routes!(invitations::revoke))
        .routes(routes!(invitations::by_token))
        .routes(routes!(invitations::accept))
        .routes(routes!(access::permissions))
        .routes(routes!(access::check))
        .routes(routes!(keys::create, keys::list))
        .routes(routes!(keys::revoke))
        .routes(routes!(audit::list))
        .split_for_parts()
}

/// The detail of the 404 for a path no route matches.
pub const NO_ROUTE: &str = "no route matches this path";

/// The whole application router.
pub fn router(state: AppState) -> Router {
    let (api, openapi) = api_router();
    let openapi = Arc::new(openapi);
    let max_body = state.web.max_body_bytes;
    Router::new()
        .merge(api)
        .merge(system::router(openapi))
        .merge(pages::router())
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
