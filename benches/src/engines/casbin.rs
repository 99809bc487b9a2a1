//! casbin, modelled as its "RBAC with domains" (the documented way to give one person different
//! roles in different tenants):
//!
//! * request `r = sub, dom, obj`: (user, workspace, permission).
//! * `g = _, _, _`: user → role → domain. A workspace role is a role in the workspace's domain
//!   (`g, <user>, ws:trainer, <workspace>`); an organisation role is a role in the organisation's
//!   domain (`g, <user>, org:viewer, <org>`).
//! * `g2 = _, _`: workspace → organisation, so an organisation role reaches every workspace of
//!   its organisation through the matcher (`g2(r.dom, p.dom) && g(r.sub, p.sub, p.dom)`) instead of
//!   a `g` line per (member, workspace) — 100 million lines at 100k members × 1,000 workspaces.
//! * policy `p = sub, dom, obj`: role → permission. Workspace roles' lines hold in any workspace
//!   (`dom` is `*`); organisation roles' lines name their organisation (casbin's matcher cannot
//!   look up "the organisation of r.dom" otherwise), so they are repeated per organisation.
//! * Lines are generated from the domain's role tables, so all engines share one model; casbin
//!   has no permission hierarchy, so `content.view_assigned` is written out for every role that
//!   has `content.view` (the flattening casbin users do).
//! * The matcher tests `r.obj == p.obj` first, so the role-graph lookups run only for the lines
//!   of the permission asked about.
//!
//! casbin's default role manager looks a subject up by name in the domain's role graph and,
//! when it is not there, scans every node of that graph (`DefaultRoleManager::has_link`). So
//! someone outside the organisation costs a scan of the organisation's 100k-node graph per
//! matching policy line, and an organisation member asking about a workspace they are not in, a
//! scan of that workspace's graph: that, not the matcher, is where casbin's p99 and mean come from
//! (on the large dataset, outsiders' p50 is ~15× members').
//!
//! As in the Cedar model, "a workspace role counts only for an organisation member" is left to
//! the schema's foreign key (workspace_members → org_members). One `Enforcer` (in-memory
//! adapter, no I/O) is built once; a query is one `enforce((user, workspace, permission))` on
//! strings prepared beforehand.

use casbin::prelude::*;
use lyceum_domain::{OrgRole, WorkspaceRole};

use crate::population::Population;
use crate::queries::Query;

pub const MODEL: &str = r#"
[request_definition]
r = sub, dom, obj

[policy_definition]
p = sub, dom, obj

[role_definition]
g = _, _, _
g2 = _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = r.obj == p.obj && (p.dom == "*" && g(r.sub, p.sub, r.dom) || p.dom != "*" && g2(r.dom, p.dom) && g(r.sub, p.sub, p.dom))
"#;

/// A query as casbin takes it: (user, workspace, permission).
pub type CasbinRequest = (String, String, String);

pub struct Casbin {
    enforcer: Enforcer,
}

impl Casbin {
    /// Builds the enforcer and loads every line (role links are built once per `g` section).
    pub async fn build(population: &Population) -> anyhow::Result<Casbin> {
        let model = DefaultModel::from_str(MODEL).await?;
        let mut enforcer = Enforcer::new(model, MemoryAdapter::default()).await?;
        enforcer.add_policies(policy_lines(population)).await?;
        let mut grouping: Vec<Vec<String>> = population
            .org_members
            .iter()
            .map(|(org, user, role)| vec![user.to_string(), format!("org:{role}"), org.to_string()])
            .collect();
        grouping.extend(
            population
                .workspace_members
                .iter()
                .map(|(ws, user, role)| vec![user.to_string(), format!("ws:{role}"), ws.to_string()]),
        );
        enforcer.add_grouping_policies(grouping).await?;
        let owners = population.workspaces.iter().map(|(ws, org)| vec![ws.to_string(), org.to_string()]).collect();
        enforcer.add_named_grouping_policies("g2", owners).await?;
        Ok(Casbin { enforcer })
    }

    /// The request for a query, built outside the timed loop.
    pub fn request(q: &Query) -> CasbinRequest {
        (q.user.to_string(), q.workspace.to_string(), q.permission.as_str().to_owned())
    }

    /// The check being timed (an enforcement error counts as a denial).
    pub fn enforce(&self, r: &CasbinRequest) -> bool {
        matches!(self.enforce_strict(r), Ok(true))
    }

    /// The check with casbin's errors, for the agreement pass.
    pub fn enforce_strict(&self, r: &CasbinRequest) -> anyhow::Result<bool> {
        Ok(self.enforcer.enforce((r.0.as_str(), r.1.as_str(), r.2.as_str()))?)
    }
}

/// `p` lines: each role's permissions (implied ones included, casbin has no hierarchy).
pub fn policy_lines(population: &Population) -> Vec<Vec<String>> {
    let mut lines = Vec::new();
    for role in WorkspaceRole::ALL {
        for p in role.permissions().iter() {
            lines.push(vec![format!("ws:{role}"), "*".to_owned(), p.as_str().to_owned()]);
        }
    }
    let mut orgs: Vec<String> = population.workspaces.iter().map(|(_, org)| org.to_string()).collect();
    orgs.sort_unstable();
    orgs.dedup();
    for org in &orgs {
        for role in OrgRole::ALL {
            for p in role.permissions().iter() {
                lines.push(vec![format!("org:{role}"), org.clone(), p.as_str().to_owned()]);
            }
        }
    }
    lines
}
