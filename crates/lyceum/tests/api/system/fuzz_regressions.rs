//! Regressions of what the OpenAPI fuzzing (`scripts/fuzz-api`, schemathesis) found: answers the
//! document did not declare (problem bodies typed `application/json`, 413/415/422/403/404 missing
//! from operations), query parameters documented as path parameters, duplicate operation ids, and
//! path ids that axum refused with a plain-text 400 instead of a problem.

use serde_json::{json, Value};

use lyceum_test_support::TestApp;

/// The served OpenAPI document.
async fn document(app: &TestApp) -> Value {
    let r = app.client().get("/openapi.json").await;
    assert_eq!(r.status, 200);
    r.json
}

/// Every operation of the document: (method, path template, operation object).
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                out.push((method.clone(), path.clone(), op.clone()));
            }
        }
    }
    out
}

/// Asserts that the document declares this answer for `method path`: its status, and for an
/// error its `application/problem+json` content type with the `Problem` schema.
#[track_caller]
fn assert_declared(doc: &Value, method: &str, path: &str, r: &lyceum_test_support::Resp) {
    let op = &doc["paths"][path][method];
    assert!(op.is_object(), "{method} {path} is not in the document");
    let declared = &op["responses"][r.status.to_string()];
    assert!(declared.is_object(), "{method} {path} answered {} which the document does not declare: {r:?}", r.status);
    if r.status >= 400 {
        let content_type = r.header("content-type").unwrap_or("");
        assert_eq!(content_type, "application/problem+json", "{r:?}");
        assert_eq!(
            declared["content"]["application/problem+json"]["schema"]["$ref"], "#/components/schemas/Problem",
            "{method} {path} {}: {declared}",
            r.status
        );
        for field in ["type", "title", "status", "detail", "code"] {
            assert!(!r.json[field].is_null(), "the problem has no {field}: {r:?}");
        }
    }
}

#[tokio::test]
async fn a_path_id_that_is_not_utf8_is_a_404_problem_not_a_plain_text_400() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    let owner = app.owner("olivia@example.com", "enterprise", 10, 0).await;

    // No authentication needed: the token lookup.
    let r = app.client().get("/api/v1/invitations/by-token/%FF").await;
    r.assert_problem(404, "not_found");
    assert_declared(&doc, "get", "/api/v1/invitations/by-token/{token}", &r);

    let cases = [
        ("get", "/api/v1/orgs/{org}", "/api/v1/orgs/%FF".to_owned()),
        ("get", "/api/v1/workspaces/{ws}/members", "/api/v1/workspaces/%C3%28/members".to_owned()),
        ("delete", "/api/v1/orgs/{org}/members/{user}", format!("/api/v1/orgs/{}/members/%FE%FF", owner.org)),
        ("post", "/api/v1/invitations/{id}/resend", "/api/v1/invitations/a%80b/resend".to_owned()),
    ];
    for (method, template, path) in cases {
        let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let body = (method == "post").then(|| json!({}));
        let r = owner.client.send(m, &path, body, &[]).await;
        r.assert_problem(404, "not_found");
        assert_declared(&doc, method, template, &r);
    }
    // Still authentication first: an anonymous caller learns nothing from the id.
    app.client().get("/api/v1/orgs/%FF").await.assert_problem(401, "unauthenticated");
}

