//! The audit wing's JSON handlers and wire types.

pub mod access;
pub mod trail;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::web::AppState;

/// This wing's API routes, added to the one router and the one OpenAPI document (`crate::routes`).
pub fn routes(router: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    router.routes(routes!(access::permissions)).routes(routes!(access::check)).routes(routes!(trail::list))
}
