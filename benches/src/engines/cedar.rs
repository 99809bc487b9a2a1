//! cedar-policy, modelled the way Cedar's own examples model role-based access to shared
//! resources (its GitHub example: `principal in resource.readers`):
//!
//! * Entity types `User`, `Org`, `Workspace` (child of its `Org`, so `resource in Org::"…"` holds)
//!   and `Role`, one group per (organisation, role) and per (workspace, role).
//! * A `Workspace` carries its `org` and one attribute per workspace role naming that role's group
//!   (`resource.trainer` is `Role::"<workspace>#trainer"`); an `Org` likewise carries one attribute
//!   per organisation role. A user's roles are the `Role` groups they are a child of, so holding a
//!   role is entity-hierarchy membership, which Cedar precomputes (transitive closure) when the
//!   `Entities` are built — once, before any query.
//! * Permissions are `Action`s, and each role is an action group (`Action::"workspace-trainer"`)
//!   holding the actions it grants, the way Cedar groups actions (its `readOnly`-style groups).
//!   `content.view` is itself a group containing `content.view_assigned`, which is how Cedar says
//!   "whoever may view all content may view the assigned content": a role listing `content.view`
//!   covers both.
//! * One `permit` per role, generated from the domain's role tables (so all engines share one
//!   model): `permit (principal, action in Action::"workspace-<role>", resource is Workspace)
//!   when { principal in resource.<role> }` for workspace roles, `… in resource.org.<role>` for
//!   organisation roles. Cedar denies by default, so nothing else is needed. (Listing each role's
//!   actions in the policy, `action in [..]`, instead of action groups was measured too: the
//!   same cost within noise — Cedar's per-policy evaluation dominates, not the action test.)
//!
//! "A workspace role counts only for an organisation member" is not written into the policies:
//! the schema's foreign key (workspace_members → org_members, ON DELETE CASCADE) already makes
//! every workspace member an organisation member, so it holds for any population read from a
//! database, and casbin's model leaves it out too.
//!
//! A query is one `Authorizer::is_authorized` on a `Request` built beforehand; building the
//! `Request` (parsing entity ids) is left out of the timings.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use anyhow::Context as _;
use cedar_policy::{
    Authorizer, Context, Decision, Entities, Entity, EntityId, EntityTypeName, EntityUid, PolicySet, Request,
    RestrictedExpression,
};
use lyceum_domain::{OrgRole, Permission, PermissionSet, WorkspaceRole};
use uuid::Uuid;

use crate::population::Population;
use crate::queries::Query;

/// (implying, implied): mirrors the domain's `Permission::implied_by` (private there).
const IMPLICATIONS: &[(Permission, Permission)] = &[(Permission::ContentView, Permission::ContentViewAssigned)];

pub struct Cedar {
    authorizer: Authorizer,
    policies: PolicySet,
    entities: Entities,
    actions: HashMap<Permission, EntityUid>,
}

impl Cedar {
    /// Builds the policies and the entity store (with its transitive closure) once.
    pub fn build(population: &Population) -> anyhow::Result<Cedar> {
        let policies = PolicySet::from_str(&policy_text()).map_err(|e| anyhow::anyhow!("cedar policies: {e}"))?;
        let actions: HashMap<Permission, EntityUid> =
            Permission::all().map(|p| (p, uid("Action", p.as_str()))).collect();
        let entities = Entities::from_entities(entities(population, &actions)?, None).context("cedar entities")?;
        Ok(Cedar { authorizer: Authorizer::new(), policies, entities, actions })
    }

    /// The request for a query, built outside the timed loop.
    pub fn request(&self, q: &Query) -> Request {
        Request::new(
            uid("User", &q.user.to_string()),
            self.actions[&q.permission].clone(),
            uid("Workspace", &q.workspace.to_string()),
            Context::empty(),
            None,
        )
        .expect("without a schema a request is always valid")
    }

    /// The check being timed.
    pub fn is_authorized(&self, request: &Request) -> bool {
        self.authorizer.is_authorized(request, &self.policies, &self.entities).decision() == Decision::Allow
    }

    /// The check with Cedar's diagnostics: an evaluation error would silently deny, so the
    /// agreement pass refuses any.
    pub fn is_authorized_strict(&self, request: &Request) -> anyhow::Result<bool> {
        let response = self.authorizer.is_authorized(request, &self.policies, &self.entities);
        if let Some(e) = response.diagnostics().errors().next() {
            anyhow::bail!("cedar evaluation error: {e}");
        }
        Ok(response.decision() == Decision::Allow)
    }
}

