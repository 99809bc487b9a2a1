//! The questions every engine answers: (user, permission, workspace) triples sampled with a fixed
//! seed from the population — people asking about a workspace they hold a role in, organisation
//! members asking about another workspace of their organisation (their organisation role alone
//! decides), and people outside the organisation — over all 16 permissions.

use lyceum_domain::Permission;
use uuid::Uuid;

use crate::population::Population;
use crate::rng::Rng;

/// One permission check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Query {
    pub user: Uuid,
    pub permission: Permission,
    pub workspace: Uuid,
}

/// How the sample is split between the three kinds of asker (the rest are outsiders).
const WORKSPACE_MEMBERS: f64 = 0.5;
const ORG_MEMBERS: f64 = 0.3;

/// `n` queries drawn with `seed`. Members are drawn per membership row, so busy workspaces (and
/// people in several workspaces) are asked about in proportion, as they would be in real traffic.
pub fn sample(population: &Population, n: usize, seed: u64) -> Vec<Query> {
    assert!(!population.workspaces.is_empty(), "the population has no workspaces");
    let mut rng = Rng::new(seed);
    let permissions: Vec<Permission> = Permission::all().collect();
    let by_org = population.workspaces_by_org();
    let all_workspaces: Vec<Uuid> = population.workspaces.iter().map(|(ws, _)| *ws).collect();
    (0..n)
        .map(|_| {
            let permission = *rng.pick(&permissions);
            let kind = rng.unit();
            let (user, workspace) = if kind < WORKSPACE_MEMBERS && !population.workspace_members.is_empty() {
                let (ws, user, _) = *rng.pick(&population.workspace_members);
                (user, ws)
            } else if kind < WORKSPACE_MEMBERS + ORG_MEMBERS && !population.org_members.is_empty() {
                // Usually a workspace where they hold no role; now and then one where they do.
                let (org, user, _) = *rng.pick(&population.org_members);
                let workspaces = by_org.get(&org).map_or(all_workspaces.as_slice(), Vec::as_slice);
                (user, *rng.pick(workspaces))
            } else if !population.outsiders.is_empty() && rng.below(2) == 0 {
                (*rng.pick(&population.outsiders), *rng.pick(&all_workspaces))
            } else {
                // Someone the database has never heard of.
                (rng.uuid(), *rng.pick(&all_workspaces))
            };
            Query { user, permission, workspace }
        })
        .collect()
}
