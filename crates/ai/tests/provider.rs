//! The client against the test provider: a real HTTP server speaking OpenAI's protocol.

use std::time::Duration;

use futures_util::StreamExt;
use lyceum_ai::{
    AiError, ChatRequest, Client, Completion, Config, Message, Role, Secret, StreamEvent, UnavailableKind,
};
use lyceum_ai_testprovider::{Reply, TestProvider};

fn config(provider: &TestProvider) -> Config {
    let mut config = Config::new(&provider.base_url()).expect("the provider's URL is valid");
    config.default_model = Some("test-model".to_owned());
    config.timeout = Duration::from_secs(10);
    config.max_retries = 2;
    config
}

fn client(provider: &TestProvider) -> Client {
    Client::new(config(provider)).expect("client")
}

fn request(text: &str, max_tokens: u32) -> ChatRequest {
    ChatRequest {
        model: None,
        messages: vec![Message::new(Role::System, "You are a patient customer."), Message::new(Role::User, text)],
        max_tokens,
        temperature: Some(0.2),
        json: false,
    }
}

fn tiktoken(text: &str) -> u64 {
    tiktoken_rs::cl100k_base_singleton().encode_ordinary(text).len() as u64
}

/// The deltas of a stream, and the completion it ended with.
async fn drain(client: &Client, request: &ChatRequest) -> (Vec<String>, Completion) {
    let mut stream = client.stream(request).await.expect("the stream starts");
    let mut deltas = Vec::new();
    while let Some(event) = stream.next().await {
        match event.expect("no error in the stream") {
            StreamEvent::Delta(delta) => deltas.push(delta),
            StreamEvent::Done(completion) => {
                assert!(stream.next().await.is_none(), "nothing after Done");
                return (deltas, completion);
            }
        }
    }
    panic!("the stream ended without Done");
}

#[tokio::test]
async fn a_plain_completion_reports_the_providers_usage() {
    let provider = TestProvider::start().await;
    provider.script(Reply::text("Hello there"));
    let completion = client(&provider).complete(&request("Hi", 50)).await.expect("answer");
    assert_eq!(completion.text, "Hello there");
    assert_eq!(completion.model, "test-model");
    assert_eq!(completion.finish_reason.as_deref(), Some("stop"));
    assert!(!completion.usage.estimated);
    assert_eq!(completion.usage.output_tokens, tiktoken("Hello there"));
    let expected_prompt = 3 + (3 + 1 + tiktoken("You are a patient customer.")) + (3 + 1 + tiktoken("Hi"));
    assert_eq!(completion.usage.input_tokens, expected_prompt);

    let sent = &provider.requests()[0];
    assert_eq!(sent.path, "/v1/chat/completions");
    assert_eq!(sent.body["max_tokens"], 50);
    assert_eq!(sent.body["stream"], false);
    assert_eq!(sent.body["model"], "test-model");
    assert_eq!(sent.body["messages"][1]["content"], "Hi");
}

#[tokio::test]
async fn max_tokens_is_sent_and_honoured() {
    let provider = TestProvider::start().await;
    let client = client(&provider);
    let long = "one two three four five six seven eight nine ten";
    let plain = client.complete(&request(long, 4)).await.expect("answer");
    assert_eq!(plain.finish_reason.as_deref(), Some("length"));
    assert_eq!(plain.usage.output_tokens, 4);
    assert_eq!(plain.text, "Echo: one two", "`Echo`, `:`, ` one`, ` two`");
    let (_, streamed) = drain(&client, &request(long, 4)).await;
    assert_eq!(streamed.text, plain.text);
    assert_eq!(streamed.finish_reason.as_deref(), Some("length"));
    for sent in provider.requests() {
        assert_eq!(sent.body["max_tokens"], 4);
    }
}

