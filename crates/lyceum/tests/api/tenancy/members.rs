//! Member management (PRODUCT.md §2 rules 1, 2, 3 and 5; §3 "Change a role", "Remove members"):
//! listing with search, filters and pages; who may list; changing roles; removing one or many.

use std::collections::HashSet;

use serde_json::{json, Value};

use lyceum_test_support::{Client, Owner, TestApp};

const SEATS: i64 = 100;

/// Signs `email` up and has the owner add them to the organisation with an org role.
async fn org_member(app: &TestApp, o: &Owner, email: &str, role: &str) -> (Client, String) {
    let (c, id) = app.user(email).await;
    let r =
        o.client.post(&format!("/api/v1/orgs/{}/invitations", o.org), json!({"emails": [email], "role": role})).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json["results"][0]["outcome"], "pending", "{r:?}");
    (c, id)
}

/// Signs `email` up and has the owner add them to a workspace with a workspace role (org Guest).
async fn ws_member(app: &TestApp, o: &Owner, ws: &str, email: &str, role: &str) -> (Client, String) {
    let (c, id) = app.user(email).await;
    add_to_ws(o, ws, email, role).await;
    (c, id)
}

/// Has the owner add an existing account to a workspace.
async fn add_to_ws(o: &Owner, ws: &str, email: &str, role: &str) {
    let r =
        o.client.post(&format!("/api/v1/workspaces/{ws}/invitations"), json!({"emails": [email], "role": role})).await;
    assert_eq!(r.status, 200, "{r:?}");
    let outcome = r.json["results"][0]["outcome"].as_str().unwrap_or("");
    assert!(outcome == "pending" || outcome == "added", "{r:?}");
}

/// An API key with the organisation owner role (it acts for no person, so it may touch any owner).
async fn owner_key(app: &TestApp, o: &Owner) -> Client {
    let r = o.client.post(&format!("/api/v1/orgs/{}/api-keys", o.org), json!({"name": "ops", "role": "owner"})).await;
    assert_eq!(r.status, 201, "{r:?}");
    app.key_client(r.json["key"].as_str().unwrap())
}

async fn org_role(app: &TestApp, org: &str, user: &str) -> Option<String> {
    sqlx::query_scalar("SELECT role FROM org_members WHERE org_id = $1 AND user_id = $2")
        .bind(org)
        .bind(user)
        .fetch_optional(app.pool())
        .await
        .unwrap()
}

async fn ws_role(app: &TestApp, ws: &str, user: &str) -> Option<String> {
    sqlx::query_scalar("SELECT role FROM workspace_members WHERE workspace_id = $1 AND user_id = $2")
        .bind(ws)
        .bind(user)
        .fetch_optional(app.pool())
        .await
        .unwrap()
}

async fn count_where(app: &TestApp, sql: &str, bind: &str) -> i64 {
    sqlx::query_scalar(sql).bind(bind).fetch_one(app.pool()).await.unwrap()
}

/// The emails of a list answer, in order.
fn emails(items: &[Value]) -> Vec<String> {
    items.iter().map(|m| m["email"].as_str().unwrap().to_owned()).collect()
}

async fn list_emails(c: &Client, path: &str) -> Vec<String> {
    let r = c.get(path).await;
    assert_eq!(r.status, 200, "{path}: {r:?}");
    emails(&r.items())
}

// ---------------------------------------------------------------------------------------------
// Listing

#[tokio::test]
async fn member_lists_show_each_member_with_exactly_id_email_name_role_and_status() {
    let (app, o) = TestApp::init().with_owner("olga@example.com", "pro", SEATS, 0).await;
    let (_, viewer) = org_member(&app, &o, "vera@example.com", "viewer").await;
    let (_, learner) = ws_member(&app, &o, &o.ws, "leo@example.com", "learner").await;

    let r = o.client.get(&format!("/api/v1/orgs/{}/members", o.org)).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json["next_cursor"], Value::Null);
    let items = r.items();
    assert_eq!(emails(&items), ["leo@example.com", "olga@example.com", "vera@example.com"]);
    for m in &items {
        let mut keys: Vec<&str> = m.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["email", "name", "role", "status", "user_id"], "{m}");
    }
    assert_eq!(
        items[0],
        json!({"user_id": learner, "email": "leo@example.com", "name": "leo", "role": "guest", "status": "pending"})
    );
    assert_eq!(
        items[1],
        json!({"user_id": o.user_id, "email": "olga@example.com", "name": "olga", "role": "owner", "status": "accepted"})
    );
    assert_eq!(
        items[2],
        json!({"user_id": viewer, "email": "vera@example.com", "name": "vera", "role": "viewer", "status": "pending"})
    );

    let r = o.client.get(&format!("/api/v1/workspaces/{}/members", o.ws)).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        r.items(),
        [
            json!({"user_id": learner, "email": "leo@example.com", "name": "leo", "role": "learner", "status": "pending"}),
            json!({"user_id": o.user_id, "email": "olga@example.com", "name": "olga", "role": "owner", "status": "accepted"}),
        ]
    );
}

#[tokio::test]
async fn search_matches_a_substring_of_name_or_email_case_insensitively_with_literal_wildcards() {
    let (app, o) = TestApp::init().with_owner("olga@example.com", "pro", SEATS, 0).await;
    org_member(&app, &o, "max@example.com", "viewer").await;
    org_member(&app, &o, "a_b@example.com", "viewer").await;
    let (nina, _) = org_member(&app, &o, "nina@example.com", "viewer").await;
    let (zed, _) = ws_member(&app, &o, &o.ws, "zed@example.com", "learner").await;
    assert_eq!(nina.patch("/api/v1/me", json!({"name": "Nina 100% Sure"})).await.status, 200);
    assert_eq!(zed.patch("/api/v1/me", json!({"name": "Zorro Smith"})).await.status, 200);

    let org = format!("/api/v1/orgs/{}/members", o.org);
    let ws = format!("/api/v1/workspaces/{}/members", o.ws);
    assert_eq!(list_emails(&o.client, &format!("{org}?q=MAX")).await, ["max@example.com"]);
    // By name only: the email does not contain it.
    assert_eq!(list_emails(&o.client, &format!("{org}?q=sMiTh")).await, ["zed@example.com"]);
    assert_eq!(list_emails(&o.client, &format!("{ws}?q=smith")).await, ["zed@example.com"]);
    // `%` and `_` are literal characters, not wildcards.
    assert_eq!(list_emails(&o.client, &format!("{org}?q=%25")).await, ["nina@example.com"]);
    assert_eq!(list_emails(&o.client, &format!("{org}?q=_")).await, ["a_b@example.com"]);
    assert_eq!(list_emails(&o.client, &format!("{org}?q=a%25b")).await, Vec::<String>::new());
    // A substring in the middle of the address, and surrounding blanks ignored.
    assert_eq!(list_emails(&o.client, &format!("{org}?q=%20INA@EX%20")).await, ["nina@example.com"]);
    assert_eq!(list_emails(&o.client, &format!("{org}?q=nobody-here")).await, Vec::<String>::new());
    // An empty q is no filter.
    assert_eq!(list_emails(&o.client, &format!("{org}?q=")).await.len(), 5);
}

