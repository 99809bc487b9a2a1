//! A faithful, scriptable OpenAI-compatible provider for tests: a real HTTP server on
//! `127.0.0.1:0` answering `POST /v1/chat/completions` (plain and SSE, in OpenAI's exact
//! chunk shapes), `POST /v1/audio/speech` and `GET /v1/models`.
//!
//! Each request takes the next scripted [`Reply`], or the default one: `Echo: <last user
//! message>`. Completions honour `max_tokens` (truncating, `finish_reason: "length"`) and
//! report the real `cl100k_base` token counts of prompt and completion, from this crate's own
//! tokenizer so that it is an oracle for the client's local counts. Every request is recorded,
//! and so is every client that went away before its answer was complete.
//!
//! ```no_run
//! # async fn demo() {
//! use lyceum_ai_testprovider::{Reply, TestProvider};
//! let provider = TestProvider::start().await;
//! provider.script(Reply::status(429).retry_after(1));
//! provider.script(Reply::text("Hello there"));
//! // … point a client at provider.base_url() …
//! assert_eq!(provider.calls(), 0);
//! # }
//! ```

mod chat;
mod reply;
mod server;
mod tokens;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;

pub use reply::Reply;

/// One request as the provider received it.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    pub method: String,
    /// The path, e.g. `/v1/chat/completions`.
    pub path: String,
    pub headers: HeaderMap,
    /// The body as JSON; `Null` when it was empty or not JSON.
    pub body: serde_json::Value,
    /// When it arrived, by the provider's clock.
    pub at: Instant,
}

impl RecordedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A running test provider; dropping it stops accepting connections.
pub struct TestProvider {
    addr: SocketAddr,
    state: Arc<State>,
    server: tokio::task::JoinHandle<()>,
}

#[derive(Default)]
struct State {
    script: Mutex<VecDeque<Reply>>,
    requests: Mutex<Vec<RecordedRequest>>,
    models: Mutex<Vec<String>>,
    cancelled: AtomicUsize,
    next_id: AtomicU64,
}

/// Locks, ignoring poisoning: a test that panicked holding the lock has failed anyway.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl TestProvider {
    /// Binds `127.0.0.1:0` and serves until dropped. Panics if it cannot bind (a test set-up
    /// failure).
    pub async fn start() -> Self {
        // The tokenizer's tables take a moment to build; build them before the first request, so
        // no answer is slower than its script says.
        tokio::task::spawn_blocking(|| tokens::count("warm")).await.expect("the tokenizer builds");
        let state = Arc::new(State::default());
        *lock(&state.models) = vec!["test-model".to_owned(), "test-tts".to_owned()];
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("the test provider binds 127.0.0.1:0");
        let addr = listener.local_addr().expect("a bound listener has an address");
        let app = server::router(state.clone());
        let server = tokio::spawn(async move {
            // Ends only with an I/O error of the listener, which fails the tests that follow.
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, state, server }
    }

    /// `http://127.0.0.1:<port>/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Queues a reply for the next request not yet answered (of any endpoint).
    pub fn script(&self, reply: Reply) -> &Self {
        lock(&self.state.script).push_back(reply);
        self
    }

    /// The models `GET /v1/models` lists (`test-model`, `test-tts` at start).
    pub fn set_models(&self, models: &[&str]) {
        *lock(&self.state.models) = models.iter().map(|m| (*m).to_owned()).collect();
    }

    /// Every request received so far, in order of arrival.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.state.requests).clone()
    }

    /// How many requests were received.
    pub fn calls(&self) -> usize {
        lock(&self.state.requests).len()
    }

    /// How many clients went away before their answer was complete (a dropped future or
    /// stream, a timeout).
    pub fn cancelled(&self) -> usize {
        self.state.cancelled.load(Ordering::SeqCst)
    }

    /// Waits until at least `n` cancellations are seen, for at most `within`; whether they
    /// were. The server learns of a disconnect asynchronously.
    pub async fn wait_for_cancelled(&self, n: usize, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while self.cancelled() < n {
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        true
    }
}

impl Drop for TestProvider {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Counts a cancellation when dropped before [`Answering::finish`]: the handler's future (or
/// its response body) was dropped because the client went away.
struct Answering {
    state: Arc<State>,
    finished: bool,
}

impl Answering {
    fn finish(&mut self) {
        self.finished = true;
    }
}

impl Drop for Answering {
    fn drop(&mut self) {
        if !self.finished {
            self.state.cancelled.fetch_add(1, Ordering::SeqCst);
        }
    }
}
