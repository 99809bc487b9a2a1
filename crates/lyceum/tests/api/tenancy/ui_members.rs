//! The Members page and the Invitations tab of the web UI (docs/ui.md), over HTTP: the DOM
//! contract's ids and classes, search and filters, cursor pages, the invite dialog, role changes
//! in the row, single and bulk removal, CSRF, permission-aware controls, resend and revoke.

use serde_json::json;

use lyceum_test_support::{Owner, TestApp, PASSWORD};

/// A browser-like client: cookies, no automatic redirects, forms, optional `HX-Request`.
struct Browser {
    http: reqwest::Client,
    base: String,
}

struct Page {
    status: u16,
    headers: reqwest::header::HeaderMap,
    html: String,
}

impl Page {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// The CSRF token the page carries (hidden input or the body's hx-headers).
    fn csrf(&self) -> String {
        let marker = "\"X-CSRF-Token\": \"";
        let start = self.html.find(marker).map(|i| i + marker.len()).expect("a CSRF token in the page");
        self.html[start..].chars().take_while(|c| c.is_ascii_hexdigit()).collect()
    }

    /// The `<tr class="member-row" …>` elements, in order.
    fn member_rows(&self) -> Vec<&str> {
        elements(&self.html, "<tr class=\"member-row", "</tr>")
    }

    /// The member row of `email`.
    fn row(&self, email: &str) -> Option<&str> {
        let attr = format!("data-email=\"{email}\"");
        self.member_rows().into_iter().find(|r| r.contains(&attr))
    }

    fn emails(&self) -> Vec<String> {
        self.member_rows().iter().filter_map(|r| attr(r, "data-email")).collect()
    }
}

/// Every `open…close` slice of `html`.
fn elements<'a>(html: &'a str, open: &str, close: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find(open) {
        let tail = &rest[start..];
        let end = tail.find(close).map_or(tail.len(), |e| e + close.len());
        out.push(&tail[..end]);
        rest = &tail[end..];
    }
    out
}

/// The value of the first `name="…"` attribute in `html`.
fn attr(html: &str, name: &str) -> Option<String> {
    let marker = format!("{name}=\"");
    let start = html.find(&marker)? + marker.len();
    Some(html[start..].chars().take_while(|c| *c != '"').collect())
}

/// The `<option>` values of the `<select>` whose opening tag contains `marker`.
fn options(html: &str, marker: &str) -> Vec<(String, String)> {
    let start = html.find(marker).unwrap_or_else(|| panic!("no {marker} in {html}"));
    let select = &html[start..];
    let select = &select[..select.find("</select>").unwrap()];
    elements(select, "<option", "</option>")
        .into_iter()
        .map(|o| {
            let value = attr(o, "value").unwrap_or_default();
            let label = o[o.find('>').unwrap() + 1..o.len() - "</option>".len()].to_owned();
            (value, label)
        })
        .collect()
}

impl Browser {
    fn new(app: &TestApp) -> Browser {
        let http = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build();
        Browser { http: http.unwrap(), base: app.base.clone() }
    }

