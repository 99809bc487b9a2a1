//! Audit and access: the audit trail and its hash chain, access checks, the grant cache.

mod access;
mod grant_cache;
mod trail;
