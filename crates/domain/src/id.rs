//! Typed ids: one newtype per kind of thing, over the canonical UUID text the database stores.
//!
//! Ids are UUIDv7, stored as TEXT in their canonical spelling (lower-case, hyphenated). Only that
//! spelling names anything: `parse` refuses every other one (upper case, braces, no hyphens, a
//! `urn:uuid:` prefix), so the server answers 404 for it exactly as for an id that does not exist.
//! Each kind is its own type, so an id of one kind cannot be passed where another is expected:
//!
//! ```
//! use lyceum_domain::id::{OrgId, WorkspaceId};
//! fn org_name(_org: &OrgId) {}
//! org_name(&OrgId::new());
//! let _ws = WorkspaceId::new();
//! ```
//!
//! Members have no id of their own (a membership is a user in a scope: `(OrgId | WorkspaceId,
//! UserId)`), nor do sessions (keyed by the hash of their token), so neither has a type here.
//!
//! ```compile_fail
//! use lyceum_domain::id::{OrgId, WorkspaceId};
//! fn org_name(_org: &OrgId) {}
//! org_name(&WorkspaceId::new()); // a workspace id is not an organisation id
//! ```

use std::fmt;
use std::str::FromStr;

/// Whether `s` is a UUID in canonical form: 36 characters, lower-case hex digits with hyphens at
/// positions 8, 13, 18 and 23. Every such string is a UUID, so no further parsing is needed.
pub fn is_canonical_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_digit() || (b'a'..=b'f').contains(c),
        })
}

/// The error of parsing an id from text with `FromStr`: the text is not a canonical UUID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not an id (a lower-case, hyphenated UUID)")]
pub struct InvalidId;

