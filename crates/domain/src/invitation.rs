//! The outcome of inviting one address (PRODUCT.md §3 "Invite members"), decided from what the
//! store knows about that address.

/// What the store found for one invited address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Known {
    /// No account with this email.
    NoAccount,
    /// An account that is not a member of the organisation.
    OutsideOrg,
    /// A member of the organisation but not of the target (only possible at workspace scope).
    InOrgNotInTarget,
    /// Already a member of the target (the organisation, or the workspace).
    InTarget,
}

/// The per-address outcome of an invitation batch, as the API spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// An organisation member got workspace access at once; no email.
    Added,
    /// An existing account was added with status pending and notified.
    Pending,
    /// An invitation email with a signup link was sent.
    Invited,
    /// Nothing changed.
    AlreadyMember,
    /// The address is malformed.
    Invalid,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Added => "added",
            Outcome::Pending => "pending",
            Outcome::Invited => "invited",
            Outcome::AlreadyMember => "already_member",
            Outcome::Invalid => "invalid",
        }
    }

    /// Whether this outcome takes a new seat of the organisation.
    pub fn takes_seat(self) -> bool {
        matches!(self, Outcome::Pending | Outcome::Invited)
    }
}

/// Decides the outcome for one valid address.
pub fn outcome_for(known: Known) -> Outcome {
    match known {
        Known::NoAccount => Outcome::Invited,
        Known::OutsideOrg => Outcome::Pending,
        Known::InOrgNotInTarget => Outcome::Added,
        Known::InTarget => Outcome::AlreadyMember,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_follow_the_flow() {
        assert_eq!(outcome_for(Known::NoAccount), Outcome::Invited);
        assert_eq!(outcome_for(Known::OutsideOrg), Outcome::Pending);
        assert_eq!(outcome_for(Known::InOrgNotInTarget), Outcome::Added);
        assert_eq!(outcome_for(Known::InTarget), Outcome::AlreadyMember);
        assert!(Outcome::Invited.takes_seat() && Outcome::Pending.takes_seat());
        assert!(!Outcome::Added.takes_seat() && !Outcome::AlreadyMember.takes_seat());
    }
}
