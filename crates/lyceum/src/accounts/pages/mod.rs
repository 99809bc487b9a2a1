//! The accounts wing's pages.

pub mod auth;
pub mod keys;
pub mod profile;

use axum::routing::{get, post};
use axum::Router;

use crate::web::AppState;

/// This wing's page routes (`crate::routes` adds them to the one router).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(auth::home))
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/signup", get(auth::signup_page).post(auth::signup))
        .route("/logout", post(auth::logout))
        .route("/invite/{token}", get(auth::invite_page))
        .route("/invite/{token}/accept", post(auth::accept_invite))
        .route("/o/{org}/api-keys", get(keys::keys_page).post(keys::create_key))
        .route("/o/{org}/api-keys/{id}/revoke", post(keys::revoke_key))
        .route("/settings/profile", get(profile::profile_page).post(profile::update_profile))
}
