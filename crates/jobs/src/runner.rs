//! The runner: claims due jobs of its kinds under a lease, runs each kind's handler, records the
//! outcome and schedules retries.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use sqlx::AnyPool;
use tokio::sync::{watch, Notify};
use tracing::Instrument as _;

use crate::{millis, now_ms, store, Job, RetryPolicy};

/// How often a runner looks for due jobs when nobody wakes it.
const POLL: Duration = Duration::from_secs(1);
/// `last_error` is for humans; a server's essay is cut.
const MAX_ERROR_LEN: usize = 500;

/// Why a job's attempt failed. The text goes to `jobs.last_error` and the log: it must not carry
/// a payload's secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// Worth another attempt: after `after` if given (a `Retry-After`), else by the kind's
    /// [`RetryPolicy`]. The last allowed attempt's retryable failure gives the job up too.
    #[error("{message}")]
    Retry { message: String, after: Option<Duration> },
    /// Retrying will not help (a refused address, an invalid payload): given up at once.
    #[error("{0}")]
    Permanent(String),
}

impl JobError {
    pub fn retry(message: impl Into<String>) -> JobError {
        JobError::Retry { message: message.into(), after: None }
    }

    pub fn retry_after(message: impl Into<String>, after: Duration) -> JobError {
        JobError::Retry { message: message.into(), after: Some(after) }
    }

    pub fn permanent(message: impl Into<String>) -> JobError {
        JobError::Permanent(message.into())
    }
}

/// A database error in a handler is worth a retry.
impl From<sqlx::Error> for JobError {
    fn from(e: sqlx::Error) -> JobError {
        JobError::retry(format!("database: {e}"))
    }
}

/// What runs the jobs of one kind. Any `Fn(Job) -> impl Future<Output = Result<(), JobError>>`
/// is one; the future is `'static` (it runs on a task of its own, so a panic is a failed attempt
/// and an overrun lease cancels it): clone what it needs out of `self` into it.
pub trait Handler: Send + Sync + 'static {
    fn run(&self, job: Job) -> Pin<Box<dyn Future<Output = Result<(), JobError>> + Send + 'static>>;
}

impl<F, Fut> Handler for F
where
    F: Fn(Job) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), JobError>> + Send + 'static,
{
    fn run(&self, job: Job) -> Pin<Box<dyn Future<Output = Result<(), JobError>> + Send + 'static>> {
        Box::pin(self(job))
    }
}

/// How the jobs of one kind are run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JobOptions {
    pub retry: RetryPolicy,
    /// How long a claimed job stays invisible to other runners. A runner runs its claimed jobs
    /// one after another, so the lease must outlast a whole batch of them; a job still running
    /// when the lease ends is cancelled (and retried), one not yet started is handed back.
    pub lease: Duration,
    /// How many jobs of this kind one pass claims.
    pub batch: i64,
}

impl Default for JobOptions {
    /// The default [`RetryPolicy`], 20 jobs a pass, a 5-minute lease.
    fn default() -> Self {
        JobOptions { retry: RetryPolicy::default(), lease: Duration::from_secs(5 * 60), batch: 20 }
    }
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pass {
    pub claimed: usize,
    pub done: usize,
    /// Failed, to be tried again.
    pub retried: usize,
    /// Given up.
    pub failed: usize,
    /// Claimed, but the lease ran out before their turn: handed back untried.
    pub released: usize,
    /// Some kind claimed a full batch: more may be due.
    pub full: bool,
}

struct Registered {
    kind: String,
    options: JobOptions,
    handler: Arc<dyn Handler>,
}

/// Runs the jobs of the kinds registered on it. Several runners, in one process or in several
/// server instances sharing a database, may run at once: a job is held by one of them at a time.
/// One runner runs its jobs one at a time; kinds that must not wait for each other (a slow
/// webhook and mail) get runners of their own.
pub struct Runner {
    pool: AnyPool,
    owner: String,
    kinds: Vec<Registered>,
    notify: Arc<Notify>,
    poll: Duration,
}

impl Runner {
    /// A runner with no kinds yet; its lease owner is a new UUIDv7.
    pub fn new(pool: AnyPool) -> Runner {
        Runner {
            pool,
            owner: uuid::Uuid::now_v7().to_string(),
            kinds: Vec::new(),
            notify: Arc::new(Notify::new()),
            poll: POLL,
        }
    }

    /// Names this runner in `lease_owner` (e.g. `host:pid`), for whoever reads the table.
    pub fn with_owner(self, owner: impl Into<String>) -> Runner {
        Runner { owner: owner.into(), ..self }
    }

    /// How often [`Runner::run`] looks for due jobs when nobody wakes it (1 s by default).
    pub fn with_poll(self, poll: Duration) -> Runner {
        Runner { poll, ..self }
    }

    /// Runs the jobs of `kind` with `handler`. Kinds are claimed in the order registered.
    ///
    /// # Panics
    /// If `kind` is registered already, or `options` allow no attempt, no job a pass or no lease:
    /// mistakes of the program's wiring, made at start-up.
    #[track_caller]
    pub fn register(mut self, kind: impl Into<String>, options: JobOptions, handler: impl Handler) -> Runner {
        let kind = kind.into();
        assert!(self.kinds.iter().all(|k| k.kind != kind), "job kind {kind:?} registered twice");
        assert!(options.retry.max_attempts >= 1, "{kind}: max_attempts must be at least 1");
        assert!(options.batch >= 1 && !options.lease.is_zero(), "{kind}: batch and lease must be positive");
        self.kinds.push(Registered { kind, options, handler: Arc::new(handler) });
        self
    }

