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