#[tokio::test]
async fn a_streamed_completion_ends_with_the_providers_usage() {
    let provider = TestProvider::start().await;
    provider.script(Reply::text("Hello there, how can I help you today?"));
    let (deltas, completion) = drain(&client(&provider), &request("Hi", 50)).await;
    assert!(deltas.len() > 3, "one delta per token: {deltas:?}");
    assert_eq!(deltas.concat(), completion.text);
    assert_eq!(completion.text, "Hello there, how can I help you today?");
    assert_eq!(completion.finish_reason.as_deref(), Some("stop"));
    assert!(!completion.usage.estimated);
    assert_eq!(completion.usage.output_tokens, tiktoken(&completion.text));

    let sent = &provider.requests()[0];
    assert_eq!(sent.body["stream"], true);
    assert_eq!(sent.body["stream_options"]["include_usage"], true);
    assert_eq!(sent.body["max_tokens"], 50);
}

#[tokio::test]
async fn a_stream_without_usage_is_counted_locally_as_the_provider_counts() {
    let provider = TestProvider::start().await;
    let client = client(&provider);
    let text = "Well, I'd like a refund — the blender arrived broken. 🙁";
    provider.script(Reply::text(text));
    let (_, reported) = drain(&client, &request("What went wrong?", 100)).await;
    provider.script(Reply::text(text).without_usage());
    let (_, estimated) = drain(&client, &request("What went wrong?", 100)).await;
    assert!(!reported.usage.estimated);
    assert!(estimated.usage.estimated);
    assert_eq!(estimated.usage.input_tokens, reported.usage.input_tokens);
    assert_eq!(estimated.usage.output_tokens, reported.usage.output_tokens);
    assert_eq!(estimated.usage.output_tokens, tiktoken(text));

    provider.script(Reply::text(text).without_usage());
    let plain = client.complete(&request("What went wrong?", 100)).await.expect("answer");
    assert!(plain.usage.estimated);
    assert_eq!(plain.usage.input_tokens, reported.usage.input_tokens);
}

#[tokio::test]
async fn unknown_fields_and_enum_values_are_accepted() {
    let provider = TestProvider::start().await;
    let client = client(&provider);
    provider.script(Reply::text("Fine.").with_extra_fields());
    let plain = client.complete(&request("Hi", 20)).await.expect("answer");
    assert_eq!(plain.text, "Fine.");
    assert_eq!(plain.finish_reason.as_deref(), Some("end_of_turn_unknown_to_clients"));
    assert!(!plain.usage.estimated);

    provider.script(Reply::text("Fine.").with_extra_fields());
    let (_, streamed) = drain(&client, &request("Hi", 20)).await;
    assert_eq!(streamed.text, "Fine.");
    assert_eq!(streamed.finish_reason, plain.finish_reason);
    assert_eq!(streamed.usage, plain.usage);
}

#[tokio::test]
async fn a_429_is_retried_after_the_delay_it_asks_for() {
    let provider = TestProvider::start().await;
    provider.script(Reply::status(429).retry_after(1));
    provider.script(Reply::text("Now then."));
    let completion = client(&provider).complete(&request("Hi", 20)).await.expect("answer");
    assert_eq!(completion.text, "Now then.");
    let requests = provider.requests();
    assert_eq!(requests.len(), 2);
    let waited = requests[1].at.duration_since(requests[0].at);
    assert!(waited >= Duration::from_secs(1), "waited only {waited:?}");
}

#[tokio::test]
async fn a_retry_after_beyond_the_timeout_answers_unavailable_at_once() {
    let provider = TestProvider::start().await;
    provider.script(Reply::status(429).retry_after(30));
    let mut config = config(&provider);
    config.timeout = Duration::from_secs(2);
    let error = Client::new(config).expect("client").complete(&request("Hi", 20)).await;
    let Err(AiError::Unavailable { kind, retry_after, .. }) = error else {
        panic!("expected Unavailable, got {error:?}");
    };
    assert_eq!(kind, UnavailableKind::Status(429));
    assert_eq!(retry_after, Some(Duration::from_secs(30)), "told to the caller as given");
    assert_eq!(provider.calls(), 1);
}

