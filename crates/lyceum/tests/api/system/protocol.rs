//! Protocol hygiene: problem+json everywhere, 415/413/422 for bad bodies, the Origin check,
//! security headers, operational endpoints and the generated OpenAPI document.

use serde_json::{json, Value};

use lyceum_test_support::TestApp;

#[tokio::test]
async fn a_non_json_body_is_415_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let body = br#"{"email":"a@x.com","password":"correct horse battery staple","name":"A"}"#.to_vec();
    let r = app.client().raw(reqwest::Method::POST, "/api/v1/auth/signup", "text/plain", body).await;
    r.assert_problem(415, "unsupported_media_type");
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 0);
}

#[tokio::test]
async fn malformed_json_wrong_types_and_invalid_utf8_are_422() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let r = c.raw(reqwest::Method::POST, "/api/v1/auth/signup", "application/json", b"{\"email\": ".to_vec()).await;
    r.assert_problem(422, "validation");
    let r = c.post("/api/v1/auth/signup", json!({"email": 42, "password": [], "name": null})).await;
    r.assert_problem(422, "validation");
    assert!(!r.json["errors"].as_array().unwrap().is_empty());
    let r = c
        .raw(reqwest::Method::POST, "/api/v1/auth/signup", "application/json", b"{\"email\":\"\xff\xfe\"}".to_vec())
        .await;
    r.assert_problem(422, "validation");
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 0);
}

#[tokio::test]
async fn a_body_over_the_limit_is_413() {
    let app = TestApp::spawn_with(|a| a.max_body_bytes = 4096).await;
    let owner = app.owner("olivia@example.com", "pro", 10, 0).await;
    let emails: Vec<String> = (0..1000).map(|i| format!("person{i}@example.com")).collect();
    let r = owner
        .client
        .post(&format!("/api/v1/workspaces/{}/invitations", owner.ws), json!({"emails": emails, "role": "learner"}))
        .await;
    r.assert_problem(413, "payload_too_large");
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations").await, 0);
}

#[tokio::test]
async fn overlong_strings_are_refused_plainly() {
    let (_app, owner) = TestApp::init().with_owner("olivia@example.com", "enterprise", 10, 0).await;
    let r = owner
        .client
        .post(
            &format!("/api/v1/orgs/{}/workspaces", owner.org),
            json!({"name": "n".repeat(100_000), "credit_limit": 0}),
        )
        .await;
    r.assert_problem(422, "validation");
    let r =
        owner.client.post("/api/v1/orgs", json!({"name": "<script>alert(1)</script>' OR 1=1 --", "plan": "pro"})).await;
    assert_eq!(r.status, 201, "SQL- and HTML-looking names are data, stored as typed");
    assert_eq!(r.json["name"], "<script>alert(1)</script>' OR 1=1 --");
}

#[tokio::test]
async fn a_cookie_authenticated_write_from_another_origin_is_refused() {
    let (app, c, _) = TestApp::init().with_user("olivia@example.com").await;
    let body = Some(json!({"name": "Evil", "plan": "pro"}));
    let r = c.send(reqwest::Method::POST, "/api/v1/orgs", body.clone(), &[("origin", "http://evil.example")]).await;
    r.assert_problem(403, "csrf");
    let r = c.send(reqwest::Method::POST, "/api/v1/orgs", body.clone(), &[("sec-fetch-site", "cross-site")]).await;
    r.assert_problem(403, "csrf");
    assert_eq!(app.count("SELECT COUNT(*) FROM organizations").await, 0);
    let r = c.send(reqwest::Method::POST, "/api/v1/orgs", body, &[("origin", &app.base)]).await;
    assert_eq!(r.status, 201, "same origin is fine: {r:?}");
    let r = c.send(reqwest::Method::GET, "/api/v1/me", None, &[("origin", "http://evil.example")]).await;
    assert_eq!(r.status, 200, "safe methods are not refused");
}

