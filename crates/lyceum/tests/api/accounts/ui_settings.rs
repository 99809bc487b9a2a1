//! Web UI: the Workspaces, API keys, Audit trail and My Profile pages (docs/ui.md), over HTTP as a
//! browser would use them — pages, forms with the CSRF token, flash messages, the stored results.

use serde_json::json;

use lyceum_test_support::{Client, Owner, Resp, TestApp, PASSWORD};

const FORM: &str = "application/x-www-form-urlencoded";

/// `application/x-www-form-urlencoded` encoding of one value.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            b' ' => "+".to_owned(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn body(pairs: &[(&str, &str)]) -> Vec<u8> {
    pairs.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&").into_bytes()
}

/// The CSRF token of the page at `path`.
async fn csrf(c: &Client, path: &str) -> String {
    let page = c.get(path).await;
    assert_eq!(page.status, 200, "{path}: {}", page.text);
    let marker = "name=\"csrf\" value=\"";
    let start = page.text.find(marker).expect("a csrf field") + marker.len();
    page.text[start..].chars().take_while(|c| *c != '"').collect()
}

/// Posts a form (redirects are followed, as a browser does).
async fn post_form(c: &Client, path: &str, pairs: &[(&str, &str)]) -> Resp {
    c.raw(reqwest::Method::POST, path, FORM, body(pairs)).await
}

/// Posts a form with the page's CSRF token.
async fn submit(c: &Client, page: &str, action: &str, pairs: &[(&str, &str)]) -> Resp {
    let token = csrf(c, page).await;
    let mut all = vec![("csrf", token.as_str())];
    all.extend_from_slice(pairs);
    post_form(c, action, &all).await
}

fn count(html: &str, needle: &str) -> usize {
    html.matches(needle).count()
}

/// The text between `start` and the next `end` after it.
fn between<'a>(html: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = html.find(start)? + start.len();
    let len = html[from..].find(end)?;
    Some(&html[from..from + len])
}

