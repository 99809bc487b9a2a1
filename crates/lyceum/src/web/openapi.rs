//! What every wing's JSON API shares for its OpenAPI document: the document's header and
//! security schemes, the page wire type, and the refusal sets an operation lists.

use std::collections::BTreeMap;

use lyceum_domain::Code;
use serde::Serialize;
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{IntoResponses, OpenApi, ToSchema};

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
// set names the codes of the domain's one table (`Code`) that one source of refusal can give; its
// responses, their statuses and descriptions are generated from those rows, so an operation lists
// the sets of the extractors and rules it uses and the document tells the truth about what a
// client can receive, in the table's own words.

/// The responses of a set of codes: one per status, describing each code of that status from
/// the table, with `Retry-After` where a code of it sets that header.
fn refusals(codes: &[Code]) -> BTreeMap<String, RefOr<Response>> {
    let mut by_status: BTreeMap<u16, Vec<Code>> = BTreeMap::new();
    for code in codes {
        by_status.entry(code.status()).or_default().push(*code);
    }
    by_status
        .into_iter()
        .map(|(status, codes)| {
            let description =
                codes.iter().map(|c| format!("- `{c}`: {}", c.description())).collect::<Vec<_>>().join("\n");
            let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build();
            let mut response = ResponseBuilder::new().description(description).content(PROBLEM_JSON, content);
            if codes.iter().any(|c| RETRY_AFTER.contains(c)) {
                let seconds = ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(0));
                response = response.header(
                    "Retry-After",
                    HeaderBuilder::new().schema(seconds).description(Some("seconds to wait")).build(),
                );
            }
            (status.to_string(), RefOr::T(response.build()))
        })
        .collect()
}

const PROBLEM_JSON: &str = "application/problem+json";
/// The codes answered with a `Retry-After` header.
const RETRY_AFTER: [Code; 2] = [Code::RateLimited, Code::AiUnavailable];

/// Declares a refusal set: a type whose OpenAPI responses are those of the codes it names.
macro_rules! refusal_sets {
    ($($(#[$m:meta])* $set:ident => [$($code:ident),+ $(,)?];)+) => {$(
        $(#[$m])*
        pub struct $set;

        impl $set {
            /// The codes of the set, from the domain's table.
            pub const CODES: &'static [Code] = &[$(Code::$code),+];
        }

        impl IntoResponses for $set {
            fn responses() -> BTreeMap<String, RefOr<Response>> {
                refusals(Self::CODES)
            }
        }
    )+};
}

refusal_sets! {
    /// An authenticated route: no or bad credentials, or the caller may not (a missing permission,
    /// an API key on an action for people, or a cookie-authenticated write from another origin).
    AuthErrors => [Unauthenticated, Forbidden, RoleEscalation, PlanLimit, Csrf];
    /// Signing in with a wrong email or password.
    BadCredentials => [Unauthenticated];
    /// A JSON body: too large, not `application/json`, malformed, mistyped or invalid.
    BodyErrors => [PayloadTooLarge, UnsupportedMediaType, Validation];
    /// Query parameters that are malformed or invalid.
    QueryErrors => [Validation];
    /// An id in the path that does not exist or belongs to another organisation.
    NotFound => [NotFound];
    /// A state conflict of the access core.
    Conflict => [CannotRemoveSelf, LastOwner, SeatLimit, CreditPoolExceeded, Conflict];
    /// An invitation token that is expired, revoked or used.
    Gone => [InvalidToken];
    /// Too many attempts; `Retry-After` says when to try again.
    RateLimited => [RateLimited];
    /// A course change refused by its state: a stale draft revision, or a course in the trash.
    CourseConflict => [Stale, Conflict];
    /// An upload: over `--max-upload-bytes`, not an accepted type by its content, or unreadable.
    UploadErrors => [PayloadTooLarge, UnsupportedMediaType, Validation];
    /// An AI call refused or failed: no provider (or it failed; `Retry-After`), credits or budget
    /// spent, or a model without a price.
    AiErrors => [AiUnavailable, CreditLimitExceeded, BudgetExceeded, ModelUnpriced];
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