/// Search follows renames and email changes, takes quotes literally, pages with the cursor, and
/// short queries agree. (On PostgreSQL this goes through the pg_trgm indexes; on SQLite a scope
/// this small is scanned — the FTS5 path is compared with the scan in `store::members` tests.)
#[tokio::test]
async fn search_follows_profile_edits_and_pages_through_the_index() {
    let (app, o) = TestApp::init().with_owner("olga@example.com", "enterprise", SEATS, 0).await;
    let mut people = Vec::new();
    for n in 0..5 {
        let (c, _) = org_member(&app, &o, &format!("p{n}@example.com"), "viewer").await;
        people.push(c);
    }
    for (n, c) in people.iter().enumerate() {
        let name = format!("Quentin \"Q\" Tarantella {n}");
        assert_eq!(c.patch("/api/v1/me", json!({"name": name})).await.status, 200);
    }
    let org = format!("/api/v1/orgs/{}/members", o.org);
    let all: Vec<String> = (0..5).map(|n| format!("p{n}@example.com")).collect();
    assert_eq!(list_emails(&o.client, &format!("{org}?q=tarantella")).await, all);
    assert_eq!(list_emails(&o.client, &format!("{org}?q=%22Q%22")).await, all, "a quote is literal");
    assert_eq!(list_emails(&o.client, &format!("{org}?q=ta")).await, all, "short queries scan and agree");
    // Pages of two through the index, in email order, without gaps or repeats.
    let mut seen = Vec::new();
    let mut path = format!("{org}?q=TARANT&limit=2");
    loop {
        let r = o.client.get(&path).await;
        assert_eq!(r.status, 200, "{r:?}");
        seen.extend(r.items().iter().map(|m| m["email"].as_str().unwrap().to_owned()));
        match r.json["next_cursor"].as_str() {
            Some(c) => path = format!("{org}?q=TARANT&limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, all);
    // A rename: found by the new name only.
    assert_eq!(people[0].patch("/api/v1/me", json!({"name": "Renée Zweig"})).await.status, 200);
    assert_eq!(list_emails(&o.client, &format!("{org}?q=zweig")).await, ["p0@example.com"]);
    assert_eq!(list_emails(&o.client, &format!("{org}?q=RENÉE")).await, ["p0@example.com"]);
    assert_eq!(list_emails(&o.client, &format!("{org}?q=tarantella")).await, all[1..].to_vec());
    // A new email: found by it, and no longer by the old one.
    let r = people[1]
        .patch(
            "/api/v1/me",
            json!({"email": "moved@elsewhere.test", "current_password": lyceum_test_support::PASSWORD}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(list_emails(&o.client, &format!("{org}?q=elsewhere")).await, ["moved@elsewhere.test"]);
    assert_eq!(list_emails(&o.client, &format!("{org}?q=p1@exa")).await, Vec::<String>::new());
}

#[tokio::test]
async fn search_folds_the_case_of_accented_letters_too() {
    let (app, o) = TestApp::init().with_owner("olga@example.com", "pro", SEATS, 0).await;
    let (emile, _) = org_member(&app, &o, "emile@example.com", "viewer").await;
    let (elodie, _) = org_member(&app, &o, "elodie@example.com", "viewer").await;
    org_member(&app, &o, "eric@example.com", "viewer").await;
    assert_eq!(emile.patch("/api/v1/me", json!({"name": "Émile Zola"})).await.status, 200);
    assert_eq!(elodie.patch("/api/v1/me", json!({"name": "Élodie Ém"})).await.status, 200);
    let org = format!("/api/v1/orgs/{}/members", o.org);
    // "Émile" exactly as written, lower-cased and upper-cased.
    for q in ["%C3%89mile", "%C3%A9mile", "%C3%89MILE"] {
        assert_eq!(list_emails(&o.client, &format!("{org}?q={q}")).await, ["emile@example.com"], "q={q}");
    }
    // "é" matches both accented names, a page at a time.
    let both = list_emails(&o.client, &format!("{org}?q=%C3%A9")).await;
    assert_eq!(both, ["elodie@example.com", "emile@example.com"]);
    let first = o.client.get(&format!("{org}?q=%C3%A9&limit=1")).await;
    assert_eq!(emails(&first.items()), ["elodie@example.com"]);
    let cursor = first.json["next_cursor"].as_str().expect("a second page").to_owned();
    let second = o.client.get(&format!("{org}?q=%C3%A9&limit=1&cursor={cursor}")).await;
    assert_eq!(emails(&second.items()), ["emile@example.com"]);
    assert_eq!(second.json["next_cursor"], Value::Null);
    // With the other filters.
    assert_eq!(list_emails(&o.client, &format!("{org}?q=%C3%A9&role=owner")).await, Vec::<String>::new());
}

#[tokio::test]
async fn role_and_status_filters_narrow_the_list_and_unknown_values_are_rejected() {
    let (app, o) = TestApp::init().with_owner("olga@example.com", "pro", SEATS, 0).await;
    let (vera, _) = org_member(&app, &o, "vera@example.com", "viewer").await;
    org_member(&app, &o, "vic@example.com", "viewer").await;
    org_member(&app, &o, "ed@example.com", "editor").await;
    ws_member(&app, &o, &o.ws, "tom@example.com", "trainer").await;
    // Vera signs in again: her pending membership becomes accepted.
    assert_eq!(vera.login("vera@example.com").await.status, 200);

    let org = format!("/api/v1/orgs/{}/members", o.org);
    let ws = format!("/api/v1/workspaces/{}/members", o.ws);
    assert_eq!(list_emails(&o.client, &format!("{org}?role=viewer")).await, ["vera@example.com", "vic@example.com"]);
    assert_eq!(list_emails(&o.client, &format!("{org}?role=guest")).await, ["tom@example.com"]);
    assert_eq!(
        list_emails(&o.client, &format!("{org}?status=pending")).await,
        ["ed@example.com", "tom@example.com", "vic@example.com"]
    );
    assert_eq!(list_emails(&o.client, &format!("{org}?status=accepted&role=viewer")).await, ["vera@example.com"]);
    assert_eq!(list_emails(&o.client, &format!("{org}?role=viewer&q=VIC")).await, ["vic@example.com"]);
    assert_eq!(list_emails(&o.client, &format!("{ws}?role=trainer")).await, ["tom@example.com"]);
    assert_eq!(list_emails(&o.client, &format!("{ws}?role=owner&status=accepted")).await, ["olga@example.com"]);

    for bad in [
        format!("{org}?role=admin"),
        format!("{org}?role=trainer"), // a workspace role, not an organisation role
        format!("{ws}?role=guest"),    // an organisation role, not a workspace role
        format!("{org}?status=invited"),
        format!("{ws}?status=ACCEPTED"),
        format!("{org}?q={}", "a".repeat(255)),
    ] {
        let r = o.client.get(&bad).await;
        r.assert_problem(422, "validation");
        assert!(!r.json["errors"].as_array().unwrap().is_empty(), "{r:?}");
    }
}

#[tokio::test]
async fn cursor_pages_walk_every_member_once_in_order_at_both_scopes() {
    let (app, o) = TestApp::init().with_owner("olga@example.com", "pro", SEATS, 0).await;
    for e in ["bea@example.com", "cal@example.com", "dan@example.com", "eve@example.com"] {
        ws_member(&app, &o, &o.ws, e, "viewer").await;
    }
    for base in [format!("/api/v1/orgs/{}/members", o.org), format!("/api/v1/workspaces/{}/members", o.ws)] {
        let all = list_emails(&o.client, &base).await;
        assert_eq!(all.len(), 5);
        let mut seen = Vec::new();
        let mut sizes = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("{base}?limit=2&cursor={c}"),
                None => format!("{base}?limit=2"),
            };
            let r = o.client.get(&path).await;
            assert_eq!(r.status, 200, "{r:?}");
            sizes.push(r.items().len());
            seen.extend(emails(&r.items()));
            match r.json["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => {
                    assert_eq!(r.json["next_cursor"], Value::Null);
                    break;
                }
            }
            assert!(sizes.len() < 10, "pagination does not end");
        }
        assert_eq!(sizes, [2, 2, 1], "{base}");
        assert_eq!(seen, all, "pages concatenate to the full list, no duplicates, no gaps");
        assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 5);
    }
}

#[tokio::test]
async fn a_cursor_the_server_did_not_issue_is_a_validation_error() {
    let (_app, o) = TestApp::init().with_owner("olga@example.com", "pro", SEATS, 0).await;
    // Garbage, valid base64 of one part only, and valid base64 of non-UTF-8 bytes.
    for cursor in ["not-a-cursor!!", "YWJj", "__8"] {
        for base in [format!("/api/v1/orgs/{}/members", o.org), format!("/api/v1/workspaces/{}/members", o.ws)] {
            let r = o.client.get(&format!("{base}?cursor={cursor}")).await;
            r.assert_problem(422, "validation");
            assert_eq!(r.json["errors"][0]["field"], "cursor", "{r:?}");
        }
    }
}

#[tokio::test]
async fn the_page_size_is_clamped_between_1_and_500() {
    let (app, o) = TestApp::init().with_owner("olga@example.com", "pro", SEATS, 0).await;
    // 505 more members, written straight into the database (inviting them would take minutes).
    let mut tx = app.pool().begin().await.unwrap();
    for i in 0..505 {
        let id = uuid::Uuid::now_v7().to_string();
        sqlx::query(
            "INSERT INTO users (id, email, name, password_hash, created_at, updated_at) VALUES ($1, $2, $3, 'x', 0, 0)",
        )
        .bind(&id)
        .bind(format!("bulk{i:03}@example.com"))
        .bind(format!("Bulk {i}"))
        .execute(&mut *tx)
        .await
        .unwrap();
        sqlx::query("INSERT INTO org_members (org_id, user_id, role, status, created_at, updated_at) VALUES ($1, $2, 'viewer', 'accepted', 0, 0)")
            .bind(&o.org)
            .bind(&id)
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let base = format!("/api/v1/orgs/{}/members", o.org);

    let r = o.client.get(&format!("{base}?limit=0")).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.items().len(), 1);
    assert!(r.json["next_cursor"].is_string());
    let r = o.client.get(&format!("{base}?limit=-7")).await;
    assert_eq!((r.status, r.items().len()), (200, 1));

    let r = o.client.get(&format!("{base}?limit=10000")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.items().len(), 500);
    let next = r.json["next_cursor"].as_str().expect("more members follow").to_owned();
    let rest = o.client.get(&format!("{base}?limit=10000&cursor={next}")).await;
    assert_eq!(rest.items().len(), 6);
    assert_eq!(rest.json["next_cursor"], Value::Null);

    let r = o.client.get(&base).await;
    assert_eq!(r.items().len(), 50, "the default page is 50");
}

// ---------------------------------------------------------------------------------------------
// Who may list

#[tokio::test]
async fn org_viewers_and_editors_may_list_org_members_but_org_guests_may_not() {
    let (app, o) = TestApp::init().with_owner("olga@example.com", "pro", SEATS, 0).await;
    let (viewer, _) = org_member(&app, &o, "vera@example.com", "viewer").await;
    let (editor, _) = org_member(&app, &o, "ed@example.com", "editor").await;
    // A guest with even the strongest workspace role has no organisation-wide permission.
    let (guest, _) = ws_member(&app, &o, &o.ws, "gus@example.com", "owner").await;
    let org = format!("/api/v1/orgs/{}/members", o.org);
    for c in [&viewer, &editor] {
        assert_eq!(list_emails(c, &org).await.len(), 4);
        // Org viewers and editors see every workspace, so they may list its members too.
        assert_eq!(list_emails(c, &format!("/api/v1/workspaces/{}/members", o.ws)).await.len(), 2);
    }
    guest.get(&org).await.assert_problem(403, "forbidden");
}

#[tokio::test]
async fn workspace_reviewers_trainers_and_owners_may_list_its_members_but_learners_editors_and_viewers_may_not() {
    let (app, o) = TestApp::init().with_owner("olga@example.com", "pro", SEATS, 0).await;
    let path = format!("/api/v1/workspaces/{}/members", o.ws);
    let mut allowed = Vec::new();
    let mut refused = Vec::new();
    for role in ["owner", "trainer", "reviewer", "learner", "editor", "viewer"] {
        let (c, _) = ws_member(&app, &o, &o.ws, &format!("{role}@example.com"), role).await;
        if ["owner", "trainer", "reviewer"].contains(&role) {
            allowed.push((role, c));
        } else {
            refused.push((role, c));
        }
    }
    for (role, c) in &allowed {
        let r = c.get(&path).await;
        assert_eq!(r.status, 200, "{role}: {r:?}");
        assert_eq!(r.items().len(), 7, "{role}");
    }
    for (role, c) in &refused {
        let r = c.get(&path).await;
        assert_eq!((r.status, r.code()), (403, "forbidden"), "{role}: {r:?}");
    }
}

#[tokio::test]
async fn members_of_another_organisation_are_not_found_and_anonymous_callers_are_unauthenticated() {
    let (app, o) = TestApp::init().with_owner("olga@example.com", "pro", SEATS, 0).await;
    let other = app.owner("otto@example.com", "pro", SEATS, 0).await;
    let org = format!("/api/v1/orgs/{}/members", o.org);
    let ws = format!("/api/v1/workspaces/{}/members", o.ws);
    for p in [&org, &ws] {
        other.client.get(p).await.assert_problem(404, "not_found");
        app.client().get(p).await.assert_problem(401, "unauthenticated");
    }
    // A made-up id answers the same as a foreign one.
    o.client.get("/api/v1/orgs/00000000-0000-0000-0000-000000000000/members").await.assert_problem(404, "not_found");
    o.client.get("/api/v1/workspaces/nope/members").await.assert_problem(404, "not_found");
}

// ---------------------------------------------------------------------------------------------
// Changing roles

#[tokio::test]
async fn a_workspace_owner_changes_a_learner_to_reviewer_and_the_change_is_audited() {
    let (app, o) = TestApp::init().with_owner("olga@example.com", "pro", SEATS, 0).await;
    let (wso, wso_id) = ws_member(&app, &o, &o.ws, "wendy@example.com", "owner").await;
    let (_, leo) = ws_member(&app, &o, &o.ws, "leo@example.com", "learner").await;

    let r = wso.patch(&format!("/api/v1/workspaces/{}/members/{leo}", o.ws), json!({"role": "reviewer"})).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        r.json,
        json!({"member": {"user_id": leo, "email": "leo@example.com", "name": "leo", "role": "reviewer", "status": "pending"}})
    );
    assert_eq!(ws_role(&app, &o.ws, &leo).await.as_deref(), Some("reviewer"));
    assert_eq!(org_role(&app, &o.org, &leo).await.as_deref(), Some("guest"), "the org role is untouched");

    let ev: (String, Option<String>, String, Option<String>, Option<String>) = sqlx::query_as(
        "SELECT actor_id, workspace_id, target_id, before_state, after_state FROM audit_events \
         WHERE chain = $1 AND action = 'member.role_changed'",
    )
    .bind(&o.org)
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!((ev.0.as_str(), ev.1.as_deref(), ev.2.as_str()), (wso_id.as_str(), Some(o.ws.as_str()), leo.as_str()));
    let before: Value = serde_json::from_str(ev.3.as_deref().unwrap()).unwrap();
    let after: Value = serde_json::from_str(ev.4.as_deref().unwrap()).unwrap();
    assert_eq!((before, after), (json!({"role": "learner"}), json!({"role": "reviewer"})));

    // An org owner changes org roles the same way.
    let (_, vera) = org_member(&app, &o, "vera@example.com", "viewer").await;
    let r = o.client.patch(&format!("/api/v1/orgs/{}/members/{vera}", o.org), json!({"role": "editor"})).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json["member"]["role"], "editor");
    assert_eq!(org_role(&app, &o.org, &vera).await.as_deref(), Some("editor"));
}

