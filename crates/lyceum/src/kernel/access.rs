//! Resolving what a caller may do: the caller's roles in an organisation (and workspace) turned
//! into an `Access` for the domain's permission engine. Nothing else decides permissions.

use lyceum_domain::{Access, DomainError, Grant, OrgRole, Permission, WorkspaceRole};

use uuid::Uuid;

use super::caches::grants::{canonical_uuid, GrantCache, UserRoles};
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
    org_id: &str,
    workspace_id: Option<&str>,
    user_id: &str,
    instance_admin: bool,
) -> Result<Grant> {
    if let (Roles::Cached(cache), Some(org), Some(user)) = (roles, canonical_uuid(org_id), canonical_uuid(user_id)) {
        let ws = workspace_key(workspace_id);
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
    let org_role = members::org_role(conn, org_id, user_id).await?.and_then(|r| OrgRole::parse(&r).ok());
    let workspace_role = match (workspace_id, org_role) {
        (Some(ws), Some(_)) => {
            members::workspace_role(conn, ws, user_id).await?.and_then(|r| WorkspaceRole::parse(&r).ok())
        }
        _ => None,
    };
    Ok(Grant { org_role, workspace_role, instance_admin })
}

/// Everything the cache keeps about one user in one organisation: three indexed reads.
pub async fn load_user_roles(conn: &mut Conn, org_id: &str, user_id: &str) -> Result<UserRoles> {
    let admin = users::by_id(conn, user_id).await?.is_some_and(|u| u.instance_admin != 0);
    let org_role = members::org_role(conn, org_id, user_id).await?.and_then(|r| OrgRole::parse(&r).ok());
    let workspaces = match org_role {
        Some(_) => members::workspace_roles_in_org(conn, org_id, user_id)
            .await?
            .into_iter()
            .filter_map(|(ws, role)| Some((Uuid::parse_str(&ws).ok()?, WorkspaceRole::parse(&role).ok()?)))
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
    org_id: &str,
    workspace_id: Option<&str>,
) -> Result<Access> {
    match &caller.principal {
        Principal::User(u) => {
            Ok(Access::Person(grant_of_user(db, roles, org_id, workspace_id, &u.id, u.instance_admin).await?))
        }
        Principal::Key(k) => {
            if k.org_id.as_str() != org_id {
                return Ok(Access::Person(Grant::default()));
            }
            let key = key_grant(k, workspace_id);
            let admin = match roles {
                // The cached roles carry the creator's instance-admin flag.
                Roles::Cached(_) => false,
                Roles::Locked => {
                    users::by_id(db.conn().await?, k.created_by.as_str()).await?.is_some_and(|u| u.instance_admin != 0)
                }
            };
            let creator = grant_of_user(db, roles, org_id, workspace_id, k.created_by.as_str(), admin).await?;
            Ok(Access::Key { key, creator })
        }
    }
}

/// What an API key's own role grants, at organisation scope or in `workspace_id` (before it is
/// capped by its creator's grant).
fn key_grant(k: &KeyRef, workspace_id: Option<&str>) -> Grant {
    match &k.role {
        KeyRole::Workspace(kw, role) => {
            Grant { workspace_role: (workspace_id == Some(kw.as_str())).then_some(*role), ..Grant::default() }
        }
        KeyRole::Org(role) => Grant { org_role: Some(*role), ..Grant::default() },
    }
}

/// A workspace id as a cache key; one that is not canonical can match no workspace.
fn workspace_key(workspace_id: Option<&str>) -> Option<Uuid> {
    workspace_id.map(|w| canonical_uuid(w).unwrap_or(Uuid::nil()))
}

/// Access to an organisation the caller must be able to see; otherwise it does not exist for them.
pub async fn org_access(db: &mut impl Db, roles: Roles<'_>, caller: &Caller, org_id: &str) -> Result<Access> {
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
    org_id: &str,
    ws_id: &str,
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
    workspace_id: &str,
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
    pub async fn may(&self, user_id: &str, permission: Permission, workspace_id: &str) -> Result<bool> {
        let (Some(user), Some(ws)) = (canonical_uuid(user_id), canonical_uuid(workspace_id)) else { return Ok(false) };
        if let Some(answer) = self.caches.grants.may(user, permission, ws) {
            return Ok(answer);
        }
        let mut db = self.lazy_conn();
        let Some(org_id) = self.workspace_org(&mut db, ws).await? else { return Ok(false) };
        let grant =
            grant_of_user(&mut db, self.cached(), &org_id.to_string(), Some(workspace_id), user_id, false).await?;
        Ok(Access::Person(grant).may_in_workspace(permission))
    }

    /// The organisation a workspace belongs to, cached for good once known (it never changes).
    pub async fn workspace_org(&self, db: &mut impl Db, workspace: Uuid) -> Result<Option<Uuid>> {
        if let Some(org) = self.caches.grants.workspace_org(workspace) {
            return Ok(Some(org));
        }
        let Some(row) = crate::tenancy::queries::orgs::workspace(db.conn().await?, &workspace.to_string()).await?
        else {
            return Ok(None);
        };
        let Ok(org) = Uuid::parse_str(&row.org_id) else { return Ok(None) };
        self.caches.grants.remember_workspace(workspace, org);
        Ok(Some(org))
    }
}