macro_rules! typed_ids {
    ($($(#[$m:meta])* $name:ident;)+) => {$(
        $(#[$m])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// A fresh id (UUIDv7: time-ordered, so ids sort by creation).
            #[expect(clippy::new_without_default, reason = "a fresh id is not a default value")]
            pub fn new() -> Self {
                $name(uuid::Uuid::now_v7().hyphenated().to_string())
            }

            /// The id spelled `s`, if `s` is in canonical form; any other spelling names nothing.
            pub fn parse(s: &str) -> Option<Self> {
                is_canonical_uuid(s).then(|| $name(s.to_owned()))
            }

            /// The id from an owned string, without copying, if it is in canonical form.
            pub fn from_string(s: String) -> Option<Self> {
                is_canonical_uuid(&s).then_some($name(s))
            }

            /// The canonical text, as stored.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The canonical text, without copying.
            pub fn into_string(self) -> String {
                self.0
            }

            /// The id of a `uuid::Uuid` (its canonical spelling).
            pub fn from_uuid(u: uuid::Uuid) -> Self {
                $name(u.hyphenated().to_string())
            }

            /// The id as a `uuid::Uuid` (for keys that want 16 bytes rather than 36).
            pub fn to_uuid(&self) -> uuid::Uuid {
                // Canonical text always parses; the nil UUID is unreachable.
                uuid::Uuid::parse_str(&self.0).unwrap_or_default()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;
            fn from_str(s: &str) -> Result<Self, InvalidId> {
                $name::parse(s).ok_or(InvalidId)
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidId;
            fn try_from(s: String) -> Result<Self, InvalidId> {
                $name::from_string(s).ok_or(InvalidId)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                $name::from_string(s).ok_or_else(|| serde::de::Error::custom(InvalidId))
            }
        }
    )+};
}

typed_ids! {
    /// An organisation: the tenant and billing account.
    OrgId;
    /// A workspace of one organisation.
    WorkspaceId;
    /// A user: a global account.
    UserId;
    /// An invitation to an email address.
    InvitationId;
    /// An API key (its public id, never its secret).
    ApiKeyId;
    /// A course of one workspace.
    CourseId;
    /// One published, immutable version of a course.
    CourseVersionId;
    /// A module (chapter) of a course's draft or version.
    ModuleId;
    /// A block of a module: a slide, media, quiz or simulation.
    BlockId;
    /// A criterion of a course's rubric.
    CriterionId;
    /// A course template of one workspace.
    TemplateId;
    /// A tag of a workspace's taxonomy.
    TagId;
    /// An uploaded image, audio or video file of one workspace.
    MediaId;
    /// A group (cohort) of workspace members.
    GroupId;
    /// A learner's assignment of a course or learning path.
    AssignmentId;
    /// One run of a course version under an assignment.
    AttemptId;
    /// An ordered list of courses.
    LearningPathId;
    /// A marketplace listing.
    ListingId;
    /// A workspace's lease of a listed course.
    LeaseId;
    /// An organisation's invoice for one period.
    InvoiceId;
    /// One metered AI call or external usage.
    UsageEventId;
    /// A credit reservation on a workspace's ledger, settled after the call.
    ReservationId;
    /// A background job of the outbox (an email, a scoring run, a webhook delivery).
    JobId;
    /// An audit event.
    AuditEventId;
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "01936f3c-7e2a-7c3d-9f00-0123456789ab";

    #[test]
    fn canonical_ids_parse_and_print_unchanged() {
        let id = OrgId::parse(ID).expect("canonical");
        assert_eq!(id.as_str(), ID);
        assert_eq!(id.to_string(), ID);
        assert_eq!(id.clone().into_string(), ID);
        assert_eq!(ID.parse::<OrgId>(), Ok(id.clone()));
        assert_eq!(format!("{id:?}"), format!("OrgId({ID})"));
        assert_eq!(id.to_uuid().hyphenated().to_string(), ID);
    }

    #[test]
    fn other_spellings_name_nothing() {
        for s in [
            "",
            "01936F3C-7E2A-7C3D-9F00-0123456789AB",
            "01936f3c7e2a7c3d9f000123456789ab",
            "{01936f3c-7e2a-7c3d-9f00-0123456789ab}",
            "urn:uuid:01936f3c-7e2a-7c3d-9f00-0123456789ab",
            " 01936f3c-7e2a-7c3d-9f00-0123456789ab",
            "01936f3c-7e2a-7c3d-9f00-0123456789ag",
            "01936f3c-7e2a-7c3d-9f000-123456789ab",
            "01936f3c-7e2a-7c3d-9f00-0123456789abc",
        ] {
            assert_eq!(WorkspaceId::parse(s), None, "{s:?}");
            assert_eq!(s.parse::<WorkspaceId>(), Err(InvalidId), "{s:?}");
        }
    }

    #[test]
    fn new_ids_are_canonical_v7_and_time_ordered() {
        let a = UserId::new();
        let b = UserId::new();
        assert!(is_canonical_uuid(a.as_str()));
        assert_eq!(a.to_uuid().get_version_num(), 7);
        assert_ne!(a, b);
        // v7 ids of later milliseconds sort after; within one millisecond the counter keeps order.
        assert!(a < b);
    }

    #[test]
    fn serde_is_a_plain_string_and_refuses_other_spellings() {
        let id = CourseId::parse(ID).expect("canonical");
        assert_eq!(serde_json::to_string(&id).expect("serialise"), format!("\"{ID}\""));
        assert_eq!(serde_json::from_str::<CourseId>(&format!("\"{ID}\"")).expect("deserialise"), id);
        assert!(serde_json::from_str::<CourseId>(&format!("\"{}\"", ID.to_uppercase())).is_err());
        assert!(serde_json::from_str::<CourseId>("42").is_err());
    }

    proptest::proptest! {
        #[test]
        fn parse_then_display_is_the_identity_on_canonical_ids(bytes in proptest::array::uniform16(0u8..)) {
            let text = uuid::Uuid::from_bytes(bytes).hyphenated().to_string();
            let id = InvoiceId::parse(&text).expect("canonical");
            proptest::prop_assert_eq!(id.to_string(), text.clone());
            let printed = id.to_string();
            proptest::prop_assert_eq!(InvoiceId::parse(&printed), Some(id));
        }

        #[test]
        fn random_text_never_panics_and_parses_only_if_canonical(s in "\\PC{0,40}|[0-9a-fA-F-]{30,40}") {
            match LeaseId::parse(&s) {
                Some(id) => proptest::prop_assert_eq!(id.as_str(), s.as_str()),
                None => proptest::prop_assert!(!is_canonical_uuid(&s)),
            }
            let canonical_by_uuid = uuid::Uuid::parse_str(&s).is_ok_and(|u| u.hyphenated().to_string() == s);
            proptest::prop_assert_eq!(LeaseId::parse(&s).is_some(), canonical_by_uuid);
        }
    }
}
