//! The rules of PRODUCT.md §2 that hold whatever the caller: no escalation, no orphan, not yourself.
//! Tenant isolation and atomic, audited changes are enforced by the store's transactions; these
//! functions decide, the callers enforce.

use crate::permission::{org_only_permissions, Access, PermissionSet};
use crate::role::{OrgRole, Plan, WorkspaceRole};
use crate::DomainError;

/// Rule 1 at organisation scope: the actor must hold every permission of the role it assigns,
/// and only organisation owners make organisation owners.
pub fn check_assign_org_role(actor: &Access, role: OrgRole) -> Result<(), DomainError> {
    let held = actor.org_permissions();
    let escalates =
        !held.is_superset(role.permissions()) || (role == OrgRole::Owner && !held.is_superset(org_only_permissions()));
    if escalates {
        return Err(DomainError::RoleEscalation(format!(
            "you cannot assign the organisation role '{role}': it grants permissions you do not hold"
        )));
    }
    Ok(())
}

/// Rule 1 at workspace scope: the actor must hold, in that workspace, every permission of the role.
pub fn check_assign_workspace_role(actor: &Access, role: WorkspaceRole) -> Result<(), DomainError> {
    if !actor.workspace_permissions().is_superset(role.permissions()) {
        return Err(DomainError::RoleEscalation(format!(
            "you cannot assign the workspace role '{role}': it grants permissions you do not hold"
        )));
    }
    Ok(())
}

/// The workspace roles a principal holding `held` (its permissions in that workspace) may assign:
/// those granting nothing it lacks — what `check_assign_workspace_role` accepts, for offering choices.
pub fn assignable_workspace_roles(held: PermissionSet) -> Vec<WorkspaceRole> {
    WorkspaceRole::ALL.iter().copied().filter(|r| held.is_superset(r.permissions())).collect()
}

/// Rule 3: nobody removes themself or changes their own role through member management.
pub fn check_not_self(actor_user_id: Option<&str>, target_user_id: &str, what: &str) -> Result<(), DomainError> {
    if actor_user_id == Some(target_user_id) {
        return Err(DomainError::CannotRemoveSelf(format!("you cannot {what} yourself")));
    }
    Ok(())
}

/// Rule 2: the last owner of an organisation can be neither demoted nor removed.
/// `owners` is the number of owners now; `target_is_owner` whether the member changed is one;
/// `stays_owner` whether they are still an owner after the change.
pub fn check_keeps_an_owner(owners: u64, target_is_owner: bool, stays_owner: bool) -> Result<(), DomainError> {
    if target_is_owner && !stays_owner && owners <= 1 {
        return Err(DomainError::LastOwner("this would leave the organisation with no owner".to_owned()));
    }
    Ok(())
}

/// Rule 2 for bulk removal: the owners removed must leave at least one.
pub fn check_bulk_keeps_an_owner(owners: u64, owners_removed: u64) -> Result<(), DomainError> {
    if owners_removed > 0 && owners_removed >= owners {
        return Err(DomainError::LastOwner("this would leave the organisation with no owner".to_owned()));
    }
    Ok(())
}

/// The plan's workspace allowance.
pub fn check_workspace_allowed(plan: Plan, existing: u64) -> Result<(), DomainError> {
    match plan.workspace_limit() {
        Some(limit) if existing as usize >= limit => Err(DomainError::PlanLimit(format!(
            "the {plan} plan includes {limit} workspace; upgrade to enterprise for more"
        ))),
        _ => Ok(()),
    }
}

/// Credit limits of all workspaces never sum above the organisation's pool.
pub fn check_credit_pool(pool: i64, other_limits: i64, new_limit: i64) -> Result<(), DomainError> {
    if new_limit < 0 {
        return Err(DomainError::invalid("credit_limit", "must not be negative"));
    }
    let total = i128::from(other_limits) + i128::from(new_limit);
    if total > i128::from(pool) {
        return Err(DomainError::CreditPoolExceeded(format!(
            "workspace credit limits would total {total}, above the organisation's pool of {pool} \
             ({} unallocated)",
            (pool - other_limits).max(0)
        )));
    }
    Ok(())
}

