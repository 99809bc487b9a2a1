//! The SQL kit the server and the dataset generator share, so both write rows alike: which
//! backend a connection is, ids and times as every table stores them, multi-row statements within
//! the bind limits, and the audit event row with the hash that chains it. No policy, no schema
//! knowledge beyond the rows defined here; the server's `kernel` re-exports all of it.

pub mod audit_event;
mod backend;
mod clock;
pub mod multi_row;

pub use backend::{Backend, UnsupportedUrl};
pub use clock::{now_ms, parse_rfc3339, rfc3339};

/// A connection or transaction of either backend.
pub type Conn = sqlx::AnyConnection;

/// A new opaque id: a UUIDv7, so ids sort by creation time.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// `n` placeholders `$start, $start+1, …` for an `IN (…)` list.
pub fn placeholders(start: usize, n: usize) -> String {
    (start..start + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_from_start() {
        assert_eq!(placeholders(2, 3), "$2, $3, $4");
    }
}
