//! The audit wing's pages.

pub mod trail;

use axum::routing::get;
use axum::Router;

use crate::web::AppState;

/// This wing's page routes (`crate::routes` adds them to the one router).
pub fn routes() -> Router<AppState> {
    Router::new().route("/o/{org}/audit", get(trail::audit_page)).route("/o/{org}/audit.csv", get(trail::audit_csv))
}
