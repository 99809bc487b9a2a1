//! The audit trail (API.md "Audit trail", PRODUCT.md §2 rule 6): every change recorded with who,
//! what, which target, before/after and from where; filters and pages; who may read it; refused
//! changes leave no trace; the per-organisation hash chain, its append-only table, tamper
//! detection, and `lyceum audit verify`.

use serde_json::{json, Value};

use lyceum_test_support::{Client, Owner, TestApp, PASSWORD};

use crate::server_internals::audit_chain::{self as audit, EventRow};

const SEATS: i64 = 100;

fn trail(org: &str) -> String {
    format!("/api/v1/orgs/{org}/audit")
}

/// Signs `email` up and has the owner add them to the organisation with an org role.
async fn org_member(app: &TestApp, o: &Owner, email: &str, role: &str) -> (Client, String) {
    let (c, id) = app.user(email).await;
    let r =
        o.client.post(&format!("/api/v1/orgs/{}/invitations", o.org), json!({"emails": [email], "role": role})).await;
    assert_eq!(r.status, 200, "{r:?}");
    (c, id)
}

/// Signs `email` up and has the owner add them to a workspace with a workspace role.
async fn ws_member(app: &TestApp, o: &Owner, ws: &str, email: &str, role: &str) -> (Client, String) {
    let (c, id) = app.user(email).await;
    let r =
        o.client.post(&format!("/api/v1/workspaces/{ws}/invitations"), json!({"emails": [email], "role": role})).await;
    assert_eq!(r.status, 200, "{r:?}");
    (c, id)
}

/// Every event of the trail as the API pages it (newest first), with `query` appended.
async fn all_events(c: &Client, org: &str, query: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("{}?limit=500{query}", trail(org));
        if let Some(c) = &cursor {
            path += &format!("&cursor={c}");
        }
        let r = c.get(&path).await;
        assert_eq!(r.status, 200, "{path}: {r:?}");
        out.extend(r.items());
        match r.json["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return out,
        }
    }
}

fn actions(events: &[Value]) -> Vec<String> {
    events.iter().map(|e| e["action"].as_str().unwrap().to_owned()).collect()
}

async fn event_count(app: &TestApp, org: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE chain = $1")
        .bind(org)
        .fetch_one(app.pool())
        .await
        .unwrap()
}

async fn verify(app: &TestApp) -> (u64, Vec<audit::Break>) {
    let mut conn = app.pool().acquire().await.unwrap();
    audit::verify(&mut conn).await.unwrap()
}

fn is_postgres(app: &TestApp) -> bool {
    app.database_url().is_some()
}

/// Removes the append-only triggers, as someone with raw database access could.
async fn drop_append_only_triggers(app: &TestApp) {
    let statements: &[&str] = if is_postgres(app) {
        &["DROP TRIGGER audit_events_no_change ON audit_events"]
    } else {
        &["DROP TRIGGER audit_events_no_update", "DROP TRIGGER audit_events_no_delete"]
    };
    for s in statements {
        sqlx::query(s).execute(app.pool()).await.unwrap();
    }
}

/// An organisation with some history: members added, a role changed, a member removed.
async fn org_with_history(app: &TestApp) -> Owner {
    let o = app.owner("olga@example.com", "pro", SEATS, 0).await;
    let (_, leo) = ws_member(app, &o, &o.ws, "leo@example.com", "learner").await;
    let (_, vic) = org_member(app, &o, "vic@example.com", "viewer").await;
    let r = o.client.patch(&format!("/api/v1/workspaces/{}/members/{leo}", o.ws), json!({"role": "reviewer"})).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(o.client.delete(&format!("/api/v1/orgs/{}/members/{vic}", o.org)).await.status, 204);
    o
}

async fn lyceum_cli(app: &TestApp, args: &[&str]) -> std::process::Output {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_lyceum"));
    cmd.args(args).env_remove("LYCEUM_DATABASE_URL").env_remove("LYCEUM_DATA_DIR");
    match app.database_url() {
        Some(url) => cmd.arg("--database-url").arg(url),
        None => cmd.arg("--data-dir").arg(&app.data_dir),
    };
    cmd.output().await.unwrap()
}

// ---------------------------------------------------------------------------------------------
// What is recorded

