//! Secrets stay secret (ASVS 3.1.1, 7.1.1): the real binary is run with debug logs in JSON, a full
//! flow is driven over HTTP, and no session token, invitation token or API key may appear in the
//! captured logs, the audit trail (API answer and table), or any listing. And HTML pages escape
//! names chosen by users.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use lyceum_test_support::{TestApp, PASSWORD};

/// The server process, ended when the test ends (even on failure).
struct Server {
    child: Option<Child>,
    base: String,
}

impl Server {
    /// `lyceum --log-format json serve` on a free port with the test app's database and data dir,
    /// debug logs on stderr going to `log`.
    async fn start(app: &TestApp, log: &Path) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let listen = format!("127.0.0.1:{port}");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_lyceum"));
        cmd.args(["--log-format", "json", "serve", "--listen", &listen, "--data-dir"])
            .arg(&app.data_dir)
            .env("RUST_LOG", "debug")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log).unwrap());
        if let Some(url) = app.database_url() {
            cmd.args(["--database-url", url]);
        }
        let server = Server { child: Some(cmd.spawn().unwrap()), base: format!("http://{listen}") };
        let started = Instant::now();
        loop {
            if let Ok(r) = reqwest::get(format!("{}/readyz", server.base)).await {
                if r.status() == 200 {
                    break;
                }
            }
            assert!(started.elapsed() < Duration::from_secs(20), "the server did not become ready");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        server
    }

    /// SIGTERM, then wait for the graceful exit (the last log lines are written by then).
    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill").arg(child.id().to_string()).status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Calls without a cookie jar: each call names its credentials, and every session token handed
/// out is collected.
struct Http {
    client: reqwest::Client,
    base: String,
}

#[derive(Debug)]
struct Answer {
    status: u16,
    text: String,
    json: Value,
    /// The session token of a `Set-Cookie: lyceum_session=…` (not the clearing one of logout).
    session: Option<String>,
}

enum Cred<'a> {
    None,
    Session(&'a str),
    Key(&'a str),
}

impl Http {
    async fn send(&self, cred: Cred<'_>, method: &str, path: &str, body: Option<Value>) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        match cred {
            Cred::None => {}
            Cred::Session(s) => req = req.header("cookie", format!("lyceum_session={s}")),
            Cred::Key(k) => req = req.bearer_auth(k),
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let session = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next()?.strip_prefix("lyceum_session="))
            .find(|v| !v.is_empty())
            .map(str::to_owned);
        let text = res.text().await.unwrap();
        Answer { status, json: serde_json::from_str(&text).unwrap_or(Value::Null), text, session }
    }
}

#[track_caller]
fn ok(a: &Answer, status: u16) -> &Answer {
    assert_eq!(a.status, status, "{a:?}");
    a
}

