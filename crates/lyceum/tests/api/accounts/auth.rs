//! Accounts: signup, login, logout, /me, profile edits, sessions, instance admins, rate limits.

use serde_json::json;

use lyceum_test_support::{TestApp, PASSWORD};

fn session_of(r: &lyceum_test_support::Resp) -> String {
    let cookie = r.header("set-cookie").expect("a session cookie");
    cookie.trim_start_matches("lyceum_session=").split(';').next().unwrap().to_owned()
}

#[tokio::test]
async fn signup_signs_in_and_me_shows_the_user() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let r = c
        .post("/api/v1/auth/signup", json!({"email": "  Ada@Example.COM ", "password": PASSWORD, "name": "Ada"}))
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(r.json["user"]["email"], "ada@example.com");
    assert!(r.json["user"].get("password_hash").is_none(), "no hash on the wire");
    let cookie = r.header("set-cookie").unwrap().to_owned();
    assert!(
        cookie.starts_with("lyceum_session=") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "plain http base URL: no Secure flag");
    let me = c.get("/api/v1/me").await;
    assert_eq!(me.status, 200);
    assert_eq!(me.json["user"]["name"], "Ada");
    assert_eq!(me.json["organizations"], json!([]));
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM users").fetch_one(app.pool()).await.unwrap();
    assert!(hash.starts_with("$argon2id$"), "argon2id at rest: {hash}");
    let stored: String = sqlx::query_scalar("SELECT token_hash FROM sessions").fetch_one(app.pool()).await.unwrap();
    assert_ne!(stored, session_of(&r), "sessions are stored hashed");
}

#[tokio::test]
async fn signup_refuses_bad_input_and_creates_nothing() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let cases = [
        (json!({"email": "not-an-email", "password": PASSWORD, "name": "A"}), "email"),
        (json!({"email": "a@x.com", "password": "short", "name": "A"}), "password"),
        (json!({"email": "a@x.com", "password": "password1234", "name": "A"}), "password"),
        (json!({"email": "a@x.com", "password": PASSWORD, "name": "   "}), "name"),
    ];
    for (body, field) in cases {
        let r = c.post("/api/v1/auth/signup", body).await;
        r.assert_problem(422, "validation");
        assert_eq!(r.json["errors"][0]["field"], field, "{r:?}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 0);
}

#[tokio::test]
async fn a_taken_email_is_a_conflict_whatever_its_case() {
    let app = TestApp::spawn().await;
    app.user("max@example.com").await;
    let r = app
        .client()
        .post("/api/v1/auth/signup", json!({"email": "MAX@example.com", "password": PASSWORD, "name": "Max"}))
        .await;
    r.assert_problem(409, "conflict");
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 1);
}

