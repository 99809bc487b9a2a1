//! Lyceum's transactional email: messages are written to the `outbox` table in the same
//! transaction as the change that causes them, each with a job of kind [`KIND`] (`lyceum_jobs`)
//! of the same id, and a [`Worker`] (a job runner) delivers them with retries.
//!
//! The server's side of it, in order:
//! 1. in the transaction that creates an invitation (say), render an email with [`templates`]
//!    and [`enqueue`] it on that transaction's connection ([`enqueue_many`] for a batch);
//! 2. after the commit, `worker.notifier().notify_one()` so it goes out at once;
//! 3. at start-up, `tokio::spawn(worker.run(shutdown_rx))`; [`backlog`] feeds a gauge. (Or
//!    [`register`] mail on a `lyceum_jobs::Runner` that runs other kinds too.)
//!
//! Delivery is at least once: a worker that dies between sending and recording leaves the
//! message to be sent again when its lease runs out, with the same `Message-ID`.
//!
//! **Invariant:** nothing in this crate logs or stores a message body outside the outbox row and
//! the delivered message itself: bodies carry invitation tokens. (The job's payload is empty.)

mod message;
mod outbox;
pub mod templates;
mod transport;
mod worker;

pub use outbox::{backlog, enqueue, enqueue_many, KIND};
pub use worker::{register, MailConfig, Worker};

/// One email, ready to be queued: every message is sent as multipart/alternative (text + HTML).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The recipient's address.
    pub to: String,
    /// One line; control characters are replaced by spaces when the message is built.
    pub subject: String,
    /// The plain-text part.
    pub text: String,
    /// The HTML part (already escaped by the template).
    pub html: String,
}
