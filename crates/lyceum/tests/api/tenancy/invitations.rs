//! Invitations (PRODUCT.md §3 "Invite members" and "Seats"; API.md "Members and invitations",
//! "Email"): per-address outcomes, address lists, pending → accepted, signup through the link,
//! resend and revoke, seats, escalation, the invitation list, accepting while signed in, races.

use serde_json::{json, Value};

use lyceum_test_support::{Client, Owner, Resp, TestApp, PASSWORD};

fn org_invitations(org: &str) -> String {
    format!("/api/v1/orgs/{org}/invitations")
}

fn ws_invitations(ws: &str) -> String {
    format!("/api/v1/workspaces/{ws}/invitations")
}

/// The result row of `email` in an invitation batch answer.
#[track_caller]
fn result_of(r: &Resp, email: &str) -> Value {
    r.json["results"]
        .as_array()
        .unwrap_or_else(|| panic!("no results: {r:?}"))
        .iter()
        .find(|x| x["email"] == email)
        .cloned()
        .unwrap_or_else(|| panic!("no result for {email}: {r:?}"))
}

/// `(email, outcome)` of every result, in order.
fn outcomes(r: &Resp) -> Vec<(String, String)> {
    r.json["results"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| (x["email"].as_str().unwrap_or("").to_owned(), x["outcome"].as_str().unwrap_or("").to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// Signs up through an invitation link.
async fn signup_with(app: &TestApp, email: &str, token: &str) -> (Client, Resp) {
    let c = app.client();
    let r = c
        .post(
            "/api/v1/auth/signup",
            json!({"email": email, "password": PASSWORD, "name": "Newcomer", "invitation_token": token}),
        )
        .await;
    (c, r)
}

/// Signs `email` up and lets the owner add them to workspace `ws` with `role` (outcome pending):
/// an org Guest with a workspace role.
async fn ws_member(app: &TestApp, owner: &Owner, ws: &str, email: &str, role: &str) -> (Client, String) {
    let (c, id) = app.user(email).await;
    let r = owner.client.post(&ws_invitations(ws), json!({"emails": [email], "role": role})).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(result_of(&r, email)["outcome"], "pending", "{r:?}");
    (c, id)
}

/// A second workspace of an enterprise organisation.
async fn second_workspace(owner: &Owner, name: &str) -> String {
    let r = owner
        .client
        .post(&format!("/api/v1/orgs/{}/workspaces", owner.org), json!({"name": name, "credit_limit": 0}))
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    r.json["id"].as_str().unwrap().to_owned()
}

/// A member row of a member list, by email.
async fn member_row(c: &Client, list_path: &str, email: &str) -> Option<Value> {
    let r = c.get(list_path).await;
    assert_eq!(r.status, 200, "{r:?}");
    r.items().into_iter().find(|m| m["email"] == email)
}

/// Seats taken, counted independently of the server: members plus the distinct addresses of
/// outstanding invitations that are not members yet.
async fn seats_used(app: &TestApp, org: &str) -> i64 {
    let now = time::OffsetDateTime::now_utc().unix_timestamp() * 1000;
    sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM org_members WHERE org_id = $1) + \
                (SELECT COUNT(DISTINCT i.email) FROM invitations i WHERE i.org_id = $1 AND i.accepted_at IS NULL \
                   AND i.revoked_at IS NULL AND i.expires_at > $2 AND NOT EXISTS \
                   (SELECT 1 FROM org_members m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 AND u.email = i.email))",
    )
    .bind(org)
    .bind(now)
    .fetch_one(app.pool())
    .await
    .unwrap()
}

/// Row counts of every table an invitation can write to.
async fn footprint(app: &TestApp) -> Vec<(&'static str, i64)> {
    let mut out = Vec::new();
    for table in ["users", "org_members", "workspace_members", "invitations", "outbox", "audit_events"] {
        out.push((table, app.count(&format!("SELECT COUNT(*) FROM {table}")).await));
    }
    out
}

/// `(action, actor id)` of an organisation's audit events, oldest first.
async fn audit_rows(app: &TestApp, org: &str) -> Vec<(String, Option<String>)> {
    sqlx::query_as("SELECT action, actor_id FROM audit_events WHERE chain = $1 ORDER BY seq")
        .bind(org)
        .fetch_all(app.pool())
        .await
        .unwrap()
}

/// Sets an invitation's expiry into the past.
async fn expire(app: &TestApp, email: &str) {
    sqlx::query("UPDATE invitations SET expires_at = 1 WHERE email = $1")
        .bind(email)
        .execute(app.pool())
        .await
        .unwrap();
}

// ---------------------------------------------------------------------------------------------
// Outcomes of a batch

#[tokio::test]
async fn a_workspace_batch_gives_each_address_its_own_outcome() {
    let (app, owner) = TestApp::init().with_owner("olivia@example.com", "enterprise", 10, 0).await;
    let harbour = second_workspace(&owner, "Harbour Team").await;
    let (_, member_id) = ws_member(&app, &owner, &harbour, "mia@example.com", "trainer").await;
    let (_, guest_id) = ws_member(&app, &owner, &owner.ws, "gus@example.com", "learner").await;
    let (_, outsider_id) = app.user("uma@example.com").await;
    let mails_to_guest = app.mail_to("gus@example.com").await.len();
    let mails_to_member = app.mail_to("mia@example.com").await.len();

    let r = owner
        .client
        .post(
            &ws_invitations(&harbour),
            json!({"emails": ["mia@example.com", "gus@example.com", "uma@example.com", "nia@example.com", "not an address"], "role": "reviewer"}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        outcomes(&r),
        [
            ("mia@example.com".to_owned(), "already_member".to_owned()),
            ("gus@example.com".to_owned(), "added".to_owned()),
            ("uma@example.com".to_owned(), "pending".to_owned()),
            ("nia@example.com".to_owned(), "invited".to_owned()),
            ("not an address".to_owned(), "invalid".to_owned()),
        ]
    );
    for email in ["mia@example.com", "gus@example.com", "uma@example.com", "not an address"] {
        assert!(
            result_of(&r, email).get("invitation_id").is_none_or(Value::is_null),
            "only invited rows carry an id: {r:?}"
        );
    }
    let invitation_id =
        result_of(&r, "nia@example.com")["invitation_id"].as_str().expect("an invitation id").to_owned();

    let ws_members = format!("/api/v1/workspaces/{harbour}/members");
    let org_members = format!("/api/v1/orgs/{}/members", owner.org);
    // Already a member: nothing changed, not even the role.
    let mia = member_row(&owner.client, &ws_members, "mia@example.com").await.unwrap();
    assert_eq!((mia["user_id"].as_str(), mia["role"].as_str()), (Some(member_id.as_str()), Some("trainer")));
    assert_eq!(app.mail_to("mia@example.com").await.len(), mails_to_member, "no email for an existing member");
    // An org guest gets the workspace at once, without an email.
    let gus = member_row(&owner.client, &ws_members, "gus@example.com").await.expect("guest added to the workspace");
    assert_eq!((gus["user_id"].as_str(), gus["role"].as_str()), (Some(guest_id.as_str()), Some("reviewer")));
    assert_eq!(
        app.mail_to("gus@example.com").await.len(),
        mails_to_guest,
        "no email for an org member added to a workspace"
    );
    assert_eq!(member_row(&owner.client, &org_members, "gus@example.com").await.unwrap()["role"], "guest");
    // An existing user outside the org: org guest + workspace role, both pending, and told by email.
    let uma_org = member_row(&owner.client, &org_members, "uma@example.com").await.expect("outsider joined the org");
    assert_eq!(
        (uma_org["user_id"].as_str(), uma_org["role"].as_str(), uma_org["status"].as_str()),
        (Some(outsider_id.as_str()), Some("guest"), Some("pending"))
    );
    let uma_ws =
        member_row(&owner.client, &ws_members, "uma@example.com").await.expect("outsider joined the workspace");
    assert_eq!((uma_ws["role"].as_str(), uma_ws["status"].as_str()), (Some("reviewer"), Some("pending")));
    let uma_mail = app.mail_to("uma@example.com").await;
    assert_eq!(uma_mail.len(), 1, "{uma_mail:?}");
    assert!(uma_mail[0].contains("added you to") && uma_mail[0].contains("Harbour Team"), "{}", uma_mail[0]);
    assert!(!uma_mail[0].contains("/invite/"), "an existing user gets no signup link");
    assert_eq!(app.invitation_token("uma@example.com").await, None);
    // No account: an invitation with a signup link naming the org, the workspace and the inviter.
    let token = app.invitation_token("nia@example.com").await.expect("an invitation link");
    let nia_mail = app.mail_to("nia@example.com").await;
    assert_eq!(nia_mail.len(), 1);
    let mail = &nia_mail[0];
    assert!(mail.contains(&format!("{}/invite/{token}", app.base)), "{mail}");
    for expected in ["Org of olivia@example.com", "Harbour Team", "olivia", "reviewer"] {
        assert!(mail.contains(expected), "the invitation email names {expected}: {mail}");
    }
    assert!(token.len() >= 22, "a token of at least 128 bits: {token}");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM invitations WHERE id = '{invitation_id}' AND email = 'nia@example.com'"
        ))
        .await,
        1
    );
    // The malformed address wrote nothing and nobody else was added.
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations").await, 1);
    let sql = format!(
        "SELECT COUNT(*) FROM workspace_members WHERE workspace_id = '{harbour}' AND user_id <> '{}'",
        owner.user_id
    );
    assert_eq!(app.count(&sql).await, 3, "mia, gus and uma besides the creator");
}