#[tokio::test]
async fn long_passwords_are_accepted_whole_and_never_truncated() {
    let app = TestApp::spawn().await;
    let long = "a long passphrase ".repeat(8);
    let c = app.client();
    let r = c.post("/api/v1/auth/signup", json!({"email": "long@example.com", "password": long, "name": "L"})).await;
    assert_eq!(r.status, 201);
    let truncated = &long[..72];
    let r = app.client().post("/api/v1/auth/login", json!({"email": "long@example.com", "password": truncated})).await;
    r.assert_problem(401, "unauthenticated");
    let r = app.client().post("/api/v1/auth/login", json!({"email": "long@example.com", "password": long})).await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn login_answers_the_same_for_a_wrong_password_and_an_unknown_account() {
    let app = TestApp::spawn().await;
    app.user("max@example.com").await;
    let wrong = app
        .client()
        .post("/api/v1/auth/login", json!({"email": "max@example.com", "password": "wrong wrong wrong"}))
        .await;
    let unknown = app
        .client()
        .post("/api/v1/auth/login", json!({"email": "nobody@example.com", "password": "wrong wrong wrong"}))
        .await;
    wrong.assert_problem(401, "unauthenticated");
    unknown.assert_problem(401, "unauthenticated");
    assert_eq!(wrong.json["detail"], unknown.json["detail"]);
    assert!(wrong.header("set-cookie").is_none());
    let failures = app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'auth.login_failed'").await;
    assert_eq!(failures, 2, "login failures are audited");
}

#[tokio::test]
async fn login_rotates_the_session_and_logout_ends_it_on_the_server() {
    let (app, c, _) = TestApp::init().with_user("max@example.com").await;
    let first = c.login("max@example.com").await;
    assert_eq!(first.status, 200);
    let first_token = session_of(&first);
    let second = c.login("max@example.com").await;
    let second_token = session_of(&second);
    assert_ne!(first_token, second_token, "a new token at login");
    let replay = app
        .client()
        .send(reqwest::Method::GET, "/api/v1/me", None, &[("cookie", &format!("lyceum_session={first_token}"))])
        .await;
    replay.assert_problem(401, "unauthenticated");
    assert_eq!(c.get("/api/v1/me").await.status, 200);
    assert_eq!(c.post("/api/v1/auth/logout", json!({})).await.status, 204);
    let after = app
        .client()
        .send(reqwest::Method::GET, "/api/v1/me", None, &[("cookie", &format!("lyceum_session={second_token}"))])
        .await;
    after.assert_problem(401, "unauthenticated");
}

#[tokio::test]
async fn sessions_end_after_idle_time_and_after_their_absolute_lifetime() {
    let (app, idle, _) = TestApp::init().with_user("idle@example.com").await;
    let (old, _) = app.user("old@example.com").await;
    sqlx::query(
        "UPDATE sessions SET last_seen_at = 0 WHERE user_id = (SELECT id FROM users WHERE email = 'idle@example.com')",
    )
    .execute(app.pool())
    .await
    .unwrap();
    sqlx::query(
        "UPDATE sessions SET expires_at = 1 WHERE user_id = (SELECT id FROM users WHERE email = 'old@example.com')",
    )
    .execute(app.pool())
    .await
    .unwrap();
    idle.get("/api/v1/me").await.assert_problem(401, "unauthenticated");
    old.get("/api/v1/me").await.assert_problem(401, "unauthenticated");
}

#[tokio::test]
async fn me_requires_authentication() {
    let app = TestApp::spawn().await;
    let r = app.client().get("/api/v1/me").await;
    r.assert_problem(401, "unauthenticated");
    for field in ["type", "title", "status", "detail", "code"] {
        assert!(r.json.get(field).is_some(), "problem has {field}: {r:?}");
    }
}

#[tokio::test]
async fn profile_edits_name_and_username_and_ignores_fields_it_does_not_own() {
    let (app, c, id) = TestApp::init().with_user("max@example.com").await;
    let (other, _) = app.user("ann@example.com").await;
    let r = c.patch("/api/v1/me", json!({"name": "Max Mustermann", "username": "Max.M", "role": "owner", "id": "hijack", "instance_admin": true})).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json["user"]["name"], "Max Mustermann");
    assert_eq!(r.json["user"]["username"], "max.m");
    assert_eq!(r.json["user"]["id"], id.as_str());
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE instance_admin = 1").await, 0);
    let taken = other.patch("/api/v1/me", json!({"username": "max.m"})).await;
    taken.assert_problem(409, "conflict");
    other.patch("/api/v1/me", json!({"username": "no spaces allowed"})).await.assert_problem(422, "validation");
}

#[tokio::test]
async fn changing_email_or_password_needs_the_current_password() {
    let (app, c, _) = TestApp::init().with_user("max@example.com").await;
    let r = c.patch("/api/v1/me", json!({"email": "new@example.com"})).await;
    r.assert_problem(422, "validation");
    assert_eq!(r.json["errors"][0]["field"], "current_password");
    let r = c
        .patch("/api/v1/me", json!({"password": "another long passphrase", "current_password": "not my password"}))
        .await;
    r.assert_problem(422, "validation");
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE email = 'max@example.com'").await, 1);
    assert_eq!(app.client().login("max@example.com").await.status, 200, "password unchanged");
}

#[tokio::test]
async fn a_password_change_ends_other_sessions_and_is_announced_by_email() {
    let (app, c, _) = TestApp::init().with_user("max@example.com").await;
    let laptop = app.client();
    assert_eq!(laptop.login("max@example.com").await.status, 200);
    let new_password = "an entirely new passphrase";
    let r = c.patch("/api/v1/me", json!({"password": new_password, "current_password": PASSWORD})).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(c.get("/api/v1/me").await.status, 200, "the session that changed it lives on");
    laptop.get("/api/v1/me").await.assert_problem(401, "unauthenticated");
    app.client().login("max@example.com").await.assert_problem(401, "unauthenticated");
    let r =
        app.client().post("/api/v1/auth/login", json!({"email": "max@example.com", "password": new_password})).await;
    assert_eq!(r.status, 200);
    let mail = app.mail_to("max@example.com").await;
    assert!(mail.iter().any(|m| m.contains("password")), "security notice sent: {mail:?}");
    let audit: String = sqlx::query_scalar("SELECT after_state FROM audit_events WHERE action = 'user.updated'")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert!(!audit.contains("argon2"), "no hash in the audit trail: {audit}");
}

