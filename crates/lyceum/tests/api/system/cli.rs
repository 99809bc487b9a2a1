//! The binary's commands: `demo`, `migrate`, `serve` (JSON logs, readiness), run as a user would.

use std::process::{Command, Stdio};

use lyceum_test_support::TestApp;

/// The `lyceum` binary pointed at the test app's database.
fn lyceum(app: &TestApp, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lyceum"));
    cmd.args(args).arg("--data-dir").arg(&app.data_dir);
    if let Some(url) = app.database_url() {
        cmd.args(["--database-url", url]);
    }
    cmd
}

#[tokio::test]
async fn demo_seeds_a_living_organisation_once() {
    let app = TestApp::spawn().await;
    let out = lyceum(&app, &["demo"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("olivia@demo.lyceum.test"), "{stdout}");
    let ws_roles: Vec<String> = sqlx::query_scalar("SELECT DISTINCT role FROM workspace_members ORDER BY role")
        .fetch_all(app.pool())
        .await
        .unwrap();
    assert_eq!(ws_roles, ["editor", "learner", "owner", "reviewer", "trainer", "viewer"]);
    let org_roles: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT role FROM org_members ORDER BY role").fetch_all(app.pool()).await.unwrap();
    assert_eq!(org_roles, ["editor", "guest", "owner", "viewer"]);
    assert!(
        app.count("SELECT COUNT(*) FROM org_members WHERE status = 'pending'").await > 0,
        "people who have not signed in yet"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations WHERE accepted_at IS NULL").await, 3, "invitations waiting");
    assert_eq!(app.count("SELECT COUNT(*) FROM workspaces").await, 3);
    // The Content Library: a published role-play course in two versions (with its rubric), a
    // draft, an onboarding course elsewhere, and a template; AI spend names the course.
    assert_eq!(app.count("SELECT COUNT(*) FROM courses").await, 3);
    assert_eq!(app.count("SELECT COUNT(*) FROM courses WHERE status = 'published'").await, 2);
    assert_eq!(app.count("SELECT MAX(latest_version) FROM courses").await, 2);
    assert_eq!(app.count("SELECT COUNT(*) FROM course_templates").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM course_versions WHERE content LIKE '%\"scripted_lines\"%'").await, 2);
    assert!(app.count("SELECT COUNT(*) FROM usage_events WHERE course_id IS NOT NULL").await > 0);
    // The owner can sign in with the printed password and sees the organisation.
    let c = app.client();
    let r = c
        .post(
            "/api/v1/auth/login",
            serde_json::json!({"email": "olivia@demo.lyceum.test", "password": crate::server_internals::DEMO_PASSWORD}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(c.get("/api/v1/me").await.json["organizations"][0]["name"], "Acme Training");
    // A second run changes nothing.
    let again = lyceum(&app, &["demo"]).output().unwrap();
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stdout).contains("already present"));
    assert_eq!(app.count("SELECT COUNT(*) FROM organizations").await, 1);
}

#[tokio::test]
async fn migrate_is_idempotent() {
    let app = TestApp::spawn().await;
    for _ in 0..2 {
        let out = lyceum(&app, &["migrate"]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stdout).contains("migrations applied"));
    }
}

#[tokio::test]
async fn serve_answers_readyz_and_logs_json_lines() {
    let app = TestApp::spawn().await;
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let listen = format!("127.0.0.1:{port}");
    let child = lyceum(&app, &["--log-format", "json", "serve", "--listen", &listen])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut ready = false;
    for _ in 0..100 {
        if let Ok(r) = reqwest::get(format!("http://{listen}/readyz")).await {
            ready = r.status() == 200;
            if ready {
                break;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // SIGTERM: a graceful shutdown.
    let _ = Command::new("kill").arg(child.id().to_string()).status();
    let out = child.wait_with_output().unwrap();
    assert!(ready, "the server became ready");
    assert!(out.status.success(), "graceful exit on SIGTERM");
    let logs = String::from_utf8_lossy(&out.stderr);
    let first = logs.lines().next().unwrap_or_default();
    let parsed: serde_json::Value = serde_json::from_str(first).unwrap_or_else(|_| panic!("a JSON log line: {first}"));
    assert!(parsed.get("level").is_some() && parsed.get("fields").is_some(), "{parsed}");
    assert!(logs.contains("lyceum is serving"));
}