#[tokio::test]
async fn creating_an_org_records_who_what_which_target_the_new_state_and_from_where() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let ua = [("user-agent", "audit-test/1.0"), ("x-forwarded-for", "203.0.113.9")];
    let r = c
        .send(
            reqwest::Method::POST,
            "/api/v1/auth/signup",
            Some(json!({"email": "olga@example.com", "password": PASSWORD, "name": "Olga"})),
            &ua,
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let user = r.json["user"]["id"].as_str().unwrap().to_owned();
    let body = json!({"name": "Acme", "plan": "pro", "seats": 12, "credit_pool": 7});
    let r = c.send(reqwest::Method::POST, "/api/v1/orgs", Some(body), &ua).await;
    assert_eq!(r.status, 201, "{r:?}");
    let org = r.json["id"].as_str().unwrap().to_owned();
    let ws = r.json["workspaces"][0]["id"].as_str().unwrap().to_owned();

    let r = c.get(&trail(&org)).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json["next_cursor"], Value::Null);
    let items = r.items();
    assert_eq!(actions(&items), ["workspace.created", "org.created"], "newest first");
    let created = &items[1];
    assert_eq!(created["actor"], json!({"type": "user", "id": user, "email": "olga@example.com"}));
    assert_eq!(created["target"], json!({"type": "organization", "id": org}));
    assert_eq!(created["after"], json!({"name": "Acme", "plan": "pro", "seats": 12, "credit_pool": 7}));
    assert!(created.get("before").is_none() || created["before"].is_null(), "{created}");
    assert!(created.get("workspace_id").is_none() || created["workspace_id"].is_null(), "{created}");
    // The socket's address: X-Forwarded-For is not trusted unless configured.
    assert_eq!(created["ip"], "127.0.0.1");
    assert_eq!(created["user_agent"], "audit-test/1.0");
    assert_eq!(created["seq"], 1);
    assert!(created["id"].is_string() && created["hash"].as_str().unwrap().len() == 64, "{created}");
    let at = created["at"].as_str().unwrap();
    assert!(
        at.ends_with('Z') && time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).is_ok(),
        "{at}"
    );

    let ws_event = &items[0];
    assert_eq!(ws_event["target"], json!({"type": "workspace", "id": ws}));
    assert_eq!(ws_event["workspace_id"], ws.as_str());
    assert_eq!(ws_event["after"], json!({"name": "Acme", "credit_limit": 0}));
}

#[tokio::test]
async fn workspace_creation_and_changes_are_recorded_with_before_and_after() {
    let (_app, o) = TestApp::init().with_owner("olga@example.com", "enterprise", SEATS, 100).await;
    let r = o
        .client
        .post(&format!("/api/v1/orgs/{}/workspaces", o.org), json!({"name": "Second", "credit_limit": 10}))
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let ws2 = r.json["id"].as_str().unwrap().to_owned();
    let r = o.client.patch(&format!("/api/v1/workspaces/{ws2}"), json!({"name": "Renamed", "credit_limit": 25})).await;
    assert_eq!(r.status, 200, "{r:?}");

    let events = all_events(&o.client, &o.org, "&action=workspace").await;
    assert_eq!(actions(&events), ["workspace.updated", "workspace.created", "workspace.created"]);
    let updated = &events[0];
    assert_eq!(updated["target"], json!({"type": "workspace", "id": ws2}));
    assert_eq!(updated["workspace_id"], ws2.as_str());
    assert_eq!(updated["before"], json!({"name": "Second", "credit_limit": 10}));
    assert_eq!(updated["after"], json!({"name": "Renamed", "credit_limit": 25}));
    assert_eq!(updated["actor"]["id"], o.user_id.as_str());
    assert_eq!(events[1]["after"], json!({"name": "Second", "credit_limit": 10}));
}

