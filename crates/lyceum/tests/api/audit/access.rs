//! Access checks (API.md "Access checks and API keys"): effective permissions in a workspace and
//! "may user X do Y", answered by the one permission engine; and the role/permission table of
//! PRODUCT.md §2 as seen over HTTP, generated from the domain's catalogue.

use lyceum_domain::{OrgRole, Permission, WorkspaceRole};
use serde_json::json;

use lyceum_test_support::{Client, Owner, Resp, TestApp};

const LEARNER: &[&str] = &["workspace.view", "content.view_assigned", "simulations.launch"];
const TRAINER: &[&str] = &[
    "workspace.view",
    "content.view",
    "content.view_assigned",
    "content.create",
    "content.publish",
    "tags.manage",
    "members.view",
    "groups.manage",
    "assignments.view",
    "assignments.manage",
    "simulations.launch",
    "marketplace.publish",
    "marketplace.acquire",
];
const WS_OWNER: &[&str] = &[
    "workspace.view",
    "content.view",
    "content.view_assigned",
    "content.create",
    "content.publish",
    "tags.manage",
    "members.view",
    "members.invite",
    "members.manage",
    "groups.manage",
    "groups.delete",
    "assignments.view",
    "assignments.manage",
    "simulations.launch",
    "reviews.grade",
    "marketplace.publish",
    "marketplace.acquire",
    "settings.manage",
    "usage.view",
    "billing.view",
    "audit.view",
];
const EVERYTHING: &[&str] = &[
    "workspace.view",
    "content.view",
    "content.view_assigned",
    "content.create",
    "content.publish",
    "tags.manage",
    "members.view",
    "members.invite",
    "members.manage",
    "groups.manage",
    "groups.delete",
    "assignments.view",
    "assignments.manage",
    "simulations.launch",
    "reviews.grade",
    "marketplace.publish",
    "marketplace.acquire",
    "settings.manage",
    "usage.view",
    "billing.view",
    "audit.view",
    "workspaces.create",
    "credits.allocate",
    "billing.manage",
    "api_keys.manage",
    "org.manage",
];

async fn ws_member(app: &TestApp, owner: &Owner, ws: &str, email: &str, role: &str) -> (Client, String) {
    let (c, id) = app.user(email).await;
    let r = owner
        .client
        .post(&format!("/api/v1/workspaces/{ws}/invitations"), json!({"emails": [email], "role": role}))
        .await;
    assert_eq!(r.json["results"][0]["outcome"], "pending", "{r:?}");
    (c, id)
}

async fn org_member(app: &TestApp, owner: &Owner, email: &str, role: &str) -> (Client, String) {
    let (c, id) = app.user(email).await;
    let r = owner
        .client
        .post(&format!("/api/v1/orgs/{}/invitations", owner.org), json!({"emails": [email], "role": role}))
        .await;
    assert_eq!(r.json["results"][0]["outcome"], "pending", "{r:?}");
    (c, id)
}

/// The permission names of an answer, sorted (the contract does not fix their order).
fn perms(r: &Resp) -> Vec<String> {
    assert_eq!(r.status, 200, "{r:?}");
    let mut v: Vec<String> =
        r.json["permissions"].as_array().unwrap().iter().map(|p| p.as_str().unwrap().to_owned()).collect();
    v.sort();
    v
}

fn sorted(names: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = names.iter().map(|s| (*s).to_owned()).collect();
    v.sort();
    v
}

fn roles(r: &Resp) -> (Option<&str>, Option<&str>) {
    (r.json["roles"]["org"].as_str(), r.json["roles"]["workspace"].as_str())
}

async fn check(c: &Client, org: &str, user: &str, permission: &str, ws: Option<&str>) -> Resp {
    let mut body = json!({"user_id": user, "permission": permission});
    if let Some(ws) = ws {
        body["workspace_id"] = json!(ws);
    }
    c.post(&format!("/api/v1/orgs/{org}/check"), body).await
}