#[tokio::test]
async fn repeated_500s_answer_unavailable_after_the_retries() {
    let provider = TestProvider::start().await;
    for _ in 0..3 {
        provider.script(Reply::status(500));
    }
    let error = client(&provider).complete(&request("Hi", 20)).await;
    assert!(matches!(error, Err(AiError::Unavailable { kind: UnavailableKind::Status(500), .. })), "{error:?}");
    assert_eq!(provider.calls(), 3, "the first attempt and max_retries = 2");

    // The same before a stream's first byte.
    for _ in 0..3 {
        provider.script(Reply::status(503));
    }
    let error = client(&provider).stream(&request("Hi", 20)).await;
    assert!(matches!(error, Err(AiError::Unavailable { kind: UnavailableKind::Status(503), .. })));
}

#[tokio::test]
async fn a_4xx_is_rejected_without_retry() {
    let provider = TestProvider::start().await;
    provider.script(Reply::status(400));
    let error = client(&provider).complete(&request("Hi", 20)).await;
    let Err(AiError::Rejected { status, message }) = error else {
        panic!("expected Rejected, got {error:?}");
    };
    assert_eq!(status, 400);
    assert!(message.contains("refused"), "the message of the error body: {message}");
    assert_eq!(provider.calls(), 1);
}

#[tokio::test]
async fn an_unreachable_provider_is_unavailable_by_connection() {
    let provider = TestProvider::start().await;
    let mut config = config(&provider);
    drop(provider);
    tokio::time::sleep(Duration::from_millis(50)).await;
    config.max_retries = 1;
    let error = Client::new(config).expect("client").complete(&request("Hi", 20)).await;
    assert!(matches!(error, Err(AiError::Unavailable { kind: UnavailableKind::Connection, .. })), "{error:?}");
}

#[tokio::test]
async fn a_provider_that_never_answers_times_out() {
    let provider = TestProvider::start().await;
    provider.script(Reply::hang());
    let mut config = config(&provider);
    config.timeout = Duration::from_millis(300);
    let client = Client::new(config).expect("client");
    let error = client.complete(&request("Hi", 20)).await;
    assert!(matches!(error, Err(AiError::Unavailable { kind: UnavailableKind::Timeout, .. })), "{error:?}");
    assert!(provider.wait_for_cancelled(1, Duration::from_secs(5)).await);

    // A stream that stalls between two chunks times out as its last item.
    provider.script(Reply::text("one two three").chunk_delay(Duration::from_secs(5)));
    let mut stream = client.stream(&request("Hi", 20)).await.expect("the stream starts");
    let last = loop {
        match stream.next().await {
            Some(Ok(StreamEvent::Delta(_))) => continue,
            other => break other,
        }
    };
    assert!(matches!(last, Some(Err(AiError::Unavailable { kind: UnavailableKind::Timeout, .. }))), "{last:?}");
    assert!(stream.next().await.is_none());
}

#[tokio::test]
async fn a_malformed_answer_is_malformed() {
    let provider = TestProvider::start().await;
    let client = client(&provider);
    provider.script(Reply::malformed());
    let error = client.complete(&request("Hi", 20)).await;
    assert!(matches!(error, Err(AiError::Malformed(_))), "{error:?}");
    assert_eq!(provider.calls(), 1, "not retried");

    provider.script(Reply::malformed());
    let mut stream = client.stream(&request("Hi", 20)).await.expect("the stream starts");
    assert!(matches!(stream.next().await, Some(Err(AiError::Malformed(_)))));
    assert!(stream.next().await.is_none());
}

