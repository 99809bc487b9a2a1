//! The tenancy wing's pages.

pub mod invitations;
pub mod members;
pub mod workspaces;

use axum::routing::{get, post};
use axum::Router;

use crate::web::AppState;

/// This wing's page routes (`crate::routes` adds them to the one router).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/orgs/new", get(workspaces::new_org_page).post(workspaces::create_org))
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
}
