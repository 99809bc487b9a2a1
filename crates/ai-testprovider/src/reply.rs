//! What the provider answers to one request, scripted by a test.

use std::time::Duration;

/// One scripted answer. Constructors choose what; builders adjust how.
#[derive(Clone, Debug)]
pub struct Reply {
    pub(crate) kind: Kind,
    /// Before the answer (its status line) is sent.
    pub(crate) delay: Duration,
    /// Between two chunks of a stream.
    pub(crate) chunk_delay: Duration,
    pub(crate) usage: bool,
    pub(crate) extra_fields: bool,
    pub(crate) retry_after: Option<u64>,
}

#[derive(Clone, Debug)]
pub(crate) enum Kind {
    /// `Echo: <last user message>`.
    Echo,
    Text(String),
    Status(u16),
    Malformed,
    Hang,
}

impl Reply {
    fn of(kind: Kind) -> Self {
        Self {
            kind,
            delay: Duration::ZERO,
            chunk_delay: Duration::ZERO,
            usage: true,
            extra_fields: false,
            retry_after: None,
        }
    }

    /// The default answer, as given when nothing is scripted.
    pub fn echo() -> Self {
        Self::of(Kind::Echo)
    }

    /// A completion of this text (cut to the request's `max_tokens`).
    pub fn text(text: impl Into<String>) -> Self {
        Self::of(Kind::Text(text.into()))
    }

    /// An error answer with this status and an OpenAI error body.
    pub fn status(status: u16) -> Self {
        Self::of(Kind::Status(status))
    }

    /// A `200` whose body is not valid JSON (for a stream, an event whose data is not).
    pub fn malformed() -> Self {
        Self::of(Kind::Malformed)
    }

    /// Never answers: the request stays open until the client goes away.
    pub fn hang() -> Self {
        Self::of(Kind::Hang)
    }

    /// The default answer after `delay`, and (streamed) with `delay` between chunks.
    pub fn slow(delay: Duration) -> Self {
        Self::echo().delay(delay).chunk_delay(delay)
    }

    /// Waits this long before answering.
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Streamed, waits this long between two chunks.
    pub fn chunk_delay(mut self, delay: Duration) -> Self {
        self.chunk_delay = delay;
        self
    }

    /// Reports no usage, even when a stream asks for it.
    pub fn without_usage(mut self) -> Self {
        self.usage = false;
        self
    }

    /// Adds fields a client does not know (`service_tier: "flex"`, `system_fingerprint`,
    /// usage details, `obfuscation` in chunks) and an unknown `finish_reason` value.
    pub fn with_extra_fields(mut self) -> Self {
        self.extra_fields = true;
        self
    }

    /// Sends `Retry-After: <seconds>` with an error status.
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }
}