#[tokio::test]
async fn refusals_a_client_can_meet_are_declared_for_their_operation() {
    let app = TestApp::spawn_with(|a| {
        a.max_body_bytes = 4096;
        a.login_rate_per_account = 2;
    })
    .await;
    let doc = document(&app).await;
    let owner = app.owner("olivia@example.com", "enterprise", 10, 0).await;
    let key = owner
        .client
        .post(&format!("/api/v1/orgs/{}/api-keys", owner.org), json!({"name": "k", "role": "owner"}))
        .await
        .json["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let kc = app.key_client(&key);
    let anon = app.client();
    let org = owner.org.as_str();
    let ws = owner.ws.as_str();

    // 415: a body that is not JSON, on routes that did not declare it.
    for (path, template, client) in [
        ("/api/v1/auth/signup".to_owned(), "/api/v1/auth/signup", &anon),
        ("/api/v1/auth/login".to_owned(), "/api/v1/auth/login", &anon),
        ("/api/v1/invitations/accept".to_owned(), "/api/v1/invitations/accept", &owner.client),
        (format!("/api/v1/workspaces/{ws}/members/remove"), "/api/v1/workspaces/{ws}/members/remove", &owner.client),
    ] {
        let r = client.raw(reqwest::Method::POST, &path, "text/plain", b"hello".to_vec()).await;
        r.assert_problem(415, "unsupported_media_type");
        assert_declared(&doc, "post", template, &r);
    }
    let r = owner.client.raw(reqwest::Method::PATCH, "/api/v1/me", "text/plain", b"x".to_vec()).await;
    r.assert_problem(415, "unsupported_media_type");
    assert_declared(&doc, "patch", "/api/v1/me", &r);

    // 413: a body over the limit.
    let emails: Vec<String> = (0..400).map(|i| format!("person{i}@example.com")).collect();
    let r = owner
        .client
        .post(&format!("/api/v1/workspaces/{ws}/invitations"), json!({"emails": emails, "role": "learner"}))
        .await;
    r.assert_problem(413, "payload_too_large");
    assert_declared(&doc, "post", "/api/v1/workspaces/{ws}/invitations", &r);
    let r = anon
        .post("/api/v1/auth/signup", json!({"email": "a@example.com", "password": "x".repeat(5000), "name": "A"}))
        .await;
    r.assert_problem(413, "payload_too_large");
    assert_declared(&doc, "post", "/api/v1/auth/signup", &r);

    // 422: malformed JSON, mistyped fields, malformed query parameters.
    let r = anon.raw(reqwest::Method::POST, "/api/v1/auth/login", "application/json", b"{\"email\": ".to_vec()).await;
    r.assert_problem(422, "validation");
    assert_declared(&doc, "post", "/api/v1/auth/login", &r);
    let r = owner.client.post("/api/v1/invitations/accept", json!({"token": 7})).await;
    r.assert_problem(422, "validation");
    assert_declared(&doc, "post", "/api/v1/invitations/accept", &r);
    let r = owner.client.get(&format!("/api/v1/workspaces/{ws}/permissions?user_id=a&user_id=b")).await;
    r.assert_problem(422, "validation");
    assert_declared(&doc, "get", "/api/v1/workspaces/{ws}/permissions", &r);
    let r = owner.client.get(&format!("/api/v1/orgs/{org}/members?limit=many")).await;
    r.assert_problem(422, "validation");
    assert_declared(&doc, "get", "/api/v1/orgs/{org}/members", &r);

    // 403: an API key on what only people may do.
    for (method, template, path, body) in [
        ("get", "/api/v1/me", "/api/v1/me".to_owned(), None),
        ("patch", "/api/v1/me", "/api/v1/me".to_owned(), Some(json!({"name": "Key"}))),
        ("post", "/api/v1/orgs", "/api/v1/orgs".to_owned(), Some(json!({"name": "K", "plan": "pro"}))),
        ("post", "/api/v1/orgs/{org}/leave", format!("/api/v1/orgs/{org}/leave"), None),
        ("post", "/api/v1/workspaces/{ws}/leave", format!("/api/v1/workspaces/{ws}/leave"), None),
        ("post", "/api/v1/invitations/accept", "/api/v1/invitations/accept".to_owned(), Some(json!({"token": "t"}))),
    ] {
        let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let r = kc.send(m, &path, body, &[]).await;
        r.assert_problem(403, "forbidden");
        assert_declared(&doc, method, template, &r);
    }

    // 429 with Retry-After on login.
    for _ in 0..2 {
        anon.post("/api/v1/auth/login", json!({"email": "olivia@example.com", "password": "wrong password!"})).await;
    }
    let r =
        anon.post("/api/v1/auth/login", json!({"email": "olivia@example.com", "password": "wrong password!"})).await;
    r.assert_problem(429, "rate_limited");
    assert_declared(&doc, "post", "/api/v1/auth/login", &r);
    assert!(r.header("retry-after").is_some());
    assert!(doc["paths"]["/api/v1/auth/login"]["post"]["responses"]["429"]["headers"]["Retry-After"].is_object());
}

#[tokio::test]
async fn the_openapi_document_is_consistent_with_its_routes() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    let ops = operations(&doc);
    assert!(ops.len() >= 30, "{} operations", ops.len());

    let mut ids = std::collections::BTreeMap::new();
    for (method, path, op) in &ops {
        let label = format!("{} {path}", method.to_uppercase());
        // Operation ids are unique (clients are generated from them; schemathesis links use them).
        let id = op["operationId"].as_str().unwrap_or_else(|| panic!("{label} has no operationId")).to_owned();
        if let Some(other) = ids.insert(id.clone(), label.clone()) {
            panic!("operationId {id} is used by {other} and {label}");
        }

        // Path parameters are exactly the template's; everything else is a query parameter.
        let template: Vec<&str> = path.split('/').filter_map(|s| s.strip_prefix('{')?.strip_suffix('}')).collect();
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        let in_path: Vec<&str> =
            params.iter().filter(|p| p["in"] == "path").map(|p| p["name"].as_str().unwrap()).collect();
        assert_eq!(in_path, template, "{label}: path parameters");
        for p in params.iter().filter(|p| p["in"] != "path") {
            assert_eq!(p["in"], "query", "{label}: {p}");
            assert_ne!(p["required"], true, "{label}: query parameters are optional: {p}");
        }

        // Every refusal is a problem document.
        let responses = op["responses"].as_object().unwrap();
        for (status, response) in responses {
            if status.starts_with('4') || status.starts_with('5') {
                let content = response["content"].as_object().unwrap_or_else(|| panic!("{label} {status}: no content"));
                assert_eq!(content.keys().collect::<Vec<_>>(), ["application/problem+json"], "{label} {status}");
                assert_eq!(
                    content["application/problem+json"]["schema"]["$ref"], "#/components/schemas/Problem",
                    "{label} {status}"
                );
            }
        }
        let has = |status: &str| responses.contains_key(status);

        // A JSON body can be too large, of the wrong type, or malformed.
        if op["requestBody"].is_object() {
            for status in ["413", "415", "422"] {
                assert!(has(status), "{label} takes a body but does not declare {status}");
            }
        }
        if params.iter().any(|p| p["in"] == "query") {
            assert!(has("422"), "{label} takes query parameters but does not declare 422");
        }
        if !template.is_empty() {
            assert!(has("404"), "{label} takes ids but does not declare 404");
        }

        // Authentication: the public operations say so; every other one declares 401 and 403.
        let public =
            op["security"].as_array().is_some_and(|s| s.iter().any(|r| r.as_object().is_some_and(|o| o.is_empty())));
        let expected_public = [
            "/api/v1/auth/signup",
            "/api/v1/auth/login",
            "/api/v1/auth/logout",
            "/api/v1/invitations/by-token/{token}",
        ];
        assert_eq!(public, expected_public.contains(&path.as_str()), "{label}: security {}", op["security"]);
        if !public {
            assert!(has("401") && has("403"), "{label} needs authentication but does not declare 401 and 403");
        }
    }
}

