//! Models and prices, usage ingestion, the ledger's limits under concurrency, budgets, reports.

use lyceum_test_support::{Owner, TestApp};
use serde_json::{json, Value};

/// An owner whose workspace may spend `limit` credits, with `model` priced at `input`/`output`
/// cents per million tokens.
async fn priced(app: &TestApp, email: &str, limit: i64, model: &str, input: f64, output: f64) -> Owner {
    let owner = app.owner(email, "enterprise", 10, limit).await;
    let r = owner.client.patch(&format!("/api/v1/workspaces/{}", owner.ws), json!({"credit_limit": limit})).await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = owner
        .client
        .put(
            &format!("/api/v1/orgs/{}/models/{model}", owner.org),
            json!({"input_price_per_mtok": input, "output_price_per_mtok": output}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    owner
}

fn event(key: &str, model: &str, input: i64, output: i64) -> Value {
    json!({"idempotency_key": key, "feature": "external", "model": model, "input_tokens": input, "output_tokens": output})
}

#[tokio::test]
async fn a_model_is_unpriced_until_an_owner_prices_it_and_prices_keep_six_decimals() {
    let app = TestApp::spawn().await;
    let owner = app.owner("olivia@example.com", "enterprise", 10, 100).await;
    let r = owner
        .client
        .post(&format!("/api/v1/workspaces/{}/usage", owner.ws), json!({"events": [event("k1", "gpt-x", 10, 10)]}))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json["results"][0]["outcome"], "refused");
    assert_eq!(r.json["results"][0]["code"], "model_unpriced");

    let path = format!("/api/v1/orgs/{}/models/gpt-x", owner.org);
    let r = owner.client.put(&path, json!({"input_price_per_mtok": 250.123456, "output_price_per_mtok": 0})).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json["input_price_per_mtok"], json!(250.123456));
    assert_eq!(r.json["priced"], true);
    let r = owner.client.put(&path, json!({"input_price_per_mtok": 0.0000001, "output_price_per_mtok": 1})).await;
    assert_eq!((r.status, r.code()), (422, "validation"), "{r:?}");
    let r = owner.client.get(&format!("/api/v1/orgs/{}/models", owner.org)).await;
    assert_eq!(
        r.json["items"],
        json!([{"name": "gpt-x", "input_price_per_mtok": 250.123456, "output_price_per_mtok": 0, "enabled": true, "priced": true}])
    );

    // Another organisation's owner neither sees nor prices these models.
    let other = app.owner("oscar@example.com", "pro", 10, 0).await;
    assert_eq!(other.client.get(&format!("/api/v1/orgs/{}/models", owner.org)).await.status, 404);
    assert_eq!(
        other.client.put(&path, json!({"input_price_per_mtok": 1, "output_price_per_mtok": 1})).await.status,
        404
    );
    let audit = owner.client.get(&format!("/api/v1/orgs/{}/audit?action=model.priced", owner.org)).await;
    assert_eq!(audit.json["items"].as_array().map(Vec::len), Some(1), "{audit:?}");
}

