//! Leaving: the explicit way out of a workspace or an organisation (PRODUCT.md §2 rule 3).

use serde_json::json;

use lyceum_test_support::TestApp;

#[tokio::test]
async fn a_member_leaves_a_workspace_and_stays_in_the_organisation() {
    let (app, owner) = TestApp::init().with_owner("olivia@example.com", "pro", 10, 0).await;
    let (max, max_id) = app.user("max@example.com").await;
    owner
        .client
        .post(
            &format!("/api/v1/workspaces/{}/invitations", owner.ws),
            json!({"emails": ["max@example.com"], "role": "learner"}),
        )
        .await;
    let r = max.post(&format!("/api/v1/workspaces/{}/leave", owner.ws), json!({})).await;
    assert_eq!(r.status, 204, "{r:?}");
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM workspace_members WHERE user_id = '{max_id}'")).await, 0);
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM org_members WHERE user_id = '{max_id}'")).await, 1);
    assert!(app.audit_actions(&owner.org).await.contains(&"member.left".to_owned()));
    max.post(&format!("/api/v1/workspaces/{}/leave", owner.ws), json!({})).await.assert_problem(404, "not_found");
}

#[tokio::test]
async fn leaving_an_organisation_drops_every_workspace_membership() {
    let (app, owner) = TestApp::init().with_owner("olivia@example.com", "pro", 10, 0).await;
    let (max, max_id) = app.user("max@example.com").await;
    owner
        .client
        .post(
            &format!("/api/v1/workspaces/{}/invitations", owner.ws),
            json!({"emails": ["max@example.com"], "role": "trainer"}),
        )
        .await;
    assert_eq!(max.post(&format!("/api/v1/orgs/{}/leave", owner.org), json!({})).await.status, 204);
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM workspace_members WHERE user_id = '{max_id}'")).await, 0);
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM org_members WHERE user_id = '{max_id}'")).await, 0);
    max.get(&format!("/api/v1/orgs/{}", owner.org)).await.assert_problem(404, "not_found");
}

#[tokio::test]
async fn the_last_owner_cannot_leave_but_one_of_two_can() {
    let (app, owner) = TestApp::init().with_owner("olivia@example.com", "pro", 10, 0).await;
    let r = owner.client.post(&format!("/api/v1/orgs/{}/leave", owner.org), json!({})).await;
    r.assert_problem(409, "last_owner");
    let (ann, _) = app.user("ann@example.com").await;
    owner
        .client
        .post(
            &format!("/api/v1/orgs/{}/invitations", owner.org),
            json!({"emails": ["ann@example.com"], "role": "owner"}),
        )
        .await;
    assert_eq!(owner.client.post(&format!("/api/v1/orgs/{}/leave", owner.org), json!({})).await.status, 204);
    ann.post(&format!("/api/v1/orgs/{}/leave", owner.org), json!({})).await.assert_problem(409, "last_owner");
}