/// Every invitation token in the delivered emails (quoted-printable soft breaks undone).
fn invitation_tokens(outbox: &Path) -> Vec<String> {
    let mut tokens = Vec::new();
    let files = std::fs::read_dir(outbox).map(|d| d.flatten().map(|e| e.path()).collect()).unwrap_or_else(|_| vec![]);
    for f in files.iter().filter(|p: &&PathBuf| p.extension().is_some_and(|e| e == "eml")) {
        let m = std::fs::read_to_string(f).unwrap().replace("=\r\n", "").replace("=\n", "").replace("=3D", "=");
        for (i, _) in m.match_indices("/invite/") {
            let t: String =
                m[i + 8..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
            if t.len() >= 32 && !tokens.contains(&t) {
                tokens.push(t);
            }
        }
    }
    tokens
}

/// Waits until the server's mail worker has delivered an invitation to `to`, and returns its
/// newest token.
async fn token_for(outbox: &Path, to: &str, known: &[String]) -> String {
    let started = Instant::now();
    loop {
        if let Some(t) = invitation_tokens(outbox).into_iter().find(|t| !known.contains(t)) {
            return t;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "no invitation email to {to}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_tokens_invitation_tokens_and_api_keys_never_appear_in_logs_audit_or_listings() {
    let app = TestApp::spawn().await;
    let log = app.data_dir.join("server.log");
    let mut server = Server::start(&app, &log).await;
    let http = Http { client: reqwest::Client::new(), base: server.base.clone() };
    let outbox = app.data_dir.join("outbox");
    let mut sessions: Vec<String> = Vec::new();
    let mut keys: Vec<String> = Vec::new();
    let mut tokens: Vec<String> = Vec::new();
    let body = |email: &str| json!({"email": email, "password": PASSWORD, "name": "Someone"});

    // Sign up, and sign in again from another "device".
    let a = http.send(Cred::None, "POST", "/api/v1/auth/signup", Some(body("owner@secrets.test"))).await;
    let s_owner = ok(&a, 201).session.clone().expect("a session");
    let a = http.send(Cred::None, "POST", "/api/v1/auth/login", Some(body("owner@secrets.test"))).await;
    let s_second = ok(&a, 200).session.clone().expect("a session");
    sessions.extend([s_owner.clone(), s_second.clone()]);
    let owner = || Cred::Session(&s_owner);

    // An organisation, and API keys: one used, one revoked and then refused.
    let a = http
        .send(owner(), "POST", "/api/v1/orgs", Some(json!({"name": "Secrets Org", "plan": "enterprise", "seats": 50})))
        .await;
    let org = ok(&a, 201).json["id"].as_str().unwrap().to_owned();
    let ws = a.json["workspaces"][0]["id"].as_str().unwrap().to_owned();
    let keys_path = format!("/api/v1/orgs/{org}/api-keys");
    let a = http.send(owner(), "POST", &keys_path, Some(json!({"name": "ci", "role": "owner"}))).await;
    keys.push(ok(&a, 201).json["key"].as_str().unwrap().to_owned());
    let a = http
        .send(owner(), "POST", &keys_path, Some(json!({"name": "bot", "role": "learner", "workspace_id": ws})))
        .await;
    keys.push(ok(&a, 201).json["key"].as_str().unwrap().to_owned());
    let doomed = a.json["id"].as_str().unwrap().to_owned();
    ok(&http.send(Cred::Key(&keys[0]), "GET", &format!("/api/v1/orgs/{org}/members"), None).await, 200);
    ok(&http.send(Cred::Key(&keys[1]), "GET", &format!("/api/v1/workspaces/{ws}/permissions"), None).await, 200);
    ok(&http.send(owner(), "DELETE", &format!("{keys_path}/{doomed}"), None).await, 204);
    ok(&http.send(Cred::Key(&keys[1]), "GET", &format!("/api/v1/workspaces/{ws}/permissions"), None).await, 401);
    // A key sent where it is refused (a foreign session-only route) and a tampered one.
    ok(&http.send(Cred::Key(&keys[0]), "GET", "/api/v1/me", None).await, 403);
    let tampered = format!("{}x", keys[0]);
    ok(&http.send(Cred::Key(&tampered), "GET", &format!("/api/v1/orgs/{org}"), None).await, 401);

    // Invite an address, look the token up, open the landing page, sign up through it.
    let invite = |emails: Value, path: String, role: &'static str| {
        let http = &http;
        let s = s_owner.clone();
        async move {
            let a = http.send(Cred::Session(&s), "POST", &path, Some(json!({"emails": emails, "role": role}))).await;
            assert_eq!(a.status, 200, "{a:?}");
            a.json["results"][0].clone()
        }
    };
    let ws_invitations = format!("/api/v1/workspaces/{ws}/invitations");
    invite(json!(["alice@secrets.test"]), ws_invitations.clone(), "learner").await;
    let t_alice = token_for(&outbox, "alice", &tokens).await;
    tokens.push(t_alice.clone());
    ok(&http.send(Cred::None, "GET", &format!("/api/v1/invitations/by-token/{t_alice}"), None).await, 200);
    ok(&http.send(Cred::None, "GET", &format!("/invite/{t_alice}"), None).await, 200);
    let mut b = body("alice@secrets.test");
    b["invitation_token"] = json!(t_alice);
    let a = http.send(Cred::None, "POST", "/api/v1/auth/signup", Some(b)).await;
    sessions.push(ok(&a, 201).session.clone().expect("a session"));
    ok(&http.send(Cred::None, "GET", &format!("/api/v1/invitations/by-token/{t_alice}"), None).await, 410);

    // Invite, resend (a new token), revoke: both tokens are dead.
    let r = invite(json!(["bob@secrets.test"]), ws_invitations.clone(), "learner").await;
    let bob = r["invitation_id"].as_str().unwrap().to_owned();
    let t_bob = token_for(&outbox, "bob", &tokens).await;
    tokens.push(t_bob.clone());
    ok(&http.send(owner(), "POST", &format!("/api/v1/invitations/{bob}/resend"), None).await, 200);
    let t_bob2 = token_for(&outbox, "bob again", &tokens).await;
    tokens.push(t_bob2.clone());
    ok(&http.send(owner(), "DELETE", &format!("/api/v1/invitations/{bob}"), None).await, 204);
    for t in [&t_bob, &t_bob2] {
        ok(&http.send(Cred::None, "GET", &format!("/api/v1/invitations/by-token/{t}"), None).await, 410);
    }

    // An invitation accepted by someone who signed up on their own; one used by the wrong person.
    invite(json!(["carol@secrets.test"]), format!("/api/v1/orgs/{org}/invitations"), "viewer").await;
    let t_carol = token_for(&outbox, "carol", &tokens).await;
    tokens.push(t_carol.clone());
    let a = http.send(Cred::None, "POST", "/api/v1/auth/signup", Some(body("carol@secrets.test"))).await;
    let s_carol = ok(&a, 201).session.clone().expect("a session");
    sessions.push(s_carol.clone());
    let accept = |t: &str| json!({"token": t});
    ok(
        &http.send(Cred::Session(&sessions[2]), "POST", "/api/v1/invitations/accept", Some(accept(&t_carol))).await,
        403,
    );
    ok(&http.send(Cred::Session(&s_carol), "POST", "/api/v1/invitations/accept", Some(accept(&t_carol))).await, 200);

    // A cross-site write with a cookie is refused; pages are served with the session.
    let a = http
        .client
        .post(format!("{}/api/v1/orgs", http.base))
        .header("cookie", format!("lyceum_session={s_owner}"))
        .header("origin", "https://evil.example")
        .json(&json!({"name": "x", "plan": "pro"}))
        .send()
        .await
        .unwrap();
    assert_eq!(a.status().as_u16(), 403);
    for page in [format!("/w/{ws}"), format!("/w/{ws}/members"), format!("/o/{org}/audit")] {
        ok(&http.send(owner(), "GET", &page, None).await, 200);
    }

    // Sign out one session: it is dead at once.
    ok(&http.send(Cred::Session(&s_second), "POST", "/api/v1/auth/logout", None).await, 204);
    ok(&http.send(Cred::Session(&s_second), "GET", "/api/v1/me", None).await, 401);

    // What the product shows: audit trail, listings, the CSV export.
    let mut shown = Vec::new();
    for path in [
        format!("/api/v1/orgs/{org}/audit?limit=500"),
        format!("/api/v1/orgs/{org}/api-keys"),
        format!("/api/v1/orgs/{org}/invitations?limit=500"),
        format!("/api/v1/orgs/{org}/members?limit=500"),
        format!("/api/v1/workspaces/{ws}/members?limit=500"),
        format!("/o/{org}/audit.csv"),
    ] {
        let a = http.send(owner(), "GET", &path, None).await;
        ok(&a, 200);
        shown.push((path, a.text));
    }
    let audit_events = &shown[0].1;
    for action in ["api_key.created", "api_key.revoked", "invitation.sent", "invitation.resent", "invitation.revoked"] {
        assert!(audit_events.contains(action), "the audit trail records {action}");
    }
    let table: Vec<String> = sqlx::query_scalar(
        "SELECT id || '|' || chain || '|' || COALESCE(org_id, '') || '|' || COALESCE(workspace_id, '') || '|' || \
         actor_type || '|' || COALESCE(actor_id, '') || '|' || COALESCE(actor_email, '') || '|' || action || '|' || \
         target_type || '|' || target_id || '|' || COALESCE(before_state, '') || '|' || \
         COALESCE(after_state, '') || '|' || COALESCE(ip, '') || '|' || COALESCE(user_agent, '') || '|' || \
         prev_hash || '|' || hash FROM audit_events",
    )
    .fetch_all(app.pool())
    .await
    .unwrap();
    assert!(table.len() >= 10, "{} audit events", table.len());
    shown.push(("audit_events table".into(), table.join("\n")));

    server.stop();
    let logs = std::fs::read_to_string(&log).unwrap();
    assert!(
        logs.contains("lyceum is serving") && logs.contains("\"level\":\"DEBUG\""),
        "debug JSON logs were captured"
    );
    assert!(logs.contains("/invite/{token}"), "the access log names the route, not the path");

    let secrets: Vec<(&str, &String)> = sessions
        .iter()
        .map(|s| ("session token", s))
        .chain(tokens.iter().map(|t| ("invitation token", t)))
        .chain(keys.iter().map(|k| ("API key", k)))
        .collect();
    assert_eq!((sessions.len(), tokens.len(), keys.len()), (4, 4, 2));
    let mut hits = Vec::new();
    for (kind, secret) in &secrets {
        // The whole secret, and for a key its secret part after the public prefix.
        let needles: Vec<&str> = match kind {
            // `lyk_<prefix>_<secret>`: the secret part (base64url) may itself contain `_`.
            &"API key" => vec![secret.as_str(), secret.splitn(3, '_').nth(2).expect("lyk_<prefix>_<secret>")],
            _ => vec![secret.as_str()],
        };
        for needle in needles {
            if logs.contains(needle) {
                hits.push(format!("{kind} in the logs"));
            }
            for (place, text) in &shown {
                if text.contains(needle) {
                    hits.push(format!("{kind} in {place}"));
                }
            }
        }
    }
    let scanned: usize = shown.iter().map(|(_, t)| t.len()).sum();
    println!(
        "secrets [{}]: {} secrets checked ({} session tokens, {} invitation tokens, {} API keys); {} bytes of \
         debug JSON logs ({} lines) and {} bytes of audit/listing answers and audit_events rows scanned; hits {}",
        if std::env::var("LYCEUM_TEST_DATABASE_URL").is_ok() { "postgres" } else { "sqlite" },
        secrets.len(),
        sessions.len(),
        tokens.len(),
        keys.len(),
        logs.len(),
        logs.lines().count(),
        scanned,
        hits.len()
    );
    assert!(hits.is_empty(), "secrets leaked: {hits:?}");
}

/// Names people choose are escaped on every page that shows them (organisation, workspace, user,
/// key names; the audit trail's before/after; the invitation landing).
#[tokio::test]
async fn pages_escape_script_in_organisation_workspace_user_and_key_names() {
    const EVIL: &str = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>";
    let app = TestApp::spawn().await;
    let c = app.client();
    let r =
        c.post("/api/v1/auth/signup", json!({"email": "evil@pages.test", "password": PASSWORD, "name": EVIL})).await;
    assert_eq!(r.status, 201, "{r:?}");
    let r = c.post("/api/v1/orgs", json!({"name": EVIL, "plan": "enterprise", "seats": 10})).await;
    assert_eq!(r.status, 201, "{r:?}");
    let org = r.json["id"].as_str().unwrap().to_owned();
    let ws = r.json["workspaces"][0]["id"].as_str().unwrap().to_owned();
    let r = c
        .post(&format!("/api/v1/orgs/{org}/workspaces"), json!({"name": format!("W {EVIL}"), "credit_limit": 0}))
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let r = c.post(&format!("/api/v1/orgs/{org}/api-keys"), json!({"name": EVIL, "role": "viewer"})).await;
    assert_eq!(r.status, 201, "{r:?}");
    let r = c
        .post(
            &format!("/api/v1/workspaces/{ws}/invitations"),
            json!({"emails": ["guest@pages.test"], "role": "learner"}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let token = app.invitation_token("guest@pages.test").await.expect("an invitation");
    let pages = [
        (format!("/w/{ws}"), c.clone()),
        (format!("/w/{ws}/members"), c.clone()),
        (format!("/w/{ws}/invitations"), c.clone()),
        (format!("/o/{org}/workspaces"), c.clone()),
        (format!("/o/{org}/api-keys"), c.clone()),
        (format!("/o/{org}/audit"), c.clone()),
        ("/settings/profile".to_owned(), c.clone()),
        (format!("/invite/{token}"), app.client()),
    ];
    for (path, client) in pages {
        let r = client.get(&path).await;
        assert_eq!(r.status, 200, "{path}: {r:?}");
        assert!(r.header("content-type").unwrap_or("").starts_with("text/html"), "{path}");
        for raw in ["<script>alert", "<img src=x", "\"'><"] {
            assert!(!r.text.contains(raw), "{path} shows {raw} unescaped");
        }
        assert!(
            r.text.contains("&lt;script&gt;alert(1)") || r.text.contains("&#60;script&#62;alert(1)"),
            "{path} shows the name, escaped"
        );
    }
}
