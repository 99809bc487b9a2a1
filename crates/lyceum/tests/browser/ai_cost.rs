//! The AI Cost tab: an owner opens it from the sidebar, reads the KPIs, the daily chart and the
//! breakdowns of usage that was ingested, changes the window, and exports the CSV.

use serde_json::json;

use crate::support::{driver, olga, Browser, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_reads_the_spend_by_window_and_breakdown_and_exports_it() {
    let Some(driver) = driver() else { return };
    let app = TestApp::spawn().await;
    let olga = olga(&app).await;
    let (org, ws) = (&olga.org, &olga.ws);
    let r = olga.client.patch(&format!("/api/v1/workspaces/{ws}"), json!({"credit_limit": 1000})).await;
    assert_eq!(r.status, 200, "{r:?}");
    // 250 cents per Mtok in, 1000 out.
    for (model, input, output) in [("chat-small", 250, 1000), ("chat-large", 3000, 15000)] {
        let r = olga
            .client
            .put(
                &format!("/api/v1/orgs/{org}/models/{model}"),
                json!({"input_price_per_mtok": input, "output_price_per_mtok": output}),
            )
            .await;
        assert_eq!(r.status, 200, "{r:?}");
    }
    let day = 86_400_000;
    let now = lyceum_test_support::server::now_ms();
    let at = |ms: i64| {
        time::OffsetDateTime::from_unix_timestamp(ms / 1000)
            .unwrap()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    let events = json!({"events": [
        {"idempotency_key": "1", "feature": "simulation", "model": "chat-large", "input_tokens": 20000, "output_tokens": 4000, "at": at(now - 2 * day)},
        {"idempotency_key": "2", "feature": "scoring", "model": "chat-small", "input_tokens": 8000, "output_tokens": 1000, "at": at(now - day)},
        {"idempotency_key": "3", "feature": "simulation", "model": "chat-large", "input_tokens": 10000, "output_tokens": 2000, "at": at(now - 20 * day)},
    ]});
    let r = olga.client.post(&format!("/api/v1/workspaces/{ws}/usage"), events).await;
    assert!(r.json["results"].as_array().unwrap().iter().all(|x| x["outcome"] == "recorded"), "{r:?}");

    let b = Browser::open(driver, &app).await;
    b.sign_in("olga@example.test").await;
    b.goto(&format!("/w/{ws}")).await;
    b.click("#nav-ai-cost").await;
    b.find("#ai-cost-kpis").await;
    // 30 days: all three events, at (tokens × cents per Mtok) / 10^6: 20000·3000 + 4000·15000 →
    // 120 cents; 8000·250 + 1000·1000 → 3; 10000·3000 + 2000·15000 → 60; 183 cents in all.
    assert_eq!(b.text("#kpi-calls").await, "3");
    assert_eq!(b.text("#kpi-spend").await, "USD 1.83");
    assert_eq!(b.text("#kpi-credits").await, "183");
    assert_eq!(b.text("#kpi-tokens").await, "45000");
    assert_eq!(b.all("#ai-cost-chart rect.bar").await.len(), 30);
    assert_eq!(b.all("table#by-feature tbody tr").await.len(), 2);
    assert_eq!(b.all("table#by-model tbody tr").await.len(), 2);
    assert!(
        b.text("table#by-model tbody tr:first-child td:first-child").await.contains("chat-large"),
        "costliest first"
    );
    b.screenshot("ai-cost").await;

    // The last 7 days: the event of 20 days ago is out.
    b.select("#ai-cost-select", "7d").await;
    b.click("#ai-cost-window button[type=submit]").await;
    b.until("the window changes", || async { b.text("#kpi-calls").await == "2" }).await;
    assert_eq!(b.all("#ai-cost-chart rect.bar").await.len(), 7);
    assert_eq!(b.text("#kpi-credits").await, "123");
    assert_eq!(b.text("#kpi-spend").await, "USD 1.23");

    // The CSV link answers the same window's events.
    let href = b.js("return document.querySelector('#ai-cost-csv').getAttribute('href');", vec![]).await;
    let csv = olga.client.get(href.as_str().unwrap()).await;
    assert_eq!(csv.status, 200);
    assert_eq!(csv.text.lines().count(), 3, "a header and two events: {}", csv.text);
    b.close().await;

    // A learner sees no AI Cost entry, and the page refuses them.
    let (learner, _) = app.user("lena@example.test").await;
    let added = crate::support::invite(&olga.client, ws, &["lena@example.test"], "learner").await;
    assert_eq!(added[0].1, "pending", "{added:?}");
    assert_eq!(learner.login("lena@example.test").await.status, 200, "signing in accepts the membership");
    let page = learner.get(&format!("/w/{ws}")).await;
    assert!(page.text.contains("nav-members") || page.status == 200, "{}", page.status);
    assert!(!page.text.contains("nav-ai-cost"), "no AI Cost entry for a learner");
    let r = learner.get(&format!("/w/{ws}/ai-cost")).await;
    assert_eq!(r.status, 403, "{}", r.text);
}
