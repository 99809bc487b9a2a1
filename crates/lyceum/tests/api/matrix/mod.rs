//! Tenant isolation and the role matrix (OWASP API1/API5), generated from the route table.
//!
//! The operations come from the OpenAPI document the router is built with
//! (`server_internals::openapi()`), so a new route without an entry in a wing's `ROUTES`
//! (`matrix/<wing>.rs`) fails the test.
//! Each entry says what an operation needs (public, any signed-in person, a permission at
//! organisation or workspace scope, …). One world is built: organisation A (enterprise, W1 and
//! W2) with a person and an API key for every organisation role and every workspace role in W1,
//! organisation B with its owner and a key, a signed-in outsider and an anonymous caller. Every
//! operation is sent by every principal against its own organisation's ids (W1 and W2 for
//! workspace routes, an organisation- and a workspace-level invitation), against its own
//! container holding a foreign object (compared with a non-existent object: the answers must be
//! the same), and against the other organisation's ids. The expected answer is computed by the
//! domain's permission engine (`Access`), never written by hand:
//! anonymous → 401; not visible (or foreign) → 404; visible but not permitted → 403; permitted →
//! 2xx or a business refusal that is not 401/403/404 (counted). Never 5xx. An operation whose
//! reach is `Reach::CrossOrg` (the marketplace's) is permitted from other organisations too.
//!
//! `engine.rs` computes the expectations and judges the answers; `runner.rs` builds the world and
//! sends the cases; `tenancy.rs`, `accounts.rs`, `audit.rs`, `credits.rs` and `learning.rs` are the wings' route
//! tables.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lyceum_domain::{OrgRole, WorkspaceRole};
use lyceum_test_support::TestApp;
use serde_json::json;

use engine::{perm, Case, Expect, Need, Route, Variant, Who};
use runner::{build_org, key, person, run_principal, Auth, Http, Principal, World};

mod accounts;
mod audit;
mod credits;
mod engine;
mod learning;
mod runner;
mod tenancy;

