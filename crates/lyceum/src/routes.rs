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
use crate::{accounts, audit, credits, dashboard, learning, tenancy};

/// The API routes and their OpenAPI document, from the same handler list.
pub fn api_router() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let router = OpenApiRouter::with_openapi(ApiDoc::openapi());
    let router = accounts::api::routes(router);
    let router = tenancy::api::routes(router);
    let router = audit::api::routes(router);
    let router = credits::api::routes(router);
    let router = learning::api::routes(router);
    router.split_for_parts()
}

/// The page routes of every wing, and the page kit's assets.
pub fn page_router() -> Router<AppState> {
    Router::new()
        .merge(accounts::pages::routes())
        .merge(tenancy::pages::routes())
        .merge(audit::pages::routes())
        .merge(credits::pages::routes())
        .merge(learning::pages::routes())
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

#[cfg(test)]
mod tests {
    use lyceum_domain::Code;
    use utoipa::openapi::{RefOr, Response};

    /// The refusal sets of the OpenAPI document name only codes of the domain's one code table,
    /// each under the status the table gives it: the document cannot promise a code the server
    /// does not answer, or answer it under another status.
    #[test]
    fn every_refusal_the_document_names_is_in_the_code_table_with_its_status() {
        let (_, doc) = super::api_router();
        let mut named = 0;
        for (path, item) in &doc.paths.paths {
            let ops = [&item.get, &item.put, &item.post, &item.delete, &item.patch];
            for op in ops.into_iter().flatten() {
                for (status, response) in &op.responses.responses {
                    let RefOr::T(Response { description, .. }) = response else { continue };
                    let Ok(status) = status.parse::<u16>() else { continue };
                    if status < 400 {
                        continue;
                    }
                    let words = description.split('`').skip(1).step_by(2);
                    for code in words.filter(|w| w.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')) {
                        let known = Code::parse(code).unwrap_or_else(|| panic!("{path}: `{code}` is not a code"));
                        assert_eq!(known.status(), status, "{path}: `{code}` is answered with {}", known.status());
                        named += 1;
                    }
                }
            }
        }
        assert!(named > 50, "the document names the codes of its refusals ({named})");
    }
}
