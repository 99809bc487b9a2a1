//! The states of memberships, invitations and API keys, and the kinds of principal an audit
//! event names, as closed sets; invitation and key states are derived from their timestamps.

use crate::lifecycle::Lifecycle;
use crate::named::named_enum;
use crate::role::MemberStatus;

impl Lifecycle for MemberStatus {
    /// A pending member becomes accepted on their next sign-in (with a verified address).
    const TRANSITIONS: &'static [(Self, Self)] = &[(MemberStatus::Pending, MemberStatus::Accepted)];
}

named_enum!(
    /// An invitation's state, as the invitation list answers it.
    InvitationStatus, "status" {
        /// Outstanding: the token works until it expires.
        Pending => "pending",
        /// Used to sign up or join.
        Accepted => "accepted",
        /// Revoked by an owner.
        Revoked => "revoked",
        /// Past its expiry without being used; resending gives it a new token and term.
        Expired => "expired",
    }
);

impl InvitationStatus {
    /// The state at `now` from the stored timestamps (Unix milliseconds). Acceptance wins over
    /// revocation, and both over expiry: what happened is told before what merely elapsed.
    pub fn at(accepted_at: Option<i64>, revoked_at: Option<i64>, expires_at: i64, now: i64) -> InvitationStatus {
        if accepted_at.is_some() {
            InvitationStatus::Accepted
        } else if revoked_at.is_some() {
            InvitationStatus::Revoked
        } else if expires_at <= now {
            InvitationStatus::Expired
        } else {
            InvitationStatus::Pending
        }
    }

    /// Whether it can still be resent or revoked.
    pub fn is_open(self) -> bool {
        matches!(self, InvitationStatus::Pending | InvitationStatus::Expired)
    }
}

impl Lifecycle for InvitationStatus {
    const TRANSITIONS: &'static [(Self, Self)] = &[
        (InvitationStatus::Pending, InvitationStatus::Accepted),
        (InvitationStatus::Pending, InvitationStatus::Revoked),
        (InvitationStatus::Pending, InvitationStatus::Expired),
        (InvitationStatus::Expired, InvitationStatus::Pending),
        (InvitationStatus::Expired, InvitationStatus::Revoked),
    ];
}

named_enum!(
    /// An API key's state, as the key list shows it.
    ApiKeyState, "state" {
        /// It authenticates.
        Active => "active",
        /// Past its `expires_at`.
        Expired => "expired",
        /// Revoked: it stopped working at once.
        Revoked => "revoked",
    }
);

impl ApiKeyState {
    /// The state at `now` from the stored timestamps (Unix milliseconds).
    pub fn at(revoked_at: Option<i64>, expires_at: Option<i64>, now: i64) -> ApiKeyState {
        if revoked_at.is_some() {
            ApiKeyState::Revoked
        } else if expires_at.is_some_and(|t| t <= now) {
            ApiKeyState::Expired
        } else {
            ApiKeyState::Active
        }
    }
}

impl Lifecycle for ApiKeyState {
    const TRANSITIONS: &'static [(Self, Self)] = &[
        (ApiKeyState::Active, ApiKeyState::Expired),
        (ApiKeyState::Active, ApiKeyState::Revoked),
        (ApiKeyState::Expired, ApiKeyState::Revoked),
    ];
}

named_enum!(
    /// Who acted, as an audit event's `actor.type` spells it.
    PrincipalKind, "type" {
        /// A signed-in user.
        User => "user",
        /// An API key.
        ApiKey => "api_key",
        /// Nobody signed in (signup, login, a password reset).
        Anonymous => "anonymous",
    }
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::tests::assert_transitions;
    use crate::named::assert_names_round_trip;

    #[test]
    fn names_round_trip() {
        assert_names_round_trip!(InvitationStatus);
        assert_names_round_trip!(ApiKeyState);
        assert_names_round_trip!(PrincipalKind);
    }

    #[test]
    fn transitions() {
        assert_transitions(MemberStatus::ALL, &["pending -> accepted"]);
        assert_transitions(
            InvitationStatus::ALL,
            &[
                "pending -> accepted",
                "pending -> revoked",
                "pending -> expired",
                "expired -> pending",
                "expired -> revoked",
            ],
        );
        assert_transitions(ApiKeyState::ALL, &["active -> expired", "active -> revoked", "expired -> revoked"]);
        for s in InvitationStatus::ALL {
            assert_eq!(s.is_open(), !s.is_final(), "{s}");
        }
    }

    #[test]
    fn states_follow_the_timestamps() {
        use InvitationStatus as I;
        assert_eq!(I::at(None, None, 100, 99), I::Pending);
        assert_eq!(I::at(None, None, 100, 100), I::Expired);
        assert_eq!(I::at(None, Some(5), 100, 99), I::Revoked);
        assert_eq!(I::at(Some(5), Some(6), 100, 200), I::Accepted);
        assert_eq!(ApiKeyState::at(None, None, i64::MAX), ApiKeyState::Active);
        assert_eq!(ApiKeyState::at(None, Some(100), 99), ApiKeyState::Active);
        assert_eq!(ApiKeyState::at(None, Some(100), 100), ApiKeyState::Expired);
        assert_eq!(ApiKeyState::at(Some(1), Some(100), 99), ApiKeyState::Revoked);
    }
}
