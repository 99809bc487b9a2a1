//! API keys: created by organisation owners (shown once), listed without secrets, revoked with
//! immediate effect. A key's role is checked against its creator's like any role assignment.

use lyceum_domain::id::{ApiKeyId, OrgId, WorkspaceId};
use lyceum_domain::text::parse_name;
use lyceum_domain::{rules, DomainError, OrgRole, Permission, WorkspaceRole};
use serde_json::json;

use crate::accounts::store::api_keys::{self, ApiKeyRow};
use crate::kernel::access::{org_access, resolve, Roles};
use crate::kernel::audit_chain::{Action, Entry};
use crate::kernel::db::{now_ms, parse_rfc3339, rfc3339};
use crate::kernel::{Caller, KeyRole, Result};
use crate::security::tokens;
use crate::tenancy::queries::orgs;

crate::kernel::area!(
    /// An organisation's API keys: create, list, revoke.
    ApiKeys,
    api_keys
);

/// A key to create, as the request gave it (its role and workspace are parsed here: a workspace
/// id that names no workspace of the organisation is a 404).
pub struct NewKey {
    pub name: String,
    pub role: String,
    pub workspace_id: Option<String>,
    pub expires_at: Option<String>,
}

impl ApiKeys<'_> {
    /// Creates a key; returns the row and the secret, which is never shown again.
    pub async fn create_api_key(&self, caller: &Caller, org_id: &OrgId, input: NewKey) -> Result<(ApiKeyRow, String)> {
        let name = parse_name("name", &input.name)?;
        let now = now_ms();
        let expires_at = match &input.expires_at {
            Some(s) => {
                let t =
                    parse_rfc3339(s).ok_or_else(|| DomainError::invalid("expires_at", "must be an RFC 3339 time"))?;
                if t <= now {
                    return Err(DomainError::invalid("expires_at", "must be in the future").into());
                }
                Some(t)
            }
            None => None,
        };
        let mut tx = self.begin_org_change(org_id).await?;
        let access = org_access(&mut tx, Roles::Locked, caller, org_id).await?;
        // Only a person makes keys; a foreign organisation is not found first (rule 4).
        let person = caller.person()?.clone();
        access.require_in_org(Permission::ApiKeysManage)?;
        let role = match &input.workspace_id {
            Some(ws_id) => {
                let ws_id = WorkspaceId::parse(ws_id).ok_or(DomainError::NotFound)?;
                orgs::workspace(&mut tx, &ws_id).await?.filter(|w| &w.org_id == org_id).ok_or(DomainError::NotFound)?;
                let access = resolve(&mut tx, Roles::Locked, caller, org_id, Some(&ws_id)).await?;
                let role = WorkspaceRole::parse(&input.role)?;
                rules::check_assign_workspace_role(&access, role)?;
                KeyRole::Workspace(ws_id, role)
            }
            None => {
                let access = resolve(&mut tx, Roles::Locked, caller, org_id, None).await?;
                let role = OrgRole::parse(&input.role)?;
                rules::check_assign_org_role(&access, role)?;
                KeyRole::Org(role)
            }
        };
        let secret = tokens::new_api_key();
        let row = ApiKeyRow {
            id: ApiKeyId::new(),
            org_id: org_id.clone(),
            name,
            prefix: secret.prefix,
            secret_hash: secret.hash,
            role,
            created_by: person.id,
            created_at: now,
            expires_at,
            revoked_at: None,
            last_used_at: None,
        };
        api_keys::insert(&mut tx, &row).await?;
        let entry = Entry {
            org_id: Some(org_id.to_string()),
            workspace_id: row.role.workspace_id().map(WorkspaceId::to_string),
            action: Action::ApiKeyCreated,
            target_id: row.id.to_string(),
            before: None,
            after: Some(
                json!({"name": row.name, "prefix": row.prefix, "role": row.role.role_name(), "expires_at": row.expires_at.map(rfc3339)}),
            ),
        };
        tx.record(&caller.audit_actor(), vec![entry], now);
        tx.commit().await?;
        Ok((row, secret.key))
    }

    /// The organisation's keys (never their secrets).
    pub async fn list_api_keys(&self, caller: &Caller, org_id: &OrgId) -> Result<Vec<ApiKeyRow>> {
        let mut conn = self.pool.acquire().await?;
        org_access(&mut conn, self.cached(), caller, org_id).await?.require_in_org(Permission::ApiKeysManage)?;
        Ok(api_keys::list(&mut conn, org_id).await?)
    }

    /// Revokes a key: the very next request with it is refused.
    pub async fn revoke_api_key(&self, caller: &Caller, org_id: &OrgId, key_id: &ApiKeyId) -> Result<()> {
        let mut tx = self.begin_org_change(org_id).await?;
        org_access(&mut tx, Roles::Locked, caller, org_id).await?.require_in_org(Permission::ApiKeysManage)?;
        let key = api_keys::by_id(&mut tx, org_id, key_id).await?.ok_or(DomainError::NotFound)?;
        let now = now_ms();
        tx.forget_key(&key.id).await?;
        if !api_keys::revoke(&mut tx, &key.id, now).await? {
            return Err(DomainError::Conflict("this key is already revoked".into()).into());
        }
        let entry = Entry {
            org_id: Some(org_id.to_string()),
            workspace_id: key.role.workspace_id().map(WorkspaceId::to_string),
            action: Action::ApiKeyRevoked,
            target_id: key.id.to_string(),
            before: Some(json!({"name": key.name, "prefix": key.prefix})),
            after: Some(json!({"revoked_at": rfc3339(now)})),
        };
        tx.record(&caller.audit_actor(), vec![entry], now);
        tx.commit().await?;
        Ok(())
    }
}
