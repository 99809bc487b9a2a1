//! The other pages of an owner, each used once by clicking and photographed: Invitations (resend,
//! revoke), Workspaces (create), API keys (shown once, works, revoked), Audit trail (filter,
//! CSV), My Profile (name, password).

use serde_json::json;

use crate::support::{driver, invitation_path, invite, olga, Browser, Owner, TestApp, PASSWORD};

/// Clicks `css`, and confirms in the modal if the page asks.
async fn click_and_confirm(b: &Browser, css: &str, done: impl AsyncFn() -> bool) {
    b.click(css).await;
    b.until("the action is confirmed or done", || async {
        b.js("return !!document.querySelector('dialog#confirm-dialog[open]');", vec![]).await == true || done().await
    })
    .await;
    if b.has("dialog#confirm-dialog[open]").await {
        b.click("button#confirm-yes").await;
    }
    b.until("the action is done", || async { done().await }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invitations_are_resent_and_revoked_from_the_invitations_page() {
    let Some(driver) = driver() else { return };
    let app = TestApp::spawn().await;
    let olga = olga(&app).await;
    let (org, ws) = (&olga.org, &olga.ws);
    let results = invite(&olga.client, ws, &["pat@example.test", "quinn@example.test"], "learner").await;
    assert!(results.iter().all(|(_, o)| o == "invited"), "{results:?}");
    let first_link = invitation_path(&app, "pat@example.test").await;

    let b = Browser::open(driver, &app).await;
    b.sign_in("olga@example.test").await;
    b.goto(&format!("/w/{ws}")).await;
    b.click("#nav-invitations").await;
    b.find("table#invitations").await;
    assert_eq!(b.all("tr.invitation-row").await.len(), 2);
    b.screenshot("invitations").await;

    // Resend: Pat gets a new link, and the old one is dead.
    b.click("tr.invitation-row[data-email='pat@example.test'] button.invitation-resend").await;
    b.until("a second email reaches Pat", || async { app.mail_to("pat@example.test").await.len() == 2 }).await;
    let second_link = invitation_path(&app, "pat@example.test").await;
    assert_ne!(first_link, second_link);
    let second = Browser::open(driver, &app).await;
    second.goto(&first_link).await;
    second.find("h1").await;
    assert!(!second.has("#invite-offer").await, "the link before the resend still offers to join");
    second.goto(&second_link).await;
    assert_eq!(second.text("#invite-offer .invite-email").await, "pat@example.test");
    second.close().await;

    // Revoke, confirmed in the modal: the server says revoked.
    let quinn_status = || async {
        let r = olga.client.get(&format!("/api/v1/orgs/{org}/invitations?limit=100")).await;
        let quinn = r.items().into_iter().find(|i| i["email"] == "quinn@example.test");
        quinn.and_then(|i| i["status"].as_str().map(str::to_owned)).unwrap_or_default()
    };
    assert_eq!(quinn_status().await, "pending");
    let revoke = "tr.invitation-row[data-email='quinn@example.test'] button.invitation-revoke";
    click_and_confirm(&b, revoke, async || quinn_status().await == "revoked").await;
    // After a reload Quinn's invitation offers nothing more to do, and the link is dead.
    b.reload().await;
    b.find("tr.invitation-row[data-email='pat@example.test'] button.invitation-revoke").await;
    let quinn = "tr.invitation-row[data-email='quinn@example.test']";
    assert!(
        !b.has(&format!("{quinn} button.invitation-revoke")).await
            && !b.has(&format!("{quinn} button.invitation-resend")).await,
        "a revoked invitation can still be revoked or resent"
    );
    b.goto(&invitation_path(&app, "quinn@example.test").await).await;
    b.find("h1").await;
    assert!(!b.has("#invite-offer").await, "a revoked invitation's link still offers to join");
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workspace_is_created_from_the_workspaces_page() {
    let Some(driver) = driver() else { return };
    let app = TestApp::spawn().await;
    let olga = olga(&app).await;
    let b = Browser::open(driver, &app).await;
    b.sign_in("olga@example.test").await;
    b.goto(&format!("/w/{}", olga.ws)).await;
    b.click("#nav-workspaces").await;
    b.find("table#workspaces").await;
    assert_eq!(b.all("tr.workspace-row").await.len(), 1);

    // More credit than the pool holds is refused, and the form keeps what was typed.
    b.fill("form#workspace-form [name=name]", "Night School").await;
    b.fill("form#workspace-form [name=credit_limit]", "5000").await;
    b.click("form#workspace-form button[type=submit]").await;
    b.find(".field-error, #content .flash-error").await;
    let name = b.find("form#workspace-form [name=name]").await.prop("value").await.unwrap();
    assert_eq!(name.as_deref(), Some("Night School"));

    b.fill("form#workspace-form [name=credit_limit]", "250").await;
    b.click("form#workspace-form button[type=submit]").await;
    b.until("the new workspace is listed", || async { b.all("tr.workspace-row").await.len() == 2 }).await;
    // The new row shows its credit limit (as text or in its edit field).
    let shows_limit = "return [...document.querySelectorAll('tr.workspace-row')].some(r => \
        r.textContent.includes('Night School') && \
        (r.textContent.includes('250') || [...r.querySelectorAll('input')].some(i => i.value === '250')));";
    assert_eq!(b.js(shows_limit, vec![]).await, true, "no row shows Night School with 250 credits");
    let r = olga.client.get(&format!("/api/v1/orgs/{}/workspaces", olga.org)).await;
    assert!(r.items().iter().any(|w| w["name"] == "Night School" && w["credit_limit"] == 250), "{r:?}");
    b.screenshot("workspaces").await;

    // A Pro organisation explains its single workspace.
    let r = olga.client.post("/api/v1/orgs", json!({"name": "Solo Studio", "plan": "pro"})).await;
    b.goto(&format!("/o/{}/workspaces", r.json["id"].as_str().unwrap())).await;
    assert!(!b.text("#plan-note").await.is_empty());
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_key_is_shown_once_works_and_stops_when_revoked() {
    let Some(driver) = driver() else { return };
    let app = TestApp::spawn().await;
    let Owner { org, ws, .. } = olga(&app).await;
    let b = Browser::open(driver, &app).await;
    b.sign_in("olga@example.test").await;
    b.goto(&format!("/w/{ws}")).await;
    b.click("#nav-api-keys").await;
    b.fill("form#key-form [name=name]", "CI deploy").await;
    b.select("form#key-form select[name=role]", "viewer").await;
    b.click("form#key-form button[type=submit]").await;

    b.find("#new-key button#copy-key").await;
    let secret = b.text("#new-key #new-key-value").await.trim().to_owned();
    assert!(secret.starts_with("lyk_"), "the secret shown: {secret:?}");
    assert_eq!(b.all("tr.key-row").await.len(), 1);
    b.screenshot("api-keys").await;
    let workspaces = format!("/api/v1/orgs/{org}/workspaces");
    assert_eq!(app.key_client(&secret).get(&workspaces).await.status, 200, "the new key works");

    // Shown once: a reload no longer shows it.
    b.goto(&format!("/o/{org}/api-keys")).await;
    b.find("tr.key-row").await;
    assert!(!b.has("#new-key").await, "the secret is shown a second time");

    click_and_confirm(&b, "tr.key-row button.key-revoke", async || {
        app.key_client(&secret).get(&workspaces).await.status == 401
    })
    .await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_trail_lists_changes_filters_them_and_exports_csv() {
    let Some(driver) = driver() else { return };
    let app = TestApp::spawn().await;
    let Owner { client, org, ws, .. } = olga(&app).await;
    invite(&client, &ws, &["pat@example.test"], "learner").await;
    let r = client.post(&format!("/api/v1/orgs/{org}/workspaces"), json!({"name": "Annex", "credit_limit": 10})).await;
    assert_eq!(r.status, 201, "{r:?}");

    let b = Browser::open(driver, &app).await;
    b.sign_in("olga@example.test").await;
    b.goto(&format!("/w/{ws}")).await;
    b.click("#nav-audit").await;
    b.find("table#audit tr.audit-row").await;
    let all = b.all("tr.audit-row").await.len();
    assert!(all >= 3, "org, invitation and workspace changes are listed: {all}");
    b.screenshot("audit").await;

    // Filter by action family.
    let action = b.find("form#audit-filter [name=action]").await;
    if action.tag_name().await.unwrap() == "select" {
        let values: Vec<String> = crate::support::options(&action).await.into_iter().map(|(v, _)| v).collect();
        let pick = values.iter().find(|v| v.starts_with("invitation")).expect("an invitation action to filter by");
        action.select_by_value(pick).await.unwrap();
    } else {
        action.clear().await.unwrap();
        action.send_keys("invitation").await.unwrap();
    }
    b.click("form#audit-filter button[type=submit]").await;
    b.until_js("the filter is in the URL", "location.search.includes('action=')").await;
    b.find("tr.audit-row").await;
    let rows = b.all("tr.audit-row").await;
    assert!(!rows.is_empty() && rows.len() < all, "{} of {all} rows after filtering", rows.len());
    for r in rows {
        let text = r.text().await.unwrap();
        assert!(text.contains("invitation."), "a row outside the filter: {text}");
    }

    // The CSV link exports what is listed.
    let href = b.find("a#audit-csv").await.prop("href").await.unwrap().expect("a CSV link");
    let path = href.strip_prefix(&app.base).expect("a link to this server");
    let csv = client.get(path).await;
    assert_eq!(csv.status, 200);
    assert!(csv.text.contains("invitation.sent"), "{}", csv.text);
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn my_profile_changes_the_name_and_the_password() {
    let Some(driver) = driver() else { return };
    let app = TestApp::spawn().await;
    let Owner { ws, .. } = olga(&app).await;
    let b = Browser::open(driver, &app).await;
    b.sign_in("olga@example.test").await;
    b.goto(&format!("/w/{ws}")).await;
    b.click("#nav-profile").await;

    b.fill("form#profile-form [name=name]", "Olga Okonkwo").await;
    b.click("form#profile-form button[type=submit]").await;
    b.find("#flash .flash-success").await;
    let name = b.find("form#profile-form [name=name]").await.prop("value").await.unwrap();
    assert_eq!(name.as_deref(), Some("Olga Okonkwo"));
    assert!(b.text("#topbar").await.contains("Olga Okonkwo"));

    // A wrong current password is refused next to the form.
    let new_password = "a brand new passphrase";
    b.fill("form#password-form [name=current_password]", "not my password at all").await;
    new_password_twice(&b, new_password).await;
    b.click("form#password-form button[type=submit]").await;
    b.find(".field-error, #content .flash-error").await;
    b.screenshot("profile").await;

    b.fill("form#password-form [name=current_password]", PASSWORD).await;
    new_password_twice(&b, new_password).await;
    b.click("form#password-form button[type=submit]").await;
    b.find("#flash .flash-success").await;

    // Sign out, and in again with the new password.
    b.click("form#logout button[type=submit]").await;
    b.until_path("/login").await;
    b.fill("form#login-form input[name=email]", "olga@example.test").await;
    b.fill("form#login-form input[name=password]", new_password).await;
    b.click("form#login-form button[type=submit]").await;
    b.until("the login form is left", || async { !b.path().await.starts_with("/login") }).await;
    b.close().await;
}

/// Types the new password, and its confirmation where the form asks for one.
async fn new_password_twice(b: &Browser, password: &str) {
    b.fill("form#password-form [name=password]", password).await;
    if b.has("form#password-form [name=password_confirm]").await {
        b.fill("form#password-form [name=password_confirm]", password).await;
    }
}