#[tokio::test]
async fn role_names_are_validated_for_their_scope() {
    let (app, o) = TestApp::init().with_owner("olga@example.com", "pro", SEATS, 0).await;
    let (_, leo) = ws_member(&app, &o, &o.ws, "leo@example.com", "learner").await;
    let ws_path = format!("/api/v1/workspaces/{}/members/{leo}", o.ws);
    let org_path = format!("/api/v1/orgs/{}/members/{leo}", o.org);
    for role in ["admin", "guest", "Owner", ""] {
        let r = o.client.patch(&ws_path, json!({"role": role})).await;
        r.assert_problem(422, "validation");
        assert_eq!(r.json["errors"][0]["field"], "role", "{r:?}");
    }
    for role in ["admin", "trainer", "learner", "OWNER"] {
        o.client.patch(&org_path, json!({"role": role})).await.assert_problem(422, "validation");
    }
    o.client.patch(&ws_path, json!({})).await.assert_problem(422, "validation");
    o.client.patch(&ws_path, json!({"role": 3})).await.assert_problem(422, "validation");
    assert_eq!(ws_role(&app, &o.ws, &leo).await.as_deref(), Some("learner"));
    assert_eq!(org_role(&app, &o.org, &leo).await.as_deref(), Some("guest"));
    assert!(!app.audit_actions(&o.org).await.iter().any(|a| a == "member.role_changed"));
}

