//! PRODUCT.md §3 "Invite members", start to end by clicking: sign up, create an organisation,
//! invite three addresses (new, existing, malformed) and see each outcome, then the new person
//! signs up through the emailed link in a browser of their own and lands in the workspace.

use crate::support::{driver, invitation_path, Browser, TestApp, PASSWORD};

/// The outcome shown for each address in the invite dialog: (email, data-outcome).
async fn invite_results(b: &Browser) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for li in b.all("#invite-results li.invite-result").await {
        let outcome = li.attr("data-outcome").await.unwrap().unwrap_or_default();
        let email =
            li.find(lyceum_test_support::browser::Locator::Css(".invite-email")).await.unwrap().text().await.unwrap();
        out.push((email.trim().to_owned(), outcome));
    }
    out.sort();
    out
}

/// The status badge of the member row for `email` ("pending" or "accepted").
async fn badge(b: &Browser, email: &str) -> String {
    let css = format!("tr.member-row[data-email=\"{email}\"] span.badge");
    let class = b.find(&css).await.attr("class").await.unwrap().unwrap_or_default();
    if class.split_whitespace().any(|c| c == "badge-accepted") {
        "accepted".into()
    } else if class.split_whitespace().any(|c| c == "badge-pending") {
        "pending".into()
    } else {
        format!("unknown badge: {class}")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_create_an_organisation_invite_three_addresses_and_the_new_person_joins_by_the_link() {
    let Some(driver) = driver() else { return };
    let app = TestApp::spawn().await;
    // Erin already has an account, outside any organisation.
    app.user("erin@example.test").await;

    let owner = Browser::open(driver, &app).await;
    // Sign up from the login page.
    owner.goto("/").await;
    owner.until_path("/login").await;
    owner.find("form#login-form").await;
    owner.screenshot("login").await;
    owner.click("a[href='/signup']").await;
    owner.fill("form#signup-form input[name=name]", "Olga Owner").await;
    owner.fill("form#signup-form input[name=email]", "olga@example.test").await;
    owner.fill("form#signup-form input[name=password]", PASSWORD).await;
    owner.click("form#signup-form button[type=submit]").await;

    // With no organisation yet, "/" leads to creating one.
    owner.until_path("/orgs/new").await;
    owner.fill("input[name=name]", "Acme Training").await;
    owner.select("select[name=plan]", "enterprise").await;
    owner.fill("input[name=seats]", "20").await;
    owner.fill("input[name=credit_pool]", "1000").await;
    owner.click("#content form button[type=submit]").await;

    // It lands on the new workspace's Members page, with a success message.
    owner.until_path("/w/").await;
    let path = owner.path().await;
    assert!(path.ends_with("/members"), "after creating the organisation: {path}");
    let ws = path.trim_start_matches("/w/").trim_end_matches("/members").to_owned();
    assert!(owner.text("#flash .flash.flash-success").await.contains("Acme Training"));
    assert_eq!(owner.all("tr.member-row").await.len(), 1, "only the owner is a member yet");

    // Invite Members: one new address, one existing user, one malformed address.
    owner.click("button#open-invite").await;
    owner.until_dialog("dialog#invite-dialog", true).await;
    owner
        .fill("dialog#invite-dialog textarea[name=emails]", "newbie@example.test\nerin@example.test\nnot-an-address")
        .await;
    owner.select("dialog#invite-dialog select[name=role]", "trainer").await;
    owner.click("dialog#invite-dialog button[type=submit]").await;
    owner.until("three outcomes are shown", || async { owner.all("li.invite-result").await.len() == 3 }).await;
    assert_eq!(
        invite_results(&owner).await,
        vec![
            ("erin@example.test".to_owned(), "pending".to_owned()),
            ("newbie@example.test".to_owned(), "invited".to_owned()),
            ("not-an-address".to_owned(), "invalid".to_owned()),
        ]
    );
    owner.screenshot("members").await;

    // Erin is a member at once, Pending until she signs in.
    owner.goto(&format!("/w/{ws}/members")).await;
    assert_eq!(badge(&owner, "erin@example.test").await, "pending");
    assert!(!owner.has("tr.member-row[data-email='newbie@example.test']").await, "an invitee is not a member yet");

    // The new person opens the emailed link in a browser of their own and signs up through it.
    let link = invitation_path(&app, "newbie@example.test").await;
    let newbie = Browser::open(driver, &app).await;
    newbie.goto(&link).await;
    assert_eq!(newbie.text("#invite-offer .invite-email").await, "newbie@example.test");
    assert_eq!(newbie.text("#invite-offer .invite-org").await, "Acme Training");
    assert!(newbie.text("#invite-offer .invite-role").await.to_lowercase().contains("trainer"));
    let email_field = newbie.find("form#signup-form input[name=email]").await;
    assert_eq!(email_field.prop("value").await.unwrap().as_deref(), Some("newbie@example.test"));
    newbie.fill("form#signup-form input[name=name]", "Nina Newbie").await;
    newbie.fill("form#signup-form input[name=password]", PASSWORD).await;
    newbie.click("form#signup-form button[type=submit]").await;

    // Lands in the workspace, as an Accepted member.
    newbie.until_path(&format!("/w/{ws}")).await;
    newbie.find("#topbar").await;
    assert!(newbie.text("#flash .flash-success").await.to_lowercase().contains("invitation"));
    newbie.goto(&format!("/w/{ws}/members")).await;
    assert_eq!(badge(&newbie, "newbie@example.test").await, "accepted");
    newbie.close().await;

    // The owner sees it too.
    owner.reload().await;
    assert_eq!(badge(&owner, "newbie@example.test").await, "accepted");
    assert_eq!(badge(&owner, "erin@example.test").await, "pending");

    // The Members page at phone width: everything reachable, nothing wider than the screen.
    owner.set_size(390, 844).await;
    owner.reload().await;
    owner.find("table#members").await;
    owner.screenshot("members-390").await;
    let overflow = owner.js(OVERFLOW, vec![]).await;
    assert_eq!(overflow, "", "the Members page is wider than a 390 px screen");
    owner.close().await;
}

/// What sticks out of the viewport horizontally ("" when nothing does): the page must not scroll
/// sideways on a phone (a wide table may scroll inside its own box).
const OVERFLOW: &str = r#"
const width = document.documentElement.clientWidth;
if (document.documentElement.scrollWidth <= width + 1) {
  const invite = document.querySelector('#open-invite').getBoundingClientRect();
  return invite.right <= width ? '' : 'Invite Members ends at ' + invite.right + 'px of ' + width + 'px';
}
const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + String(e.className).trim().split(/\s+/).join('.') : '');
const beyond = e => e.getBoundingClientRect().right > width + 1;
const culprits = [...document.querySelectorAll('body *')]
  .filter(e => beyond(e) && (!beyond(e.parentElement) || ['absolute', 'fixed'].includes(getComputedStyle(e).position)))
  .map(e => name(e) + ' (' + getComputedStyle(e).position + ') to ' + Math.round(e.getBoundingClientRect().right) + 'px');
return 'page ' + document.documentElement.scrollWidth + 'px wide in a ' + width + 'px screen: ' + culprits.slice(0, 6).join(', ');
"#;
