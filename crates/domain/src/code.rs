//! The one table of stable API error codes (API.md): each code's wire string, HTTP status and
//! meaning, held as data. The web layer answers from it; `docs/codes.md` is generated from it.
//! The status is a bare `u16`: this crate knows no HTTP types.

use crate::DomainError;

macro_rules! codes {
    ($($(#[$m:meta])* $variant:ident => $text:literal, $status:literal, $what:literal;)+) => {
        /// A stable API error code: the `code` of every problem+json answer.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code { $($(#[$m])* #[doc = $what] $variant),+ }

        impl Code {
            /// Every code, in table order (by status, then as API.md lists them).
            pub const ALL: &'static [Code] = &[$(Code::$variant),+];

            /// The wire string, e.g. `last_owner`.
            pub const fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $text),+ }
            }

            /// The HTTP status it is answered with.
            pub const fn status(self) -> u16 {
                match self { $(Code::$variant => $status),+ }
            }

            /// When it is answered, in one line.
            pub const fn description(self) -> &'static str {
                match self { $(Code::$variant => $what),+ }
            }

            /// The code spelled `s`, if there is one.
            pub fn parse(s: &str) -> Option<Code> {
                match s { $($text => Some(Code::$variant),)+ _ => None }
            }
        }
    };
}

codes! {
    Unauthenticated => "unauthenticated", 401, "no or bad credentials";
    Forbidden => "forbidden", 403, "authenticated, but the permission is missing";
    RoleEscalation => "role_escalation", 403, "assigning a role with a permission the actor lacks";
    PlanLimit => "plan_limit", 403, "the plan does not allow it (e.g. a second workspace on Pro)";
    Csrf => "csrf", 403, "a cookie-authenticated unsafe request from another origin";
    NotFound => "not_found", 404, "does not exist, or belongs to another organisation";
    MethodNotAllowed => "method_not_allowed", 405, "the path exists but not with this method";
    CannotRemoveSelf => "cannot_remove_self", 409, "removing yourself, or changing your own role";
    LastOwner => "last_owner", 409, "it would leave an organisation with no owner";
    SeatLimit => "seat_limit", 409, "more members than paid seats, or a leased course's seats all held";
    CreditPoolExceeded => "credit_pool_exceeded", 409, "workspace credit limits would exceed the organisation's pool";
    CreditLimitExceeded => "credit_limit_exceeded", 409, "usage would exceed a workspace's credit limit";
    Conflict => "conflict", 409, "any other state conflict (e.g. email taken)";
    Stale => "stale", 409, "a save based on an older revision (draft, score report)";
    NotPublished => "not_published", 409, "assigning or listing a course that has no published version";
    GroupInUse => "group_in_use", 409, "deleting a group whose assignments are still assigned or in progress";
    MaxAttempts => "max_attempts", 409, "launching past the course's max attempts";
    AttemptClosed => "attempt_closed", 409, "a turn or progress on an attempt that has ended";
    LockedStep => "locked_step", 409, "launching a learning-path step before the previous one is completed";
    ModelUnpriced => "model_unpriced", 409, "an AI call to a model without a price";
    BudgetExceeded => "budget_exceeded", 409, "the workspace's monthly hard budget is spent";
    LeaseExpired => "lease_expired", 409, "assigning or launching a leased course after its term";
    InvalidToken => "invalid_token", 410, "an invitation token that is expired, revoked or used";
    PayloadTooLarge => "payload_too_large", 413, "a body or upload over the size this server accepts";
    UnsupportedMediaType => "unsupported_media_type", 415, "a body that is not JSON, or an upload of a type not accepted";
    Validation => "validation", 422, "malformed input";
    RateLimited => "rate_limited", 429, "too many attempts (login, signup, invitations); `Retry-After` set";
    Internal => "internal", 500, "an unexpected failure; the answer carries a correlation id";
    AiUnavailable => "ai_unavailable", 503, "no AI provider configured, or it failed; `Retry-After` when it may come back";
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Code {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Code::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown error code {s:?}")))
    }
}

impl Code {
    /// The table as Markdown: the body of `docs/codes.md`.
    pub fn markdown() -> String {
        let mut out = String::from(
            "# Error codes\n\n\
             <!-- Generated from crates/domain/src/code.rs by `UPDATE_CODES=1 cargo test -p lyceum-domain \
             --test codes`; do not edit. -->\n\n\
             Every error answer is `application/problem+json` with one of these stable `code`s \
             (API.md).\n\n\
             | code | status | when |\n|---|---|---|\n",
        );
        for c in Code::ALL {
            out.push_str(&format!("| `{}` | {} | {} |\n", c.as_str(), c.status(), c.description()));
        }
        out
    }
}

