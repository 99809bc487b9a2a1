//! The delivery worker: claims due messages under a lease, sends them, records the outcome and
//! schedules retries with exponential backoff.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anyhow::Context as _;
use lettre::message::Mailbox;
use sqlx::AnyPool;
use tokio::sync::{watch, Notify};

use crate::message;
use crate::outbox::{self, Claimed};
use crate::transport::{DeliveryError, Transport, SEND_TIMEOUT};

/// How many messages one pass claims.
const BATCH: i64 = 20;
/// How long a claimed message stays invisible to other workers. It outlasts a whole batch of
/// timed-out sends, so a slow pass never loses its lease; if the worker dies, the messages it
/// held become due again when the lease runs out.
const LEASE: Duration = Duration::from_secs(15 * 60);
const _: () = assert!(LEASE.as_secs() > BATCH as u64 * SEND_TIMEOUT.as_secs());
/// How often the worker looks for due messages when nobody wakes it.
const POLL: Duration = Duration::from_secs(1);
/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(60 * 60);
/// `last_error` is for humans; a server's essay is cut.
const MAX_ERROR_LEN: usize = 500;

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
    /// Attempts before a message is given up (`failed_at` set).
    pub max_attempts: i64,
}

/// Delivers the outbox. Several workers, in one process or in several server instances sharing
/// a database, may run at once: a message is claimed by one of them at a time.
pub struct Worker {
    pool: AnyPool,
    from: Mailbox,
    transport: Transport,
    max_attempts: i64,
    notify: Arc<Notify>,
}

impl Worker {
    /// Checks the configuration (sender address, SMTP URL, attempts) without connecting.
    pub fn new(pool: AnyPool, config: MailConfig) -> anyhow::Result<Worker> {
        let from = config.from.parse().with_context(|| format!("invalid sender address {:?}", config.from))?;
        anyhow::ensure!(config.max_attempts >= 1, "max_attempts must be at least 1");
        let transport = match &config.smtp_url {
            // The URL may carry a password: it is not repeated in the error.
            Some(url) => Transport::smtp(url).context("invalid SMTP URL")?,
            None => Transport::Directory(config.outbox_dir),
        };
        Ok(Worker { pool, from, transport, max_attempts: config.max_attempts, notify: Arc::new(Notify::new()) })
    }

    /// Wakes the worker; call `notify_one()` on it after committing a transaction that
    /// enqueued mail, so delivery does not wait for the next poll. A wake-up sent while the
    /// worker is busy is kept for its next wait.
    pub fn notifier(&self) -> Arc<Notify> {
        Arc::clone(&self.notify)
    }

    /// One pass: claims due messages, delivers them and records each outcome. Returns how many
    /// were sent. Delivery failures are recorded, not returned; database errors are returned.
    pub async fn deliver_due(&self) -> anyhow::Result<usize> {
        let now = now_ms();
        let lease_until = now + millis(LEASE);
        let claimed = outbox::claim_due(&self.pool, now, lease_until, BATCH).await.context("claiming due mail")?;
        let mut sent = 0;
        for message in &claimed {
            if self.deliver(message).await? {
                sent += 1;
            }
        }
        Ok(sent)
    }

    /// Delivers until `shutdown` becomes true (or its sender is dropped); a pass in progress is
    /// finished first. Between passes it waits for the notifier or one second, whichever comes
    /// first, and does not wait at all after a full batch.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        tracing::info!("mail worker started");
        while !*shutdown.borrow() {
            let busy = match self.deliver_due().await {
                Ok(sent) => sent >= BATCH as usize,
                Err(e) => {
                    tracing::error!(error = format!("{e:#}"), "mail delivery pass failed");
                    false
                }
            };
            if busy {
                continue;
            }
            tokio::select! {
                () = self.notify.notified() => {}
                () = tokio::time::sleep(POLL) => {}
                changed = shutdown.changed() => if changed.is_err() { break },
            }
        }
        tracing::info!("mail worker stopped");
    }

    /// Sends one claimed message and records the outcome; `Ok(true)` when it went out.
    #[tracing::instrument(skip_all, fields(outbox_id = %claimed.id, attempt = claimed.attempts))]
    async fn deliver(&self, claimed: &Claimed) -> anyhow::Result<bool> {
        let result = match message::build(&self.from, claimed) {
            Ok(message) => self.transport.send(&claimed.id, &message).await,
            Err(e) => Err(DeliveryError::Permanent(e)),
        };
        let now = now_ms();
        let (error, permanent) = match result {
            Ok(()) => {
                outbox::mark_sent(&self.pool, &claimed.id, now).await.context("recording a sent message")?;
                tracing::info!("mail sent");
                return Ok(true);
            }
            Err(DeliveryError::Permanent(e)) => (e, true),
            Err(DeliveryError::Transient(e)) => (e, false),
        };
        let error = truncate(error);
        if permanent || claimed.attempts >= self.max_attempts {
            outbox::mark_failed(&self.pool, claimed, &error, now).await.context("recording a failed message")?;
            tracing::error!(%error, "mail delivery failed; giving up");
        } else {
            let retry_at = now + millis(backoff(claimed.attempts));
            outbox::mark_retry(&self.pool, claimed, &error, retry_at).await.context("recording a delivery failure")?;
            tracing::warn!(%error, retry_in_ms = retry_at - now, "mail delivery failed; will retry");
        }
        Ok(false)
    }
}

/// 2^attempts seconds after the `attempts`-th failure, at most [`MAX_BACKOFF`].
fn backoff(attempts: i64) -> Duration {
    let exponent = u32::try_from(attempts.clamp(0, 31)).unwrap_or(31);
    Duration::from_secs(2u64.pow(exponent)).min(MAX_BACKOFF)
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

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(millis).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_then_caps_at_an_hour() {
        assert_eq!(backoff(1), Duration::from_secs(2));
        assert_eq!(backoff(2), Duration::from_secs(4));
        assert_eq!(backoff(11), Duration::from_secs(2048));
        assert_eq!(backoff(12), MAX_BACKOFF);
        assert_eq!(backoff(i64::MAX), MAX_BACKOFF);
    }

    #[test]
    fn long_errors_are_cut_on_a_char_boundary() {
        let cut = truncate("é".repeat(400));
        assert!(cut.len() <= MAX_ERROR_LEN + '…'.len_utf8());
        assert!(cut.ends_with('…'));
    }
}
