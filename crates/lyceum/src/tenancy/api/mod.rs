//! The tenancy wing's JSON handlers and wire types.

pub mod invitations;
pub mod members;
pub mod orgs;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::web::AppState;

/// This wing's API routes, added to the one router and the one OpenAPI document (`crate::routes`).
pub fn routes(router: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    router
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
}