impl DomainError {
    /// The stable code this refusal is answered with.
    pub fn code(&self) -> Code {
        match self {
            DomainError::Forbidden(_) => Code::Forbidden,
            DomainError::RoleEscalation(_) => Code::RoleEscalation,
            DomainError::PlanLimit(_) => Code::PlanLimit,
            DomainError::NotFound => Code::NotFound,
            DomainError::CannotRemoveSelf(_) => Code::CannotRemoveSelf,
            DomainError::LastOwner(_) => Code::LastOwner,
            DomainError::SeatLimit(_) => Code::SeatLimit,
            DomainError::CreditPoolExceeded(_) => Code::CreditPoolExceeded,
            DomainError::CreditLimitExceeded(_) => Code::CreditLimitExceeded,
            DomainError::BudgetExceeded(_) => Code::BudgetExceeded,
            DomainError::ModelUnpriced(_) => Code::ModelUnpriced,
            DomainError::Conflict(_) => Code::Conflict,
            DomainError::InvalidToken(_) => Code::InvalidToken,
            DomainError::Stale { .. } => Code::Stale,
            DomainError::NotPublished(_) => Code::NotPublished,
            DomainError::UnsupportedMediaType(_) => Code::UnsupportedMediaType,
            DomainError::PayloadTooLarge(_) => Code::PayloadTooLarge,
            DomainError::Validation { .. } => Code::Validation,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn wire_strings_are_unique_snake_case_and_parse_back() {
        let mut seen = HashSet::new();
        for c in Code::ALL {
            let s = c.as_str();
            assert!(seen.insert(s), "{s} twice");
            assert!(s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{s} is not snake_case");
            assert!(!s.starts_with('_') && !s.ends_with('_') && !s.contains("__"), "{s}");
            assert_eq!(Code::parse(s), Some(*c));
            assert_eq!(c.to_string(), s);
            let json = serde_json::to_string(c).expect("serialise");
            assert_eq!(serde_json::from_str::<Code>(&json).expect("deserialise"), *c);
        }
        assert_eq!(Code::parse("Not_Found"), None);
        assert!(serde_json::from_str::<Code>("\"teapot\"").is_err());
    }

    #[test]
    fn statuses_are_errors_and_descriptions_one_line() {
        for c in Code::ALL {
            assert!((400..600).contains(&c.status()), "{c}");
            let d = c.description();
            assert!(!d.is_empty() && !d.contains('\n') && !d.contains('|'), "{c}: {d:?}");
        }
        // Table order: by status.
        assert!(Code::ALL.windows(2).all(|w| w[0].status() <= w[1].status()));
    }

    #[test]
    fn domain_errors_map_to_their_codes() {
        let cases = [
            (DomainError::Forbidden("members.invite"), Code::Forbidden, 403),
            (DomainError::RoleEscalation(String::new()), Code::RoleEscalation, 403),
            (DomainError::PlanLimit(String::new()), Code::PlanLimit, 403),
            (DomainError::NotFound, Code::NotFound, 404),
            (DomainError::CannotRemoveSelf(String::new()), Code::CannotRemoveSelf, 409),
            (DomainError::LastOwner(String::new()), Code::LastOwner, 409),
            (DomainError::SeatLimit(String::new()), Code::SeatLimit, 409),
            (DomainError::CreditPoolExceeded(String::new()), Code::CreditPoolExceeded, 409),
            (DomainError::Conflict(String::new()), Code::Conflict, 409),
            (DomainError::InvalidToken(String::new()), Code::InvalidToken, 410),
            (DomainError::Stale { sent: 1, current: 2 }, Code::Stale, 409),
            (DomainError::NotPublished(String::new()), Code::NotPublished, 409),
            (DomainError::UnsupportedMediaType(String::new()), Code::UnsupportedMediaType, 415),
            (DomainError::PayloadTooLarge(String::new()), Code::PayloadTooLarge, 413),
            (DomainError::invalid("email", "is malformed"), Code::Validation, 422),
        ];
        for (e, code, status) in cases {
            assert_eq!(e.code(), code, "{e:?}");
            assert_eq!(e.code().status(), status, "{e:?}");
        }
    }

    #[test]
    fn markdown_lists_every_code() {
        let md = Code::markdown();
        for c in Code::ALL {
            assert!(md.contains(&format!("| `{}` | {} |", c.as_str(), c.status())), "{c}");
        }
    }
}
