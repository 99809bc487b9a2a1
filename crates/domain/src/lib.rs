//! Lyceum's domain: roles, the permission catalogue and engine, the rules of PRODUCT.md §2, and
//! the parsing of user input into trusted values. It knows nothing of HTTP, SQL or I/O.

pub mod email;
pub mod error;
pub mod id;
pub mod invitation;
pub mod permission;
pub mod role;
pub mod rules;
pub mod text;

pub use email::{parse_email_list, Email, EmailListEntry};
pub use error::DomainError;
pub use permission::{Access, Grant, Permission, PermissionSet};
pub use role::{MemberStatus, OrgRole, Plan, WorkspaceRole};
