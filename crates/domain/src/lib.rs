//! Lyceum's domain: typed ids, roles and statuses, the permission catalogue and engine, the rules
//! of PRODUCT.md §2, the table of API error codes, and the parsing of user input into trusted
//! values. It knows nothing of HTTP, SQL or I/O.

pub mod code;
pub mod credits;
pub mod email;
pub mod error;
pub mod id;
pub mod invitation;
pub mod learning;
pub mod lifecycle;
mod named;
pub mod permission;
pub mod role;
pub mod rules;
pub mod status;
pub mod text;

pub use code::Code;
pub use email::{parse_email_list, Email, EmailListEntry};
pub use error::DomainError;
pub use lifecycle::{
    AssignmentStatus, AttemptStatus, CourseFilter, CourseStatus, InvoiceStatus, LeaseStatus, Lifecycle,
};
pub use permission::{Access, Grant, Permission, PermissionSet};
pub use role::{MemberRole, MemberStatus, OrgRole, Plan, WorkspaceRole};
pub use status::{ApiKeyState, InvitationStatus, PrincipalKind};
