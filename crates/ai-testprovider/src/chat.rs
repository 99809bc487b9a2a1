//! `POST /v1/chat/completions`, plain and streamed, in OpenAI's shapes.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::Body;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

use crate::reply::Kind;
use crate::server::{bad_request, json_response, malformed_json, unix_now, Taken};
use crate::{tokens, Answering};

/// What OpenAI assumes when a request sets no `max_tokens`.
const DEFAULT_MAX_TOKENS: u64 = 4096;

/// The answer decided, before it is put in a plain or a streamed shape.
struct Answer {
    id: String,
    created: u64,
    model: String,
    pieces: Vec<String>,
    finish_reason: &'static str,
    /// `(prompt_tokens, completion_tokens)`, or `None` when the reply reports none.
    usage: Option<(u64, u64)>,
    extra_fields: bool,
}

pub(crate) async fn completions(mut taken: Taken) -> Response {
    let body = &taken.body;
    if !body.is_object() {
        taken.answering.finish();
        return bad_request("We could not parse the JSON body of your request.");
    }
    let Some(model) = body["model"].as_str() else {
        taken.answering.finish();
        return bad_request("you must provide a model parameter");
    };
    let Some(messages) = body["messages"].as_array() else {
        taken.answering.finish();
        return bad_request("'messages' is a required property");
    };
    let max_tokens =
        body["max_tokens"].as_u64().or_else(|| body["max_completion_tokens"].as_u64()).unwrap_or(DEFAULT_MAX_TOKENS);
    if max_tokens == 0 {
        taken.answering.finish();
        return bad_request("max_tokens must be at least 1");
    }
    let stream = body["stream"].as_bool().unwrap_or(false);
    let include_usage = body["stream_options"]["include_usage"].as_bool().unwrap_or(false);

    let text = match &taken.reply.kind {
        Kind::Text(text) => text.clone(),
        _ => format!("Echo: {}", last_user_message(messages)),
    };
    let (pieces, cut) = tokens::generate(&text, max_tokens);
    let reply = &taken.reply;
    let answer = Answer {
        id: format!("chatcmpl-test{}", taken.id),
        created: unix_now(),
        model: model.to_owned(),
        finish_reason: match (cut, reply.extra_fields) {
            (true, _) => "length",
            (false, true) => "end_of_turn_unknown_to_clients",
            (false, false) => "stop",
        },
        usage: reply.usage.then(|| (tokens::prompt(messages), pieces.iter().map(|p| tokens::count(p)).sum())),
        pieces,
        extra_fields: reply.extra_fields,
    };
    let malformed = matches!(reply.kind, Kind::Malformed);
    let chunk_delay = reply.chunk_delay;
    if stream {
        let events = if malformed {
            vec![
                "data: {\"id\":\"chatcmpl-broken\",\"choices\":[{\"delta\":\n\n".to_owned(),
                "data: [DONE]\n\n".to_owned(),
            ]
        } else {
            answer.events(include_usage)
        };
        return sse(events, chunk_delay, taken.answering);
    }
    taken.answering.finish();
    if malformed {
        return malformed_json();
    }
    json_response(answer.completion().to_string())
}

fn last_user_message(messages: &[Value]) -> String {
    messages.iter().rev().find(|m| m["role"] == "user").map(tokens::content).unwrap_or_default()
}

impl Answer {
    fn usage_json(&self) -> Option<Value> {
        let (prompt, completion) = self.usage?;
        let mut usage = json!({
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        });
        if self.extra_fields {
            usage["prompt_tokens_details"] = json!({"cached_tokens": 0, "audio_tokens": 0});
            usage["completion_tokens_details"] = json!({"reasoning_tokens": 0, "accepted_prediction_tokens": 0});
        }
        Some(usage)
    }

    fn extras(&self, object: &mut Map<String, Value>) {
        if self.extra_fields {
            object.insert("service_tier".into(), json!("flex"));
            object.insert("system_fingerprint".into(), json!("fp_lyceum_test"));
        }
    }

    /// A `chat.completion` object.
    fn completion(&self) -> Value {
        let mut choice = json!({
            "index": 0,
            "message": {"role": "assistant", "content": self.pieces.concat(), "refusal": null, "annotations": []},
            "logprobs": null,
            "finish_reason": self.finish_reason,
        });
        if self.extra_fields {
            choice["stop_reason"] = Value::Null;
            choice["message"]["reasoning_content"] = json!("");
        }
        let mut object = Map::new();
        object.insert("id".into(), json!(self.id));
        object.insert("object".into(), json!("chat.completion"));
        object.insert("created".into(), json!(self.created));
        object.insert("model".into(), json!(self.model));
        object.insert("choices".into(), json!([choice]));
        if let Some(usage) = self.usage_json() {
            object.insert("usage".into(), usage);
        }
        self.extras(&mut object);
        Value::Object(object)
    }

    /// A `chat.completion.chunk` with these choices.
    fn chunk(&self, choices: Value, include_usage: bool) -> Value {
        let mut object = Map::new();
        object.insert("id".into(), json!(self.id));
        object.insert("object".into(), json!("chat.completion.chunk"));
        object.insert("created".into(), json!(self.created));
        object.insert("model".into(), json!(self.model));
        object.insert("choices".into(), choices);
        if include_usage && self.usage.is_some() {
            object.insert("usage".into(), Value::Null);
        }
        self.extras(&mut object);
        if self.extra_fields {
            object.insert("obfuscation".into(), json!("x1y2"));
        }
        Value::Object(object)
    }

    /// The stream as OpenAI sends it: a role chunk, one chunk per piece, a chunk with the
    /// finish reason, the usage chunk (`choices: []`) when asked for, `[DONE]`.
    fn events(&self, include_usage: bool) -> Vec<String> {
        let choice = |delta: Value, finish: Value| json!([{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}]);
        let mut chunks = vec![self
            .chunk(choice(json!({"role": "assistant", "content": "", "refusal": null}), Value::Null), include_usage)];
        for piece in &self.pieces {
            chunks.push(self.chunk(choice(json!({"content": piece}), Value::Null), include_usage));
        }
        chunks.push(self.chunk(choice(json!({}), json!(self.finish_reason)), include_usage));
        if let (true, Some(usage)) = (include_usage, self.usage_json()) {
            let mut last = self.chunk(json!([]), false);
            last["usage"] = usage;
            chunks.push(last);
        }
        let mut events: Vec<String> = chunks.iter().map(|c| format!("data: {c}\n\n")).collect();
        events.push("data: [DONE]\n\n".to_owned());
        events
    }
}

/// A `text/event-stream` of these events, `delay` apart. The guard is finished as the last
/// event is handed over; if the body is dropped before that, the client went away.
fn sse(events: Vec<String>, delay: Duration, answering: Answering) -> Response {
    let state = (events.into_iter(), answering, true);
    let body = futures_util::stream::unfold(state, move |(mut events, mut answering, first)| async move {
        let event = events.next()?;
        if !first {
            tokio::time::sleep(delay).await;
        }
        if events.len() == 0 {
            answering.finish();
        }
        Some((Ok::<_, Infallible>(event), (events, answering, false)))
    });
    (
        [(header::CONTENT_TYPE, "text/event-stream; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")],
        Body::from_stream(body),
    )
        .into_response()
}