#[tokio::test]
async fn a_workspace_owner_who_is_an_org_guest_cannot_make_anyone_an_org_owner() {
    let (app, o) = TestApp::init().with_owner("olga@example.com", "pro", SEATS, 0).await;
    let (wso, wso_id) = ws_member(&app, &o, &o.ws, "wendy@example.com", "owner").await;
    let (_, leo) = ws_member(&app, &o, &o.ws, "leo@example.com", "learner").await;
    let events = app.audit_actions(&o.org).await.len();

    // The workspace owner sees the organisation (as a guest) but holds no org permission at all:
    // assigning an org role that grants any is an escalation (API.md's own example), and the
    // permission-less guest role is refused for lack of `members.manage`.
    for (role, code) in [("owner", "role_escalation"), ("viewer", "role_escalation"), ("guest", "forbidden")] {
        let r = wso.patch(&format!("/api/v1/orgs/{}/members/{leo}", o.org), json!({"role": role})).await;
        r.assert_problem(403, code);
    }
    // Nor by invitation.
    wso.post(&format!("/api/v1/orgs/{}/invitations", o.org), json!({"emails": ["leo@example.com"], "role": "owner"}))
        .await
        .assert_problem(403, "role_escalation");
    // Nothing changed.
    assert_eq!(org_role(&app, &o.org, &leo).await.as_deref(), Some("guest"));
    assert_eq!(org_role(&app, &o.org, &wso_id).await.as_deref(), Some("guest"));
    assert_eq!(
        count_where(&app, "SELECT COUNT(*) FROM org_members WHERE org_id = $1 AND role = 'owner'", &o.org).await,
        1
    );
    assert_eq!(app.audit_actions(&o.org).await.len(), events);

    // Within the workspace they may hand out every workspace role, owner included.
    let r = wso.patch(&format!("/api/v1/workspaces/{}/members/{leo}", o.ws), json!({"role": "owner"})).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(org_role(&app, &o.org, &leo).await.as_deref(), Some("guest"), "a workspace owner is no org owner");
}

