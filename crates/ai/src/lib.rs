//! A client for any OpenAI-compatible model server (vLLM, llama.cpp's server, Ollama, a hosted
//! one): chat completions plain and streamed, text to speech, the model list.
//!
//! **Architecture invariant:** this crate knows HTTP and the OpenAI wire protocol, nothing of
//! Lyceum — no SQL, no credits, no tenancy. Callers reserve credits from
//! [`ChatRequest::max_tokens`] (which is always sent) and settle from [`Completion::usage`].
//!
//! - Decoding is lenient: unknown fields and enum values are accepted (and logged at `debug`),
//!   a field of an unexpected type reads as absent, and missing usage is counted locally with
//!   `cl100k_base` ([`Usage::estimated`]). Only an answer that is not JSON at all is
//!   [`AiError::Malformed`].
//! - 429, 5xx and connection errors are retried with exponential backoff and jitter, honouring
//!   `Retry-After`, within [`Config::timeout`]; then [`AiError::Unavailable`]. Other 4xx are
//!   [`AiError::Rejected`] at once.
//! - Cancellation: dropping the future of a call, or a [`CompletionStream`], drops the HTTP
//!   request and closes its connection, so the server sees the client go away.

mod client;
mod config;
mod error;
mod retry;
mod sse;
mod stream;
mod tokens;
mod wire;

pub use client::Client;
pub use config::{Config, Secret};
pub use error::{AiError, UnavailableKind};
pub use stream::CompletionStream;
pub use tokens::{count_prompt_tokens, count_tokens};
pub use wire::{ChatRequest, Completion, Message, Role, StreamEvent, Usage};
