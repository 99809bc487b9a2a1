//! Organisations, workspaces and the credit pool (PRODUCT.md §3 "Create a workspace", API.md
//! "Organisations, workspaces, credits"), and tenant isolation across organisations.

use serde_json::{json, Value};

use lyceum_test_support::{Client, Owner, TestApp};

/// Adds an existing user to the organisation with `role` (org role); returns their client and id.
async fn org_member(app: &TestApp, owner: &Owner, email: &str, role: &str) -> (Client, String) {
    let (c, id) = app.user(email).await;
    let r = owner
        .client
        .post(&format!("/api/v1/orgs/{}/invitations", owner.org), json!({"emails": [email], "role": role}))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json["results"][0]["outcome"], "pending", "{r:?}");
    (c, id)
}

/// Adds an existing user to a workspace with `role` (workspace role).
async fn ws_member(app: &TestApp, owner: &Owner, ws: &str, email: &str, role: &str) -> (Client, String) {
    let (c, id) = app.user(email).await;
    let r = owner
        .client
        .post(&format!("/api/v1/workspaces/{ws}/invitations"), json!({"emails": [email], "role": role}))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json["results"][0]["outcome"], "pending", "{r:?}");
    (c, id)
}

async fn new_workspace(owner: &Owner, name: &str, limit: i64) -> String {
    let r = owner
        .client
        .post(&format!("/api/v1/orgs/{}/workspaces", owner.org), json!({"name": name, "credit_limit": limit}))
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    r.json["id"].as_str().unwrap().to_owned()
}

/// The sum of an organisation's workspace credit limits, read from the database.
async fn allocated_in_db(app: &TestApp, org: &str) -> i64 {
    sqlx::query_scalar("SELECT CAST(COALESCE(SUM(credit_limit), 0) AS BIGINT) FROM workspaces WHERE org_id = $1")
        .bind(org)
        .fetch_one(app.pool())
        .await
        .unwrap()
}

