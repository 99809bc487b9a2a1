//! An in-memory cache of live credentials (sessions by token hash, API keys by prefix), so that
//! authenticating a request costs a hash and a lookup rather than database round trips.
//!
//! Safety rests on three things:
//! - **Invalidation on change**: ending a session, ending a user's other sessions, changing a
//!   profile, promoting an administrator and revoking a key drop the entries after commit on this
//!   node (`service::change`) and on every other node through PostgreSQL `NOTIFY`.
//! - **An epoch**: a reader notes it before reading the database and `store` refuses the entry if
//!   any invalidation happened meanwhile, so a load racing a logout cannot resurrect the session.
//! - **Revalidation**: an entry is trusted for at most `REVALIDATE_MS`; then the next request
//!   reads the database again (which also records the session's or key's last use), so even a
//!   missed notification is bounded. Expiry (absolute, idle, key expiry) is checked on every hit.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::RwLock;

use rustc_hash::FxBuildHasher;

use crate::kernel::{KeyRef, UserRef};

type Map<K, V> = HashMap<K, V, FxBuildHasher>;

/// How long a cached credential is trusted without reading the database (also the granularity
/// of `last_seen_at` / `last_used_at`).
pub const REVALIDATE_MS: i64 = 60_000;

/// A live session as last read from the database.
#[derive(Debug, Clone)]
pub struct CachedSession {
    pub user: UserRef,
    /// `last_seen_at` as stored (idle expiry counts from it).
    pub last_seen: i64,
    pub expires_at: i64,
    /// When this entry was read from the database.
    pub read_at: i64,
}

/// A live API key as last read from the database.
#[derive(Debug, Clone)]
pub struct CachedKey {
    pub key: KeyRef,
    pub secret_hash: String,
    pub expires_at: Option<i64>,
    pub read_at: i64,
}

#[derive(Default)]
pub struct CredentialCache {
    epoch: AtomicU64,
    sessions: RwLock<Map<String, CachedSession>>,
    keys: RwLock<Map<String, CachedKey>>,
}

impl CredentialCache {
    pub fn new() -> CredentialCache {
        CredentialCache::default()
    }

    /// Note this before reading the database; hand it back to `store_*`.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// A session that is cached, not expired (absolute or idle) and not due for revalidation.
    pub fn session(&self, token_hash: &str, now: i64, idle_ms: i64) -> Option<UserRef> {
        let sessions = self.sessions.read().unwrap_or_else(|e| e.into_inner());
        let s = sessions.get(token_hash)?;
        let fresh = now - s.read_at < REVALIDATE_MS && now < s.expires_at && now - s.last_seen <= idle_ms;
        fresh.then(|| s.user.clone())
    }

    /// A key that is cached, not expired and not due for revalidation, with its secret's hash
    /// (the caller still compares the presented key with it).
    pub fn key(&self, prefix: &str, now: i64) -> Option<CachedKey> {
        let keys = self.keys.read().unwrap_or_else(|e| e.into_inner());
        let k = keys.get(prefix)?;
        let fresh = now - k.read_at < REVALIDATE_MS && k.expires_at.is_none_or(|e| e > now);
        fresh.then(|| k.clone())
    }

    pub fn store_session(&self, token_hash: &str, epoch: u64, session: CachedSession) {
        let mut sessions = self.sessions.write().unwrap_or_else(|e| e.into_inner());
        // Checked under the write lock: invalidations take it too before bumping the epoch.
        if self.epoch() == epoch {
            sessions.insert(token_hash.to_owned(), session);
        }
    }

    pub fn store_key(&self, prefix: &str, epoch: u64, key: CachedKey) {
        let mut keys = self.keys.write().unwrap_or_else(|e| e.into_inner());
        if self.epoch() == epoch {
            keys.insert(prefix.to_owned(), key);
        }
    }

    /// Forgets one session (signed out, rotated, expired).
    pub fn forget_session(&self, token_hash: &str) {
        let mut sessions = self.sessions.write().unwrap_or_else(|e| e.into_inner());
        self.epoch.fetch_add(1, Ordering::AcqRel);
        sessions.remove(token_hash);
    }

    /// Forgets every session of a user (password or email changed, profile edited, promoted).
    pub fn forget_user(&self, user_id: &str) {
        let mut sessions = self.sessions.write().unwrap_or_else(|e| e.into_inner());
        self.epoch.fetch_add(1, Ordering::AcqRel);
        sessions.retain(|_, s| s.user.id.as_str() != user_id);
    }

    /// Forgets one API key (revoked).
    pub fn forget_key(&self, key_id: &str) {
        let mut keys = self.keys.write().unwrap_or_else(|e| e.into_inner());
        self.epoch.fetch_add(1, Ordering::AcqRel);
        keys.retain(|_, k| k.key.id.as_str() != key_id);
    }

    /// Forgets everything (a missed notification, an instance-wide change).
    pub fn forget_all(&self) {
        let mut sessions = self.sessions.write().unwrap_or_else(|e| e.into_inner());
        let mut keys = self.keys.write().unwrap_or_else(|e| e.into_inner());
        self.epoch.fetch_add(1, Ordering::AcqRel);
        sessions.clear();
        keys.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lyceum_domain::id::{ApiKeyId, OrgId, UserId};

    fn user_id(name: &str) -> UserId {
        UserId::from_uuid(uuid::Uuid::from_u128(name.bytes().fold(1, |a, b| a * 131 + u128::from(b))))
    }

    fn user(id: &str) -> UserRef {
        UserRef { id: user_id(id), email: format!("{id}@x.test"), name: id.into(), instance_admin: false }
    }

    fn session(id: &str, now: i64) -> CachedSession {
        CachedSession { user: user(id), last_seen: now, expires_at: now + 1_000_000, read_at: now }
    }

    #[test]
    fn sessions_expire_and_revalidate_in_memory() {
        let c = CredentialCache::new();
        c.store_session("h", c.epoch(), session("u", 0));
        assert_eq!(c.session("h", 10, 100).map(|u| u.id), Some(user_id("u")));
        assert!(c.session("h", 101, 100).is_none(), "idle expiry");
        assert!(c.session("h", REVALIDATE_MS, i64::MAX).is_none(), "due for a database read");
        assert!(c.session("h", 1_000_000, i64::MAX).is_none(), "absolute expiry");
        assert!(c.session("other", 10, 100).is_none());
    }

    #[test]
    fn a_load_that_began_before_a_logout_cannot_bring_the_session_back() {
        let c = CredentialCache::new();
        let before = c.epoch();
        c.forget_session("h");
        c.store_session("h", before, session("u", 0));
        assert!(c.session("h", 1, 100).is_none());
        c.store_session("h", c.epoch(), session("u", 0));
        assert!(c.session("h", 1, 100).is_some());
        c.forget_user(user_id("u").as_str());
        assert!(c.session("h", 1, 100).is_none());
    }

    #[test]
    fn keys_are_forgotten_by_id_and_expire() {
        let c = CredentialCache::new();
        let key = KeyRef {
            id: ApiKeyId::new(),
            org_id: OrgId::new(),
            role: crate::kernel::KeyRole::Org(lyceum_domain::OrgRole::Owner),
            created_by: UserId::new(),
        };
        let key_id = key.id.clone();
        c.store_key("p", c.epoch(), CachedKey { key, secret_hash: "s".into(), expires_at: Some(50), read_at: 0 });
        assert!(c.key("p", 10).is_some());
        assert!(c.key("p", 50).is_none(), "expired");
        c.forget_key(key_id.as_str());
        assert!(c.key("p", 10).is_none());
    }
}
