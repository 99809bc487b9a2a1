//! Role and plan names as closed sets, parsed from and printed to their API spelling.

use crate::DomainError;

macro_rules! named_enum {
    ($(#[$m:meta])* $name:ident, $field:literal { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            /// Every value, in catalogue order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The API spelling.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses the API spelling (exact, lower case).
            pub fn parse(s: &str) -> Result<Self, DomainError> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(DomainError::invalid($field, format!(
                        "must be one of: {}", [$($text),+].join(", ")))),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

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
        for r in OrgRole::ALL {
            assert_eq!(OrgRole::parse(r.as_str()), Ok(*r));
        }
        for r in WorkspaceRole::ALL {
            assert_eq!(WorkspaceRole::parse(r.as_str()), Ok(*r));
        }
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