#[tokio::test]
async fn a_trainer_cannot_change_roles() {
    let (app, o) = TestApp::init().with_owner("olga@example.com", "pro", SEATS, 0).await;
    let (trainer, _) = ws_member(&app, &o, &o.ws, "tom@example.com", "trainer").await;
    let (_, leo) = ws_member(&app, &o, &o.ws, "leo@example.com", "learner").await;
    // Roles within the trainer's own permissions: refused for lack of `members.manage`; the
    // owner and reviewer roles grant more than a trainer holds (`members.manage`,
    // `reviews.grade`): an escalation.
    for (role, code) in [
        ("viewer", "forbidden"),
        ("editor", "forbidden"),
        ("reviewer", "role_escalation"),
        ("owner", "role_escalation"),
    ] {
        trainer
            .patch(&format!("/api/v1/workspaces/{}/members/{leo}", o.ws), json!({"role": role}))
            .await
            .assert_problem(403, code);
    }
    trainer.delete(&format!("/api/v1/workspaces/{}/members/{leo}", o.ws)).await.assert_problem(403, "forbidden");
    assert_eq!(ws_role(&app, &o.ws, &leo).await.as_deref(), Some("learner"));
}

#[tokio::test]
async fn nobody_changes_their_own_role() {
    let (app, o) = TestApp::init().with_owner("olga@example.com", "pro", SEATS, 0).await;
    let (wso, wso_id) = ws_member(&app, &o, &o.ws, "wendy@example.com", "owner").await;
    // Two org owners, so last_owner is not what stops the owner.
    let (_, second) = org_member(&app, &o, "sam@example.com", "owner").await;
    assert_eq!(org_role(&app, &o.org, &second).await.as_deref(), Some("owner"));

    o.client
        .patch(&format!("/api/v1/orgs/{}/members/{}", o.org, o.user_id), json!({"role": "viewer"}))
        .await
        .assert_problem(409, "cannot_remove_self");
    o.client
        .patch(&format!("/api/v1/workspaces/{}/members/{}", o.ws, o.user_id), json!({"role": "viewer"}))
        .await
        .assert_problem(409, "cannot_remove_self");
    wso.patch(&format!("/api/v1/workspaces/{}/members/{wso_id}", o.ws), json!({"role": "learner"}))
        .await
        .assert_problem(409, "cannot_remove_self");
    assert_eq!(org_role(&app, &o.org, &o.user_id).await.as_deref(), Some("owner"));
    assert_eq!(ws_role(&app, &o.ws, &o.user_id).await.as_deref(), Some("owner"));
    assert_eq!(ws_role(&app, &o.ws, &wso_id).await.as_deref(), Some("owner"));
}

#[tokio::test]
async fn the_last_org_owner_cannot_be_demoted_but_one_of_two_owners_can_demote_the_other() {
    let (app, o) = TestApp::init().with_owner("olga@example.com", "pro", SEATS, 0).await;
    // Only an actor that is not the owner can try to demote the last owner: an owner-role key.
    let key = owner_key(&app, &o).await;
    let path = format!("/api/v1/orgs/{}/members/{}", o.org, o.user_id);
    for role in ["editor", "viewer", "guest"] {
        key.patch(&path, json!({"role": role})).await.assert_problem(409, "last_owner");
    }
    assert_eq!(org_role(&app, &o.org, &o.user_id).await.as_deref(), Some("owner"));
    // Making the last owner an owner again is no demotion.
    assert_eq!(key.patch(&path, json!({"role": "owner"})).await.status, 200);

    let (sam, sam_id) = org_member(&app, &o, "sam@example.com", "viewer").await;
    let r = o.client.patch(&format!("/api/v1/orgs/{}/members/{sam_id}", o.org), json!({"role": "owner"})).await;
    assert_eq!((r.status, r.json["member"]["role"].as_str()), (200, Some("owner")), "{r:?}");
    // With two owners, one demotes the other...
    let r = sam.patch(&path, json!({"role": "editor"})).await;
    assert_eq!((r.status, r.json["member"]["role"].as_str()), (200, Some("editor")), "{r:?}");
    assert_eq!(org_role(&app, &o.org, &o.user_id).await.as_deref(), Some("editor"));
    // ...and then Sam is the last owner. (Olga's key now holds only what Olga holds, an editor's
    // permissions; Sam makes one of her own.)
    key.patch(&format!("/api/v1/orgs/{}/members/{sam_id}", o.org), json!({"role": "viewer"}))
        .await
        .assert_problem(403, "forbidden");
    let r = sam.post(&format!("/api/v1/orgs/{}/api-keys", o.org), json!({"name": "sam's", "role": "owner"})).await;
    assert_eq!(r.status, 201, "{r:?}");
    let key = app.key_client(r.json["key"].as_str().unwrap());
    key.patch(&format!("/api/v1/orgs/{}/members/{sam_id}", o.org), json!({"role": "viewer"}))
        .await
        .assert_problem(409, "last_owner");
    assert_eq!(
        count_where(&app, "SELECT COUNT(*) FROM org_members WHERE org_id = $1 AND role = 'owner'", &o.org).await,
        1
    );
}