/// `data-seq` values of the audit rows on a page.
fn audit_seqs(html: &str) -> Vec<i64> {
    html.split("class=\"audit-row\" data-seq=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().parse().unwrap())
        .collect()
}

async fn workspace_count(app: &TestApp, org: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM workspaces WHERE org_id = $1")
        .bind(org)
        .fetch_one(app.pool())
        .await
        .unwrap()
}

/// Signs `email` up and has the owner add them to the workspace with `role`.
async fn ws_member(app: &TestApp, o: &Owner, email: &str, role: &str) -> Client {
    let (c, _) = app.user(email).await;
    let r = o
        .client
        .post(&format!("/api/v1/workspaces/{}/invitations", o.ws), json!({"emails": [email], "role": role}))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    c
}

#[tokio::test]
async fn workspaces_page_creates_within_the_pool_and_edits_limits() {
    let (app, o) = TestApp::init().with_owner("wsowner@example.com", "enterprise", 10, 100).await;
    let page_url = format!("/o/{}/workspaces", o.org);
    let page = o.client.get(&page_url).await;
    assert_eq!(page.status, 200);
    for id in ["id=\"workspaces\"", "class=\"workspace-row\"", "id=\"workspace-form\"", "id=\"pool-summary\""] {
        assert!(page.text.contains(id), "{id} missing: {}", page.text);
    }
    assert!(page.text.contains("id=\"nav-workspaces\" href=\"/o/"), "the sidebar marks the page");
    assert!(page.text.contains(&format!("href=\"/w/{}/members\"", o.ws)), "each workspace links to its members");
    assert!(!page.text.contains("id=\"plan-note\""));

    // Created: flash, the new row, the pool summary.
    let r = submit(&o.client, &page_url, &page_url, &[("name", "Sales"), ("credit_limit", "30")]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.text.contains("flash flash-success"), "{}", r.text);
    assert!(r.text.contains("<td class=\"workspace-name\">Sales</td>"), "{}", r.text);
    assert_eq!(between(&r.text, "id=\"pool-allocated\">", "<"), Some("30"));
    assert_eq!(between(&r.text, "id=\"pool-unallocated\">", "<"), Some("70"));
    assert_eq!(workspace_count(&app, &o.org).await, 2);

    // Over the pool: the service's message, the typed values kept, nothing created.
    let r = submit(&o.client, &page_url, &page_url, &[("name", "Research & Dev"), ("credit_limit", "71")]).await;
    assert_eq!(r.status, 200);
    assert!(r.text.contains("data-code=\"credit_pool_exceeded\""), "{}", r.text);
    assert!(r.text.contains("Workspace credit limits would total 101"), "{}", r.text);
    assert!(r.text.contains("value=\"Research &#38; Dev\""), "typed name kept: {}", r.text);
    assert!(r.text.contains("value=\"71\""), "typed limit kept");
    assert_eq!(workspace_count(&app, &o.org).await, 2);

    // Not a number, and no name: errors by the fields.
    let r = submit(&o.client, &page_url, &page_url, &[("name", "Ops"), ("credit_limit", "lots")]).await;
    assert!(r.text.contains("class=\"field-error\">Credit limit must be a whole number"), "{}", r.text);
    assert!(r.text.contains("value=\"lots\""));
    let r = submit(&o.client, &page_url, &page_url, &[("name", "  "), ("credit_limit", "1")]).await;
    assert!(r.text.contains("class=\"field-error\">Name must not be empty"), "{}", r.text);

    // The row's own credit limit form.
    let limit_url = format!("/o/{}/workspaces/{}/credit-limit", o.org, o.ws);
    let r = submit(&o.client, &page_url, &limit_url, &[("credit_limit", "45")]).await;
    assert!(r.text.contains("flash flash-success"), "{}", r.text);
    assert_eq!(between(&r.text, "id=\"pool-allocated\">", "<"), Some("75"));
    let r = submit(&o.client, &page_url, &limit_url, &[("credit_limit", "1000")]).await;
    assert!(r.text.contains("class=\"row-error\""), "{}", r.text);
    assert!(r.text.contains("value=\"1000\""), "typed limit kept in the row");
    let limit: i64 = sqlx::query_scalar("SELECT credit_limit FROM workspaces WHERE id = $1")
        .bind(&o.ws)
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(limit, 45);
}

#[tokio::test]
async fn pro_plan_explains_its_single_workspace() {
    let (app, o) = TestApp::init().with_owner("pro@example.com", "pro", 10, 100).await;
    let page_url = format!("/o/{}/workspaces", o.org);
    let page = o.client.get(&page_url).await;
    assert!(page.text.contains("id=\"plan-note\""), "{}", page.text);
    assert!(!page.text.contains("id=\"workspace-form\""), "the note replaces the form");
    // A stale form posted anyway: plan_limit, said plainly.
    let r = submit(&o.client, &page_url, &page_url, &[("name", "Second"), ("credit_limit", "0")]).await;
    assert_eq!(r.status, 200);
    assert!(r.text.contains("data-code=\"plan_limit\""), "{}", r.text);
    assert!(r.text.contains("upgrade to enterprise"), "{}", r.text);
    assert!(r.text.contains("id=\"plan-note\""));
    assert_eq!(workspace_count(&app, &o.org).await, 1);
}

#[tokio::test]
async fn only_owners_open_the_settings_pages_and_strangers_see_nothing() {
    let (app, o) = TestApp::init().with_owner("owner@example.com", "enterprise", 10, 0).await;
    let learner = ws_member(&app, &o, "learner@example.com", "learner").await;
    let stranger = app.owner("stranger@example.com", "enterprise", 10, 0).await;

    let pages = ["workspaces", "api-keys", "audit", "audit.csv"].map(|p| format!("/o/{}/{p}", o.org));
    for url in &pages {
        let r = o.client.get(url).await;
        assert_eq!(r.status, 200, "owner {url}");
        let r = learner.get(url).await;
        assert_eq!(r.status, 403, "learner {url}: {}", r.text);
        assert!(r.text.contains("You do not have permission"), "{}", r.text);
        let r = stranger.client.get(url).await;
        assert_eq!(r.status, 404, "stranger {url}");
        assert!(!r.text.contains(&o.ws), "nothing of the other organisation shows");
    }
    // Stranger's forms on the other organisation: not found, nothing happens.
    let own = format!("/o/{}/workspaces", stranger.org);
    let r = submit(&stranger.client, &own, &pages[0], &[("name", "Intruder"), ("credit_limit", "0")]).await;
    assert_eq!(r.status, 404);
    let r = submit(&stranger.client, &own, &pages[1], &[("name", "k"), ("role", "owner")]).await;
    assert_eq!(r.status, 404);
    assert_eq!(workspace_count(&app, &o.org).await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM api_keys").await, 0);

    // The sidebar shows only what each may open.
    let dash = format!("/w/{}", o.ws);
    let mine = o.client.get(&dash).await.text;
    for id in ["nav-workspaces", "nav-api-keys", "nav-audit"] {
        assert!(mine.contains(&format!("id=\"{id}\"")), "owner sees {id}");
    }
    let theirs = learner.get(&dash).await;
    assert_eq!(theirs.status, 200);
    for id in ["nav-workspaces", "nav-api-keys", "nav-audit"] {
        assert!(!theirs.text.contains(&format!("id=\"{id}\"")), "learner must not see {id}");
    }
    assert!(theirs.text.contains("id=\"nav-profile\""));
}

#[tokio::test]
async fn api_key_secret_is_shown_once_works_and_revokes() {
    let (app, o) = TestApp::init().with_owner("keys@example.com", "enterprise", 10, 0).await;
    let url = format!("/o/{}/api-keys", o.org);
    let page = o.client.get(&url).await;
    assert!(page.text.contains("id=\"key-form\"") && page.text.contains("id=\"api-keys\""), "{}", page.text);
    assert!(!page.text.contains("id=\"new-key\""));

    let r = submit(&o.client, &url, &url, &[("name", "CI bot"), ("role", "viewer"), ("workspace_id", "")]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.text.contains("id=\"new-key\"") && r.text.contains("id=\"copy-key\""), "{}", r.text);
    assert!(r.text.contains("will not be shown again"));
    let secret = between(&r.text, "id=\"new-key-value\" class=\"secret\">", "</code>").unwrap().to_owned();
    assert!(secret.len() > 20, "{secret}");
    assert!(r.text.contains("class=\"key-row\""));
    assert!(r.text.contains("<td class=\"key-name\">CI bot</td>"));

    // The key works as a bearer against the API.
    let bot = app.key_client(&secret);
    assert_eq!(bot.get(&format!("/api/v1/orgs/{}/members", o.org)).await.status, 200);

    // A reload shows the key in the table, never its secret.
    let again = o.client.get(&url).await;
    assert!(!again.text.contains("id=\"new-key\""));
    assert!(!again.text.contains(&secret));
    let prefix: String = sqlx::query_scalar("SELECT prefix FROM api_keys").fetch_one(app.pool()).await.unwrap();
    assert!(again.text.contains(&format!("<code>{prefix}</code>")), "{}", again.text);
    assert!(again.text.contains("badge-active"));
    assert!(again.text.contains("class=\"key-revoke danger\"") && again.text.contains("data-confirm="));

    // A workspace key with an expiry date.
    let r = submit(
        &o.client,
        &url,
        &url,
        &[
            ("name", "Grader"),
            ("role", "viewer"),
            ("workspace_id", &o.ws),
            ("workspace_role", "learner"),
            ("expires_at", "2999-12-31"),
        ],
    )
    .await;
    assert!(r.text.contains("id=\"new-key\""), "{}", r.text);
    assert!(r.text.contains("<td class=\"key-role\">learner</td>"));
    assert!(r.text.contains("<td class=\"key-expires\">2999-12-31 23:59 UTC</td>"), "{}", r.text);

    // Refusals keep what was typed.
    let r =
        submit(&o.client, &url, &url, &[("name", "Old one"), ("role", "editor"), ("expires_at", "2001-01-01")]).await;
    assert!(r.text.contains("class=\"field-error\">Expiry must be in the future"), "{}", r.text);
    assert!(r.text.contains("value=\"Old one\"") && r.text.contains("value=\"2001-01-01\""));
    assert!(r.text.contains("<option value=\"editor\" selected>"), "{}", r.text);
    assert!(!r.text.contains("id=\"new-key\""));

    // Revoke through htmx: the row comes back revoked, the key stops working at once.
    let key_id: String =
        sqlx::query_scalar("SELECT id FROM api_keys WHERE name = 'CI bot'").fetch_one(app.pool()).await.unwrap();
    let token = csrf(&o.client, &url).await;
    let r = o
        .client
        .send(
            reqwest::Method::POST,
            &format!("/o/{}/api-keys/{key_id}/revoke", o.org),
            None,
            &[("hx-request", "true"), ("x-csrf-token", &token), ("content-type", FORM)],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.text.trim_start().starts_with("<tr class=\"key-row\""), "{}", r.text);
    assert!(r.text.contains("data-status=\"revoked\"") && !r.text.contains("key-revoke"));
    assert!(r.text.contains("hx-swap-oob") && r.text.contains("flash-success"));
    assert_eq!(bot.get(&format!("/api/v1/orgs/{}/members", o.org)).await.status, 401);

    // Revoke with a plain form post: back to the page with a message.
    let grader: String =
        sqlx::query_scalar("SELECT id FROM api_keys WHERE name = 'Grader'").fetch_one(app.pool()).await.unwrap();
    let r = submit(&o.client, &url, &format!("/o/{}/api-keys/{grader}/revoke", o.org), &[]).await;
    assert!(r.text.contains("flash flash-success") && r.text.contains("revoked"), "{}", r.text);
    assert_eq!(app.count("SELECT COUNT(*) FROM api_keys WHERE revoked_at IS NULL").await, 0);
    assert_eq!(count(&r.text, "data-status=\"revoked\""), 2);
}

#[tokio::test]
async fn audit_trail_filters_pages_and_exports_csv() {
    let (app, o) = TestApp::init().with_owner("auditor@example.com", "enterprise", 10, 1000).await;
    for (name, limit) in [("Sales, \"West\"", 1), ("=SUM(A1:A2)", 2), ("Plain", 3)] {
        let r = o
            .client
            .post(&format!("/api/v1/orgs/{}/workspaces", o.org), json!({"name": name, "credit_limit": limit}))
            .await;
        assert_eq!(r.status, 201, "{r:?}");
    }
    let _learner = ws_member(&app, &o, "learner@example.com", "learner").await;
    // Enough events for a second page (50 a page).
    for i in 0..55 {
        let r = o.client.patch(&format!("/api/v1/workspaces/{}", o.ws), json!({"credit_limit": i})).await;
        assert_eq!(r.status, 200, "{r:?}");
    }

    let url = format!("/o/{}/audit", o.org);
    let page = o.client.get(&url).await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("id=\"audit-filter\"") && page.text.contains("id=\"audit\""), "{}", page.text);
    assert!(page.text.contains(&format!("id=\"audit-csv\" class=\"button-link\" href=\"/o/{}/audit.csv?\"", o.org)));
    let first = audit_seqs(&page.text);
    assert_eq!(first.len(), 50);
    assert!(first.windows(2).all(|w| w[0] > w[1]), "newest first");
    assert!(page.text.contains("credit_limit: 53 → 54"), "before → after summary");
    let older = between(&page.text, "id=\"audit-older\" href=\"", "\"").unwrap().replace("&amp;", "&");
    let second = o.client.get(&older).await;
    let rest = audit_seqs(&second.text);
    assert!(!rest.is_empty() && rest.iter().all(|s| *s < first[49]), "older page continues: {rest:?}");
    assert!(second.text.contains("id=\"audit-newest\""));
    let total = first.len() + rest.len();
    assert!(second.text.contains("id=\"audit-older\"") == (total > 100));

    // Filters narrow the rows.
    let created = o.client.get(&format!("{url}?action=workspace.created")).await;
    let rows = audit_seqs(&created.text);
    assert_eq!(rows.len(), 4, "the first workspace and three more");
    assert_eq!(count(&created.text, "<code>workspace.created</code>"), 4);
    assert!(created.text.contains("value=\"workspace.created\""), "the filter keeps its value");
    assert!(created.text.contains(&format!("href=\"/o/{}/audit.csv?action=workspace.created\"", o.org)));
    let family = audit_seqs(&o.client.get(&format!("{url}?action=member")).await.text);
    assert!(!family.is_empty() && family.len() < 10, "{family:?}");
    let nobody = o.client.get(&format!("{url}?actor=nobody%40example.com")).await;
    assert!(audit_seqs(&nobody.text).is_empty() && nobody.text.contains("No events match"));
    let today = time::OffsetDateTime::now_utc().date();
    let tomorrow = today.next_day().unwrap();
    let yesterday = today.previous_day().unwrap();
    assert!(audit_seqs(&o.client.get(&format!("{url}?from={tomorrow}")).await.text).is_empty());
    assert!(audit_seqs(&o.client.get(&format!("{url}?to={yesterday}")).await.text).is_empty());
    let window = o.client.get(&format!("{url}?from={today}&to={today}&action=workspace.created")).await;
    assert_eq!(audit_seqs(&window.text).len(), 4);
    let ws_only = o.client.get(&format!("{url}?workspace_id={}&action=workspace.updated", o.ws)).await;
    assert_eq!(audit_seqs(&ws_only.text).len(), 50);
    assert!(ws_only.text.contains("id=\"audit-older\""));
    let bad = o.client.get(&format!("{url}?from=yesterday")).await;
    assert_eq!(bad.status, 200);
    assert!(bad.text.contains("class=\"field-error\">From"), "{}", bad.text);

    // CSV: a header, the filtered rows, quoting, no formulas.
    let csv = o.client.get(&format!("/o/{}/audit.csv?action=workspace.created", o.org)).await;
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    assert!(csv.header("content-disposition").unwrap().starts_with("attachment;"));
    let lines: Vec<&str> = csv.text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert!(lines[0].starts_with("time,actor_type,actor_id,actor_email,action,"), "{}", lines[0]);
    assert_eq!(lines.len(), 5, "{}", csv.text);
    assert!(lines[1..].iter().all(|l| l.contains(",workspace.created,")));
    assert!(csv.text.contains(",\"Sales, \"\"West\"\"\","), "{}", csv.text);
    assert!(csv.text.contains(",'=SUM(A1:A2),"), "{}", csv.text);
    assert!(!csv.text.contains(",=SUM"));
    let all = o.client.get(&format!("/o/{}/audit.csv", o.org)).await;
    assert_eq!(all.text.split("\r\n").filter(|l| l.starts_with("20")).count(), total, "every page is exported");

    // A workspace owner reads that workspace's trail only.
    let ws_owner = ws_member(&app, &o, "wsowner@example.com", "owner").await;
    assert_eq!(ws_owner.get(&url).await.status, 403);
    let theirs = ws_owner.get(&format!("{url}?workspace_id={}", o.ws)).await;
    assert_eq!(theirs.status, 200, "{}", theirs.text);
    assert!(!audit_seqs(&theirs.text).is_empty());
    assert!(theirs.text.contains(&format!("name=\"workspace_id\" value=\"{}\"", o.ws)));
    let csv = ws_owner.get(&format!("/o/{}/audit.csv?workspace_id={}", o.org, o.ws)).await;
    assert_eq!(csv.status, 200);
}

#[tokio::test]
async fn profile_changes_name_username_email_and_password() {
    let (app, c, _) = TestApp::init().with_user("me@example.com").await;
    let url = "/settings/profile";
    let page = c.get(url).await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("id=\"profile-form\"") && page.text.contains("id=\"password-form\""));
    assert!(page.text.contains("value=\"me@example.com\""));

    let r = submit(
        &c,
        url,
        url,
        &[("intent", "profile"), ("name", "Ada L."), ("username", "ada"), ("email", "me@example.com")],
    )
    .await;
    assert!(r.text.contains("flash flash-success") && r.text.contains("Profile saved"), "{}", r.text);
    let me = c.get("/api/v1/me").await;
    assert_eq!((me.json["user"]["name"].as_str(), me.json["user"]["username"].as_str()), (Some("Ada L."), Some("ada")));

    // An email change needs the current password: refused by that field, typed values kept.
    let r = submit(
        &c,
        url,
        url,
        &[("intent", "profile"), ("name", "Ada B."), ("username", "ada"), ("email", "new@example.com")],
    )
    .await;
    assert!(r.text.contains("class=\"field-error\">Current password is required"), "{}", r.text);
    assert!(r.text.contains("value=\"new@example.com\"") && r.text.contains("value=\"Ada B.\""));
    assert_eq!(c.get("/api/v1/me").await.json["user"]["email"], "me@example.com");
    // With it, the email changes.
    let r = submit(
        &c,
        url,
        url,
        &[
            ("intent", "profile"),
            ("name", "Ada L."),
            ("username", "ada"),
            ("email", "new@example.com"),
            ("current_password", PASSWORD),
        ],
    )
    .await;
    assert!(r.text.contains("Profile saved"), "{}", r.text);
    assert_eq!(c.get("/api/v1/me").await.json["user"]["email"], "new@example.com");
    // A bad username: by its field.
    let r = submit(
        &c,
        url,
        url,
        &[("intent", "profile"), ("name", "Ada L."), ("username", "a!"), ("email", "new@example.com")],
    )
    .await;
    assert!(r.text.contains("class=\"field-error\">Username must be"), "{}", r.text);

    // Password: confirmation, current password, then the change.
    let new_password = "a brand new password 42";
    let r = submit(
        &c,
        url,
        url,
        &[
            ("intent", "password"),
            ("current_password", PASSWORD),
            ("password", new_password),
            ("password_confirm", "something else entirely"),
        ],
    )
    .await;
    assert!(r.text.contains("class=\"field-error\">Confirmation does not match"), "{}", r.text);
    assert!(!r.text.contains(new_password), "passwords are never echoed");
    let r = submit(
        &c,
        url,
        url,
        &[
            ("intent", "password"),
            ("current_password", "not my password at all"),
            ("password", new_password),
            ("password_confirm", new_password),
        ],
    )
    .await;
    assert!(r.text.contains("class=\"field-error\">Current password is incorrect"), "{}", r.text);
    let r = submit(
        &c,
        url,
        url,
        &[
            ("intent", "password"),
            ("current_password", PASSWORD),
            ("password", new_password),
            ("password_confirm", new_password),
        ],
    )
    .await;
    assert!(r.text.contains("Password changed"), "{}", r.text);
    assert_eq!(c.get(url).await.status, 200, "this session goes on");
    let fresh = app.client();
    let old = fresh.post("/api/v1/auth/login", json!({"email": "new@example.com", "password": PASSWORD})).await;
    assert_eq!(old.status, 401);
    let new = fresh.post("/api/v1/auth/login", json!({"email": "new@example.com", "password": new_password})).await;
    assert_eq!(new.status, 200, "{new:?}");
}

