//! The grant cache under change: reads answer from memory, and every committed change to who holds
//! what is visible to the very next check — on the same node at once, and on another node sharing
//! PostgreSQL as soon as its notification arrives.

use std::time::{Duration, Instant};

use lyceum_domain::Permission;
use serde_json::json;

use crate::support::{Client, Owner, TestApp};

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
    let app = TestApp::spawn().await;
    let owner = app.owner("owner@cache.test", "enterprise", 20, 1000).await;
    let (_, alice) = app.user("alice@cache.test").await;
    add_to_workspace(&owner, &owner.ws, "alice@cache.test", "learner").await;
    let lyceum = &app.state.lyceum;

    // Checked once: now cached, and answered from memory.
    assert!(!check(&owner.client, &owner.org, &alice, "content.create", &owner.ws).await);
    assert!(lyceum.grants.cached_users() >= 1, "the check filled the cache");
    assert_eq!(
        lyceum.grants.may(alice.parse().unwrap(), Permission::ContentCreate, owner.ws.parse().unwrap()),
        Some(false)
    );

    // A role change: the next check sees it.
    let r = owner
        .client
        .patch(&format!("/api/v1/workspaces/{}/members/{alice}", owner.ws), json!({"role": "trainer"}))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert!(check(&owner.client, &owner.org, &alice, "content.create", &owner.ws).await);
    assert!(lyceum.may(&alice, Permission::ContentCreate, &owner.ws).await.unwrap());

    // Removal from the organisation: nothing left, at once.
    let r = owner.client.delete(&format!("/api/v1/orgs/{}/members/{alice}", owner.org)).await;
    assert_eq!(r.status, 204, "{r:?}");
    assert!(!check(&owner.client, &owner.org, &alice, "workspace.view", &owner.ws).await);
    assert!(!lyceum.may(&alice, Permission::WorkspaceView, &owner.ws).await.unwrap());

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
            json!({"email": "bob@cache.test", "password": crate::support::PASSWORD, "name": "Bob", "invitation_token": token}),
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
    let app = TestApp::spawn().await;
    let owner = app.owner("owner@race.test", "enterprise", 20, 1000).await;
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
    assert_eq!(b.state.lyceum.grants.may(dave_id, Permission::ContentCreate, ws_id), Some(false), "B has it cached");

    let r = owner
        .client
        .patch(&format!("/api/v1/workspaces/{}/members/{dave}", owner.ws), json!({"role": "trainer"}))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let changed = Instant::now();
    // A liveness bound, not a performance figure (that is measured by scripts/bench).
    let deadline = changed + Duration::from_secs(10);
    while b.state.lyceum.grants.may(dave_id, Permission::ContentCreate, ws_id) == Some(false) {
        assert!(Instant::now() < deadline, "node B never heard of the change");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    println!("cross-node invalidation seen after {:?}", changed.elapsed());
    assert!(check(&on_b, &owner.org, &dave, "content.create", &owner.ws).await);

    // Removal too; and B's own member list and permissions agree.
    let r = owner.client.delete(&format!("/api/v1/orgs/{}/members/{dave}", owner.org)).await;
    assert_eq!(r.status, 204, "{r:?}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while b.state.lyceum.grants.may(dave_id, Permission::WorkspaceView, ws_id) == Some(true) {
        assert!(Instant::now() < deadline, "node B never heard of the removal");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    assert!(!check(&on_b, &owner.org, &dave, "workspace.view", &owner.ws).await);
}