#[tokio::test]
async fn two_owners_demoting_each_other_at_once_leave_exactly_one_owner() {
    let (app, o) = TestApp::init().with_owner("olga@example.com", "pro", SEATS, 0).await;
    let (sam, sam_id) = org_member(&app, &o, "sam@example.com", "owner").await;
    for _ in 0..3 {
        let a = o.client.clone();
        let b = sam.clone();
        let pa = format!("/api/v1/orgs/{}/members/{sam_id}", o.org);
        let pb = format!("/api/v1/orgs/{}/members/{}", o.org, o.user_id);
        let (ra, rb) = tokio::join!(a.patch(&pa, json!({"role": "viewer"})), b.patch(&pb, json!({"role": "viewer"})));
        let ok = [&ra, &rb].iter().filter(|r| r.status == 200).count();
        assert_eq!(ok, 1, "exactly one demotion wins: {ra:?} {rb:?}");
        let loser = if ra.status == 200 { &rb } else { &ra };
        // The changes serialise on the organisation's lock: by the time the loser's request is
        // checked, its caller is a viewer and may no longer manage members.
        loser.assert_problem(403, "forbidden");
        assert_eq!(
            count_where(&app, "SELECT COUNT(*) FROM org_members WHERE org_id = $1 AND role = 'owner'", &o.org).await,
            1
        );
        // Restore two owners for the next round.
        let winner_is_olga = ra.status == 200;
        let (owner_client, demoted) = if winner_is_olga { (&o.client, &sam_id) } else { (&sam, &o.user_id) };
        let r =
            owner_client.patch(&format!("/api/v1/orgs/{}/members/{demoted}", o.org), json!({"role": "owner"})).await;
        assert_eq!(r.status, 200, "{r:?}");
    }
}

#[tokio::test]
async fn an_org_editor_cannot_make_someone_an_owner() {
    let (app, o) = TestApp::init().with_owner("olga@example.com", "pro", SEATS, 0).await;
    let (editor, editor_id) = org_member(&app, &o, "ed@example.com", "editor").await;
    let (_, vera) = org_member(&app, &o, "vera@example.com", "viewer").await;
    for (who, role, code) in
        [(&vera, "owner", "role_escalation"), (&vera, "editor", "forbidden"), (&editor_id, "owner", "role_escalation")]
    {
        // Owner grants more than an editor holds: escalation. Editor does not, but org editors
        // hold no `members.manage`.
        editor
            .patch(&format!("/api/v1/orgs/{}/members/{who}", o.org), json!({"role": role}))
            .await
            .assert_problem(403, code);
    }
    assert_eq!(org_role(&app, &o.org, &vera).await.as_deref(), Some("viewer"));
    assert_eq!(org_role(&app, &o.org, &editor_id).await.as_deref(), Some("editor"));
}

// ---------------------------------------------------------------------------------------------
// Removing one member

#[tokio::test]
async fn removing_a_workspace_member_leaves_them_a_guest_of_the_organisation() {
    let (app, o) = TestApp::init().with_owner("olga@example.com", "pro", SEATS, 0).await;
    let (leo_client, leo) = ws_member(&app, &o, &o.ws, "leo@example.com", "learner").await;
    let r = o.client.delete(&format!("/api/v1/workspaces/{}/members/{leo}", o.ws)).await;
    assert_eq!(r.status, 204, "{r:?}");
    assert_eq!(ws_role(&app, &o.ws, &leo).await, None);
    assert!(!list_emails(&o.client, &format!("/api/v1/workspaces/{}/members", o.ws))
        .await
        .contains(&"leo@example.com".to_owned()));
    let org = o.client.get(&format!("/api/v1/orgs/{}/members?q=leo", o.org)).await;
    assert_eq!(org.items().len(), 1);
    assert_eq!(org.items()[0]["role"], "guest");
    // Their access to the workspace is gone at once.
    leo_client.get(&format!("/api/v1/workspaces/{}/members", o.ws)).await.assert_problem(404, "not_found");
    // A second removal finds nobody.
    o.client.delete(&format!("/api/v1/workspaces/{}/members/{leo}", o.ws)).await.assert_problem(404, "not_found");
    assert_eq!(app.audit_actions(&o.org).await.iter().filter(|a| *a == "member.removed").count(), 1);
}

#[tokio::test]
async fn removing_an_org_member_removes_every_workspace_membership() {
    let (app, o) = TestApp::init().with_owner("olga@example.com", "enterprise", SEATS, 0).await;
    let r = o
        .client
        .post(&format!("/api/v1/orgs/{}/workspaces", o.org), json!({"name": "Second", "credit_limit": 0}))
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let ws2 = r.json["id"].as_str().unwrap().to_owned();
    let (_, leo) = ws_member(&app, &o, &o.ws, "leo@example.com", "learner").await;
    add_to_ws(&o, &ws2, "leo@example.com", "trainer").await;
    let (_, keep) = ws_member(&app, &o, &ws2, "kim@example.com", "viewer").await;
    assert_eq!(count_where(&app, "SELECT COUNT(*) FROM workspace_members WHERE user_id = $1", &leo).await, 2);

    let r = o.client.delete(&format!("/api/v1/orgs/{}/members/{leo}", o.org)).await;
    assert_eq!(r.status, 204, "{r:?}");
    assert_eq!(count_where(&app, "SELECT COUNT(*) FROM workspace_members WHERE user_id = $1", &leo).await, 0);
    assert_eq!(count_where(&app, "SELECT COUNT(*) FROM org_members WHERE user_id = $1", &leo).await, 0);
    assert_eq!(ws_role(&app, &ws2, &keep).await.as_deref(), Some("viewer"), "others keep theirs");
    // The account itself stays.
    assert_eq!(count_where(&app, "SELECT COUNT(*) FROM users WHERE id = $1", &leo).await, 1);
    // The audit event remembers what was lost.
    let before: String =
        sqlx::query_scalar("SELECT before_state FROM audit_events WHERE chain = $1 AND action = 'member.removed'")
            .bind(&o.org)
            .fetch_one(app.pool())
            .await
            .unwrap();
    let before: Value = serde_json::from_str(&before).unwrap();
    assert_eq!(before["email"], "leo@example.com");
    assert_eq!(before["role"], "guest");
    assert_eq!(before["workspaces"].as_array().unwrap().len(), 2, "{before}");
}

