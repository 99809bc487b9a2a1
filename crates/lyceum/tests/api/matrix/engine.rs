//! The matrix's engine: what an operation needs (`Need`, its `Reach`), who calls (`Who`, as the
//! domain's permission engine sees them), the expected class of every answer (`expect`, never
//! written by hand), which ids a case uses (`Variant`) and how an answer is judged (`Case`).
//! The runner (`runner.rs`) sends the cases; the route tables are one file per wing.

use lyceum_domain::{Access, Grant, OrgRole, Permission, WorkspaceRole};

// --- Operations -------------------------------------------------------------------------------

/// What an operation needs from its caller.
#[derive(Debug, Clone, Copy)]
pub enum Need {
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
    /// A course (or its template, media…) named by its own id: 404 unless the caller reads the
    /// content of the course's workspace (`content.view`), then `perm` is required there (403).
    Course { perm: Option<&'static str> },
    /// The caller's own membership of the organisation or workspace (leave): 404 unless visible;
    /// API keys 403; persons 404 unless a member.
    OwnMembership,
}

/// The request body an operation is sent with.
#[derive(Debug, Clone, Copy)]
pub enum Body {
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
    Price,
    Budget,
    Usage,
    NewCourse,
    Draft,
    Empty,
    /// A generation brief without a topic: permitted callers are told 422 before any AI call.
    NoTopic,
    /// A regeneration without an audience: the same.
    NoAudience,
}

/// The id an operation carries besides its container (organisation or workspace).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Object {
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
    /// `{course}` of `/courses/{course}…`: no container, the course's workspace decides the scope
    /// (W1 for the organisation's own, W2 for the alternative).
    CourseInPath,
    /// `{t}` of `/templates/{t}…`: like a course, its workspace decides the scope.
    TemplateInPath,
}

/// One operation of the API and what it needs: an entry of a wing's route table.
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub need: Need,
    /// Whether callers of other organisations may see it.
    pub reach: Reach,
    pub body: Body,
    pub object: Object,
    /// A permitted call destroys its object (removal, revocation): it gets a throwaway one.
    pub destroys: bool,
    /// 0 first; then 1..: calls that change the caller itself (leave, login, logout), in order.
    pub stage: u8,
}

/// Who may reach an operation's organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// The organisation's own: to a caller of another organisation its ids do not exist (404),
    /// whatever the caller holds elsewhere (PRODUCT.md §2 rule 4). Every operation today.
    Tenant,
    /// Visible across organisations (what the marketplace publishes): a signed-in caller of
    /// another organisation is answered as a permitted one ([`Expect::CrossOrg`]); anonymous
    /// callers are still refused (401).
    CrossOrg,
}

/// An operation of the organisation's own ([`Reach::Tenant`]), kept, staged first.
pub const fn r(method: &'static str, path: &'static str, need: Need, body: Body, object: Object) -> Route {
    Route { method, path, need, reach: Reach::Tenant, body, object, destroys: false, stage: 0 }
}

/// Organisation scope with `perm`.
pub const fn org(perm: &'static str) -> Need {
    Need::Org { perm: Some(perm), person_only: false }
}

/// A course's workspace with `perm` (None: reading it).
pub const fn course(perm: Option<&'static str>) -> Need {
    Need::Course { perm }
}

/// Workspace scope with `perm`.
pub const fn ws(perm: &'static str) -> Need {
    Need::Workspace { perm: Some(perm) }
}

// --- The principals and the permission engine's view of them (actors, reaches, expectations) -

