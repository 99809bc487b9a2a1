//! "Where am I and what may I open": the one read behind the page shell (the switcher and the
//! sidebar), answered for a person in one query plus the access of the place they are at. The
//! dashboard and the assistant reuse it. The permission engine decides every entry: nothing here
//! compares a role name.

use lyceum_domain::id::{OrgId, WorkspaceId};
use lyceum_domain::{Access, DomainError, Grant, Permission, PermissionSet};

use super::access::{resolve, visible_workspace};
use super::lazy::Db;
use super::{Caller, Lyceum, Result, UserRef};
use crate::tenancy::queries::members;

/// A workspace the person may open, and what they may do there.
#[derive(Debug, Clone)]
pub struct WorkspacePlace {
    pub id: WorkspaceId,
    pub name: String,
    pub held: PermissionSet,
}

/// An organisation the person belongs to, with the workspaces of it they may open.
#[derive(Debug, Clone)]
pub struct OrgPlace {
    pub id: OrgId,
    pub name: String,
    /// What they may do at organisation scope.
    pub held: PermissionSet,
    pub workspaces: Vec<WorkspacePlace>,
}

/// Where a page is.
#[derive(Debug, Clone, Copy)]
pub enum Place<'a> {
    /// Not in an organisation (profile, creating an organisation).
    Nowhere,
    /// An organisation's own pages (workspaces, API keys, audit).
    Org(&'a OrgId),
    /// A workspace's pages.
    Workspace(&'a WorkspaceId),
}

/// The place a page is at, with the caller's permissions there.
#[derive(Debug, Clone)]
pub struct Here {
    pub org_id: OrgId,
    /// What the caller may do at organisation scope.
    pub org_held: PermissionSet,
    /// The workspace, for a workspace page.
    pub workspace: Option<WorkspacePlace>,
}

/// Everything the shell shows: every organisation and workspace the person may open, and here.
#[derive(Debug, Clone)]
pub struct Whereabouts {
    pub orgs: Vec<OrgPlace>,
    pub here: Option<Here>,
}

impl Lyceum {
    /// The person's organisations and the workspaces they may open in each (one query), and the
    /// place the page is at. A workspace the caller cannot see is a 404, as it is for every read of
    /// it; an organisation page's own handler decides its 404, so an invisible organisation just
    /// grants nothing here.
    pub async fn whereabouts(&self, caller: &Caller, place: Place<'_>) -> Result<Whereabouts> {
        let person: &UserRef = caller.person()?;
        let mut db = self.lazy_conn();
        let rows = members::whereabouts(db.conn().await?, &person.id).await?;
        let mut orgs: Vec<OrgPlace> = Vec::new();
        for row in rows {
            let base =
                Grant { org_role: Some(row.org_role), workspace_role: None, instance_admin: person.instance_admin };
            if orgs.last().is_none_or(|o| o.id != row.org_id) {
                orgs.push(OrgPlace {
                    id: row.org_id,
                    name: row.org_name,
                    held: Access::Person(base).org_permissions(),
                    workspaces: Vec::new(),
                });
            }
            let Some((id, name)) = row.workspace else { continue };
            let workspace_role = row.workspace_role;
            let held = Access::Person(Grant { workspace_role, ..base }).workspace_permissions();
            if held.contains(Permission::WorkspaceView) {
                if let Some(org) = orgs.last_mut() {
                    org.workspaces.push(WorkspacePlace { id, name, held });
                }
            }
        }
        let here = self.here_in(&mut db, caller, place).await?;
        Ok(Whereabouts { orgs, here })
    }
}

impl Lyceum {
    /// Only the place a page is at, with the caller's permissions there (for partials, which
    /// have no shell).
    pub async fn here(&self, caller: &Caller, place: Place<'_>) -> Result<Option<Here>> {
        self.here_in(&mut self.lazy_conn(), caller, place).await
    }

    async fn here_in(&self, db: &mut impl Db, caller: &Caller, place: Place<'_>) -> Result<Option<Here>> {
        Ok(match place {
            Place::Nowhere => None,
            Place::Org(org_id) => {
                let access = resolve(db, self.cached(), caller, org_id, None).await?;
                let org_held = if access.sees_org() { access.org_permissions() } else { PermissionSet::EMPTY };
                Some(Here { org_id: (*org_id).clone(), org_held, workspace: None })
            }
            Place::Workspace(ws_id) => {
                let (ws, access) = visible_workspace(db, self.cached(), caller, ws_id).await?;
                let workspace = WorkspacePlace { id: ws.id, name: ws.name, held: access.workspace_permissions() };
                Some(Here { org_id: ws.org_id, org_held: access.org_permissions(), workspace: Some(workspace) })
            }
        })
    }
}

impl Here {
    /// What the caller may do in the workspace here (nothing outside a workspace).
    pub fn workspace_held(&self) -> PermissionSet {
        self.workspace.as_ref().map_or(PermissionSet::EMPTY, |w| w.held)
    }

    /// The workspace here, or 404 (for pages that only exist in a workspace).
    pub fn require_workspace(&self) -> Result<&WorkspacePlace> {
        self.workspace.as_ref().ok_or_else(|| DomainError::NotFound.into())
    }
}