    /// Signs in as `email` (the session cookie works for pages).
    async fn signed_in(app: &TestApp, email: &str) -> Browser {
        let b = Browser::new(app);
        let r = b
            .http
            .post(format!("{}/api/v1/auth/login", b.base))
            .json(&json!({"email": email, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "login {email}");
        b
    }

    async fn answer(res: reqwest::Response) -> Page {
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        Page { status, headers, html: res.text().await.unwrap() }
    }

    async fn get(&self, path: &str) -> Page {
        Browser::answer(self.http.get(format!("{}{path}", self.base)).send().await.unwrap()).await
    }

    /// An htmx GET (the partials).
    async fn hx_get(&self, path: &str) -> Page {
        let req = self.http.get(format!("{}{path}", self.base)).header("hx-request", "true");
        Browser::answer(req.send().await.unwrap()).await
    }

    /// An htmx POST of `form` with the CSRF header, as the page's `hx-headers` sends it.
    async fn hx_post(&self, path: &str, csrf: &str, form: &[(&str, &str)]) -> Page {
        let req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("hx-request", "true")
            .header("x-csrf-token", csrf)
            .form(form);
        Browser::answer(req.send().await.unwrap()).await
    }

    /// A plain form POST (no htmx): the CSRF token travels in the body, if given.
    async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        let req = self.http.post(format!("{}{path}", self.base)).form(form);
        Browser::answer(req.send().await.unwrap()).await
    }

    /// The CSRF token of this session, read from a page.
    async fn csrf(&self, ws: &str) -> String {
        self.get(&format!("/w/{ws}")).await.csrf()
    }
}

/// Adds an existing account to a workspace through the JSON API (status pending).
async fn add(o: &Owner, ws: &str, email: &str, role: &str) {
    let r =
        o.client.post(&format!("/api/v1/workspaces/{ws}/invitations"), json!({"emails": [email], "role": role})).await;
    assert_eq!(r.status, 200, "{r:?}");
    let outcome = r.json["results"][0]["outcome"].as_str().unwrap_or("");
    assert!(outcome == "pending" || outcome == "added", "{r:?}");
}

/// Signs `email` up (as `name`) and adds them to the owner's workspace with `role`; returns the id.
async fn member(app: &TestApp, o: &Owner, email: &str, name: &str, role: &str) -> String {
    let c = app.client();
    let r = c.post("/api/v1/auth/signup", json!({"email": email, "password": PASSWORD, "name": name})).await;
    assert_eq!(r.status, 201, "{r:?}");
    add(o, &o.ws, email, role).await;
    r.json["user"]["id"].as_str().unwrap().to_owned()
}

async fn ws_role(app: &TestApp, ws: &str, user: &str) -> Option<String> {
    sqlx::query_scalar("SELECT role FROM workspace_members WHERE workspace_id = $1 AND user_id = $2")
        .bind(ws)
        .bind(user)
        .fetch_optional(app.pool())
        .await
        .unwrap()
}

async fn ws_members(app: &TestApp, ws: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM workspace_members WHERE workspace_id = $1")
        .bind(ws)
        .fetch_one(app.pool())
        .await
        .unwrap()
}

async fn workspace_name(app: &TestApp, ws: &str) -> String {
    sqlx::query_scalar("SELECT name FROM workspaces WHERE id = $1").bind(ws).fetch_one(app.pool()).await.unwrap()
}

/// An organisation owner with max, anna and bob in the first workspace.
async fn team(app: &TestApp) -> (Owner, String, String, String) {
    let o = app.owner("olivia@ui.test", "enterprise", 50, 0).await;
    let max = member(app, &o, "max@ui.test", "Max Mustermann", "learner").await;
    let anna = member(app, &o, "anna@ui.test", "Anna Smith", "trainer").await;
    let bob = member(app, &o, "bob@ui.test", "Bob Jones", "learner").await;
    (o, max, anna, bob)
}

#[tokio::test]
async fn the_members_page_lists_rows_with_the_contracts_ids_and_classes() {
    let app = TestApp::spawn().await;
    let (o, max, _, _) = team(&app).await;
    let b = Browser::signed_in(&app, "olivia@ui.test").await;
    let page = b.get(&format!("/w/{}/members", o.ws)).await;
    assert_eq!(page.status, 200, "{}", page.html);
    for needle in [
        "id=\"member-search\"",
        "hx-trigger=\"input changed delay:250ms, search\"",
        "id=\"filter-role\"",
        "id=\"filter-status\"",
        "<table id=\"members\"",
        "<tbody id=\"member-rows\"",
        "id=\"select-all\"",
        "id=\"bulk-remove\"",
        "id=\"open-invite\"",
        "data-open-dialog=\"invite-dialog\"",
        "<dialog id=\"invite-dialog\"",
        "<textarea id=\"invite-emails\" name=\"emails\"",
        "Send Invitations",
        "id=\"invite-results\"",
        "aria-current=\"page\">Members",
    ] {
        assert!(page.html.contains(needle), "missing {needle}");
    }
    let emails = page.emails();
    assert!(emails.contains(&"max@ui.test".to_owned()) && emails.contains(&"anna@ui.test".to_owned()), "{emails:?}");
    let row = page.row("max@ui.test").unwrap();
    let name = workspace_name(&app, &o.ws).await;
    for needle in [
        format!("data-user-id=\"{max}\""),
        "class=\"member-select\"".to_owned(),
        "<td class=\"member-name\">Max Mustermann".to_owned(),
        "<td class=\"member-email\">max@ui.test".to_owned(),
        "<select class=\"member-role\"".to_owned(),
        "<option value=\"learner\" selected>".to_owned(),
        "badge badge-pending".to_owned(),
        "class=\"member-remove icon\" aria-label=\"Remove max@ui.test\"".to_owned(),
        format!("data-confirm=\"Remove max@ui.test from {name}?\""),
    ] {
        assert!(row.contains(&needle), "missing {needle} in {row}");
    }
    // Signed in since being added: accepted.
    Browser::signed_in(&app, "max@ui.test").await;
    let page = b.get(&format!("/w/{}/members", o.ws)).await;
    assert!(page.row("max@ui.test").unwrap().contains("badge badge-accepted"));
    // The viewer's own row (if a member of the workspace) has no controls.
    if let Some(own) = page.row("olivia@ui.test") {
        assert!(!own.contains("member-role\"") && !own.contains("member-remove") && !own.contains("member-select"));
    }
}

#[tokio::test]
async fn search_filters_as_typed_case_insensitively_with_role_and_status_filters() {
    let app = TestApp::spawn().await;
    let (o, _, _, _) = team(&app).await;
    let b = Browser::signed_in(&app, "olivia@ui.test").await;
    let rows = |q: &str| format!("/w/{}/members/rows?{q}", o.ws);
    let p = b.hx_get(&rows("q=max")).await;
    assert_eq!(p.status, 200);
    assert_eq!(p.emails(), vec!["max@ui.test"]);
    assert!(!p.html.contains("<html"), "a partial, not a page");
    assert_eq!(b.hx_get(&rows("q=MAX")).await.emails(), vec!["max@ui.test"]);
    assert_eq!(b.hx_get(&rows("q=smith")).await.emails(), vec!["anna@ui.test"]);
    assert_eq!(b.hx_get(&rows("q=%20max%20&role=&status=")).await.emails(), vec!["max@ui.test"]);
    let none = b.hx_get(&rows("q=nobody")).await;
    assert!(none.emails().is_empty() && none.html.contains("No members match"));
    assert_eq!(b.hx_get(&rows("role=trainer")).await.emails(), vec!["anna@ui.test"]);
    Browser::signed_in(&app, "bob@ui.test").await;
    assert_eq!(b.hx_get(&rows("status=accepted&role=learner")).await.emails(), vec!["bob@ui.test"]);
    let pending = b.hx_get(&rows("status=pending")).await.emails();
    assert!(pending.contains(&"max@ui.test".to_owned()) && !pending.contains(&"bob@ui.test".to_owned()));
    // The full page keeps the filters it was opened with.
    let page = b.get(&format!("/w/{}/members?q=ann&role=trainer", o.ws)).await;
    assert_eq!(page.emails(), vec!["anna@ui.test"]);
    assert!(page.html.contains("value=\"ann\"") && page.html.contains("<option value=\"trainer\" selected>"));
    // A bad filter is said in the table, not as a broken page.
    let bad = b.hx_get(&rows("role=admin")).await;
    assert_eq!(bad.status, 200);
    assert!(bad.html.contains("row-error"), "{}", bad.html);
}

#[tokio::test]
async fn load_more_follows_the_cursor_and_keeps_the_filters() {
    let app = TestApp::spawn().await;
    let (o, _, _, _) = team(&app).await;
    member(&app, &o, "carl@ui.test", "Carl", "learner").await;
    let b = Browser::signed_in(&app, "olivia@ui.test").await;
    let mut seen = Vec::new();
    let mut next = Some(format!("/w/{}/members/rows?limit=2", o.ws));
    let mut pages = 0;
    while let Some(path) = next {
        let p = b.hx_get(&path).await;
        assert_eq!(p.status, 200, "{}", p.html);
        assert!(p.emails().len() <= 2);
        seen.extend(p.emails());
        next = p.html.contains("id=\"load-more\"").then(|| {
            let link = &p.html[p.html.find("id=\"load-more\"").unwrap()..];
            attr(link, "hx-get").unwrap().replace("&amp;", "&").replace("&#38;", "&")
        });
        pages += 1;
        assert!(pages < 10);
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(seen, sorted, "in order, no repeats");
    assert!(seen.len() >= 4 && pages >= 2, "{seen:?}");
    // With a search, the next page is of the same search.
    let p = b.hx_get(&format!("/w/{}/members/rows?q=ui.test&role=learner&limit=1", o.ws)).await;
    let link = &p.html[p.html.find("id=\"load-more\"").expect("more learners")..];
    let hx = attr(link, "hx-get").unwrap().replace("&amp;", "&").replace("&#38;", "&");
    assert!(hx.contains("q=ui.test") && hx.contains("role=learner") && hx.contains("cursor="), "{hx}");
    assert!(attr(link, "href").unwrap().starts_with(&format!("/w/{}/members?", o.ws)));
    let second = b.hx_get(&hx).await.emails();
    assert_eq!(second.len(), 1);
    assert_ne!(second, p.emails());
}

#[tokio::test]
async fn the_invite_form_answers_one_outcome_per_address_and_refreshes_the_rows() {
    let app = TestApp::spawn().await;
    let (o, _, _, _) = team(&app).await;
    app.user("outsider@ui.test").await;
    let b = Browser::signed_in(&app, "olivia@ui.test").await;
    let csrf = b.csrf(&o.ws).await;
    let emails = "new@ui.test, outsider@ui.test\nnot-an-email\nMAX@ui.test";
    let path = format!("/w/{}/members/invite", o.ws);
    let p = b.hx_post(&path, &csrf, &[("emails", emails), ("role", "learner")]).await;
    assert_eq!(p.status, 200, "{}", p.html);
    assert!(p.html.contains("id=\"invite-form\"") && p.html.contains("id=\"invite-results\""));
    let results = elements(&p.html, "<li class=\"invite-result\"", "</li>");
    let outcome = |email: &str| {
        results
            .iter()
            .find(|r| r.contains(&format!("<span class=\"invite-email\">{email}</span>")))
            .and_then(|r| attr(r, "data-outcome"))
    };
    assert_eq!(outcome("new@ui.test").as_deref(), Some("invited"), "{}", p.html);
    assert_eq!(outcome("outsider@ui.test").as_deref(), Some("pending"));
    assert_eq!(outcome("not-an-email").as_deref(), Some("invalid"));
    assert_eq!(outcome("max@ui.test").as_deref(), Some("already_member"));
    assert_eq!(p.header("hx-trigger"), "members-changed");
    let rows = b.hx_get(&format!("/w/{}/members/rows?q=outsider", o.ws)).await;
    assert_eq!(rows.emails(), vec!["outsider@ui.test"]);
    assert!(app.invitation_token("new@ui.test").await.is_some());

    // Refusals are said in the dialog and keep what was typed: a role the form does not offer…
    let p = b.hx_post(&path, &csrf, &[("emails", "x1@ui.test"), ("role", "admin")]).await;
    assert_eq!(p.status, 200);
    assert!(p.html.contains("class=\"field-error\"") && p.html.contains(">x1@ui.test</textarea>"), "{}", p.html);
    // …no address at all…
    let p = b.hx_post(&path, &csrf, &[("emails", " , "), ("role", "learner")]).await;
    assert!(p.html.contains("id=\"invite-emails-error\""), "{}", p.html);
    // …and more addresses than free seats: nothing half-done.
    let small = app.owner("sam@ui.test", "pro", 2, 0).await;
    let sb = Browser::signed_in(&app, "sam@ui.test").await;
    let scsrf = sb.csrf(&small.ws).await;
    let typed = "a@ui.test\nb@ui.test\nc@ui.test";
    let p =
        sb.hx_post(&format!("/w/{}/members/invite", small.ws), &scsrf, &[("emails", typed), ("role", "learner")]).await;
    assert!(p.html.contains("invite-error") && p.html.contains("seat"), "{}", p.html);
    assert!(p.html.contains(&format!(">{typed}</textarea>")));
    assert_eq!(p.header("hx-trigger"), "");
    let invited: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM invitations WHERE org_id = $1")
        .bind(&small.org)
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(invited, 0);

    // Without htmx the form still works: back to the page with a flash message.
    let p = b.post(&path, &[("csrf", &csrf), ("emails", "plain@ui.test"), ("role", "viewer")]).await;
    assert_eq!(p.status, 303);
    assert_eq!(p.header("location"), format!("/w/{}/members", o.ws));
    let page = b.get(&format!("/w/{}/members", o.ws)).await;
    assert!(page.html.contains("flash flash-success") && page.html.contains("plain@ui.test"), "{}", page.html);
}

#[tokio::test]
async fn the_role_dropdown_changes_a_role_in_place_or_shows_the_refusal_in_the_row() {
    let app = TestApp::spawn().await;
    let (o, max, anna, bob) = team(&app).await;
    let b = Browser::signed_in(&app, "olivia@ui.test").await;
    let csrf = b.csrf(&o.ws).await;
    let path = |u: &str| format!("/w/{}/members/{u}/role", o.ws);
    let p = b.hx_post(&path(&max), &csrf, &[("email", "max@ui.test"), ("role", "reviewer")]).await;
    assert_eq!(p.status, 200, "{}", p.html);
    let row = p.row("max@ui.test").expect("the updated row");
    assert!(row.contains("<option value=\"reviewer\" selected>") && row.contains("row-note"), "{row}");
    assert!(!row.contains("row-error"));
    assert_eq!(ws_role(&app, &o.ws, &max).await.as_deref(), Some("reviewer"));

    // Not a role.
    let p = b.hx_post(&path(&max), &csrf, &[("email", "max@ui.test"), ("role", "admin")]).await;
    let row = p.row("max@ui.test").unwrap();
    assert!(row.contains("class=\"row-error\"") && row.contains("<option value=\"reviewer\" selected>"), "{row}");
    assert_eq!(ws_role(&app, &o.ws, &max).await.as_deref(), Some("reviewer"));

    // A trainer may not hand out the owner role (escalation), and sees no controls anyway.
    let t = Browser::signed_in(&app, "anna@ui.test").await;
    let tcsrf = t.csrf(&o.ws).await;
    let page = t.get(&format!("/w/{}/members", o.ws)).await;
    assert_eq!(page.status, 200);
    assert!(!page.html.contains("class=\"member-role\"") && !page.html.contains("member-remove"));
    assert!(!page.html.contains("id=\"bulk-remove\"") && !page.html.contains("id=\"select-all\""));
    assert!(page.row("bob@ui.test").unwrap().contains("<span class=\"member-role-text\">Learner</span>"));
    let p = t.hx_post(&path(&bob), &tcsrf, &[("email", "bob@ui.test"), ("role", "owner")]).await;
    let row = p.row("bob@ui.test").expect("bob's row");
    assert!(row.contains("class=\"row-error\"") && row.contains("cannot assign"), "{row}");
    assert_eq!(ws_role(&app, &o.ws, &bob).await.as_deref(), Some("learner"));
    // …nor change roles at all.
    let p = t.hx_post(&path(&bob), &tcsrf, &[("email", "bob@ui.test"), ("role", "viewer")]).await;
    assert!(p.row("bob@ui.test").unwrap().contains("row-error"));
    assert_eq!(ws_role(&app, &o.ws, &bob).await.as_deref(), Some("learner"));

    // Not yourself: make anna an owner, then she tries her own row.
    b.hx_post(&path(&anna), &csrf, &[("email", "anna@ui.test"), ("role", "owner")]).await;
    let tcsrf = t.csrf(&o.ws).await;
    let p = t.hx_post(&path(&anna), &tcsrf, &[("email", "anna@ui.test"), ("role", "learner")]).await;
    let row = p.row("anna@ui.test").unwrap();
    assert!(row.contains("row-error") && row.contains("yourself"), "{row}");
    assert!(!row.contains("class=\"member-role\""), "own row: role as text");
    assert_eq!(ws_role(&app, &o.ws, &anna).await.as_deref(), Some("owner"));
    let own = t.get(&format!("/w/{}/members", o.ws)).await;
    let own_row = own.row("anna@ui.test").unwrap();
    assert!(!own_row.contains("member-remove") && !own_row.contains("member-select"), "{own_row}");
}

#[tokio::test]
async fn single_and_bulk_removal_all_or_nothing() {
    let app = TestApp::spawn().await;
    let (o, max, anna, bob) = team(&app).await;
    let carl = member(&app, &o, "carl@ui.test", "Carl", "learner").await;
    let b = Browser::signed_in(&app, "olivia@ui.test").await;
    let csrf = b.csrf(&o.ws).await;
    let before = ws_members(&app, &o.ws).await;

    let p = b.hx_post(&format!("/w/{}/members/{max}/remove", o.ws), &csrf, &[("email", "max@ui.test")]).await;
    assert_eq!(p.status, 200, "{}", p.html);
    assert!(p.html.contains("class=\"member-removed\"") && p.html.contains("Removed max@ui.test from"), "{}", p.html);
    assert!(p.member_rows().is_empty());
    assert_eq!(ws_role(&app, &o.ws, &max).await, None);
    // Again: the refusal shows where the row was.
    let p = b.hx_post(&format!("/w/{}/members/{max}/remove", o.ws), &csrf, &[("email", "max@ui.test")]).await;
    assert!(p.html.contains("row-error"), "{}", p.html);

    // Bulk with an entry that blocks (yourself): nothing removed, and the entry is named.
    let remove = format!("/w/{}/members/remove", o.ws);
    let p = b.hx_post(&remove, &csrf, &[("user_ids", &anna), ("user_ids", &o.user_id)]).await;
    assert_eq!(p.status, 200);
    assert!(p.html.contains("flash flash-error") && p.html.contains("Nothing was removed"), "{}", p.html);
    assert!(p.html.contains("You (olivia@ui.test)"), "{}", p.html);
    assert_eq!(p.header("hx-trigger"), "");
    assert_eq!(ws_role(&app, &o.ws, &anna).await.as_deref(), Some("trainer"));
    // A member that is no longer there blocks too.
    let p = b.hx_post(&remove, &csrf, &[("user_ids", &anna), ("user_ids", &max)]).await;
    assert!(p.html.contains("Nothing was removed") && p.html.contains(&max), "{}", p.html);
    assert_eq!(ws_members(&app, &o.ws).await, before - 1);

    // Nothing ticked.
    let p = b.hx_post(&remove, &csrf, &[]).await;
    assert!(p.html.contains("flash-error"), "{}", p.html);

    // All removable: all go, and the table is told to reload.
    let p = b.hx_post(&remove, &csrf, &[("user_ids", &anna), ("user_ids", &bob), ("user_ids", &carl)]).await;
    assert!(p.html.contains("flash flash-success") && p.html.contains("Removed 3 members"), "{}", p.html);
    assert_eq!(p.header("hx-trigger"), "members-changed");
    assert_eq!(ws_members(&app, &o.ws).await, before - 4);
    let rows = b.hx_get(&format!("/w/{}/members/rows", o.ws)).await;
    assert!(rows.row("bob@ui.test").is_none());
}

#[tokio::test]
async fn a_missing_or_wrong_csrf_token_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let (o, max, anna, _) = team(&app).await;
    let b = Browser::signed_in(&app, "olivia@ui.test").await;
    let wrong = "0".repeat(64);
    let before = ws_members(&app, &o.ws).await;
    let role = format!("/w/{}/members/{max}/role", o.ws);
    assert_eq!(b.post(&role, &[("role", "owner")]).await.status, 403);
    assert_eq!(b.hx_post(&role, &wrong, &[("role", "owner")]).await.status, 403);
    assert_eq!(b.hx_post(&role, "", &[("role", "owner")]).await.status, 403);
    assert_eq!(ws_role(&app, &o.ws, &max).await.as_deref(), Some("learner"));
    let remove = format!("/w/{}/members/remove", o.ws);
    assert_eq!(b.hx_post(&remove, &wrong, &[("user_ids", &max), ("user_ids", &anna)]).await.status, 403);
    assert_eq!(b.post(&format!("/w/{}/members/{max}/remove", o.ws), &[]).await.status, 403);
    assert_eq!(ws_members(&app, &o.ws).await, before);
    let invite = format!("/w/{}/members/invite", o.ws);
    assert_eq!(b.post(&invite, &[("emails", "csrf@ui.test"), ("role", "learner")]).await.status, 403);
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations").await, 0);
    // Another session's token is no good either.
    let other = Browser::signed_in(&app, "olivia@ui.test").await;
    let their = other.csrf(&o.ws).await;
    assert_eq!(b.hx_post(&remove, &their, &[("user_ids", &max)]).await.status, 403);
    assert_eq!(ws_members(&app, &o.ws).await, before);
    // The right one works.
    let csrf = b.csrf(&o.ws).await;
    assert_eq!(b.hx_post(&role, &csrf, &[("role", "viewer")]).await.status, 200);
    assert_eq!(ws_role(&app, &o.ws, &max).await.as_deref(), Some("viewer"));
}

#[tokio::test]
async fn a_workspace_owner_is_offered_workspace_roles_only_and_a_learner_gets_403() {
    let app = TestApp::spawn().await;
    let (o, _, _, _) = team(&app).await;
    member(&app, &o, "wendy@ui.test", "Wendy", "owner").await;
    let w = Browser::signed_in(&app, "wendy@ui.test").await;
    let page = w.get(&format!("/w/{}/members", o.ws)).await;
    assert_eq!(page.status, 200, "{}", page.html);
    let ws_roles = ["owner", "trainer", "reviewer", "learner", "editor", "viewer"];
    let row_options = options(page.row("max@ui.test").unwrap(), "<select class=\"member-role\"");
    let invite_options = options(&page.html, "<select id=\"invite-role\"");
    for opts in [&row_options, &invite_options] {
        let values: Vec<&str> = opts.iter().map(|(v, _)| v.as_str()).collect();
        assert_eq!(values, ws_roles, "{opts:?}");
        assert!(opts.iter().all(|(_, label)| !label.contains("Admin") && !label.contains("Organisation")), "{opts:?}");
    }
    assert!(!page.html.contains("value=\"guest\""));
    // The org owner's row is not a workspace row she can touch (olivia is no ws member, or owner).
    assert!(!page.html.contains(">Admin<"));
    // Posting an org-only role anyway is refused in the row.
    let csrf = page.csrf();
    let max = attr(page.row("max@ui.test").unwrap(), "data-user-id").unwrap();
    let p = w
        .hx_post(&format!("/w/{}/members/{max}/role", o.ws), &csrf, &[("email", "max@ui.test"), ("role", "guest")])
        .await;
    assert!(p.row("max@ui.test").unwrap().contains("row-error"));

    // A learner: no Members link, and the page answers 403 if typed in.
    let l = Browser::signed_in(&app, "bob@ui.test").await;
    let dash = l.get(&format!("/w/{}", o.ws)).await;
    assert_eq!(dash.status, 200);
    assert!(!dash.html.contains("id=\"nav-members\"") && !dash.html.contains("id=\"nav-invitations\""));
    assert_eq!(l.get(&format!("/w/{}/members", o.ws)).await.status, 403);
    assert_eq!(l.hx_get(&format!("/w/{}/members/rows?q=max", o.ws)).await.status, 403);
    assert_eq!(l.get(&format!("/w/{}/invitations", o.ws)).await.status, 403);
    // Someone of another organisation: it does not exist for them.
    app.owner("stranger@ui.test", "pro", 5, 0).await;
    let s = Browser::signed_in(&app, "stranger@ui.test").await;
    assert_eq!(s.get(&format!("/w/{}/members", o.ws)).await.status, 404);
    assert_eq!(s.hx_get(&format!("/w/{}/members/rows", o.ws)).await.status, 404);
    assert_eq!(s.get(&format!("/w/{}/invitations", o.ws)).await.status, 404);
    let scsrf = s.get("/orgs/new").await.csrf();
    let p = s.hx_post(&format!("/w/{}/members/remove", o.ws), &scsrf, &[("user_ids", &max)]).await;
    assert!(p.status == 404 || p.html.contains("flash-error"), "{}", p.html);
    assert!(ws_role(&app, &o.ws, &max).await.is_some());
    // Signed out: to the login page.
    let anon = Browser::new(&app);
    let p = anon.get(&format!("/w/{}/members", o.ws)).await;
    assert_eq!(p.status, 303);
    assert!(p.header("location").starts_with("/login?next="));
}

#[tokio::test]
async fn the_invitations_tab_resends_and_revokes() {
    let app = TestApp::spawn().await;
    let (o, _, _, _) = team(&app).await;
    let b = Browser::signed_in(&app, "olivia@ui.test").await;
    let csrf = b.csrf(&o.ws).await;
    let p = b
        .hx_post(
            &format!("/w/{}/members/invite", o.ws),
            &csrf,
            &[("emails", "inv1@ui.test\ninv2@ui.test"), ("role", "trainer")],
        )
        .await;
    assert_eq!(elements(&p.html, "<li class=\"invite-result\"", "</li>").len(), 2, "{}", p.html);
    let old_token = app.invitation_token("inv1@ui.test").await.unwrap();

    let page = b.get(&format!("/w/{}/invitations", o.ws)).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("<table id=\"invitations\"") && page.html.contains("aria-current=\"page\">Invitations"));
    let rows = elements(&page.html, "<tr class=\"invitation-row\"", "</tr>");
    assert_eq!(rows.len(), 2);
    let row = rows.iter().find(|r| r.contains("data-email=\"inv1@ui.test\"")).unwrap();
    assert!(row.contains("badge badge-pending") && row.contains("Trainer") && row.contains("<time datetime="), "{row}");
    assert!(row.contains("class=\"invitation-resend") && row.contains("class=\"invitation-revoke"));
    assert!(row.contains("data-confirm=\"Revoke the invitation to inv1@ui.test?"));
    let id = attr(row, "data-invitation-id").unwrap();