#[tokio::test]
async fn an_org_batch_gives_each_address_its_own_outcome_with_org_roles() {
    let (app, owner) = TestApp::init().with_owner("olivia@example.com", "pro", 10, 0).await;
    ws_member(&app, &owner, &owner.ws, "gus@example.com", "learner").await;
    app.user("uma@example.com").await;

    let r = owner
        .client
        .post(
            &org_invitations(&owner.org),
            json!({"emails": "gus@example.com, uma@example.com, nia@example.com, @broken", "role": "viewer"}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        outcomes(&r),
        [
            ("gus@example.com".to_owned(), "already_member".to_owned()),
            ("uma@example.com".to_owned(), "pending".to_owned()),
            ("nia@example.com".to_owned(), "invited".to_owned()),
            ("@broken".to_owned(), "invalid".to_owned()),
        ]
    );
    let org_members = format!("/api/v1/orgs/{}/members", owner.org);
    let gus = member_row(&owner.client, &org_members, "gus@example.com").await.unwrap();
    assert_eq!(gus["role"], "guest", "an existing org member keeps their role");
    let uma = member_row(&owner.client, &org_members, "uma@example.com").await.unwrap();
    assert_eq!((uma["role"].as_str(), uma["status"].as_str()), (Some("viewer"), Some("pending")));
    assert_eq!(app.count("SELECT COUNT(*) FROM workspace_members m JOIN users u ON u.id = m.user_id WHERE u.email = 'uma@example.com'").await, 0);
    assert!(app.mail_to("uma@example.com").await[0].contains("added you to"));
    let list = owner.client.get(&org_invitations(&owner.org)).await;
    let items = list.items();
    assert_eq!(items.len(), 1, "{list:?}");
    assert_eq!(items[0]["email"], "nia@example.com");
    assert_eq!(items[0]["org_role"], "viewer");
    assert!(items[0]["workspace_id"].is_null() && items[0]["workspace_role"].is_null(), "{list:?}");
    let token = app.invitation_token("nia@example.com").await.expect("an invitation link");
    let offer = app.client().get(&format!("/api/v1/invitations/by-token/{token}")).await;
    assert_eq!(offer.status, 200, "{offer:?}");
    assert_eq!(offer.json["role"], "viewer");
    assert!(offer.json["workspace_name"].is_null(), "{offer:?}");
}

#[tokio::test]
async fn emails_may_be_one_string_separated_by_commas_and_newlines() {
    let (app, owner) = TestApp::init().with_owner("olivia@example.com", "pro", 10, 0).await;
    let r = owner
        .client
        .post(&ws_invitations(&owner.ws), json!({"emails": "ann@example.com,bob@example.com\n  cat@example.com \r\n,\n\ndan@example.com", "role": "learner"}))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let emails: Vec<String> = outcomes(&r).into_iter().map(|(e, o)| format!("{e}:{o}")).collect();
    assert_eq!(
        emails,
        ["ann@example.com:invited", "bob@example.com:invited", "cat@example.com:invited", "dan@example.com:invited"]
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations").await, 4);
    for e in ["ann@example.com", "bob@example.com", "cat@example.com", "dan@example.com"] {
        assert!(app.invitation_token(e).await.is_some(), "{e} got a link");
    }
}

#[tokio::test]
async fn addresses_are_trimmed_and_deduplicated_case_insensitively() {
    let (app, owner) = TestApp::init().with_owner("olivia@example.com", "pro", 10, 0).await;
    let r = owner
        .client
        .post(
            &ws_invitations(&owner.ws),
            json!({"emails": ["  A@x.com ", "a@X.com", "b@x.com\n", "B@X.COM, a@x.com"], "role": "learner"}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        outcomes(&r),
        [("a@x.com".to_owned(), "invited".to_owned()), ("b@x.com".to_owned(), "invited".to_owned())]
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations").await, 2);
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations WHERE email = 'a@x.com'").await, 1);
    assert_eq!(app.mail_to("a@x.com").await.len(), 1, "one email per address");
    assert_eq!(seats_used(&app, &owner.org).await, 3);
}

#[tokio::test]
async fn an_empty_list_and_unknown_roles_are_refused_and_write_nothing() {
    let (app, owner) = TestApp::init().with_owner("olivia@example.com", "pro", 10, 0).await;
    let before = footprint(&app).await;
    let cases = [
        (ws_invitations(&owner.ws), json!({"emails": ["a@x.com"], "role": "admin"}), "role"),
        (ws_invitations(&owner.ws), json!({"emails": ["a@x.com"], "role": "guest"}), "role"),
        (org_invitations(&owner.org), json!({"emails": ["a@x.com"], "role": "trainer"}), "role"),
        (org_invitations(&owner.org), json!({"emails": " , \n", "role": "viewer"}), "emails"),
        (ws_invitations(&owner.ws), json!({"emails": [], "role": "learner"}), "emails"),
    ];
    for (path, body, field) in cases {
        let r = owner.client.post(&path, body.clone()).await;
        r.assert_problem(422, "validation");
        assert_eq!(r.json["errors"][0]["field"], field, "{body}: {r:?}");
    }
    assert_eq!(footprint(&app).await, before);
}

// ---------------------------------------------------------------------------------------------
// Pending members and signup through the link

#[tokio::test]
async fn a_pending_member_has_their_access_at_once_and_is_accepted_at_next_login() {
    let (app, owner) = TestApp::init().with_owner("olivia@example.com", "pro", 10, 0).await;
    let (uma, uma_id) = ws_member(&app, &owner, &owner.ws, "uma@example.com", "trainer").await;
    let ws_members = format!("/api/v1/workspaces/{}/members", owner.ws);
    let org_members = format!("/api/v1/orgs/{}/members", owner.org);
    assert_eq!(uma.get(&ws_members).await.status, 200, "a pending trainer already sees the members");
    assert_eq!(member_row(&owner.client, &ws_members, "uma@example.com").await.unwrap()["status"], "pending");

    assert_eq!(uma.login("uma@example.com").await.status, 200);
    assert_eq!(member_row(&owner.client, &org_members, "uma@example.com").await.unwrap()["status"], "accepted");
    assert_eq!(member_row(&owner.client, &ws_members, "uma@example.com").await.unwrap()["status"], "accepted");
    let me = uma.get("/api/v1/me").await;
    assert_eq!(me.json["organizations"][0]["status"], "accepted", "{me:?}");
    assert_eq!(me.json["workspaces"][0]["status"], "accepted", "{me:?}");
    let audit = audit_rows(&app, &owner.org).await;
    assert!(audit.contains(&("member.accepted".to_owned(), Some(uma_id.clone()))), "{audit:?}");
    // A second login changes nothing more.
    assert_eq!(uma.login("uma@example.com").await.status, 200);
    assert_eq!(audit_rows(&app, &owner.org).await.iter().filter(|(a, _)| a == "member.accepted").count(), 1);
}

#[tokio::test]
async fn signing_up_through_the_link_joins_the_workspace_accepted() {
    let (app, owner) = TestApp::init().with_owner("olivia@example.com", "pro", 10, 0).await;
    let r =
        owner.client.post(&ws_invitations(&owner.ws), json!({"emails": ["nia@example.com"], "role": "trainer"})).await;
    assert_eq!(r.status, 200);
    let token = app.invitation_token("nia@example.com").await.unwrap();

    let offer = app.client().get(&format!("/api/v1/invitations/by-token/{token}")).await;
    assert_eq!(offer.status, 200, "no authentication needed: {offer:?}");
    assert_eq!(
        offer.json,
        json!({"organization_name": "Org of olivia@example.com", "workspace_name": "Org of olivia@example.com", "email": "nia@example.com", "role": "trainer"})
    );

    let (nia, r) = signup_with(&app, "Nia@Example.com", &token).await;
    assert_eq!(r.status, 201, "{r:?}");
    let nia_id = r.json["user"]["id"].as_str().unwrap().to_owned();
    let me = nia.get("/api/v1/me").await;
    assert_eq!(
        me.json["organizations"],
        json!([{"id": owner.org, "name": "Org of olivia@example.com", "role": "guest", "status": "accepted"}])
    );
    assert_eq!(me.json["workspaces"][0]["id"], owner.ws.as_str());
    assert_eq!(
        (me.json["workspaces"][0]["role"].as_str(), me.json["workspaces"][0]["status"].as_str()),
        (Some("trainer"), Some("accepted"))
    );
    assert_eq!(
        nia.get(&format!("/api/v1/workspaces/{}/members", owner.ws)).await.status,
        200,
        "a trainer's access works at once"
    );
    let list = owner.client.get(&org_invitations(&owner.org)).await;
    assert_eq!(list.items()[0]["status"], "accepted", "{list:?}");
    assert_eq!(seats_used(&app, &owner.org).await, 2, "the accepted member holds one seat, the invitation none");
    let audit = audit_rows(&app, &owner.org).await;
    assert!(audit.contains(&("invitation.accepted".to_owned(), Some(nia_id))), "{audit:?}");
}

#[tokio::test]
async fn signup_with_another_address_than_invited_is_refused_and_creates_nothing() {
    let (app, owner) = TestApp::init().with_owner("olivia@example.com", "pro", 10, 0).await;
    owner.client.post(&ws_invitations(&owner.ws), json!({"emails": ["nia@example.com"], "role": "learner"})).await;
    let token = app.invitation_token("nia@example.com").await.unwrap();
    let before = footprint(&app).await;
    let (c, r) = signup_with(&app, "mallory@example.com", &token).await;
    r.assert_problem(422, "validation");
    assert_eq!(r.json["errors"][0]["field"], "email");
    assert!(r.header("set-cookie").is_none(), "no session");
    assert_eq!(footprint(&app).await, before, "no user, no membership, nothing audited");
    c.get("/api/v1/me").await.assert_problem(401, "unauthenticated");
    let (_, r) = signup_with(&app, "nia@example.com", &token).await;
    assert_eq!(r.status, 201, "the token still works for the invited address: {r:?}");
}

#[tokio::test]
async fn an_invitation_token_works_once() {
    let (app, owner) = TestApp::init().with_owner("olivia@example.com", "pro", 10, 0).await;
    owner.client.post(&org_invitations(&owner.org), json!({"emails": ["nia@example.com"], "role": "editor"})).await;
    let token = app.invitation_token("nia@example.com").await.unwrap();
    let (_, first) = signup_with(&app, "nia@example.com", &token).await;
    assert_eq!(first.status, 201, "{first:?}");
    let (_, second) = signup_with(&app, "nia@example.com", &token).await;
    second.assert_problem(410, "invalid_token");
    app.client().get(&format!("/api/v1/invitations/by-token/{token}")).await.assert_problem(410, "invalid_token");
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE email = 'nia@example.com'").await, 1);
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM org_members WHERE org_id = '{}' AND role = 'editor'", owner.org))
            .await,
        1
    );
}

#[tokio::test]
async fn an_expired_invitation_is_dead_and_takes_no_seat() {
    let (app, owner) = TestApp::init().with_owner("olivia@example.com", "pro", 10, 0).await;
    owner.client.post(&ws_invitations(&owner.ws), json!({"emails": ["nia@example.com"], "role": "learner"})).await;
    let token = app.invitation_token("nia@example.com").await.unwrap();
    assert_eq!(seats_used(&app, &owner.org).await, 2);
    expire(&app, "nia@example.com").await;
    app.client().get(&format!("/api/v1/invitations/by-token/{token}")).await.assert_problem(410, "invalid_token");
    let before = footprint(&app).await;
    let (_, r) = signup_with(&app, "nia@example.com", &token).await;
    r.assert_problem(410, "invalid_token");
    assert_eq!(footprint(&app).await, before);
    assert_eq!(owner.client.get(&org_invitations(&owner.org)).await.items()[0]["status"], "expired");
    assert_eq!(seats_used(&app, &owner.org).await, 1);
}

#[tokio::test]
async fn unknown_tokens_are_gone_and_the_lookup_never_needs_a_session() {
    let app = TestApp::spawn().await;
    app.client().get("/api/v1/invitations/by-token/not-a-real-token").await.assert_problem(410, "invalid_token");
    let (_, r) = signup_with(&app, "nia@example.com", "not-a-real-token").await;
    r.assert_problem(410, "invalid_token");
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 0);
}

// ---------------------------------------------------------------------------------------------
// Resend and revoke

#[tokio::test]
async fn resending_issues_a_new_token_and_kills_the_old_one() {
    let (app, owner) = TestApp::init().with_owner("olivia@example.com", "pro", 10, 0).await;
    let r =
        owner.client.post(&ws_invitations(&owner.ws), json!({"emails": ["nia@example.com"], "role": "learner"})).await;
    let id = result_of(&r, "nia@example.com")["invitation_id"].as_str().unwrap().to_owned();
    let old = app.invitation_token("nia@example.com").await.unwrap();

    let r = owner.client.post(&format!("/api/v1/invitations/{id}/resend"), json!({})).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!((r.json["id"].as_str(), r.json["status"].as_str()), (Some(id.as_str()), Some("pending")));
    assert!(!r.text.contains(&old), "no token in the answer");
    assert_eq!(app.mail_to("nia@example.com").await.len(), 2, "a second email");
    let new = app.invitation_token("nia@example.com").await.unwrap();
    assert_ne!(new, old);
    app.client().get(&format!("/api/v1/invitations/by-token/{old}")).await.assert_problem(410, "invalid_token");
    let (_, r) = signup_with(&app, "nia@example.com", &old).await;
    r.assert_problem(410, "invalid_token");
    assert_eq!(app.client().get(&format!("/api/v1/invitations/by-token/{new}")).await.status, 200);
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations").await, 1, "the same invitation, reissued");
    assert_eq!(seats_used(&app, &owner.org).await, 2, "still one seat");
    let (_, r) = signup_with(&app, "nia@example.com", &new).await;
    assert_eq!(r.status, 201, "{r:?}");
}

#[tokio::test]
async fn revoking_kills_the_token_and_frees_the_seat() {
    let (app, owner) = TestApp::init().with_owner("olivia@example.com", "pro", 2, 0).await;
    let r =
        owner.client.post(&ws_invitations(&owner.ws), json!({"emails": ["nia@example.com"], "role": "learner"})).await;
    let id = result_of(&r, "nia@example.com")["invitation_id"].as_str().unwrap().to_owned();
    let token = app.invitation_token("nia@example.com").await.unwrap();
    owner
        .client
        .post(&ws_invitations(&owner.ws), json!({"emails": ["zoe@example.com"], "role": "learner"}))
        .await
        .assert_problem(409, "seat_limit");

    let r = owner.client.delete(&format!("/api/v1/invitations/{id}")).await;
    assert_eq!(r.status, 204, "{r:?}");
    app.client().get(&format!("/api/v1/invitations/by-token/{token}")).await.assert_problem(410, "invalid_token");
    let (_, r) = signup_with(&app, "nia@example.com", &token).await;
    r.assert_problem(410, "invalid_token");
    assert_eq!(owner.client.get(&org_invitations(&owner.org)).await.items()[0]["status"], "revoked");
    assert_eq!(seats_used(&app, &owner.org).await, 1);
    let r =
        owner.client.post(&ws_invitations(&owner.ws), json!({"emails": ["zoe@example.com"], "role": "learner"})).await;
    assert_eq!(r.status, 200, "the freed seat is usable: {r:?}");
    // Revoking twice is a conflict, and a revoked invitation cannot be resent.
    owner.client.delete(&format!("/api/v1/invitations/{id}")).await.assert_problem(409, "conflict");
    owner.client.post(&format!("/api/v1/invitations/{id}/resend"), json!({})).await.assert_problem(409, "conflict");
}

#[tokio::test]
async fn an_accepted_invitation_can_be_neither_resent_nor_revoked() {
    let (app, owner) = TestApp::init().with_owner("olivia@example.com", "pro", 10, 0).await;
    let r =
        owner.client.post(&ws_invitations(&owner.ws), json!({"emails": ["nia@example.com"], "role": "learner"})).await;
    let id = result_of(&r, "nia@example.com")["invitation_id"].as_str().unwrap().to_owned();
    let token = app.invitation_token("nia@example.com").await.unwrap();
    assert_eq!(signup_with(&app, "nia@example.com", &token).await.1.status, 201);
    let before = footprint(&app).await;
    owner.client.post(&format!("/api/v1/invitations/{id}/resend"), json!({})).await.assert_problem(409, "conflict");
    owner.client.delete(&format!("/api/v1/invitations/{id}")).await.assert_problem(409, "conflict");
    assert_eq!(footprint(&app).await, before, "no email, no audit event");
    assert_eq!(owner.client.get(&org_invitations(&owner.org)).await.items()[0]["status"], "accepted");
}

#[tokio::test]
async fn another_organisations_owner_cannot_resend_or_revoke() {
    let (app, owner) = TestApp::init().with_owner("olivia@example.com", "pro", 10, 0).await;
    let stranger = app.owner("sam@example.com", "pro", 10, 0).await;
    let r =
        owner.client.post(&ws_invitations(&owner.ws), json!({"emails": ["nia@example.com"], "role": "learner"})).await;
    let id = result_of(&r, "nia@example.com")["invitation_id"].as_str().unwrap().to_owned();
    let token = app.invitation_token("nia@example.com").await.unwrap();
    let before = footprint(&app).await;
    stranger.client.post(&format!("/api/v1/invitations/{id}/resend"), json!({})).await.assert_problem(404, "not_found");
    stranger.client.delete(&format!("/api/v1/invitations/{id}")).await.assert_problem(404, "not_found");
    let missing = stranger.client.delete("/api/v1/invitations/00000000-0000-7000-8000-000000000000").await;
    missing.assert_problem(404, "not_found");
    stranger.client.get(&org_invitations(&owner.org)).await.assert_problem(404, "not_found");
    stranger
        .client
        .post(&ws_invitations(&owner.ws), json!({"emails": ["x@example.com"], "role": "learner"}))
        .await
        .assert_problem(404, "not_found");
    assert_eq!(footprint(&app).await, before);
    assert_eq!(
        app.client().get(&format!("/api/v1/invitations/by-token/{token}")).await.status,
        200,
        "the token still works"
    );
}

#[tokio::test]
async fn a_workspace_owner_manages_their_workspace_invitations_but_not_org_ones() {
    let (app, owner) = TestApp::init().with_owner("olivia@example.com", "enterprise", 20, 0).await;
    let harbour = second_workspace(&owner, "Harbour Team").await;
    let (wendy, _) = ws_member(&app, &owner, &owner.ws, "wendy@example.com", "owner").await;
    let id_of = |r: &Resp, e: &str| result_of(r, e)["invitation_id"].as_str().unwrap().to_owned();
    let mine = id_of(
        &owner
            .client
            .post(
                &ws_invitations(&owner.ws),
                json!({"emails": ["ann@example.com", "bob@example.com"], "role": "learner"}),
            )
            .await,
        "ann@example.com",
    );
    let bob: String = sqlx::query_scalar("SELECT id FROM invitations WHERE email = 'bob@example.com'")
        .fetch_one(app.pool())
        .await
        .unwrap();
    let org_scope = id_of(
        &owner
            .client
            .post(&org_invitations(&owner.org), json!({"emails": ["cat@example.com"], "role": "viewer"}))
            .await,
        "cat@example.com",
    );
    let other_ws = id_of(
        &owner.client.post(&ws_invitations(&harbour), json!({"emails": ["dan@example.com"], "role": "learner"})).await,
        "dan@example.com",
    );

    let r = wendy.post(&format!("/api/v1/invitations/{mine}/resend"), json!({})).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(app.mail_to("ann@example.com").await.len(), 2);
    assert_eq!(wendy.delete(&format!("/api/v1/invitations/{bob}")).await.status, 204);

    let before = footprint(&app).await;
    for id in [&org_scope, &other_ws] {
        wendy.post(&format!("/api/v1/invitations/{id}/resend"), json!({})).await.assert_problem(404, "not_found");
        wendy.delete(&format!("/api/v1/invitations/{id}")).await.assert_problem(404, "not_found");
    }
    assert_eq!(footprint(&app).await, before);
    let statuses: Vec<(String, Option<i64>)> = sqlx::query_as("SELECT email, revoked_at FROM invitations WHERE email IN ('cat@example.com', 'dan@example.com') ORDER BY email")
        .fetch_all(app.pool())
        .await
        .unwrap();
    assert!(statuses.iter().all(|(_, revoked)| revoked.is_none()), "{statuses:?}");
    // The workspace owner sees their workspace's invitations, not the organisation's list.
    wendy.get(&org_invitations(&owner.org)).await.assert_problem(403, "forbidden");
    let scoped = wendy.get(&format!("{}?workspace_id={}", org_invitations(&owner.org), owner.ws)).await;
    assert_eq!(scoped.status, 200, "{scoped:?}");
    let mut emails: Vec<String> = scoped.items().iter().map(|i| i["email"].as_str().unwrap().to_owned()).collect();
    emails.sort();
    assert_eq!(emails, ["ann@example.com", "bob@example.com"]);
}

// ---------------------------------------------------------------------------------------------
// Seats

#[tokio::test]
async fn a_batch_over_the_free_seats_is_refused_whole_and_writes_nothing() {
    let (app, owner) = TestApp::init().with_owner("olivia@example.com", "pro", 3, 0).await;
    app.user("uma@example.com").await;
    let before = footprint(&app).await;
    let audit_before = audit_rows(&app, &owner.org).await;
    for body in [
        json!({"emails": ["a@x.com", "b@x.com", "c@x.com"], "role": "learner"}),
        json!({"emails": ["uma@example.com", "a@x.com", "b@x.com", "bad address"], "role": "learner"}),
    ] {
        let r = owner.client.post(&ws_invitations(&owner.ws), body).await;
        r.assert_problem(409, "seat_limit");
    }
    owner
        .client
        .post(&org_invitations(&owner.org), json!({"emails": "a@x.com\nb@x.com\nc@x.com", "role": "viewer"}))
        .await
        .assert_problem(409, "seat_limit");
    assert_eq!(footprint(&app).await, before, "no members, no invitations, no outbox rows, no audit events");
    assert_eq!(audit_rows(&app, &owner.org).await, audit_before);
    assert!(app.mail_to("a@x.com").await.is_empty());

    let r = owner
        .client
        .post(&ws_invitations(&owner.ws), json!({"emails": ["a@x.com", "b@x.com"], "role": "learner"}))
        .await;
    assert_eq!(r.status, 200, "two seats are free: {r:?}");
    assert_eq!(seats_used(&app, &owner.org).await, 3);
    owner
        .client
        .post(&ws_invitations(&owner.ws), json!({"emails": ["c@x.com"], "role": "learner"}))
        .await
        .assert_problem(409, "seat_limit");
}

#[tokio::test]
async fn pending_members_and_invitations_both_take_seats() {
    let (app, owner) = TestApp::init().with_owner("olivia@example.com", "pro", 3, 0).await;
    app.user("uma@example.com").await;
    app.user("ulf@example.com").await;
    let r = owner
        .client
        .post(&ws_invitations(&owner.ws), json!({"emails": ["uma@example.com", "nia@example.com"], "role": "learner"}))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(seats_used(&app, &owner.org).await, 3);
    owner
        .client
        .post(&ws_invitations(&owner.ws), json!({"emails": ["ulf@example.com"], "role": "learner"}))
        .await
        .assert_problem(409, "seat_limit");
    owner
        .client
        .post(&ws_invitations(&owner.ws), json!({"emails": ["zed@example.com"], "role": "learner"}))
        .await
        .assert_problem(409, "seat_limit");
    // Already-members and org members added to a workspace need no new seat, even when full.
    let r =
        owner.client.post(&org_invitations(&owner.org), json!({"emails": ["uma@example.com"], "role": "viewer"})).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(result_of(&r, "uma@example.com")["outcome"], "already_member");
}

#[tokio::test]
async fn re_inviting_an_address_takes_no_second_seat() {
    let (app, owner) = TestApp::init().with_owner("olivia@example.com", "pro", 2, 0).await;
    let first =
        owner.client.post(&ws_invitations(&owner.ws), json!({"emails": ["nia@example.com"], "role": "learner"})).await;
    assert_eq!(first.status, 200);
    let again =
        owner.client.post(&ws_invitations(&owner.ws), json!({"emails": ["NIA@example.com"], "role": "trainer"})).await;
    assert_eq!(again.status, 200, "the same address again needs no new seat: {again:?}");
    assert_eq!(result_of(&again, "nia@example.com")["outcome"], "invited");
    assert_eq!(
        result_of(&again, "nia@example.com")["invitation_id"],
        result_of(&first, "nia@example.com")["invitation_id"]
    );
    let org_too =
        owner.client.post(&org_invitations(&owner.org), json!({"emails": ["nia@example.com"], "role": "viewer"})).await;
    assert_eq!(org_too.status, 200, "another scope, same person, same seat: {org_too:?}");
    assert_eq!(seats_used(&app, &owner.org).await, 2);
    let org_again =
        owner.client.post(&org_invitations(&owner.org), json!({"emails": ["nia@example.com"], "role": "editor"})).await;
    assert_eq!(org_again.status, 200, "{org_again:?}");
    assert_eq!(
        result_of(&org_again, "nia@example.com")["invitation_id"],
        result_of(&org_too, "nia@example.com")["invitation_id"],
        "the org invitation, reissued"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM invitations WHERE workspace_id IS NULL AND workspace_role IS NULL AND org_role = 'editor'")
            .await,
        1,
        "with the new role"
    );
    assert_eq!(seats_used(&app, &owner.org).await, 2);
    owner
        .client
        .post(&ws_invitations(&owner.ws), json!({"emails": ["zoe@example.com"], "role": "learner"}))
        .await
        .assert_problem(409, "seat_limit");
}

#[tokio::test]
async fn an_invited_address_that_signed_up_meanwhile_takes_no_second_seat_when_added() {
    let (app, owner) = TestApp::init().with_owner("olivia@example.com", "pro", 2, 0).await;
    let r =
        owner.client.post(&ws_invitations(&owner.ws), json!({"emails": ["nia@example.com"], "role": "learner"})).await;
    assert_eq!(r.status, 200);
    // Nia signs up on her own, without the link; she still holds the invitation's seat.
    app.user("nia@example.com").await;
    assert_eq!(seats_used(&app, &owner.org).await, 2);
    let r =
        owner.client.post(&ws_invitations(&owner.ws), json!({"emails": ["nia@example.com"], "role": "learner"})).await;
    assert_eq!(r.status, 200, "adding her takes the seat her invitation already holds: {r:?}");
    assert_eq!(result_of(&r, "nia@example.com")["outcome"], "pending");
    assert_eq!(seats_used(&app, &owner.org).await, 2);
}

// ---------------------------------------------------------------------------------------------
// Large batches: every kind of write spans several multi-row statements (1,000 rows each)

/// Accounts written straight into the database (signing thousands up would take minutes);
/// returns their ids in the order of `emails`.
async fn accounts(app: &TestApp, emails: &[String]) -> Vec<String> {
    let mut tx = app.pool().begin().await.unwrap();
    let mut ids = Vec::with_capacity(emails.len());
    for email in emails {
        let id = uuid::Uuid::now_v7().to_string();
        sqlx::query(
            "INSERT INTO users (id, email, name, password_hash, created_at, updated_at) VALUES ($1, $2, $3, 'x', 0, 0)",
        )
        .bind(&id)
        .bind(email)
        .bind(email.split('@').next().unwrap())
        .execute(&mut *tx)
        .await
        .unwrap();
        ids.push(id);
    }
    tx.commit().await.unwrap();
    ids
}

/// Makes `user_ids` org guests with `status`, and accepted learners of workspace `ws` if given.
async fn join(app: &TestApp, org: &str, ws: Option<&str>, user_ids: &[String], status: &str) {
    let mut tx = app.pool().begin().await.unwrap();
    for id in user_ids {
        sqlx::query(
            "INSERT INTO org_members (org_id, user_id, role, status, created_at, updated_at) \
             VALUES ($1, $2, 'guest', $3, 0, 0)",
        )
        .bind(org)
        .bind(id)
        .bind(status)
        .execute(&mut *tx)
        .await
        .unwrap();
        if let Some(ws) = ws {
            sqlx::query(
                "INSERT INTO workspace_members (workspace_id, user_id, org_id, role, status, created_at, updated_at) \
                 VALUES ($1, $2, $3, 'learner', $4, 0, 0)",
            )
            .bind(ws)
            .bind(id)
            .bind(org)
            .bind(status)
            .execute(&mut *tx)
            .await
            .unwrap();
        }
    }
    tx.commit().await.unwrap();
}

async fn set_seats(app: &TestApp, org: &str, seats: i64) {
    sqlx::query("UPDATE organizations SET seats = $1 WHERE id = $2")
        .bind(seats)
        .bind(org)
        .execute(app.pool())
        .await
        .unwrap();
}

/// `(email, id, token hash)` of the invitations to a workspace, by email.
async fn workspace_invitations(app: &TestApp, ws: &str) -> Vec<(String, String, String)> {
    sqlx::query_as("SELECT email, id, token_hash FROM invitations WHERE workspace_id = $1 ORDER BY email, id")
        .bind(ws)
        .fetch_all(app.pool())
        .await
        .unwrap()
}

/// The lists taken in turn, one address of each at a time: every kind of outcome is spread
/// over the whole batch, as in a pasted list.
fn interleave(lists: &[&Vec<String>]) -> Vec<String> {
    let longest = lists.iter().map(|l| l.len()).max().unwrap_or(0);
    (0..longest).flat_map(|i| lists.iter().filter_map(move |l| l.get(i).cloned())).collect()
}

#[tokio::test]
async fn a_batch_of_thousands_mixing_every_outcome_writes_one_invitation_email_and_event_per_address() {
    use std::collections::{BTreeMap, BTreeSet, HashMap};

    use sha2::{Digest, Sha256};

    let (app, owner) = TestApp::init().with_owner("olivia@example.com", "enterprise", 100_000, 0).await;
    let harbour = second_workspace(&owner, "Harbour Team").await;
    let list = |kind: &str, n: usize| (0..n).map(|i| format!("{kind}{i:04}@example.com")).collect::<Vec<_>>();
    let new = list("new", 1_200);
    let outsiders = list("outsider", 1_100);
    let pending = list("pending", 40);
    let members = list("member", 5);
    let resent = list("resent", 1_050);
    let org_invited = list("orginvited", 20);
    let outsider_ids = accounts(&app, &outsiders).await;
    let pending_ids = accounts(&app, &pending).await;
    join(&app, &owner.org, None, &pending_ids, "pending").await;
    let member_ids = accounts(&app, &members).await;
    join(&app, &owner.org, Some(&harbour), &member_ids, "accepted").await;
    let r = owner.client.post(&ws_invitations(&harbour), json!({"emails": resent, "role": "learner"})).await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = owner.client.post(&org_invitations(&owner.org), json!({"emails": org_invited, "role": "viewer"})).await;
    assert_eq!(r.status, 200, "{r:?}");
    let earlier: BTreeMap<String, (String, String)> =
        workspace_invitations(&app, &harbour).await.into_iter().map(|(e, id, hash)| (e, (id, hash))).collect();
    assert_eq!(earlier.len(), resent.len());

    let mut emails = interleave(&[&new, &outsiders, &pending, &members, &resent, &org_invited]);
    emails.insert(1_234, "not an address".to_owned());
    let body = json!({"emails": emails, "role": "learner"});
    // New seats: the new addresses and the outsiders; the others hold theirs already.
    let needed = seats_used(&app, &owner.org).await + (new.len() + outsiders.len()) as i64;

    // One seat short: refused whole before anything is written.
    set_seats(&app, &owner.org, needed - 1).await;
    let before = footprint(&app).await;
    let audit_before = audit_rows(&app, &owner.org).await;
    owner.client.post(&ws_invitations(&harbour), body.clone()).await.assert_problem(409, "seat_limit");
    assert_eq!(footprint(&app).await, before, "no members, no invitations, no outbox rows, no audit events");
    assert_eq!(audit_rows(&app, &owner.org).await, audit_before);
    let unchanged: BTreeMap<String, (String, String)> =
        workspace_invitations(&app, &harbour).await.into_iter().map(|(e, id, hash)| (e, (id, hash))).collect();
    assert_eq!(unchanged, earlier, "no token reissued");

    set_seats(&app, &owner.org, needed).await;
    let outbox_before: BTreeSet<String> =
        sqlx::query_scalar("SELECT id FROM outbox").fetch_all(app.pool()).await.unwrap().into_iter().collect();
    let r = owner.client.post(&ws_invitations(&harbour), body).await;
    assert_eq!(r.status, 200, "{r:?}");
    let answered: HashMap<String, (String, Option<String>)> = r.json["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            let id = x["invitation_id"].as_str().map(str::to_owned);
            (x["email"].as_str().unwrap().to_owned(), (x["outcome"].as_str().unwrap().to_owned(), id))
        })
        .collect();
    assert_eq!(answered.len(), emails.len(), "one result per address");
    assert_eq!(answered["not an address"].0, "invalid");
    for (kind, outcome) in [
        (&new, "invited"),
        (&outsiders, "pending"),
        (&pending, "added"),
        (&members, "already_member"),
        (&resent, "invited"),
        (&org_invited, "invited"),
    ] {
        for email in kind {
            assert_eq!(answered[email].0, outcome, "{email}");
        }
    }

    // Invitations: exactly one to the workspace per invited address; a reissued one keeps its
    // id with a new token.
    let invited: BTreeSet<&String> = new.iter().chain(&resent).chain(&org_invited).collect();
    let rows = workspace_invitations(&app, &harbour).await;
    assert_eq!(rows.len(), invited.len(), "one invitation per invited address");
    let rows: BTreeMap<String, (String, String)> = rows.into_iter().map(|(e, id, hash)| (e, (id, hash))).collect();
    assert_eq!(rows.keys().collect::<BTreeSet<_>>(), invited);
    for (email, (id, hash)) in &rows {
        assert_eq!(answered[email].1.as_ref(), Some(id), "{email}: the answered id is the stored one");
        if let Some((earlier_id, earlier_hash)) = earlier.get(email) {
            assert_eq!((id, hash != earlier_hash), (earlier_id, true), "{email}: same invitation, new token");
        }
    }
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM invitations WHERE workspace_id = '{harbour}' AND org_role = 'guest' \
             AND workspace_role = 'learner' AND accepted_at IS NULL AND revoked_at IS NULL"
        ))
        .await,
        invited.len() as i64
    );

    // Mail: exactly one message per invited or added address, to that address; each invitation
    // carries the token stored (hashed) for its recipient, each added account a sign-in notice.
    let mails: Vec<(String, String, String)> = sqlx::query_as("SELECT id, recipient, text_body FROM outbox")
        .fetch_all(app.pool())
        .await
        .unwrap()
        .into_iter()
        .filter(|(id, _, _): &(String, String, String)| !outbox_before.contains(id))
        .collect();
    let mut to: BTreeMap<&str, &str> = BTreeMap::new();
    for (_, recipient, text) in &mails {
        assert!(to.insert(recipient, text).is_none(), "a second message to {recipient}");
    }
    let mailed: BTreeSet<&String> = invited.iter().copied().chain(&outsiders).collect();
    assert_eq!(
        to.keys().map(|e| e.to_string()).collect::<BTreeSet<_>>(),
        mailed.iter().map(|e| e.to_string()).collect()
    );
    let marker = format!("{}/invite/", app.base);
    for (email, (_, hash)) in &rows {
        let text = to[email.as_str()];
        let start = text.find(&marker).unwrap_or_else(|| panic!("no link to {email}: {text}")) + marker.len();
        let token: String =
            text[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
        assert_eq!(&hex::encode(Sha256::digest(token.as_bytes())), hash, "{email} got their own token");
    }
    for email in &outsiders {
        let text = to[email.as_str()];
        assert!(text.contains("added you to") && !text.contains("/invite/"), "{email}: {text}");
    }

    // Audit: one event per written address, in one unbroken chain.
    let events: Vec<(String, String)> =
        sqlx::query_as("SELECT action, target_id FROM audit_events WHERE chain = $1 AND seq > $2 ORDER BY seq")
            .bind(&owner.org)
            .bind(audit_before.len() as i64)
            .fetch_all(app.pool())
            .await
            .unwrap();
    let mut expected: Vec<(String, String)> = Vec::new();
    for email in new.iter().chain(&org_invited) {
        expected.push(("invitation.sent".into(), rows[email].0.clone()));
    }
    for email in &resent {
        expected.push(("invitation.resent".into(), rows[email].0.clone()));
    }
    for id in outsider_ids.iter().chain(&pending_ids) {
        expected.push(("member.added".into(), id.clone()));
    }
    let (mut got, mut want) = (events.clone(), expected);
    got.sort();
    want.sort();
    assert_eq!(got.len(), want.len(), "one event per written address");
    assert_eq!(got, want);
    let mut conn = app.pool().acquire().await.unwrap();
    let (_, breaks) = crate::server_internals::audit_chain::verify(&mut conn).await.unwrap();
    assert_eq!(breaks, vec![], "the chain verifies");

    // Memberships: outsiders pending in the org and the workspace, pending members added to it.
    let org_pending = format!(
        "SELECT COUNT(*) FROM org_members WHERE org_id = '{}' AND status = 'pending' AND role = 'guest'",
        owner.org
    );
    assert_eq!(app.count(&org_pending).await, (outsiders.len() + pending.len()) as i64);
    let ws_rows: Vec<(String, String, String)> =
        sqlx::query_as("SELECT user_id, role, status FROM workspace_members WHERE workspace_id = $1")
            .bind(&harbour)
            .fetch_all(app.pool())
            .await
            .unwrap();
    let ws_rows: BTreeMap<String, (String, String)> = ws_rows.into_iter().map(|(u, r, s)| (u, (r, s))).collect();
    for id in outsider_ids.iter().chain(&pending_ids) {
        assert_eq!(ws_rows.get(id), Some(&("learner".to_owned(), "pending".to_owned())), "{id}");
    }
    for id in &member_ids {
        assert_eq!(ws_rows.get(id), Some(&("learner".to_owned(), "accepted".to_owned())), "{id} unchanged");
    }
    assert_eq!(seats_used(&app, &owner.org).await, needed, "every seat taken, none twice");
}

