//! The audit wing: the audit trail (list, export) and the permission questions (permissions, check).

pub mod api;
pub mod pages;
mod store;
pub mod trail;
