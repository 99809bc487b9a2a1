//! The accounts wing: signup, login, sessions, profile and API keys.

pub mod api;
pub mod api_keys;
pub mod pages;
pub mod people;
mod store;

/// **API Boundary.** The accounts wing's public queries: what the kernel and other wings may read
/// or write of accounts' tables. The rest of `store` is private to this wing.
pub mod queries {
    pub mod users {
        pub use crate::accounts::store::users::{by_email, by_emails, by_id, insert, NewUser, UserRow};
    }
}
