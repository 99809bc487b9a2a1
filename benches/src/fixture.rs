//! A small hand-made population, written into a Lyceum database through Lyceum's own store
//! functions: the correctness test's world (every role, alone and combined, in two organisations).

use lyceum::accounts::queries::users;
use lyceum::kernel::Lyceum;
use lyceum::tenancy::queries::{members, orgs};
use lyceum_domain::id::{OrgId, UserId, WorkspaceId};
use lyceum_domain::{MemberRole, MemberStatus, OrgRole, Plan, WorkspaceRole};
use uuid::Uuid;

use crate::population::Population;

/// Two organisations; people with every organisation role, with and without every workspace
/// role, one member of both organisations, and two people in none.
pub fn tiny() -> Population {
    let mut next = 0u128;
    let mut id = move || {
        next += 1;
        // Version 7 layout, so these look like Lyceum's ids.
        Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 | next)
    };
    let (org_a, org_b) = (id(), id());
    let ws_a: Vec<Uuid> = (0..3).map(|_| id()).collect();
    let ws_b = id();
    let mut p = Population::default();
    p.workspaces.extend(ws_a.iter().map(|ws| (*ws, org_a)));
    p.workspaces.push((ws_b, org_b));
    for org_role in OrgRole::ALL {
        // Organisation role only.
        let user = id();
        p.org_members.push((org_a, user, *org_role));
        // Organisation role and each workspace role, in the first workspace.
        for ws_role in WorkspaceRole::ALL {
            let user = id();
            p.org_members.push((org_a, user, *org_role));
            p.workspace_members.push((ws_a[0], user, *ws_role));
        }
    }
    // Roles in several workspaces, and in two organisations.
    let busy = id();
    p.org_members.push((org_a, busy, OrgRole::Guest));
    p.workspace_members.push((ws_a[1], busy, WorkspaceRole::Owner));
    p.workspace_members.push((ws_a[2], busy, WorkspaceRole::Learner));
    p.org_members.push((org_b, busy, OrgRole::Viewer));
    p.workspace_members.push((ws_b, busy, WorkspaceRole::Trainer));
    p.outsiders = vec![id(), id()];
    p
}

/// Writes a population into an empty Lyceum database, in one transaction.
pub async fn write(lyceum: &Lyceum, population: &Population) -> anyhow::Result<()> {
    let now = lyceum::kernel::db::now_ms();
    let mut tx = lyceum.pool.begin().await?;
    let mut people: Vec<Uuid> = population.org_members.iter().map(|(_, user, _)| *user).collect();
    people.extend(&population.outsiders);
    people.sort_unstable();
    people.dedup();
    for user in &people {
        let (id, email) = (UserId::from_uuid(*user), format!("{user}@bench.test"));
        let new = users::NewUser { id: &id, email: &email, name: "Bench", password_hash: "-", instance_admin: false };
        users::insert(&mut tx, &new, now).await?;
    }
    let mut org_ids: Vec<Uuid> = population.workspaces.iter().map(|(_, org)| *org).collect();
    org_ids.sort_unstable();
    org_ids.dedup();
    for org in &org_ids {
        let row = orgs::OrgRow {
            id: OrgId::from_uuid(*org),
            name: "Bench".into(),
            plan: Plan::Enterprise,
            seats: 1_000_000,
            credit_pool: 0,
            created_at: now,
        };
        orgs::insert(&mut tx, &row).await?;
    }
    for (ws, org) in &population.workspaces {
        let row = orgs::WorkspaceRow {
            id: WorkspaceId::from_uuid(*ws),
            org_id: OrgId::from_uuid(*org),
            name: "Bench".into(),
            credit_limit: 0,
            credits_used: Default::default(),
            created_at: now,
        };
        orgs::insert_workspace(&mut tx, &row).await?;
    }
    for (org, user, role) in &population.org_members {
        let (org, user) = (OrgId::from_uuid(*org), UserId::from_uuid(*user));
        let role = MemberRole::Org(*role);
        members::insert(&mut tx, members::Scope::Org(&org), &org, &user, role, MemberStatus::Accepted, now).await?;
    }
    let org_of = population.org_of();
    for (ws, user, role) in &population.workspace_members {
        let (org, ws, user) = (OrgId::from_uuid(org_of[ws]), WorkspaceId::from_uuid(*ws), UserId::from_uuid(*user));
        let role = MemberRole::Workspace(*role);
        members::insert(&mut tx, members::Scope::Workspace(&ws), &org, &user, role, MemberStatus::Accepted, now)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}