/// Who calls, as the engine sees it. `home` is the organisation (0 = A, 1 = B) the principal
/// belongs to; workspace indexes are 0 = W1, 1 = W2 of that organisation.
#[derive(Debug, Clone)]
pub enum Who {
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
    pub fn home(&self) -> Option<usize> {
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
pub enum Expect {
    Allowed,
    /// Permitted from another organisation: the operation's reach is [`Reach::CrossOrg`].
    CrossOrg,
    Unauthenticated,
    Forbidden,
    NotFound,
}

impl Expect {
    /// The engine lets the call through (a success, or a business refusal).
    pub fn permits(self) -> bool {
        matches!(self, Expect::Allowed | Expect::CrossOrg)
    }
}

pub fn perm(name: &str) -> Permission {
    Permission::parse(name).unwrap_or_else(|_| panic!("{name} is not in the catalogue"))
}

/// Where a request points, for the engine.
#[derive(Debug, Clone, Copy)]
pub struct Scope {
    pub org: usize,
    /// The workspace of a workspace route, or of a workspace-level invitation.
    pub ws: Option<usize>,
}

/// The engine's answer for `who` calling an operation needing `need`, of reach `reach`, at
/// `scope`.
pub fn expect(need: Need, reach: Reach, who: &Who, scope: Option<Scope>) -> Expect {
    if matches!(need, Need::Public) {
        return Expect::Allowed;
    }
    if matches!(who, Who::Anonymous) {
        return Expect::Unauthenticated;
    }
    if reach == Reach::CrossOrg && scope.is_some_and(|s| who.home() != Some(s.org)) {
        return Expect::CrossOrg;
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
        Need::Course { perm: p } => {
            let s = scope.expect("a course");
            let a = who.access(s.org, s.ws);
            if !in_ws(&a) || !a.may_in_workspace(Permission::ContentView) {
                Expect::NotFound
            } else if p.is_some_and(|p| !a.may_in_workspace(perm(p))) {
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

// --- Cases ----------------------------------------------------------------------------------

/// Which ids a case uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Variant {
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

pub fn variants(route: &Route) -> Vec<Variant> {
    let self_scoped = matches!(route.object, Object::InvitationInPath | Object::CourseInPath | Object::TemplateInPath);
    if !route.path.contains("{org}") && !route.path.contains("{ws}") && !self_scoped {
        return vec![Variant::NoTenant];
    }
    let mut v = vec![Variant::Own];
    if route.path.contains("{ws}") || self_scoped {
        v.push(Variant::OwnAlt);
    }
    if !matches!(
        route.object,
        Object::None | Object::InvitationInPath | Object::CourseInPath | Object::TemplateInPath | Object::Token
    ) {
        v.push(Variant::Mixed);
    }
    v.push(Variant::Foreign);
    v
}

#[derive(Debug)]
pub struct Case {
    pub principal: String,
    pub op: String,
    pub variant: Variant,
    /// The request names an organisation other than the principal's (every one, for anonymous
    /// and outsider callers).
    pub foreign: bool,
    /// The engine's verdict (for a mixed case: on the principal's container).
    pub expected: Expect,
    pub status: u16,
    pub code: String,
    /// For a mixed case whose answer differs from the non-existent object's: that answer.
    pub differs: Option<u16>,
}

impl Case {
    pub fn describe(&self) -> String {
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

    pub fn mixed(&self) -> bool {
        self.variant == Variant::Mixed
    }

    /// The answer is the engine's: for a mixed case, the non-existent object's answer (and no
    /// success where the engine denies the container).
    pub fn matches(&self) -> bool {
        if self.mixed() {
            return self.differs.is_none() && self.status < 500 && (self.expected.permits() || self.status >= 300);
        }
        match self.expected {
            Expect::Allowed | Expect::CrossOrg => {
                self.status < 300 || (![401, 403, 404].contains(&self.status) && self.status < 500)
            }
            Expect::Unauthenticated => self.status == 401,
            Expect::Forbidden => self.status == 403,
            Expect::NotFound => self.status == 404,
        }
    }

    /// A leak: a foreign id answered otherwise than "not found" (or 401) where the operation is
    /// the organisation's own, a foreign object answered otherwise than a non-existent one, or a
    /// success the engine denies.
    pub fn leak(&self) -> bool {
        let foreign_leak = self.foreign
            && !self.mixed()
            && self.expected != Expect::CrossOrg
            && ![401, 404].contains(&self.status)
            && self.status < 500;
        let deny_but_ok = !self.expected.permits() && self.status < 300;
        foreign_leak || deny_but_ok || self.differs.is_some()
    }
}

/// The engine judged without a server: what "visible across organisations" changes, and what it
/// leaves alone.
mod tests {
    use super::*;

    /// A case of `who` (foreign or not) answered `status`, as the engine expects it.
    fn case(variant: Variant, foreign: bool, expected: Expect, status: u16) -> Case {
        let (principal, op, code) = ("p".to_owned(), "GET /x".to_owned(), String::new());
        Case { principal, op, variant, foreign, expected, status, code, differs: None }
    }

    fn principals() -> Vec<Who> {
        let mut all = vec![Who::Anonymous, Who::Person { home: None, org_role: None, ws_role: None }];
        for home in [0, 1] {
            for r in OrgRole::ALL {
                all.push(Who::Person { home: Some(home), org_role: Some(*r), ws_role: None });
                all.push(Who::Key { home, org_role: Some(*r), ws_role: None });
            }
            for r in WorkspaceRole::ALL {
                let org_role = Some(OrgRole::Guest);
                all.push(Who::Person { home: Some(home), org_role, ws_role: Some((0, *r)) });
                all.push(Who::Key { home, org_role: None, ws_role: Some((0, *r)) });
            }
        }
        all
    }

    #[test]
    fn a_cross_org_reach_permits_other_organisations_and_changes_nothing_else() {
        let needs = [org("members.view"), ws("members.view"), Need::Org { perm: None, person_only: true }];
        for need in needs {
            for scope in [Scope { org: 0, ws: None }, Scope { org: 0, ws: Some(1) }] {
                for who in principals() {
                    let tenant = expect(need, Reach::Tenant, &who, Some(scope));
                    let cross = expect(need, Reach::CrossOrg, &who, Some(scope));
                    match (&who, who.home()) {
                        // Anonymous callers are refused either way.
                        (Who::Anonymous, _) => {
                            assert_eq!((tenant, cross), (Expect::Unauthenticated, Expect::Unauthenticated))
                        }
                        // The organisation's own callers: the same verdict as a tenant route.
                        (_, Some(0)) => assert_eq!(tenant, cross, "{who:?} {need:?} {scope:?}"),
                        // Everyone else: "not found" for a tenant route, visible across.
                        _ => assert_eq!((tenant, cross), (Expect::NotFound, Expect::CrossOrg), "{who:?} {need:?}"),
                    }
                }
            }
        }
        // Without a tenant in the request there is no other organisation to reach across.
        let outsider = Who::Person { home: None, org_role: None, ws_role: None };
        let any_user = Need::AnyUser { person_only: false };
        assert_eq!(expect(any_user, Reach::CrossOrg, &outsider, None), Expect::Allowed);
    }

    #[test]
    fn a_foreign_answer_is_a_leak_unless_the_engine_expects_it_across_organisations() {
        // A tenant route: a foreign id must be "not found".
        assert!(case(Variant::Foreign, true, Expect::NotFound, 404).matches());
        assert!(!case(Variant::Foreign, true, Expect::NotFound, 404).leak());
        for status in [200, 403, 409] {
            assert!(case(Variant::Foreign, true, Expect::NotFound, status).leak(), "{status}");
        }
        // Visible across organisations: answered as permitted, and that is no leak.
        for status in [200, 201, 204, 409, 422] {
            let c = case(Variant::Foreign, true, Expect::CrossOrg, status);
            assert!(c.matches() && !c.leak(), "{status}: {c:?}");
        }
        // But it must really answer: hiding it (404), refusing it (403/401) or failing is wrong.
        for status in [401, 403, 404, 500] {
            assert!(!case(Variant::Foreign, true, Expect::CrossOrg, status).matches(), "{status}");
        }
        // A denial answered with a success is still a leak, whatever the reach.
        assert!(case(Variant::Own, false, Expect::Forbidden, 200).leak());
        // A mixed case: a success is no leak when the engine permits the container.
        assert!(case(Variant::Mixed, false, Expect::CrossOrg, 200).matches());
        assert!(!case(Variant::Mixed, false, Expect::NotFound, 200).matches());
    }
}
