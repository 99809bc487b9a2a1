//! The web UI: server-rendered pages (askama templates in `templates/`) with htmx partials. Pages
//! call the same service methods as the JSON API, so the same permission engine guards them.

pub mod assets;
pub mod audit;
pub mod auth;
pub mod invitations;
pub mod keys;
pub mod members;
pub mod profile;
pub mod session;
pub mod shell;
pub mod workspaces;

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

use super::AppState;

/// The page routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(auth::home))
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/signup", get(auth::signup_page).post(auth::signup))
        .route("/logout", post(auth::logout))
        .route("/invite/{token}", get(auth::invite_page))
        .route("/invite/{token}/accept", post(auth::accept_invite))
        .route("/orgs/new", get(auth::new_org_page).post(auth::create_org))
        .route("/w/{ws}", get(shell::dashboard))
        .route("/w/{ws}/members", get(members::page))
        .route("/w/{ws}/members/rows", get(members::rows))
        .route("/w/{ws}/members/invite", post(members::invite))
        .route("/w/{ws}/members/remove", post(members::remove_many))
        .route("/w/{ws}/members/{user}/role", post(members::change_role))
        .route("/w/{ws}/members/{user}/remove", post(members::remove_one))
        .route("/w/{ws}/invitations", get(invitations::page))
        .route("/w/{ws}/invitations/{id}/resend", post(invitations::resend))
        .route("/w/{ws}/invitations/{id}/revoke", post(invitations::revoke))
        .route("/o/{org}/workspaces", get(workspaces::workspaces_page).post(workspaces::create_workspace))
        .route("/o/{org}/workspaces/{ws}/credit-limit", post(workspaces::update_credit_limit))
        .route("/o/{org}/api-keys", get(keys::keys_page).post(keys::create_key))
        .route("/o/{org}/api-keys/{id}/revoke", post(keys::revoke_key))
        .route("/o/{org}/audit", get(audit::audit_page))
        .route("/o/{org}/audit.csv", get(audit::audit_csv))
        .route("/settings/profile", get(profile::profile_page).post(profile::update_profile))
        .route("/assets/{file}", get(assets::serve))
        .route_layer(middleware::from_fn(refuse_nul_in_url))
}

/// A page URL that percent-encodes U+0000 is refused before any handler runs: no id, search or
/// filter holds it, and PostgreSQL cannot even compare text with it (the query would fail: a 500).
/// Forms are checked by `PageForm`; the API's extractors do the same for the API.
async fn refuse_nul_in_url(req: Request, next: Next) -> Response {
    if req.uri().path().contains("%00") {
        return session::error_page(StatusCode::NOT_FOUND, "There is nothing here, or you may not see it.");
    }
    if req.uri().query().is_some_and(|q| q.contains("%00")) {
        return session::error_page(StatusCode::UNPROCESSABLE_ENTITY, "The address contains a NUL character.");
    }
    next.run(req).await
}