// ---------------------------------------------------------------------------------------------
// Who may invite

#[tokio::test]
async fn a_workspace_owner_who_is_an_org_guest_cannot_invite_at_org_scope() {
    let (app, owner) = TestApp::init().with_owner("olivia@example.com", "pro", 10, 0).await;
    let (wendy, _) = ws_member(&app, &owner, &owner.ws, "wendy@example.com", "owner").await;
    let before = footprint(&app).await;
    // A role granting org permissions she lacks is an escalation; even a guest invitation needs
    // `members.invite` at org scope, which she does not hold.
    for (role, code) in [("guest", "forbidden"), ("viewer", "role_escalation"), ("owner", "role_escalation")] {
        let r = wendy.post(&org_invitations(&owner.org), json!({"emails": ["nia@example.com"], "role": role})).await;
        r.assert_problem(403, code);
    }
    assert_eq!(footprint(&app).await, before);
    // In their own workspace they may invite, even other owners.
    let r = wendy.post(&ws_invitations(&owner.ws), json!({"emails": ["nia@example.com"], "role": "owner"})).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(result_of(&r, "nia@example.com")["outcome"], "invited");
    let offer = app
        .client()
        .get(&format!("/api/v1/invitations/by-token/{}", app.invitation_token("nia@example.com").await.unwrap()))
        .await;
    assert_eq!(offer.json["role"], "owner", "a workspace owner, not an org owner");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM invitations WHERE org_role = 'guest' AND workspace_role = 'owner'").await,
        1
    );
}

