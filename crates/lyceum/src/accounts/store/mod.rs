//! The accounts wing's SQL.

pub mod api_keys;
pub mod sessions;
pub mod users;
