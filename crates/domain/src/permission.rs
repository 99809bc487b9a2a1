//! The permission catalogue (PRODUCT.md §2) held as data, and the one engine every request asks.
//!
//! A role is a set of permissions (a 64-bit set). Effective permissions in a workspace are the
//! union of the organisation role's and the workspace role's; at organisation scope only the
//! organisation role counts. An API key's permissions are its role's, intersected with what its
//! creator holds now, so a key never does more than the person who made it.

use crate::role::{OrgRole, WorkspaceRole};
use crate::DomainError;

/// One permission of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Permission {
    WorkspaceView,
    ContentView,
    ContentViewAssigned,
    ContentCreate,
    ContentPublish,
    TagsManage,
    MembersView,
    MembersInvite,
    MembersManage,
    GroupsManage,
    GroupsDelete,
    AssignmentsView,
    AssignmentsManage,
    SimulationsLaunch,
    ReviewsGrade,
    MarketplacePublish,
    MarketplaceAcquire,
    SettingsManage,
    UsageView,
    BillingView,
    AuditView,
    WorkspacesCreate,
    CreditsAllocate,
    BillingManage,
    ApiKeysManage,
    OrgManage,
}

/// The catalogue: each permission with its API name, in bit order.
const CATALOGUE: &[(Permission, &str)] = &[
    (Permission::WorkspaceView, "workspace.view"),
    (Permission::ContentView, "content.view"),
    (Permission::ContentViewAssigned, "content.view_assigned"),
    (Permission::ContentCreate, "content.create"),
    (Permission::ContentPublish, "content.publish"),
    (Permission::TagsManage, "tags.manage"),
    (Permission::MembersView, "members.view"),
    (Permission::MembersInvite, "members.invite"),
    (Permission::MembersManage, "members.manage"),
    (Permission::GroupsManage, "groups.manage"),
    (Permission::GroupsDelete, "groups.delete"),
    (Permission::AssignmentsView, "assignments.view"),
    (Permission::AssignmentsManage, "assignments.manage"),
    (Permission::SimulationsLaunch, "simulations.launch"),
    (Permission::ReviewsGrade, "reviews.grade"),
    (Permission::MarketplacePublish, "marketplace.publish"),
    (Permission::MarketplaceAcquire, "marketplace.acquire"),
    (Permission::SettingsManage, "settings.manage"),
    (Permission::UsageView, "usage.view"),
    (Permission::BillingView, "billing.view"),
    (Permission::AuditView, "audit.view"),
    (Permission::WorkspacesCreate, "workspaces.create"),
    (Permission::CreditsAllocate, "credits.allocate"),
    (Permission::BillingManage, "billing.manage"),
    (Permission::ApiKeysManage, "api_keys.manage"),
    (Permission::OrgManage, "org.manage"),
];

impl Permission {
    /// Every permission, in catalogue order.
    pub fn all() -> impl Iterator<Item = Permission> {
        CATALOGUE.iter().map(|(p, _)| *p)
    }

    /// The API name, e.g. `members.invite`.
    pub fn as_str(self) -> &'static str {
        CATALOGUE[self as usize].1
    }

    /// Parses an API name.
    pub fn parse(s: &str) -> Result<Permission, DomainError> {
        CATALOGUE
            .iter()
            .find(|(_, name)| *name == s)
            .map(|(p, _)| *p)
            .ok_or_else(|| DomainError::invalid("permission", format!("unknown permission '{s}'")))
    }

    /// `content.view` implies `content.view_assigned`: whoever sees all content sees the assigned.
    fn implied_by(self) -> Option<Permission> {
        match self {
            Permission::ContentViewAssigned => Some(Permission::ContentView),
            _ => None,
        }
    }

    fn bit(self) -> u64 {
        1 << (self as u8)
    }
}

/// A set of permissions as a bitset: a check is one AND.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct PermissionSet(u64);

impl PermissionSet {
    pub const EMPTY: PermissionSet = PermissionSet(0);

    /// Every permission of the catalogue.
    pub fn all() -> PermissionSet {
        PermissionSet::of(&Permission::all().collect::<Vec<_>>())
    }

