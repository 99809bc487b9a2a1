//! Member management: list with search and filters, change a role, remove one or many —
//! with the rules of escalation, last owner and not-yourself, atomically and audited.

use lyceum_domain::id::UserId;
use lyceum_domain::role::MemberStatus;
use lyceum_domain::{rules, DomainError, MemberRole, OrgRole, Permission, WorkspaceRole};
use serde_json::json;

use crate::kernel::access::Roles;
use crate::kernel::audit_chain::{Action, Entry};
use crate::kernel::caches::directory::index::{Listing, PageQuery};
use crate::kernel::db::now_ms;
use crate::kernel::scope::{access_at, visible_at, Scope, ScopeRef};
use crate::kernel::{decode_cursor, encode_cursor, page_limit, Caller, Page, Result, ServiceError};
use crate::tenancy::store::members::{self, ListQuery, MemberRow, Scope as SqlScope};

crate::kernel::area!(
    /// Member lists, role changes, removal and leaving.
    Members,
    members
);

/// Member list filters as received.
#[derive(Debug, Default)]
pub struct MemberFilter {
    pub q: Option<String>,
    pub role: Option<String>,
    pub status: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// A scope in store terms.
fn sql(scope: &Scope) -> SqlScope<'_> {
    match &scope.workspace_id {
        Some(ws) => SqlScope::Workspace(ws),
        None => SqlScope::Org(&scope.org_id),
    }
}

/// A scope in member directory terms (`None` for an id the directory cannot key).
fn listing(scope: &Scope) -> Option<Listing> {
    match &scope.workspace_id {
        Some(ws) => Some(Listing::Workspace(ws.to_uuid())),
        None => Some(Listing::Org),
    }
}

/// Counts a member list by where it was answered from (`source` = `memory` or `database`); the
/// two handles are made once.
fn count_list(from_memory: bool) {
    static COUNTERS: std::sync::OnceLock<[metrics::Counter; 2]> = std::sync::OnceLock::new();
    let [memory, database] = COUNTERS
        .get_or_init(|| ["memory", "database"].map(|s| metrics::counter!("lyceum_member_lists_total", "source" => s)));
    if from_memory { memory } else { database }.increment(1);
}

