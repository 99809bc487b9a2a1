//! A streamed completion: server-sent `chat.completion.chunk`s read into text deltas, then
//! the whole [`Completion`] with its usage (reported, or counted locally).

use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::{self, BoxStream};
use futures_util::{Stream, StreamExt};

use crate::error::UnavailableKind;
use crate::sse::SseDecoder;
use crate::wire::{self, ChatWire, ContentWire, UsageWire};
use crate::{AiError, Completion, Message, StreamEvent};

/// Yields [`StreamEvent::Delta`]s as the model produces text, then one
/// [`StreamEvent::Done`], or an error as its last item. Dropping it closes the connection,
/// which tells the provider to stop generating.
pub struct CompletionStream {
    inner: BoxStream<'static, Result<StreamEvent, AiError>>,
}

impl fmt::Debug for CompletionStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompletionStream").finish_non_exhaustive()
    }
}

impl Stream for CompletionStream {
    type Item = Result<StreamEvent, AiError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.poll_next_unpin(cx)
    }
}

impl CompletionStream {
    /// A completion that arrived whole (a server that does not stream).
    pub(crate) fn ready(completion: Completion) -> Self {
        let delta = (!completion.text.is_empty()).then(|| StreamEvent::Delta(completion.text.clone()));
        let events = delta.into_iter().chain([StreamEvent::Done(completion)]);
        Self { inner: stream::iter(events.map(Ok)).boxed() }
    }

    pub(crate) fn sse(
        body: impl Stream<Item = reqwest::Result<Bytes>> + Send + 'static,
        model: String,
        messages: Vec<Message>,
        idle: Duration,
    ) -> Self {
        let state = Reader {
            body: body.boxed(),
            decoder: SseDecoder::default(),
            pending: VecDeque::new(),
            eof: false,
            finished: false,
            idle,
            text: String::new(),
            finish_reason: None,
            model,
            usage: None,
            messages,
        };
        Self { inner: stream::unfold(state, Reader::next).boxed() }
    }
}

struct Reader {
    body: BoxStream<'static, reqwest::Result<Bytes>>,
    decoder: SseDecoder,
    /// Data of events read but not yet handled.
    pending: VecDeque<String>,
    eof: bool,
    /// The last item (`Done` or an error) has been yielded.
    finished: bool,
    idle: Duration,
    text: String,
    finish_reason: Option<String>,
    model: String,
    usage: Option<UsageWire>,
    messages: Vec<Message>,
}

impl Reader {
    async fn next(mut self) -> Option<(Result<StreamEvent, AiError>, Self)> {
        if self.finished {
            return None;
        }
        let item = self.advance().await;
        self.finished = !matches!(item, Ok(StreamEvent::Delta(_)));
        Some((item, self))
    }

    async fn advance(&mut self) -> Result<StreamEvent, AiError> {
        loop {
            while let Some(data) = self.pending.pop_front() {
                match data.trim() {
                    "" => continue,
                    "[DONE]" => return Ok(StreamEvent::Done(self.completion())),
                    _ => {}
                }
                if let Some(delta) = self.absorb(&data)? {
                    return Ok(StreamEvent::Delta(delta));
                }
            }
            if self.eof {
                // Lenient: a body that ends without `[DONE]` still ends the answer.
                return Ok(StreamEvent::Done(self.completion()));
            }
            match tokio::time::timeout(self.idle, self.body.next()).await {
                Err(_) => return Err(AiError::timeout(self.idle)),
                Ok(None) => {
                    self.eof = true;
                    self.pending.extend(self.decoder.finish());
                }
                Ok(Some(Err(e))) => {
                    return Err(AiError::Unavailable {
                        kind: UnavailableKind::Connection,
                        retry_after: None,
                        reason: format!("the stream broke: {e}"),
                    })
                }
                Ok(Some(Ok(bytes))) => {
                    let events = self
                        .decoder
                        .feed(&bytes)
                        .map_err(|_| AiError::Malformed("stream: an event line longer than 1 MiB".to_owned()))?;
                    self.pending.extend(events);
                }
            }
        }
    }

    /// Takes in one chunk; returns the text it adds, if any.
    fn absorb(&mut self, data: &str) -> Result<Option<String>, AiError> {
        let mut chunk: ChatWire = wire::decode(data, "chat completion chunk")?;
        if let Some(error) = chunk.error {
            return Err(stream_error(error));
        }
        if let Some(model) = chunk.model {
            self.model = model;
        }
        if chunk.usage.is_some() {
            self.usage = chunk.usage;
        }
        let Some(mut choice) = wire::take_first_choice(&mut chunk.choices) else {
            return Ok(None);
        };
        if let Some(reason) = choice.finish_reason() {
            self.finish_reason = Some(reason);
        }
        let delta = choice.delta.and_then(|d| d.content).map(ContentWire::into_text).filter(|t| !t.is_empty());
        if let Some(delta) = &delta {
            self.text.push_str(delta);
        }
        Ok(delta)
    }

