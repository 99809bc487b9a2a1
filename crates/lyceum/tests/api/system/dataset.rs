//! The dataset generator behind `lyceum demo --scale`: a miniature organisation through the
//! library, checked for shape, audit chain and usability over the API; then the command itself.

use std::process::Command;

use serde_json::{json, Value};

use lyceum_test_support::TestApp;

use crate::server_internals::dataset::{self, Options, Sizes, Summary};
use crate::server_internals::{audit_chain, generate_dataset, now_ms};

const SIZES: Sizes = Sizes { members: 600, workspaces: 20, invitations: 50, audit_events: 3_000 };

async fn generate(app: &TestApp) -> anyhow::Result<Summary> {
    let options = Options { sizes: SIZES, seed: 7, progress: false };
    generate_dataset(app, &options).await
}

async fn strings(app: &TestApp, sql: &str) -> Vec<String> {
    sqlx::query_scalar(sql).fetch_all(app.pool()).await.unwrap()
}

#[tokio::test]
async fn generates_the_organisation_asked_for() {
    let app = TestApp::spawn().await;
    let s = generate(&app).await.unwrap();

    assert_eq!((s.members, s.workspaces, s.invitations, s.audit_events), (600, 20, 50, 3_000));
    assert_eq!(app.count("SELECT COUNT(*) FROM organizations WHERE plan = 'enterprise'").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 600);
    assert_eq!(app.count("SELECT COUNT(*) FROM org_members").await, 600);
    assert_eq!(app.count("SELECT COUNT(*) FROM workspaces").await, 20);
    assert_eq!(app.count("SELECT COUNT(*) FROM credit_ledgers").await, 20, "every workspace has its credit ledger");
    assert_eq!(app.count("SELECT COUNT(*) FROM workspace_members").await, s.workspace_memberships as i64);
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_events").await, 3_000);
    let now = now_ms();
    let pending = format!(
        "SELECT COUNT(*) FROM invitations WHERE accepted_at IS NULL AND revoked_at IS NULL AND expires_at > {now}"
    );
    assert_eq!(app.count(&pending).await, 50);
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations i JOIN users u ON u.email = i.email").await, 0);
    assert!(app.count("SELECT COUNT(*) FROM invitations WHERE workspace_id IS NOT NULL").await > 0);
    assert!(app.count("SELECT COUNT(*) FROM invitations WHERE workspace_id IS NULL").await > 0);
    assert!(app.count("SELECT seats FROM organizations").await >= 650);
    assert!(
        app.count("SELECT CAST(SUM(credit_limit) AS BIGINT) FROM workspaces").await
            < app.count("SELECT credit_pool FROM organizations").await
    );

    // Power law: the largest workspace is several times the median one.
    let sizes: Vec<i64> =
        sqlx::query_scalar("SELECT COUNT(*) AS n FROM workspace_members GROUP BY workspace_id ORDER BY COUNT(*) DESC")
            .fetch_all(app.pool())
            .await
            .unwrap();
    assert_eq!(sizes.len(), 20);
    assert!(sizes[0] >= 4 * sizes[10], "{sizes:?}");
    let largest = format!(
        "SELECT COUNT(*) FROM workspace_members WHERE workspace_id = '{}'",
        s.largest_workspace_id.replace('\'', "")
    );
    assert_eq!(app.count(&largest).await, sizes[0]);
    assert_eq!(s.workspace_ids_sample.len(), 5);
    assert_eq!(s.workspace_ids_sample[0], s.largest_workspace_id);

    // Every role occurs; every workspace has an owner; memberships are pending or accepted.
    let org_roles = strings(&app, "SELECT DISTINCT role FROM org_members ORDER BY role").await;
    assert_eq!(org_roles, ["editor", "guest", "owner", "viewer"]);
    let ws_roles = strings(&app, "SELECT DISTINCT role FROM workspace_members ORDER BY role").await;
    assert_eq!(ws_roles, ["editor", "learner", "owner", "reviewer", "trainer", "viewer"]);
    let statuses = strings(&app, "SELECT DISTINCT status FROM org_members ORDER BY status").await;
    assert_eq!(statuses, ["accepted", "pending"]);
    let ownerless = "SELECT COUNT(*) FROM workspaces w WHERE NOT EXISTS \
                     (SELECT 1 FROM workspace_members m WHERE m.workspace_id = w.id AND m.role = 'owner')";
    assert_eq!(app.count(ownerless).await, 0);

    // The chain verifies as `lyceum audit verify` checks it.
    let mut conn = app.pool().acquire().await.unwrap();
    let (checked, breaks) = audit_chain::verify(&mut conn).await.unwrap();
    drop(conn);
    assert_eq!((checked, breaks), (3_000, vec![]));

    // The known owner signs in and finds a generated member by part of their name.
    let c = app.client();
    let r = c.post("/api/v1/auth/login", json!({"email": s.owner_email, "password": s.owner_password})).await;
    assert_eq!(r.status, 200, "{r:?}");
    let page = c.get(&format!("/api/v1/orgs/{}/members?limit=100", s.org_id)).await;
    assert_eq!(page.status, 200, "{page:?}");
    assert_eq!(page.items().len(), 100);
    assert!(page.json["next_cursor"].is_string());
    let people: Vec<(String, String)> =
        sqlx::query_as("SELECT id, name FROM users WHERE email LIKE '%.%.%@example.test' ORDER BY email")
            .fetch_all(app.pool())
            .await
            .unwrap();
    let (id, name) = people.iter().find(|(_, n)| n.chars().all(|c| c.is_ascii_alphabetic() || c == ' ')).unwrap();
    let (first, last) = name.split_once(' ').unwrap();
    let q = format!("{}%20{}", &first.to_lowercase(), &last[..3.min(last.len())]);
    let found = c.get(&format!("/api/v1/orgs/{}/members?q={q}&limit=500", s.org_id)).await;
    assert_eq!(found.status, 200, "{found:?}");
    let items = found.items();
    assert!(items.iter().any(|m| m["user_id"] == id.as_str()), "{name} not found by {q}: {found:?}");

    // A second generation into the same database is refused and changes nothing.
    let again = generate(&app).await.unwrap_err();
    assert!(again.to_string().contains("already has"), "{again:#}");
    assert_eq!(app.count("SELECT COUNT(*) FROM organizations").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 600);
}