#[tokio::test]
async fn a_trainer_cannot_invite() {
    let (app, owner) = TestApp::init().with_owner("olivia@example.com", "pro", 10, 0).await;
    let (tom, _) = ws_member(&app, &owner, &owner.ws, "tom@example.com", "trainer").await;
    let before = footprint(&app).await;
    tom.post(&ws_invitations(&owner.ws), json!({"emails": ["nia@example.com"], "role": "learner"}))
        .await
        .assert_problem(403, "forbidden");
    tom.post(&org_invitations(&owner.org), json!({"emails": ["nia@example.com"], "role": "guest"}))
        .await
        .assert_problem(403, "forbidden");
    app.client()
        .post(&ws_invitations(&owner.ws), json!({"emails": ["nia@example.com"], "role": "learner"}))
        .await
        .assert_problem(401, "unauthenticated");
    assert_eq!(footprint(&app).await, before);
}

// ---------------------------------------------------------------------------------------------
// The list, and accepting while signed in

#[tokio::test]
async fn the_invitation_list_shows_every_status_and_never_a_token() {
    let (app, owner) = TestApp::init().with_owner("olivia@example.com", "pro", 10, 0).await;
    let r = owner
        .client
        .post(&ws_invitations(&owner.ws), json!({"emails": ["acc@example.com", "rev@example.com", "exp@example.com", "pen@example.com"], "role": "reviewer"}))
        .await;
    assert_eq!(r.status, 200);
    let mut tokens = Vec::new();
    for e in ["acc@example.com", "rev@example.com", "exp@example.com", "pen@example.com"] {
        tokens.push(app.invitation_token(e).await.unwrap());
    }
    assert_eq!(signup_with(&app, "acc@example.com", &tokens[0]).await.1.status, 201);
    let rev = result_of(&r, "rev@example.com")["invitation_id"].as_str().unwrap().to_owned();
    assert_eq!(owner.client.delete(&format!("/api/v1/invitations/{rev}")).await.status, 204);
    expire(&app, "exp@example.com").await;
    owner.client.post(&org_invitations(&owner.org), json!({"emails": ["org@example.com"], "role": "editor"})).await;

    let list = owner.client.get(&org_invitations(&owner.org)).await;
    assert_eq!(list.status, 200, "{list:?}");
    let mut by_email: Vec<(String, String)> = list
        .items()
        .iter()
        .map(|i| (i["email"].as_str().unwrap().to_owned(), i["status"].as_str().unwrap().to_owned()))
        .collect();
    by_email.sort();
    assert_eq!(
        by_email,
        [
            ("acc@example.com".to_owned(), "accepted".to_owned()),
            ("exp@example.com".to_owned(), "expired".to_owned()),
            ("org@example.com".to_owned(), "pending".to_owned()),
            ("pen@example.com".to_owned(), "pending".to_owned()),
            ("rev@example.com".to_owned(), "revoked".to_owned()),
        ]
    );
    for item in list.items() {
        for field in ["id", "email", "org_role", "status", "expires_at"] {
            assert!(item[field].is_string(), "{field} in {item}");
        }
        assert!(item.get("token").is_none() && item.get("token_hash").is_none(), "{item}");
        let expires = item["expires_at"].as_str().unwrap();
        assert!(
            time::OffsetDateTime::parse(expires, &time::format_description::well_known::Rfc3339).is_ok(),
            "RFC 3339: {expires}"
        );
        if item["email"] == "org@example.com" {
            assert!(item["workspace_id"].is_null() && item["workspace_role"].is_null(), "{item}");
            assert_eq!(item["org_role"], "editor");
        } else {
            assert_eq!(
                (item["workspace_id"].as_str(), item["workspace_role"].as_str(), item["org_role"].as_str()),
                (Some(owner.ws.as_str()), Some("reviewer"), Some("guest"))
            );
        }
    }
    for t in &tokens {
        assert!(!list.text.contains(t.as_str()), "a token leaked into the list");
    }
    let hashes: Vec<String> =
        sqlx::query_scalar("SELECT token_hash FROM invitations").fetch_all(app.pool()).await.unwrap();
    for h in &hashes {
        assert!(!list.text.contains(h.as_str()), "a token hash leaked into the list");
    }
    for t in &tokens {
        assert!(!hashes.contains(t), "tokens are stored hashed");
    }
}

