//! What a call to the provider can end in, besides an answer.
//!
//! The split is by what the caller does next: `Unavailable` is transient (answer
//! `503 ai_unavailable` with its `retry_after`, charge nothing), `Rejected` is the request's
//! fault and is not retried, `Malformed` is the provider's fault and is not retried either.

use std::fmt;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum AiError {
    /// The provider could not answer in time, or kept failing after the retries.
    #[error("the AI provider is unavailable ({kind}): {reason}")]
    Unavailable {
        kind: UnavailableKind,
        /// What the provider asked for in its last `Retry-After`, if anything.
        retry_after: Option<Duration>,
        reason: String,
    },
    /// A 4xx other than 429: the request itself is at fault; retrying would not help.
    #[error("the AI provider rejected the request ({status}): {message}")]
    Rejected { status: u16, message: String },
    /// The answer could not be read as the protocol's (the raw body is logged at `debug`).
    #[error("the AI provider's answer could not be read: {0}")]
    Malformed(String),
    /// The request names no model and the configuration has no default one.
    #[error("no model: the request names none and no default model is configured")]
    NoModel,
    /// The configuration cannot be used (a base URL that is not http(s), no TLS backend).
    #[error("invalid AI provider configuration: {0}")]
    Config(String),
}

/// Why the provider was unavailable: callers tell a timeout from an upstream failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnavailableKind {
    /// The call (or a stream's gap between chunks) outlasted [`crate::Config::timeout`].
    Timeout,
    /// The provider answered this status (429 or 5xx) to the last attempt, or reported an
    /// error inside a stream.
    Status(u16),
    /// The connection could not be made, or broke.
    Connection,
}

impl fmt::Display for UnavailableKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Timeout => f.write_str("timeout"),
            Self::Status(status) => write!(f, "status {status}"),
            Self::Connection => f.write_str("connection"),
        }
    }
}

impl AiError {
    pub(crate) fn timeout(after: Duration) -> Self {
        Self::Unavailable {
            kind: UnavailableKind::Timeout,
            retry_after: None,
            reason: format!("no answer within {} ms", after.as_millis()),
        }
    }
}
