//! Delivery as a kind of job: the handler loads a message's outbox row, builds it and sends it;
//! claiming, leases, retries and backoff are `lyceum_jobs`'.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use lettre::message::Mailbox;
use lyceum_jobs::{Job, JobError, JobOptions, RetryPolicy, Runner};
use sqlx::AnyPool;
use tokio::sync::{watch, Notify};

use crate::message;
use crate::outbox::{self, KIND};
use crate::transport::{DeliveryError, Transport, SEND_TIMEOUT};

/// How many messages one pass claims.
const BATCH: i64 = 20;
/// How long a claimed message stays invisible to other workers. It outlasts a whole batch of
/// timed-out sends, so a slow pass never loses its lease; if the worker dies, the messages it
/// held become due again when the lease runs out.
const LEASE: Duration = Duration::from_secs(15 * 60);
const _: () = assert!(LEASE.as_secs() > BATCH as u64 * SEND_TIMEOUT.as_secs());
/// The wait after the first failed attempt; it doubles after each further one.
const FIRST_BACKOFF: Duration = Duration::from_secs(2);
/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(60 * 60);

/// How mail leaves the server.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// The `From` header, e.g. `Lyceum <no-reply@localhost>`.
    pub from: String,
    /// `smtp://[user:password@]host[:port]` (plain; add `?tls=required` for STARTTLS) or
    /// `smtps://…` (TLS from the start). When absent, messages are written to `outbox_dir`.
    pub smtp_url: Option<String>,
    /// Where `<outbox id>.eml` files go without SMTP; created on first delivery.
    pub outbox_dir: PathBuf,
    /// Attempts before a message is given up (its job's `failed_at` set).
    pub max_attempts: i64,
}

/// Registers mail's kind on `runner`, to run it alongside other kinds. Checks the configuration
/// (sender address, SMTP URL, attempts) without connecting.
pub fn register(runner: Runner, pool: AnyPool, config: MailConfig) -> anyhow::Result<Runner> {
    let from = config.from.parse().with_context(|| format!("invalid sender address {:?}", config.from))?;
    anyhow::ensure!(config.max_attempts >= 1, "max_attempts must be at least 1");
    let transport = match &config.smtp_url {
        // The URL may carry a password: it is not repeated in the error.
        Some(url) => Transport::smtp(url).context("invalid SMTP URL")?,
        None => Transport::Directory(config.outbox_dir),
    };
    let delivery = Arc::new(Delivery { pool, from, transport });
    let options = JobOptions {
        // 2^n seconds after the n-th failure, exactly (no jitter), at most an hour.
        retry: RetryPolicy { max_attempts: config.max_attempts, initial: FIRST_BACKOFF, max: MAX_BACKOFF, jitter: 0.0 },
        lease: LEASE,
        batch: BATCH,
    };
    Ok(runner.register(KIND, options, move |job: Job| {
        let delivery = Arc::clone(&delivery);
        async move { delivery.deliver(&job).await }
    }))
}

/// Delivers the outbox: a [`Runner`] of mail alone. Several workers, in one process or in
/// several server instances sharing a database, may run at once: a message is claimed by one of
/// them at a time.
pub struct Worker {
    runner: Runner,
}

impl Worker {
    /// Checks the configuration (sender address, SMTP URL, attempts) without connecting.
    pub fn new(pool: AnyPool, config: MailConfig) -> anyhow::Result<Worker> {
        Ok(Worker { runner: register(Runner::new(pool.clone()), pool, config)? })
    }

    /// Wakes the worker; call `notify_one()` on it after committing a transaction that
    /// enqueued mail, so delivery does not wait for the next poll. A wake-up sent while the
    /// worker is busy is kept for its next wait.
    pub fn notifier(&self) -> Arc<Notify> {
        self.runner.notifier()
    }

    /// One pass: claims due messages, delivers them and records each outcome. Returns how many
    /// were sent. Delivery failures are recorded, not returned; database errors are returned.
    pub async fn deliver_due(&self) -> anyhow::Result<usize> {
        Ok(self.runner.run_due().await.context("delivering due mail")?.done)
    }

    /// Delivers until `shutdown` becomes true (or its sender is dropped); a pass in progress is
    /// finished first. Between passes it waits for the notifier or one second, whichever comes
    /// first, and does not wait at all after a full batch.
    pub async fn run(self, shutdown: watch::Receiver<bool>) {
        self.runner.run(shutdown).await;
    }

    /// The runner underneath, to register further kinds on.
    pub fn into_runner(self) -> Runner {
        self.runner
    }
}

struct Delivery {
    pool: AnyPool,
    from: Mailbox,
    transport: Transport,
}

impl Delivery {
    /// Sends the message of one claimed mail job. The runner records the outcome.
    async fn deliver(&self, job: &Job) -> Result<(), JobError> {
        let stored = outbox::load(&self.pool, &job.id)
            .await?
            .ok_or_else(|| JobError::permanent("the message is not in the outbox"))?;
        let message = message::build(&self.from, &stored).map_err(JobError::Permanent)?;
        self.transport.send(&stored.id, &message).await.map_err(|e| match e {
            DeliveryError::Permanent(e) => JobError::Permanent(e),
            DeliveryError::Transient(e) => JobError::retry(e),
        })?;
        tracing::info!("mail sent");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_then_caps_at_an_hour() {
        let policy = RetryPolicy { max_attempts: 10, initial: FIRST_BACKOFF, max: MAX_BACKOFF, jitter: 0.0 };
        assert_eq!(policy.delay(1, 0.7), Duration::from_secs(2));
        assert_eq!(policy.delay(2, 0.7), Duration::from_secs(4));
        assert_eq!(policy.delay(11, 0.7), Duration::from_secs(2048));
        assert_eq!(policy.delay(12, 0.7), MAX_BACKOFF);
        assert_eq!(policy.delay(i64::MAX, 0.7), MAX_BACKOFF);
    }
}