#[tokio::test]
async fn a_signed_in_user_accepts_an_invitation_sent_to_their_address_and_nobody_else_can() {
    let (app, owner) = TestApp::init().with_owner("olivia@example.com", "pro", 10, 0).await;
    owner.client.post(&ws_invitations(&owner.ws), json!({"emails": ["nia@example.com"], "role": "trainer"})).await;
    let token = app.invitation_token("nia@example.com").await.unwrap();
    let (nia, nia_id) = app.user("nia@example.com").await;
    let (mallory, mallory_id) = app.user("mallory@example.com").await;

    let before = footprint(&app).await;
    mallory.post("/api/v1/invitations/accept", json!({"token": token})).await.assert_problem(403, "forbidden");
    assert_eq!(footprint(&app).await, before);
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM org_members WHERE user_id = '{mallory_id}'")).await, 0);
    app.client()
        .post("/api/v1/invitations/accept", json!({"token": token}))
        .await
        .assert_problem(401, "unauthenticated");

    let r = nia.post("/api/v1/invitations/accept", json!({"token": token})).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json["status"], "accepted");
    let me = nia.get("/api/v1/me").await;
    assert_eq!(
        (me.json["organizations"][0]["id"].as_str(), me.json["organizations"][0]["status"].as_str()),
        (Some(owner.org.as_str()), Some("accepted"))
    );
    assert_eq!(
        (me.json["workspaces"][0]["role"].as_str(), me.json["workspaces"][0]["status"].as_str()),
        (Some("trainer"), Some("accepted"))
    );
    nia.post("/api/v1/invitations/accept", json!({"token": token})).await.assert_problem(410, "invalid_token");
    let audit = audit_rows(&app, &owner.org).await;
    assert!(audit.contains(&("invitation.accepted".to_owned(), Some(nia_id))), "{audit:?}");
    assert_eq!(seats_used(&app, &owner.org).await, 2);
}