impl Members<'_> {
    /// Lists members, filtered by `q` (substring of name or email, case-insensitive), role and
    /// status, a page at a time: from the member directory in memory when it holds the
    /// organisation, else from the database (the same rows in the same order).
    pub async fn list_members(
        &self,
        caller: &Caller,
        target: ScopeRef<'_>,
        filter: MemberFilter,
    ) -> Result<Page<MemberRow>> {
        let t = self.scope(target).await?;
        if let Some(role) = &filter.role {
            match t.workspace_id {
                Some(_) => WorkspaceRole::parse(role).map(|_| ())?,
                None => OrgRole::parse(role).map(|_| ())?,
            }
        }
        if let Some(status) = &filter.status {
            MemberStatus::parse(status)?;
        }
        let q = filter.q.as_deref().map(|s| s.trim().to_lowercase());
        if q.as_ref().is_some_and(|s| s.chars().count() > 254) {
            return Err(DomainError::invalid("q", "must be at most 254 characters").into());
        }
        let after = filter.cursor.as_deref().map(|c| decode_cursor(c, 2)).transpose()?.map(|mut p| {
            let id = p.pop().unwrap_or_default();
            (p.pop().unwrap_or_default(), id)
        });
        let limit = page_limit(filter.limit);
        let mut db = self.lazy_conn();
        access_at(&mut db, self.cached(), caller, &t, Permission::MembersView).await?;
        drop(db);
        let (role, status) = (filter.role.as_deref(), filter.status.as_deref());
        let items = match (self.member_index(&t.org_id).await, listing(&t)) {
            (Some(index), Some(listing)) => {
                let after = after.as_ref().map(|(email, id)| (email.as_str(), id.as_str()));
                let query = PageQuery { text: q.as_deref(), role, status, after, limit: limit as usize };
                count_list(true);
                index.page(listing, &query)
            }
            _ => {
                let mut conn = self.pool.acquire().await?;
                let query = ListQuery { q: q.as_deref(), role, status, after, limit };
                count_list(false);
                members::list(&mut conn, sql(&t), &query).await?
            }
        };
        Ok(Page::of(items, limit, |m| encode_cursor(&[&m.email, m.user_id.as_str()])))
    }

    /// Changes one member's role: not your own, no escalation, never the last organisation owner.
    /// `role` is a role of the scope's kind (an organisation role for an organisation).
    pub async fn change_role(
        &self,
        caller: &Caller,
        target: ScopeRef<'_>,
        user_id: &UserId,
        role: MemberRole,
    ) -> Result<MemberRow> {
        let t = self.scope(target).await?;
        let mut tx = self.begin_org_change(&t.org_id).await?;
        let access = visible_at(&mut tx, Roles::Locked, caller, &t).await?;
        // Rule 1 comes first: granting more than you hold is an escalation, whatever else you lack.
        let new_org_role = match (&t.workspace_id, role) {
            (Some(_), MemberRole::Workspace(r)) => {
                rules::check_assign_workspace_role(&access, r)?;
                None
            }
            (None, MemberRole::Org(r)) => {
                rules::check_assign_org_role(&access, r)?;
                Some(r)
            }
            (Some(_), MemberRole::Org(_)) => {
                return Err(DomainError::invalid("role", "must be a workspace role").into());
            }
            (None, MemberRole::Workspace(_)) => {
                return Err(DomainError::invalid("role", "must be an organisation role").into());
            }
        };
        t.require(&access, Permission::MembersManage)?;
        let before = members::get(&mut tx, sql(&t), user_id).await?.ok_or(DomainError::NotFound)?;
        rules::check_not_self(caller.user_id().map(UserId::as_str), user_id.as_str(), "change the role of")?;
        if let Some(new_role) = new_org_role {
            let owners = members::count_org_owners(&mut tx, &t.org_id).await? as u64;
            rules::check_keeps_an_owner(owners, is_org_owner(before.role), new_role == OrgRole::Owner)?;
        }
        let now = now_ms();
        members::set_role(&mut tx, sql(&t), user_id, role, now).await?;
        let entry = Entry {
            org_id: Some(t.org_id.to_string()),
            workspace_id: t.workspace_str().map(str::to_owned),
            action: Action::MemberRoleChanged,
            target_id: user_id.to_string(),
            before: Some(json!({"role": before.role})),
            after: Some(json!({"role": role})),
        };
        tx.record(&caller.audit_actor(), vec![entry], now);
        tx.commit().await?;
        Ok(MemberRow { role, ..before })
    }

    /// Removes members, all or nothing. Each entry that blocks (yourself, not a member, the last
    /// owners) is reported; nothing is removed then. Removing from the organisation removes every
    /// workspace membership too. The ids are as the request gave them: one that is not an id is
    /// reported as not a member.
    pub async fn remove_members(&self, caller: &Caller, target: ScopeRef<'_>, user_ids: &[String]) -> Result<u64> {
        if user_ids.is_empty() {
            return Err(DomainError::invalid("user_ids", "must name at least one member").into());
        }
        if user_ids.len() > 10_000 {
            return Err(DomainError::invalid("user_ids", "must name at most 10000 members").into());
        }
        let mut ids: Vec<String> = user_ids.to_vec();
        ids.sort();
        ids.dedup();
        let t = self.scope(target).await?;
        let mut tx = self.begin_org_change(&t.org_id).await?;
        access_at(&mut tx, Roles::Locked, caller, &t, Permission::MembersManage).await?;
        let typed: Vec<UserId> = ids.iter().filter_map(|id| UserId::parse(id)).collect();
        let found = members::get_many(&mut tx, sql(&t), &typed).await?;
        let mut blocked = Vec::new();
        for id in &ids {
            if caller.user_id().map(UserId::as_str) == Some(id.as_str()) {
                blocked.push((id.clone(), "cannot_remove_self", "you cannot remove yourself".to_owned()));
            } else if !found.iter().any(|m| m.user_id.as_str() == id) {
                blocked.push((id.clone(), "not_found", "not a member".to_owned()));
            }
        }
        if t.workspace_id.is_none() {
            let owners = members::count_org_owners(&mut tx, &t.org_id).await? as u64;
            let removed_owners: Vec<&MemberRow> = found.iter().filter(|m| is_org_owner(m.role)).collect();
            if rules::check_bulk_keeps_an_owner(owners, removed_owners.len() as u64).is_err() {
                blocked.extend(removed_owners.iter().map(|m| {
                    (m.user_id.to_string(), "last_owner", "removing this owner would leave no owner".to_owned())
                }));
            }
        }
        if let Some((_, code, _)) = blocked.first() {
            let code = *code;
            let message = if ids.len() == 1 {
                blocked[0].2.clone()
            } else {
                format!("{} of the selected members cannot be removed; nothing was removed", blocked.len())
            };
            return Err(ServiceError::Blocked { code, message, entries: blocked });
        }
        let now = now_ms();
        let mut events = Vec::with_capacity(found.len());
        for m in &found {
            let workspaces = match t.workspace_id {
                None => members::workspace_roles_in_org(&mut tx, &t.org_id, &m.user_id).await?,
                Some(_) => Vec::new(),
            };
            events.push(Entry {
                org_id: Some(t.org_id.to_string()),
                workspace_id: t.workspace_str().map(str::to_owned),
                action: Action::MemberRemoved,
                target_id: m.user_id.to_string(),
                before: Some(json!({"email": m.email, "role": m.role, "status": m.status, "workspaces": workspaces})),
                after: None,
            });
        }
        let removed = members::delete_many(&mut tx, sql(&t), &typed).await?;
        tx.record(&caller.audit_actor(), events, now);
        tx.commit().await?;
        Ok(removed)
    }
}

impl Members<'_> {
    /// The caller leaves an organisation (and all its workspaces) or one workspace — the explicit
    /// way out, refused for the last owner of an organisation.
    pub async fn leave(&self, caller: &Caller, target: ScopeRef<'_>) -> Result<()> {
        let t = self.scope(target).await?;
        let mut tx = self.begin_org_change(&t.org_id).await?;
        // What the caller cannot see does not exist for it (rule 4), even for an API key, which
        // is told only then that it cannot leave.
        visible_at(&mut tx, Roles::Locked, caller, &t).await?;
        let me = caller.person()?.id.clone();
        let before = members::get(&mut tx, sql(&t), &me).await?.ok_or(DomainError::NotFound)?;
        if t.workspace_id.is_none() {
            let owners = members::count_org_owners(&mut tx, &t.org_id).await? as u64;
            rules::check_keeps_an_owner(owners, is_org_owner(before.role), false)?;
        }
        members::delete_many(&mut tx, sql(&t), std::slice::from_ref(&me)).await?;
        let entry = Entry {
            org_id: Some(t.org_id.to_string()),
            workspace_id: t.workspace_str().map(str::to_owned),
            action: Action::MemberLeft,
            target_id: me.to_string(),
            before: Some(json!({"role": before.role, "status": before.status})),
            after: None,
        };
        tx.record(&caller.audit_actor(), vec![entry], now_ms());
        tx.commit().await?;
        Ok(())
    }
}

/// Whether a membership's role is the organisation owner role.
fn is_org_owner(role: MemberRole) -> bool {
    role == MemberRole::Org(OrgRole::Owner)
}
