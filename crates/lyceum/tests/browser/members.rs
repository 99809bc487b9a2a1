//! PRODUCT.md §3 "Change a role" and "Remove members" on the Members page, and what a workspace
//! owner and a learner are (not) offered.

use serde_json::json;

use crate::support::{driver, invite, members, olga, options, Browser, Member, Owner, TestApp};

fn row(email: &str) -> String {
    format!("tr.member-row[data-email=\"{email}\"]")
}

/// Olga, an organisation owner, with `people` added to her first workspace as `role` (existing
/// users outside the organisation: added at once, Pending).
async fn team(people: &[&str], role: &str) -> (TestApp, Owner) {
    let app = TestApp::spawn().await;
    let olga = olga(&app).await;
    for email in people {
        app.user(email).await;
    }
    let results = invite(&olga.client, &olga.ws, people, role).await;
    assert!(results.iter().all(|(_, outcome)| outcome == "pending"), "{results:?}");
    (app, olga)
}

/// Waits until the workspace's members, as the server sees them, satisfy `check`.
async fn until_members(b: &Browser, olga: &Owner, what: &str, check: impl Fn(&[Member]) -> bool) {
    b.until(what, || async { check(&members(&olga.client, &olga.ws).await) }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_picked_in_a_members_row_is_saved() {
    let Some(driver) = driver() else { return };
    let (app, olga) = team(&["sam@example.test", "tia@example.test"], "learner").await;
    let ws = olga.ws.clone();
    let b = Browser::open(driver, &app).await;
    b.sign_in("olga@example.test").await;
    b.goto(&format!("/w/{ws}/members")).await;

    // Find Sam with the search bar, then pick a new role in his row.
    b.find(&row("tia@example.test")).await;
    b.fill("input#member-search", "sam").await;
    b.until("the search leaves only Sam", || async {
        let rows = b.all("tr.member-row").await;
        rows.len() == 1 && b.has(&row("sam@example.test")).await
    })
    .await;
    b.until_settled().await;
    b.select(&format!("{} select.member-role", row("sam@example.test")), "reviewer").await;
    until_members(&b, &olga, "Sam is a reviewer", |m| {
        m.iter().any(|m| m.email == "sam@example.test" && m.role == "reviewer")
    })
    .await;
    assert!(!b.has(".row-error").await, "no inline error after a permitted change");

    // Persisted: after a reload the row still says reviewer; Tia is untouched.
    b.goto(&format!("/w/{ws}/members")).await;
    let sam = b.find(&format!("{} select.member-role", row("sam@example.test"))).await;
    assert_eq!(sam.prop("value").await.unwrap().as_deref(), Some("reviewer"));
    let tia = b.find(&format!("{} select.member-role", row("tia@example.test"))).await;
    assert_eq!(tia.prop("value").await.unwrap().as_deref(), Some("learner"));
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_is_removed_with_the_trash_icon_after_confirming() {
    let Some(driver) = driver() else { return };
    let (app, olga) = team(&["sam@example.test", "tia@example.test"], "learner").await;
    let ws = olga.ws.clone();
    let b = Browser::open(driver, &app).await;
    b.sign_in("olga@example.test").await;
    b.goto(&format!("/w/{ws}/members")).await;

    // Cancelling the modal removes nobody.
    let trash = format!("{} button.member-remove", row("tia@example.test"));
    assert_eq!(b.find(&trash).await.attr("aria-label").await.unwrap().as_deref(), Some("Remove tia@example.test"));
    b.click(&trash).await;
    b.until_dialog("dialog#confirm-dialog", true).await;
    b.click("button#confirm-no").await;
    b.until_dialog("dialog#confirm-dialog", false).await;
    assert!(b.has(&row("tia@example.test")).await);

    // Confirming removes the row, for good.
    b.click(&format!("{} button.member-remove", row("sam@example.test"))).await;
    b.until_dialog("dialog#confirm-dialog", true).await;
    b.click("button#confirm-yes").await;
    b.until("Sam's row is gone", || async { !b.has(&row("sam@example.test")).await }).await;
    until_members(&b, &olga, "Sam is no member", |m| m.iter().all(|m| m.email != "sam@example.test")).await;
    b.reload().await;
    b.find(&row("tia@example.test")).await;
    assert!(!b.has(&row("sam@example.test")).await, "Sam is still listed after a reload");
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_members_are_removed_at_once_with_the_checkboxes_and_remove_n() {
    let Some(driver) = driver() else { return };
    let people = ["ann@example.test", "ben@example.test", "cat@example.test"];
    let (app, olga) = team(&people, "viewer").await;
    let ws = olga.ws.clone();
    let b = Browser::open(driver, &app).await;
    b.sign_in("olga@example.test").await;
    b.goto(&format!("/w/{ws}/members")).await;
    b.find(&row("cat@example.test")).await;

    // Nothing selected: no bulk button.
    let bulk = b.find("button#bulk-remove").await;
    assert!(!bulk.is_displayed().await.unwrap(), "Remove (N) shows with nothing selected");
    b.click(&format!("{} input.member-select", row("ann@example.test"))).await;
    b.until_js("Remove (1) shows", "document.querySelector('#bulk-remove').textContent.trim() === 'Remove (1)'").await;
    assert!(bulk.is_displayed().await.unwrap());
    b.click(&format!("{} input.member-select", row("ben@example.test"))).await;
    b.until_js("Remove (2) shows", "document.querySelector('#bulk-remove').textContent.trim() === 'Remove (2)'").await;
    assert_eq!(bulk.text().await.unwrap().trim(), "Remove (2)");

    bulk.click().await.unwrap();
    b.until_dialog("dialog#confirm-dialog", true).await;
    b.click("button#confirm-yes").await;
    b.until("Ann's and Ben's rows are gone", || async {
        !b.has(&row("ann@example.test")).await && !b.has(&row("ben@example.test")).await
    })
    .await;
    until_members(&b, &olga, "Ann and Ben are gone", |m| {
        m.iter().all(|m| m.email != "ann@example.test" && m.email != "ben@example.test")
    })
    .await;
    b.reload().await;
    b.find(&row("cat@example.test")).await;
    assert!(!b.has(&row("ann@example.test")).await && !b.has(&row("ben@example.test")).await);
    b.until_js("the bulk button hides again", "document.querySelector('#bulk-remove').hidden").await;
    b.close().await;
}

/// Workspace role names (API.md): the only roles a workspace owner may hand out here.
const WORKSPACE_ROLES: [&str; 6] = ["owner", "trainer", "reviewer", "learner", "editor", "viewer"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workspace_owner_is_not_offered_the_organisation_owner_role() {
    let Some(driver) = driver() else { return };
    let (app, olga) = team(&["wendy@example.test", "leo@example.test"], "learner").await;
    let ws = olga.ws.clone();
    // Wendy owns the workspace, not the organisation.
    let all = members(&olga.client, &ws).await;
    let wendy = &all.iter().find(|m| m.email == "wendy@example.test").expect("Wendy is a member").user_id;
    let r = olga.client.patch(&format!("/api/v1/workspaces/{ws}/members/{wendy}"), json!({"role": "owner"})).await;
    assert_eq!(r.status, 200, "make Wendy a workspace owner: {r:?}");

    let b = Browser::open(driver, &app).await;
    b.sign_in("wendy@example.test").await;
    b.goto(&format!("/w/{ws}/members")).await;
    let select = b.find(&format!("{} select.member-role", row("leo@example.test"))).await;
    let offered = options(&select).await;
    assert!(offered.iter().any(|(v, _)| v == "owner"), "a workspace owner may make workspace owners: {offered:?}");
    for (value, label) in &offered {
        let lower = label.to_lowercase();
        assert!(
            WORKSPACE_ROLES.contains(&value.as_str()) && !lower.contains("admin") && !lower.contains("organi"),
            "a workspace owner is offered {value:?} ({label:?}) in a member's row: {offered:?}"
        );
    }
    // Nor in the invite dialog.
    b.click("button#open-invite").await;
    b.until_dialog("dialog#invite-dialog", true).await;
    let offered = options(&b.find("dialog#invite-dialog select[name=role]").await).await;
    for (value, label) in &offered {
        let lower = label.to_lowercase();
        assert!(
            WORKSPACE_ROLES.contains(&value.as_str()) && !lower.contains("admin") && !lower.contains("organi"),
            "a workspace owner is offered {value:?} ({label:?}) in the invite dialog: {offered:?}"
        );
    }
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_learner_sees_no_members_link_and_typing_the_url_is_not_allowed() {
    let Some(driver) = driver() else { return };
    let (app, olga) = team(&["leo@example.test"], "learner").await;
    let ws = olga.ws.clone();
    let b = Browser::open(driver, &app).await;
    b.sign_in("leo@example.test").await;
    b.goto(&format!("/w/{ws}")).await;
    b.find("nav#sidebar #nav-dashboard").await;
    assert!(!b.has("#nav-members").await, "a learner is shown the Members link");
    assert!(!b.has("#nav-invitations").await, "a learner is shown the Invitations link");

    b.goto(&format!("/w/{ws}/members")).await;
    assert_eq!(b.text("h1").await, "Not allowed");
    assert!(!b.has("table#members").await);
    b.close().await;
}