/// Seats: members (pending or accepted) plus outstanding invitations never exceed the paid seats.
pub fn check_seats(paid: i64, used: i64, wanted: i64) -> Result<(), DomainError> {
    if wanted > 0 && used + wanted > paid {
        return Err(DomainError::SeatLimit(format!(
            "this needs {wanted} seat(s) but only {} of {paid} are free",
            (paid - used).max(0)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::permission::Grant;

    fn person(org: OrgRole, ws: Option<WorkspaceRole>) -> Access {
        Access::Person(Grant { org_role: Some(org), workspace_role: ws, instance_admin: false })
    }

    #[test]
    fn a_workspace_owner_cannot_make_an_org_owner_but_can_make_a_workspace_owner() {
        let ws_owner = person(OrgRole::Guest, Some(WorkspaceRole::Owner));
        assert!(matches!(check_assign_org_role(&ws_owner, OrgRole::Owner), Err(DomainError::RoleEscalation(_))));
        assert!(check_assign_org_role(&ws_owner, OrgRole::Viewer).is_err());
        for r in WorkspaceRole::ALL {
            assert_eq!(check_assign_workspace_role(&ws_owner, *r), Ok(()));
        }
    }

    #[test]
    fn a_trainer_cannot_assign_roles_above_it() {
        let trainer = person(OrgRole::Guest, Some(WorkspaceRole::Trainer));
        assert!(check_assign_workspace_role(&trainer, WorkspaceRole::Owner).is_err());
        assert_eq!(check_assign_workspace_role(&trainer, WorkspaceRole::Learner), Ok(()));
        assert_eq!(check_assign_workspace_role(&trainer, WorkspaceRole::Viewer), Ok(()));
    }

    #[test]
    fn assignable_workspace_roles_are_exactly_those_the_engine_accepts() {
        let cases = [
            person(OrgRole::Guest, Some(WorkspaceRole::Owner)),
            person(OrgRole::Guest, Some(WorkspaceRole::Trainer)),
            person(OrgRole::Guest, Some(WorkspaceRole::Learner)),
            person(OrgRole::Editor, Some(WorkspaceRole::Reviewer)),
            person(OrgRole::Owner, None),
            Access::Person(Grant::default()),
        ];
        for actor in cases {
            let offered = assignable_workspace_roles(actor.workspace_permissions());
            for r in WorkspaceRole::ALL {
                assert_eq!(offered.contains(r), check_assign_workspace_role(&actor, *r).is_ok(), "{actor:?} {r}");
            }
        }
        let trainer = person(OrgRole::Guest, Some(WorkspaceRole::Trainer));
        assert_eq!(
            assignable_workspace_roles(trainer.workspace_permissions()),
            // Not a reviewer: a trainer never holds `reviews.grade`, so it cannot grant it.
            vec![WorkspaceRole::Trainer, WorkspaceRole::Learner, WorkspaceRole::Editor, WorkspaceRole::Viewer]
        );
        assert_eq!(assignable_workspace_roles(PermissionSet::EMPTY), vec![]);
    }

    #[test]
    fn only_org_owners_make_org_owners() {
        let owner = person(OrgRole::Owner, None);
        assert_eq!(check_assign_org_role(&owner, OrgRole::Owner), Ok(()));
        let editor = person(OrgRole::Editor, None);
        assert!(check_assign_org_role(&editor, OrgRole::Owner).is_err());
        assert_eq!(check_assign_org_role(&editor, OrgRole::Viewer), Ok(()));
    }

    #[test]
    fn last_owner_rules() {
        assert!(check_keeps_an_owner(1, true, false).is_err());
        assert!(check_keeps_an_owner(2, true, false).is_ok());
        assert!(check_keeps_an_owner(1, true, true).is_ok());
        assert!(check_keeps_an_owner(1, false, false).is_ok());
        assert!(check_bulk_keeps_an_owner(2, 2).is_err());
        assert!(check_bulk_keeps_an_owner(3, 2).is_ok());
    }

    #[test]
    fn not_yourself() {
        assert!(matches!(check_not_self(Some("u1"), "u1", "remove"), Err(DomainError::CannotRemoveSelf(_))));
        assert!(check_not_self(Some("u1"), "u2", "remove").is_ok());
        assert!(check_not_self(None, "u2", "remove").is_ok());
    }

    #[test]
    fn plans_pools_and_seats() {
        assert!(check_workspace_allowed(Plan::Pro, 1).is_err());
        assert!(check_workspace_allowed(Plan::Pro, 0).is_ok());
        assert!(check_workspace_allowed(Plan::Enterprise, 1000).is_ok());
        assert!(check_credit_pool(100, 60, 40).is_ok());
        assert!(check_credit_pool(100, 60, 41).is_err());
        assert!(check_credit_pool(100, 0, -1).is_err());
        assert!(check_credit_pool(i64::MAX, i64::MAX, 5).is_err());
        assert!(check_seats(10, 8, 2).is_ok());
        assert!(check_seats(10, 8, 3).is_err());
        assert!(check_seats(1, 5, 0).is_ok());
    }
}
