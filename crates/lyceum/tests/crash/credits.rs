//! `kill -9` between reserve and settle: `lyceum ai try` (one AI call through a workspace's
//! ledger, as every feature makes it) is killed while the faithful test provider holds its call,
//! three times. The killed calls stay reserved, never charged; a server starting once their
//! reservations have expired releases them; a last call that completes is charged exactly once.

use super::*;
use lyceum_ai_testprovider::{Reply, TestProvider};

/// `lyceum ai try` on the store, against `provider`, reservations expiring after one second.
fn ai_try(store: &Store, provider: &TestProvider, ws: &str) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(["ai", "try", "--data-dir"])
        .arg(&store.data_dir)
        .args(["--ai-base-url", &provider.base_url(), "--ai-default-model", "test-model"])
        .args(["--credit-reservation-ttl-s", "1", "--workspace", ws, "--prompt", "Hello", "--max-tokens", "40"])
        .env_remove("LYCEUM_DATABASE_URL")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null());
    if let Some(url) = &store.server_url {
        cmd.arg("--database-url").arg(url);
    }
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_killed_between_reserve_and_settle_is_never_charged_and_its_reservation_is_released() {
    let provider = TestProvider::start().await;
    let mut store = Store::new().await;
    let server = store.start().await;
    let c = Client::anonymous(&server.base);
    let r = c
        .post("/api/v1/auth/signup", json!({"email": "owner@crash.example", "password": PASSWORD, "name": "Owner"}))
        .await;
    assert_eq!(r.status, 201);
    let r = c.post("/api/v1/orgs", json!({"name": "Crash Co", "plan": "enterprise", "credit_pool": 10_000})).await;
    let (org, ws) =
        (r.json["id"].as_str().unwrap().to_owned(), r.json["workspaces"][0]["id"].as_str().unwrap().to_owned());
    assert_eq!(c.patch(&format!("/api/v1/workspaces/{ws}"), json!({"credit_limit": 10_000})).await.status, 200);
    let price = json!({"input_price_per_mtok": 1_000_000, "output_price_per_mtok": 1_000_000});
    assert_eq!(c.put(&format!("/api/v1/orgs/{org}/models/test-model"), price).await.status, 200);
    server.kill();

    let reserved = "SELECT reserved_micro FROM credit_ledgers WHERE workspace_id = $1";
    let used = "SELECT used_micro FROM credit_ledgers WHERE workspace_id = $1";
    for round in 1..=3 {
        provider.script(Reply::hang());
        let mut child = ai_try(&store, &provider, &ws).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while provider.requests().len() < round {
            assert!(Instant::now() < deadline, "the call never reached the provider");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(store.count(reserved, &[&ws]).await > 0, "round {round}: the call holds a reservation");
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(store.count(used, &[&ws]).await, 0, "round {round}: a killed call is charged nothing");
    }
    assert!(store.count("SELECT COUNT(*) FROM credit_reservations", &[]).await >= 1, "the last kill stranded one");

    // Once expired, a node starting on the store releases every stranded reservation.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let server = store.start().await;
    assert_eq!(store.count(reserved, &[&ws]).await, 0, "no reservation is stranded after the restart");
    assert_eq!(store.count("SELECT COUNT(*) FROM credit_reservations", &[]).await, 0);
    assert_eq!(store.count(used, &[&ws]).await, 0);
    assert_eq!(store.count("SELECT COUNT(*) FROM usage_events", &[]).await, 0);
    server.kill();

    // A call that completes is charged once, exactly what the provider reported.
    provider.script(Reply::text("Hello from the provider."));
    let out = ai_try(&store, &provider, &ws).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Hello from the provider."), "{stdout}");
    let events = store.count("SELECT COUNT(*) FROM usage_events", &[]).await;
    let tokens = store.count("SELECT input_tokens + output_tokens FROM usage_events", &[]).await;
    assert_eq!(events, 1);
    assert_eq!(store.count(used, &[&ws]).await, tokens * 1_000_000, "one credit per token, charged once");
    assert_eq!(store.count(reserved, &[&ws]).await, 0);
    eprintln!("credits crash ({}): 3 kills between reserve and settle; {}", store.backend(), store.overheads());
}