#[tokio::test]
async fn the_api_key_is_sent_as_a_bearer_token_and_never_printed() {
    let provider = TestProvider::start().await;
    let mut config = config(&provider);
    config.api_key = Some(Secret::new("sk-test-0123456789"));
    assert!(!format!("{config:?}").contains("sk-test-0123456789"));
    let client = Client::new(config).expect("client");
    assert!(!format!("{client:?}").contains("sk-test-0123456789"));
    client.complete(&request("Hi", 20)).await.expect("answer");
    client.models().await.expect("models");
    for sent in provider.requests() {
        assert_eq!(sent.header("authorization"), Some("Bearer sk-test-0123456789"));
    }

    let anonymous = TestProvider::start().await;
    self::client(&anonymous).complete(&request("Hi", 20)).await.expect("answer");
    assert_eq!(anonymous.requests()[0].header("authorization"), None);
}

#[tokio::test]
async fn dropping_a_stream_midway_cancels_the_request() {
    let provider = TestProvider::start().await;
    let long = "word ".repeat(200);
    provider.script(Reply::text(long).chunk_delay(Duration::from_millis(20)));
    let client = client(&provider);
    let mut stream = client.stream(&request("Hi", 500)).await.expect("the stream starts");
    for _ in 0..3 {
        assert!(matches!(stream.next().await, Some(Ok(StreamEvent::Delta(_)))));
    }
    assert_eq!(provider.cancelled(), 0);
    drop(stream);
    assert!(provider.wait_for_cancelled(1, Duration::from_secs(5)).await, "the provider saw the client go away");
}

#[tokio::test]
async fn dropping_a_pending_call_cancels_the_request() {
    let provider = TestProvider::start().await;
    provider.script(Reply::hang());
    let client = client(&provider);
    let hi = request("Hi", 20);
    let call = tokio::time::timeout(Duration::from_millis(200), client.complete(&hi));
    assert!(call.await.is_err(), "still waiting when dropped");
    assert!(provider.wait_for_cancelled(1, Duration::from_secs(5)).await);
}

#[tokio::test]
async fn a_completed_call_is_not_counted_as_cancelled() {
    let provider = TestProvider::start().await;
    let client = client(&provider);
    client.complete(&request("Hi", 20)).await.expect("answer");
    drain(&client, &request("Hi", 20)).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(provider.cancelled(), 0);
}

#[tokio::test]
async fn speech_returns_the_audio_bytes() {
    let provider = TestProvider::start().await;
    let client = client(&provider);
    let audio = client.speech("test-tts", "alloy", "Welcome to the course.").await.expect("audio");
    assert!(audio.starts_with(b"ID3"));
    let sent = &provider.requests()[0];
    assert_eq!(sent.path, "/v1/audio/speech");
    assert_eq!(sent.body["voice"], "alloy");
    assert_eq!(sent.body["input"], "Welcome to the course.");

    provider.script(Reply::malformed());
    let error = client.speech("test-tts", "alloy", "Hi").await;
    assert!(matches!(error, Err(AiError::Malformed(_))), "{error:?}");
}

#[tokio::test]
async fn models_lists_the_providers_models() {
    let provider = TestProvider::start().await;
    provider.set_models(&["llama-3.1-8b", "qwen2.5-7b"]);
    let models = client(&provider).models().await.expect("models");
    assert_eq!(models, ["llama-3.1-8b", "qwen2.5-7b"]);
    assert_eq!(provider.requests()[0].method, "GET");
}

#[tokio::test]
async fn a_request_without_a_model_needs_a_default() {
    let provider = TestProvider::start().await;
    let mut config = config(&provider);
    config.default_model = None;
    let client = Client::new(config).expect("client");
    let error = client.complete(&request("Hi", 20)).await;
    assert!(matches!(error, Err(AiError::NoModel)), "{error:?}");
    let mut named = request("Hi", 20);
    named.model = Some("other-model".to_owned());
    let completion = client.complete(&named).await.expect("answer");
    assert_eq!(completion.model, "other-model");
    assert_eq!(provider.calls(), 1);
}