#[tokio::test]
async fn member_additions_role_changes_and_removals_are_recorded() {
    let (app, o) = TestApp::init().with_owner("olga@example.com", "pro", SEATS, 0).await;
    let (_, leo) = ws_member(&app, &o, &o.ws, "leo@example.com", "learner").await;
    let r = o.client.patch(&format!("/api/v1/workspaces/{}/members/{leo}", o.ws), json!({"role": "trainer"})).await;
    assert_eq!(r.status, 200);
    let r = o.client.patch(&format!("/api/v1/orgs/{}/members/{leo}", o.org), json!({"role": "editor"})).await;
    assert_eq!(r.status, 200);
    assert_eq!(o.client.delete(&format!("/api/v1/orgs/{}/members/{leo}", o.org)).await.status, 204);

    let events = all_events(&o.client, &o.org, "&action=member").await;
    assert_eq!(actions(&events), ["member.removed", "member.role_changed", "member.role_changed", "member.added"]);
    for e in &events {
        assert_eq!(e["target"], json!({"type": "user", "id": leo}), "{e}");
        assert_eq!(e["actor"], json!({"type": "user", "id": o.user_id, "email": "olga@example.com"}), "{e}");
    }
    let (removed, org_change, ws_change, added) = (&events[0], &events[1], &events[2], &events[3]);
    assert_eq!(added["after"], json!({"email": "leo@example.com", "role": "learner", "status": "pending"}));
    assert_eq!(added["workspace_id"], o.ws.as_str());
    assert_eq!((&ws_change["before"], &ws_change["after"]), (&json!({"role": "learner"}), &json!({"role": "trainer"})));
    assert_eq!(ws_change["workspace_id"], o.ws.as_str());
    assert_eq!((&org_change["before"], &org_change["after"]), (&json!({"role": "guest"}), &json!({"role": "editor"})));
    assert!(org_change.get("workspace_id").is_none() || org_change["workspace_id"].is_null());
    assert_eq!(removed["before"]["email"], "leo@example.com");
    assert_eq!(removed["before"]["role"], "editor");
    assert_eq!(removed["before"]["workspaces"], json!([[o.ws, "trainer"]]));
    assert!(removed.get("after").is_none() || removed["after"].is_null());
}