    // Resend: a new link, the old one dead.
    let p = b.hx_post(&format!("/w/{}/invitations/{id}/resend", o.ws), &csrf, &[]).await;
    assert_eq!(p.status, 200);
    assert!(
        p.html.contains("class=\"invitation-row\"") && p.html.contains("row-note") && p.html.contains("Sent again"),
        "{}",
        p.html
    );
    let new_token = app.invitation_token("inv1@ui.test").await.unwrap();
    assert_ne!(new_token, old_token);
    assert_eq!(app.client().get(&format!("/api/v1/invitations/by-token/{old_token}")).await.status, 410);

    // Revoke: the row says so and offers nothing more.
    let p = b.hx_post(&format!("/w/{}/invitations/{id}/revoke", o.ws), &csrf, &[]).await;
    assert!(p.html.contains("badge badge-revoked") && p.html.contains("row-note"), "{}", p.html);
    assert!(!p.html.contains("invitation-revoke") && !p.html.contains("invitation-resend"));
    assert_eq!(app.client().get(&format!("/api/v1/invitations/by-token/{new_token}")).await.status, 410);
    // Twice: the refusal is in the row.
    let p = b.hx_post(&format!("/w/{}/invitations/{id}/revoke", o.ws), &csrf, &[]).await;
    assert!(p.html.contains("row-error") && p.html.contains("already"), "{}", p.html);
    // Pending ones come first.
    let page = b.get(&format!("/w/{}/invitations", o.ws)).await;
    let order: Vec<String> = elements(&page.html, "<tr class=\"invitation-row\"", "</tr>")
        .iter()
        .filter_map(|r| attr(r, "data-email"))
        .collect();
    assert_eq!(order, vec!["inv2@ui.test", "inv1@ui.test"]);
    // Without htmx: a flash message on the tab.
    let inv2 = elements(&page.html, "<tr class=\"invitation-row\"", "</tr>")[0];
    let id2 = attr(inv2, "data-invitation-id").unwrap();
    let p = b.post(&format!("/w/{}/invitations/{id2}/revoke", o.ws), &[("csrf", &csrf)]).await;
    assert_eq!(p.status, 303);
    let page = b.get(&format!("/w/{}/invitations", o.ws)).await;
    assert!(page.html.contains("flash flash-success"), "{}", page.html);
    // CSRF is checked here too.
    let p = b.hx_post(&format!("/w/{}/invitations/{id2}/resend", o.ws), "nope", &[]).await;
    assert_eq!(p.status, 403);
}

