//! The tenancy wing's SQL.

pub mod invitations;
pub mod members;
pub mod orgs;
