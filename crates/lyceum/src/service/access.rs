//! Resolving what a caller may do: the caller's roles in an organisation (and workspace) turned
//! into an `Access` for the domain's permission engine. Nothing else decides permissions.

use lyceum_domain::{Access, DomainError, Grant, OrgRole, Permission, WorkspaceRole};

use super::{Caller, Principal, Result};
use crate::store::orgs::WorkspaceRow;
use crate::store::{members, users, Conn};

/// The roles a user holds in an organisation and, if given, one of its workspaces.
pub async fn grant_of_user(
    conn: &mut Conn,
    org_id: &str,
    workspace_id: Option<&str>,
    user_id: &str,
    instance_admin: bool,
) -> Result<Grant> {
    let org_role = members::org_role(conn, org_id, user_id).await?.and_then(|r| OrgRole::parse(&r).ok());
    let workspace_role = match (workspace_id, org_role) {
        (Some(ws), Some(_)) => {
            members::workspace_role(conn, ws, user_id).await?.and_then(|r| WorkspaceRole::parse(&r).ok())
        }
        _ => None,
    };
    Ok(Grant { org_role, workspace_role, instance_admin })
}

/// The caller's access in an organisation (and workspace); an empty access when the caller has
/// none, so the engine denies by default.
pub async fn resolve(conn: &mut Conn, caller: &Caller, org_id: &str, workspace_id: Option<&str>) -> Result<Access> {
    match &caller.principal {
        Principal::User(u) => {
            Ok(Access::Person(grant_of_user(conn, org_id, workspace_id, &u.id, u.instance_admin).await?))
        }
        Principal::Key(k) => {
            if k.org_id != org_id {
                return Ok(Access::Person(Grant::default()));
            }
            let key = match &k.workspace_id {
                Some(kw) => Grant {
                    workspace_role: (workspace_id == Some(kw.as_str()))
                        .then(|| WorkspaceRole::parse(&k.role).ok())
                        .flatten(),
                    ..Grant::default()
                },
                None => Grant { org_role: OrgRole::parse(&k.role).ok(), ..Grant::default() },
            };
            let admin = users::by_id(conn, &k.created_by).await?.is_some_and(|u| u.instance_admin != 0);
            let creator = grant_of_user(conn, org_id, workspace_id, &k.created_by, admin).await?;
            Ok(Access::Key { key, creator })
        }
    }
}

/// Access to an organisation the caller must be able to see; otherwise it does not exist for them.
pub async fn org_access(conn: &mut Conn, caller: &Caller, org_id: &str) -> Result<Access> {
    let access = resolve(conn, caller, org_id, None).await?;
    if !access.sees_org() {
        return Err(DomainError::NotFound.into());
    }
    Ok(access)
}

/// Access to a workspace the caller must be able to see (`workspace.view`); otherwise 404.
pub async fn workspace_access(conn: &mut Conn, caller: &Caller, ws: &WorkspaceRow) -> Result<Access> {
    let access = resolve(conn, caller, &ws.org_id, Some(&ws.id)).await?;
    if !access.sees_org() || !access.may_in_workspace(Permission::WorkspaceView) {
        return Err(DomainError::NotFound.into());
    }
    Ok(access)
}

/// Loads a workspace the caller can see, with the caller's access there.
pub async fn visible_workspace(conn: &mut Conn, caller: &Caller, workspace_id: &str) -> Result<(WorkspaceRow, Access)> {
    let ws = crate::store::orgs::workspace(conn, workspace_id).await?.ok_or(DomainError::NotFound)?;
    let access = workspace_access(conn, caller, &ws).await?;
    Ok((ws, access))
}
