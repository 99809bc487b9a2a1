//! The public request and answer types, and the OpenAI wire shapes they are read from.
//!
//! Every field of an answer is read through [`lenient`]: absent, `null` or of an unexpected
//! type, it reads as its default and the rest of the answer still counts. Only a body that is
//! not a JSON object is [`AiError::Malformed`].

use serde::de::{DeserializeOwned, Deserializer};
use serde::{Deserialize, Serialize};

use crate::{tokens, AiError};

/// Who speaks a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::System => "system",
            Self::User => "user",
            Self::Assistant => "assistant",
        }
    }
}

/// One message of a conversation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Message {
    pub role: Role,
    pub content: String,
}

impl Message {
    pub fn new(role: Role, content: impl Into<String>) -> Self {
        Self { role, content: content.into() }
    }
}

/// A chat completion request. `max_tokens` is always sent: it is the bound a caller's credit
/// reservation is computed from.
#[derive(Clone, Debug, PartialEq)]
pub struct ChatRequest {
    /// `None` uses [`crate::Config::default_model`].
    pub model: Option<String>,
    pub messages: Vec<Message>,
    pub max_tokens: u32,
    pub temperature: Option<f32>,
    /// Ask for a JSON object (`response_format: {"type": "json_object"}`): structured output,
    /// which the caller still parses leniently (not every server honours it).
    pub json: bool,
}

/// Tokens of one call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Counted locally (`cl100k_base`) because the provider reported no usage.
    pub estimated: bool,
}

/// A finished answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Completion {
    pub text: String,
    pub usage: Usage,
    /// As the provider says it (`stop`, `length`, or any other); `None` when absent or empty.
    pub finish_reason: Option<String>,
    /// The model the provider says answered, else the one asked for.
    pub model: String,
}

/// What a [`crate::CompletionStream`] yields: text as it comes, then the whole answer once.
#[derive(Clone, Debug, PartialEq)]
pub enum StreamEvent {
    Delta(String),
    Done(Completion),
}

// ---- request bodies ------------------------------------------------------------------------

#[derive(Serialize)]
pub(crate) struct ChatBody<'a> {
    pub model: &'a str,
    pub messages: &'a [Message],
    pub max_tokens: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    pub stream: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_options: Option<StreamOptions>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_format: Option<ResponseFormat>,
}

#[derive(Serialize)]
pub(crate) struct ResponseFormat {
    #[serde(rename = "type")]
    pub kind: &'static str,
}

#[derive(Serialize)]
pub(crate) struct StreamOptions {
    pub include_usage: bool,
}

#[derive(Serialize)]
pub(crate) struct SpeechBody<'a> {
    pub model: &'a str,
    pub voice: &'a str,
    pub input: &'a str,
}

// ---- answers -------------------------------------------------------------------------------

/// Reads a field as `T`, or as `T::default()` when it is `null` or of another shape.
fn lenient<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned + Default,
{
    let value = serde_json::Value::deserialize(deserializer)?;
    if value.is_null() {
        return Ok(T::default());
    }
    Ok(serde_json::from_value(value).unwrap_or_else(|error| {
        tracing::debug!(%error, "a field of unexpected shape from the AI provider read as absent");
        T::default()
    }))
}

/// `chat.completion` and `chat.completion.chunk` alike: a chunk has `delta` where a
/// completion has `message`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ChatWire {
    #[serde(default, deserialize_with = "lenient")]
    pub model: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub choices: Vec<ChoiceWire>,
    #[serde(default, deserialize_with = "lenient")]
    pub usage: Option<UsageWire>,
    /// An error reported inside a stream (vLLM and others do this mid-stream).
    #[serde(default, deserialize_with = "lenient")]
    pub error: Option<ErrorWire>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ChoiceWire {
    #[serde(default, deserialize_with = "lenient")]
    pub index: Option<u64>,
    #[serde(default, deserialize_with = "lenient")]
    pub message: Option<MessageWire>,
    #[serde(default, deserialize_with = "lenient")]
    pub delta: Option<MessageWire>,
    #[serde(default, deserialize_with = "lenient")]
    pub finish_reason: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct MessageWire {
    #[serde(default, deserialize_with = "lenient")]
    pub content: Option<ContentWire>,
}

/// A string, or (some servers) an array of `{type: "text", text}` parts.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum ContentWire {
    Text(String),
    Parts(Vec<PartWire>),
}

#[derive(Debug, Deserialize)]
pub(crate) struct PartWire {
    #[serde(default, deserialize_with = "lenient")]
    pub text: Option<String>,
}

