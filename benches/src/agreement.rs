//! Before anything is timed: every engine must give the same answer to every query, and the
//! right answer to a few cases checked by hand against PRODUCT.md's permission table.

use std::collections::HashMap;

use lyceum_domain::{OrgRole, Permission, WorkspaceRole};
use uuid::Uuid;

use crate::population::Population;
use crate::queries::Query;

/// A case checked by hand: someone holding `org_role` (None: not a member) and `workspace_role`
/// (None: no role there) asks for `permission` in a workspace of that organisation.
#[derive(Debug, Clone, Copy)]
pub struct Case {
    pub org_role: Option<OrgRole>,
    pub workspace_role: Option<WorkspaceRole>,
    pub permission: Permission,
    pub expected: bool,
}

const fn case(org: Option<OrgRole>, ws: Option<WorkspaceRole>, permission: Permission, expected: bool) -> Case {
    Case { org_role: org, workspace_role: ws, permission, expected }
}

use OrgRole as O;
use Permission as P;
use WorkspaceRole as W;

/// The answers written out from the table, not computed by any engine.
pub const CASES: &[Case] = &[
    case(Some(O::Guest), Some(W::Learner), P::ContentViewAssigned, true),
    case(Some(O::Guest), Some(W::Learner), P::ContentView, false),
    case(Some(O::Guest), Some(W::Learner), P::MembersView, false),
    case(Some(O::Guest), Some(W::Owner), P::MembersInvite, true),
    case(Some(O::Guest), Some(W::Owner), P::WorkspacesCreate, false),
    // Trainers and reviewers are siblings: a trainer never grades, a reviewer never authors.
    case(Some(O::Guest), Some(W::Trainer), P::ReviewsGrade, false),
    case(Some(O::Guest), Some(W::Trainer), P::ContentPublish, true),
    case(Some(O::Guest), Some(W::Reviewer), P::ReviewsGrade, true),
    case(Some(O::Guest), Some(W::Reviewer), P::ContentCreate, false),
    case(Some(O::Guest), Some(W::Learner), P::SimulationsLaunch, true),
    case(Some(O::Guest), Some(W::Trainer), P::SettingsManage, false),
    case(Some(O::Guest), Some(W::Viewer), P::ContentViewAssigned, true),
    case(Some(O::Guest), None, P::WorkspaceView, false),
    case(Some(O::Viewer), None, P::MembersView, true),
    case(Some(O::Viewer), None, P::ContentCreate, false),
    case(Some(O::Viewer), None, P::AssignmentsView, true),
    case(Some(O::Viewer), Some(W::Learner), P::ContentView, true),
    case(Some(O::Editor), Some(W::Reviewer), P::ContentCreate, true),
    case(Some(O::Editor), Some(W::Reviewer), P::ReviewsGrade, true),
    case(Some(O::Editor), Some(W::Reviewer), P::MembersInvite, false),
    case(Some(O::Owner), None, P::OrgManage, true),
    case(Some(O::Owner), None, P::AuditView, true),
    case(None, None, P::WorkspaceView, false),
    case(None, None, P::ContentViewAssigned, false),
];

/// The cases the population has someone for, as queries with their expected answers.
pub fn hand_checked(population: &Population) -> Vec<(Query, bool)> {
    let org_of = population.org_of();
    let org_roles = population.org_roles();
    let ws_roles = population.workspace_roles();
    let by_org = population.workspaces_by_org();
    let find = |c: &Case| -> Option<(Uuid, Uuid)> {
        match (c.org_role, c.workspace_role) {
            (Some(o), Some(w)) => population
                .workspace_members
                .iter()
                .find(|(ws, user, role)| *role == w && org_roles.get(&(org_of[ws], *user)) == Some(&o))
                .map(|(ws, user, _)| (*user, *ws)),
            (Some(o), None) => {
                population.org_members.iter().filter(|(_, _, role)| *role == o).find_map(|(org, user, _)| {
                    let ws = by_org.get(org)?.iter().find(|ws| !ws_roles.contains_key(&(**ws, *user)))?;
                    Some((*user, *ws))
                })
            }
            (None, _) => Some((population.outsiders.first().copied()?, population.workspaces.first()?.0)),
        }
    };
    CASES
        .iter()
        .filter_map(|c| {
            find(c).map(|(user, workspace)| (Query { user, permission: c.permission, workspace }, c.expected))
        })
        .collect()
}

/// How the agreed answers split.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tally {
    pub allowed: usize,
    pub denied: usize,
}

/// Fails unless every engine gave the same answer to every query; names the first few
/// disagreements with the asker's roles.
pub fn assert_agree(
    population: &Population,
    queries: &[Query],
    answers: &[(&str, Vec<bool>)],
) -> anyhow::Result<Tally> {
    let (first, reference) = answers.first().ok_or_else(|| anyhow::anyhow!("no engines"))?;
    let mut problems = Vec::new();
    for (name, got) in answers {
        anyhow::ensure!(got.len() == queries.len(), "{name} answered {} of {} queries", got.len(), queries.len());
    }
    for (i, q) in queries.iter().enumerate() {
        if answers.iter().any(|(_, got)| got[i] != reference[i]) {
            let said: Vec<String> = answers.iter().map(|(name, got)| format!("{name}={}", got[i])).collect();
            problems.push(format!("{q:?} [{}] roles: {}", said.join(" "), describe(population, q)));
        }
    }
    if !problems.is_empty() {
        let shown = problems.iter().take(5).cloned().collect::<Vec<_>>().join("\n  ");
        anyhow::bail!(
            "engines disagree on {} of {} queries (reference {first}):\n  {shown}",
            problems.len(),
            queries.len()
        );
    }
    let allowed = reference.iter().filter(|a| **a).count();
    Ok(Tally { allowed, denied: reference.len() - allowed })
}

/// Fails unless the engines' agreed answers to the hand-checked cases are the expected ones.
pub fn assert_expected(cases: &[(Query, bool)], agreed: &[bool]) -> anyhow::Result<()> {
    for ((q, expected), got) in cases.iter().zip(agreed) {
        anyhow::ensure!(got == expected, "hand-checked case {q:?}: engines say {got}, the table says {expected}");
    }
    Ok(())
}

fn describe(population: &Population, q: &Query) -> String {
    let org: HashMap<Uuid, Uuid> = population.org_of();
    let org = org.get(&q.workspace);
    let org_role = population.org_members.iter().find(|(o, u, _)| Some(o) == org && *u == q.user).map(|(_, _, r)| *r);
    let ws_role =
        population.workspace_members.iter().find(|(w, u, _)| *w == q.workspace && *u == q.user).map(|(_, _, r)| *r);
    format!("org {org_role:?}, workspace {ws_role:?}")
}