/// U+0000 in any input reached PostgreSQL, which cannot store or even compare text holding it:
/// the query failed and the answer was a 500 (found by `scripts/fuzz-api` on PostgreSQL, a NUL in
/// the login email). It is refused at the edge now — API and pages — and changes nothing.
#[tokio::test]
async fn nul_characters_are_refused_before_they_reach_the_database() {
    let (app, owner) = TestApp::init().with_owner("olivia@example.com", "enterprise", 10, 0).await;
    let (_, member) = app.user("max@example.com").await;
    let r = owner
        .client
        .post(
            &format!("/api/v1/workspaces/{}/invitations", owner.ws),
            json!({"emails": ["max@example.com"], "role": "learner"}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let key = owner
        .client
        .post(&format!("/api/v1/orgs/{}/api-keys", owner.org), json!({"name": "k", "role": "owner"}))
        .await
        .json["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let kc = app.key_client(&key);
    let (org, ws) = (owner.org.as_str(), owner.ws.as_str());
    let audit_before = app.count("SELECT COUNT(*) FROM audit_events").await;

    // The API: JSON bodies (422, naming the field), query strings (422), path ids (404).
    let r = app.client().post("/api/v1/auth/login", json!({"email": "olivia\u{0}@example.com", "password": "x"})).await;
    r.assert_problem(422, "validation");
    assert_eq!(r.json["errors"][0]["field"], "email", "{r:?}");
    let r = kc.post(&format!("/api/v1/workspaces/{ws}/members/remove"), json!({"user_ids": [member, "a\u{0}b"]})).await;
    r.assert_problem(422, "validation");
    assert_eq!(r.json["errors"][0]["field"], "user_ids[1]", "{r:?}");
    let r =
        kc.post(&format!("/api/v1/orgs/{org}/check"), json!({"user_id": "a\u{0}", "permission": "members.view"})).await;
    r.assert_problem(422, "validation");
    let r = app
        .client()
        .post(
            "/api/v1/auth/signup",
            json!({"email": "n@example.com", "password": "a long enough password\u{0}", "name": "N"}),
        )
        .await;
    r.assert_problem(422, "validation");
    for path in [
        format!("/api/v1/orgs/{org}/members?q=a%00b"),
        format!("/api/v1/workspaces/{ws}/members?q=%00"),
        format!("/api/v1/orgs/{org}/audit?actor=a%00b"),
        format!("/api/v1/orgs/{org}/audit?action=%00"),
        format!("/api/v1/orgs/{org}/invitations?workspace_id=%00"),
        format!("/api/v1/workspaces/{ws}/permissions?user_id=%00"),
    ] {
        kc.get(&path).await.assert_problem(422, "validation");
    }
    kc.get("/api/v1/orgs/a%00b").await.assert_problem(404, "not_found");
    kc.delete(&format!("/api/v1/orgs/{org}/members/a%00b")).await.assert_problem(404, "not_found");
    kc.delete(&format!("/api/v1/orgs/{org}/api-keys/%00")).await.assert_problem(404, "not_found");
    kc.post("/api/v1/invitations/%00/resend", json!({})).await.assert_problem(404, "not_found");
    app.client().get("/api/v1/invitations/by-token/a%00b").await.assert_problem(404, "not_found");
    // Authentication still comes first on the API.
    app.client().get(&format!("/api/v1/orgs/{org}/members?q=%00")).await.assert_problem(401, "unauthenticated");

    // The pages: URLs (404 for an id, 422 for a search or filter) and forms (422).
    let c = &owner.client;
    for (path, status) in [
        ("/w/a%00b".to_owned(), 404),
        (format!("/w/{ws}/members?q=a%00b"), 422),
        (format!("/w/{ws}/members/rows?q=%00"), 422),
        (format!("/o/{org}/audit?actor=%00"), 422),
        (format!("/o/{org}/audit.csv?action=%00"), 422),
        ("/o/%00/workspaces".to_owned(), 404),
    ] {
        let r = c.get(&path).await;
        assert_eq!(r.status, status, "{path}: {r:?}");
    }
    let page = c.get(&format!("/w/{ws}")).await.text;
    let marker = "\"X-CSRF-Token\": \"";
    let start = page.find(marker).expect("a CSRF token in the page") + marker.len();
    let csrf: String = page[start..].chars().take_while(|ch| ch.is_ascii_hexdigit()).collect();
    let form = "application/x-www-form-urlencoded";
    for (path, body) in [
        (format!("/w/{ws}/members/remove"), format!("csrf={csrf}&user_ids={member}&user_ids=a%00b")),
        (format!("/o/{org}/api-keys"), format!("csrf={csrf}&name=k&role=viewer&workspace_id=%00")),
        (format!("/w/{ws}/members/{member}/role"), format!("csrf={csrf}&role=learner%00")),
    ] {
        let r = c.raw(reqwest::Method::POST, &path, form, body.into_bytes()).await;
        assert_eq!(r.status, 422, "{path}: {r:?}");
    }
    let r = c
        .raw(reqwest::Method::POST, &format!("/w/{ws}/members/a%00b/remove"), form, format!("csrf={csrf}").into_bytes())
        .await;
    assert_eq!(r.status, 404, "{r:?}");
    let r = app
        .client()
        .raw(reqwest::Method::POST, "/login", form, b"email=olivia%00%40example.com&password=x".to_vec())
        .await;
    assert!(r.status < 500, "{r:?}");

    // Nothing changed.
    assert_eq!(app.count("SELECT COUNT(*) FROM workspace_members").await, 2);
    assert_eq!(app.count("SELECT COUNT(*) FROM api_keys").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_events").await, audit_before);
}
