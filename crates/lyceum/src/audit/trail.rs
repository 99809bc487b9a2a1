//! Reading the audit trail (organisation owners; a workspace's owners for that workspace), and
//! access checks answered from the permission engine.

use lyceum_domain::id::{OrgId, UserId, WorkspaceId};
use lyceum_domain::{Access, DomainError, Grant, Permission};

use super::store;
use crate::accounts::queries::users;
use crate::kernel::access::{grant_of_user, org_access, resolve, visible_workspace};
use crate::kernel::audit_chain::{self, EventRow};
use crate::kernel::db::parse_rfc3339;
use crate::kernel::scope::{access_at, scope_in_org};
use crate::kernel::{decode_cursor, encode_cursor, page_limit, Caller, KeyRole, Page, Principal, Result};

crate::kernel::area!(
    /// The audit trail and the permission questions (permissions, check).
    Audit,
    audit
);

/// Filters of the audit list as received.
#[derive(Debug, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub workspace_id: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// What `permissions` answers.
pub struct EffectivePermissions {
    pub permissions: Vec<&'static str>,
    pub org_role: Option<String>,
    pub workspace_role: Option<String>,
}

fn parse_time(field: &str, s: &Option<String>) -> Result<Option<i64>> {
    s.as_deref()
        .map(|s| parse_rfc3339(s).ok_or_else(|| DomainError::invalid(field, "must be an RFC 3339 time").into()))
        .transpose()
}

impl Audit<'_> {
    /// Events of an organisation, newest first.
    pub async fn list_audit(&self, caller: &Caller, org_id: &OrgId, f: AuditFilter) -> Result<Page<EventRow>> {
        let from = parse_time("from", &f.from)?;
        let to = parse_time("to", &f.to)?;
        let before_seq = match &f.cursor {
            Some(c) => Some(
                decode_cursor(c, 1)?
                    .pop()
                    .and_then(|s| s.parse::<i64>().ok())
                    .ok_or_else(|| DomainError::invalid("cursor", "is not a cursor this server issued"))?,
            ),
            None => None,
        };
        // A workspace filter that is not an id names no workspace (404, like one that is not found).
        let workspace_id =
            f.workspace_id.as_deref().map(|w| WorkspaceId::parse(w).ok_or(DomainError::NotFound)).transpose()?;
        let mut conn = self.pool.acquire().await?;
        let scope = scope_in_org(&mut conn, org_id, workspace_id.as_ref()).await?;
        access_at(&mut conn, self.cached(), caller, &scope, Permission::AuditView).await?;
        let limit = page_limit(f.limit);
        let q = store::ListQuery {
            // Emails are stored lower-cased, actions are lower case: filters compare the same way.
            actor: f.actor.map(|a| if a.contains('@') { a.trim().to_lowercase() } else { a }),
            action: f.action.map(|a| a.trim().to_lowercase()),
            workspace_id,
            from,
            to,
            before_seq,
            limit,
        };
        let items = store::list(&mut conn, org_id, &q).await?;
        Ok(Page::of(items, limit, |e| encode_cursor(&[&e.seq.to_string()])))
    }

    /// Effective permissions in a workspace: the caller's, or another member's (`members.view`).
    pub async fn permissions(
        &self,
        caller: &Caller,
        ws_id: &WorkspaceId,
        user_id: Option<&UserId>,
    ) -> Result<EffectivePermissions> {
        let mut conn = self.pool.acquire().await?;
        let (ws, access) = visible_workspace(&mut conn, self.cached(), caller, ws_id).await?;
        let subject: Access = match user_id {
            Some(uid) if caller.user_id() != Some(uid) => {
                access.require_in_workspace(Permission::MembersView)?;
                let admin = users::by_id(&mut conn, uid).await?.is_some_and(|u| u.instance_admin != 0);
                let grant = grant_of_user(&mut conn, self.cached(), &ws.org_id, Some(ws_id), uid, admin).await?;
                if grant.org_role.is_none() {
                    return Err(DomainError::NotFound.into());
                }
                Access::Person(grant)
            }
            _ => resolve(&mut conn, self.cached(), caller, &ws.org_id, Some(ws_id)).await?,
        };
        let (org_role, workspace_role) = match (&caller.principal, user_id, subject) {
            (Principal::Key(k), None, _) => match &k.role {
                KeyRole::Workspace(_, role) => (None, Some(role.to_string())),
                KeyRole::Org(role) => (Some(role.to_string()), None),
            },
            (_, _, Access::Person(g)) | (_, _, Access::Key { key: g, .. }) => {
                (g.org_role.map(|r| r.to_string()), g.workspace_role.map(|r| r.to_string()))
            }
        };
        Ok(EffectivePermissions { permissions: subject.workspace_permissions().names(), org_role, workspace_role })
    }

    /// May `user_id` do `permission` (in `workspace_id`, or at organisation scope)? Answered for
    /// organisation owners and owner-role keys, with the roles that grant it.
    pub async fn check(
        &self,
        caller: &Caller,
        org_id: &OrgId,
        user_id: &str,
        permission: &str,
        workspace_id: Option<&str>,
    ) -> Result<(bool, Vec<String>)> {
        let permission = Permission::parse(permission)?;
        // The subject and workspace are as the request gave them: a workspace that is not an id
        // is not found; a person who is not an id holds no role.
        let workspace_id = workspace_id.map(|w| WorkspaceId::parse(w).ok_or(DomainError::NotFound)).transpose()?;
        // Every lookup below is answered from the caches when it can: a hit takes no connection.
        let mut db = self.lazy_conn();
        org_access(&mut db, self.cached(), caller, org_id).await?.require_in_org(Permission::OrgManage)?;
        if let Some(ws) = &workspace_id {
            if self.workspace_org(&mut db, ws).await?.as_ref() != Some(org_id) {
                return Err(DomainError::NotFound.into());
            }
        }
        let Some(user_id) = UserId::parse(user_id) else {
            return Ok(decide(Grant::default(), permission, workspace_id.is_some()));
        };
        let grant = grant_of_user(&mut db, self.cached(), org_id, workspace_id.as_ref(), &user_id, false).await?;
        Ok(decide(grant, permission, workspace_id.is_some()))
    }

    /// Verifies every audit chain; (events checked, breaks).
    pub async fn verify_audit(&self) -> Result<(u64, Vec<audit_chain::Break>)> {
        let mut conn = self.pool.acquire().await?;
        Ok(audit_chain::verify(&mut conn).await?)
    }
}

/// The answer of a check from the target's grant. Someone outside the organisation holds nothing
/// in it, instance administrator or not.
fn decide(grant: Grant, permission: Permission, in_workspace: bool) -> (bool, Vec<String>) {
    let grant = if grant.org_role.is_some() { grant } else { Grant::default() };
    let access = Access::Person(grant);
    let allowed = if in_workspace { access.may_in_workspace(permission) } else { access.may_in_org(permission) };
    let via = if allowed { grant.roles_granting(permission, in_workspace) } else { Vec::new() };
    (allowed, via)
}