#[tokio::test]
async fn api_key_requests_are_not_subject_to_the_origin_check() {
    let (app, owner) = TestApp::init().with_owner("olivia@example.com", "enterprise", 10, 0).await;
    let r = owner
        .client
        .post(&format!("/api/v1/orgs/{}/api-keys", owner.org), json!({"name": "ci", "role": "owner"}))
        .await;
    let key = r.json["key"].as_str().unwrap().to_owned();
    let k = app.key_client(&key);
    let r = k
        .send(
            reqwest::Method::POST,
            &format!("/api/v1/orgs/{}/workspaces", owner.org),
            Some(json!({"name": "W2", "credit_limit": 0})),
            &[("origin", "http://elsewhere.example")],
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_problem_json() {
    let app = TestApp::spawn().await;
    let r = app.client().get("/api/v1/nothing-here").await;
    r.assert_problem(404, "not_found");
    assert_eq!(r.json["detail"], crate::server_internals::NO_ROUTE);
    app.client()
        .send(reqwest::Method::PUT, "/api/v1/me", Some(json!({})), &[])
        .await
        .assert_problem(405, "method_not_allowed");
}

#[tokio::test]
async fn answers_carry_security_headers() {
    let app = TestApp::spawn().await;
    let r = app.client().get("/healthz").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(r.header("x-frame-options"), Some("DENY"));
    assert_eq!(r.header("referrer-policy"), Some("same-origin"));
    let csp = r.header("content-security-policy").unwrap();
    assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"), "{csp}");
}

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    let app = TestApp::spawn().await;
    let c = app.client();
    assert_eq!(c.get("/healthz").await.status, 200);
    assert_eq!(c.get("/readyz").await.status, 200);
    let owner = app.owner("olivia@example.com", "pro", 10, 0).await;
    owner
        .client
        .post(
            &format!("/api/v1/workspaces/{}/invitations", owner.ws),
            json!({"emails": "new@example.com", "role": "learner"}),
        )
        .await;
    let m = c.get("/metrics").await;
    assert_eq!(m.status, 200);
    assert!(m.text.contains("http_requests_total"), "{}", m.text);
    assert!(m.text.contains("route=\"/api/v1/orgs\""), "requests are labelled by route template");
    assert!(m.text.contains("http_request_duration_seconds_bucket"), "latency histogram");
    assert!(
        m.text.contains("lyceum_outbox_backlog 1"),
        "one invitation waits in the outbox: {}",
        m.text.lines().filter(|l| l.contains("outbox")).collect::<Vec<_>>().join("\n")
    );
}

/// Every endpoint of API.md, as (method, path).
const CONTRACT: &[(&str, &str)] = &[
    ("post", "/api/v1/auth/signup"),
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/auth/logout"),
    ("get", "/api/v1/me"),
    ("patch", "/api/v1/me"),
    ("post", "/api/v1/orgs"),
    ("get", "/api/v1/orgs/{org}"),
    ("get", "/api/v1/orgs/{org}/workspaces"),
    ("post", "/api/v1/orgs/{org}/workspaces"),
    ("patch", "/api/v1/workspaces/{ws}"),
    ("get", "/api/v1/orgs/{org}/credits"),
    ("get", "/api/v1/orgs/{org}/members"),
    ("get", "/api/v1/workspaces/{ws}/members"),
    ("post", "/api/v1/orgs/{org}/invitations"),
    ("post", "/api/v1/workspaces/{ws}/invitations"),
    ("patch", "/api/v1/orgs/{org}/members/{user}"),
    ("patch", "/api/v1/workspaces/{ws}/members/{user}"),
    ("delete", "/api/v1/orgs/{org}/members/{user}"),
    ("delete", "/api/v1/workspaces/{ws}/members/{user}"),
    ("post", "/api/v1/workspaces/{ws}/members/remove"),
    ("get", "/api/v1/orgs/{org}/invitations"),
    ("post", "/api/v1/invitations/{id}/resend"),
    ("delete", "/api/v1/invitations/{id}"),
    ("get", "/api/v1/invitations/by-token/{token}"),
    ("get", "/api/v1/workspaces/{ws}/permissions"),
    ("post", "/api/v1/orgs/{org}/check"),
    ("post", "/api/v1/orgs/{org}/api-keys"),
    ("get", "/api/v1/orgs/{org}/api-keys"),
    ("delete", "/api/v1/orgs/{org}/api-keys/{id}"),
    ("get", "/api/v1/orgs/{org}/audit"),
];

#[tokio::test]
async fn the_openapi_document_describes_every_endpoint_of_the_contract() {
    let app = TestApp::spawn().await;
    let r = app.client().get("/openapi.json").await;
    assert_eq!(r.status, 200);
    assert!(r.json["openapi"].as_str().unwrap().starts_with("3.1"), "{}", r.json["openapi"]);
    let paths = r.json["paths"].as_object().unwrap();
    for (method, path) in CONTRACT {
        let op: &Value = &paths.get(*path).unwrap_or(&Value::Null)[*method];
        assert!(op.is_object(), "{method} {path} is missing from /openapi.json");
        assert!(op["responses"].is_object(), "{method} {path} documents its responses");
    }
}

#[tokio::test]
async fn every_documented_operation_is_routed() {
    let app = TestApp::spawn().await;
    let doc = app.client().get("/openapi.json").await.json;
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in
            item.as_object().unwrap().keys().filter(|m| ["get", "post", "patch", "delete", "put"].contains(&m.as_str()))
        {
            operations += 1;
            let concrete = path.replace('{', "x").replace('}', "");
            let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let body = (m != reqwest::Method::GET && m != reqwest::Method::DELETE).then(|| json!({}));
            let r = app.client().send(m, &concrete, body, &[]).await;
            assert_ne!(r.status, 405, "{method} {path} is not routed for this method");
            assert_ne!(r.json["detail"], crate::server_internals::NO_ROUTE, "{method} {path} is not routed");
            assert!(
                r.header("content-type").is_some_and(|c| c.contains("json")) || r.status == 204,
                "{method} {path}: {r:?}"
            );
        }
    }
    assert!(operations >= CONTRACT.len(), "{operations} operations");
}

