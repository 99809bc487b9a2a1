//! Tenant isolation and the role matrix (OWASP API1/API5), generated from the route table.
//!
//! The operations come from the OpenAPI document the router is built with
//! (`server_internals::openapi()`), so a new route without an entry in `ROUTES` fails the test.
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
//! 2xx or a business refusal that is not 401/403/404 (counted). Never 5xx.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lyceum_domain::{Access, Grant, OrgRole, Permission, WorkspaceRole};
use serde_json::{json, Value};
use tokio::sync::Mutex;

use lyceum_test_support::{TestApp, PASSWORD};

/// What an operation needs from its caller.
#[derive(Debug, Clone, Copy)]
enum Need {
    /// No authentication: answers anyone (never 401/403/404).
    Public,
    /// A signed-in caller; no tenant in the request. `person_only`: API keys are refused (403).
    AnyUser { person_only: bool },
    /// Organisation scope: 404 unless the caller sees the organisation, then API keys are refused
    /// if `person_only`, then `perm` is required (403).
    Org { perm: Option<&'static str>, person_only: bool },
    /// Workspace scope: 404 without `workspace.view` there, then `perm` is required (403).
    Workspace { perm: Option<&'static str> },
    /// An invitation (organisation- or workspace-level): 404 unless the caller may view members
    /// where it points, then `perm` is required there (403).
    Invitation { perm: &'static str },
    /// The caller's own membership of the organisation or workspace (leave): 404 unless visible;
    /// API keys 403; persons 404 unless a member.
    OwnMembership,
}

/// The request body an operation is sent with.
#[derive(Debug, Clone, Copy)]
enum Body {
    None,
    Signup,
    Login,
    Profile,
    NewOrg,
    NewWorkspace,
    RenameWorkspace,
    Role(&'static str),
    Invite(&'static str),
    UserIds,
    Check,
    Accept,
    NewKey,
}

/// The id an operation carries besides its container (organisation or workspace).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Object {
    None,
    /// `{user}` in the path: a member of the container.
    UserInPath,
    /// `user_ids: [..]` in the body.
    UserIdsInBody,
    /// `user_id` in the body.
    UserInBody,
    /// `?user_id=` (optional: absent for own ids).
    UserInQuery,
    /// `?workspace_id=` (optional: absent for own ids).
    WorkspaceInQuery,
    /// `workspace_id` in the body (optional: absent for own ids).
    WorkspaceInBody,
    /// `{id}` of `/orgs/{org}/api-keys/{id}`.
    KeyInPath,
    /// `{id}` of `/invitations/{id}`: no container, the invitation decides the scope.
    InvitationInPath,
    /// `{token}` of an invitation (public).
    Token,
}

struct Route {
    method: &'static str,
    path: &'static str,
    need: Need,
    body: Body,
    object: Object,
    /// A permitted call destroys its object (removal, revocation): it gets a throwaway one.
    destroys: bool,
    /// 0 first; then 1..: calls that change the caller itself (leave, login, logout), in order.
    stage: u8,
}

const fn r(method: &'static str, path: &'static str, need: Need, body: Body, object: Object) -> Route {
    Route { method, path, need, body, object, destroys: false, stage: 0 }
}

const fn org(perm: &'static str) -> Need {
    Need::Org { perm: Some(perm), person_only: false }
}

const fn ws(perm: &'static str) -> Need {
    Need::Workspace { perm: Some(perm) }
}

/// Every operation of the API and what it needs. Keep in step with the router: an operation of
/// the OpenAPI document missing here (or an entry the document lacks) fails the test.
const ROUTES: &[Route] = &[
    Route { stage: 3, ..r("POST", "/api/v1/auth/login", Need::Public, Body::Login, Object::None) },
    Route { stage: 4, ..r("POST", "/api/v1/auth/logout", Need::Public, Body::None, Object::None) },
    r("POST", "/api/v1/auth/signup", Need::Public, Body::Signup, Object::None),
    r("GET", "/api/v1/me", Need::AnyUser { person_only: true }, Body::None, Object::None),
    r("PATCH", "/api/v1/me", Need::AnyUser { person_only: true }, Body::Profile, Object::None),
    r("POST", "/api/v1/orgs", Need::AnyUser { person_only: true }, Body::NewOrg, Object::None),
    r("GET", "/api/v1/orgs/{org}", Need::Org { perm: None, person_only: false }, Body::None, Object::None),
    r("GET", "/api/v1/orgs/{org}/workspaces", Need::Org { perm: None, person_only: false }, Body::None, Object::None),
    r("POST", "/api/v1/orgs/{org}/workspaces", org("workspaces.create"), Body::NewWorkspace, Object::None),
    r("PATCH", "/api/v1/workspaces/{ws}", ws("settings.manage"), Body::RenameWorkspace, Object::None),
    r("GET", "/api/v1/orgs/{org}/credits", org("credits.allocate"), Body::None, Object::None),
    r("GET", "/api/v1/orgs/{org}/members", org("members.view"), Body::None, Object::None),
    r("GET", "/api/v1/workspaces/{ws}/members", ws("members.view"), Body::None, Object::None),
    r("PATCH", "/api/v1/orgs/{org}/members/{user}", org("members.manage"), Body::Role("viewer"), Object::UserInPath),
    Route {
        destroys: true,
        ..r("DELETE", "/api/v1/orgs/{org}/members/{user}", org("members.manage"), Body::None, Object::UserInPath)
    },
    r(
        "PATCH",
        "/api/v1/workspaces/{ws}/members/{user}",
        ws("members.manage"),
        Body::Role("viewer"),
        Object::UserInPath,
    ),
    Route {
        destroys: true,
        ..r("DELETE", "/api/v1/workspaces/{ws}/members/{user}", ws("members.manage"), Body::None, Object::UserInPath)
    },
    Route {
        destroys: true,
        ..r(
            "POST",
            "/api/v1/workspaces/{ws}/members/remove",
            ws("members.manage"),
            Body::UserIds,
            Object::UserIdsInBody,
        )
    },
    Route {
        destroys: true,
        ..r("POST", "/api/v1/orgs/{org}/members/remove", org("members.manage"), Body::UserIds, Object::UserIdsInBody)
    },
    Route { stage: 1, ..r("POST", "/api/v1/workspaces/{ws}/leave", Need::OwnMembership, Body::None, Object::None) },
    Route { stage: 2, ..r("POST", "/api/v1/orgs/{org}/leave", Need::OwnMembership, Body::None, Object::None) },
    r("POST", "/api/v1/orgs/{org}/invitations", org("members.invite"), Body::Invite("guest"), Object::None),
    r("GET", "/api/v1/orgs/{org}/invitations", org("members.invite"), Body::None, Object::WorkspaceInQuery),
    r("POST", "/api/v1/workspaces/{ws}/invitations", ws("members.invite"), Body::Invite("learner"), Object::None),
    r(
        "POST",
        "/api/v1/invitations/{id}/resend",
        Need::Invitation { perm: "members.invite" },
        Body::None,
        Object::InvitationInPath,
    ),
    Route {
        destroys: true,
        ..r(
            "DELETE",
            "/api/v1/invitations/{id}",
            Need::Invitation { perm: "members.invite" },
            Body::None,
            Object::InvitationInPath,
        )
    },
    r("GET", "/api/v1/invitations/by-token/{token}", Need::Public, Body::None, Object::Token),
    r("POST", "/api/v1/invitations/accept", Need::AnyUser { person_only: true }, Body::Accept, Object::None),
    r("GET", "/api/v1/workspaces/{ws}/permissions", Need::Workspace { perm: None }, Body::None, Object::UserInQuery),
    r("POST", "/api/v1/orgs/{org}/check", org("org.manage"), Body::Check, Object::UserInBody),
    r(
        "POST",
        "/api/v1/orgs/{org}/api-keys",
        Need::Org { perm: Some("api_keys.manage"), person_only: true },
        Body::NewKey,
        Object::WorkspaceInBody,
    ),
    r("GET", "/api/v1/orgs/{org}/api-keys", org("api_keys.manage"), Body::None, Object::None),
    Route {
        destroys: true,
        ..r("DELETE", "/api/v1/orgs/{org}/api-keys/{id}", org("api_keys.manage"), Body::None, Object::KeyInPath)
    },
    r("GET", "/api/v1/orgs/{org}/audit", org("audit.view"), Body::None, Object::WorkspaceInQuery),
];

// --- The principals and the permission engine's view of them ---------------------------------

/// Who calls, as the engine sees it. `home` is the organisation (0 = A, 1 = B) the principal
/// belongs to; workspace indexes are 0 = W1, 1 = W2 of that organisation.
#[derive(Debug, Clone)]
enum Who {
    Anonymous,
    Person {
        home: Option<usize>,
        org_role: Option<OrgRole>,
        ws_role: Option<(usize, WorkspaceRole)>,
    },
    /// Created by the organisation's first owner (an owner of the organisation, W1 and W2).
    Key {
        home: usize,
        org_role: Option<OrgRole>,
        ws_role: Option<(usize, WorkspaceRole)>,
    },
}

impl Who {
    fn home(&self) -> Option<usize> {
        match self {
            Who::Anonymous => None,
            Who::Person { home, .. } => *home,
            Who::Key { home, .. } => Some(*home),
        }
    }

    fn is_key(&self) -> bool {
        matches!(self, Who::Key { .. })
    }

    /// The engine's `Access` of this principal in organisation `org` (and workspace `ws`).
    fn access(&self, org: usize, ws: Option<usize>) -> Access {
        match self {
            Who::Anonymous => Access::Person(Grant::default()),
            Who::Person { home, org_role, ws_role } => {
                if *home != Some(org) {
                    return Access::Person(Grant::default());
                }
                let workspace_role = match (ws, org_role) {
                    (Some(w), Some(_)) => ws_role.filter(|(i, _)| *i == w).map(|(_, r)| r),
                    _ => None,
                };
                Access::Person(Grant { org_role: *org_role, workspace_role, instance_admin: false })
            }
            Who::Key { home, org_role, ws_role } => {
                if *home != org {
                    return Access::Person(Grant::default());
                }
                let key = match ws_role {
                    Some((kw, role)) => {
                        Grant { workspace_role: (ws == Some(*kw)).then_some(*role), ..Grant::default() }
                    }
                    None => Grant { org_role: *org_role, ..Grant::default() },
                };
                let creator = Grant {
                    org_role: Some(OrgRole::Owner),
                    workspace_role: ws.map(|_| WorkspaceRole::Owner),
                    instance_admin: false,
                };
                Access::Key { key, creator }
            }
        }
    }

    /// Whether a person is a member of the organisation (`ws` None) or one of its workspaces.
    fn member_of(&self, org: usize, ws: Option<usize>) -> bool {
        match self {
            Who::Person { home, org_role, ws_role } if *home == Some(org) => match ws {
                None => org_role.is_some(),
                Some(w) => ws_role.is_some_and(|(i, _)| i == w),
            },
            _ => false,
        }
    }
}

/// The expected class of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Expect {
    Allowed,
    Unauthenticated,
    Forbidden,
    NotFound,
}

fn perm(name: &str) -> Permission {
    Permission::parse(name).unwrap_or_else(|_| panic!("{name} is not in the catalogue"))
}

/// Where a request points, for the engine.
#[derive(Debug, Clone, Copy)]
struct Scope {
    org: usize,
    /// The workspace of a workspace route, or of a workspace-level invitation.
    ws: Option<usize>,
}

/// The engine's answer for `who` calling an operation needing `need` at `scope`.
fn expect(need: Need, who: &Who, scope: Option<Scope>) -> Expect {
    if matches!(need, Need::Public) {
        return Expect::Allowed;
    }
    if matches!(who, Who::Anonymous) {
        return Expect::Unauthenticated;
    }
    let in_ws = |a: &Access| a.sees_org() && a.may_in_workspace(Permission::WorkspaceView);
    match need {
        Need::Public => Expect::Allowed,
        Need::AnyUser { person_only } => {
            if person_only && who.is_key() {
                Expect::Forbidden
            } else {
                Expect::Allowed
            }
        }
        Need::Org { perm: p, person_only } => {
            let s = scope.expect("an organisation");
            let a = who.access(s.org, None);
            if !a.sees_org() {
                Expect::NotFound
            } else if (person_only && who.is_key()) || p.is_some_and(|p| !a.may_in_org(perm(p))) {
                Expect::Forbidden
            } else {
                Expect::Allowed
            }
        }
        Need::Workspace { perm: p } => {
            let s = scope.expect("a workspace");
            let a = who.access(s.org, s.ws);
            if !in_ws(&a) {
                Expect::NotFound
            } else if p.is_some_and(|p| !a.may_in_workspace(perm(p))) {
                Expect::Forbidden
            } else {
                Expect::Allowed
            }
        }
        Need::Invitation { perm: p } => {
            let s = scope.expect("an invitation");
            let a = who.access(s.org, s.ws);
            let (visible, views, may) = match s.ws {
                Some(_) => (in_ws(&a), a.may_in_workspace(Permission::MembersView), a.may_in_workspace(perm(p))),
                None => (a.sees_org(), a.may_in_org(Permission::MembersView), a.may_in_org(perm(p))),
            };
            if !visible || !views {
                Expect::NotFound
            } else if !may {
                Expect::Forbidden
            } else {
                Expect::Allowed
            }
        }
        Need::OwnMembership => {
            let s = scope.expect("a membership");
            let a = who.access(s.org, s.ws);
            let visible = if s.ws.is_some() { in_ws(&a) } else { a.sees_org() };
            if !visible {
                Expect::NotFound
            } else if who.is_key() {
                Expect::Forbidden
            } else if who.member_of(s.org, s.ws) {
                Expect::Allowed
            } else {
                Expect::NotFound
            }
        }
    }
}

// --- HTTP without a cookie jar: a call never changes the principal's credentials -------------

#[derive(Debug, Clone)]
enum Auth {
    None,
    Cookie(String),
    Bearer(String),
}

#[derive(Clone)]
struct Http {
    client: reqwest::Client,
    base: String,
}

#[derive(Debug)]
struct Answer {
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
    async fn signup(&self, email: &str) -> (String, String) {
        let body = json!({"email": email, "password": PASSWORD, "name": email.split('@').next().unwrap()});
        let a = self.send(&Auth::None, "POST", "/api/v1/auth/signup", Some(&body)).await;
        assert_eq!(a.status, 201, "signup {email}: {a:?}");
        (a.set_cookie.expect("a session cookie"), a.json["user"]["id"].as_str().unwrap().to_owned())
    }
}

// --- The world ----------------------------------------------------------------------------------

/// One organisation with its standing objects, administered by its first owner.
struct OrgWorld {
    admin: Auth,
    org: String,
    ws: [String; 2],
    /// An organisation guest and a learner in W1 and W2.
    member: String,
    /// Outstanding invitations: organisation-level and W1-level.
    inv_org: String,
    inv_ws: String,
    key: String,
    /// Accounts lent to permitted removals, re-added to the scope before each use.
    pool: Mutex<Vec<(String, String)>>,
}

struct World {
    http: Http,
    orgs: [OrgWorld; 2],
    login_email: String,
    token: String,
    fresh: AtomicU64,
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

enum Throwaway {
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

async fn build_org(http: &Http, tag: &str, pool: usize) -> (OrgWorld, String) {
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
    let token_email = format!("token@{tag}.test");
    send(format!("/api/v1/orgs/{}/invitations", world.org), json!({"emails": [token_email], "role": "guest"})).await;
    (world, token_email)
}

struct Principal {
    label: String,
    auth: Auth,
    who: Who,
}

/// A person of organisation `org` with these roles (invited by its first owner).
async fn person(
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
async fn key(
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

// --- Cases ----------------------------------------------------------------------------------

/// Which ids a case uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Variant {
    /// No tenant id in the request.
    NoTenant,
    /// The principal's organisation: W1, an organisation-level invitation.
    Own,
    /// The principal's organisation: W2, a W1-level invitation.
    OwnAlt,
    /// The principal's container holding the other organisation's object.
    Mixed,
    /// The other organisation's ids.
    Foreign,
}

fn variants(route: &Route) -> Vec<Variant> {
    if !route.path.contains("{org}") && !route.path.contains("{ws}") && route.object != Object::InvitationInPath {
        return vec![Variant::NoTenant];
    }
    let mut v = vec![Variant::Own];
    if route.path.contains("{ws}") || route.object == Object::InvitationInPath {
        v.push(Variant::OwnAlt);
    }
    if !matches!(route.object, Object::None | Object::InvitationInPath | Object::Token) {
        v.push(Variant::Mixed);
    }
    v.push(Variant::Foreign);
    v
}

/// A request: path (with query) and body.
fn request(w: &World, route: &Route, scope: Scope, object: Option<&str>) -> (String, Option<Value>) {
    let o = &w.orgs[scope.org];
    let mut path = route.path.replace("{org}", &o.org);
    if let Some(ws) = scope.ws {
        path = path.replace("{ws}", &o.ws[ws]);
    }
    match (route.object, object) {
        (Object::UserInPath, Some(id)) => path = path.replace("{user}", id),
        (Object::KeyInPath | Object::InvitationInPath, Some(id)) => path = path.replace("{id}", id),
        (Object::Token, _) => path = path.replace("{token}", &w.token),
        (Object::UserInQuery, Some(id)) => path = format!("{path}?user_id={id}"),
        (Object::WorkspaceInQuery, Some(id)) => path = format!("{path}?workspace_id={id}"),
        _ => {}
    }
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
fn standing(w: &World, route: &Route, org: usize, alt: bool) -> Option<String> {
    let o = &w.orgs[org];
    match route.object {
        Object::UserInPath | Object::UserIdsInBody | Object::UserInBody => Some(o.member.clone()),
        Object::KeyInPath => Some(o.key.clone()),
        Object::InvitationInPath => Some(if alt { o.inv_ws.clone() } else { o.inv_org.clone() }),
        _ => None,
    }
}

/// The other organisation's object, for a mixed case.
fn foreign_object(w: &World, route: &Route, other: usize) -> String {
    let o = &w.orgs[other];
    match route.object {
        Object::WorkspaceInQuery | Object::WorkspaceInBody => o.ws[0].clone(),
        Object::KeyInPath => o.key.clone(),
        _ => o.member.clone(),
    }
}

#[derive(Debug)]
struct Case {
    principal: String,
    op: String,
    variant: Variant,
    /// The request names an organisation other than the principal's (every one, for anonymous
    /// and outsider callers).
    foreign: bool,
    /// The engine's verdict (for a mixed case: on the principal's container).
    expected: Expect,
    status: u16,
    code: String,
    /// For a mixed case whose answer differs from the non-existent object's: that answer.
    differs: Option<u16>,
}

impl Case {
    fn describe(&self) -> String {
        format!(
            "{} | {} | {:?}{} | engine: {:?} | answer: {} {}{}",
            self.principal,
            self.op,
            self.variant,
            if self.foreign { " (foreign)" } else { "" },
            self.expected,
            self.status,
            self.code,
            self.differs.map(|s| format!(" (a non-existent object: {s})")).unwrap_or_default()
        )
    }

    fn mixed(&self) -> bool {
        self.variant == Variant::Mixed
    }

    /// The answer is the engine's: for a mixed case, the non-existent object's answer (and no
    /// success where the engine denies the container).
    fn matches(&self) -> bool {
        if self.mixed() {
            return self.differs.is_none()
                && self.status < 500
                && !(self.expected != Expect::Allowed && self.status < 300);
        }
        match self.expected {
            Expect::Allowed => self.status < 300 || (![401, 403, 404].contains(&self.status) && self.status < 500),
            Expect::Unauthenticated => self.status == 401,
            Expect::Forbidden => self.status == 403,
            Expect::NotFound => self.status == 404,
        }
    }

    /// A leak: a foreign id answered otherwise than "not found" (or 401), a foreign object
    /// answered otherwise than a non-existent one, or a success the engine denies.
    fn leak(&self) -> bool {
        let foreign_leak = self.foreign && !self.mixed() && ![401, 404].contains(&self.status) && self.status < 500;
        let deny_but_ok = self.expected != Expect::Allowed && self.status < 300;
        foreign_leak || deny_but_ok || self.differs.is_some()
    }
}

async fn run_principal(w: Arc<World>, p: Arc<Principal>) -> Vec<Case> {
    let mut routes: Vec<&Route> = ROUTES.iter().collect();
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
                _ => Scope { org, ws: ws_idx },
            };
            let path_scope = Scope { org, ws: ws_idx };
            let judged = (variant != Variant::NoTenant).then_some(scope);
            let expected = expect(route.need, &p.who, judged);
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
    let table: BTreeSet<(String, String)> = ROUTES.iter().map(|r| (r.method.to_owned(), r.path.to_owned())).collect();
    assert_eq!(table.len(), ROUTES.len(), "an operation is listed twice in ROUTES");
    let missing: Vec<_> = documented.difference(&table).collect();
    assert!(missing.is_empty(), "operations without an entry in the matrix (add them to ROUTES): {missing:?}");
    let stale: Vec<_> = table.difference(&documented).collect();
    assert!(stale.is_empty(), "ROUTES lists operations the API does not have: {stale:?}");
    for route in ROUTES {
        if let Need::Org { perm: Some(p), .. } | Need::Workspace { perm: Some(p) } | Need::Invitation { perm: p } =
            route.need
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
        if c.expected == Expect::Allowed && !c.mixed() && c.status >= 400 && c.status < 500 {
            *refusals.entry((c.op.clone(), c.status, c.code.clone())).or_default() += 1;
        }
    }
    let backend = if std::env::var("LYCEUM_TEST_DATABASE_URL").is_ok() { "postgres" } else { "sqlite" };
    println!(
        "matrix [{backend}]: {} operations x {} principals; {total} cases ({} foreign-org, {} own container with a \
         foreign object); expected {by_expect:?}; by variant {by_variant:?}",
        ROUTES.len(),
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
    let app = TestApp::spawn().await;
    let a = app.owner("keyleave@a.example", "enterprise", 10, 0).await;
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