#[tokio::test]
async fn an_email_change_notifies_the_old_address_and_the_new_one_signs_in() {
    let (app, c, _) = TestApp::init().with_user("max@example.com").await;
    app.user("taken@example.com").await;
    c.patch("/api/v1/me", json!({"email": "taken@example.com", "current_password": PASSWORD}))
        .await
        .assert_problem(409, "conflict");
    let r = c.patch("/api/v1/me", json!({"email": "Max.New@Example.com", "current_password": PASSWORD})).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["user"]["email"], "max.new@example.com");
    assert_eq!(app.client().login("max.new@example.com").await.status, 200);
    assert!(!app.mail_to("max@example.com").await.is_empty(), "the old address is told");
}

#[tokio::test]
async fn signup_and_login_are_audited_in_the_instance_chain() {
    let (app, c, id) = TestApp::init().with_user("max@example.com").await;
    c.login("max@example.com").await;
    let rows: Vec<(String, Option<String>, Option<String>)> =
        sqlx::query_as("SELECT action, actor_id, ip FROM audit_events WHERE chain = '' ORDER BY seq")
            .fetch_all(app.pool())
            .await
            .unwrap();
    let actions: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(actions, ["user.signed_up", "auth.logged_in"]);
    assert!(
        rows.iter().all(|r| r.1.as_deref() == Some(id.as_str()) && r.2.as_deref() == Some("127.0.0.1")),
        "{rows:?}"
    );
}

#[tokio::test]
async fn login_is_throttled_per_account_without_locking_others_out() {
    let app = TestApp::spawn_with(|a| a.login_rate_per_account = 3).await;
    app.user("max@example.com").await;
    app.user("ann@example.com").await;
    let bad = json!({"email": "max@example.com", "password": "guess guess guess"});
    for _ in 0..3 {
        app.client().post("/api/v1/auth/login", bad.clone()).await.assert_problem(401, "unauthenticated");
    }
    let r = app.client().post("/api/v1/auth/login", bad).await;
    r.assert_problem(429, "rate_limited");
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    // Even the right password waits: the bucket is per account, not per outcome.
    app.client().login("max@example.com").await.assert_problem(429, "rate_limited");
    assert_eq!(app.client().login("ann@example.com").await.status, 200, "other accounts are not locked out");
}

#[tokio::test]
async fn login_is_throttled_per_ip_across_accounts() {
    let app = TestApp::spawn_with(|a| a.login_rate_per_ip = 4).await;
    for i in 0..4 {
        app.client()
            .post("/api/v1/auth/login", json!({"email": format!("u{i}@example.com"), "password": "x x x x x x"}))
            .await
            .assert_problem(401, "unauthenticated");
    }
    app.client()
        .post("/api/v1/auth/login", json!({"email": "u9@example.com", "password": "x x x x x x"}))
        .await
        .assert_problem(429, "rate_limited");
}

#[tokio::test]
async fn signup_is_throttled_per_ip() {
    let app = TestApp::spawn_with(|a| a.signup_rate_per_ip = 2).await;
    app.user("a@example.com").await;
    app.user("b@example.com").await;
    let r = app
        .client()
        .post("/api/v1/auth/signup", json!({"email": "c@example.com", "password": PASSWORD, "name": "C"}))
        .await;
    r.assert_problem(429, "rate_limited");
    assert!(r.header("retry-after").is_some());
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 2);
}

#[tokio::test]
async fn the_admin_cli_creates_an_instance_admin_who_can_see_every_organisation() {
    let (app, owner) = TestApp::init().with_owner("olivia@example.com", "pro", 10, 0).await;
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_lyceum"));
    cmd.args(["admin", "create", "--email", "root@example.com", "--password-stdin", "--data-dir"]).arg(&app.data_dir);
    if let Some(url) = app.database_url() {
        cmd.args(["--database-url", url]);
    }
    let mut child = cmd.stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped()).spawn().unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(format!("{PASSWORD}\n").as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE instance_admin = 1 AND email = 'root@example.com'").await,
        1
    );
    let admin = app.client();
    assert_eq!(admin.login("root@example.com").await.status, 200);
    let r = admin.get(&format!("/api/v1/orgs/{}", owner.org)).await;
    assert_eq!(r.status, 200, "{r:?}");
    let me = admin.get("/api/v1/me").await;
    assert_eq!(me.json["organizations"], json!([]), "an instance admin is no organisation role");
}
