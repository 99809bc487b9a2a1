//! The AI gateway against the faithful test provider: reserve → call → settle, estimated usage,
//! provider failures, lowered `max_tokens`, and the offline mode.

use std::time::Duration;

use lyceum_ai_testprovider::{Reply, TestProvider};
use lyceum_test_support::TestApp;
use serde_json::json;

use crate::server_internals::ai;

async fn app_with(provider: &TestProvider) -> TestApp {
    let base = provider.base_url();
    TestApp::spawn_with(move |args| {
        args.ai_base_url = Some(base);
        args.ai_default_model = Some("test-model".into());
        args.ai_timeout_s = 2;
    })
    .await
}

/// A workspace with `limit` credits and `test-model` at 1,000,000 cents per Mtok either way
/// (one credit per token).
async fn workspace(app: &TestApp, limit: i64) -> lyceum_test_support::Owner {
    let owner = app.owner("olivia@example.com", "enterprise", 10, limit).await;
    let r = owner.client.patch(&format!("/api/v1/workspaces/{}", owner.ws), json!({"credit_limit": limit})).await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = owner
        .client
        .put(
            &format!("/api/v1/orgs/{}/models/test-model", owner.org),
            json!({"input_price_per_mtok": 1_000_000, "output_price_per_mtok": 1_000_000}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    owner
}

async fn credits(owner: &lyceum_test_support::Owner) -> serde_json::Value {
    owner.client.get(&format!("/api/v1/workspaces/{}/credits", owner.ws)).await.json
}

#[tokio::test]
async fn a_call_is_charged_what_the_provider_reports_and_the_reservation_is_released() {
    let provider = TestProvider::start().await;
    let app = app_with(&provider).await;
    let owner = workspace(&app, 10_000).await;
    provider.script(Reply::text("Hello there, learner."));
    let answer = ai::complete(&app, &owner.ws, "Hi", 50).await.expect("the call succeeds");
    let sent = &provider.requests()[0].body;
    assert_eq!(sent["max_tokens"], json!(50));
    assert!(!answer.estimated);
    let c = credits(&owner).await;
    assert_eq!(c["used"], json!(answer.input_tokens + answer.output_tokens), "{c}");
    assert_eq!(c["reserved"], json!(0));
    let spend = owner.client.get(&format!("/api/v1/workspaces/{}/ai-spend", owner.ws)).await;
    assert_eq!(spend.json["by_feature"][0]["key"], "simulation");
    assert_eq!(spend.json["kpis"]["estimated_calls"], json!(0));
}

#[tokio::test]
async fn a_reply_without_usage_is_counted_locally_and_marked_estimated() {
    let provider = TestProvider::start().await;
    let app = app_with(&provider).await;
    let owner = workspace(&app, 10_000).await;
    provider.script(Reply::text("Counted by us.").without_usage());
    let answer = ai::complete(&app, &owner.ws, "Hi", 50).await.expect("the call succeeds");
    assert!(answer.estimated);
    assert!(answer.output_tokens > 0);
    let spend = owner.client.get(&format!("/api/v1/workspaces/{}/ai-spend", owner.ws)).await;
    assert_eq!(spend.json["kpis"]["estimated_calls"], json!(1));
    assert_eq!(credits(&owner).await["used"], json!(answer.input_tokens + answer.output_tokens));
}

#[tokio::test]
async fn a_provider_that_fails_or_times_out_is_ai_unavailable_and_charges_nothing() {
    let provider = TestProvider::start().await;
    let app = app_with(&provider).await;
    let owner = workspace(&app, 10_000).await;
    provider.script(Reply::status(503).retry_after(1));
    provider.script(Reply::status(503).retry_after(1));
    provider.script(Reply::status(503).retry_after(1));
    let error = ai::complete(&app, &owner.ws, "Hi", 50).await.unwrap_err();
    assert_eq!(error.0, "ai_unavailable", "{error:?}");
    assert!(error.1.is_some(), "a Retry-After is given");
    provider.script(Reply::hang());
    let error = ai::complete(&app, &owner.ws, "Hi", 50).await.unwrap_err();
    assert_eq!(error.0, "ai_unavailable", "{error:?}");
    let c = credits(&owner).await;
    assert_eq!((c["used"].clone(), c["reserved"].clone()), (json!(0), json!(0)), "{c}");
    let spend = owner.client.get(&format!("/api/v1/workspaces/{}/ai-spend", owner.ws)).await;
    assert_eq!(spend.json["kpis"]["calls"], json!(0));
}

#[tokio::test]
async fn max_tokens_is_lowered_to_what_is_left_and_a_call_that_cannot_fit_is_refused() {
    let provider = TestProvider::start().await;
    let app = app_with(&provider).await;
    // One credit per token: the prompt's worst case is about 45 tokens; 100 credits leave ~55.
    let owner = workspace(&app, 100).await;
    provider.script(Reply::echo());
    ai::complete(&app, &owner.ws, "Hi", 1000).await.expect("lowered, not refused");
    let asked = provider.requests()[0].body["max_tokens"].as_u64().unwrap();
    assert!((16..1000).contains(&asked), "max_tokens lowered to {asked}");
    let c = credits(&owner).await;
    assert!(c["used"].as_i64().unwrap() <= 100, "{c}");
    // Spend the rest until nothing fits.
    let mut refused = None;
    for _ in 0..20 {
        provider.script(Reply::echo());
        if let Err(e) = ai::complete(&app, &owner.ws, "Hi", 1000).await {
            refused = Some(e);
            break;
        }
    }
    assert_eq!(refused.expect("refused once spent").0, "credit_limit_exceeded");
    let c = credits(&owner).await;
    assert!(c["used"].as_i64().unwrap() <= 100 && c["reserved"] == json!(0), "{c}");
}

#[tokio::test]
async fn an_unpriced_model_is_refused_before_any_call() {
    let provider = TestProvider::start().await;
    let app = app_with(&provider).await;
    let owner = app.owner("olivia@example.com", "enterprise", 10, 100).await;
    let error = ai::complete(&app, &owner.ws, "Hi", 50).await.unwrap_err();
    assert_eq!(error.0, "model_unpriced");
    assert!(provider.requests().is_empty(), "the provider was never called");
}

#[tokio::test]
async fn with_no_provider_configured_a_call_is_ai_unavailable() {
    let app = TestApp::spawn().await;
    let owner = app.owner("olivia@example.com", "enterprise", 10, 100).await;
    let error = ai::complete(&app, &owner.ws, "Hi", 50).await.unwrap_err();
    assert_eq!(error.0, "ai_unavailable");
    assert!(error.2.contains("no AI provider"), "{error:?}");
}

#[tokio::test]
async fn sixty_four_concurrent_calls_never_pass_the_limit_and_the_ledger_equals_the_events() {
    let provider = TestProvider::start().await;
    let app = app_with(&provider).await;
    // Each call's worst case (prompt ~45 + 20 output) fits about 4 times in 300 credits.
    let owner = workspace(&app, 300).await;
    let mut calls = Vec::new();
    for _ in 0..64 {
        provider.script(Reply::echo().delay(Duration::from_millis(20)));
    }
    for _ in 0..64 {
        let state = app.state.clone();
        let ws = owner.ws.clone();
        calls.push(tokio::spawn(async move { ai::complete_on(&state, &ws, "Hi", 20).await }));
    }
    let mut ok = 0;
    for c in calls {
        match c.await.unwrap() {
            Ok(_) => ok += 1,
            Err(e) => assert_eq!(e.0, "credit_limit_exceeded", "{e:?}"),
        }
    }
    assert!(ok >= 1, "some calls succeed");
    let c = credits(&owner).await;
    assert!(c["used"].as_i64().unwrap() <= 300, "{c}");
    assert_eq!(c["reserved"], json!(0));
    let spend = owner.client.get(&format!("/api/v1/workspaces/{}/ai-spend", owner.ws)).await;
    assert_eq!(spend.json["kpis"]["calls"], json!(ok), "one usage event per successful call");
    assert_eq!(spend.json["kpis"]["credits"], c["used"], "the ledger equals the events");
}

#[tokio::test]
async fn a_reservation_stranded_by_a_dead_call_is_released_by_the_repair_once_expired() {
    let provider = TestProvider::start().await;
    let base = provider.base_url();
    let app = TestApp::spawn_with(move |args| {
        args.ai_base_url = Some(base);
        args.ai_default_model = Some("test-model".into());
        args.credit_reservation_ttl_s = 1;
    })
    .await;
    let owner = workspace(&app, 10_000).await;
    provider.script(Reply::hang());
    crate::server_internals::strand_ai_call(&app, &provider, &owner.ws).await;
    let held = credits(&owner).await;
    assert!(held["reserved"].as_i64().unwrap() > 0, "{held}");
    assert_eq!(held["available"].as_i64().unwrap() + held["reserved"].as_i64().unwrap(), 10_000);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    // The repair every node runs at start-up (and every minute) releases what expired; nothing
    // is charged.
    assert_eq!(crate::server_internals::repair_credits(&app).await, 1);
    let c = credits(&owner).await;
    assert_eq!(
        (c["reserved"].clone(), c["used"].clone(), c["available"].clone()),
        (json!(0), json!(0), json!(10_000)),
        "{c}"
    );
    let spend = owner.client.get(&format!("/api/v1/workspaces/{}/ai-spend", owner.ws)).await;
    assert_eq!(spend.json["kpis"]["calls"], json!(0));
}

#[tokio::test]
async fn a_streamed_call_yields_the_text_as_it_comes_and_settles_the_reported_usage() {
    let provider = TestProvider::start().await;
    let app = app_with(&provider).await;
    let owner = workspace(&app, 10_000).await;
    provider.script(Reply::text("One two three four five."));
    let (deltas, answer, text) = ai::stream(&app, &owner.ws, "Hi", 50).await.expect("the stream succeeds");
    assert!(deltas.len() > 1, "several deltas: {deltas:?}");
    assert_eq!(deltas.concat(), text);
    assert_eq!(provider.requests()[0].body["stream_options"]["include_usage"], json!(true));
    assert!(!answer.estimated);
    let c = credits(&owner).await;
    assert_eq!(
        (c["used"].clone(), c["reserved"].clone()),
        (json!(answer.input_tokens + answer.output_tokens), json!(0)),
        "{c}"
    );
}

#[tokio::test]
async fn a_stream_whose_reader_leaves_stops_the_provider_and_settles_what_was_produced() {
    let provider = TestProvider::start().await;
    let app = app_with(&provider).await;
    let owner = workspace(&app, 10_000).await;
    provider.script(Reply::text("one two three four five six seven eight").chunk_delay(Duration::from_millis(300)));
    let first = ai::stream_and_leave(&app, &owner.ws, "Hi", 50).await;
    assert!(!first.is_empty());
    assert!(provider.wait_for_cancelled(1, Duration::from_secs(5)).await, "the provider call was cancelled");
    let mut c = credits(&owner).await;
    for _ in 0..100 {
        if c["reserved"] == json!(0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        c = credits(&owner).await;
    }
    assert_eq!(c["reserved"], json!(0), "{c}");
    assert!(c["used"].as_i64().unwrap() > 0, "what was produced is charged: {c}");
    let spend = owner.client.get(&format!("/api/v1/workspaces/{}/ai-spend", owner.ws)).await;
    assert_eq!(spend.json["kpis"]["estimated_calls"], json!(1), "counted locally, marked estimated");
    assert_eq!(spend.json["kpis"]["credits"], c["used"]);
}

#[tokio::test]
async fn a_stream_the_provider_refuses_is_ai_unavailable_and_charges_nothing() {
    let provider = TestProvider::start().await;
    let app = app_with(&provider).await;
    let owner = workspace(&app, 10_000).await;
    for _ in 0..3 {
        provider.script(Reply::status(500));
    }
    let error = ai::stream(&app, &owner.ws, "Hi", 50).await.unwrap_err();
    assert_eq!(error.0, "ai_unavailable", "{error:?}");
    let c = credits(&owner).await;
    assert_eq!((c["used"].clone(), c["reserved"].clone()), (json!(0), json!(0)), "{c}");
}

#[tokio::test]
async fn the_model_list_has_each_priced_configured_or_offered_model_once_unpriced_until_priced() {
    let provider = TestProvider::start().await;
    provider.set_models(&["test-model", "local-7b"]);
    let app = app_with(&provider).await;
    let owner = workspace(&app, 100).await;
    let r = owner.client.get(&format!("/api/v1/orgs/{}/models", owner.org)).await;
    assert_eq!(r.status, 200, "{r:?}");
    let items = r.json["items"].as_array().unwrap();
    let find = |name: &str| items.iter().find(|m| m["name"] == name).cloned();
    assert_eq!(find("test-model").unwrap()["priced"], true, "priced once, listed once: {items:?}");
    assert_eq!(items.iter().filter(|m| m["name"] == "test-model").count(), 1);
    let paths: Vec<String> = provider.requests().iter().map(|r| r.path.clone()).collect();
    assert!(find("local-7b").is_some(), "offered by the provider: {items:?}, provider saw {paths:?}");
    assert_eq!(find("local-7b").unwrap()["priced"], false, "not priced yet");
    assert_eq!(find("local-7b").unwrap()["input_price_per_mtok"], json!(null));
}