#[tokio::test]
async fn invitation_requests_are_throttled_per_inviter() {
    let app = TestApp::spawn_with(|a| a.invite_rate_per_actor = 2).await;
    let owner = app.owner("olivia@example.com", "pro", 50, 0).await;
    let other = app.owner("oscar@example.com", "pro", 50, 0).await;
    let path = format!("/api/v1/workspaces/{}/invitations", owner.ws);
    for i in 0..2 {
        let r = owner.client.post(&path, json!({"emails": [format!("p{i}@example.com")], "role": "learner"})).await;
        assert_eq!(r.status, 200, "{r:?}");
    }
    let r = owner.client.post(&path, json!({"emails": ["p9@example.com"], "role": "learner"})).await;
    r.assert_problem(429, "rate_limited");
    assert!(r.header("retry-after").is_some());
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations WHERE email = 'p9@example.com'").await, 0);
    let r = other
        .client
        .post(
            &format!("/api/v1/workspaces/{}/invitations", other.ws),
            json!({"emails": ["q@example.com"], "role": "learner"}),
        )
        .await;
    assert_eq!(r.status, 200, "another inviter has their own budget");
}

/// Ids are typed at the edge: an id spelled any way but its canonical one names nothing, so the
/// API answers the same 404 problem as for an id that does not exist, and a page the same 404
/// page — for an organisation, a workspace, a member and an invitation in the path.
#[tokio::test]
async fn a_non_canonical_id_in_a_path_is_the_same_404_as_a_missing_one() {
    let (app, owner) = TestApp::init().with_owner("owner@ids.test", "enterprise", 20, 1000).await;
    let (_, alice) = app.user("alice@ids.test").await;
    let r = owner
        .client
        .post(
            &format!("/api/v1/workspaces/{}/invitations", owner.ws),
            json!({"emails": ["alice@ids.test"], "role": "learner"}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let missing = "01936f3c-7e2a-7c3d-9f00-0123456789ab";
    for (canonical, other) in [
        (format!("/api/v1/orgs/{}", owner.org), format!("/api/v1/orgs/{}", owner.org.to_uppercase())),
        (format!("/api/v1/orgs/{missing}"), format!("/api/v1/orgs/{{{}}}", owner.org)),
        (
            format!("/api/v1/workspaces/{}/members", owner.ws),
            format!("/api/v1/workspaces/{}/members", owner.ws.replace('-', "")),
        ),
    ] {
        assert_eq!(owner.client.get(&canonical).await.status, if canonical.contains(missing) { 404 } else { 200 });
        owner.client.get(&other).await.assert_problem(404, "not_found");
    }
    let r = owner
        .client
        .patch(&format!("/api/v1/workspaces/{}/members/{}", owner.ws, alice.to_uppercase()), json!({"role": "trainer"}))
        .await;
    r.assert_problem(404, "not_found");
    let r = owner.client.post(&format!("/api/v1/invitations/{}/resend", missing.to_uppercase()), json!({})).await;
    r.assert_problem(404, "not_found");
    // Pages: the same "nothing here" page for a missing workspace and for another spelling.
    let page_of = |ws: &str| format!("/w/{ws}/members");
    assert_eq!(owner.client.get(&page_of(&owner.ws)).await.status, 200);
    let missing_page = owner.client.get(&page_of(missing)).await;
    let other_page = owner.client.get(&page_of(&owner.ws.to_uppercase())).await;
    assert_eq!((missing_page.status, other_page.status), (404, 404));
    assert_eq!(missing_page.text, other_page.text, "the two 404 pages are the same page");
    assert!(other_page.text.contains("There is nothing here"), "{}", other_page.text);
}

#[tokio::test]
async fn every_documented_refusal_names_codes_of_the_table_with_their_status() {
    let app = TestApp::spawn().await;
    let doc = app.client().get("/openapi.json").await.json;
    let mut refusals = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for (status, response) in op["responses"].as_object().into_iter().flatten() {
                let status: u16 = status.parse().unwrap_or_else(|_| panic!("{method} {path}: status {status}"));
                if status < 400 {
                    continue;
                }
                refusals += 1;
                let description = response["description"].as_str().unwrap_or_default();
                // One line per code, `- `code`: what the table says`.
                let codes: Vec<&str> = description
                    .lines()
                    .map(|l| l.strip_prefix("- `").and_then(|l| l.split_once("`: ")).map_or(l, |(code, _)| code))
                    .collect();
                assert!(!codes.is_empty(), "{method} {path} {status} names no code: {description:?}");
                for code in codes {
                    let c = lyceum_domain::Code::parse(code)
                        .unwrap_or_else(|| panic!("{method} {path} {status}: `{code}` is not in the table"));
                    assert_eq!(c.status(), status, "{method} {path}: `{code}` is documented under {status}");
                    assert!(description.contains(c.description()), "{method} {path}: `{code}` in the table's words");
                }
                assert!(
                    response["content"]["application/problem+json"]["schema"]["$ref"]
                        .as_str()
                        .is_some_and(|r| r.ends_with("/Problem")),
                    "{method} {path} {status}: {response}"
                );
                let retry = ["rate_limited", "ai_unavailable"].iter().any(|c| description.contains(&format!("`{c}`")));
                assert_eq!(response["headers"]["Retry-After"].is_object(), retry, "{method} {path} {status}");
            }
        }
    }
    assert!(refusals > 100, "{refusals} refusals documented");
}
