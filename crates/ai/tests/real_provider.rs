//! The client against a real OpenAI-compatible server, when one is running: set
//! `LYCEUM_AI_REAL_BASE_URL` (and `LYCEUM_AI_REAL_MODEL`) and run
//! `cargo test -p lyceum-ai --test real_provider -- --ignored`.
//!
//! Checked this way against llama-cpp-python's server with SmolLM2-135M-Instruct (a GGUF that
//! a PyPI package ships); not part of the default run, which needs no such server.

use std::time::Duration;

use futures_util::StreamExt;
use lyceum_ai::{ChatRequest, Client, Config, Message, Role, StreamEvent};

fn client() -> Client {
    let base = std::env::var("LYCEUM_AI_REAL_BASE_URL").expect("LYCEUM_AI_REAL_BASE_URL is set");
    let mut config = Config::new(&base).expect("a valid base URL");
    config.default_model = std::env::var("LYCEUM_AI_REAL_MODEL").ok();
    config.timeout = Duration::from_secs(120);
    Client::new(config).expect("client")
}

fn request() -> ChatRequest {
    ChatRequest {
        model: None,
        messages: vec![
            Message::new(Role::System, "You are a helpful assistant."),
            Message::new(Role::User, "Say hello in five words."),
        ],
        max_tokens: 16,
        temperature: Some(0.0),
        json: false,
    }
}

#[tokio::test]
#[ignore = "needs a real OpenAI-compatible server (LYCEUM_AI_REAL_BASE_URL)"]
async fn a_real_server_completes_streams_and_lists_models() {
    let client = client();
    let models = client.models().await.expect("models");
    assert!(!models.is_empty());
    println!("models: {models:?}");

    let plain = client.complete(&request()).await.expect("a completion");
    println!("plain: {plain:?}");
    assert!(!plain.text.is_empty());
    assert!(plain.usage.output_tokens <= 16 || plain.usage.estimated);

    let mut stream = client.stream(&request()).await.expect("a stream");
    let mut deltas = String::new();
    while let Some(event) = stream.next().await {
        match event.expect("no error in the stream") {
            StreamEvent::Delta(delta) => deltas.push_str(&delta),
            StreamEvent::Done(done) => {
                println!("streamed: {done:?}");
                assert_eq!(done.text, deltas);
                return;
            }
        }
    }
    panic!("the stream ended without Done");
}
