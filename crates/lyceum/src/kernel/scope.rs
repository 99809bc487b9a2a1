//! One organisation, or one workspace of it: where a use case acts, spelled once. A request
//! names a scope by id ([`ScopeRef`]); [`Lyceum::scope`] finds it (404 for a workspace that does
//! not exist), and [`access_at`] answers the caller's access there in the one order every use
//! case follows: **404 when the caller cannot see the scope, then 403 when they may not act**.

use lyceum_domain::id::{OrgId, WorkspaceId};
use lyceum_domain::{Access, DomainError, Permission};

use super::access::{org_access, workspace_access, Roles};
use super::lazy::Db;
use super::sql::Conn;
use super::{Caller, Lyceum, Result};

/// A scope as a request names it.
#[derive(Debug, Clone, Copy)]
pub enum ScopeRef<'a> {
    Org(&'a OrgId),
    Workspace(&'a WorkspaceId),
}

/// A scope once found: the organisation, and the workspace if any (which belongs to it:
/// workspaces are never moved).
/// Its ids are typed, so a workspace id cannot stand where an organisation id is expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub org_id: OrgId,
    pub workspace_id: Option<WorkspaceId>,
}

impl Scope {
    /// An organisation's own scope.
    pub fn org(org_id: &OrgId) -> Scope {
        Scope { org_id: org_id.clone(), workspace_id: None }
    }

    /// A workspace's scope (the workspace belongs to the organisation).
    pub fn workspace(org_id: &OrgId, workspace_id: &WorkspaceId) -> Scope {
        Scope { org_id: org_id.clone(), workspace_id: Some(workspace_id.clone()) }
    }

    /// The organisation's id as text (for SQL and the audit trail).
    pub fn org_str(&self) -> &str {
        self.org_id.as_str()
    }

    /// The workspace's id as text, if a workspace scope.
    pub fn workspace_str(&self) -> Option<&str> {
        self.workspace_id.as_ref().map(WorkspaceId::as_str)
    }

    /// Whether `access` grants `p` at this scope (in the workspace, or at organisation scope).
    pub fn may(&self, access: &Access, p: Permission) -> bool {
        match self.workspace_id {
            Some(_) => access.may_in_workspace(p),
            None => access.may_in_org(p),
        }
    }

    /// Requires `p` at this scope (403 otherwise).
    pub fn require(&self, access: &Access, p: Permission) -> Result<()> {
        match self.workspace_id {
            Some(_) => access.require_in_workspace(p)?,
            None => access.require_in_org(p)?,
        }
        Ok(())
    }
}

impl Lyceum {
    /// Finds a scope: 404 for a workspace that does not exist.
    pub async fn scope(&self, at: ScopeRef<'_>) -> Result<Scope> {
        Ok(match at {
            ScopeRef::Org(org) => Scope::org(org),
            ScopeRef::Workspace(ws) => Scope::workspace(&self.org_of_workspace(ws).await?, ws),
        })
    }
}

/// The scope a request names as an organisation and, optionally, one of its workspaces (as the
/// invitation and audit lists filter): 404 for a workspace that does not exist or belongs to
/// another organisation.
pub async fn scope_in_org(conn: &mut Conn, org_id: &OrgId, workspace_id: Option<&WorkspaceId>) -> Result<Scope> {
    match workspace_id {
        Some(ws_id) => {
            let ws = crate::tenancy::queries::orgs::workspace(conn, ws_id)
                .await?
                .filter(|w| &w.org_id == org_id)
                .ok_or(DomainError::NotFound)?;
            Ok(Scope::workspace(&ws.org_id, &ws.id))
        }
        None => Ok(Scope::org(org_id)),
    }
}

/// The caller's access at a scope; 404 unless the caller can see it (the organisation, and for a
/// workspace `workspace.view` there).
pub async fn visible_at(db: &mut impl Db, roles: Roles<'_>, caller: &Caller, scope: &Scope) -> Result<Access> {
    match &scope.workspace_id {
        Some(ws_id) => workspace_access(db, roles, caller, &scope.org_id, ws_id).await,
        None => org_access(db, roles, caller, &scope.org_id).await,
    }
}

/// The caller's access at a scope: 404 unless visible, then 403 unless `perm` is granted there.
pub async fn access_at(
    db: &mut impl Db,
    roles: Roles<'_>,
    caller: &Caller,
    scope: &Scope,
    perm: Permission,
) -> Result<Access> {
    let access = visible_at(db, roles, caller, scope).await?;
    scope.require(&access, perm)?;
    Ok(access)
}

/// Like [`access_at`], but what the caller may not even `see` there (say `members.view` for an
/// invitation) does not exist for them: 404, then 403 unless `perm`.
pub async fn access_at_seeing(
    db: &mut impl Db,
    roles: Roles<'_>,
    caller: &Caller,
    scope: &Scope,
    see: Permission,
    perm: Permission,
) -> Result<Access> {
    let access = visible_at(db, roles, caller, scope).await?;
    if !scope.may(&access, see) {
        return Err(DomainError::NotFound.into());
    }
    scope.require(&access, perm)?;
    Ok(access)
}
