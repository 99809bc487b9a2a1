//! Errors over HTTP: every refusal is an RFC 9457 `application/problem+json` body with a stable
//! `code` (API.md). Domain refusals map one to one; unexpected failures are logged with a
//! correlation id and answered generically, never with their details.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use lyceum_domain::DomainError;
use serde::Serialize;
use utoipa::ToSchema;

use crate::service::ServiceError;

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
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> ApiError {
        ApiError {
            problem: Problem {
                kind: format!("https://lyceum.dev/problems/{code}"),
                title: status.canonical_reason().unwrap_or("Error").to_owned(),
                status: status.as_u16(),
                detail: detail.into(),
                code: code.to_owned(),
                errors: Vec::new(),
                blocked: Vec::new(),
                correlation_id: None,
            },
            retry_after: None,
        }
    }

    pub fn validation(field: &str, message: impl Into<String>) -> ApiError {
        let message = message.into();
        let mut e = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "validation", format!("{field} {message}"));
        e.problem.errors.push(FieldError { field: field.to_owned(), message });
        e
    }

    pub fn not_found() -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", "not found")
    }

    pub fn unauthenticated() -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", "sign in or present a valid API key")
    }

    fn internal(err: &dyn std::fmt::Display) -> ApiError {
        let id = crate::db::new_id();
        tracing::error!(correlation_id = %id, error = %err, "unexpected error");
        let mut e = ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "something went wrong on our side");
        e.problem.correlation_id = Some(id);
        e
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> ApiError {
        use StatusCode as S;
        let detail = e.to_string();
        match e {
            DomainError::Forbidden(_) => ApiError::new(S::FORBIDDEN, "forbidden", detail),
            DomainError::RoleEscalation(_) => ApiError::new(S::FORBIDDEN, "role_escalation", detail),
            DomainError::PlanLimit(_) => ApiError::new(S::FORBIDDEN, "plan_limit", detail),
            DomainError::NotFound => ApiError::not_found(),
            DomainError::CannotRemoveSelf(_) => ApiError::new(S::CONFLICT, "cannot_remove_self", detail),
            DomainError::LastOwner(_) => ApiError::new(S::CONFLICT, "last_owner", detail),
            DomainError::SeatLimit(_) => ApiError::new(S::CONFLICT, "seat_limit", detail),
            DomainError::CreditPoolExceeded(_) => ApiError::new(S::CONFLICT, "credit_pool_exceeded", detail),
            DomainError::Conflict(_) => ApiError::new(S::CONFLICT, "conflict", detail),
            DomainError::InvalidToken(_) => ApiError::new(S::GONE, "invalid_token", detail),
            DomainError::Validation { field, message } => ApiError::validation(&field, message),
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> ApiError {
        match e {
            ServiceError::Domain(d) => d.into(),
            ServiceError::Unauthenticated => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "wrong email or password, or no valid session",
            ),
            ServiceError::RateLimited { retry_after } => {
                let mut e = ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    format!("too many attempts; retry in {retry_after} s"),
                );
                e.retry_after = Some(retry_after.max(1));
                e
            }
            ServiceError::Blocked { code, message, entries } => {
                let status = match code {
                    "not_found" => StatusCode::NOT_FOUND,
                    _ => StatusCode::CONFLICT,
                };
                let mut e = ApiError::new(status, code, message);
                e.problem.blocked = entries
                    .into_iter()
                    .map(|(user_id, code, message)| BlockedEntry { user_id, code: code.to_owned(), message })
                    .collect();
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
