//! What every wing's JSON API shares for its OpenAPI document: the document's header and
//! security schemes, the page wire type, and the refusal sets an operation lists.

use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use super::error::Problem;
use super::extract;

/// A page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T: ToSchema> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T: ToSchema> Page<T> {
    pub fn map<U>(page: crate::kernel::Page<U>, f: impl FnMut(U) -> T) -> Page<T> {
        Page { items: page.items.into_iter().map(f).collect(), next_cursor: page.next_cursor }
    }
}

// Refusals, for the OpenAPI document: every one is an `application/problem+json` `Problem`. Each
// set names the statuses one source of refusal can give, so an operation lists the sets of the
// extractors and rules it uses and the document tells the truth about what a client can receive.

/// An authenticated route: no or bad credentials (401), or the caller may not (403: a missing
/// permission, an API key on an action for people, or a cookie-authenticated write from another
/// origin).
#[derive(utoipa::IntoResponses)]
pub enum AuthErrors {
    #[response(
        status = 401,
        description = "no or bad credentials (`unauthenticated`)",
        content_type = "application/problem+json"
    )]
    Unauthenticated(Problem),
    #[response(
        status = 403,
        description = "not allowed (`forbidden`, `role_escalation`, `plan_limit`, `csrf`)",
        content_type = "application/problem+json"
    )]
    Forbidden(Problem),
}

/// A JSON body: too large (413), not `application/json` (415), malformed, mistyped or invalid (422).
#[derive(utoipa::IntoResponses)]
pub enum BodyErrors {
    #[response(
        status = 413,
        description = "the body is too large (`payload_too_large`)",
        content_type = "application/problem+json"
    )]
    TooLarge(Problem),
    #[response(
        status = 415,
        description = "the body is not `application/json` (`unsupported_media_type`)",
        content_type = "application/problem+json"
    )]
    UnsupportedMediaType(Problem),
    #[response(
        status = 422,
        description = "malformed or invalid input (`validation`)",
        content_type = "application/problem+json"
    )]
    Validation(Problem),
}

/// Query parameters that are malformed or invalid.
#[derive(utoipa::IntoResponses)]
pub enum QueryErrors {
    #[response(
        status = 422,
        description = "malformed or invalid input (`validation`)",
        content_type = "application/problem+json"
    )]
    Validation(Problem),
}

/// An id in the path that does not exist or belongs to another organisation.
#[derive(utoipa::IntoResponses)]
pub enum NotFound {
    #[response(
        status = 404,
        description = "not found, or not yours (`not_found`)",
        content_type = "application/problem+json"
    )]
    NotFound(Problem),
}

/// A state conflict (`cannot_remove_self`, `last_owner`, `seat_limit`, `credit_pool_exceeded`, `conflict`).
#[derive(utoipa::IntoResponses)]
pub enum Conflict {
    #[response(status = 409, description = "a state conflict", content_type = "application/problem+json")]
    Conflict(Problem),
}

/// An invitation token that is expired, revoked or used.
#[derive(utoipa::IntoResponses)]
pub enum Gone {
    #[response(
        status = 410,
        description = "the invitation token is dead (`invalid_token`)",
        content_type = "application/problem+json"
    )]
    Gone(Problem),
}

/// Too many attempts; `Retry-After` says when to try again.
#[derive(utoipa::IntoResponses)]
pub enum RateLimited {
    #[response(
        status = 429,
        description = "too many attempts (`rate_limited`)",
        content_type = "application/problem+json",
        headers(("Retry-After" = u64, description = "seconds to wait"))
    )]
    RateLimited(Problem),
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Lyceum API", version = "1", description = "Organisations, workspaces, members, invitations, API keys and audit."),
    components(schemas(Problem)),
    modifiers(&SecuritySchemes),
    security(("session" = []), ("api_key" = []))
)]
pub struct ApiDoc;

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
