//! The grant cache under change: reads answer from memory, and every committed change to who holds
//! what is visible to the very next check — on the same node at once, and on another node sharing
//! PostgreSQL as soon as its notification arrives.

use std::time::{Duration, Instant};

use lyceum_domain::Permission;
use serde_json::json;

use lyceum_test_support::{Client, Owner, TestApp};

use crate::server_internals::{cached_grant, grant_cache_users, service_may};

async fn add_to_workspace(owner: &Owner, ws: &str, email: &str, role: &str) {
    let r = owner
        .client
        .post(&format!("/api/v1/workspaces/{ws}/invitations"), json!({"emails": [email], "role": role}))
        .await;
    assert_eq!(r.json["results"][0]["outcome"], "pending", "{r:?}");
}

async fn check(client: &Client, org: &str, user: &str, permission: &str, ws: &str) -> bool {
    let r = client
        .post(
            &format!("/api/v1/orgs/{org}/check"),
            json!({"user_id": user, "permission": permission, "workspace_id": ws}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    r.json["allowed"].as_bool().unwrap()
}

#[tokio::test]
async fn a_role_change_removal_or_new_member_is_visible_to_the_next_check_on_the_same_node() {
    let (app, owner) = TestApp::init().with_owner("owner@cache.test", "enterprise", 20, 1000).await;
    let (_, alice) = app.user("alice@cache.test").await;
    add_to_workspace(&owner, &owner.ws, "alice@cache.test", "learner").await;

    // Checked once: now cached, and answered from memory.
    assert!(!check(&owner.client, &owner.org, &alice, "content.create", &owner.ws).await);
    assert!(grant_cache_users(&app) >= 1, "the check filled the cache");
    assert_eq!(
        cached_grant(&app, alice.parse().unwrap(), Permission::ContentCreate, owner.ws.parse().unwrap()),
        Some(false)
    );
    // Answered from memory now; an id in the body spelled differently from the stored one is
    // still unknown, exactly as the database would say (an unknown workspace is a 404).
    let upper = json!({"user_id": alice, "permission": "content.create", "workspace_id": owner.ws});
    let mut bad_ws = upper.clone();
    bad_ws["workspace_id"] = json!(owner.ws.to_uppercase());
    let r = owner.client.post(&format!("/api/v1/orgs/{}/check", owner.org), bad_ws).await;
    r.assert_problem(404, "not_found");
    let mut upper_user = upper;
    upper_user["user_id"] = json!(alice.to_uppercase());
    let r = owner.client.post(&format!("/api/v1/orgs/{}/check", owner.org), upper_user).await;
    assert_eq!((r.status, &r.json["allowed"]), (200, &json!(false)), "{r:?}");

    // A role change: the next check sees it.
    let r = owner
        .client
        .patch(&format!("/api/v1/workspaces/{}/members/{alice}", owner.ws), json!({"role": "trainer"}))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert!(check(&owner.client, &owner.org, &alice, "content.create", &owner.ws).await);
    assert!(service_may(&app, &alice, Permission::ContentCreate, &owner.ws).await);

    // Removal from the organisation: nothing left, at once.
    let r = owner.client.delete(&format!("/api/v1/orgs/{}/members/{alice}", owner.org)).await;
    assert_eq!(r.status, 204, "{r:?}");
    assert!(!check(&owner.client, &owner.org, &alice, "workspace.view", &owner.ws).await);
    assert!(!service_may(&app, &alice, Permission::WorkspaceView, &owner.ws).await);

    // Someone who joins by signing up through an invitation link can act at once.
    let r = owner
        .client
        .post(
            &format!("/api/v1/workspaces/{}/invitations", owner.ws),
            json!({"emails": ["bob@cache.test"], "role": "reviewer"}),
        )
        .await;
    assert_eq!(r.json["results"][0]["outcome"], "invited", "{r:?}");
    let token = app.invitation_token("bob@cache.test").await.expect("an invitation email");
    let bob_client = app.client();
    let r = bob_client
        .post(
            "/api/v1/auth/signup",
            json!({"email": "bob@cache.test", "password": lyceum_test_support::PASSWORD, "name": "Bob", "invitation_token": token}),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let bob = r.json["user"]["id"].as_str().unwrap().to_owned();
    assert!(check(&owner.client, &owner.org, &bob, "reviews.grade", &owner.ws).await);
    // And the new member's own reads use the fresh roles too.
    let r = bob_client.get(&format!("/api/v1/workspaces/{}/permissions", owner.ws)).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json["roles"]["workspace"], "reviewer");
}

/// Checks racing with role changes never leave a stale answer behind: once the changes stop, the
/// cached answer is the committed one.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn checks_racing_role_changes_settle_on_the_committed_role() {
    let (app, owner) = TestApp::init().with_owner("owner@race.test", "enterprise", 20, 1000).await;
    let (_, carol) = app.user("carol@race.test").await;
    add_to_workspace(&owner, &owner.ws, "carol@race.test", "learner").await;
    let roles = ["learner", "trainer", "viewer", "reviewer"];
    let mut tasks = Vec::new();
    for i in 0..24 {
        let owner_client = owner.client.clone();
        let (org, ws, carol) = (owner.org.clone(), owner.ws.clone(), carol.clone());
        tasks.push(tokio::spawn(async move {
            if i % 3 == 0 {
                let role = roles[i % roles.len()];
                let r = owner_client
                    .patch(&format!("/api/v1/workspaces/{ws}/members/{carol}"), json!({"role": role}))
                    .await;
                assert_eq!(r.status, 200, "{r:?}");
            } else {
                check(&owner_client, &org, &carol, "content.create", &ws).await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let committed: String = sqlx::query_scalar("SELECT role FROM workspace_members WHERE user_id = $1")
        .bind(&carol)
        .fetch_one(app.pool())
        .await
        .unwrap();
    let r = owner.client.get(&format!("/api/v1/workspaces/{}/permissions?user_id={carol}", owner.ws)).await;
    assert_eq!(r.json["roles"]["workspace"], committed.as_str(), "{r:?}");
    let creates = committed == "trainer";
    assert_eq!(check(&owner.client, &owner.org, &carol, "content.create", &owner.ws).await, creates);
}

/// Two nodes on one PostgreSQL database: node B caches a member's roles, node A changes them, and
/// B's next checks see the change once A's commit notification arrives (no restart, no expiry).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_on_one_node_reaches_another_node_sharing_postgresql() {
    if std::env::var("LYCEUM_TEST_DATABASE_URL").is_err() {
        eprintln!("SKIPPED: cross-node invalidation is a PostgreSQL feature (LYCEUM_TEST_DATABASE_URL is unset)");
        return;
    }
    let a = TestApp::spawn().await;
    let b = a.another_node().await;
    let owner = a.owner("owner@nodes.test", "enterprise", 20, 1000).await;
    let (_, dave) = a.user("dave@nodes.test").await;
    add_to_workspace(&owner, &owner.ws, "dave@nodes.test", "learner").await;
    let r =
        owner.client.post(&format!("/api/v1/orgs/{}/api-keys", owner.org), json!({"name": "b", "role": "owner"})).await;
    assert_eq!(r.status, 201, "{r:?}");
    let on_b = b.key_client(r.json["key"].as_str().unwrap());

    assert!(!check(&on_b, &owner.org, &dave, "content.create", &owner.ws).await);
    let (dave_id, ws_id) = (dave.parse().unwrap(), owner.ws.parse().unwrap());
    assert_eq!(cached_grant(&b, dave_id, Permission::ContentCreate, ws_id), Some(false), "B has it cached");

    let r = owner
        .client
        .patch(&format!("/api/v1/workspaces/{}/members/{dave}", owner.ws), json!({"role": "trainer"}))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let changed = Instant::now();
    // A liveness bound, not a performance figure (that is measured by scripts/bench).
    let deadline = changed + Duration::from_secs(10);
    while cached_grant(&b, dave_id, Permission::ContentCreate, ws_id) == Some(false) {
        assert!(Instant::now() < deadline, "node B never heard of the change");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    println!("cross-node invalidation seen after {:?}", changed.elapsed());
    assert!(check(&on_b, &owner.org, &dave, "content.create", &owner.ws).await);

    // Removal too; and B's own member list and permissions agree.
    let r = owner.client.delete(&format!("/api/v1/orgs/{}/members/{dave}", owner.org)).await;
    assert_eq!(r.status, 204, "{r:?}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while cached_grant(&b, dave_id, Permission::WorkspaceView, ws_id) == Some(true) {
        assert!(Instant::now() < deadline, "node B never heard of the removal");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    assert!(!check(&on_b, &owner.org, &dave, "workspace.view", &owner.ws).await);
}

/// The session cookie a response set.
fn session_cookie(r: &lyceum_test_support::Resp) -> String {
    let set = r.header("set-cookie").expect("a session cookie");
    set.split(';').next().unwrap().to_owned()
}

/// Credentials are cached too: signing out and revoking a key on one node end them on the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_or_revoking_a_key_on_one_node_ends_it_on_another() {
    if std::env::var("LYCEUM_TEST_DATABASE_URL").is_err() {
        eprintln!("SKIPPED: cross-node invalidation is a PostgreSQL feature (LYCEUM_TEST_DATABASE_URL is unset)");
        return;
    }
    let a = TestApp::spawn().await;
    let b = a.another_node().await;
    let owner = a.owner("owner@creds.test", "enterprise", 20, 1000).await;
    let login = a.client().login("owner@creds.test").await;
    assert_eq!(login.status, 200, "{login:?}");
    let cookie = session_cookie(&login);
    let with_cookie = |node: &TestApp| {
        let (client, cookie) = (node.client(), cookie.clone());
        async move { client.send(reqwest::Method::GET, "/api/v1/me", None, &[("cookie", &cookie)]).await.status }
    };
    assert_eq!(with_cookie(&b).await, 200, "B knows the session (and caches it)");
    assert_eq!(with_cookie(&b).await, 200);
    let r = a.client().send(reqwest::Method::POST, "/api/v1/auth/logout", None, &[("cookie", &cookie)]).await;
    assert_eq!(r.status, 204, "{r:?}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while with_cookie(&b).await != 401 {
        assert!(Instant::now() < deadline, "the session still works on node B");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }

    let r =
        owner.client.post(&format!("/api/v1/orgs/{}/api-keys", owner.org), json!({"name": "k", "role": "owner"})).await;
    assert_eq!(r.status, 201, "{r:?}");
    let key_id = r.json["id"].as_str().unwrap().to_owned();
    let on_b = b.key_client(r.json["key"].as_str().unwrap());
    let members = format!("/api/v1/orgs/{}/members", owner.org);
    assert_eq!(on_b.get(&members).await.status, 200);
    assert_eq!(on_b.get(&members).await.status, 200, "answered from B's cache");
    let r = owner.client.delete(&format!("/api/v1/orgs/{}/api-keys/{key_id}", owner.org)).await;
    assert_eq!(r.status, 204, "{r:?}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while on_b.get(&members).await.status != 401 {
        assert!(Instant::now() < deadline, "the revoked key still works on node B");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// On one node, sign-out, key revocation and a password change (which ends the other sessions)
/// take effect on the very next request, although those credentials were being served from memory.
#[tokio::test]
async fn cached_credentials_end_at_once_on_the_same_node() {
    let (app, owner) = TestApp::init().with_owner("owner@once.test", "enterprise", 20, 1000).await;
    let second = app.client();
    assert_eq!(second.login("owner@once.test").await.status, 200);
    assert_eq!(second.get("/api/v1/me").await.status, 200);
    assert_eq!(owner.client.get("/api/v1/me").await.status, 200);
    // A password change from the first session ends the second, cached one.
    let r = owner
        .client
        .patch(
            "/api/v1/me",
            json!({"current_password": lyceum_test_support::PASSWORD, "password": "another long passphrase 2"}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    second.get("/api/v1/me").await.assert_problem(401, "unauthenticated");
    // A profile edit is seen by the next request (the cached session carries the name).
    let r = owner.client.patch("/api/v1/me", json!({"name": "Renamed Owner"})).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(owner.client.get("/api/v1/me").await.json["user"]["name"], "Renamed Owner");

    let r =
        owner.client.post(&format!("/api/v1/orgs/{}/api-keys", owner.org), json!({"name": "k", "role": "owner"})).await;
    let kc = app.key_client(r.json["key"].as_str().unwrap());
    let members = format!("/api/v1/orgs/{}/members", owner.org);
    assert_eq!(kc.get(&members).await.status, 200);
    let r =
        owner.client.delete(&format!("/api/v1/orgs/{}/api-keys/{}", owner.org, r.json["id"].as_str().unwrap())).await;
    assert_eq!(r.status, 204);
    kc.get(&members).await.assert_problem(401, "unauthenticated");
    // A tampered key never matches, cached or not.
    let r = owner
        .client
        .post(&format!("/api/v1/orgs/{}/api-keys", owner.org), json!({"name": "k2", "role": "owner"}))
        .await;
    let good = r.json["key"].as_str().unwrap().to_owned();
    assert_eq!(app.key_client(&good).get(&members).await.status, 200);
    let tampered = format!("{}A", &good[..good.len() - 1]);
    let tampered = if tampered == good { format!("{}B", &good[..good.len() - 1]) } else { tampered };
    app.key_client(&tampered).get(&members).await.assert_problem(401, "unauthenticated");
    let r = owner.client.post("/api/v1/auth/logout", json!({})).await;
    assert_eq!(r.status, 204, "{r:?}");
    owner.client.get("/api/v1/me").await.assert_problem(401, "unauthenticated");
}