/// Every operation of the API and what it needs: the wings' route tables. Keep them in step with
/// the router: an operation of the OpenAPI document missing here (or an entry the document
/// lacks) fails the test.
fn routes() -> Vec<&'static Route> {
    tenancy::ROUTES
        .iter()
        .chain(accounts::ROUTES)
        .chain(audit::ROUTES)
        .chain(credits::ROUTES)
        .chain(learning::ROUTES)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_operation_answers_every_principal_as_the_engine_says_and_nothing_leaks_across_tenants() {
    let started = Instant::now();
    let openapi = crate::server_internals::openapi();
    let doc = serde_json::to_value(&openapi).unwrap();
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in ["get", "put", "post", "patch", "delete", "head", "options", "trace"] {
            if item.get(method).is_some() {
                documented.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    let routes = routes();
    let table: BTreeSet<(String, String)> = routes.iter().map(|r| (r.method.to_owned(), r.path.to_owned())).collect();
    assert_eq!(table.len(), routes.len(), "an operation is listed twice in ROUTES");
    let missing: Vec<_> = documented.difference(&table).collect();
    assert!(missing.is_empty(), "operations without an entry in the matrix (add them to ROUTES): {missing:?}");
    let stale: Vec<_> = table.difference(&documented).collect();
    assert!(stale.is_empty(), "ROUTES lists operations the API does not have: {stale:?}");
    for route in &routes {
        if let Need::Org { perm: Some(p), .. }
        | Need::Workspace { perm: Some(p) }
        | Need::Invitation { perm: p }
        | Need::Course { perm: Some(p) } = route.need
        {
            perm(p);
        }
    }

    let app = TestApp::spawn().await;
    let http = Http {
        client: reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap(),
        base: app.base.clone(),
    };
    let ((a, token_email), (b, _)) = tokio::join!(build_org(&http, "a", 4), build_org(&http, "b", 2));
    let login_email = "login@matrix.test".to_owned();
    let ((outsider, _), _) = tokio::join!(http.signup("outsider@matrix.test"), http.signup(&login_email));
    let token = app.invitation_token(&token_email).await.expect("the invitation email");
    let w = Arc::new(World { http: http.clone(), orgs: [a, b], login_email, token, fresh: AtomicU64::new(0) });

    let mut principals = vec![
        Principal { label: "anonymous".into(), auth: Auth::None, who: Who::Anonymous },
        Principal {
            label: "outsider".into(),
            auth: Auth::Cookie(outsider),
            who: Who::Person { home: None, org_role: None, ws_role: None },
        },
    ];
    let mut people = tokio::task::JoinSet::new();
    for r in OrgRole::ALL {
        let w = w.clone();
        people.spawn(async move { person(&w, 0, &format!("A org:{r}"), Some(*r), None).await });
    }
    for r in WorkspaceRole::ALL {
        let w = w.clone();
        people.spawn(async move { person(&w, 0, &format!("A W1:{r}"), None, Some(*r)).await });
    }
    {
        let w = w.clone();
        people.spawn(async move { person(&w, 1, "B org:owner", Some(OrgRole::Owner), None).await });
    }
    while let Some(p) = people.join_next().await {
        principals.push(p.unwrap());
    }
    for r in OrgRole::ALL {
        principals.push(key(&w, 0, &format!("A key org:{r}"), Some(*r), None).await);
    }
    for r in WorkspaceRole::ALL {
        principals.push(key(&w, 0, &format!("A key W1:{r}"), None, Some(*r)).await);
    }
    principals.push(key(&w, 1, "B key org:owner", Some(OrgRole::Owner), None).await);
    principals.sort_by(|x, y| x.label.cmp(&y.label));
    let built = started.elapsed();

    let mut runs = tokio::task::JoinSet::new();
    for p in principals.iter() {
        let p = Arc::new(Principal { label: p.label.clone(), auth: p.auth.clone(), who: p.who.clone() });
        runs.spawn(run_principal(w.clone(), p));
    }
    let mut cases = Vec::new();
    while let Some(c) = runs.join_next().await {
        cases.extend(c.unwrap());
    }
    let elapsed = started.elapsed();

    let total = cases.len();
    let server_errors: Vec<&Case> = cases.iter().filter(|c| c.status >= 500).collect();
    let mismatches: Vec<&Case> = cases.iter().filter(|c| !c.matches()).collect();
    let leaks: Vec<&Case> = cases.iter().filter(|c| c.leak()).collect();
    let mut by_variant: BTreeMap<Variant, usize> = BTreeMap::new();
    let mut by_expect: BTreeMap<Expect, usize> = BTreeMap::new();
    let mut refusals: BTreeMap<(String, u16, String), usize> = BTreeMap::new();
    for c in &cases {
        *by_variant.entry(c.variant).or_default() += 1;
        *by_expect.entry(c.expected).or_default() += 1;
        if c.expected.permits() && !c.mixed() && c.status >= 400 && c.status < 500 {
            *refusals.entry((c.op.clone(), c.status, c.code.clone())).or_default() += 1;
        }
    }
    let backend = if std::env::var("LYCEUM_TEST_DATABASE_URL").is_ok() { "postgres" } else { "sqlite" };
    println!(
        "matrix [{backend}]: {} operations x {} principals; {total} cases ({} foreign-org, {} own container with a \
         foreign object); expected {by_expect:?}; by variant {by_variant:?}",
        routes.len(),
        principals.len(),
        cases.iter().filter(|c| c.foreign && !c.mixed()).count(),
        by_variant.get(&Variant::Mixed).unwrap_or(&0),
    );
    println!(
        "matrix [{backend}]: leaks {}, mismatches {}, 5xx {}; world built in {:.1} s, total {:.1} s",
        leaks.len(),
        mismatches.len(),
        server_errors.len(),
        built.as_secs_f64(),
        elapsed.as_secs_f64()
    );
    for ((op, status, code), n) in &refusals {
        println!("matrix [{backend}]: permitted but refused by a business rule: {op} -> {status} {code} (x{n})");
    }
    for c in cases.iter().filter(|c| !c.matches() && !c.leak()) {
        println!("matrix [{backend}]: MISMATCH {}", c.describe());
    }
    let show = |v: &[&Case]| v.iter().take(40).map(|c| format!("\n  {}", c.describe())).collect::<String>();
    assert!(server_errors.is_empty(), "5xx answers:{}", show(&server_errors));
    assert!(leaks.is_empty(), "{} leaks:{}", leaks.len(), show(&leaks));
    assert!(mismatches.is_empty(), "{} answers differ from the engine:{}", mismatches.len(), show(&mismatches));
    assert!(total > 1000, "the matrix ran {total} cases");
    drop(app);
}

/// Regression (found by the matrix): "only a person may do this" was answered before the tenant
/// check, so an API key got 403 instead of 404 for another organisation's (or an unseen
/// workspace's) leave and key creation — rule 4 says a foreign id is never 403.
#[tokio::test]
async fn an_api_key_is_told_not_found_before_person_only_for_foreign_or_unseen_ids() {
    let (app, a) = TestApp::init().with_owner("keyleave@a.example", "enterprise", 10, 0).await;
    let b = app.owner("keyleave@b.example", "pro", 10, 0).await;
    let w2 =
        a.client.post(&format!("/api/v1/orgs/{}/workspaces", a.org), json!({"name": "W2", "credit_limit": 0})).await;
    let w2 = w2.json["id"].as_str().unwrap().to_owned();
    let created = a
        .client
        .post(
            &format!("/api/v1/orgs/{}/api-keys", a.org),
            json!({"name": "w1 bot", "role": "owner", "workspace_id": a.ws}),
        )
        .await;
    let kc = app.key_client(created.json["key"].as_str().unwrap());
    for path in [
        format!("/api/v1/orgs/{}/leave", b.org),
        format!("/api/v1/workspaces/{}/leave", b.ws),
        format!("/api/v1/workspaces/{w2}/leave",),
    ] {
        kc.post(&path, json!({})).await.assert_problem(404, "not_found");
    }
    kc.post(&format!("/api/v1/orgs/{}/api-keys", b.org), json!({"name": "x", "role": "viewer"}))
        .await
        .assert_problem(404, "not_found");
    // Its own organisation and workspace: visible, and a key is not a person.
    kc.post(&format!("/api/v1/orgs/{}/leave", a.org), json!({})).await.assert_problem(403, "forbidden");
    kc.post(&format!("/api/v1/workspaces/{}/leave", a.ws), json!({})).await.assert_problem(403, "forbidden");
    kc.post(&format!("/api/v1/orgs/{}/api-keys", a.org), json!({"name": "x", "role": "viewer"}))
        .await
        .assert_problem(403, "forbidden");
    assert_eq!(app.count("SELECT COUNT(*) FROM api_keys").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM org_members").await, 2);
}