#[tokio::test]
async fn forms_without_the_csrf_token_change_nothing() {
    let (app, o) = TestApp::init().with_owner("csrf@example.com", "enterprise", 10, 100).await;
    let key = o.client.post(&format!("/api/v1/orgs/{}/api-keys", o.org), json!({"name": "k", "role": "viewer"})).await;
    let key_id = key.json["id"].as_str().unwrap().to_owned();

    let attempts = [
        (format!("/o/{}/workspaces", o.org), vec![("name", "Sneaky"), ("credit_limit", "1")]),
        (format!("/o/{}/workspaces/{}/credit-limit", o.org, o.ws), vec![("credit_limit", "50")]),
        (format!("/o/{}/api-keys", o.org), vec![("name", "Sneaky"), ("role", "owner")]),
        (format!("/o/{}/api-keys/{key_id}/revoke", o.org), vec![]),
        (
            "/settings/profile".to_owned(),
            vec![("intent", "profile"), ("name", "Sneaky"), ("email", "csrf@example.com")],
        ),
    ];
    for (path, pairs) in &attempts {
        let r = post_form(&o.client, path, pairs).await;
        assert_eq!(r.status, 403, "{path}");
        let mut wrong = vec![("csrf", "0000")];
        wrong.extend_from_slice(pairs);
        assert_eq!(post_form(&o.client, path, &wrong).await.status, 403, "{path}");
    }
    assert_eq!(workspace_count(&app, &o.org).await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM workspaces WHERE credit_limit <> 0").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM api_keys").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM api_keys WHERE revoked_at IS NOT NULL").await, 0);
    assert_eq!(o.client.get("/api/v1/me").await.json["user"]["name"], "csrf");
}
