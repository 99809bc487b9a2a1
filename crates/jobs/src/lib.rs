//! Lyceum's transactional job queue: a job is a row of the `jobs` table, written in the same
//! transaction as the change that causes it, and a [`Runner`] runs it later, with retries.
//!
//! In order:
//! 1. in the transaction that makes the change, [`enqueue`] a [`NewJob`] on that transaction's
//!    connection ([`enqueue_many`] for a batch); it runs if and only if the transaction commits;
//! 2. after the commit, `runner.notifier().notify_one()` so it runs at once;
//! 3. at start-up, register a [`Handler`] per kind on a [`Runner`] and
//!    `tokio::spawn(runner.run(shutdown_rx))`; [`backlog`] feeds a gauge.
//!
//! Execution is at least once: a runner claims due jobs under a lease (`leased_until`,
//! `lease_owner`), so no two runners hold the same job at once; one that dies mid-job leaves it
//! to be run again when the lease runs out. Handlers must therefore be idempotent (mail keeps
//! its `Message-ID`; a webhook sends the job id as its idempotency key).
//!
//! **Invariant:** the queue never logs a payload (they may carry tokens); handlers' errors are
//! stored in `last_error` and logged, so they must not carry secrets either.

mod retry;
mod runner;
mod store;

pub use retry::RetryPolicy;
pub use runner::{Handler, JobError, JobOptions, Pass, Runner};
pub use store::{backlog, enqueue, enqueue_many};

/// A job to queue. `kind` picks its handler; `payload` is what the handler needs (usually JSON,
/// see [`NewJob::json`]; small: a large document belongs in its own table, under the job's id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    /// The job's id; [`NewJob::new`] makes a UUIDv7. A kind whose data lives in its own table
    /// (mail's `outbox`) uses that row's id.
    pub id: String,
    pub kind: String,
    pub payload: String,
    /// Not before this time (Unix ms).
    pub run_at: i64,
    /// At most one job ever exists per key, whatever its kind and state: enqueueing a second one
    /// is a no-op that answers [`Enqueued::Duplicate`]. Prefix keys with the kind
    /// (`invoice-run:2026-12:<org id>`).
    pub dedup_key: Option<String>,
}

impl NewJob {
    /// A job with a new UUIDv7 id, due at `run_at`, without a dedup key.
    pub fn new(kind: impl Into<String>, payload: impl Into<String>, run_at: i64) -> NewJob {
        NewJob {
            id: uuid::Uuid::now_v7().to_string(),
            kind: kind.into(),
            payload: payload.into(),
            run_at,
            dedup_key: None,
        }
    }

    /// [`NewJob::new`] with `payload` serialised as JSON.
    pub fn json<T: serde::Serialize>(kind: impl Into<String>, payload: &T, run_at: i64) -> serde_json::Result<NewJob> {
        Ok(NewJob::new(kind, serde_json::to_string(payload)?, run_at))
    }

    /// The same job under another id.
    pub fn with_id(self, id: impl Into<String>) -> NewJob {
        NewJob { id: id.into(), ..self }
    }

    /// The same job, queued at most once per `key`.
    pub fn dedup(self, key: impl Into<String>) -> NewJob {
        NewJob { dedup_key: Some(key.into()), ..self }
    }
}

/// What [`enqueue`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enqueued {
    /// The job was inserted.
    New,
    /// A job with the same dedup key already exists (or comes earlier in the same batch); nothing
    /// was inserted.
    Duplicate,
}

/// A job a runner holds the lease on, as its handler receives it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Job {
    pub id: String,
    pub kind: String,
    pub payload: String,
    /// This attempt's number, from 1.
    pub attempts: i64,
    pub created_at: i64,
    /// When it was due.
    pub run_at: i64,
    /// The lease ends then (Unix ms): the handler is cancelled if it is still running.
    pub leased_until: i64,
}

impl Job {
    /// The payload parsed as JSON; a payload that does not parse is a [`JobError::Permanent`]
    /// through `?`.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, JobError> {
        serde_json::from_str(&self.payload).map_err(|e| JobError::permanent(format!("invalid payload: {e}")))
    }
}

/// Now, in Unix milliseconds.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::SystemTime::UNIX_EPOCH).map(millis).unwrap_or_default()
}

pub(crate) fn millis(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}
