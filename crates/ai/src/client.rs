//! The client: one method per endpoint, each a bounded loop of attempts.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::CONTENT_TYPE;
use reqwest::{RequestBuilder, Response, StatusCode};
use tokio::time::Instant;

use crate::error::UnavailableKind;
use crate::retry::{backoff, retry_after, MAX_RETRY_AFTER};
use crate::wire::{self, ChatBody, ModelsWire, ResponseFormat, SpeechBody, StreamOptions};
use crate::{AiError, ChatRequest, Completion, CompletionStream, Config};

/// A client of one OpenAI-compatible provider. Cheap to clone: clones share the connection
/// pool.
#[derive(Clone, Debug)]
pub struct Client {
    http: reqwest::Client,
    config: Arc<Config>,
}

/// How one attempt failed.
enum Failure {
    /// Worth another attempt (429, 5xx, a connection error).
    Retry { kind: UnavailableKind, retry_after: Option<Duration>, reason: String },
    /// Not worth one.
    Fatal(AiError),
}

impl Client {
    pub fn new(config: Config) -> Result<Self, AiError> {
        let http = reqwest::Client::builder()
            .connect_timeout(config.timeout)
            .build()
            .map_err(|e| AiError::Config(format!("HTTP client: {e}")))?;
        Ok(Self { http, config: Arc::new(config) })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// `POST {base}/chat/completions`, not streamed.
    #[tracing::instrument(skip_all, fields(model))]
    pub async fn complete(&self, request: &ChatRequest) -> Result<Completion, AiError> {
        let (model, url, body) = self.chat_call(request, false)?;
        self.with_retries(|| async {
            let response = self.send(self.http.post(url.clone()).json(&body)).await?;
            let text = read_text(response).await?;
            wire::completion(&text, model, &request.messages).map_err(Failure::Fatal)
        })
        .await
    }

    /// `POST {base}/chat/completions` with `stream: true`, asking for usage in the last chunk.
    /// Retries happen before the first byte; once the stream has begun, a failure is its last
    /// item. Each gap between chunks is bounded by [`Config::timeout`].
    #[tracing::instrument(skip_all, fields(model))]
    pub async fn stream(&self, request: &ChatRequest) -> Result<CompletionStream, AiError> {
        let (model, url, body) = self.chat_call(request, true)?;
        self.with_retries(|| async {
            let response = self.send(self.http.post(url.clone()).json(&body)).await?;
            let is_json = response
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("application/json"));
            if is_json {
                // A server that ignores `stream: true` answers one completion.
                let text = read_text(response).await?;
                let completion = wire::completion(&text, model, &request.messages);
                return completion.map(CompletionStream::ready).map_err(Failure::Fatal);
            }
            Ok(CompletionStream::sse(
                response.bytes_stream(),
                model.to_owned(),
                request.messages.clone(),
                self.config.timeout,
            ))
        })
        .await
    }

    /// `POST {base}/audio/speech`: the audio, in the provider's default format (MP3 for
    /// OpenAI).
    #[tracing::instrument(skip(self, input))]
    pub async fn speech(&self, model: &str, voice: &str, input: &str) -> Result<Bytes, AiError> {
        let url = self.config.endpoint(&["audio", "speech"]);
        let body = SpeechBody { model, voice, input };
        self.with_retries(|| async {
            let response = self.send(self.http.post(url.clone()).json(&body)).await?;
            let audio = response.bytes().await.map_err(broken)?;
            if audio.is_empty() {
                return Err(Failure::Fatal(AiError::Malformed("speech: an empty body".to_owned())));
            }
            Ok(audio)
        })
        .await
    }

    /// `GET {base}/models`: the ids of the provider's models.
    #[tracing::instrument(skip_all)]
    pub async fn models(&self) -> Result<Vec<String>, AiError> {
        let url = self.config.endpoint(&["models"]);
        self.with_retries(|| async {
            let response = self.send(self.http.get(url.clone())).await?;
            let text = read_text(response).await?;
            let models: ModelsWire = wire::decode(&text, "models").map_err(Failure::Fatal)?;
            Ok(models.data.into_iter().filter_map(|m| m.id).collect())
        })
        .await
    }

    /// The model (recorded on the span), the address and the body of a chat call.
    fn chat_call<'a>(
        &'a self,
        request: &'a ChatRequest,
        stream: bool,
    ) -> Result<(&'a str, reqwest::Url, ChatBody<'a>), AiError> {
        let model = request
            .model
            .as_deref()
            .or(self.config.default_model.as_deref())
            .filter(|m| !m.is_empty())
            .ok_or(AiError::NoModel)?;
        tracing::Span::current().record("model", model);
        Ok((model, self.config.endpoint(&["chat", "completions"]), chat_body(request, model, stream)))
    }

    /// Runs attempts until one succeeds, one fails for good, the retries are spent, or the
    /// next wait would pass the deadline (`Config::timeout` from now).
    async fn with_retries<T, F, Fut>(&self, mut attempt: F) -> Result<T, AiError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Failure>>,
    {
        let deadline = Instant::now() + self.config.timeout;
        let mut retry = 0;
        loop {
            let failure = match tokio::time::timeout_at(deadline, attempt()).await {
                Err(_) => return Err(AiError::timeout(self.config.timeout)),
                Ok(Ok(value)) => return Ok(value),
                Ok(Err(Failure::Fatal(error))) => return Err(error),
                Ok(Err(Failure::Retry { kind, retry_after, reason })) => {
                    AiError::Unavailable { kind, retry_after, reason }
                }
            };
            let AiError::Unavailable { retry_after, .. } = &failure else {
                return Err(failure);
            };
            let wait = retry_after.map(|d| d.min(MAX_RETRY_AFTER)).unwrap_or_else(|| backoff(retry));
            if retry >= self.config.max_retries || Instant::now() + wait >= deadline {
                return Err(failure);
            }
            tracing::debug!(retry, ?wait, error = %failure, "retrying the AI provider");
            tokio::time::sleep(wait).await;
            retry += 1;
        }
    }

    /// Sends one request; a success status is `Ok`, any other is read into a `Failure`.
    async fn send(&self, request: RequestBuilder) -> Result<Response, Failure> {
        let request = match &self.config.api_key {
            Some(key) => request.bearer_auth(key.expose()),
            None => request,
        };
        let response = request.send().await.map_err(|e| {
            if e.is_builder() {
                Failure::Fatal(AiError::Config(e.to_string()))
            } else {
                broken(e)
            }
        })?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let retry_after = retry_after(response.headers());
        let message = wire::error_message(&response.text().await.unwrap_or_default());
        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            return Err(Failure::Retry {
                kind: UnavailableKind::Status(status.as_u16()),
                retry_after,
                reason: message,
            });
        }
        Err(Failure::Fatal(AiError::Rejected { status: status.as_u16(), message }))
    }
}

fn chat_body<'a>(request: &'a ChatRequest, model: &'a str, stream: bool) -> ChatBody<'a> {
    ChatBody {
        model,
        messages: &request.messages,
        max_tokens: request.max_tokens,
        temperature: request.temperature,
        stream,
        stream_options: stream.then_some(StreamOptions { include_usage: true }),
        response_format: request.json.then_some(ResponseFormat { kind: "json_object" }),
    }
}

async fn read_text(response: Response) -> Result<String, Failure> {
    response.text().await.map_err(broken)
}

/// A transport error: the connection could not be made or broke.
fn broken(error: reqwest::Error) -> Failure {
    Failure::Retry { kind: UnavailableKind::Connection, retry_after: None, reason: error.to_string() }
}