impl ContentWire {
    pub fn into_text(self) -> String {
        match self {
            Self::Text(text) => text,
            Self::Parts(parts) => parts.into_iter().filter_map(|p| p.text).collect(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct UsageWire {
    #[serde(default, deserialize_with = "lenient")]
    pub prompt_tokens: Option<u64>,
    #[serde(default, deserialize_with = "lenient")]
    pub completion_tokens: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ErrorWire {
    #[serde(default, deserialize_with = "lenient")]
    pub message: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub code: Option<serde_json::Value>,
}

/// `{"error": {"message": …}}` as OpenAI answers a refusal; `None` for any other body.
#[derive(Debug, Default, Deserialize)]
struct ErrorBody {
    #[serde(default, deserialize_with = "lenient")]
    error: Option<ErrorWire>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ModelsWire {
    #[serde(default, deserialize_with = "lenient")]
    pub data: Vec<ModelWire>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ModelWire {
    #[serde(default, deserialize_with = "lenient")]
    pub id: Option<String>,
}

const FINISH_REASONS: [&str; 5] = ["stop", "length", "content_filter", "tool_calls", "function_call"];
const CHAT_FIELDS: [&str; 9] =
    ["id", "object", "created", "model", "choices", "usage", "system_fingerprint", "service_tier", "error"];

/// Reads a JSON object of shape `T`, logging the raw body when it is not one.
pub(crate) fn decode<T: DeserializeOwned>(body: &str, what: &str) -> Result<T, AiError> {
    let malformed = |reason: String| {
        tracing::debug!(body, what, reason, "malformed answer from the AI provider");
        AiError::Malformed(format!("{what}: {reason}"))
    };
    let value: serde_json::Value = serde_json::from_str(body).map_err(|e| malformed(e.to_string()))?;
    let Some(object) = value.as_object() else {
        return Err(malformed("not a JSON object".to_owned()));
    };
    let unknown: Vec<&str> =
        object.keys().map(String::as_str).filter(|k| !CHAT_FIELDS.contains(k) && *k != "data").collect();
    if !unknown.is_empty() {
        tracing::debug!(?unknown, what, "unknown fields in the AI provider's answer");
    }
    serde_json::from_value(value).map_err(|e| malformed(e.to_string()))
}

/// The message of an error body, else the body itself (shortened).
pub(crate) fn error_message(body: &str) -> String {
    let message = serde_json::from_str::<ErrorBody>(body).ok().and_then(|b| b.error).and_then(|e| e.message);
    match message {
        Some(message) => message,
        None => body.chars().take(300).collect(),
    }
}

impl ChoiceWire {
    /// `finish_reason` with the empty string read as absent; an unknown value is kept.
    pub fn finish_reason(&mut self) -> Option<String> {
        let reason = self.finish_reason.take().filter(|r| !r.is_empty())?;
        if !FINISH_REASONS.contains(&reason.as_str()) {
            tracing::debug!(reason, "unknown finish_reason from the AI provider");
        }
        Some(reason)
    }
}

/// The usage a provider reported, with what it left out counted locally.
pub(crate) fn usage(reported: Option<&UsageWire>, messages: &[Message], text: &str) -> Usage {
    let (input, output) = match reported {
        Some(u) => (u.prompt_tokens, u.completion_tokens),
        None => (None, None),
    };
    Usage {
        estimated: input.is_none() || output.is_none(),
        input_tokens: input.unwrap_or_else(|| tokens::count_prompt_tokens(messages)),
        output_tokens: output.unwrap_or_else(|| tokens::count_tokens(text)),
    }
}

/// A non-streamed `chat.completion` as a [`Completion`]; no choices reads as an empty text.
pub(crate) fn completion(body: &str, model: &str, messages: &[Message]) -> Result<Completion, AiError> {
    let mut wire: ChatWire = decode(body, "chat completion")?;
    let mut choice = take_first_choice(&mut wire.choices);
    let text = choice
        .as_mut()
        .and_then(|c| c.message.take())
        .and_then(|m| m.content)
        .map(ContentWire::into_text)
        .unwrap_or_default();
    let finish_reason = choice.as_mut().and_then(ChoiceWire::finish_reason);
    Ok(Completion {
        usage: usage(wire.usage.as_ref(), messages, &text),
        text,
        finish_reason,
        model: wire.model.unwrap_or_else(|| model.to_owned()),
    })
}

/// The choice at index 0 (or the first one, for servers that send no index).
pub(crate) fn take_first_choice(choices: &mut Vec<ChoiceWire>) -> Option<ChoiceWire> {
    let at = choices.iter().position(|c| c.index.unwrap_or(0) == 0)?;
    Some(choices.swap_remove(at))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages() -> Vec<Message> {
        vec![Message::new(Role::User, "Say hello")]
    }

    #[test]
    fn reads_an_openai_completion() {
        let body = r#"{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-x",
            "choices":[{"index":0,"message":{"role":"assistant","content":"Hello","refusal":null},
            "logprobs":null,"finish_reason":"stop"}],
            "usage":{"prompt_tokens":9,"completion_tokens":1,"total_tokens":10}}"#;
        let c = completion(body, "asked", &messages()).expect("decodes");
        assert_eq!(c.text, "Hello");
        assert_eq!(c.model, "gpt-x");
        assert_eq!(c.finish_reason.as_deref(), Some("stop"));
        assert_eq!(c.usage, Usage { input_tokens: 9, output_tokens: 1, estimated: false });
    }

    #[test]
    fn unknown_fields_and_values_are_accepted() {
        let body = r#"{"model":"m","service_tier":"flex","system_fingerprint":"fp","x_new":{"a":1},
            "choices":[{"index":0,"stop_reason":null,"message":{"content":"Hi","reasoning_content":"…"},
            "finish_reason":"eos_surprise"}],
            "usage":{"prompt_tokens":3,"completion_tokens":1,"prompt_tokens_details":{"cached_tokens":0}}}"#;
        let c = completion(body, "asked", &messages()).expect("decodes");
        assert_eq!(c.text, "Hi");
        assert_eq!(c.finish_reason.as_deref(), Some("eos_surprise"));
        assert!(!c.usage.estimated);
    }

    #[test]
    fn missing_or_odd_parts_read_as_absent() {
        // No usage, empty finish_reason, a model of the wrong type, content as parts.
        let body = r#"{"model":42,"choices":[{"message":{"content":[{"type":"text","text":"Hel"},
            {"type":"text","text":"lo"}]},"finish_reason":""}]}"#;
        let c = completion(body, "asked", &messages()).expect("decodes");
        assert_eq!(c.text, "Hello");
        assert_eq!(c.model, "asked");
        assert_eq!(c.finish_reason, None);
        assert!(c.usage.estimated);
        assert_eq!(c.usage.output_tokens, tokens::count_tokens("Hello"));
        assert_eq!(c.usage.input_tokens, tokens::count_prompt_tokens(&messages()));
    }