/// The policies: one `permit` per role that grants anything.
pub fn policy_text() -> String {
    let mut text = String::new();
    for role in WorkspaceRole::ALL {
        text += &permit(&format!("workspace-{role}"), role.permissions(), &format!("resource.{role}"));
    }
    for role in OrgRole::ALL {
        text += &permit(&format!("org-{role}"), role.permissions(), &format!("resource.org.{role}"));
    }
    text
}

fn permit(group: &str, granted: PermissionSet, holders: &str) -> String {
    if granted == PermissionSet::EMPTY {
        return String::new();
    }
    format!(
        "@id(\"{group}\")\npermit (principal, action in Action::\"{group}\", resource is Workspace)\n\
         when {{ principal in {holders} }};\n\n"
    )
}

/// The action groups: one per role, holding the actions it grants — all but those another of
/// them implies, which reach the group through the implying action.
fn action_groups() -> Vec<(String, PermissionSet)> {
    let ws = WorkspaceRole::ALL.iter().map(|r| (format!("workspace-{r}"), r.permissions()));
    let org = OrgRole::ALL.iter().map(|r| (format!("org-{r}"), r.permissions()));
    ws.chain(org).filter(|(_, set)| *set != PermissionSet::EMPTY).collect()
}

fn listed(granted: PermissionSet, p: Permission) -> bool {
    granted.contains(p) && !IMPLICATIONS.iter().any(|(by, implied)| *implied == p && granted.contains(*by))
}

/// The entity store: actions, organisations, workspaces, role groups and users.
fn entities(population: &Population, actions: &HashMap<Permission, EntityUid>) -> anyhow::Result<Vec<Entity>> {
    let mut out = Vec::new();
    let groups = action_groups();
    for (p, action) in actions {
        let implying = IMPLICATIONS.iter().filter(|(_, implied)| implied == p).map(|(by, _)| actions[by].clone());
        let in_groups = groups.iter().filter(|(_, set)| listed(*set, *p)).map(|(group, _)| uid("Action", group));
        out.push(Entity::new_no_attrs(action.clone(), implying.chain(in_groups).collect()));
    }
    out.extend(groups.iter().map(|(group, _)| Entity::new_no_attrs(uid("Action", group), HashSet::new())));
    let orgs: HashSet<Uuid> = population.workspaces.iter().map(|(_, org)| *org).collect();
    for org in &orgs {
        let roles = OrgRole::ALL.iter().map(|r| r.as_str());
        out.extend(roles.clone().map(|r| Entity::new_no_attrs(role_uid(org, r), HashSet::new())));
        out.push(Entity::new(uid("Org", &org.to_string()), group_attrs(org, roles), HashSet::new())?);
    }
    for (ws, org) in &population.workspaces {
        let roles = WorkspaceRole::ALL.iter().map(|r| r.as_str());
        out.extend(roles.clone().map(|r| Entity::new_no_attrs(role_uid(ws, r), HashSet::new())));
        let mut attrs = group_attrs(ws, roles);
        let org_uid = uid("Org", &org.to_string());
        attrs.insert("org".to_owned(), RestrictedExpression::new_entity_uid(org_uid.clone()));
        out.push(Entity::new(uid("Workspace", &ws.to_string()), attrs, HashSet::from([org_uid]))?);
    }
    let mut roles_of: HashMap<Uuid, HashSet<EntityUid>> = HashMap::new();
    for (org, user, role) in &population.org_members {
        roles_of.entry(*user).or_default().insert(role_uid(org, role.as_str()));
    }
    for (ws, user, role) in &population.workspace_members {
        roles_of.entry(*user).or_default().insert(role_uid(ws, role.as_str()));
    }
    for (user, roles) in roles_of {
        out.push(Entity::new_no_attrs(uid("User", &user.to_string()), roles));
    }
    Ok(out)
}

/// `{ <role>: Role::"<scope>#<role>", … }`
fn group_attrs<'a>(scope: &Uuid, roles: impl Iterator<Item = &'a str>) -> HashMap<String, RestrictedExpression> {
    roles.map(|r| (r.to_owned(), RestrictedExpression::new_entity_uid(role_uid(scope, r)))).collect()
}

fn role_uid(scope: &Uuid, role: &str) -> EntityUid {
    uid("Role", &format!("{scope}#{role}"))
}

fn uid(type_name: &str, id: &str) -> EntityUid {
    let type_name = EntityTypeName::from_str(type_name).expect("a valid Cedar type name");
    EntityUid::from_type_name_and_id(type_name, EntityId::new(id))
}
