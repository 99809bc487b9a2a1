//! The one router: every wing's API routes (and with them the one OpenAPI document, so the two
//! cannot drift apart), every wing's pages, the system endpoints and the page kit's assets,
//! inside the layers of `web::finish`.

use std::sync::Arc;

use axum::middleware;
use axum::routing::get;
use axum::Router;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::web::openapi::ApiDoc;
use crate::web::{self, system, ui, AppState};
use crate::{accounts, audit, dashboard, tenancy};

/// The API routes and their OpenAPI document, from the same handler list.
pub fn api_router() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let router = OpenApiRouter::with_openapi(ApiDoc::openapi());
    let router = accounts::api::routes(router);
    let router = tenancy::api::routes(router);
    let router = audit::api::routes(router);
    router.split_for_parts()
}

/// The page routes of every wing, and the page kit's assets.
pub fn page_router() -> Router<AppState> {
    Router::new()
        .merge(accounts::pages::routes())
        .merge(tenancy::pages::routes())
        .merge(audit::pages::routes())
        .merge(dashboard::pages::routes())
        .route("/assets/{file}", get(ui::assets::serve))
        .route_layer(middleware::from_fn(ui::refuse_nul_in_url))
}

/// The whole application router.
pub fn router(state: AppState) -> Router {
    let (api, openapi) = api_router();
    let routes = Router::new().merge(api).merge(system::router(Arc::new(openapi))).merge(page_router());
    web::finish(routes, state)
}
