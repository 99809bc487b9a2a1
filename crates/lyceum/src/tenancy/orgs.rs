//! Organisations, workspaces and the credit pool.

use lyceum_domain::text::parse_name;
use std::collections::HashMap;

use lyceum_domain::id::{OrgId, WorkspaceId};
use lyceum_domain::{
    rules, Access, DomainError, Grant, MemberRole, MemberStatus, OrgRole, Permission, Plan, WorkspaceRole,
};
use serde_json::json;

use crate::kernel::access::{grant_of_user, org_access, workspace_access, Roles};
use crate::kernel::audit_chain::{Action, Entry};
use crate::kernel::db::now_ms;
use crate::kernel::{Caller, Principal, Result};
use crate::tenancy::store::members;
use crate::tenancy::store::members::Scope;
use crate::tenancy::store::orgs::{self, OrgRow, WorkspaceRow};

crate::kernel::area!(
    /// Organisations and their workspaces: create, read, settings and credit limits.
    Orgs,
    orgs
);

pub struct NewOrg {
    pub name: String,
    pub plan: String,
    pub seats: Option<i64>,
    pub credit_pool: Option<i64>,
}

/// An organisation with its workspaces.
pub struct OrgView {
    pub org: OrgRow,
    pub workspaces: Vec<WorkspaceRow>,
}

/// Credit pool and allocation.
pub struct Credits {
    pub pool: i64,
    pub allocated: i64,
    pub workspaces: Vec<WorkspaceRow>,
}

/// Fills in each workspace's spend of this billing period from its ledger.
async fn with_spend(conn: &mut crate::kernel::sql::Conn, org: &OrgId, workspaces: &mut [WorkspaceRow]) -> Result<()> {
    let used: HashMap<WorkspaceId, lyceum_domain::credits::Micros> =
        crate::credits::queries::used_in_org(conn, org, now_ms()).await?.into_iter().collect();
    for w in workspaces {
        w.credits_used = used.get(&w.id).copied().unwrap_or_default();
    }
    Ok(())
}

fn ws_json(w: &WorkspaceRow) -> serde_json::Value {
    json!({"name": w.name, "credit_limit": w.credit_limit})
}

