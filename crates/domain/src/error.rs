//! The errors a rule of the domain can raise; the web layer maps each to a status and a stable code.

/// A refusal by a rule of the domain. Each variant maps to one stable API error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("the permission {0} is missing")]
    Forbidden(&'static str),
    #[error("{0}")]
    RoleEscalation(String),
    #[error("{0}")]
    PlanLimit(String),
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    CannotRemoveSelf(String),
    #[error("{0}")]
    LastOwner(String),
    #[error("{0}")]
    SeatLimit(String),
    #[error("{0}")]
    CreditPoolExceeded(String),
    #[error("{0}")]
    CreditLimitExceeded(String),
    #[error("{0}")]
    BudgetExceeded(String),
    #[error("{0}")]
    ModelUnpriced(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    InvalidToken(String),
    /// A save based on revision `sent` while the current one is `current`.
    #[error(
        "this draft changed since revision {sent}: it is at revision {current}; reload it and apply your edits again"
    )]
    Stale { sent: i64, current: i64 },
    #[error("{0}")]
    NotPublished(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("invalid {field}: {message}")]
    Validation { field: String, message: String },
}

impl DomainError {
    /// A validation error on one field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        DomainError::Validation { field: field.to_owned(), message: message.into() }
    }
}
