//! Role and plan names as closed sets, parsed from and printed to their API spelling.

use crate::named::named_enum;

named_enum!(
    /// A role in an organisation; applies across all of its workspaces.
    OrgRole, "role" { Guest => "guest", Viewer => "viewer", Editor => "editor", Owner => "owner" }
);

named_enum!(
    /// A role in one workspace.
    WorkspaceRole, "role" {
        Owner => "owner", Trainer => "trainer", Reviewer => "reviewer",
        Learner => "learner", Editor => "editor", Viewer => "viewer",
    }
);

named_enum!(
    /// An organisation's plan.
    Plan, "plan" { Pro => "pro", Enterprise => "enterprise" }
);

named_enum!(
    /// Whether a member has signed in since being added.
    MemberStatus, "status" { Pending => "pending", Accepted => "accepted" }
);

impl Plan {
    /// How many workspaces the plan allows (`None`: no limit).
    pub fn workspace_limit(self) -> Option<usize> {
        match self {
            Plan::Pro => Some(1),
            Plan::Enterprise => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        crate::named::assert_names_round_trip!(OrgRole);
        crate::named::assert_names_round_trip!(WorkspaceRole);
        crate::named::assert_names_round_trip!(Plan);
        crate::named::assert_names_round_trip!(MemberStatus);
        assert!(OrgRole::parse("admin").is_err());
        assert!(WorkspaceRole::parse("Owner").is_err());
    }

    proptest::proptest! {
        #[test]
        fn role_parsing_accepts_only_catalogue_names(s in "\\PC{0,12}") {
            if let Ok(r) = WorkspaceRole::parse(&s) { proptest::prop_assert_eq!(r.as_str(), s.as_str()); }
            if let Ok(r) = OrgRole::parse(&s) { proptest::prop_assert_eq!(r.as_str(), s.as_str()); }
        }
    }
}

/// A member's role in the scope it was read from: an organisation role in an organisation's
/// member list, a workspace role in a workspace's. Answered as its plain name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MemberRole {
    Org(OrgRole),
    Workspace(WorkspaceRole),
}

impl MemberRole {
    /// An organisation role from its API spelling.
    pub fn parse_org(s: &str) -> Result<MemberRole, crate::DomainError> {
        OrgRole::parse(s).map(MemberRole::Org)
    }

    /// A workspace role from its API spelling.
    pub fn parse_workspace(s: &str) -> Result<MemberRole, crate::DomainError> {
        WorkspaceRole::parse(s).map(MemberRole::Workspace)
    }

    /// The API spelling of the role.
    pub fn as_str(self) -> &'static str {
        match self {
            MemberRole::Org(r) => r.as_str(),
            MemberRole::Workspace(r) => r.as_str(),
        }
    }
}

impl std::fmt::Display for MemberRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for MemberRole {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}