    /// The kinds this runner runs.
    pub fn kinds(&self) -> impl Iterator<Item = &str> {
        self.kinds.iter().map(|k| k.kind.as_str())
    }

    /// The value of `lease_owner` on the jobs this runner holds.
    pub fn lease_owner(&self) -> &str {
        &self.owner
    }

    /// Wakes the runner; call `notify_one()` on it after committing a transaction that enqueued
    /// jobs, so they do not wait for the next poll. A wake-up sent while the runner is busy is
    /// kept for its next wait.
    pub fn notifier(&self) -> Arc<Notify> {
        Arc::clone(&self.notify)
    }

    /// One pass: for each kind, claims due jobs, runs them and records each outcome. Handlers'
    /// failures are recorded, not returned; database errors are returned (the jobs then held
    /// are run again when their lease runs out).
    pub async fn run_due(&self) -> Result<Pass, sqlx::Error> {
        let mut pass = Pass::default();
        for registered in &self.kinds {
            let now = now_ms();
            let lease_until = now.saturating_add(millis(registered.options.lease));
            let options = &registered.options;
            let jobs =
                store::claim_due(&self.pool, &registered.kind, &self.owner, now, lease_until, options.batch).await?;
            pass.claimed += jobs.len();
            pass.full |= jobs.len() >= usize::try_from(options.batch).unwrap_or(usize::MAX);
            for job in jobs {
                self.run_one(registered, job, &mut pass).await?;
            }
        }
        Ok(pass)
    }

    /// Runs passes until `shutdown` becomes true (or its sender is dropped); a pass in progress is
    /// finished first. Between passes it waits for the notifier or the poll interval, whichever
    /// comes first, and does not wait at all after a full batch.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let kinds: Vec<&str> = self.kinds().collect();
        tracing::info!(?kinds, "job runner started");
        while !*shutdown.borrow() {
            let busy = match self.run_due().await {
                Ok(pass) => pass.full,
                Err(e) => {
                    tracing::error!(error = %e, "job pass failed");
                    false
                }
            };
            if busy {
                continue;
            }
            tokio::select! {
                () = self.notify.notified() => {}
                () = tokio::time::sleep(self.poll) => {}
                changed = shutdown.changed() => if changed.is_err() { break },
            }
        }
        tracing::info!(?kinds, "job runner stopped");
    }

    /// Runs one claimed job on a task of its own, within its lease, and records the outcome.
    #[tracing::instrument(skip_all, fields(job_id = %job.id, kind = %job.kind, attempt = job.attempts))]
    async fn run_one(&self, registered: &Registered, job: Job, pass: &mut Pass) -> Result<(), sqlx::Error> {
        let Some(left) = u64::try_from(job.leased_until - now_ms()).ok().filter(|&ms| ms > 0) else {
            store::release(&self.pool, &job).await?;
            tracing::warn!("lease ran out before the job's turn; handed back");
            pass.released += 1;
            return Ok(());
        };
        let mut task = tokio::spawn(registered.handler.run(job.clone()).in_current_span());
        let result = match tokio::time::timeout(Duration::from_millis(left), &mut task).await {
            Ok(Ok(result)) => result,
            Ok(Err(e)) if e.is_panic() => Err(JobError::retry("the handler panicked")),
            Ok(Err(_cancelled)) => Err(JobError::retry("the handler was cancelled")),
            Err(_elapsed) => {
                task.abort();
                Err(JobError::retry("still running when its lease ran out"))
            }
        };
        let now = now_ms();
        let policy = &registered.options.retry;
        match result {
            Ok(()) => {
                store::mark_done(&self.pool, &job, now).await?;
                tracing::info!("job done");
                pass.done += 1;
            }
            Err(e) => {
                let (permanent, after) = match &e {
                    JobError::Permanent(_) => (true, None),
                    JobError::Retry { after, .. } => (false, *after),
                };
                let error = truncate(e.to_string());
                if permanent || policy.exhausted(job.attempts) {
                    store::mark_failed(&self.pool, &job, &error, now).await?;
                    tracing::error!(%error, "job failed; giving up");
                    pass.failed += 1;
                } else {
                    let delay = after.unwrap_or_else(|| policy.delay(job.attempts, rand::random::<f64>()));
                    let retry_at = now.saturating_add(millis(delay));
                    store::mark_retry(&self.pool, &job, &error, retry_at).await?;
                    tracing::warn!(%error, retry_in_ms = retry_at - now, "job failed; will retry");
                    pass.retried += 1;
                }
            }
        }
        Ok(())
    }
}

fn truncate(mut s: String) -> String {
    if s.len() > MAX_ERROR_LEN {
        let mut end = MAX_ERROR_LEN;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_errors_are_cut_on_a_char_boundary() {
        let cut = truncate("é".repeat(400));
        assert!(cut.len() <= MAX_ERROR_LEN + '…'.len_utf8());
        assert!(cut.ends_with('…'));
        assert_eq!(truncate("short".to_owned()), "short");
    }
}