// ---------------------------------------------------------------------------------------------
// Races

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_signups_through_one_link_let_exactly_one_in() {
    let (app, owner) = TestApp::init().with_owner("olivia@example.com", "pro", 10, 0).await;
    owner.client.post(&ws_invitations(&owner.ws), json!({"emails": ["nia@example.com"], "role": "learner"})).await;
    let token = app.invitation_token("nia@example.com").await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let c = app.client();
        let token = token.clone();
        tasks.push(tokio::spawn(async move {
            c.post(
                "/api/v1/auth/signup",
                json!({"email": "nia@example.com", "password": PASSWORD, "name": "Nia", "invitation_token": token}),
            )
            .await
        }));
    }
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    let created = answers.iter().filter(|r| r.status == 201).count();
    assert_eq!(created, 1, "{answers:#?}");
    for r in answers.iter().filter(|r| r.status != 201) {
        assert!(matches!((r.status, r.code()), (409, "conflict") | (410, "invalid_token")), "{r:?}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE email = 'nia@example.com'").await, 1);
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM org_members m JOIN users u ON u.id = m.user_id WHERE u.email = 'nia@example.com'"
        )
        .await,
        1
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM workspace_members m JOIN users u ON u.id = m.user_id WHERE u.email = 'nia@example.com'").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'invitation.accepted'").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations WHERE accepted_at IS NOT NULL").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_batches_never_take_more_seats_than_paid() {
    let (app, owner) = TestApp::init().with_owner("olivia@example.com", "pro", 10, 0).await;
    let emails: Vec<String> = (0..5).map(|i| format!("early{i}@example.com")).collect();
    let r = owner.client.post(&ws_invitations(&owner.ws), json!({"emails": emails, "role": "learner"})).await;
    assert_eq!(r.status, 200);
    assert_eq!(seats_used(&app, &owner.org).await, 6, "4 seats left");
    let mut tasks = Vec::new();
    for i in 0..16 {
        let c = owner.client.clone();
        let path = ws_invitations(&owner.ws);
        tasks.push(tokio::spawn(async move {
            c.post(&path, json!({"emails": [format!("race{i}a@example.com"), format!("race{i}b@example.com")], "role": "learner"})).await
        }));
    }
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    let ok = answers.iter().filter(|r| r.status == 200).count();
    for r in answers.iter().filter(|r| r.status != 200) {
        r.assert_problem(409, "seat_limit");
    }
    assert_eq!(ok, 2, "exactly the free seats were given out: {answers:#?}");
    assert_eq!(seats_used(&app, &owner.org).await, 10);
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations").await, 9);
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox").await, 9, "one email per invitation, none for refused batches");
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'invitation.sent'").await, 9);
}

