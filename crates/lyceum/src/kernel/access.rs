//! Resolving what a caller may do: the caller's roles in an organisation (and workspace) turned
//! into an `Access` for the domain's permission engine. Nothing else decides permissions.

use lyceum_domain::id::{OrgId, UserId, WorkspaceId};
use lyceum_domain::{Access, DomainError, Grant, Permission};

use super::caches::grants::{GrantCache, UserRoles};
use super::lazy::Db;
use super::{Caller, KeyRef, KeyRole, Principal, Result};
use crate::accounts::queries::users;
use crate::kernel::sql::Conn;
use crate::tenancy::queries::members;
use crate::tenancy::queries::orgs::WorkspaceRow;

/// Where roles are read from. Inside a write transaction they are read under the organisation's
/// lock (`Locked`), so the rules see exactly what the transaction will change; read-only requests
/// may use the cache (`Cached`), which every committed change invalidates.
#[derive(Clone, Copy)]
pub enum Roles<'a> {
    Locked,
    Cached(&'a GrantCache),
}

/// The roles a user holds in an organisation and, if given, one of its workspaces.
pub async fn grant_of_user(
    db: &mut impl Db,
    roles: Roles<'_>,
    org_id: &OrgId,
    workspace_id: Option<&WorkspaceId>,
    user_id: &UserId,
    instance_admin: bool,
) -> Result<Grant> {
    if let Roles::Cached(cache) = roles {
        let (org, user) = (org_id.to_uuid(), user_id.to_uuid());
        let ws = workspace_id.map(WorkspaceId::to_uuid);
        let found = match cache.with_roles(org, user, |r| r.grant(ws, instance_admin)) {
            Ok(grant) => grant,
            Err(miss) => {
                let loaded = load_user_roles(db.conn().await?, org_id, user_id).await?;
                let grant = loaded.grant(ws, instance_admin);
                cache.store(org, user, miss, loaded);
                grant
            }
        };
        return Ok(found);
    }
    let conn = db.conn().await?;
    let org_role = members::org_role(conn, org_id, user_id).await?;
    let workspace_role = match (workspace_id, org_role) {
        (Some(ws), Some(_)) => members::workspace_role(conn, ws, user_id).await?,
        _ => None,
    };
    Ok(Grant { org_role, workspace_role, instance_admin })
}

/// Everything the cache keeps about one user in one organisation: three indexed reads.
pub async fn load_user_roles(conn: &mut Conn, org_id: &OrgId, user_id: &UserId) -> Result<UserRoles> {
    let admin = users::by_id(conn, user_id).await?.is_some_and(|u| u.instance_admin != 0);
    let org_role = members::org_role(conn, org_id, user_id).await?;
    let workspaces = match org_role {
        Some(_) => members::workspace_roles_in_org(conn, org_id, user_id)
            .await?
            .into_iter()
            .map(|(ws, role)| (ws.to_uuid(), role))
            .collect(),
        None => Vec::new(),
    };
    Ok(UserRoles::new(org_role, workspaces).with_instance_admin(admin))
}

/// The caller's access in an organisation (and workspace); an empty access when the caller has
/// none, so the engine denies by default.
pub async fn resolve(
    db: &mut impl Db,
    roles: Roles<'_>,
    caller: &Caller,
    org_id: &OrgId,
    workspace_id: Option<&WorkspaceId>,
) -> Result<Access> {
    match &caller.principal {
        Principal::User(u) => {
            Ok(Access::Person(grant_of_user(db, roles, org_id, workspace_id, &u.id, u.instance_admin).await?))
        }
        Principal::Key(k) => {
            if &k.org_id != org_id {
                return Ok(Access::Person(Grant::default()));
            }
            let key = key_grant(k, workspace_id);
            let admin = match roles {
                // The cached roles carry the creator's instance-admin flag.
                Roles::Cached(_) => false,
                Roles::Locked => {
                    users::by_id(db.conn().await?, &k.created_by).await?.is_some_and(|u| u.instance_admin != 0)
                }
            };
            let creator = grant_of_user(db, roles, org_id, workspace_id, &k.created_by, admin).await?;
            Ok(Access::Key { key, creator })
        }
    }
}

