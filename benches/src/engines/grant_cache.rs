//! Lyceum's side: its `GrantCache` filled from the rows, exactly as `Lyceum::may` would leave it
//! after loading each asker once. The decision itself stays the domain's engine.

use std::collections::HashMap;

use lyceum::kernel::caches::grants::{GrantCache, UserRoles};
use lyceum_domain::{OrgRole, WorkspaceRole};
use uuid::Uuid;

use crate::population::Population;
use crate::queries::Query;

/// Fills `cache` with every member's roles, every workspace's organisation and — for askers who
/// hold nothing in a workspace's organisation — the empty entry `Lyceum::may` stores after its
/// first (fruitless) database read, so every query is answered from memory.
pub fn fill(cache: &GrantCache, population: &Population, queries: &[Query]) {
    let org_of = population.org_of();
    for (ws, org) in &population.workspaces {
        cache.remember_workspace(*ws, *org);
    }
    type Held = (Option<OrgRole>, Vec<(Uuid, WorkspaceRole)>);
    let mut held: HashMap<(Uuid, Uuid), Held> = HashMap::new();
    for (org, user, role) in &population.org_members {
        held.entry((*org, *user)).or_default().0 = Some(*role);
    }
    for (ws, user, role) in &population.workspace_members {
        if let Some(org) = org_of.get(ws) {
            held.entry((*org, *user)).or_default().1.push((*ws, *role));
        }
    }
    for ((org, user), (org_role, workspaces)) in held {
        store(cache, org, user, UserRoles::new(org_role, workspaces));
    }
    for q in queries {
        if let Some(org) = org_of.get(&q.workspace) {
            if cache.with_roles(*org, q.user, |_| ()).is_err() {
                store(cache, *org, q.user, UserRoles::default());
            }
        }
    }
}

/// Stores roles the way the service does: against the epoch a miss reported.
fn store(cache: &GrantCache, org: Uuid, user: Uuid, roles: UserRoles) {
    if let Err(miss) = cache.with_roles(org, user, |_| ()) {
        cache.store(org, user, miss, roles);
    }
}