// ---------------------------------------------------------------------------------------------
// Audit

#[tokio::test]
async fn invitation_events_are_audited_with_their_actor() {
    let (app, owner) = TestApp::init().with_owner("olivia@example.com", "enterprise", 10, 0).await;
    let harbour = second_workspace(&owner, "Harbour Team").await;
    let (wendy, wendy_id) = ws_member(&app, &owner, &owner.ws, "wendy@example.com", "owner").await;
    let r = wendy
        .post(&ws_invitations(&owner.ws), json!({"emails": ["nia@example.com", "zoe@example.com"], "role": "learner"}))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let nia_inv = result_of(&r, "nia@example.com")["invitation_id"].as_str().unwrap().to_owned();
    let zoe_inv = result_of(&r, "zoe@example.com")["invitation_id"].as_str().unwrap().to_owned();
    assert_eq!(owner.client.post(&format!("/api/v1/invitations/{nia_inv}/resend"), json!({})).await.status, 200);
    assert_eq!(wendy.delete(&format!("/api/v1/invitations/{zoe_inv}")).await.status, 204);
    let token = app.invitation_token("nia@example.com").await.unwrap();
    let (_, r) = signup_with(&app, "nia@example.com", &token).await;
    let nia_id = r.json["user"]["id"].as_str().unwrap().to_owned();
    let r =
        owner.client.post(&ws_invitations(&harbour), json!({"emails": ["wendy@example.com"], "role": "viewer"})).await;
    assert_eq!(result_of(&r, "wendy@example.com")["outcome"], "added");

    let rows: Vec<(String, Option<String>, String, Option<String>)> = sqlx::query_as(
        "SELECT action, actor_id, target_id, workspace_id FROM audit_events WHERE chain = $1 ORDER BY seq",
    )
    .bind(&owner.org)
    .fetch_all(app.pool())
    .await
    .unwrap();
    let find = |action: &str, target: &str| {
        rows.iter().filter(|r| r.0 == action && r.2 == target).map(|r| (r.1.clone(), r.3.clone())).collect::<Vec<_>>()
    };
    let ws = Some(owner.ws.clone());
    assert_eq!(
        find("member.added", &wendy_id),
        [(Some(owner.user_id.clone()), ws.clone()), (Some(owner.user_id.clone()), Some(harbour.clone()))],
        "{rows:#?}"
    );
    assert_eq!(find("invitation.sent", &nia_inv), [(Some(wendy_id.clone()), ws.clone())], "{rows:#?}");
    assert_eq!(find("invitation.sent", &zoe_inv), [(Some(wendy_id.clone()), ws.clone())], "{rows:#?}");
    assert_eq!(find("invitation.resent", &nia_inv), [(Some(owner.user_id.clone()), ws.clone())], "{rows:#?}");
    assert_eq!(find("invitation.revoked", &zoe_inv), [(Some(wendy_id.clone()), ws.clone())], "{rows:#?}");
    assert_eq!(find("invitation.accepted", &nia_inv), [(Some(nia_id), ws.clone())], "{rows:#?}");
    let audit = owner.client.get(&format!("/api/v1/orgs/{}/audit?action=invitation.revoked", owner.org)).await;
    assert_eq!(audit.status, 200, "{audit:?}");
    assert_eq!(audit.items().len(), 1, "{audit:?}");
    assert_eq!(audit.items()[0]["actor"]["id"], wendy_id.as_str());
    assert_eq!(audit.items()[0]["actor"]["email"], "wendy@example.com");
}

