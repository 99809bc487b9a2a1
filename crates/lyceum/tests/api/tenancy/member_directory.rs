//! The member directory (member lists answered from memory): it lists exactly what the database
//! lists, page by page, and never outlives a change — every change is seen by the very next list
//! on the same node, and on another node sharing PostgreSQL once its notification arrives.

use std::time::{Duration, Instant};

use lyceum_domain::id::{OrgId, UserId, WorkspaceId};
use lyceum_domain::{MemberRole, MemberStatus};
use serde_json::{json, Value};
use uuid::Uuid;

use lyceum_test_support::{Client, Owner, TestApp};

use crate::server_internals::members::{self, ListQuery, MemberRow, Scope};
use crate::server_internals::users::{self, NewUser};
use crate::server_internals::{directory_held, directory_holds};

/// A member list request: scope path, `q`, role and status filters.
struct Listing<'a> {
    ws: Option<&'a str>,
    q: Option<&'a str>,
    role: Option<&'a str>,
    status: Option<&'a str>,
}

impl Listing<'_> {
    fn path(&self, owner: &Owner, limit: usize, cursor: Option<&str>) -> String {
        let mut path = match self.ws {
            Some(ws) => format!("/api/v1/workspaces/{ws}/members?limit={limit}"),
            None => format!("/api/v1/orgs/{}/members?limit={limit}", owner.org),
        };
        for (name, value) in [("q", self.q), ("role", self.role), ("status", self.status), ("cursor", cursor)] {
            if let Some(v) = value {
                path += &format!("&{name}={}", urlencode(v));
            }
        }
        path
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Every row of a listing through the API, a page of `limit` at a time: (user id, email, name,
/// role, status) in order.
async fn through_api(client: &Client, owner: &Owner, l: &Listing<'_>, limit: usize) -> Vec<[String; 5]> {
    let mut rows = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let r = client.get(&l.path(owner, limit, cursor.as_deref())).await;
        assert_eq!(r.status, 200, "{r:?}");
        rows.extend(r.json["items"].as_array().unwrap().iter().map(|m| {
            ["user_id", "email", "name", "role", "status"].map(|f| m[f].as_str().unwrap_or_default().to_owned())
        }));
        match r.json["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return rows,
        }
    }
}

/// The same listing straight from the database (the SQL the server answers with when the
/// directory does not hold the organisation).
async fn from_database(app: &TestApp, owner: &Owner, l: &Listing<'_>) -> Vec<[String; 5]> {
    let mut conn = app.pool().acquire().await.unwrap();
    let (org, ws) = (OrgId::parse(&owner.org).unwrap(), l.ws.map(|w| WorkspaceId::parse(w).unwrap()));
    let scope = match &ws {
        Some(ws) => Scope::Workspace(ws),
        None => Scope::Org(&org),
    };
    let q = l.q.map(|q| q.trim().to_lowercase());
    let mut rows = Vec::new();
    let mut after = None;
    loop {
        let query = ListQuery { q: q.as_deref(), role: l.role, status: l.status, after, limit: 7 };
        let mut page: Vec<MemberRow> = members::list(&mut conn, scope, &query).await.unwrap();
        let more = page.len() > 7;
        page.truncate(7);
        after = page.last().map(|m| (m.email.clone(), m.user_id.to_string()));
        rows.extend(
            page.into_iter()
                .map(|m| [m.user_id.into_string(), m.email, m.name, m.role.to_string(), m.status.to_string()]),
        );
        if !more {
            return rows;
        }
    }
}

fn org_uuid(owner: &Owner) -> Uuid {
    owner.org.parse().unwrap()
}

/// Lists once (which starts the directory's build) and waits until the directory holds the
/// organisation, so that the next list is answered from memory.
async fn until_held(app: &TestApp, owner: &Owner) {
    let started = Instant::now();
    while !directory_holds(app, org_uuid(owner)) {
        let r = owner.client.get(&format!("/api/v1/orgs/{}/members?limit=1", owner.org)).await;
        assert_eq!(r.status, 200, "{r:?}");
        assert!(started.elapsed() < Duration::from_secs(20), "the directory never held the organisation");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The listings every check compares.
fn listings<'a>(ws: &'a str, q: &'a str) -> Vec<Listing<'a>> {
    vec![
        Listing { ws: None, q: None, role: None, status: None },
        Listing { ws: None, q: Some(q), role: None, status: None },
        Listing { ws: None, q: None, role: Some("viewer"), status: None },
        Listing { ws: None, q: None, role: None, status: Some("pending") },
        Listing { ws: Some(ws), q: None, role: None, status: None },
        Listing { ws: Some(ws), q: Some(q), role: None, status: None },
        Listing { ws: Some(ws), q: None, role: Some("learner"), status: Some("accepted") },
    ]
}

/// The API (from memory once held) and the database agree on every listing.
async fn assert_agree(app: &TestApp, owner: &Owner, ws: &str, q: &str, when: &str) {
    for l in listings(ws, q) {
        let expected = from_database(app, owner, &l).await;
        let got = through_api(&owner.client, owner, &l, 3).await;
        assert_eq!(got, expected, "{when}: ws={:?} q={:?} role={:?} status={:?}", l.ws, l.q, l.role, l.status);
    }
}

/// Holds the organisation in memory, then makes a change and compares at once: a stale index
/// would answer the very next list.
async fn after_change(app: &TestApp, owner: &Owner, ws: &str, q: &str, when: &str) {
    assert!(!directory_holds(app, org_uuid(owner)), "{when}: the change did not drop the organisation's index");
    assert_agree(app, owner, ws, q, when).await;
    until_held(app, owner).await;
    assert_agree(app, owner, ws, q, &format!("{when} (from memory)")).await;
}

async fn invite(owner: &Owner, path: &str, emails: &[&str], role: &str) -> Value {
    let r = owner.client.post(path, json!({"emails": emails, "role": role})).await;
    assert_eq!(r.status, 200, "{r:?}");
    r.json
}

#[tokio::test]
async fn every_change_is_seen_by_the_next_list_and_memory_agrees_with_the_database() {
    let (app, owner) = TestApp::init().with_owner("owner@dir.test", "enterprise", 100, 1000).await;
    let ws = owner.ws.clone();
    let (bea, bea_id) = app.user("bea.smith@dir.test").await;
    let (_, carl_id) = app.user("carl@dir.test").await;
    until_held(&app, &owner).await;
    assert_agree(&app, &owner, &ws, "smith", "a new organisation").await;

    // Existing accounts invited: pending members of the organisation and the workspace.
    invite(&owner, &format!("/api/v1/workspaces/{ws}/invitations"), &["bea.smith@dir.test"], "learner").await;
    after_change(&app, &owner, &ws, "smith", "an existing account invited to a workspace").await;
    invite(&owner, &format!("/api/v1/orgs/{}/invitations", owner.org), &["carl@dir.test"], "viewer").await;
    after_change(&app, &owner, &ws, "carl", "an existing account invited to the organisation").await;

    // Signing in accepts the pending memberships.
    let r = bea.login("bea.smith@dir.test").await;
    assert_eq!(r.status, 200, "{r:?}");
    after_change(&app, &owner, &ws, "smith", "a pending member signed in").await;

    // A new address signs up through its invitation link.
    invite(&owner, &format!("/api/v1/workspaces/{ws}/invitations"), &["dora@dir.test"], "learner").await;
    until_held(&app, &owner).await;
    let token = app.invitation_token("dora@dir.test").await.expect("an invitation email");
    let r = app
        .client()
        .post(
            "/api/v1/auth/signup",
            json!({"email": "dora@dir.test", "password": lyceum_test_support::PASSWORD, "name": "Dora Smithson", "invitation_token": token}),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    after_change(&app, &owner, &ws, "smith", "an invitee signed up").await;

    // Role changes at both scopes.
    let r =
        owner.client.patch(&format!("/api/v1/orgs/{}/members/{carl_id}", owner.org), json!({"role": "editor"})).await;
    assert_eq!(r.status, 200, "{r:?}");
    after_change(&app, &owner, &ws, "carl", "an organisation role changed").await;
    let r = owner.client.patch(&format!("/api/v1/workspaces/{ws}/members/{bea_id}"), json!({"role": "reviewer"})).await;
    assert_eq!(r.status, 200, "{r:?}");
    after_change(&app, &owner, &ws, "smith", "a workspace role changed").await;

    // A member renames themselves and changes their email: old text no longer finds them.
    let r = bea.patch("/api/v1/me", json!({"name": "Beatrix Quux"})).await;
    assert_eq!(r.status, 200, "{r:?}");
    after_change(&app, &owner, &ws, "quux", "a member renamed themselves").await;
    let r = bea
        .patch("/api/v1/me", json!({"email": "bq@elsewhere.test", "current_password": lyceum_test_support::PASSWORD}))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    after_change(&app, &owner, &ws, "smith", "a member changed their email").await;
    let found =
        through_api(&owner.client, &owner, &Listing { ws: None, q: Some("ELSEWHERE"), role: None, status: None }, 50)
            .await;
    assert_eq!(found.len(), 1, "the new email is found, case-insensitively: {found:?}");

    // Removal from the workspace, then from the organisation, then leaving.
    let r = owner.client.post(&format!("/api/v1/workspaces/{ws}/members/remove"), json!({"user_ids": [bea_id]})).await;
    assert_eq!(r.status, 200, "{r:?}");
    after_change(&app, &owner, &ws, "quux", "removed from a workspace").await;
    let r = owner.client.delete(&format!("/api/v1/orgs/{}/members/{bea_id}", owner.org)).await;
    assert_eq!(r.status, 204, "{r:?}");
    after_change(&app, &owner, &ws, "quux", "removed from the organisation").await;
    let carl = app.client();
    assert_eq!(carl.login("carl@dir.test").await.status, 200);
    let r = carl.post(&format!("/api/v1/orgs/{}/leave", owner.org), json!({})).await;
    assert!(r.status == 204 || r.status == 200, "{r:?}");
    after_change(&app, &owner, &ws, "carl", "a member left").await;
    let _ = carl_id;
}

/// A crowd with names the two sources could disagree on (accents, quotes, percent signs,
/// underscores, plus signs, shared prefixes), paged through with small pages.
#[tokio::test]
async fn memory_and_database_list_the_same_rows_in_the_same_order() {
    let (app, owner) = TestApp::init().with_owner("owner@crowd.test", "enterprise", 1000, 1000).await;
    let names = [
        "Émile Zola",
        "Emma Smith",
        "Zoë Smithers",
        "Marc \"Q\" Lee",
        "Anna Lee",
        "Ann O'Neil",
        "Ünal Kaya",
        "100% Sure",
        "snake_case",
        "Lee-Ann Park",
        "ÉMILIE DU CHÂTELET",
        "Bob",
        "bob",
        "Ågot Ås",
    ];
    let roles = ["guest", "viewer", "editor", "guest"];
    let mut conn = app.pool().acquire().await.unwrap();
    let (org, ws) = (OrgId::parse(&owner.org).unwrap(), WorkspaceId::parse(&owner.ws).unwrap());
    for n in 0..70usize {
        let id = UserId::new();
        let email = format!("{}{n}+tag@{}.test", ["p", "lee.", "a_b", "z", "émile."][n % 5], ["x", "y"][n % 2]);
        let user =
            NewUser { id: &id, email: &email, name: names[n % names.len()], password_hash: "x", instance_admin: false };
        users::insert(&mut conn, &user, 0).await.unwrap();
        let status = if n % 3 == 0 { MemberStatus::Pending } else { MemberStatus::Accepted };
        let role = MemberRole::parse_org(roles[n % 4]).unwrap();
        members::insert(&mut conn, Scope::Org(&org), &org, &id, role, status, 0).await.unwrap();
        if n % 2 == 0 {
            let role = MemberRole::parse_workspace(["learner", "trainer", "viewer"][n % 3]).unwrap();
            members::insert(&mut conn, Scope::Workspace(&ws), &org, &id, role, status, 0).await.unwrap();
        }
    }
    drop(conn);
    until_held(&app, &owner).await;
    for q in
        ["smith", "lee", "émile", "ÉMILE", "\"q\"", "o'n", "100%", "%", "_", "a_b", "+tag", "ås", " ", "p1", "nobody"]
    {
        assert_agree(&app, &owner, &owner.ws.clone(), q, &format!("q={q}")).await;
    }
    assert!(directory_holds(&app, org_uuid(&owner)), "answered from memory throughout");
    let metrics = app.client().get("/metrics").await.text;
    for line in ["lyceum_member_lists_total{source=\"memory\"}", "lyceum_member_directory_members"] {
        assert!(metrics.contains(line), "/metrics shows {line}: {metrics}");
    }
}

/// With the pool's only connection held elsewhere, a permission check and member lists that the
/// caches can answer still answer: they take no connection.
#[tokio::test]
async fn answers_from_memory_take_no_database_connection() {
    let app = TestApp::spawn_with(|a| a.db_connections = 1).await;
    let owner = app.owner("owner@lazy.test", "enterprise", 10, 10).await;
    let (_, gil) = app.user("gil@lazy.test").await;
    invite(&owner, &format!("/api/v1/workspaces/{}/invitations", owner.ws), &["gil@lazy.test"], "learner").await;
    let check = json!({"user_id": gil, "permission": "workspace.view", "workspace_id": owner.ws});
    let ws_list = format!("/api/v1/workspaces/{}/members?q=gil", owner.ws);
    let org_list = format!("/api/v1/orgs/{}/members?q=GIL", owner.org);
    // Warm the caches: roles, the workspace's organisation, the member directory.
    assert_eq!(owner.client.post(&format!("/api/v1/orgs/{}/check", owner.org), check.clone()).await.status, 200);
    until_held(&app, &owner).await;
    assert_eq!(owner.client.get(&ws_list).await.status, 200);

    let only = app.pool().acquire().await.unwrap();
    let within = |what: &'static str| {
        move |r: Result<lyceum_test_support::Resp, _>| r.unwrap_or_else(|_| panic!("{what} waited for a connection"))
    };
    let r = tokio::time::timeout(
        Duration::from_secs(5),
        owner.client.post(&format!("/api/v1/orgs/{}/check", owner.org), check),
    )
    .await;
    let r = within("the check")(r);
    assert_eq!((r.status, &r.json["allowed"]), (200, &json!(true)), "{r:?}");
    for path in [&ws_list, &org_list] {
        let r = within("the member list")(tokio::time::timeout(Duration::from_secs(5), owner.client.get(path)).await);
        assert_eq!(r.status, 200, "{r:?}");
        assert_eq!(r.json["items"].as_array().map(Vec::len), Some(1), "{r:?}");
    }
    drop(only);
}

#[tokio::test]
async fn with_the_directory_off_the_database_answers() {
    let app = TestApp::spawn_with(|a| a.member_directory_capacity = 0).await;
    let owner = app.owner("owner@off.test", "enterprise", 10, 10).await;
    let (_, _) = app.user("eve@off.test").await;
    invite(&owner, &format!("/api/v1/orgs/{}/invitations", owner.org), &["eve@off.test"], "viewer").await;
    let l = Listing { ws: None, q: Some("eve"), role: None, status: None };
    let got = through_api(&owner.client, &owner, &l, 10).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got, from_database(&app, &owner, &l).await);
    assert!(!directory_holds(&app, org_uuid(&owner)));
    assert_eq!(directory_held(&app), 0);
}

#[tokio::test]
async fn a_change_on_one_node_reaches_the_directory_of_another_sharing_postgresql() {
    if std::env::var("LYCEUM_TEST_DATABASE_URL").is_err() {
        eprintln!("SKIPPED: cross-node invalidation is a PostgreSQL feature (LYCEUM_TEST_DATABASE_URL is unset)");
        return;
    }
    let a = TestApp::spawn().await;
    let owner = a.owner("owner@nodes.test", "enterprise", 10, 10).await;
    let b = a.another_node().await;
    let on_b =
        Owner { client: b.client(), user_id: owner.user_id.clone(), org: owner.org.clone(), ws: owner.ws.clone() };
    assert_eq!(on_b.client.login("owner@nodes.test").await.status, 200);
    let (fay, _) = a.user("fay@nodes.test").await;
    until_held(&b, &on_b).await;
    let everyone = Listing { ws: None, q: None, role: None, status: None };
    let before = through_api(&on_b.client, &on_b, &everyone, 50).await;
    assert_eq!(before.len(), 1, "only the owner: {before:?}");

    // A change through A: B drops its index when the notification arrives, then lists it.
    invite(&owner, &format!("/api/v1/orgs/{}/invitations", owner.org), &["fay@nodes.test"], "viewer").await;
    let started = Instant::now();
    while directory_holds(&b, org_uuid(&owner)) {
        assert!(started.elapsed() < Duration::from_secs(10), "B never heard of the change");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    eprintln!("node B dropped its member index {:?} after A answered", started.elapsed());
    let after = through_api(&on_b.client, &on_b, &everyone, 50).await;
    assert_eq!(after.len(), 2, "{after:?}");

    // A profile change through A: B's index holding that person goes too.
    until_held(&b, &on_b).await;
    let r = fay.patch("/api/v1/me", json!({"name": "Fay Renamed"})).await;
    assert_eq!(r.status, 200, "{r:?}");
    let started = Instant::now();
    while directory_holds(&b, org_uuid(&owner)) {
        assert!(started.elapsed() < Duration::from_secs(10), "B never heard of the rename");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let renamed = through_api(&on_b.client, &on_b, &Listing { q: Some("renamed"), ..everyone }, 50).await;
    assert_eq!(renamed.len(), 1, "{renamed:?}");
}