/// What an API key's own role grants, at organisation scope or in `workspace_id` (before it is
/// capped by its creator's grant).
fn key_grant(k: &KeyRef, workspace_id: Option<&WorkspaceId>) -> Grant {
    match &k.role {
        KeyRole::Workspace(kw, role) => {
            Grant { workspace_role: (workspace_id == Some(kw)).then_some(*role), ..Grant::default() }
        }
        KeyRole::Org(role) => Grant { org_role: Some(*role), ..Grant::default() },
    }
}

/// Access to an organisation the caller must be able to see; otherwise it does not exist for them.
pub async fn org_access(db: &mut impl Db, roles: Roles<'_>, caller: &Caller, org_id: &OrgId) -> Result<Access> {
    let access = resolve(db, roles, caller, org_id, None).await?;
    if !access.sees_org() {
        return Err(DomainError::NotFound.into());
    }
    Ok(access)
}

/// Access to a workspace the caller must be able to see (`workspace.view`); otherwise 404.
pub async fn workspace_access(
    db: &mut impl Db,
    roles: Roles<'_>,
    caller: &Caller,
    org_id: &OrgId,
    ws_id: &WorkspaceId,
) -> Result<Access> {
    let access = resolve(db, roles, caller, org_id, Some(ws_id)).await?;
    if !access.sees_org() || !access.may_in_workspace(Permission::WorkspaceView) {
        return Err(DomainError::NotFound.into());
    }
    Ok(access)
}

/// Loads a workspace the caller can see, with the caller's access there.
pub async fn visible_workspace(
    db: &mut impl Db,
    roles: Roles<'_>,
    caller: &Caller,
    workspace_id: &WorkspaceId,
) -> Result<(WorkspaceRow, Access)> {
    let ws =
        crate::tenancy::queries::orgs::workspace(db.conn().await?, workspace_id).await?.ok_or(DomainError::NotFound)?;
    let access = workspace_access(db, roles, caller, &ws.org_id, &ws.id).await?;
    Ok((ws, access))
}

impl super::Lyceum {
    /// May `user_id` do `permission` in `workspace_id`? The in-process check other code (and the
    /// benchmarks) call: roles from the cache (loaded on a miss), decided by the domain's engine.
    /// Unknown users and workspaces are simply not allowed.
    pub async fn may(&self, user_id: &UserId, permission: Permission, workspace_id: &WorkspaceId) -> Result<bool> {
        if let Some(answer) = self.caches.grants.may(user_id.to_uuid(), permission, workspace_id.to_uuid()) {
            return Ok(answer);
        }
        let mut db = self.lazy_conn();
        let Some(org_id) = self.workspace_org(&mut db, workspace_id).await? else { return Ok(false) };
        let grant = grant_of_user(&mut db, self.cached(), &org_id, Some(workspace_id), user_id, false).await?;
        Ok(Access::Person(grant).may_in_workspace(permission))
    }

    /// The organisation a workspace belongs to, cached for good once known (it never changes).
    pub async fn workspace_org(&self, db: &mut impl Db, workspace: &WorkspaceId) -> Result<Option<OrgId>> {
        if let Some(org) = self.caches.grants.workspace_org(workspace.to_uuid()) {
            return Ok(Some(OrgId::from_uuid(org)));
        }
        let Some(row) = crate::tenancy::queries::orgs::workspace(db.conn().await?, workspace).await? else {
            return Ok(None);
        };
        self.caches.grants.remember_workspace(workspace.to_uuid(), row.org_id.to_uuid());
        Ok(Some(row.org_id))
    }
}