#[tokio::test]
async fn member_names_are_escaped() {
    let (app, o) = TestApp::init().with_owner("olivia@ui.test", "enterprise", 10, 0).await;
    member(&app, &o, "evil@ui.test", "<script>alert(1)</script>\"'&", "learner").await;
    let b = Browser::signed_in(&app, "olivia@ui.test").await;
    let page = b.get(&format!("/w/{}/members", o.ws)).await;
    assert_eq!(page.status, 200);
    assert!(!page.html.contains("<script>alert"), "{}", page.html);
    let cell = page.row("evil@ui.test").unwrap();
    assert!(
        cell.contains("&#60;script&#62;alert(1)&#60;/script&#62;")
            || cell.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{cell}"
    );
    let rows = b.hx_get(&format!("/w/{}/members/rows?q=script", o.ws)).await;
    assert_eq!(rows.emails(), vec!["evil@ui.test"]);
    assert!(!rows.html.contains("<script>"));
}

#[tokio::test]
async fn home_takes_each_person_to_a_page_they_may_open() {
    let app = TestApp::spawn().await;
    let (o, _, _, _) = team(&app).await;
    // The owner lands on Members; a learner (no members.view) on the dashboard, never a 403.
    let owner_home = o.client.send(reqwest::Method::GET, "/", None, &[]).await;
    assert_eq!(owner_home.status, 200);
    assert!(owner_home.text.contains("id=\"members\""), "the owner lands on Members");
    let learner = app.client();
    assert_eq!(learner.login("bob@ui.test").await.status, 200);
    let home = learner.send(reqwest::Method::GET, "/", None, &[]).await;
    assert_eq!(home.status, 200, "{}", home.text);
    assert!(!home.text.contains("id=\"members\"") && !home.text.contains("id=\"nav-members\""));
    // The switcher offers each workspace's dashboard, which every member may open.
    assert!(home.text.contains(&format!("value=\"/w/{}\"", o.ws)), "{}", home.text);
}