impl Orgs<'_> {
    /// Creates an organisation; the caller becomes its owner and the owner of its first workspace
    /// (named after it, credit limit 0).
    pub async fn create_org(&self, caller: &Caller, input: NewOrg) -> Result<OrgView> {
        let person = caller.person()?.clone();
        let name = parse_name("name", &input.name)?;
        let plan = Plan::parse(&input.plan)?;
        let seats = input.seats.unwrap_or(10);
        if !(1..=1_000_000).contains(&seats) {
            return Err(DomainError::invalid("seats", "must be between 1 and 1000000").into());
        }
        let credit_pool = input.credit_pool.unwrap_or(0);
        if !(0..=1_000_000_000_000).contains(&credit_pool) {
            return Err(DomainError::invalid("credit_pool", "must be between 0 and 10^12").into());
        }
        let now = now_ms();
        let org = OrgRow { id: OrgId::new(), name: name.clone(), plan, seats, credit_pool, created_at: now };
        let ws = WorkspaceRow {
            id: WorkspaceId::new(),
            org_id: org.id.clone(),
            name,
            credit_limit: 0,
            credits_used: Default::default(),
            created_at: now,
        };
        let mut tx = self.begin_change().await?;
        orgs::insert(&mut tx, &org).await?;
        tx.touch_org(&org.id).await?;
        orgs::insert_workspace(&mut tx, &ws).await?;
        members::insert(
            &mut tx,
            Scope::Org(&org.id),
            &org.id,
            &person.id,
            MemberRole::Org(OrgRole::Owner),
            MemberStatus::Accepted,
            now,
        )
        .await?;
        members::insert(
            &mut tx,
            Scope::Workspace(&ws.id),
            &org.id,
            &person.id,
            MemberRole::Workspace(WorkspaceRole::Owner),
            MemberStatus::Accepted,
            now,
        )
        .await?;
        let events = vec![
            Entry {
                org_id: Some(org.id.to_string()),
                workspace_id: None,
                action: Action::OrgCreated,
                target_id: org.id.to_string(),
                before: None,
                after: Some(json!({"name": org.name, "plan": org.plan, "seats": seats, "credit_pool": credit_pool})),
            },
            Entry {
                org_id: Some(org.id.to_string()),
                workspace_id: Some(ws.id.to_string()),
                action: Action::WorkspaceCreated,
                target_id: ws.id.to_string(),
                before: None,
                after: Some(ws_json(&ws)),
            },
        ];
        tx.record(&caller.audit_actor(), events, now);
        tx.commit().await?;
        Ok(OrgView { org, workspaces: vec![ws] })
    }

    /// An organisation the caller belongs to, with the workspaces the caller can see.
    pub async fn get_org(&self, caller: &Caller, org_id: &OrgId) -> Result<OrgView> {
        let mut conn = self.pool.acquire().await?;
        org_access(&mut conn, self.cached(), caller, org_id).await?;
        let org = orgs::by_id(&mut conn, org_id).await?.ok_or(DomainError::NotFound)?;
        let workspaces = self.visible_workspaces(&mut conn, caller, org_id).await?;
        Ok(OrgView { org, workspaces })
    }

    /// The organisation's workspaces the caller may view. A person's roles are read once (org role
    /// plus a map of workspace roles) instead of once per workspace; keys go through `resolve`.
    async fn visible_workspaces(
        &self,
        conn: &mut crate::kernel::sql::Conn,
        caller: &Caller,
        org_id: &OrgId,
    ) -> Result<Vec<WorkspaceRow>> {
        let all = orgs::workspaces(conn, org_id).await?;
        let Principal::User(u) = &caller.principal else {
            let mut visible = Vec::new();
            for ws in all {
                if workspace_access(conn, self.cached(), caller, &ws.org_id, &ws.id).await.is_ok() {
                    visible.push(ws);
                }
            }
            return Ok(visible);
        };
        let base = grant_of_user(conn, self.cached(), org_id, None, &u.id, u.instance_admin).await?;
        let roles: HashMap<WorkspaceId, WorkspaceRole> =
            members::workspace_roles_in_org(conn, org_id, &u.id).await?.into_iter().collect();
        Ok(all
            .into_iter()
            .filter(|w| {
                let workspace_role = roles.get(&w.id).copied();
                Access::Person(Grant { workspace_role, ..base }).may_in_workspace(Permission::WorkspaceView)
            })
            .collect())
    }

    /// The workspaces of an organisation the caller can see.
    pub async fn list_workspaces(&self, caller: &Caller, org_id: &OrgId) -> Result<Vec<WorkspaceRow>> {
        let mut conn = self.pool.acquire().await?;
        org_access(&mut conn, self.cached(), caller, org_id).await?;
        let mut workspaces = self.visible_workspaces(&mut conn, caller, org_id).await?;
        with_spend(&mut conn, org_id, &mut workspaces).await?;
        Ok(workspaces)
    }

    /// Creates a workspace within the plan's allowance and the credit pool, checked under the
    /// organisation's write lock.
    pub async fn create_workspace(
        &self,
        caller: &Caller,
        org_id: &OrgId,
        name: &str,
        credit_limit: i64,
    ) -> Result<WorkspaceRow> {
        let name = parse_name("name", name)?;
        let mut tx = self.begin_org_change(org_id).await?;
        let access = org_access(&mut tx, Roles::Locked, caller, org_id).await?;
        access.require_in_org(Permission::WorkspacesCreate)?;
        let org = orgs::by_id(&mut tx, org_id).await?.ok_or(DomainError::NotFound)?;
        rules::check_workspace_allowed(org.plan, orgs::workspace_count(&mut tx, org_id).await? as u64)?;
        let allocated = orgs::allocated_except(&mut tx, org_id, None).await?;
        rules::check_credit_pool(org.credit_pool, allocated, credit_limit)?;
        let now = now_ms();
        let ws = WorkspaceRow {
            id: WorkspaceId::new(),
            org_id: org_id.clone(),
            name,
            credit_limit,
            credits_used: Default::default(),
            created_at: now,
        };
        orgs::insert_workspace(&mut tx, &ws).await?;
        if let Some(user_id) = caller.user_id() {
            members::insert(
                &mut tx,
                Scope::Workspace(&ws.id),
                org_id,
                user_id,
                MemberRole::Workspace(WorkspaceRole::Owner),
                MemberStatus::Accepted,
                now,
            )
            .await?;
        }
        let entry = Entry {
            org_id: Some(org_id.to_string()),
            workspace_id: Some(ws.id.to_string()),
            action: Action::WorkspaceCreated,
            target_id: ws.id.to_string(),
            before: None,
            after: Some(ws_json(&ws)),
        };
        tx.record(&caller.audit_actor(), vec![entry], now);
        tx.commit().await?;
        Ok(ws)
    }

    /// Renames a workspace (`settings.manage`) and/or changes its credit limit (`credits.allocate`,
    /// within the pool).
    pub async fn update_workspace(
        &self,
        caller: &Caller,
        ws_id: &WorkspaceId,
        name: Option<&str>,
        credit_limit: Option<i64>,
    ) -> Result<WorkspaceRow> {
        let name = name.map(|n| parse_name("name", n)).transpose()?;
        let org_id = self.org_of_workspace(ws_id).await?;
        let mut tx = self.begin_org_change(&org_id).await?;
        let before = orgs::workspace(&mut tx, ws_id).await?.ok_or(DomainError::NotFound)?;
        let access = workspace_access(&mut tx, Roles::Locked, caller, &before.org_id, &before.id).await?;
        let mut after = before.clone();
        if let Some(name) = name {
            access.require_in_workspace(Permission::SettingsManage)?;
            after.name = name;
        }
        if let Some(limit) = credit_limit {
            access.require_in_org(Permission::CreditsAllocate)?;
            let org = orgs::by_id(&mut tx, &org_id).await?.ok_or(DomainError::NotFound)?;
            let others = orgs::allocated_except(&mut tx, &org_id, Some(ws_id)).await?;
            rules::check_credit_pool(org.credit_pool, others, limit)?;
            after.credit_limit = limit;
        }
        let now = now_ms();
        orgs::update_workspace(&mut tx, &after, now).await?;
        let entry = Entry {
            org_id: Some(org_id.to_string()),
            workspace_id: Some(ws_id.to_string()),
            action: Action::WorkspaceUpdated,
            target_id: ws_id.to_string(),
            before: Some(ws_json(&before)),
            after: Some(ws_json(&after)),
        };
        tx.record(&caller.audit_actor(), vec![entry], now);
        tx.commit().await?;
        Ok(after)
    }

    /// The credit pool and how it is allocated (organisation owners).
    pub async fn credits(&self, caller: &Caller, org_id: &OrgId) -> Result<Credits> {
        let mut conn = self.pool.acquire().await?;
        org_access(&mut conn, self.cached(), caller, org_id).await?.require_in_org(Permission::CreditsAllocate)?;
        let org = orgs::by_id(&mut conn, org_id).await?.ok_or(DomainError::NotFound)?;
        let mut workspaces = orgs::workspaces(&mut conn, org_id).await?;
        with_spend(&mut conn, org_id, &mut workspaces).await?;
        let allocated = workspaces.iter().map(|w| w.credit_limit).sum();
        Ok(Credits { pool: org.credit_pool, allocated, workspaces })
    }
}
