//! Errors over HTTP: every refusal is an RFC 9457 `application/problem+json` body with a stable
//! `code` (API.md). The status of each code comes from the domain's one table (`lyceum_domain::Code`,
//! documented in docs/codes.md); domain refusals map through `DomainError::code`. Unexpected
//! failures are logged with a correlation id and answered generically, never with their details.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use lyceum_domain::{Code, DomainError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::kernel::ServiceError;

/// A field that failed validation.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// The problem document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    pub code: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// For a bulk change: the entries that blocked it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub blocked: Vec<BlockedEntry>,
    /// For `stale`: the revision to base the next save on (after reloading).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_revision: Option<i64>,
    /// For unexpected errors: the id to quote when reporting it (the log has the details).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
}

/// One entry of a bulk request that blocked it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BlockedEntry {
    pub user_id: String,
    pub code: String,
    pub message: String,
}

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    pub problem: Problem,
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// An answer with `code`, at the status the code table gives it.
    pub fn of(code: Code, detail: impl Into<String>) -> ApiError {
        let status = StatusCode::from_u16(code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        ApiError::new(status, code.as_str(), detail)
    }

    /// An answer with an explicit status. Prefer `of`; this is for a status the code table does
    /// not decide (a framework rejection answered with its own status). `code` must be in the table.
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> ApiError {
        debug_assert!(Code::parse(code).is_some(), "the error code {code:?} is not in lyceum_domain::Code");
        ApiError {
            problem: Problem {
                kind: format!("https://lyceum.dev/problems/{code}"),
                title: status.canonical_reason().unwrap_or("Error").to_owned(),
                status: status.as_u16(),
                detail: detail.into(),
                code: code.to_owned(),
                errors: Vec::new(),
                blocked: Vec::new(),
                current_revision: None,
                correlation_id: None,
            },
            retry_after: None,
        }
    }

    pub fn validation(field: &str, message: impl Into<String>) -> ApiError {
        let message = message.into();
        let mut e = ApiError::of(Code::Validation, format!("{field} {message}"));
        e.problem.errors.push(FieldError { field: field.to_owned(), message });
        e
    }

    pub fn not_found() -> ApiError {
        ApiError::of(Code::NotFound, "not found")
    }

    pub fn unauthenticated() -> ApiError {
        ApiError::of(Code::Unauthenticated, "sign in or present a valid API key")
    }

    fn internal(err: &dyn std::fmt::Display) -> ApiError {
        let id = crate::kernel::db::new_id();
        tracing::error!(correlation_id = %id, error = %err, "unexpected error");
        let mut e = ApiError::of(Code::Internal, "something went wrong on our side");
        e.problem.correlation_id = Some(id);
        e
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> ApiError {
        match e {
            DomainError::NotFound => ApiError::not_found(),
            DomainError::Validation { field, message } => ApiError::validation(&field, message),
            DomainError::Stale { sent, current } => {
                let mut e = ApiError::of(Code::Stale, DomainError::Stale { sent, current }.to_string());
                e.problem.current_revision = Some(current);
                e
            }
            other => ApiError::of(other.code(), other.to_string()),
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> ApiError {
        match e {
            ServiceError::Domain(d) => d.into(),
            ServiceError::Unauthenticated => {
                ApiError::of(Code::Unauthenticated, "wrong email or password, or no valid session")
            }
            ServiceError::RateLimited { retry_after } => {
                let mut e = ApiError::of(Code::RateLimited, format!("too many attempts; retry in {retry_after} s"));
                e.retry_after = Some(retry_after.max(1));
                e
            }
            ServiceError::Blocked { code, message, entries } => {
                // The bulk change's code is one of the table's; were it not, it is still a conflict.
                let mut e = ApiError::of(Code::parse(code).unwrap_or(Code::Conflict), message);
                e.problem.blocked = entries
                    .into_iter()
                    .map(|(user_id, code, message)| BlockedEntry { user_id, code: code.to_owned(), message })
                    .collect();
                e
            }
            ServiceError::AiUnavailable { message, retry_after } => {
                let mut e = ApiError::of(Code::AiUnavailable, message);
                e.retry_after = retry_after;
                e
            }
            ServiceError::Database(d) => ApiError::internal(&d),
            ServiceError::Internal(i) => ApiError::internal(&i),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self.problem).unwrap_or_default();
        let mut res = (status, body).into_response();
        res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if let Some(secs) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        res
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_real_status() {
        for c in Code::ALL {
            let e = ApiError::of(*c, "x");
            assert_eq!(e.problem.status, c.status(), "{c}");
            assert_eq!(e.problem.code, c.as_str());
            assert_ne!(e.problem.title, "Error", "{c}: {} has no reason phrase", c.status());
        }
    }

    #[test]
    fn domain_refusals_answer_their_code_and_status() {
        let e = ApiError::from(DomainError::LastOwner("no owner left".into()));
        assert_eq!(
            (e.problem.status, e.problem.code.as_str(), e.problem.detail.as_str()),
            (409, "last_owner", "no owner left")
        );
        let e = ApiError::from(DomainError::invalid("email", "is malformed"));
        assert_eq!((e.problem.status, e.problem.code.as_str()), (422, "validation"));
        assert_eq!(e.problem.detail, "email is malformed");
        let e = ApiError::from(DomainError::InvalidToken("used".into()));
        assert_eq!((e.problem.status, e.problem.code.as_str()), (410, "invalid_token"));
    }
}
