//! The audit event as stored in `audit_events`, and the hash that chains it: each event's hash
//! covers the previous event's hash and the event's own fields, so changing, dropping or
//! reordering an event breaks every hash after it. The server's audit chain appends and verifies
//! with it; the dataset generator writes its trail with it, so `lyceum audit verify` accepts both.

use sha2::{Digest, Sha256};
use sqlx::FromRow;

use crate::multi_row::{AnyQuery, Row};

/// The hash that precedes the first event of a chain.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One event of a chain, as stored.
#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct EventRow {
    pub id: String,
    pub chain: String,
    pub seq: i64,
    pub org_id: Option<String>,
    pub workspace_id: Option<String>,
    pub at: i64,
    pub actor_type: String,
    pub actor_id: Option<String>,
    pub actor_email: Option<String>,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub before_state: Option<String>,
    pub after_state: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    #[serde(skip)]
    pub prev_hash: String,
    #[serde(skip)]
    pub hash: String,
}

impl EventRow {
    /// SHA-256 over the previous hash, a newline and the event's fields as JSON (in this struct's
    /// declaration order, without the two hashes: the struct fixes the serialisation).
    pub fn compute_hash(&self) -> String {
        let body = serde_json::to_string(self).unwrap_or_default();
        let mut h = Sha256::new();
        h.update(self.prev_hash.as_bytes());
        h.update(b"\n");
        h.update(body.as_bytes());
        hex::encode(h.finalize())
    }
}

/// How an event binds to `audit_events` (the server's appends and the dataset generator's trail).
impl Row for EventRow {
    const TABLE: &'static str = "audit_events";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "chain",
        "seq",
        "org_id",
        "workspace_id",
        "at",
        "actor_type",
        "actor_id",
        "actor_email",
        "action",
        "target_type",
        "target_id",
        "before_state",
        "after_state",
        "ip",
        "user_agent",
        "prev_hash",
        "hash",
    ];
    fn bind<'q>(&'q self, q: AnyQuery<'q>) -> AnyQuery<'q> {
        q.bind(&self.id)
            .bind(&self.chain)
            .bind(self.seq)
            .bind(&self.org_id)
            .bind(&self.workspace_id)
            .bind(self.at)
            .bind(&self.actor_type)
            .bind(&self.actor_id)
            .bind(&self.actor_email)
            .bind(&self.action)
            .bind(&self.target_type)
            .bind(&self.target_id)
            .bind(&self.before_state)
            .bind(&self.after_state)
            .bind(&self.ip)
            .bind(&self.user_agent)
            .bind(&self.prev_hash)
            .bind(&self.hash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Chains already stored were hashed this way: the hash of an event must never change.
    /// (Expected value computed independently: SHA-256 of the genesis hash, a newline and the
    /// event's fields as compact JSON in declaration order, without the two hashes.)
    #[test]
    fn the_hash_of_an_event_is_pinned() {
        let row = EventRow {
            id: "0190a5d2-0000-7000-8000-000000000001".into(),
            chain: "org-1".into(),
            seq: 1,
            org_id: Some("org-1".into()),
            workspace_id: None,
            at: 1_790_000_000_123,
            actor_type: "user".into(),
            actor_id: Some("u-1".into()),
            actor_email: Some("owner@example.test".into()),
            action: "org.created".into(),
            target_type: "organization".into(),
            target_id: "org-1".into(),
            before_state: None,
            after_state: Some(r#"{"name":"Globex"}"#.into()),
            ip: Some("198.51.100.7".into()),
            user_agent: None,
            prev_hash: GENESIS.into(),
            hash: "ignored".into(),
        };
        assert_eq!(row.compute_hash(), "672160f75125ac3f4a506ad096aa451d1d921c826648f66f01f7a5c2b4930268");
        let next = EventRow { seq: 2, prev_hash: row.compute_hash(), ..row.clone() };
        assert_ne!(next.compute_hash(), row.compute_hash());
        assert_eq!(EventRow::COLUMNS.len(), 18);
    }
}
