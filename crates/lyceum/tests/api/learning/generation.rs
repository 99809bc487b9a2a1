//! Generate with AI and Regenerate a template, against the faithful test provider: structured
//! output asked for, the answer read leniently, every call metered through the credits gateway,
//! a clear refusal when the provider fails or is not configured — and nothing made up.

use lyceum_ai_testprovider::{Reply, TestProvider};
use lyceum_test_support::{Owner, TestApp};
use serde_json::{json, Value};

async fn app_with(provider: &TestProvider) -> TestApp {
    let base = provider.base_url();
    TestApp::spawn_with(move |args| {
        args.ai_base_url = Some(base);
        args.ai_default_model = Some("test-model".into());
        args.ai_timeout_s = 2;
    })
    .await
}

/// An owner whose workspace has 50,000 credits, `test-model` at one credit per token.
async fn owner(app: &TestApp) -> Owner {
    let o = app.owner("olga@example.com", "enterprise", 10, 50_000).await;
    let r = o.client.patch(&format!("/api/v1/workspaces/{}", o.ws), json!({"credit_limit": 50_000})).await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = o
        .client
        .put(
            &format!("/api/v1/orgs/{}/models/test-model", o.org),
            json!({"input_price_per_mtok": 1_000_000, "output_price_per_mtok": 1_000_000}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    o
}

fn outline() -> Value {
    json!({
        "title": "Cold calling for SDRs",
        "description": "Open, qualify, book.",
        "modules": [
            {"title": "Openers", "blocks": [
                {"kind": "slide", "markdown": "# The first ten seconds"},
                {"kind": "quiz", "questions": [{"prompt": "Best opener?", "choices": ["Pitch", "Permission"], "correct": [1]}]}
            ]},
            {"title": "Practice", "blocks": [
                {"kind": "simulation", "persona": {"name": "Sam", "role": "VP Ops", "personality": "Rushed", "mood": "grumpy"},
                 "scenario": "You call Sam unannounced.", "objective": "Book a meeting.", "instructions": "Try to hang up.",
                 "opening_line": "Who is this?", "max_turns": 6, "model": "some-model-nobody-priced",
                 "scripted_lines": ["I'm busy.", "Fine, thirty seconds."]}
            ]}
        ],
        "rubric": {"pass_mark": 80, "criteria": [
            {"title": "Asks permission", "weight": 1, "guidance": "Asks for thirty seconds before pitching"},
            {"title": "Books the meeting", "weight": 2, "guidance": "Proposes two concrete times"}
        ]}
    })
}

async fn credits_used(o: &Owner) -> Value {
    o.client.get(&format!("/api/v1/workspaces/{}/credits", o.ws)).await.json["used"].clone()
}

#[tokio::test]
async fn a_generated_course_is_a_draft_of_modules_a_simulation_and_a_rubric_metered_as_course_generation() {
    let provider = TestProvider::start().await;
    let app = app_with(&provider).await;
    let o = owner(&app).await;
    provider.script(Reply::text(format!("Here you go:\n```json\n{}\n```", outline())));
    let r = o
        .client
        .post(
            &format!("/api/v1/workspaces/{}/courses/generate", o.ws),
            json!({"topic": "Cold calling", "audience": "New SDRs", "goals": "Book meetings"}),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!((r.json["title"].as_str(), r.json["status"].as_str()), (Some("Cold calling for SDRs"), Some("draft")));
    let modules = r.json["draft"]["modules"].as_array().unwrap();
    assert_eq!(modules.len(), 2);
    let sim = &modules[1]["blocks"][0];
    assert_eq!(sim["kind"], "simulation");
    assert_eq!(sim["persona"]["name"], "Sam");
    assert!(sim.get("model").is_none(), "a model the answer names is not taken: the workspace default plays it");
    assert_eq!(r.json["draft"]["rubric"]["criteria"].as_array().map(Vec::len), Some(2));
    assert_eq!(r.json["draft"]["rubric"]["pass_mark"], 80);

    // Structured output was asked for, with the brief, and within a bound.
    let sent = &provider.requests()[0].body;
    assert_eq!(sent["response_format"]["type"], "json_object");
    assert_eq!(sent["max_tokens"], 4000);
    assert!(sent["messages"][1]["content"].as_str().unwrap().contains("New SDRs"));
    // Metered: the usage event is the course generation's, and the ledger holds it.
    let spend = o.client.get(&format!("/api/v1/workspaces/{}/ai-spend", o.ws)).await;
    assert_eq!(spend.json["by_feature"][0]["key"], "course_generation", "{spend:?}");
    assert!(credits_used(&o).await.as_f64().unwrap() > 0.0);
    let event = sqlx::query_scalar::<_, String>("SELECT after_state FROM audit_events WHERE action = 'course.created'")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert!(event.contains("course_generation"), "{event}");
}

#[tokio::test]
async fn a_failing_provider_or_an_answer_that_is_no_outline_is_ai_unavailable_and_makes_no_course() {
    let provider = TestProvider::start().await;
    let app = app_with(&provider).await;
    let o = owner(&app).await;
    let path = format!("/api/v1/workspaces/{}/courses/generate", o.ws);
    for _ in 0..3 {
        provider.script(Reply::status(500));
    }
    let r = o.client.post(&path, json!({"topic": "Anything"})).await;
    r.assert_problem(503, "ai_unavailable");
    assert_eq!(credits_used(&o).await, json!(0), "a failed call is not charged");
    // The model answered (and is paid for), but with prose: refused honestly, nothing invented.
    provider.script(Reply::text("I would love to help you design a course about that!"));
    let r = o.client.post(&path, json!({"topic": "Anything"})).await;
    r.assert_problem(503, "ai_unavailable");
    assert!(r.json["detail"].as_str().unwrap().contains("not with a course outline"), "{r:?}");
    assert!(credits_used(&o).await.as_f64().unwrap() > 0.0, "the tokens it produced are charged");
    assert_eq!(app.count("SELECT COUNT(*) FROM courses").await, 0);
    o.client.post(&path, json!({"topic": "  "})).await.assert_problem(422, "validation");
}

#[tokio::test]
async fn without_a_provider_generation_says_so_and_nothing_pretends_to_be_a_model() {
    let (app, o) = TestApp::init().with_owner("olga@example.com", "pro", 10, 0).await;
    let r =
        o.client.post(&format!("/api/v1/workspaces/{}/courses/generate", o.ws), json!({"topic": "Cold calling"})).await;
    r.assert_problem(503, "ai_unavailable");
    assert!(r.json["detail"].as_str().unwrap().contains("no AI provider is configured"), "{r:?}");
    assert_eq!(app.count("SELECT COUNT(*) FROM courses").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM usage_events").await, 0);
}

#[tokio::test]
async fn a_template_is_regenerated_for_an_audience_as_a_new_template() {
    let provider = TestProvider::start().await;
    let app = app_with(&provider).await;
    let o = owner(&app).await;
    let course = o.client.post(&format!("/api/v1/workspaces/{}/courses", o.ws), json!({"title": "Cold calling"})).await;
    let course = course.json["id"].as_str().unwrap().to_owned();
    let mut draft = outline();
    draft["revision"] = json!(1);
    draft.as_object_mut().unwrap().remove("title");
    draft.as_object_mut().unwrap().remove("description");
    draft["modules"][1]["blocks"][0].as_object_mut().unwrap().remove("model");
    draft["modules"][1]["blocks"][0]["persona"].as_object_mut().unwrap().remove("mood");
    let r = o.client.put(&format!("/api/v1/courses/{course}/draft"), draft).await;
    assert_eq!(r.status, 200, "{r:?}");
    let t = o.client.post(&format!("/api/v1/courses/{course}/template"), json!({})).await;
    let template = t.json["id"].as_str().unwrap().to_owned();

    let mut adapted = outline();
    adapted["modules"][0]["title"] = json!("Openers for nurses");
    provider.script(Reply::text(adapted.to_string()));
    let r = o
        .client
        .post(&format!("/api/v1/templates/{template}/regenerate"), json!({"audience": "Hospital nurses"}))
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(r.json["audience"], "Hospital nurses");
    assert_eq!(r.json["source_template_id"], json!(template));
    assert_eq!(r.json["content"]["modules"][0]["title"], "Openers for nurses");
    // The original stays as it was.
    let list = o.client.get(&format!("/api/v1/workspaces/{}/templates", o.ws)).await;
    let names: Vec<String> = list.items().iter().map(|t| t["name"].as_str().unwrap().to_owned()).collect();
    assert_eq!(list.items().len(), 2, "{names:?}");
    let original = list.items().into_iter().find(|t| t["id"] == json!(template)).unwrap();
    assert_eq!(original["content"]["modules"][0]["title"], "Openers");
    let sent = &provider.requests()[0].body;
    assert!(sent["messages"][1]["content"].as_str().unwrap().contains("Hospital nurses"));
    let spend = o.client.get(&format!("/api/v1/workspaces/{}/ai-spend", o.ws)).await;
    assert_eq!(spend.json["by_feature"][0]["key"], "template_regeneration", "{spend:?}");
    // Another organisation's template is not found.
    let other = app.owner("oscar@example.com", "pro", 10, 0).await;
    let r = other.client.post(&format!("/api/v1/templates/{template}/regenerate"), json!({"audience": "x"})).await;
    assert_eq!(r.status, 404, "{r:?}");
}