    #[test]
    fn empty_or_null_choices_are_tolerated() {
        for body in [r#"{"choices":[]}"#, r#"{"choices":null,"usage":null}"#, "{}"] {
            let c = completion(body, "m", &messages()).expect("decodes");
            assert_eq!(c.text, "");
            assert_eq!(c.finish_reason, None);
        }
    }

    #[test]
    fn partial_usage_is_completed_locally() {
        let body =
            r#"{"choices":[{"message":{"content":"Hello"}}],"usage":{"prompt_tokens":12.5,"completion_tokens":1}}"#;
        let c = completion(body, "m", &messages()).expect("decodes");
        assert_eq!(c.usage.output_tokens, 1);
        assert_eq!(c.usage.input_tokens, tokens::count_prompt_tokens(&messages()));
        assert!(c.usage.estimated);
    }

    #[test]
    fn a_body_that_is_not_an_object_is_malformed() {
        for body in ["", "not json", r#"{"choices": ["#, "[1,2]", "null"] {
            assert!(matches!(completion(body, "m", &messages()), Err(AiError::Malformed(_))), "{body:?}");
        }
    }

    #[test]
    fn error_messages_come_from_the_error_body() {
        assert_eq!(error_message(r#"{"error":{"message":"bad model","type":"invalid_request_error"}}"#), "bad model");
        assert_eq!(error_message("plain text"), "plain text");
    }

    #[test]
    fn the_request_body_always_carries_max_tokens() {
        let body = ChatBody {
            model: "m",
            messages: &messages(),
            max_tokens: 64,
            temperature: None,
            stream: false,
            stream_options: None,
            response_format: None,
        };
        let json = serde_json::to_value(&body).expect("serialises");
        assert_eq!(json["max_tokens"], 64);
        assert_eq!(json["messages"][0]["role"], "user");
        assert!(json.get("temperature").is_none());
        assert!(json.get("response_format").is_none());
        let body = ChatBody { response_format: Some(ResponseFormat { kind: "json_object" }), ..body };
        assert_eq!(serde_json::to_value(&body).expect("serialises")["response_format"]["type"], "json_object");
    }
}