// ---------------------------------------------------------------------------------------------
// Links, expiry and limits

#[tokio::test]
async fn the_link_is_built_from_the_configured_base_url_and_expires_in_seven_days() {
    let app = TestApp::spawn_with(|a| a.base_url = Some("http://lyceum.example:8080/".into())).await;
    let owner = app.owner("olivia@example.com", "pro", 10, 0).await;
    let body = json!({"emails": ["nia@example.com"], "role": "learner"});
    let headers = [("host", "evil.example"), ("x-forwarded-host", "evil.example")];
    let r = owner.client.send(reqwest::Method::POST, &ws_invitations(&owner.ws), Some(body), &headers).await;
    assert_eq!(r.status, 200, "{r:?}");
    let mail = app.mail_to("nia@example.com").await;
    assert_eq!(mail.len(), 1);
    assert!(mail[0].contains("http://lyceum.example:8080/invite/"), "{}", mail[0]);
    assert!(!mail[0].contains("evil.example") && !mail[0].contains(&app.base), "never the request's host: {}", mail[0]);
    let list = owner.client.get(&org_invitations(&owner.org)).await;
    let expires = list.items()[0]["expires_at"].as_str().unwrap().to_owned();
    let expires = time::OffsetDateTime::parse(&expires, &time::format_description::well_known::Rfc3339).unwrap();
    let in_a_week = time::OffsetDateTime::now_utc() + time::Duration::days(7);
    assert!((expires - in_a_week).abs() < time::Duration::minutes(5), "expires {expires}, expected about {in_a_week}");
}

#[tokio::test]
async fn invitations_are_throttled_per_inviter() {
    let app = TestApp::spawn_with(|a| a.invite_rate_per_actor = 2).await;
    let owner = app.owner("olivia@example.com", "pro", 10, 0).await;
    let other = app.owner("sam@example.com", "pro", 10, 0).await;
    for e in ["a@x.com", "b@x.com"] {
        let r = owner.client.post(&ws_invitations(&owner.ws), json!({"emails": [e], "role": "learner"})).await;
        assert_eq!(r.status, 200, "{r:?}");
    }
    let before = footprint(&app).await;
    let r = owner.client.post(&ws_invitations(&owner.ws), json!({"emails": ["c@x.com"], "role": "learner"})).await;
    r.assert_problem(429, "rate_limited");
    assert!(r.header("retry-after").is_some_and(|v| v.parse::<u64>().is_ok_and(|s| s >= 1)), "{r:?}");
    assert_eq!(footprint(&app).await, before);
    let r = other.client.post(&ws_invitations(&other.ws), json!({"emails": ["c@x.com"], "role": "learner"})).await;
    assert_eq!(r.status, 200, "another inviter is not throttled: {r:?}");
}

#[tokio::test]
async fn an_oversized_batch_is_refused_whole() {
    let app = TestApp::spawn_with(|a| a.max_invitation_batch = 3).await;
    let owner = app.owner("olivia@example.com", "pro", 10, 0).await;
    let before = footprint(&app).await;
    let r = owner
        .client
        .post(&ws_invitations(&owner.ws), json!({"emails": "a@x.com\nb@x.com\nc@x.com\nd@x.com", "role": "learner"}))
        .await;
    r.assert_problem(422, "validation");
    assert_eq!(r.json["errors"][0]["field"], "emails");
    assert_eq!(footprint(&app).await, before);
    let r = owner
        .client
        .post(&ws_invitations(&owner.ws), json!({"emails": "a@x.com\nb@x.com\nA@X.com\nc@x.com", "role": "learner"}))
        .await;
    assert_eq!(r.status, 200, "duplicates do not count against the limit: {r:?}");
}