fn via(r: &Resp) -> Vec<String> {
    r.json["via"]
        .as_array()
        .unwrap_or_else(|| panic!("no via: {r:?}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_learner_sees_exactly_their_permissions() {
    let (app, o) = TestApp::init().with_owner("own@example.com", "pro", 10, 0).await;
    let (learner, _) = ws_member(&app, &o, &o.ws, "learner@example.com", "learner").await;
    let r = learner.get(&format!("/api/v1/workspaces/{}/permissions", o.ws)).await;
    assert_eq!(perms(&r), sorted(LEARNER));
    assert_eq!(roles(&r), (Some("guest"), Some("learner")));
}

#[tokio::test]
async fn a_trainer_sees_exactly_their_permissions() {
    let (app, o) = TestApp::init().with_owner("own@example.com", "pro", 10, 0).await;
    let (trainer, _) = ws_member(&app, &o, &o.ws, "trainer@example.com", "trainer").await;
    let r = trainer.get(&format!("/api/v1/workspaces/{}/permissions", o.ws)).await;
    assert_eq!(perms(&r), sorted(TRAINER));
    assert_eq!(roles(&r), (Some("guest"), Some("trainer")));
}

#[tokio::test]
async fn a_workspace_owner_sees_exactly_their_permissions() {
    let (app, o) = TestApp::init().with_owner("own@example.com", "pro", 10, 0).await;
    let (wso, _) = ws_member(&app, &o, &o.ws, "wso@example.com", "owner").await;
    let r = wso.get(&format!("/api/v1/workspaces/{}/permissions", o.ws)).await;
    assert_eq!(perms(&r), sorted(WS_OWNER));
    assert_eq!(roles(&r), (Some("guest"), Some("owner")));
}

#[tokio::test]
async fn an_org_owner_has_every_permission() {
    let (app, o) = TestApp::init().with_owner("own@example.com", "enterprise", 10, 0).await;
    let r = o.client.get(&format!("/api/v1/workspaces/{}/permissions", o.ws)).await;
    assert_eq!(perms(&r), sorted(EVERYTHING));
    assert_eq!(roles(&r), (Some("owner"), Some("owner")));
    // Also in a workspace they hold no workspace role in.
    let (second, _) = org_member(&app, &o, "co-owner@example.com", "owner").await;
    let r = second.get(&format!("/api/v1/workspaces/{}/permissions", o.ws)).await;
    assert_eq!(perms(&r), sorted(EVERYTHING));
    assert_eq!(roles(&r), (Some("owner"), None));
}

#[tokio::test]
async fn an_org_viewer_holds_the_org_roles_permissions_in_every_workspace() {
    let (app, o) = TestApp::init().with_owner("own@example.com", "pro", 10, 0).await;
    let (viewer, _) = org_member(&app, &o, "viewer@example.com", "viewer").await;
    let r = viewer.get(&format!("/api/v1/workspaces/{}/permissions", o.ws)).await;
    assert_eq!(
        perms(&r),
        sorted(&["workspace.view", "content.view", "content.view_assigned", "members.view", "assignments.view"])
    );
    assert_eq!(roles(&r), (Some("viewer"), None));
}

#[tokio::test]
async fn a_workspace_the_caller_cannot_view_is_not_found() {
    let (app, o) = TestApp::init().with_owner("own@example.com", "enterprise", 10, 0).await;
    let r = o
        .client
        .post(&format!("/api/v1/orgs/{}/workspaces", o.org), json!({"name": "Second", "credit_limit": 0}))
        .await;
    let second = r.json["id"].as_str().unwrap().to_owned();
    let (learner, _) = ws_member(&app, &o, &o.ws, "learner@example.com", "learner").await;
    learner.get(&format!("/api/v1/workspaces/{second}/permissions")).await.assert_problem(404, "not_found");
    let (stranger, _) = app.user("stranger@example.com").await;
    stranger.get(&format!("/api/v1/workspaces/{}/permissions", o.ws)).await.assert_problem(404, "not_found");
    app.client().get(&format!("/api/v1/workspaces/{}/permissions", o.ws)).await.assert_problem(401, "unauthenticated");
}

#[tokio::test]
async fn another_members_permissions_need_members_view() {
    let (app, o) = TestApp::init().with_owner("own@example.com", "pro", 10, 0).await;
    let (learner, learner_id) = ws_member(&app, &o, &o.ws, "learner@example.com", "learner").await;
    let (trainer, trainer_id) = ws_member(&app, &o, &o.ws, "trainer@example.com", "trainer").await;
    let base = format!("/api/v1/workspaces/{}/permissions", o.ws);
    learner.get(&format!("{base}?user_id={trainer_id}")).await.assert_problem(403, "forbidden");
    learner.get(&format!("{base}?user_id={}", o.user_id)).await.assert_problem(403, "forbidden");
    // Asking about oneself by id needs nothing more.
    assert_eq!(perms(&learner.get(&format!("{base}?user_id={learner_id}")).await), sorted(LEARNER));
    let r = trainer.get(&format!("{base}?user_id={learner_id}")).await;
    assert_eq!(perms(&r), sorted(LEARNER));
    assert_eq!(roles(&r), (Some("guest"), Some("learner")));
    let r = o.client.get(&format!("{base}?user_id={trainer_id}")).await;
    assert_eq!(perms(&r), sorted(TRAINER));
    assert_eq!(roles(&r), (Some("guest"), Some("trainer")));
}

#[tokio::test]
async fn permissions_of_someone_outside_the_org_are_not_found() {
    let (app, o) = TestApp::init().with_owner("own@example.com", "pro", 10, 0).await;
    let other = app.owner("other@example.com", "pro", 10, 0).await;
    let (_, loner) = app.user("loner@example.com").await;
    let base = format!("/api/v1/workspaces/{}/permissions", o.ws);
    for id in [loner.as_str(), other.user_id.as_str(), "0190f0f0-0000-7000-8000-000000000000", "nobody"] {
        o.client.get(&format!("{base}?user_id={id}")).await.assert_problem(404, "not_found");
    }
}

#[tokio::test]
async fn check_answers_with_the_roles_that_grant_the_permission() {
    let (app, o) = TestApp::init().with_owner("own@example.com", "pro", 10, 0).await;
    let (_, trainer) = ws_member(&app, &o, &o.ws, "trainer@example.com", "trainer").await;
    let (_, editor) = org_member(&app, &o, "editor@example.com", "editor").await;
    let (_, learner) = ws_member(&app, &o, &o.ws, "learner@example.com", "learner").await;

    let r = check(&o.client, &o.org, &trainer, "content.create", Some(&o.ws)).await;
    assert_eq!((r.status, r.json["allowed"].as_bool()), (200, Some(true)), "{r:?}");
    assert_eq!(via(&r), vec!["workspace:trainer"]);
    // A workspace role grants nothing at organisation scope.
    let r = check(&o.client, &o.org, &trainer, "content.create", None).await;
    assert_eq!((r.json["allowed"].as_bool(), via(&r)), (Some(false), vec![]));

    let r = check(&o.client, &o.org, &editor, "content.create", Some(&o.ws)).await;
    assert_eq!((r.json["allowed"].as_bool(), via(&r)), (Some(true), vec!["org:editor".to_owned()]), "{r:?}");
    let r = check(&o.client, &o.org, &editor, "content.create", None).await;
    assert_eq!((r.json["allowed"].as_bool(), via(&r)), (Some(true), vec!["org:editor".to_owned()]), "{r:?}");
    let r = check(&o.client, &o.org, &editor, "members.invite", Some(&o.ws)).await;
    assert_eq!((r.json["allowed"].as_bool(), via(&r)), (Some(false), vec![]));

    let r = check(&o.client, &o.org, &learner, "content.create", Some(&o.ws)).await;
    assert_eq!((r.status, r.json["allowed"].as_bool(), via(&r)), (200, Some(false), vec![]), "{r:?}");

    let r = check(&o.client, &o.org, &o.user_id, "reviews.grade", Some(&o.ws)).await;
    assert_eq!(
        (r.json["allowed"].as_bool(), via(&r)),
        (Some(true), vec!["org:owner".to_owned(), "workspace:owner".to_owned()]),
        "{r:?}"
    );
    let r = check(&o.client, &o.org, &o.user_id, "billing.manage", None).await;
    assert_eq!((r.json["allowed"].as_bool(), via(&r)), (Some(true), vec!["org:owner".to_owned()]), "{r:?}");

    // Someone outside the organisation is allowed nothing (or does not exist for this org).
    let (_, loner) = app.user("loner@example.com").await;
    let r = check(&o.client, &o.org, &loner, "workspace.view", Some(&o.ws)).await;
    assert!(r.status == 404 || (r.status == 200 && r.json["allowed"] == false && via(&r).is_empty()), "{r:?}");
}

#[tokio::test]
async fn check_refuses_an_unknown_permission() {
    let (_app, o) = TestApp::init().with_owner("own@example.com", "pro", 10, 0).await;
    for p in ["members.everything", "", "MEMBERS.VIEW", "org:owner"] {
        let r = check(&o.client, &o.org, &o.user_id, p, Some(&o.ws)).await;
        r.assert_problem(422, "validation");
    }
}

#[tokio::test]
async fn only_org_owners_and_owner_keys_may_check() {
    let (app, o) = TestApp::init().with_owner("own@example.com", "pro", 10, 0).await;
    let (wso, _) = ws_member(&app, &o, &o.ws, "wso@example.com", "owner").await;
    let (editor, _) = org_member(&app, &o, "editor@example.com", "editor").await;
    let (learner, learner_id) = ws_member(&app, &o, &o.ws, "learner@example.com", "learner").await;
    for c in [&wso, &editor, &learner] {
        check(c, &o.org, &learner_id, "workspace.view", Some(&o.ws)).await.assert_problem(403, "forbidden");
    }
    let key = |role: &str, ws: Option<&str>| {
        let mut body = json!({"name": format!("{role} key"), "role": role});
        if let Some(ws) = ws {
            body["workspace_id"] = json!(ws);
        }
        let c = o.client.clone();
        let path = format!("/api/v1/orgs/{}/api-keys", o.org);
        async move {
            let r = c.post(&path, body).await;
            assert_eq!(r.status, 201, "{r:?}");
            r.json["key"].as_str().unwrap().to_owned()
        }
    };
    let owner_key = app.key_client(&key("owner", None).await);
    let r = check(&owner_key, &o.org, &learner_id, "workspace.view", Some(&o.ws)).await;
    assert_eq!((r.status, r.json["allowed"].as_bool()), (200, Some(true)), "{r:?}");
    assert_eq!(via(&r), vec!["workspace:learner"]);
    let editor_key = app.key_client(&key("editor", None).await);
    check(&editor_key, &o.org, &learner_id, "workspace.view", Some(&o.ws)).await.assert_problem(403, "forbidden");
    let ws_owner_key = app.key_client(&key("owner", Some(&o.ws)).await);
    check(&ws_owner_key, &o.org, &learner_id, "workspace.view", Some(&o.ws)).await.assert_problem(403, "forbidden");
}

#[tokio::test]
async fn check_with_a_foreign_or_unknown_workspace_is_not_found() {
    let (app, a) = TestApp::init().with_owner("a@a.example", "pro", 10, 0).await;
    let b = app.owner("b@b.example", "pro", 10, 0).await;
    check(&a.client, &a.org, &a.user_id, "workspace.view", Some(&b.ws)).await.assert_problem(404, "not_found");
    check(&a.client, &a.org, &a.user_id, "workspace.view", Some("0190f0f0-0000-7000-8000-000000000000"))
        .await
        .assert_problem(404, "not_found");
    check(&a.client, &b.org, &b.user_id, "workspace.view", Some(&b.ws)).await.assert_problem(404, "not_found");
}

/// One member per workspace role; every permission of the catalogue checked over HTTP against the
/// domain's `WorkspaceRole::permissions()`, in the workspace and at organisation scope.
#[tokio::test]
async fn every_workspace_role_holds_exactly_its_catalogue_permissions_over_http() {
    let (app, o) = TestApp::init().with_owner("own@example.com", "pro", 20, 0).await;
    assert_eq!(WorkspaceRole::ALL.len(), 6);
    for role in WorkspaceRole::ALL {
        let (client, id) = ws_member(&app, &o, &o.ws, &format!("{role}@example.com"), role.as_str()).await;
        let expected = role.permissions();
        for p in Permission::all() {
            let want = expected.contains(p);
            let r = check(&o.client, &o.org, &id, p.as_str(), Some(&o.ws)).await;
            assert_eq!(r.status, 200, "{r:?}");
            assert_eq!(r.json["allowed"].as_bool(), Some(want), "workspace {role} / {}: {r:?}", p.as_str());
            let want_via: Vec<String> = if want { vec![format!("workspace:{role}")] } else { vec![] };
            assert_eq!(via(&r), want_via, "workspace {role} / {}", p.as_str());
            let r = check(&o.client, &o.org, &id, p.as_str(), None).await;
            assert_eq!(
                (r.json["allowed"].as_bool(), via(&r)),
                (Some(false), vec![]),
                "a workspace {role} holds {} at org scope: {r:?}",
                p.as_str()
            );
        }
        // The member's own view agrees with the checks.
        let mine = client.get(&format!("/api/v1/workspaces/{}/permissions", o.ws)).await;
        let mut names: Vec<String> = expected.names().into_iter().map(str::to_owned).collect();
        names.sort();
        assert_eq!(perms(&mine), names, "workspace {role}");
    }
}

/// The organisation columns of the table: each org role checked in a workspace (where it applies
/// too) and at organisation scope against `OrgRole::permissions()`.
#[tokio::test]
async fn every_org_role_holds_exactly_its_catalogue_permissions_over_http() {
    let (app, o) = TestApp::init().with_owner("own@example.com", "pro", 20, 0).await;
    for role in OrgRole::ALL {
        let (_, id) = org_member(&app, &o, &format!("org-{role}@example.com"), role.as_str()).await;
        let expected = role.permissions();
        for p in Permission::all() {
            let want = expected.contains(p);
            let want_via: Vec<String> = if want { vec![format!("org:{role}")] } else { vec![] };
            for ws in [Some(o.ws.as_str()), None] {
                let r = check(&o.client, &o.org, &id, p.as_str(), ws).await;
                assert_eq!(r.status, 200, "{r:?}");
                let got: (Option<bool>, Vec<String>) = (r.json["allowed"].as_bool(), via(&r));
                assert_eq!(
                    got,
                    (Some(want), want_via.clone()),
                    "org {role} / {} (workspace: {})",
                    p.as_str(),
                    ws.is_some()
                );
            }
        }
    }
    // The owner's row of PRODUCT.md: every permission; the guest's: none.
    assert!(Permission::all().all(|p| OrgRole::Owner.permissions().contains(p)));
    assert!(Permission::all().all(|p| !OrgRole::Guest.permissions().contains(p)));
}
