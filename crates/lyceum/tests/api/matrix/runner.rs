//! The matrix's runner: a plain HTTP client without a cookie jar, the world (two organisations
//! with their standing objects and every kind of principal), the request of each case, and the
//! run of one principal through every operation.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use lyceum_domain::{OrgRole, WorkspaceRole};
use lyceum_test_support::PASSWORD;
use serde_json::{json, Value};
use tokio::sync::Mutex;

use super::engine::{expect, variants, Body, Case, Expect, Object, Route, Scope, Variant, Who};

// --- HTTP without a cookie jar: a call never changes the principal's credentials -------------

#[derive(Debug, Clone)]
pub enum Auth {
    None,
    Cookie(String),
    Bearer(String),
}

#[derive(Clone)]
pub struct Http {
    pub client: reqwest::Client,
    pub base: String,
}

#[derive(Debug)]
pub struct Answer {
    status: u16,
    json: Value,
    set_cookie: Option<String>,
}

impl Answer {
    fn code(&self) -> String {
        self.json["code"].as_str().unwrap_or("").to_owned()
    }
}

impl Http {
    async fn send(&self, auth: &Auth, method: &str, path: &str, body: Option<&Value>) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        match auth {
            Auth::None => {}
            Auth::Cookie(c) => req = req.header("cookie", c),
            Auth::Bearer(k) => req = req.bearer_auth(k),
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let res = req.send().await.unwrap_or_else(|e| panic!("{path}: {e}"));
        let status = res.status().as_u16();
        let set_cookie = res
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(str::to_owned);
        let text = res.text().await.unwrap_or_default();
        Answer { status, json: serde_json::from_str(&text).unwrap_or(Value::Null), set_cookie }
    }

    /// Signs a person up: their session cookie (`name=value`) and id.
    pub async fn signup(&self, email: &str) -> (String, String) {
        let body = json!({"email": email, "password": PASSWORD, "name": email.split('@').next().unwrap()});
        let a = self.send(&Auth::None, "POST", "/api/v1/auth/signup", Some(&body)).await;
        assert_eq!(a.status, 201, "signup {email}: {a:?}");
        (a.set_cookie.expect("a session cookie"), a.json["user"]["id"].as_str().unwrap().to_owned())
    }
}

// --- The world ----------------------------------------------------------------------------------

/// One organisation with its standing objects, administered by its first owner.
pub struct OrgWorld {
    admin: Auth,
    org: String,
    ws: [String; 2],
    /// An organisation guest and a learner in W1 and W2.
    member: String,
    /// Outstanding invitations: organisation-level and W1-level.
    inv_org: String,
    inv_ws: String,
    key: String,
    /// A course with a published version in W1 and in W2, and a template of each.
    course: [String; 2],
    template: [String; 2],
    /// Accounts lent to permitted removals, re-added to the scope before each use.
    pool: Mutex<Vec<(String, String)>>,
}

pub struct World {
    pub http: Http,
    pub orgs: [OrgWorld; 2],
    pub login_email: String,
    pub token: String,
    pub fresh: AtomicU64,
}

impl World {
    fn fresh_email(&self) -> String {
        format!("fresh{}@matrix.test", self.fresh.fetch_add(1, Ordering::Relaxed))
    }

    async fn admin(&self, org: usize, method: &str, path: &str, body: Value) -> Answer {
        let a = self.http.send(&self.orgs[org].admin, method, path, Some(&body)).await;
        assert!(a.status < 300, "{method} {path} {body}: {a:?}");
        a
    }

    /// Invites `email` where `ws` says (organisation if None) and returns the first result.
    async fn invite(&self, org: usize, ws: Option<usize>, email: &str) -> Value {
        let o = &self.orgs[org];
        let (path, role) = match ws {
            Some(w) => (format!("/api/v1/workspaces/{}/invitations", o.ws[w]), "learner"),
            None => (format!("/api/v1/orgs/{}/invitations", o.org), "guest"),
        };
        let a = self.admin(org, "POST", &path, json!({"emails": [email], "role": role})).await;
        a.json["results"][0].clone()
    }