    fn completion(&mut self) -> Completion {
        let text = std::mem::take(&mut self.text);
        Completion {
            usage: wire::usage(self.usage.as_ref(), &self.messages, &text),
            text,
            finish_reason: self.finish_reason.take(),
            model: std::mem::take(&mut self.model),
        }
    }
}

/// An error event inside a stream: the request's fault for a 4xx code (other than 429),
/// else the provider's.
fn stream_error(error: wire::ErrorWire) -> AiError {
    let message = error.message.unwrap_or_else(|| "an error inside the stream".to_owned());
    let code = error
        .code
        .as_ref()
        .and_then(|c| c.as_u64().or_else(|| c.as_str()?.parse().ok()))
        .and_then(|c| u16::try_from(c).ok())
        .filter(|c| (400..600).contains(c));
    match code {
        Some(status) if status < 500 && status != 429 => AiError::Rejected { status, message },
        status => AiError::Unavailable {
            kind: UnavailableKind::Status(status.unwrap_or(502)),
            retry_after: None,
            reason: message,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{tokens, Role};

    fn read(reads: &[&'static str]) -> Vec<Result<StreamEvent, AiError>> {
        let reads: Vec<_> = reads.iter().map(|r| Ok(Bytes::from_static(r.as_bytes()))).collect();
        let body = stream::iter(reads);
        let messages = vec![Message::new(Role::User, "hi")];
        let s = CompletionStream::sse(body, "asked".into(), messages, Duration::from_secs(5));
        tokio::runtime::Builder::new_current_thread().enable_time().build().expect("runtime").block_on(s.collect())
    }

    fn done(events: &[Result<StreamEvent, AiError>]) -> &Completion {
        match events.last() {
            Some(Ok(StreamEvent::Done(c))) => c,
            other => panic!("no Done at the end: {other:?}"),
        }
    }

    const ROLE: &str = "data: {\"model\":\"m1\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n";

    #[test]
    fn deltas_then_done_with_reported_usage() {
        let events = read(&[
            ROLE,
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"},\"finish_reason\":null}]}\n\n",
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"}",
            ",\"finish_reason\":null}]}\n\ndata: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
            "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":8,\"completion_tokens\":2,\"total_tokens\":10}}\n\n",
            "data: [DONE]\n\n",
        ]);
        let deltas: Vec<_> = events
            .iter()
            .filter_map(|e| match e {
                Ok(StreamEvent::Delta(d)) => Some(d.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(deltas, ["Hel", "lo"], "the empty role delta is not yielded");
        let c = done(&events);
        assert_eq!(c.text, "Hello");
        assert_eq!(c.model, "m1");
        assert_eq!(c.finish_reason.as_deref(), Some("stop"));
        assert_eq!((c.usage.input_tokens, c.usage.output_tokens, c.usage.estimated), (8, 2, false));
    }

    #[test]
    fn no_usage_is_counted_locally_and_a_missing_done_tolerated() {
        let events = read(&[
            ": keep-alive\r\n\r\n",
            "data: {\"choices\":[{\"delta\":{\"content\":\"Hello there\"},\"finish_reason\":\"\"}]}\r\n\r\n",
        ]);
        let c = done(&events);
        assert_eq!(c.text, "Hello there");
        assert_eq!(c.model, "asked");
        assert_eq!(c.finish_reason, None);
        assert!(c.usage.estimated);
        assert_eq!(c.usage.output_tokens, tokens::count_tokens("Hello there"));
        assert_eq!(c.usage.input_tokens, tokens::count_prompt_tokens(&[Message::new(Role::User, "hi")]));
    }

    #[test]
    fn a_malformed_chunk_ends_the_stream() {
        let events = read(&[ROLE, "data: {not json\n\n", "data: [DONE]\n\n"]);
        assert_eq!(events.len(), 1);
        assert!(matches!(events[0], Err(AiError::Malformed(_))));
    }

    #[test]
    fn an_error_event_ends_the_stream() {
        let events = read(&["data: {\"error\":{\"message\":\"overloaded\",\"code\":503}}\n\n"]);
        assert!(matches!(events[..], [Err(AiError::Unavailable { kind: UnavailableKind::Status(503), .. })]));
        let events = read(&["data: {\"error\":{\"message\":\"too long\",\"code\":\"400\"}}\n\n"]);
        assert!(matches!(events[..], [Err(AiError::Rejected { status: 400, .. })]));
    }
}