#[tokio::test]
async fn single_removal_refuses_yourself_the_last_owner_and_ids_that_are_not_members_here() {
    let (app, o) = TestApp::init().with_owner("olga@example.com", "pro", SEATS, 0).await;
    let other = app.owner("otto@example.com", "pro", SEATS, 0).await;
    let (_, stranger) = app.user("stan@example.com").await;
    let (wso, wso_id) = ws_member(&app, &o, &o.ws, "wendy@example.com", "owner").await;

    o.client
        .delete(&format!("/api/v1/orgs/{}/members/{}", o.org, o.user_id))
        .await
        .assert_problem(409, "cannot_remove_self");
    o.client
        .delete(&format!("/api/v1/workspaces/{}/members/{}", o.ws, o.user_id))
        .await
        .assert_problem(409, "cannot_remove_self");
    wso.delete(&format!("/api/v1/workspaces/{}/members/{wso_id}", o.ws))
        .await
        .assert_problem(409, "cannot_remove_self");
    let key = owner_key(&app, &o).await;
    key.delete(&format!("/api/v1/orgs/{}/members/{}", o.org, o.user_id)).await.assert_problem(409, "last_owner");
    for id in [stranger.as_str(), "00000000-0000-0000-0000-000000000000"] {
        o.client.delete(&format!("/api/v1/orgs/{}/members/{id}", o.org)).await.assert_problem(404, "not_found");
        o.client.delete(&format!("/api/v1/workspaces/{}/members/{id}", o.ws)).await.assert_problem(404, "not_found");
    }
    // Another organisation's member through this organisation's path: not found, untouched.
    o.client
        .delete(&format!("/api/v1/orgs/{}/members/{}", o.org, other.user_id))
        .await
        .assert_problem(404, "not_found");
    o.client
        .delete(&format!("/api/v1/workspaces/{}/members/{}", o.ws, other.user_id))
        .await
        .assert_problem(404, "not_found");
    o.client
        .patch(&format!("/api/v1/orgs/{}/members/{}", o.org, other.user_id), json!({"role": "viewer"}))
        .await
        .assert_problem(404, "not_found");
    // ...and the other organisation's workspace through its own path.
    o.client
        .delete(&format!("/api/v1/workspaces/{}/members/{}", other.ws, other.user_id))
        .await
        .assert_problem(404, "not_found");
    assert_eq!(org_role(&app, &other.org, &other.user_id).await.as_deref(), Some("owner"));
    assert_eq!(ws_role(&app, &other.ws, &other.user_id).await.as_deref(), Some("owner"));
    assert_eq!(org_role(&app, &o.org, &o.user_id).await.as_deref(), Some("owner"));
    assert_eq!(ws_role(&app, &o.ws, &wso_id).await.as_deref(), Some("owner"));
    assert!(!app.audit_actions(&o.org).await.iter().any(|a| a == "member.removed"));
}

// ---------------------------------------------------------------------------------------------
// Bulk removal

#[tokio::test]
async fn bulk_removal_from_a_workspace_removes_everyone_named() {
    let (app, o) = TestApp::init().with_owner("olga@example.com", "pro", SEATS, 0).await;
    let mut ids = Vec::new();
    for e in ["a@example.com", "b@example.com", "c@example.com"] {
        ids.push(ws_member(&app, &o, &o.ws, e, "learner").await.1);
    }
    let (_, kept) = ws_member(&app, &o, &o.ws, "keep@example.com", "learner").await;
    // A repeated id counts once.
    let mut named = ids.clone();
    named.push(ids[0].clone());
    let r = o.client.post(&format!("/api/v1/workspaces/{}/members/remove", o.ws), json!({"user_ids": named})).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json, json!({"removed": 3}));
    for id in &ids {
        assert_eq!(ws_role(&app, &o.ws, id).await, None);
        assert_eq!(org_role(&app, &o.org, id).await.as_deref(), Some("guest"));
    }
    assert_eq!(ws_role(&app, &o.ws, &kept).await.as_deref(), Some("learner"));
    assert_eq!(app.audit_actions(&o.org).await.iter().filter(|a| *a == "member.removed").count(), 3);
}

#[tokio::test]
async fn a_bulk_removal_with_a_blocking_entry_removes_nobody_and_names_the_blockers() {
    let (app, o) = TestApp::init().with_owner("olga@example.com", "pro", SEATS, 0).await;
    let (_, a) = ws_member(&app, &o, &o.ws, "a@example.com", "learner").await;
    let (_, b) = ws_member(&app, &o, &o.ws, "b@example.com", "viewer").await;
    let (_, outsider) = app.user("out@example.com").await;
    let path = format!("/api/v1/workspaces/{}/members/remove", o.ws);
    let members_before =
        count_where(&app, "SELECT COUNT(*) FROM workspace_members WHERE workspace_id = $1", &o.ws).await;
    let events_before = app.audit_actions(&o.org).await.len();

    // Yourself among others.
    let r = o.client.post(&path, json!({"user_ids": [a, o.user_id, b]})).await;
    r.assert_problem(409, "cannot_remove_self");
    assert_eq!(
        r.json["blocked"],
        json!([{"user_id": o.user_id, "code": "cannot_remove_self", "message": r.json["blocked"][0]["message"]}])
    );
    assert!(r.json["detail"].as_str().unwrap().contains("nothing was removed"), "{r:?}");

    // A non-member among others.
    let r = o.client.post(&path, json!({"user_ids": [a, outsider, b]})).await;
    assert_eq!(r.status, 404, "{r:?}");
    let blocked = r.json["blocked"].as_array().unwrap();
    assert_eq!(blocked.len(), 1);
    assert_eq!(
        (blocked[0]["user_id"].as_str(), blocked[0]["code"].as_str()),
        (Some(outsider.as_str()), Some("not_found"))
    );

    // Both at once: both are named.
    let r = o.client.post(&path, json!({"user_ids": [outsider, a, o.user_id]})).await;
    assert!(r.status == 404 || r.status == 409, "{r:?}");
    let mut named: Vec<&str> =
        r.json["blocked"].as_array().unwrap().iter().map(|e| e["user_id"].as_str().unwrap()).collect();
    named.sort_unstable();
    let mut expected = vec![outsider.as_str(), o.user_id.as_str()];
    expected.sort_unstable();
    assert_eq!(named, expected);

    assert_eq!(
        count_where(&app, "SELECT COUNT(*) FROM workspace_members WHERE workspace_id = $1", &o.ws).await,
        members_before
    );
    assert_eq!(ws_role(&app, &o.ws, &a).await.as_deref(), Some("learner"));
    assert_eq!(ws_role(&app, &o.ws, &b).await.as_deref(), Some("viewer"));
    assert_eq!(app.audit_actions(&o.org).await.len(), events_before, "a refused removal writes no audit event");
}

