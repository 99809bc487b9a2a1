//! The accounts wing's JSON handlers and wire types.

pub mod keys;
pub mod people;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::web::AppState;

/// This wing's API routes, added to the one router and the one OpenAPI document (`crate::routes`).
pub fn routes(router: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    router
        .routes(routes!(people::signup))
        .routes(routes!(people::login))
        .routes(routes!(people::logout))
        .routes(routes!(people::me, people::update_me))
        .routes(routes!(keys::create, keys::list))
        .routes(routes!(keys::revoke))
}