    /// A throwaway object for a permitted destructive call at `scope`.
    async fn throwaway(&self, route: &Route, scope: Scope) -> Throwaway {
        let o = &self.orgs[scope.org];
        match route.object {
            Object::UserInPath | Object::UserIdsInBody => {
                let (id, email) = loop {
                    if let Some(acc) = o.pool.lock().await.pop() {
                        break acc;
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                };
                let res = self.invite(scope.org, scope.ws, &email).await;
                let outcome = res["outcome"].as_str().unwrap_or("");
                assert!(["pending", "added", "already_member"].contains(&outcome), "{res}");
                Throwaway::Member(scope.org, id, email)
            }
            Object::InvitationInPath => {
                let res = self.invite(scope.org, scope.ws, &self.fresh_email()).await;
                Throwaway::Object(res["invitation_id"].as_str().expect("an invitation").to_owned())
            }
            Object::CourseInPath => {
                let w = scope.ws.expect("a course's workspace");
                let path = format!("/api/v1/workspaces/{}/courses", o.ws[w]);
                let a = self.admin(scope.org, "POST", &path, json!({"title": "Throwaway"})).await;
                Throwaway::Object(a.json["id"].as_str().unwrap().to_owned())
            }
            Object::KeyInPath => {
                let path = format!("/api/v1/orgs/{}/api-keys", o.org);
                let a = self.admin(scope.org, "POST", &path, json!({"name": "throwaway", "role": "viewer"})).await;
                Throwaway::Object(a.json["id"].as_str().unwrap().to_owned())
            }
            other => panic!("no throwaway for {other:?}"),
        }
    }

    async fn give_back(&self, t: Throwaway) {
        if let Throwaway::Member(org, id, email) = t {
            self.orgs[org].pool.lock().await.push((id, email));
        }
    }
}

pub enum Throwaway {
    Member(usize, String, String),
    Object(String),
}

impl Throwaway {
    fn id(&self) -> &str {
        match self {
            Throwaway::Member(_, id, _) | Throwaway::Object(id) => id,
        }
    }
}

pub async fn build_org(http: &Http, tag: &str, pool: usize) -> (OrgWorld, String) {
    let (admin, _) = http.signup(&format!("admin@{tag}.test")).await;
    let admin = Auth::Cookie(admin);
    let body = json!({"name": format!("Org {tag}"), "plan": "enterprise", "seats": 100_000});
    let a = http.send(&admin, "POST", "/api/v1/orgs", Some(&body)).await;
    assert_eq!(a.status, 201, "{a:?}");
    let org = a.json["id"].as_str().unwrap().to_owned();
    let w1 = a.json["workspaces"][0]["id"].as_str().unwrap().to_owned();
    let body = json!({"name": format!("W2 of {tag}"), "credit_limit": 0});
    let a = http.send(&admin, "POST", &format!("/api/v1/orgs/{org}/workspaces"), Some(&body)).await;
    assert_eq!(a.status, 201, "{a:?}");
    let w2 = a.json["id"].as_str().unwrap().to_owned();
    let mut accounts = Vec::new();
    for i in 0..=pool {
        let email = format!("pool{i}@{tag}.test");
        let (_, id) = http.signup(&email).await;
        accounts.push((id, email));
    }
    let (member, member_email) = accounts.pop().unwrap();
    let mut world = OrgWorld {
        admin,
        org,
        ws: [w1, w2],
        member,
        inv_org: String::new(),
        inv_ws: String::new(),
        key: String::new(),
        course: [String::new(), String::new()],
        template: [String::new(), String::new()],
        pool: Mutex::new(accounts),
    };
    let admin = world.admin.clone();
    let send = |path: String, body: Value| {
        let (http, admin) = (http.clone(), admin.clone());
        async move {
            let a = http.send(&admin, "POST", &path, Some(&body)).await;
            assert!(a.status < 300, "{path}: {a:?}");
            a.json
        }
    };
    for w in &world.ws {
        let j =
            send(format!("/api/v1/workspaces/{w}/invitations"), json!({"emails": [member_email], "role": "learner"}))
                .await;
        assert!(["pending", "added"].contains(&j["results"][0]["outcome"].as_str().unwrap()), "{j}");
    }
    let j = send(
        format!("/api/v1/orgs/{}/invitations", world.org),
        json!({"emails": [format!("standing@{tag}.test")], "role": "guest"}),
    )
    .await;
    world.inv_org = j["results"][0]["invitation_id"].as_str().unwrap().to_owned();
    let j = send(
        format!("/api/v1/workspaces/{}/invitations", world.ws[0]),
        json!({"emails": [format!("standing-ws@{tag}.test")], "role": "learner"}),
    )
    .await;
    world.inv_ws = j["results"][0]["invitation_id"].as_str().unwrap().to_owned();
    let j = send(format!("/api/v1/orgs/{}/api-keys", world.org), json!({"name": "standing", "role": "viewer"})).await;
    world.key = j["id"].as_str().unwrap().to_owned();
    for (i, w) in world.ws.clone().iter().enumerate() {
        let j = send(format!("/api/v1/workspaces/{w}/courses"), json!({"title": format!("Standing {i}")})).await;
        let id = j["id"].as_str().unwrap().to_owned();
        let draft = json!({"revision": 1, "modules": [{"title": "M", "blocks": [{"kind": "slide", "markdown": "x"}]}]});
        let a = http.send(&world.admin, "PUT", &format!("/api/v1/courses/{id}/draft"), Some(&draft)).await;
        assert_eq!(a.status, 200, "{a:?}");
        send(format!("/api/v1/courses/{id}/publish"), json!({})).await;
        let t = send(format!("/api/v1/courses/{id}/template"), json!({})).await;
        world.template[i] = t["id"].as_str().unwrap().to_owned();
        world.course[i] = id;
    }
    let token_email = format!("token@{tag}.test");
    send(format!("/api/v1/orgs/{}/invitations", world.org), json!({"emails": [token_email], "role": "guest"})).await;
    (world, token_email)
}

pub struct Principal {
    pub label: String,
    pub auth: Auth,
    pub who: Who,
}

/// A person of organisation `org` with these roles (invited by its first owner).
pub async fn person(
    w: &World,
    org: usize,
    label: &str,
    org_role: Option<OrgRole>,
    ws_role: Option<WorkspaceRole>,
) -> Principal {
    let email = format!("{}@people.test", label.replace([':', ' '], "-"));
    let (cookie, _) = w.http.signup(&email).await;
    let o = &w.orgs[org];
    let (path, role) = match (org_role, ws_role) {
        (_, Some(r)) => (format!("/api/v1/workspaces/{}/invitations", o.ws[0]), r.as_str()),
        (Some(r), None) => (format!("/api/v1/orgs/{}/invitations", o.org), r.as_str()),
        (None, None) => unreachable!(),
    };
    let a = w.admin(org, "POST", &path, json!({"emails": [email], "role": role})).await;
    assert_eq!(a.json["results"][0]["outcome"], "pending", "{a:?}");
    let org_role = Some(org_role.unwrap_or(OrgRole::Guest));
    Principal {
        label: label.to_owned(),
        auth: Auth::Cookie(cookie),
        who: Who::Person { home: Some(org), org_role, ws_role: ws_role.map(|r| (0, r)) },
    }
}

/// An API key of organisation `org` (made by its first owner): an organisation role, or a
/// workspace role bound to W1.
pub async fn key(
    w: &World,
    org: usize,
    label: &str,
    org_role: Option<OrgRole>,
    ws_role: Option<WorkspaceRole>,
) -> Principal {
    let o = &w.orgs[org];
    let body = match (org_role, ws_role) {
        (Some(r), None) => json!({"name": label, "role": r.as_str()}),
        (None, Some(r)) => json!({"name": label, "role": r.as_str(), "workspace_id": o.ws[0]}),
        _ => unreachable!(),
    };
    let a = w.admin(org, "POST", &format!("/api/v1/orgs/{}/api-keys", o.org), body).await;
    Principal {
        label: label.to_owned(),
        auth: Auth::Bearer(a.json["key"].as_str().unwrap().to_owned()),
        who: Who::Key { home: org, org_role, ws_role: ws_role.map(|r| (0, r)) },
    }
}

/// A request: path (with query) and body.
pub fn request(w: &World, route: &Route, scope: Scope, object: Option<&str>) -> (String, Option<Value>) {
    let o = &w.orgs[scope.org];
    let mut path = route.path.replace("{org}", &o.org);
    if let Some(ws) = scope.ws {
        path = path.replace("{ws}", &o.ws[ws]);
    }
    match (route.object, object) {
        (Object::UserInPath, Some(id)) => path = path.replace("{user}", id),
        (Object::KeyInPath | Object::InvitationInPath, Some(id)) => path = path.replace("{id}", id),
        (Object::CourseInPath, Some(id)) => path = path.replace("{course}", id),
        (Object::TemplateInPath, Some(id)) => path = path.replace("{t}", id),
        (Object::Token, _) => path = path.replace("{token}", &w.token),
        (Object::UserInQuery, Some(id)) => path = format!("{path}?user_id={id}"),
        (Object::WorkspaceInQuery, Some(id)) => path = format!("{path}?workspace_id={id}"),
        _ => {}
    }
    path = path.replace("{name}", "matrix-model").replace("{n}", "1");
    assert!(!path.contains('{'), "unfilled path {path}");
    let fresh = w.fresh_email();
    let body = match route.body {
        Body::None => None,
        Body::Signup => Some(json!({"email": fresh, "password": PASSWORD, "name": "Matrix"})),
        Body::Login => Some(json!({"email": w.login_email, "password": PASSWORD})),
        Body::Profile => Some(json!({"name": "Same Name"})),
        Body::NewOrg => Some(json!({"name": "Matrix org", "plan": "pro"})),
        Body::NewWorkspace => Some(json!({"name": "Matrix workspace", "credit_limit": 0})),
        Body::RenameWorkspace => Some(json!({"name": "Renamed by the matrix"})),
        Body::Role(role) => Some(json!({"role": role})),
        Body::Invite(role) => Some(json!({"emails": [fresh], "role": role})),
        Body::UserIds => Some(json!({"user_ids": [object.expect("a user")]})),
        Body::Check => Some(json!({"user_id": object.expect("a user"), "permission": "members.view"})),
        Body::Accept => Some(json!({"token": "no-such-invitation-token-0000000000000000000"})),
        Body::Price => Some(json!({"input_price_per_mtok": 1, "output_price_per_mtok": 2})),
        Body::Budget => Some(json!({"monthly_credits": 100, "alert_percents": [80, 100], "hard": false})),
        Body::Usage => {
            Some(json!({"events": [{"idempotency_key": fresh, "feature": "external", "model": "matrix-model",
            "input_tokens": 1, "output_tokens": 1}]}))
        }
        Body::NewCourse => Some(json!({"title": "Matrix course", "tags": ["matrix"]})),
        Body::Draft => Some(json!({"revision": 1, "modules": [{"title": "M", "blocks": []}]})),
        Body::Empty => Some(json!({})),
        Body::NoTopic => Some(json!({"topic": ""})),
        Body::NoAudience => Some(json!({"audience": ""})),
        Body::NewKey => {
            let mut b = json!({"name": "matrix key", "role": "viewer"});
            if let Some(ws) = object {
                b["workspace_id"] = json!(ws);
            }
            Some(b)
        }
    };
    (path, body)
}

/// The standing object of a route in organisation `org` (None: the optional object is omitted).
pub fn standing(w: &World, route: &Route, org: usize, alt: bool) -> Option<String> {
    let o = &w.orgs[org];
    match route.object {
        Object::UserInPath | Object::UserIdsInBody | Object::UserInBody => Some(o.member.clone()),
        Object::KeyInPath => Some(o.key.clone()),
        Object::InvitationInPath => Some(if alt { o.inv_ws.clone() } else { o.inv_org.clone() }),
        Object::CourseInPath => Some(o.course[usize::from(alt)].clone()),
        Object::TemplateInPath => Some(o.template[usize::from(alt)].clone()),
        _ => None,
    }
}

/// The other organisation's object, for a mixed case.
pub fn foreign_object(w: &World, route: &Route, other: usize) -> String {
    let o = &w.orgs[other];
    match route.object {
        Object::WorkspaceInQuery | Object::WorkspaceInBody => o.ws[0].clone(),
        Object::KeyInPath => o.key.clone(),
        _ => o.member.clone(),
    }
}

pub async fn run_principal(w: Arc<World>, p: Arc<Principal>) -> Vec<Case> {
    let mut routes = super::routes();
    routes.sort_by_key(|r| r.stage);
    let base = p.who.home().unwrap_or(0);
    let other = 1 - base;
    let mut cases = Vec::new();
    for route in routes {
        for variant in variants(route) {
            let (org, alt) = match variant {
                Variant::Foreign => (other, false),
                Variant::OwnAlt => (base, true),
                _ => (base, false),
            };
            let ws_idx = route.path.contains("{ws}").then_some(usize::from(alt));
            // The scope the engine judges: the route's workspace, or the invitation's.
            let scope = match route.object {
                Object::InvitationInPath => Scope { org, ws: alt.then_some(0) },
                Object::CourseInPath | Object::TemplateInPath => Scope { org, ws: Some(usize::from(alt)) },
                _ => Scope { org, ws: ws_idx },
            };
            let path_scope = Scope { org, ws: ws_idx };
            let judged = (variant != Variant::NoTenant).then_some(scope);
            let expected = expect(route.need, route.reach, &p.who, judged);
            let op = format!("{} {}", route.method, route.path);
            let foreign = variant != Variant::NoTenant && p.who.home() != Some(org);
            if variant == Variant::Mixed {
                // The principal's container with the other organisation's object, and with an
                // object that does not exist: the two answers must be the same.
                let (path, body) = request(&w, route, path_scope, Some(&foreign_object(&w, route, other)));
                let a = w.http.send(&p.auth, route.method, &path, body.as_ref()).await;
                let missing = uuid::Uuid::now_v7().to_string();
                let (path, body) = request(&w, route, path_scope, Some(&missing));
                let b = w.http.send(&p.auth, route.method, &path, body.as_ref()).await;
                let same = a.status == b.status && a.code() == b.code() && (a.status >= 300 || a.json == b.json);
                cases.push(Case {
                    principal: p.label.clone(),
                    op,
                    variant,
                    foreign,
                    expected,
                    status: a.status,
                    code: a.code(),
                    differs: (!same).then_some(b.status),
                });
                continue;
            }
            let mut lent = None;
            let object = if route.destroys && expected == Expect::Allowed && variant != Variant::Foreign {
                let t = w.throwaway(route, scope).await;
                let id = t.id().to_owned();
                lent = Some(t);
                Some(id)
            } else if variant == Variant::NoTenant {
                None
            } else {
                standing(&w, route, org, alt)
            };
            let (path, body) = request(&w, route, path_scope, object.as_deref());
            let a = w.http.send(&p.auth, route.method, &path, body.as_ref()).await;
            if let Some(t) = lent {
                w.give_back(t).await;
            }
            cases.push(Case {
                principal: p.label.clone(),
                op,
                variant,
                foreign,
                expected,
                status: a.status,
                code: a.code(),
                differs: None,
            });
        }
    }
    cases
}