async fn count_for_org(app: &TestApp, table: &str, org: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table} WHERE org_id = $1"))
        .bind(org)
        .fetch_one(app.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn creating_an_org_returns_it_with_one_workspace_named_after_it_and_makes_the_caller_owner() {
    let (app, c, user_id) = TestApp::init().with_user("ada@example.com").await;
    let r = c.post("/api/v1/orgs", json!({"name": "  Analytical Engines  ", "plan": "pro"})).await;
    assert_eq!(r.status, 201, "{r:?}");
    let org = r.json["id"].as_str().unwrap().to_owned();
    assert_eq!(r.json["name"], "Analytical Engines");
    assert_eq!(r.json["plan"], "pro");
    assert_eq!(r.json["seats"], 10, "seats default to 10");
    assert_eq!(r.json["credit_pool"], 0, "the pool defaults to 0");
    let wss = r.json["workspaces"].as_array().unwrap();
    assert_eq!(wss.len(), 1, "{r:?}");
    assert_eq!(wss[0]["name"], "Analytical Engines");
    let ws = wss[0]["id"].as_str().unwrap().to_owned();

    let list = c.get(&format!("/api/v1/orgs/{org}/workspaces")).await;
    assert_eq!(list.status, 200, "{list:?}");
    assert_eq!(list.items().len(), 1);
    assert_eq!(list.items()[0]["id"], ws.as_str());
    assert_eq!(list.items()[0]["credit_limit"], 0);
    assert_eq!(list.items()[0]["credits_used"], 0);

    let got = c.get(&format!("/api/v1/orgs/{org}")).await;
    assert_eq!(got.status, 200, "{got:?}");
    assert_eq!(
        (got.json["id"].as_str(), got.json["name"].as_str(), got.json["plan"].as_str()),
        (Some(org.as_str()), Some("Analytical Engines"), Some("pro"))
    );

    let me = c.get("/api/v1/me").await;
    assert_eq!(me.status, 200, "{me:?}");
    let orgs = me.json["organizations"].as_array().unwrap();
    assert_eq!(orgs.len(), 1, "{me:?}");
    assert_eq!(
        (orgs[0]["id"].as_str(), orgs[0]["role"].as_str(), orgs[0]["status"].as_str()),
        (Some(org.as_str()), Some("owner"), Some("accepted"))
    );
    let my_ws = me.json["workspaces"].as_array().unwrap();
    assert!(
        my_ws.iter().any(|w| w["id"] == ws.as_str() && w["role"] == "owner" && w["organization_id"] == org.as_str()),
        "{me:?}"
    );

    let members = c.get(&format!("/api/v1/orgs/{org}/members")).await;
    assert_eq!(members.status, 200, "{members:?}");
    assert_eq!(members.items().len(), 1);
    assert_eq!(members.items()[0]["user_id"], user_id.as_str());
    assert_eq!(members.items()[0]["role"], "owner");

    let actions = app.audit_actions(&org).await;
    assert_eq!(actions, vec!["org.created", "workspace.created"]);
}

#[tokio::test]
async fn an_org_is_created_with_the_seats_and_pool_asked_for() {
    let (_app, c, _) = TestApp::init().with_user("grace@example.com").await;
    let r =
        c.post("/api/v1/orgs", json!({"name": "Navy", "plan": "enterprise", "seats": 250, "credit_pool": 5000})).await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(
        (r.json["plan"].as_str(), r.json["seats"].as_i64(), r.json["credit_pool"].as_i64()),
        (Some("enterprise"), Some(250), Some(5000))
    );
    let org = r.json["id"].as_str().unwrap();
    let credits = c.get(&format!("/api/v1/orgs/{org}/credits")).await;
    assert_eq!(credits.status, 200, "{credits:?}");
    assert_eq!(
        (credits.json["pool"].as_i64(), credits.json["allocated"].as_i64(), credits.json["unallocated"].as_i64()),
        (Some(5000), Some(0), Some(5000))
    );
}

#[tokio::test]
async fn org_creation_refuses_invalid_input_and_creates_nothing() {
    let (app, c, _) = TestApp::init().with_user("val@example.com").await;
    let long = "x".repeat(201);
    let bad = [
        (json!({"name": "Acme", "plan": "free"}), "plan"),
        (json!({"name": "Acme", "plan": "Pro"}), "plan"),
        (json!({"name": "", "plan": "pro"}), "name"),
        (json!({"name": "   ", "plan": "pro"}), "name"),
        (json!({"name": long, "plan": "pro"}), "name"),
        (json!({"name": "Acme", "plan": "pro", "seats": 0}), "seats"),
        (json!({"name": "Acme", "plan": "pro", "seats": -3}), "seats"),
        (json!({"name": "Acme", "plan": "enterprise", "credit_pool": -1}), "credit_pool"),
    ];
    for (body, field) in bad {
        let r = c.post("/api/v1/orgs", body.clone()).await;
        r.assert_problem(422, "validation");
        let fields: Vec<&str> = r.json["errors"]
            .as_array()
            .map(|e| e.iter().filter_map(|x| x["field"].as_str()).collect())
            .unwrap_or_default();
        assert!(fields.contains(&field), "{body} should blame {field}: {r:?}");
    }
    // Wrongly typed or missing fields are validation errors too.
    for body in [
        json!({"name": "Acme", "plan": "pro", "seats": "ten"}),
        json!({"name": "Acme"}),
        json!({"plan": "pro"}),
        json!({"name": "Acme", "plan": "pro", "credit_pool": 1.5}),
    ] {
        let r = c.post("/api/v1/orgs", body.clone()).await;
        assert_eq!((r.status, r.code()), (422, "validation"), "{body}: {r:?}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM organizations").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM workspaces").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM org_members").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_events WHERE org_id IS NOT NULL").await, 0);
    let me = c.get("/api/v1/me").await;
    assert_eq!(me.json["organizations"].as_array().map(Vec::len), Some(0), "{me:?}");
    // A 200-character name is still fine.
    let ok = c.post("/api/v1/orgs", json!({"name": "y".repeat(200), "plan": "pro"})).await;
    assert_eq!(ok.status, 201, "{ok:?}");
}

#[tokio::test]
async fn creating_an_org_requires_a_signed_in_user() {
    let app = TestApp::spawn().await;
    let r = app.client().post("/api/v1/orgs", json!({"name": "Ghost", "plan": "pro"})).await;
    r.assert_problem(401, "unauthenticated");
    assert_eq!(app.count("SELECT COUNT(*) FROM organizations").await, 0);
}

#[tokio::test]
async fn the_pro_plan_refuses_a_second_workspace() {
    let (app, o) = TestApp::init().with_owner("pro@example.com", "pro", 10, 100).await;
    let r = o
        .client
        .post(&format!("/api/v1/orgs/{}/workspaces", o.org), json!({"name": "Second", "credit_limit": 0}))
        .await;
    r.assert_problem(403, "plan_limit");
    assert_eq!(count_for_org(&app, "workspaces", &o.org).await, 1);
    assert_eq!(app.audit_actions(&o.org).await.iter().filter(|a| *a == "workspace.created").count(), 1);
}

#[tokio::test]
async fn the_enterprise_plan_creates_many_workspaces_owned_by_their_creator() {
    let (app, o) = TestApp::init().with_owner("ent@example.com", "enterprise", 10, 0).await;
    let mut ids = vec![o.ws.clone()];
    for name in ["Sales", "Support", "Engineering", "Legal"] {
        let r = o
            .client
            .post(&format!("/api/v1/orgs/{}/workspaces", o.org), json!({"name": name, "credit_limit": 0}))
            .await;
        assert_eq!(r.status, 201, "{r:?}");
        assert_eq!(r.json["name"], name);
        assert_eq!(r.json["credit_limit"], 0);
        ids.push(r.json["id"].as_str().unwrap().to_owned());
    }
    let list = o.client.get(&format!("/api/v1/orgs/{}/workspaces", o.org)).await;
    let listed: Vec<String> = list.items().iter().map(|w| w["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(listed.len(), 5, "{list:?}");
    for id in &ids {
        assert!(listed.contains(id), "{id} missing from {list:?}");
    }
    let me = o.client.get("/api/v1/me").await;
    let my_ws = me.json["workspaces"].as_array().unwrap();
    for id in &ids {
        assert!(my_ws.iter().any(|w| w["id"] == id.as_str() && w["role"] == "owner"), "{id} not owned in {me:?}");
    }
    assert_eq!(count_for_org(&app, "workspaces", &o.org).await, 5);
}

#[tokio::test]
async fn workspace_creation_never_allocates_beyond_the_pool_but_may_fill_it_exactly() {
    let (app, o) = TestApp::init().with_owner("pool@example.com", "enterprise", 10, 100).await;
    let path = format!("/api/v1/orgs/{}/workspaces", o.org);
    assert_eq!(o.client.post(&path, json!({"name": "A", "credit_limit": 60})).await.status, 201);
    let over = o.client.post(&path, json!({"name": "B", "credit_limit": 41})).await;
    over.assert_problem(409, "credit_pool_exceeded");
    let exact = o.client.post(&path, json!({"name": "B", "credit_limit": 40})).await;
    assert_eq!(exact.status, 201, "exactly filling the pool is allowed: {exact:?}");
    assert_eq!(exact.json["credit_limit"], 40);
    o.client.post(&path, json!({"name": "C", "credit_limit": 1})).await.assert_problem(409, "credit_pool_exceeded");
    assert_eq!(
        o.client.post(&path, json!({"name": "D", "credit_limit": 0})).await.status,
        201,
        "a zero limit always fits"
    );
    assert_eq!(count_for_org(&app, "workspaces", &o.org).await, 4);
    assert_eq!(allocated_in_db(&app, &o.org).await, 100);
    let credits = o.client.get(&format!("/api/v1/orgs/{}/credits", o.org)).await;
    assert_eq!(
        (credits.json["allocated"].as_i64(), credits.json["unallocated"].as_i64()),
        (Some(100), Some(0)),
        "{credits:?}"
    );
}

#[tokio::test]
async fn changing_a_credit_limit_never_allocates_beyond_the_pool_but_may_fill_it_exactly() {
    let (app, o) = TestApp::init().with_owner("patch@example.com", "enterprise", 10, 100).await;
    let b = new_workspace(&o, "B", 30).await;
    let first = format!("/api/v1/workspaces/{}", o.ws);
    o.client.patch(&first, json!({"credit_limit": 71})).await.assert_problem(409, "credit_pool_exceeded");
    let ws = o.client.get(&format!("/api/v1/orgs/{}/workspaces", o.org)).await;
    assert_eq!(
        ws.items().iter().find(|w| w["id"] == o.ws.as_str()).unwrap()["credit_limit"],
        0,
        "a refused change changes nothing"
    );
    let ok = o.client.patch(&first, json!({"credit_limit": 70})).await;
    assert_eq!(ok.status, 200, "{ok:?}");
    assert_eq!(ok.json["credit_limit"], 70);
    // Lowering one frees room for another; a workspace's own old limit does not count against it.
    o.client
        .patch(&format!("/api/v1/workspaces/{b}"), json!({"credit_limit": 31}))
        .await
        .assert_problem(409, "credit_pool_exceeded");
    assert_eq!(o.client.patch(&format!("/api/v1/workspaces/{b}"), json!({"credit_limit": 30})).await.status, 200);
    assert_eq!(o.client.patch(&first, json!({"credit_limit": 20})).await.status, 200);
    assert_eq!(o.client.patch(&format!("/api/v1/workspaces/{b}"), json!({"credit_limit": 80})).await.status, 200);
    assert_eq!(allocated_in_db(&app, &o.org).await, 100);
    let actions = app.audit_actions(&o.org).await;
    assert_eq!(actions.iter().filter(|a| *a == "workspace.updated").count(), 4, "{actions:?}");
}

#[tokio::test]
async fn negative_credit_limits_and_empty_workspace_names_are_validation_errors() {
    let (app, o) = TestApp::init().with_owner("neg@example.com", "enterprise", 10, 100).await;
    let path = format!("/api/v1/orgs/{}/workspaces", o.org);
    o.client.post(&path, json!({"name": "Neg", "credit_limit": -5})).await.assert_problem(422, "validation");
    o.client.post(&path, json!({"name": "  ", "credit_limit": 5})).await.assert_problem(422, "validation");
    o.client
        .patch(&format!("/api/v1/workspaces/{}", o.ws), json!({"credit_limit": -1}))
        .await
        .assert_problem(422, "validation");
    o.client
        .patch(&format!("/api/v1/workspaces/{}", o.ws), json!({"name": ""}))
        .await
        .assert_problem(422, "validation");
    assert_eq!(count_for_org(&app, "workspaces", &o.org).await, 1);
    assert_eq!(allocated_in_db(&app, &o.org).await, 0);
}

#[tokio::test]
async fn the_credits_report_is_consistent_with_the_workspaces() {
    let (app, o) = TestApp::init().with_owner("credits@example.com", "enterprise", 10, 1000).await;
    let a = new_workspace(&o, "Alpha", 100).await;
    let b = new_workspace(&o, "Beta", 250).await;
    let r = o.client.get(&format!("/api/v1/orgs/{}/credits", o.org)).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json["pool"], 1000);
    assert_eq!(r.json["allocated"], 350);
    assert_eq!(r.json["unallocated"], 650);
    let wss = r.json["workspaces"].as_array().unwrap();
    assert_eq!(wss.len(), 3, "{r:?}");
    let find = |id: &str| wss.iter().find(|w| w["id"] == id).cloned().unwrap_or(Value::Null);
    assert_eq!(find(&o.ws)["limit"], 0);
    assert_eq!(find(&a)["limit"], 100);
    assert_eq!(find(&a)["name"], "Alpha");
    assert_eq!(find(&b)["limit"], 250);
    assert!(wss.iter().all(|w| w["used"] == 0), "{r:?}");
    let sum: i64 = wss.iter().map(|w| w["limit"].as_i64().unwrap()).sum();
    assert_eq!(sum, r.json["allocated"].as_i64().unwrap());
    assert_eq!(sum, allocated_in_db(&app, &o.org).await);
    assert_eq!(r.json["pool"].as_i64().unwrap() - sum, r.json["unallocated"].as_i64().unwrap());
}

#[tokio::test]
async fn an_org_editor_cannot_create_workspaces_or_allocate_credits() {
    let (app, o) = TestApp::init().with_owner("boss@example.com", "enterprise", 10, 100).await;
    let (editor, _) = org_member(&app, &o, "ed@example.com", "editor").await;
    editor
        .post(&format!("/api/v1/orgs/{}/workspaces", o.org), json!({"name": "Mine", "credit_limit": 0}))
        .await
        .assert_problem(403, "forbidden");
    editor
        .patch(&format!("/api/v1/workspaces/{}", o.ws), json!({"credit_limit": 50}))
        .await
        .assert_problem(403, "forbidden");
    editor.get(&format!("/api/v1/orgs/{}/credits", o.org)).await.assert_problem(403, "forbidden");
    // Yet the editor does see the organisation and its workspaces.
    assert_eq!(editor.get(&format!("/api/v1/orgs/{}/workspaces", o.org)).await.items().len(), 1);
    assert_eq!(count_for_org(&app, "workspaces", &o.org).await, 1);
    assert_eq!(allocated_in_db(&app, &o.org).await, 0);
}

#[tokio::test]
async fn a_workspace_owner_may_rename_their_workspace_but_not_change_its_credit_limit() {
    let (app, o) = TestApp::init().with_owner("orgboss@example.com", "enterprise", 10, 100).await;
    let ws = new_workspace(&o, "Team", 10).await;
    let (wso, _) = ws_member(&app, &o, &ws, "wsowner@example.com", "owner").await;
    let path = format!("/api/v1/workspaces/{ws}");
    let renamed = wso.patch(&path, json!({"name": "Team Rocket"})).await;
    assert_eq!(renamed.status, 200, "{renamed:?}");
    assert_eq!(renamed.json["name"], "Team Rocket");
    wso.patch(&path, json!({"credit_limit": 50})).await.assert_problem(403, "forbidden");
    // Both at once: refused whole, the name stays as it was.
    wso.patch(&path, json!({"name": "Sneaky", "credit_limit": 50})).await.assert_problem(403, "forbidden");
    let list = o.client.get(&format!("/api/v1/orgs/{}/workspaces", o.org)).await;
    let w = list.items().into_iter().find(|w| w["id"] == ws.as_str()).unwrap();
    assert_eq!((w["name"].as_str(), w["credit_limit"].as_i64()), (Some("Team Rocket"), Some(10)));
    // Creating workspaces is for organisation owners too.
    wso.post(&format!("/api/v1/orgs/{}/workspaces", o.org), json!({"name": "Other", "credit_limit": 0}))
        .await
        .assert_problem(403, "forbidden");
    // A workspace the workspace owner is not in does not exist for them.
    wso.patch(&format!("/api/v1/workspaces/{}", o.ws), json!({"name": "Hijack"}))
        .await
        .assert_problem(404, "not_found");
    assert_eq!(count_for_org(&app, "workspaces", &o.org).await, 2);
}

#[tokio::test]
async fn a_learner_cannot_rename_their_workspace() {
    let (app, o) = TestApp::init().with_owner("lboss@example.com", "pro", 10, 0).await;
    let (learner, _) = ws_member(&app, &o, &o.ws, "learner@example.com", "learner").await;
    learner
        .patch(&format!("/api/v1/workspaces/{}", o.ws), json!({"name": "Mine now"}))
        .await
        .assert_problem(403, "forbidden");
    let org = o.client.get(&format!("/api/v1/orgs/{}", o.org)).await;
    assert_eq!(org.json["workspaces"][0]["name"], "Org of lboss@example.com");
}

#[tokio::test]
async fn parallel_workspace_creations_never_overdraw_the_pool() {
    let (app, o) = TestApp::init().with_owner("race@example.com", "enterprise", 10, 100).await;
    let path = format!("/api/v1/orgs/{}/workspaces", o.org);
    let tasks: Vec<_> = (0..64)
        .map(|i| {
            let c = o.client.clone();
            let path = path.clone();
            tokio::spawn(async move { c.post(&path, json!({"name": format!("ws {i}"), "credit_limit": 10})).await })
        })
        .collect();
    let mut created = 0;
    let mut refused = 0;
    for t in tasks {
        let r = t.await.unwrap();
        match r.status {
            201 => created += 1,
            409 => {
                r.assert_problem(409, "credit_pool_exceeded");
                refused += 1;
            }
            _ => panic!("unexpected answer: {r:?}"),
        }
    }
    assert_eq!((created, refused), (10, 54));
    assert_eq!(allocated_in_db(&app, &o.org).await, 100);
    assert_eq!(count_for_org(&app, "workspaces", &o.org).await, 11);
    let credits = o.client.get(&format!("/api/v1/orgs/{}/credits", o.org)).await;
    assert_eq!((credits.json["allocated"].as_i64(), credits.json["unallocated"].as_i64()), (Some(100), Some(0)));
    let actions = app.audit_actions(&o.org).await;
    assert_eq!(
        actions.iter().filter(|a| *a == "workspace.created").count(),
        11,
        "one audit event per created workspace"
    );
}

#[tokio::test]
async fn parallel_credit_limit_raises_never_overdraw_the_pool() {
    let (app, o) = TestApp::init().with_owner("race2@example.com", "enterprise", 10, 100).await;
    let mut ids = Vec::new();
    for i in 0..31 {
        ids.push(new_workspace(&o, &format!("w{i}"), 0).await);
    }
    ids.push(o.ws.clone());
    let tasks: Vec<_> = ids
        .iter()
        .map(|id| {
            let c = o.client.clone();
            let path = format!("/api/v1/workspaces/{id}");
            tokio::spawn(async move { c.patch(&path, json!({"credit_limit": 10})).await })
        })
        .collect();
    let mut raised = 0;
    for t in tasks {
        let r = t.await.unwrap();
        match r.status {
            200 => raised += 1,
            409 => r.assert_problem(409, "credit_pool_exceeded"),
            _ => panic!("unexpected answer: {r:?}"),
        }
    }
    assert_eq!(raised, 10);
    assert_eq!(allocated_in_db(&app, &o.org).await, 100);
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM workspaces WHERE org_id = '{}' AND credit_limit = 10", o.org)).await,
        10
    );
    let actions = app.audit_actions(&o.org).await;
    assert_eq!(actions.iter().filter(|a| *a == "workspace.updated").count(), 10);
}

/// What org A looks like to its owner, plus the database's counts for it.
async fn snapshot(app: &TestApp, a: &Owner) -> Value {
    let get = |p: String| {
        let c = a.client.clone();
        async move {
            let r = c.get(&p).await;
            assert_eq!(r.status, 200, "{p}: {r:?}");
            r.json
        }
    };
    let mut counts = serde_json::Map::new();
    for table in ["workspaces", "org_members", "workspace_members", "invitations", "api_keys", "audit_events"] {
        counts.insert(table.to_owned(), json!(count_for_org(app, table, &a.org).await));
    }
    let revoked = app
        .count(&format!("SELECT COUNT(*) FROM api_keys WHERE org_id = '{}' AND revoked_at IS NOT NULL", a.org))
        .await;
    let dead_invites = app
        .count(&format!("SELECT COUNT(*) FROM invitations WHERE org_id = '{}' AND revoked_at IS NOT NULL", a.org))
        .await;
    json!({
        "org": get(format!("/api/v1/orgs/{}", a.org)).await,
        "workspaces": get(format!("/api/v1/orgs/{}/workspaces", a.org)).await,
        "credits": get(format!("/api/v1/orgs/{}/credits", a.org)).await,
        "members": get(format!("/api/v1/orgs/{}/members", a.org)).await,
        "ws_members": get(format!("/api/v1/workspaces/{}/members", a.ws)).await,
        "invitations": get(format!("/api/v1/orgs/{}/invitations", a.org)).await,
        "keys": get(format!("/api/v1/orgs/{}/api-keys", a.org)).await,
        "counts": counts,
        "revoked_keys": revoked,
        "revoked_invitations": dead_invites,
    })
}

#[tokio::test]
async fn another_orgs_owner_finds_nothing_of_this_org_and_changes_nothing() {
    let (app, a) = TestApp::init().with_owner("alice@a.example", "enterprise", 10, 100).await;
    let b = app.owner("bob@b.example", "enterprise", 10, 100).await;
    let (_, member_a) = ws_member(&app, &a, &a.ws, "member@a.example", "trainer").await;
    let inv = a
        .client
        .post(&format!("/api/v1/orgs/{}/invitations", a.org), json!({"emails": ["new@a.example"], "role": "viewer"}))
        .await;
    assert_eq!(inv.json["results"][0]["outcome"], "invited", "{inv:?}");
    let invitation = inv.json["results"][0]["invitation_id"].as_str().unwrap().to_owned();
    let key = a.client.post(&format!("/api/v1/orgs/{}/api-keys", a.org), json!({"name": "ci", "role": "viewer"})).await;
    assert_eq!(key.status, 201, "{key:?}");
    let key_id = key.json["id"].as_str().unwrap().to_owned();
    let before = snapshot(&app, &a).await;

    let (org, ws) = (&a.org, &a.ws);
    let probes: Vec<(reqwest::Method, String, Option<Value>)> = vec![
        (reqwest::Method::GET, format!("/api/v1/orgs/{org}"), None),
        (reqwest::Method::GET, format!("/api/v1/orgs/{org}/workspaces"), None),
        (
            reqwest::Method::POST,
            format!("/api/v1/orgs/{org}/workspaces"),
            Some(json!({"name": "Intruder", "credit_limit": 1})),
        ),
        (reqwest::Method::PATCH, format!("/api/v1/workspaces/{ws}"), Some(json!({"name": "Pwned"}))),
        (reqwest::Method::PATCH, format!("/api/v1/workspaces/{ws}"), Some(json!({"credit_limit": 100}))),
        (reqwest::Method::GET, format!("/api/v1/orgs/{org}/credits"), None),
        (reqwest::Method::GET, format!("/api/v1/orgs/{org}/members"), None),
        (reqwest::Method::GET, format!("/api/v1/workspaces/{ws}/members"), None),
        (reqwest::Method::PATCH, format!("/api/v1/orgs/{org}/members/{member_a}"), Some(json!({"role": "owner"}))),
        (reqwest::Method::PATCH, format!("/api/v1/orgs/{org}/members/{}", a.user_id), Some(json!({"role": "guest"}))),
        (reqwest::Method::PATCH, format!("/api/v1/workspaces/{ws}/members/{member_a}"), Some(json!({"role": "owner"}))),
        (reqwest::Method::DELETE, format!("/api/v1/orgs/{org}/members/{member_a}"), None),
        (reqwest::Method::DELETE, format!("/api/v1/workspaces/{ws}/members/{member_a}"), None),
        (
            reqwest::Method::POST,
            format!("/api/v1/workspaces/{ws}/members/remove"),
            Some(json!({"user_ids": [member_a]})),
        ),
        (reqwest::Method::POST, format!("/api/v1/orgs/{org}/members/remove"), Some(json!({"user_ids": [member_a]}))),
        (
            reqwest::Method::POST,
            format!("/api/v1/orgs/{org}/invitations"),
            Some(json!({"emails": ["spy@b.example"], "role": "owner"})),
        ),
        (
            reqwest::Method::POST,
            format!("/api/v1/workspaces/{ws}/invitations"),
            Some(json!({"emails": ["spy@b.example"], "role": "owner"})),
        ),
        (reqwest::Method::GET, format!("/api/v1/orgs/{org}/invitations"), None),
        (reqwest::Method::POST, format!("/api/v1/invitations/{invitation}/resend"), Some(json!({}))),
        (reqwest::Method::DELETE, format!("/api/v1/invitations/{invitation}"), None),
        (reqwest::Method::GET, format!("/api/v1/orgs/{org}/audit"), None),
        (reqwest::Method::GET, format!("/api/v1/orgs/{org}/api-keys"), None),
        (reqwest::Method::POST, format!("/api/v1/orgs/{org}/api-keys"), Some(json!({"name": "mine", "role": "owner"}))),
        (reqwest::Method::DELETE, format!("/api/v1/orgs/{org}/api-keys/{key_id}"), None),
        (
            reqwest::Method::POST,
            format!("/api/v1/orgs/{org}/check"),
            Some(json!({"user_id": member_a, "permission": "content.create", "workspace_id": ws})),
        ),
        (reqwest::Method::GET, format!("/api/v1/workspaces/{ws}/permissions"), None),
        (reqwest::Method::GET, format!("/api/v1/workspaces/{ws}/permissions?user_id={member_a}"), None),
    ];
    for (method, path, body) in probes {
        let r = b.client.send(method.clone(), &path, body, &[]).await;
        assert_eq!((r.status, r.code()), (404, "not_found"), "{method} {path} by another org's owner: {r:?}");
    }
    // Org A's workspace named in a check on org B's own organisation is just as unknown.
    let r = b
        .client
        .post(
            &format!("/api/v1/orgs/{}/check", b.org),
            json!({"user_id": member_a, "permission": "content.view", "workspace_id": a.ws}),
        )
        .await;
    r.assert_problem(404, "not_found");

    let after = snapshot(&app, &a).await;
    assert_eq!(before, after, "org A changed under org B's requests");
    let me_b = b.client.get("/api/v1/me").await;
    assert_eq!(me_b.json["organizations"].as_array().map(Vec::len), Some(1), "{me_b:?}");
}

#[tokio::test]
async fn an_unknown_org_or_workspace_is_not_found() {
    let (_app, o) = TestApp::init().with_owner("nf@example.com", "enterprise", 10, 0).await;
    let ghost = "0190f0f0-0000-7000-8000-000000000000";
    o.client.get(&format!("/api/v1/orgs/{ghost}")).await.assert_problem(404, "not_found");
    o.client
        .post(&format!("/api/v1/orgs/{ghost}/workspaces"), json!({"name": "x", "credit_limit": 0}))
        .await
        .assert_problem(404, "not_found");
    o.client.patch(&format!("/api/v1/workspaces/{ghost}"), json!({"name": "x"})).await.assert_problem(404, "not_found");
    o.client.get(&format!("/api/v1/orgs/{ghost}/credits")).await.assert_problem(404, "not_found");
}