    /// The set of `perms` and of every permission they imply.
    pub fn of(perms: &[Permission]) -> PermissionSet {
        let explicit = perms.iter().fold(0, |acc, p| acc | p.bit());
        let implied = Permission::all()
            .filter(|p| p.implied_by().is_some_and(|by| explicit & by.bit() != 0))
            .fold(0, |acc, p| acc | p.bit());
        PermissionSet(explicit | implied)
    }

    pub fn contains(self, p: Permission) -> bool {
        self.0 & p.bit() != 0
    }

    pub fn is_superset(self, other: PermissionSet) -> bool {
        self.0 & other.0 == other.0
    }

    pub fn union(self, other: PermissionSet) -> PermissionSet {
        PermissionSet(self.0 | other.0)
    }

    pub fn intersect(self, other: PermissionSet) -> PermissionSet {
        PermissionSet(self.0 & other.0)
    }

    /// The permissions of `self` that are not in `other`.
    pub fn minus(self, other: PermissionSet) -> PermissionSet {
        PermissionSet(self.0 & !other.0)
    }

    /// The permissions, in catalogue order.
    pub fn iter(self) -> impl Iterator<Item = Permission> {
        Permission::all().filter(move |p| self.contains(*p))
    }

    /// The API names, in catalogue order.
    pub fn names(self) -> Vec<&'static str> {
        self.iter().map(Permission::as_str).collect()
    }
}

/// The permissions that exist only at organisation scope (organisation owners only).
pub fn org_only_permissions() -> PermissionSet {
    use Permission::*;
    PermissionSet::of(&[WorkspacesCreate, CreditsAllocate, BillingManage, ApiKeysManage, OrgManage])
}

/// What an author holds: an organisation editor in every workspace, a trainer in theirs
/// (PRODUCT.md §2 gives the two columns the same ticks).
fn author() -> PermissionSet {
    use Permission::*;
    PermissionSet::of(&[
        WorkspaceView,
        ContentView,
        ContentCreate,
        ContentPublish,
        TagsManage,
        MembersView,
        GroupsManage,
        AssignmentsView,
        AssignmentsManage,
        SimulationsLaunch,
        MarketplacePublish,
        MarketplaceAcquire,
    ])
}

impl OrgRole {
    /// The permissions this organisation role grants, in every workspace of the organisation.
    pub fn permissions(self) -> PermissionSet {
        use Permission::*;
        match self {
            OrgRole::Guest => PermissionSet::EMPTY,
            OrgRole::Viewer => PermissionSet::of(&[WorkspaceView, ContentView, MembersView, AssignmentsView]),
            OrgRole::Editor => author(),
            OrgRole::Owner => PermissionSet::all(),
        }
    }
}

impl WorkspaceRole {
    /// The permissions this workspace role grants in its workspace.
    pub fn permissions(self) -> PermissionSet {
        use Permission::*;
        match self {
            // Every permission of a workspace, none of the organisation-only row.
            WorkspaceRole::Owner => PermissionSet::all().minus(org_only_permissions()),
            WorkspaceRole::Trainer => author(),
            WorkspaceRole::Reviewer => {
                PermissionSet::of(&[WorkspaceView, ContentView, MembersView, AssignmentsView, ReviewsGrade])
            }
            WorkspaceRole::Learner => PermissionSet::of(&[WorkspaceView, ContentViewAssigned, SimulationsLaunch]),
            WorkspaceRole::Editor => PermissionSet::of(&[
                WorkspaceView,
                ContentView,
                ContentCreate,
                ContentPublish,
                TagsManage,
                SimulationsLaunch,
                MarketplacePublish,
            ]),
            WorkspaceRole::Viewer => PermissionSet::of(&[WorkspaceView, ContentView]),
        }
    }
}

/// The roles one principal holds: an organisation role (if a member) and, when a workspace is in
/// context, a workspace role. An instance admin is treated as an organisation owner everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Grant {
    pub org_role: Option<OrgRole>,
    pub workspace_role: Option<WorkspaceRole>,
    pub instance_admin: bool,
}

