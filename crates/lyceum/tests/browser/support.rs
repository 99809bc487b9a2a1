//! The browser suite's scene-setting, through the JSON API (what is tested is done by clicking).
//! The harness itself — the app under test, its outbox, chromedriver and the browser — is
//! `lyceum-test-support`'s.

use serde_json::json;
use serde_json::Value;

pub use lyceum_test_support::browser::{driver, options, Browser};
pub use lyceum_test_support::{Client, Owner, TestApp, PASSWORD};

// ---------------------------------------------------------------------------------------------
// Setting the scene through the JSON API (what is tested is done by clicking)
// ---------------------------------------------------------------------------------------------

/// Olga, owner of an Enterprise organisation with 50 seats and 1000 credits.
pub async fn olga(app: &TestApp) -> Owner {
    app.owner("olga@example.test", "enterprise", 50, 1000).await
}

/// Invites `emails` to workspace `ws` as `role`: (email, outcome) per address.
pub async fn invite(client: &Client, ws: &str, emails: &[&str], role: &str) -> Vec<(String, String)> {
    let r = client.post(&format!("/api/v1/workspaces/{ws}/invitations"), json!({"emails": emails, "role": role})).await;
    assert_eq!(r.status, 200, "invite: {r:?}");
    let results = r.json["results"].as_array().cloned().unwrap_or_default();
    results.iter().map(|x| (str_of(&x["email"]), str_of(&x["outcome"]))).collect()
}

/// A workspace member as the server sees it.
pub struct Member {
    pub user_id: String,
    pub email: String,
    pub role: String,
}

/// The members of workspace `ws`.
pub async fn members(client: &Client, ws: &str) -> Vec<Member> {
    let r = client.get(&format!("/api/v1/workspaces/{ws}/members?limit=200")).await;
    assert_eq!(r.status, 200, "members: {r:?}");
    r.items()
        .iter()
        .map(|m| Member { user_id: str_of(&m["user_id"]), email: str_of(&m["email"]), role: str_of(&m["role"]) })
        .collect()
}

/// The path of the latest invitation link emailed to `to` (read from the outbox files).
pub async fn invitation_path(app: &TestApp, to: &str) -> String {
    let token = app.invitation_token(to).await.unwrap_or_else(|| panic!("no invitation email to {to}"));
    format!("/invite/{token}")
}

fn str_of(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}