/// `lyceum demo …` on the test app's database.
fn demo(app: &TestApp, args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lyceum"));
    cmd.arg("demo").args(args).arg("--data-dir").arg(&app.data_dir);
    if let Some(url) = app.database_url() {
        cmd.args(["--database-url", url]);
    }
    cmd.output().unwrap()
}

#[tokio::test]
async fn demo_scale_prints_a_json_summary_last_and_refuses_a_second_run() {
    let app = TestApp::spawn().await;
    let args =
        ["--scale", "small", "--members", "120", "--workspaces", "6", "--invitations", "10", "--audit-events", "400"];
    let out = demo(&app, &args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}");
    let summary: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(summary["members"], 120);
    assert_eq!(summary["workspaces"], 6);
    assert_eq!(summary["invitations"], 10);
    assert_eq!(summary["audit_events"], 400);
    assert_eq!(summary["owner_email"], "owner@example.test");
    assert_eq!(summary["owner_password"], dataset::OWNER_PASSWORD);
    assert_eq!(summary["workspace_ids_sample"].as_array().unwrap().len(), 5);
    assert_eq!(summary["workspace_ids_sample"][0], summary["largest_workspace_id"]);
    assert!(summary["workspace_memberships"].as_u64().unwrap() >= 6);
    assert!(summary["seconds"].is_f64());
    assert!(summary["db_bytes"].as_u64().unwrap() > 0);
    let backend = if app.database_url().is_some() { "postgres" } else { "sqlite" };
    assert_eq!(summary["backend"], backend);
    assert!(stderr.contains("sign in as owner@example.test"), "{stderr}");
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_events").await, 400);

    let again = demo(&app, &args);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already has 1 organisation"));
    assert!(again.stdout.is_empty());
}