impl Grant {
    /// Permissions at organisation scope.
    pub fn org_permissions(&self) -> PermissionSet {
        if self.instance_admin {
            return PermissionSet::all();
        }
        self.org_role.map_or(PermissionSet::EMPTY, OrgRole::permissions)
    }

    /// Permissions in the workspace in context: org role ∪ workspace role.
    pub fn workspace_permissions(&self) -> PermissionSet {
        self.org_permissions().union(self.workspace_role.map_or(PermissionSet::EMPTY, WorkspaceRole::permissions))
    }

    /// The roles that grant `p` in a workspace, spelled `org:<role>` / `workspace:<role>`.
    pub fn roles_granting(&self, p: Permission, in_workspace: bool) -> Vec<String> {
        let mut via = Vec::new();
        if self.instance_admin {
            via.push("instance_admin".to_owned());
        }
        if let Some(r) = self.org_role.filter(|r| r.permissions().contains(p)) {
            via.push(format!("org:{r}"));
        }
        if in_workspace {
            if let Some(r) = self.workspace_role.filter(|r| r.permissions().contains(p)) {
                via.push(format!("workspace:{r}"));
            }
        }
        via
    }
}

/// Who is asking, as the engine sees it: a person with their grant, or an API key whose grant is
/// capped by its creator's current grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Person(Grant),
    Key { key: Grant, creator: Grant },
}

impl Access {
    /// Effective permissions at organisation scope.
    pub fn org_permissions(&self) -> PermissionSet {
        match self {
            Access::Person(g) => g.org_permissions(),
            Access::Key { key, creator } => key.org_permissions().intersect(creator.org_permissions()),
        }
    }

    /// Effective permissions in the workspace in context.
    pub fn workspace_permissions(&self) -> PermissionSet {
        match self {
            Access::Person(g) => g.workspace_permissions(),
            Access::Key { key, creator } => key.workspace_permissions().intersect(creator.workspace_permissions()),
        }
    }

    /// May this principal do `p` at organisation scope?
    pub fn may_in_org(&self, p: Permission) -> bool {
        self.org_permissions().contains(p)
    }

    /// May this principal do `p` in the workspace in context?
    pub fn may_in_workspace(&self, p: Permission) -> bool {
        self.workspace_permissions().contains(p)
    }

    /// Is the organisation (or the workspace in context) visible at all to this principal?
    pub fn sees_org(&self) -> bool {
        match self {
            Access::Person(g) => g.org_role.is_some() || g.instance_admin,
            // The key belongs to this organisation (the caller checked); it sees it while its
            // creator is still a member.
            Access::Key { creator, .. } => creator.org_role.is_some() || creator.instance_admin,
        }
    }

    /// Requires `p` at organisation scope.
    pub fn require_in_org(&self, p: Permission) -> Result<(), DomainError> {
        if self.may_in_org(p) {
            Ok(())
        } else {
            Err(DomainError::Forbidden(p.as_str()))
        }
    }

