//! Secrets and abuse: random tokens stored as hashes, password hashing, rate limits.

pub mod password;
pub mod ratelimit;
pub mod tokens;