#[tokio::test]
async fn invitations_are_recorded_when_sent_resent_revoked_and_accepted() {
    let (app, o) = TestApp::init().with_owner("olga@example.com", "pro", SEATS, 0).await;
    let r = o
        .client
        .post(
            &format!("/api/v1/workspaces/{}/invitations", o.ws),
            json!({"emails": "ann@example.com, bob@example.com", "role": "trainer"}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let ann = r.json["results"][0]["invitation_id"].as_str().unwrap().to_owned();
    let bob = r.json["results"][1]["invitation_id"].as_str().unwrap().to_owned();
    assert_eq!(o.client.post(&format!("/api/v1/invitations/{ann}/resend"), json!({})).await.status, 200);
    assert_eq!(o.client.delete(&format!("/api/v1/invitations/{ann}")).await.status, 204);
    let token = app.invitation_token("bob@example.com").await.expect("an invitation link");
    let c = app.client();
    let r = c
        .post(
            "/api/v1/auth/signup",
            json!({"email": "bob@example.com", "password": PASSWORD, "name": "Bob", "invitation_token": token}),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let bob_user = r.json["user"]["id"].as_str().unwrap().to_owned();

    let events = all_events(&o.client, &o.org, "&action=invitation").await;
    assert_eq!(
        actions(&events),
        ["invitation.accepted", "invitation.revoked", "invitation.resent", "invitation.sent", "invitation.sent"]
    );
    let (accepted, revoked, resent) = (&events[0], &events[1], &events[2]);
    assert_eq!(accepted["target"], json!({"type": "invitation", "id": bob}));
    assert_eq!(accepted["actor"], json!({"type": "user", "id": bob_user, "email": "bob@example.com"}));
    assert_eq!(accepted["after"]["status"], "accepted");
    assert_eq!(accepted["after"]["workspace_role"], "trainer");
    assert_eq!(revoked["target"]["id"], ann.as_str());
    assert_eq!(revoked["after"], json!({"status": "revoked"}));
    assert_eq!(revoked["before"]["email"], "ann@example.com");
    assert_eq!(resent["target"]["id"], ann.as_str());
    for sent in &events[3..] {
        assert_eq!(sent["workspace_id"], o.ws.as_str());
        assert_eq!(sent["after"]["workspace_role"], "trainer");
        assert_eq!(sent["after"]["org_role"], "guest");
    }
    let mut sent_to: Vec<&str> = events[3..].iter().map(|e| e["after"]["email"].as_str().unwrap()).collect();
    sent_to.sort_unstable();
    assert_eq!(sent_to, ["ann@example.com", "bob@example.com"]);
    // The trail never holds a token.
    assert!(!serde_json::to_string(&events).unwrap().contains(&token));
}

#[tokio::test]
async fn api_keys_are_recorded_without_their_secret_and_a_key_is_the_actor_of_what_it_does() {
    let (app, o) = TestApp::init().with_owner("olga@example.com", "pro", SEATS, 0).await;
    let (_, vic) = org_member(&app, &o, "vic@example.com", "viewer").await;
    let r = o.client.post(&format!("/api/v1/orgs/{}/api-keys", o.org), json!({"name": "ops", "role": "owner"})).await;
    assert_eq!(r.status, 201, "{r:?}");
    let (key_id, secret, prefix) = (
        r.json["id"].as_str().unwrap().to_owned(),
        r.json["key"].as_str().unwrap().to_owned(),
        r.json["prefix"].as_str().unwrap().to_owned(),
    );
    let key = app.key_client(&secret);
    assert_eq!(
        key.patch(&format!("/api/v1/orgs/{}/members/{vic}", o.org), json!({"role": "editor"})).await.status,
        200
    );
    assert_eq!(o.client.delete(&format!("/api/v1/orgs/{}/api-keys/{key_id}", o.org)).await.status, 204);

    let events = all_events(&o.client, &o.org, "").await;
    assert_eq!(&actions(&events)[..3], ["api_key.revoked", "member.role_changed", "api_key.created"]);
    let (revoked, changed, created) = (&events[0], &events[1], &events[2]);
    assert_eq!(created["target"], json!({"type": "api_key", "id": key_id}));
    assert_eq!(created["after"]["name"], "ops");
    assert_eq!(created["after"]["role"], "owner");
    assert_eq!(created["after"]["prefix"], prefix.as_str());
    assert_eq!(changed["actor"], json!({"type": "api_key", "id": key_id}), "a key has no email");
    assert_eq!(changed["target"]["id"], vic.as_str());
    assert_eq!(revoked["target"], json!({"type": "api_key", "id": key_id}));
    assert_eq!(revoked["actor"]["id"], o.user_id.as_str());
    assert!(!serde_json::to_string(&events).unwrap().contains(&secret), "the secret is never recorded");
    let raw: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE before_state LIKE $1 OR after_state LIKE $1")
            .bind(format!("%{secret}%"))
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert_eq!(raw, 0);
}

// ---------------------------------------------------------------------------------------------
// Reading: filters and pages

#[tokio::test]
async fn the_trail_filters_by_actor_action_family_workspace_and_time() {
    let (app, o) = TestApp::init().with_owner("olga@example.com", "enterprise", SEATS, 0).await;
    let r = o
        .client
        .post(&format!("/api/v1/orgs/{}/workspaces", o.org), json!({"name": "Second", "credit_limit": 0}))
        .await;
    let ws2 = r.json["id"].as_str().unwrap().to_owned();
    let (wendy, wendy_id) = ws_member(&app, &o, &ws2, "wendy@example.com", "owner").await;
    let (_, leo) = ws_member(&app, &o, &ws2, "leo@example.com", "learner").await;
    assert_eq!(
        wendy.patch(&format!("/api/v1/workspaces/{ws2}/members/{leo}"), json!({"role": "viewer"})).await.status,
        200
    );
    let all = all_events(&o.client, &o.org, "").await;
    assert_eq!(all.len() as i64, event_count(&app, &o.org).await);

    // actor: by id or by email.
    let by_wendy = all_events(&o.client, &o.org, &format!("&actor={wendy_id}")).await;
    assert_eq!(actions(&by_wendy), ["member.role_changed"]);
    assert_eq!(actions(&all_events(&o.client, &o.org, "&actor=wendy@example.com").await), ["member.role_changed"]);
    let by_olga = all_events(&o.client, &o.org, &format!("&actor={}", o.user_id)).await;
    assert_eq!(by_olga.len(), all.len() - 1);
    assert!(all_events(&o.client, &o.org, "&actor=nobody").await.is_empty());

    // action: exact, or a family.
    assert_eq!(actions(&all_events(&o.client, &o.org, "&action=member.added").await), ["member.added", "member.added"]);
    assert_eq!(
        actions(&all_events(&o.client, &o.org, "&action=member").await),
        ["member.role_changed", "member.added", "member.added"]
    );
    assert_eq!(actions(&all_events(&o.client, &o.org, "&action=org").await), ["org.created"]);
    assert!(all_events(&o.client, &o.org, "&action=memb").await.is_empty(), "a family is a whole segment");

    // workspace_id.
    let in_ws2 = all_events(&o.client, &o.org, &format!("&workspace_id={ws2}")).await;
    assert_eq!(actions(&in_ws2), ["member.role_changed", "member.added", "member.added", "workspace.created"]);
    assert!(in_ws2.iter().all(|e| e["workspace_id"] == ws2.as_str()));
    let in_ws1 = all_events(&o.client, &o.org, &format!("&workspace_id={}", o.ws)).await;
    assert_eq!(actions(&in_ws1), ["workspace.created"]);
    // Combined.
    assert_eq!(
        all_events(&o.client, &o.org, &format!("&workspace_id={ws2}&action=member&actor={}", o.user_id)).await.len(),
        2
    );

    // from / to, inclusive, RFC 3339 with any offset.
    let newest_at = all[0]["at"].as_str().unwrap().to_owned();
    let oldest_at = all.last().unwrap()["at"].as_str().unwrap().to_owned();
    let enc = |s: &str| s.replace('+', "%2B");
    let from_newest = all_events(&o.client, &o.org, &format!("&from={}", enc(&newest_at))).await;
    assert!(!from_newest.is_empty() && from_newest.iter().all(|e| e["at"] == newest_at.as_str()));
    let to_oldest = all_events(&o.client, &o.org, &format!("&to={}", enc(&oldest_at))).await;
    assert!(!to_oldest.is_empty() && to_oldest.iter().all(|e| e["at"] == oldest_at.as_str()));
    assert_eq!(
        all_events(&o.client, &o.org, &format!("&from={}&to={}", enc(&oldest_at), enc(&newest_at))).await.len(),
        all.len()
    );
    assert!(all_events(&o.client, &o.org, "&from=2999-01-01T00:00:00Z").await.is_empty());
    assert!(all_events(&o.client, &o.org, "&to=2000-01-01T00:00:00%2B02:00").await.is_empty());
    assert_eq!(all_events(&o.client, &o.org, "&from=2000-01-01T00:00:00%2B02:00").await.len(), all.len());
}

#[tokio::test]
async fn an_action_filter_treats_wildcard_characters_literally() {
    let app = TestApp::spawn().await;
    let o = org_with_history(&app).await;
    for q in ["%25", "m_mber", "member%25", "_", "%25.%25", "member.%25"] {
        let r = o.client.get(&format!("{}?action={q}", trail(&o.org))).await;
        assert_eq!(r.status, 200, "{r:?}");
        assert_eq!(r.items(), Vec::<Value>::new(), "action={q} matches no event");
    }
}

#[tokio::test]
async fn malformed_times_and_cursors_are_validation_errors() {
    let (_app, o) = TestApp::init().with_owner("olga@example.com", "pro", SEATS, 0).await;
    for (query, field) in [
        ("from=yesterday", "from"),
        ("to=2026-13-01T00:00:00Z", "to"),
        ("from=2026-01-01", "from"),
        ("to=1700000000", "to"),
        ("cursor=%21%21", "cursor"),
        ("cursor=YWJj", "cursor"),
    ] {
        let r = o.client.get(&format!("{}?{query}", trail(&o.org))).await;
        r.assert_problem(422, "validation");
        assert_eq!(r.json["errors"][0]["field"], field, "{query}: {r:?}");
    }
}

#[tokio::test]
async fn pages_walk_the_trail_newest_first_without_gaps_or_repeats() {
    let app = TestApp::spawn().await;
    let o = org_with_history(&app).await;
    let total = event_count(&app, &o.org).await;
    assert!(total >= 6, "{total}");
    let mut seqs = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("{}?limit=2&cursor={c}", trail(&o.org)),
            None => format!("{}?limit=2", trail(&o.org)),
        };
        let r = o.client.get(&path).await;
        assert_eq!(r.status, 200, "{r:?}");
        assert!(r.items().len() <= 2);
        seqs.extend(r.items().iter().map(|e| e["seq"].as_i64().unwrap()));
        pages += 1;
        assert!(pages < 50);
        match r.json["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let expected: Vec<i64> = (1..=total).rev().collect();
    assert_eq!(seqs, expected, "every event once, newest first");
    // A page size of 0 still answers one event.
    let r = o.client.get(&format!("{}?limit=0", trail(&o.org))).await;
    assert_eq!((r.status, r.items().len()), (200, 1));
}

// ---------------------------------------------------------------------------------------------
// Who may read

#[tokio::test]
async fn only_org_owners_read_the_org_trail_and_workspace_owners_read_their_own_workspace() {
    let (app, o) = TestApp::init().with_owner("olga@example.com", "enterprise", SEATS, 0).await;
    let r = o
        .client
        .post(&format!("/api/v1/orgs/{}/workspaces", o.org), json!({"name": "Second", "credit_limit": 0}))
        .await;
    let ws2 = r.json["id"].as_str().unwrap().to_owned();
    let (viewer, _) = org_member(&app, &o, "vic@example.com", "viewer").await;
    let (editor, _) = org_member(&app, &o, "ed@example.com", "editor").await;
    let (wso, _) = ws_member(&app, &o, &o.ws, "wendy@example.com", "owner").await;
    let (trainer, _) = ws_member(&app, &o, &o.ws, "tom@example.com", "trainer").await;

    assert!(!all_events(&o.client, &o.org, "").await.is_empty());
    for c in [&viewer, &editor, &wso, &trainer] {
        c.get(&trail(&o.org)).await.assert_problem(403, "forbidden");
    }
    // A workspace owner reads the trail of their workspace, and nothing else.
    let mine = all_events(&wso, &o.org, &format!("&workspace_id={}", o.ws)).await;
    assert!(!mine.is_empty());
    assert!(mine.iter().all(|e| e["workspace_id"] == o.ws.as_str()), "{mine:?}");
    assert_eq!(mine.len(), all_events(&o.client, &o.org, &format!("&workspace_id={}", o.ws)).await.len());
    // Not a workspace they cannot see (404), nor one where they are not an owner (403).
    wso.get(&format!("{}?workspace_id={ws2}", trail(&o.org))).await.assert_problem(404, "not_found");
    trainer.get(&format!("{}?workspace_id={}", trail(&o.org), o.ws)).await.assert_problem(403, "forbidden");
    viewer.get(&format!("{}?workspace_id={}", trail(&o.org), o.ws)).await.assert_problem(403, "forbidden");
}

#[tokio::test]
async fn the_trail_of_another_organisation_is_not_found_and_anonymous_callers_are_unauthenticated() {
    let (app, o) = TestApp::init().with_owner("olga@example.com", "pro", SEATS, 0).await;
    let other = app.owner("otto@example.com", "pro", SEATS, 0).await;
    other.client.get(&trail(&o.org)).await.assert_problem(404, "not_found");
    other.client.get(&format!("{}?workspace_id={}", trail(&o.org), o.ws)).await.assert_problem(404, "not_found");
    // Their own workspace through another organisation's path, and another's through their own.
    other.client.get(&format!("{}?workspace_id={}", trail(&o.org), other.ws)).await.assert_problem(404, "not_found");
    o.client.get(&format!("{}?workspace_id={}", trail(&o.org), other.ws)).await.assert_problem(404, "not_found");
    o.client.get(&trail("00000000-0000-0000-0000-000000000000")).await.assert_problem(404, "not_found");
    app.client().get(&trail(&o.org)).await.assert_problem(401, "unauthenticated");
    // Each sees only their own chain.
    let mine = all_events(&o.client, &o.org, "").await;
    assert!(mine.iter().all(|e| e["actor"]["id"] == o.user_id.as_str()));
    assert!(!serde_json::to_string(&mine).unwrap().contains(&other.org));
}

// ---------------------------------------------------------------------------------------------
// Refusals leave no trace

#[tokio::test]
async fn a_refused_change_writes_no_audit_event() {
    let (app, o) = TestApp::init().with_owner("olga@example.com", "pro", 3, 0).await;
    let (trainer, _) = ws_member(&app, &o, &o.ws, "tom@example.com", "trainer").await;
    let (_, leo) = ws_member(&app, &o, &o.ws, "leo@example.com", "learner").await;
    let r = o.client.post(&format!("/api/v1/orgs/{}/api-keys", o.org), json!({"name": "ops", "role": "owner"})).await;
    let key = app.key_client(r.json["key"].as_str().unwrap());
    let before = event_count(&app, &o.org).await;
    let heads_before: i64 = sqlx::query_scalar("SELECT seq FROM audit_heads WHERE chain = $1")
        .bind(&o.org)
        .fetch_one(app.pool())
        .await
        .unwrap();

    key.patch(&format!("/api/v1/orgs/{}/members/{}", o.org, o.user_id), json!({"role": "viewer"}))
        .await
        .assert_problem(409, "last_owner");
    key.delete(&format!("/api/v1/orgs/{}/members/{}", o.org, o.user_id)).await.assert_problem(409, "last_owner");
    o.client
        .delete(&format!("/api/v1/orgs/{}/members/{}", o.org, o.user_id))
        .await
        .assert_problem(409, "cannot_remove_self");
    trainer
        .patch(&format!("/api/v1/workspaces/{}/members/{leo}", o.ws), json!({"role": "viewer"}))
        .await
        .assert_problem(403, "forbidden");
    o.client
        .patch(&format!("/api/v1/workspaces/{}/members/{leo}", o.ws), json!({"role": "boss"}))
        .await
        .assert_problem(422, "validation");
    o.client
        .post(&format!("/api/v1/workspaces/{}/members/remove", o.ws), json!({"user_ids": [leo, o.user_id]}))
        .await
        .assert_problem(409, "cannot_remove_self");
    o.client
        .post(
            &format!("/api/v1/orgs/{}/invitations", o.org),
            json!({"emails": ["x@example.com", "y@example.com"], "role": "viewer"}),
        )
        .await
        .assert_problem(409, "seat_limit");

    assert_eq!(event_count(&app, &o.org).await, before);
    let heads_after: i64 = sqlx::query_scalar("SELECT seq FROM audit_heads WHERE chain = $1")
        .bind(&o.org)
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(heads_after, heads_before, "no sequence number was spent");
    assert_eq!(verify(&app).await.1, vec![]);
}

// ---------------------------------------------------------------------------------------------
// The hash chain

#[tokio::test]
async fn the_hash_chain_verifies_after_a_series_of_changes() {
    let app = TestApp::spawn().await;
    let o = org_with_history(&app).await;
    let other = org_with_history_of(&app, "otto@example.com").await;
    let (checked, breaks) = verify(&app).await;
    assert_eq!(breaks, vec![]);
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_events").fetch_one(app.pool()).await.unwrap();
    assert_eq!(checked as i64, total, "every event of every chain was checked");
    // Each organisation's events link to one another in order, as the API shows them.
    for org in [&o.org, &other.org] {
        let rows: Vec<(i64, String, String)> =
            sqlx::query_as("SELECT seq, prev_hash, hash FROM audit_events WHERE chain = $1 ORDER BY seq")
                .bind(org)
                .fetch_all(app.pool())
                .await
                .unwrap();
        assert_eq!(rows[0].1, audit::GENESIS);
        for w in rows.windows(2) {
            assert_eq!(w[1].0, w[0].0 + 1);
            assert_eq!(w[1].1, w[0].2, "each event names the hash of the one before");
        }
        let owner = if org == &o.org { &o.client } else { &other.client };
        let api = all_events(owner, org, "").await;
        assert_eq!(api.len(), rows.len());
        assert_eq!(api[0]["hash"], rows.last().unwrap().2.as_str(), "the API shows each event's link");
        let head: String = sqlx::query_scalar("SELECT hash FROM audit_heads WHERE chain = $1")
            .bind(org)
            .fetch_one(app.pool())
            .await
            .unwrap();
        assert_eq!(head, rows.last().unwrap().2);
    }
}

async fn org_with_history_of(app: &TestApp, email: &str) -> Owner {
    let o = app.owner(email, "pro", SEATS, 0).await;
    let local = email.split('@').next().unwrap();
    let (_, a) = ws_member(app, &o, &o.ws, &format!("{local}-a@example.com"), "viewer").await;
    assert_eq!(
        o.client.patch(&format!("/api/v1/workspaces/{}/members/{a}", o.ws), json!({"role": "editor"})).await.status,
        200
    );
    o
}

#[tokio::test]
async fn the_database_refuses_to_update_or_delete_audit_events() {
    let app = TestApp::spawn().await;
    let o = org_with_history(&app).await;
    let update = sqlx::query("UPDATE audit_events SET after_state = '{}' WHERE chain = $1 AND seq = 1")
        .bind(&o.org)
        .execute(app.pool())
        .await;
    assert!(update.is_err(), "an UPDATE must fail: {update:?}");
    assert!(format!("{:?}", update.unwrap_err()).contains("append-only"));
    let delete = sqlx::query("DELETE FROM audit_events WHERE chain = $1").bind(&o.org).execute(app.pool()).await;
    assert!(delete.is_err(), "a DELETE must fail: {delete:?}");
    let n = event_count(&app, &o.org).await;
    assert!(n >= 6);
    assert_eq!(verify(&app).await.1, vec![]);
}

#[tokio::test]
async fn an_edited_event_is_reported_as_a_break_at_its_seq() {
    let app = TestApp::spawn().await;
    let o = org_with_history(&app).await;
    let target: i64 =
        sqlx::query_scalar("SELECT seq FROM audit_events WHERE chain = $1 AND action = 'member.role_changed'")
            .bind(&o.org)
            .fetch_one(app.pool())
            .await
            .unwrap();
    drop_append_only_triggers(&app).await;
    sqlx::query("UPDATE audit_events SET after_state = $1 WHERE chain = $2 AND seq = $3")
        .bind(r#"{"role":"owner"}"#)
        .bind(&o.org)
        .bind(target)
        .execute(app.pool())
        .await
        .unwrap();
    let (_, breaks) = verify(&app).await;
    assert_eq!(breaks.len(), 1, "{breaks:?}");
    assert_eq!((breaks[0].chain.as_str(), breaks[0].seq), (o.org.as_str(), target));
    assert!(breaks[0].reason.contains("content"), "{breaks:?}");
}

#[tokio::test]
async fn a_rehashed_edit_breaks_the_link_to_the_next_event_and_a_deleted_event_leaves_a_gap() {
    let app = TestApp::spawn().await;
    let o = org_with_history(&app).await;
    let other = org_with_history_of(&app, "otto@example.com").await;
    drop_append_only_triggers(&app).await;

    // Someone edits event 3 of the first chain and recomputes its hash: its own hash checks out,
    // but event 4 still names the old one.
    let cols = "id, chain, seq, org_id, workspace_id, at, actor_type, actor_id, actor_email, action, target_type, \
                target_id, before_state, after_state, ip, user_agent, prev_hash, hash";
    let mut ev: EventRow = sqlx::query_as(&format!("SELECT {cols} FROM audit_events WHERE chain = $1 AND seq = 3"))
        .bind(&o.org)
        .fetch_one(app.pool())
        .await
        .unwrap();
    ev.actor_email = Some("someone-else@example.com".into());
    ev.hash = ev.compute_hash();
    sqlx::query("UPDATE audit_events SET actor_email = $1, hash = $2 WHERE chain = $3 AND seq = 3")
        .bind(&ev.actor_email)
        .bind(&ev.hash)
        .bind(&o.org)
        .execute(app.pool())
        .await
        .unwrap();
    // And deletes event 2 of the other chain.
    sqlx::query("DELETE FROM audit_events WHERE chain = $1 AND seq = 2")
        .bind(&other.org)
        .execute(app.pool())
        .await
        .unwrap();

    let (_, breaks) = verify(&app).await;
    let at: Vec<(&str, i64)> = breaks.iter().map(|b| (b.chain.as_str(), b.seq)).collect();
    assert!(at.contains(&(o.org.as_str(), 4)), "{breaks:?}");
    assert!(at.contains(&(other.org.as_str(), 3)), "{breaks:?}");
    assert!(!at.contains(&(o.org.as_str(), 3)), "the rehashed event itself checks out: {breaks:?}");
    assert!(!at.iter().any(|(c, _)| c.is_empty()), "the instance chain is intact: {breaks:?}");
}

#[tokio::test]
async fn lyceum_audit_verify_reports_an_intact_trail_and_fails_on_a_broken_one() {
    let app = TestApp::spawn().await;
    let o = org_with_history(&app).await;
    let out = lyceum_cli(&app, &["audit", "verify"]).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "exit {:?}\n{stdout}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("intact"), "{stdout}");
    assert!(!stdout.contains("BROKEN"), "{stdout}");

    drop_append_only_triggers(&app).await;
    sqlx::query("UPDATE audit_events SET ip = '198.51.100.7' WHERE chain = $1 AND seq = 2")
        .bind(&o.org)
        .execute(app.pool())
        .await
        .unwrap();
    let out = lyceum_cli(&app, &["audit", "verify"]).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "a broken trail must fail the command\n{stdout}");
    assert!(stdout.contains("BROKEN"), "{stdout}");
    assert!(stdout.contains(&o.org) && stdout.contains("seq 2"), "names the chain and the event: {stdout}");
}

#[tokio::test]
async fn the_actor_and_action_filters_ignore_case() {
    let (_app, o) = TestApp::init().with_owner("olga@example.com", "enterprise", 10, 100).await;
    o.client
        .post(&format!("/api/v1/orgs/{}/workspaces", o.org), serde_json::json!({"name": "Two", "credit_limit": 1}))
        .await;
    let by_email = o.client.get(&format!("/api/v1/orgs/{}/audit?actor=OLGA@Example.com&action=WORKSPACE", o.org)).await;
    assert_eq!(by_email.status, 200, "{by_email:?}");
    let actions: Vec<&str> =
        by_email.json["items"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(actions, ["workspace.created", "workspace.created"]);
}