    /// Requires `p` in the workspace in context.
    pub fn require_in_workspace(&self, p: Permission) -> Result<(), DomainError> {
        if self.may_in_workspace(p) {
            Ok(())
        } else {
            Err(DomainError::Forbidden(p.as_str()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Permission::*;

    fn ws(role: WorkspaceRole) -> Access {
        Access::Person(Grant { org_role: Some(OrgRole::Guest), workspace_role: Some(role), instance_admin: false })
    }

    #[test]
    fn catalogue_names_round_trip_and_are_in_bit_order() {
        for (i, p) in Permission::all().enumerate() {
            assert_eq!(p as usize, i);
            assert_eq!(Permission::parse(p.as_str()), Ok(p));
        }
        assert!(Permission::parse("members.everything").is_err());
    }

    #[test]
    fn the_table_of_product_md_holds() {
        // (permission, org viewer, org editor, ws owner, trainer, reviewer, learner, ws editor, ws viewer)
        let table: &[(Permission, [bool; 8])] = &[
            (WorkspaceView, [true; 8]),
            (ContentView, [true, true, true, true, true, false, true, true]),
            (ContentViewAssigned, [true; 8]),
            (ContentCreate, [false, true, true, true, false, false, true, false]),
            (ContentPublish, [false, true, true, true, false, false, true, false]),
            (TagsManage, [false, true, true, true, false, false, true, false]),
            (MembersView, [true, true, true, true, true, false, false, false]),
            (MembersInvite, [false, false, true, false, false, false, false, false]),
            (MembersManage, [false, false, true, false, false, false, false, false]),
            (GroupsManage, [false, true, true, true, false, false, false, false]),
            (GroupsDelete, [false, false, true, false, false, false, false, false]),
            (AssignmentsView, [true, true, true, true, true, false, false, false]),
            (AssignmentsManage, [false, true, true, true, false, false, false, false]),
            (SimulationsLaunch, [false, true, true, true, false, true, true, false]),
            (ReviewsGrade, [false, false, true, false, true, false, false, false]),
            (MarketplacePublish, [false, true, true, true, false, false, true, false]),
            (MarketplaceAcquire, [false, true, true, true, false, false, false, false]),
            (SettingsManage, [false, false, true, false, false, false, false, false]),
            (UsageView, [false, false, true, false, false, false, false, false]),
            (BillingView, [false, false, true, false, false, false, false, false]),
            (AuditView, [false, false, true, false, false, false, false, false]),
            (WorkspacesCreate, [false; 8]),
            (CreditsAllocate, [false; 8]),
            (BillingManage, [false; 8]),
            (ApiKeysManage, [false; 8]),
            (OrgManage, [false; 8]),
        ];
        use WorkspaceRole as W;
        let holders = [
            OrgRole::Viewer.permissions(),
            OrgRole::Editor.permissions(),
            W::Owner.permissions(),
            W::Trainer.permissions(),
            W::Reviewer.permissions(),
            W::Learner.permissions(),
            W::Editor.permissions(),
            W::Viewer.permissions(),
        ];
        for (p, row) in table {
            for (i, expected) in row.iter().enumerate() {
                assert_eq!(holders[i].contains(*p), *expected, "{p:?} column {i}");
            }
            assert!(OrgRole::Owner.permissions().contains(*p));
            assert!(!OrgRole::Guest.permissions().contains(*p));
        }
        // Every permission of the catalogue has its row.
        assert_eq!(table.iter().map(|(p, _)| *p).collect::<Vec<_>>(), Permission::all().collect::<Vec<_>>());
    }

    #[test]
    fn workspace_roles_never_grant_org_scope_permissions() {
        let a = ws(WorkspaceRole::Owner);
        assert!(a.may_in_workspace(MembersInvite));
        assert!(!a.may_in_org(MembersInvite));
        assert!(!a.may_in_workspace(WorkspacesCreate));
    }

    #[test]
    fn effective_is_the_union_of_org_and_workspace_roles() {
        let g = Grant {
            org_role: Some(OrgRole::Editor),
            workspace_role: Some(WorkspaceRole::Reviewer),
            instance_admin: false,
        };
        let a = Access::Person(g);
        assert!(a.may_in_workspace(ContentCreate));
        assert!(a.may_in_workspace(ReviewsGrade));
        assert!(a.may_in_workspace(GroupsManage));
        assert!(!a.may_in_workspace(MembersInvite));
        assert_eq!(g.roles_granting(ContentView, true), vec!["org:editor", "workspace:reviewer"]);
    }

    #[test]
    fn a_key_never_exceeds_its_creator() {
        let owner_key = Grant { org_role: Some(OrgRole::Owner), ..Grant::default() };
        let demoted = Grant { org_role: Some(OrgRole::Viewer), ..Grant::default() };
        let a = Access::Key { key: owner_key, creator: demoted };
        assert!(a.may_in_org(MembersView));
        assert!(!a.may_in_org(MembersInvite));
        let removed = Access::Key { key: owner_key, creator: Grant::default() };
        assert!(!removed.sees_org());
        assert_eq!(removed.org_permissions(), PermissionSet::EMPTY);
    }

    #[test]
    fn nothing_is_granted_by_default() {
        let nobody = Access::Person(Grant::default());
        assert!(!nobody.sees_org());
        assert!(Permission::all().all(|p| !nobody.may_in_workspace(p) && !nobody.may_in_org(p)));
    }
}