#[tokio::test]
async fn an_empty_bulk_removal_is_a_validation_error() {
    let (_app, o) = TestApp::init().with_owner("olga@example.com", "pro", SEATS, 0).await;
    for path in
        [format!("/api/v1/workspaces/{}/members/remove", o.ws), format!("/api/v1/orgs/{}/members/remove", o.org)]
    {
        let r = o.client.post(&path, json!({"user_ids": []})).await;
        r.assert_problem(422, "validation");
        assert_eq!(r.json["errors"][0]["field"], "user_ids", "{r:?}");
        o.client.post(&path, json!({})).await.assert_problem(422, "validation");
        o.client.post(&path, json!({"user_ids": "x"})).await.assert_problem(422, "validation");
    }
}

#[tokio::test]
async fn bulk_removal_from_the_organisation_is_all_or_nothing_and_keeps_an_owner() {
    let (app, o) = TestApp::init().with_owner("olga@example.com", "pro", SEATS, 0).await;
    let (_, a) = ws_member(&app, &o, &o.ws, "a@example.com", "learner").await;
    let (_, b) = org_member(&app, &o, "b@example.com", "viewer").await;
    let (_, sam) = org_member(&app, &o, "sam@example.com", "owner").await;
    let path = format!("/api/v1/orgs/{}/members/remove", o.org);

    // A key removing both owners would orphan the organisation: both are named, nothing removed.
    let key = owner_key(&app, &o).await;
    let r = key.post(&path, json!({"user_ids": [a, o.user_id, sam]})).await;
    r.assert_problem(409, "last_owner");
    let mut named: Vec<&str> =
        r.json["blocked"].as_array().unwrap().iter().map(|e| e["user_id"].as_str().unwrap()).collect();
    named.sort_unstable();
    let mut expected = vec![o.user_id.as_str(), sam.as_str()];
    expected.sort_unstable();
    assert_eq!(named, expected);
    assert_eq!(count_where(&app, "SELECT COUNT(*) FROM org_members WHERE org_id = $1", &o.org).await, 4);
    assert_eq!(ws_role(&app, &o.ws, &a).await.as_deref(), Some("learner"));

    // One owner among others is fine while another stays.
    let r = key.post(&path, json!({"user_ids": [a, b, sam]})).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json, json!({"removed": 3}));
    assert_eq!(count_where(&app, "SELECT COUNT(*) FROM org_members WHERE org_id = $1", &o.org).await, 1);
    assert_eq!(count_where(&app, "SELECT COUNT(*) FROM workspace_members WHERE user_id = $1", &a).await, 0);
    assert_eq!(app.audit_actions(&o.org).await.iter().filter(|x| *x == "member.removed").count(), 3);
}

// ---------------------------------------------------------------------------------------------
// Concurrency

/// 16 concurrent PATCHes of one member: each succeeds or fails cleanly, the final role is one that
/// was asked for, and each success left exactly one audit event, chained before → after.
async fn concurrent_role_changes(app: &TestApp, o: &Owner, path_prefix: String, member: &str, roles: &[&str]) {
    let start: i64 = sqlx::query_scalar("SELECT MAX(seq) FROM audit_events WHERE chain = $1")
        .bind(&o.org)
        .fetch_one(app.pool())
        .await
        .unwrap();
    let mut set = tokio::task::JoinSet::new();
    for i in 0..16 {
        let c = o.client.clone();
        let path = format!("{path_prefix}/{member}");
        let role = roles[i % roles.len()].to_owned();
        set.spawn(async move { (role.clone(), c.patch(&path, json!({"role": role})).await) });
    }
    let mut ok = 0;
    while let Some(res) = set.join_next().await {
        let (role, r) = res.unwrap();
        match r.status {
            200 => {
                assert_eq!(r.json["member"]["role"], role.as_str());
                ok += 1;
            }
            _ => assert!(r.status == 409 && r.json["code"].is_string(), "not a clean failure: {r:?}"),
        }
    }
    assert!(ok >= 1);
    let events: Vec<(Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT before_state, after_state FROM audit_events WHERE chain = $1 AND action = 'member.role_changed' \
         AND target_id = $2 AND seq > $3 ORDER BY seq",
    )
    .bind(&o.org)
    .bind(member)
    .bind(start)
    .fetch_all(app.pool())
    .await
    .unwrap();
    assert_eq!(events.len(), ok, "one member.role_changed event per successful request");
    let role_of = |s: &Option<String>| {
        serde_json::from_str::<Value>(s.as_deref().unwrap()).unwrap()["role"].as_str().unwrap().to_owned()
    };
    for w in events.windows(2) {
        assert_eq!(role_of(&w[0].1), role_of(&w[1].0), "changes were serialised: each starts where the last ended");
    }
    let last = role_of(&events.last().unwrap().1);
    assert!(roles.contains(&last.as_str()));
    let now = o.client.get(&format!("{path_prefix}?limit=500")).await;
    let row = now.items().into_iter().find(|m| m["user_id"] == member).unwrap();
    assert_eq!(row["role"].as_str(), Some(last.as_str()), "the final role is the last audited one");
}

#[tokio::test]
async fn sixteen_concurrent_role_changes_of_one_member_serialise_and_are_each_audited_once() {
    let (app, o) = TestApp::init().with_owner("olga@example.com", "pro", SEATS, 0).await;
    let (_, leo) = ws_member(&app, &o, &o.ws, "leo@example.com", "learner").await;
    let ws_roles = ["owner", "trainer", "reviewer", "learner", "editor", "viewer"];
    concurrent_role_changes(&app, &o, format!("/api/v1/workspaces/{}/members", o.ws), &leo, &ws_roles).await;
    concurrent_role_changes(
        &app,
        &o,
        format!("/api/v1/orgs/{}/members", o.org),
        &leo,
        &["guest", "viewer", "editor", "owner"],
    )
    .await;
    let mut conn = app.pool().acquire().await.unwrap();
    let (_, breaks) = crate::server_internals::audit_chain::verify(&mut conn).await.unwrap();
    assert_eq!(breaks, vec![], "the chain holds under concurrency");
}