#[tokio::test]
async fn ingestion_records_each_key_once_and_answers_a_repeat_as_a_duplicate() {
    let app = TestApp::spawn().await;
    let owner = priced(&app, "olivia@example.com", 1000, "m", 1_000_000.0, 2_000_000.0).await;
    let path = format!("/api/v1/workspaces/{}/usage", owner.ws);
    // 1000 input tokens at 1,000,000 cents/Mtok = 1000 cents = 1000 credits… too much; 10 tokens = 10 + 2·5 = 20 credits.
    let batch = json!({"events": [event("a", "m", 10, 5), event("b", "m", 1, 0), event("a", "m", 10, 5), {"idempotency_key": "c", "feature": "nope", "model": "m", "input_tokens": 1, "output_tokens": 1}]});
    let r = owner.client.post(&path, batch.clone()).await;
    assert_eq!(r.status, 200, "{r:?}");
    let outcomes: Vec<&str> =
        r.json["results"].as_array().unwrap().iter().map(|x| x["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["recorded", "recorded", "duplicate", "refused"]);
    assert_eq!(r.json["results"][3]["code"], "validation");
    let credits = owner.client.get(&format!("/api/v1/workspaces/{}/credits", owner.ws)).await;
    assert_eq!(credits.json["used"], json!(21), "{credits:?}");
    assert_eq!(credits.json["available"], json!(979));

    // The same batch again records nothing.
    let r = owner.client.post(&path, batch).await;
    let outcomes: Vec<&str> =
        r.json["results"].as_array().unwrap().iter().map(|x| x["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["duplicate", "duplicate", "duplicate", "refused"]);
    assert_eq!(r.json["results"][0]["first_outcome"], "recorded");
    let again = owner.client.get(&format!("/api/v1/workspaces/{}/credits", owner.ws)).await;
    assert_eq!(again.json["used"], json!(21));

    // Bad batches change nothing.
    assert_eq!(owner.client.post(&path, json!({"events": []})).await.status, 422);
    let big: Vec<Value> = (0..1001).map(|i| event(&format!("k{i}"), "m", 1, 0)).collect();
    assert_eq!(owner.client.post(&path, json!({"events": big})).await.status, 422);
    // A stranger's workspace is a 404.
    let other = app.owner("oscar@example.com", "pro", 10, 0).await;
    assert_eq!(other.client.post(&path, json!({"events": [event("z", "m", 1, 1)]})).await.status, 404);
}

#[tokio::test]
async fn concurrent_events_never_pass_the_limit_and_the_ledger_equals_the_events() {
    let app = TestApp::spawn().await;
    // Each event costs 3 credits (3 input tokens at 1,000,000 cents per Mtok); the limit allows 10.
    let owner = priced(&app, "olivia@example.com", 30, "m", 1_000_000.0, 0.0).await;
    let path = format!("/api/v1/workspaces/{}/usage", owner.ws);
    let mut calls = Vec::new();
    for i in 0..64 {
        let client = owner.client.clone();
        let path = path.clone();
        calls.push(tokio::spawn(async move {
            client.post(&path, json!({"events": [event(&format!("k{i}"), "m", 3, 0)]})).await
        }));
    }
    let mut recorded = 0;
    let mut refused = 0;
    for c in calls {
        let r = c.await.unwrap();
        assert_eq!(r.status, 200, "{r:?}");
        match r.json["results"][0]["outcome"].as_str() {
            Some("recorded") => recorded += 1,
            Some("refused") => {
                assert_eq!(r.json["results"][0]["code"], "credit_limit_exceeded");
                refused += 1
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!((recorded, refused), (10, 54));
    let credits = owner.client.get(&format!("/api/v1/workspaces/{}/credits", owner.ws)).await;
    assert_eq!(credits.json["used"], json!(30));
    assert_eq!(credits.json["reserved"], json!(0));
    let spend = owner.client.get(&format!("/api/v1/workspaces/{}/ai-spend", owner.ws)).await;
    assert_eq!(spend.json["kpis"]["calls"], json!(10), "{spend:?}");
    assert_eq!(spend.json["kpis"]["credits"], json!(30));
}

#[tokio::test]
async fn a_hard_budget_records_the_event_that_reaches_it_exactly_and_refuses_the_next() {
    let app = TestApp::spawn().await;
    let owner = priced(&app, "olivia@example.com", 100, "m", 1_000_000.0, 0.0).await;
    let r = owner
        .client
        .put(&format!("/api/v1/workspaces/{}/budget", owner.ws), json!({"monthly_credits": 5, "hard": true}))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json["budget"], json!({"monthly_credits": 5, "alert_percents": [80, 100], "hard": true}));
    let path = format!("/api/v1/workspaces/{}/usage", owner.ws);
    let r = owner.client.post(&path, json!({"events": [event("a", "m", 5, 0), event("b", "m", 1, 0)]})).await;
    assert_eq!(r.json["results"][0]["outcome"], "recorded", "{r:?}");
    assert_eq!(r.json["results"][1]["outcome"], "refused");
    assert_eq!(r.json["results"][1]["code"], "budget_exceeded");
    // A learner may not set the budget.
    let other = app.owner("oscar@example.com", "pro", 10, 0).await;
    let r = other.client.put(&format!("/api/v1/workspaces/{}/budget", owner.ws), json!({"monthly_credits": 1})).await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn the_report_and_the_csv_equal_the_sum_of_the_events_they_cover() {
    let app = TestApp::spawn().await;
    let owner = priced(&app, "olivia@example.com", 1_000_000, "m", 123.456789, 0.5).await;
    let path = format!("/api/v1/workspaces/{}/usage", owner.ws);
    // A deterministic spread of events over the last days, features and tokens.
    let features = ["simulation", "scoring", "external", "assistant"];
    let mut events = Vec::new();
    let mut seed: u64 = 7;
    let mut next = || {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        seed >> 33
    };
    let now = lyceum_test_support::server::now_ms();
    for i in 0..300 {
        let at = now - (next() % (20 * 86_400_000)) as i64;
        events.push(json!({
            "idempotency_key": format!("e{i}"),
            "feature": features[(next() % 4) as usize],
            "model": "m",
            "input_tokens": next() % 5000,
            "output_tokens": next() % 3000,
            "at": time::OffsetDateTime::from_unix_timestamp(at / 1000).unwrap().format(&time::format_description::well_known::Rfc3339).unwrap(),
        }));
    }
    let r = owner.client.post(&path, json!({"events": events})).await;
    assert!(r.json["results"].as_array().unwrap().iter().all(|x| x["outcome"] == "recorded"), "{r:?}");

    let csv = owner.client.get(&format!("/api/v1/workspaces/{}/ai-spend?format=csv", owner.ws)).await;
    assert_eq!(csv.status, 200);
    let mut lines = csv.text.lines();
    assert_eq!(
        lines.next(),
        Some("at,feature,model,course_id,user_id,input_tokens,output_tokens,cost,credits,estimated")
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 300);
    // Exact sums of the decimals, in millionths.
    let micros = |s: &str| -> i64 {
        let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
        whole.parse::<i64>().unwrap() * 1_000_000 + format!("{frac:0<6}").parse::<i64>().unwrap()
    };
    let cost: i64 = rows.iter().map(|r| micros(r[7])).sum();
    let credits: i64 = rows.iter().map(|r| micros(r[8])).sum();
    let tokens: i64 = rows.iter().map(|r| r[5].parse::<i64>().unwrap() + r[6].parse::<i64>().unwrap()).sum();
    let report = owner.client.get(&format!("/api/v1/workspaces/{}/ai-spend", owner.ws)).await;
    // A JSON number of at most 15 significant digits is exactly its decimal.
    let as_micros = |v: &Value| (v.as_f64().unwrap() * 1e6).round() as i64;
    assert_eq!(as_micros(&report.json["kpis"]["cost"]), cost, "{}", report.json["kpis"]);
    assert_eq!(as_micros(&report.json["kpis"]["credits"]), credits);
    assert_eq!(report.json["kpis"]["tokens"], json!(tokens));
    assert_eq!(report.json["kpis"]["calls"], json!(300));
    let daily: i64 = report.json["daily"].as_array().unwrap().iter().map(|d| as_micros(&d["cost"])).sum();
    assert_eq!(daily, cost, "the daily costs add up to the total");
    assert_eq!(report.json["daily"].as_array().unwrap().len(), 30);
    let by_feature: i64 = report.json["by_feature"].as_array().unwrap().iter().map(|d| as_micros(&d["cost"])).sum();
    assert_eq!(by_feature, cost, "the features add up to the total");
    // The organisation's report is the same across its one workspace.
    let org = owner.client.get(&format!("/api/v1/orgs/{}/ai-spend", owner.org)).await;
    assert_eq!(org.json["kpis"], report.json["kpis"]);
    assert_eq!(org.json["by_workspace"][0]["key"], json!(owner.ws));
    // A custom range that starts inside a day is summed from the events themselves.
    let from = now - 5 * 86_400_000 - 3_600_000;
    let from_text = time::OffsetDateTime::from_unix_timestamp(from / 1000)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let part = owner.client.get(&format!("/api/v1/workspaces/{}/ai-spend?from={from_text}", owner.ws)).await;
    assert_eq!(part.status, 200, "{part:?}");
    let expected: i64 = rows
        .iter()
        .filter(|r| {
            time::OffsetDateTime::parse(r[0], &time::format_description::well_known::Rfc3339).unwrap().unix_timestamp()
                * 1000
                >= from / 1000 * 1000
        })
        .map(|r| micros(r[7]))
        .sum();
    assert_eq!(as_micros(&part.json["kpis"]["cost"]), expected);
    assert_eq!(owner.client.get(&format!("/api/v1/workspaces/{}/ai-spend?window=year", owner.ws)).await.status, 422);
}

async fn alerts(app: &TestApp) -> Vec<String> {
    app.mail_to("olivia@example.com").await.into_iter().filter(|m| m.contains("of its AI budget")).collect()
}

#[tokio::test]
async fn budget_alerts_email_the_owners_once_per_threshold() {
    let app = TestApp::spawn().await;
    let owner = priced(&app, "olivia@example.com", 1000, "m", 1_000_000.0, 0.0).await;
    let r = owner
        .client
        .put(
            &format!("/api/v1/workspaces/{}/budget", owner.ws),
            json!({"monthly_credits": 10, "alert_percents": [50, 100]}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let path = format!("/api/v1/workspaces/{}/usage", owner.ws);
    owner.client.post(&path, json!({"events": [event("a", "m", 4, 0)]})).await;
    assert!(alerts(&app).await.is_empty(), "40 % crosses nothing");
    owner.client.post(&path, json!({"events": [event("b", "m", 2, 0)]})).await;
    let sent = alerts(&app).await;
    assert_eq!(sent.len(), 1, "50 % crossed once");
    assert!(sent[0].contains("50%") && sent[0].contains("6 of 10 credits"), "{}", sent[0]);
    owner.client.post(&path, json!({"events": [event("c", "m", 1, 0)]})).await;
    assert_eq!(alerts(&app).await.len(), 1, "no second mail for the same threshold");
    // Past 100 %: a soft budget keeps serving, and says so once.
    let r = owner.client.post(&path, json!({"events": [event("d", "m", 5, 0)]})).await;
    assert_eq!(r.json["results"][0]["outcome"], "recorded");
    let sent = alerts(&app).await;
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(sent.iter().any(|m| m.contains("100%")));
}

/// Property: for any set of events in the window, the report's KPIs, its daily series and each
/// breakdown add up to exactly the sum of the events' costs, computed here independently
/// (tokens × price per million, each event's remainder below a millionth rounded up).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn property_every_report_equals_the_sum_of_the_events_it_covers() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};
    let app = TestApp::spawn().await;
    let handle = tokio::runtime::Handle::current();
    // (input, output) prices in millionths of a cent per million tokens.
    let (pi, po): (i64, i64) = (123_456_789, 7_000_001);
    let features = ["simulation", "scoring", "assistant", "external"];
    let strategy = proptest::collection::vec((0usize..4, 0i64..200_000, 0i64..50_000, 0i64..(29 * 86_400)), 1..40);
    let mut runner = TestRunner::new(Config { cases: 10, ..Config::default() });
    let case = std::sync::atomic::AtomicUsize::new(0);
    let result = runner.run(&strategy, |events| {
        let case = case.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let app = &app;
        let outcome: Result<(), TestCaseError> = tokio::task::block_in_place(|| {
            handle.block_on(async {
                let owner =
                    priced(app, &format!("p{case}@example.com"), 1_000_000_000, "m", pi as f64 / 1e6, po as f64 / 1e6)
                        .await;
                let now = lyceum_test_support::server::now_ms();
                let body: Vec<Value> = events
                    .iter()
                    .enumerate()
                    .map(|(i, (f, input, output, ago))| {
                        let at = time::OffsetDateTime::from_unix_timestamp(now / 1000 - ago).unwrap();
                        json!({"idempotency_key": format!("k{i}"), "feature": features[*f], "model": "m",
                            "input_tokens": input, "output_tokens": output,
                            "at": at.format(&time::format_description::well_known::Rfc3339).unwrap()})
                    })
                    .collect();
                let r =
                    owner.client.post(&format!("/api/v1/workspaces/{}/usage", owner.ws), json!({"events": body})).await;
                prop_assert!(
                    r.json["results"].as_array().unwrap().iter().all(|x| x["outcome"] == "recorded"),
                    "{:?}",
                    r
                );
                let cost = |input: i64, output: i64| -> i64 {
                    let scaled = input as i128 * pi as i128 + output as i128 * po as i128;
                    ((scaled + 999_999) / 1_000_000) as i64
                };
                let expected: i64 = events.iter().map(|(_, i, o, _)| cost(*i, *o)).sum();
                let report = owner.client.get(&format!("/api/v1/workspaces/{}/ai-spend", owner.ws)).await;
                let m = |v: &Value| (v.as_f64().unwrap() * 1e6).round() as i64;
                prop_assert_eq!(m(&report.json["kpis"]["cost"]), expected);
                prop_assert_eq!(report.json["kpis"]["calls"].as_i64(), Some(events.len() as i64));
                let tokens: i64 = events.iter().map(|(_, i, o, _)| i + o).sum();
                prop_assert_eq!(report.json["kpis"]["tokens"].as_i64(), Some(tokens));
                for list in ["daily", "by_feature", "by_model"] {
                    let sum: i64 = report.json[list].as_array().unwrap().iter().map(|r| m(&r["cost"])).sum();
                    prop_assert_eq!(sum, expected, "{} adds up to the total", list);
                }
                for (f, name) in features.iter().enumerate() {
                    let want: i64 = events.iter().filter(|e| e.0 == f).map(|(_, i, o, _)| cost(*i, *o)).sum();
                    let got = report.json["by_feature"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|r| r["key"] == *name)
                        .map_or(0, |r| m(&r["cost"]));
                    prop_assert_eq!(got, want, "feature {}", name);
                }
                Ok(())
            })
        });
        outcome
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
