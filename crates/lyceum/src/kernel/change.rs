//! A transaction that changes data, and the organisations whose people it may affect.
//!
//! Every use case that writes opens a `Change`. Locking an organisation (or naming one whose
//! memberships the change touches) records it; `commit` then drops those organisations from the
//! grant cache on this node, and — on PostgreSQL — a `NOTIFY` sent inside the transaction tells
//! every other node sharing the database at the moment of commit (nothing is sent on rollback).
//! The member directory forgets the same organisations; credentials (sessions, API keys) and the
//! people whose profile changed are forgotten the same way. A raw transaction cannot be
//! committed through a `Change`, so no write path can forget to invalidate. The audit events a
//! use case records are buffered here and appended to the chain at commit, in the same
//! transaction; a change that records none must say why (`unaudited`), or its commit is refused.
//!
//! Notification payloads: `<organisation id>`, `*` (everything), `session:<token hash>`,
//! `user:<user id>` (all of a user's sessions), `key:<api key id>`.

use lyceum_domain::id::{ApiKeyId, OrgId, UserId};
use std::ops::{Deref, DerefMut};

use sqlx::{Any, AnyConnection, Transaction};
use uuid::Uuid;

use super::audit_chain::{self, Actor, Entry};
use super::caches::Caches;
use super::Result;
use crate::kernel::db::Backend;

/// The PostgreSQL channel carrying invalidations.
pub const GRANTS_CHANNEL: &str = "lyceum_grants";

pub struct Change {
    tx: Transaction<'static, Any>,
    backend: Backend,
    caches: Caches,
    touched: Vec<Uuid>,
    forgotten: Vec<Forget>,
    everything: bool,
    /// Audit events recorded by the use case, appended to the chain at commit, in order.
    audit: Vec<(Actor, Vec<Entry>, i64)>,
    /// Why this change records no audit event, when it records none.
    unaudited: Option<&'static str>,
}

/// A credential to forget after commit.
enum Forget {
    Session(String),
    User(String),
    Key(String),
}

impl Change {
    pub(super) fn new(tx: Transaction<'static, Any>, backend: Backend, caches: Caches) -> Change {
        Change {
            tx,
            backend,
            caches,
            touched: Vec::new(),
            forgotten: Vec::new(),
            everything: false,
            audit: Vec::new(),
            unaudited: None,
        }
    }

    /// Takes an organisation's write lock (every change to an organisation is serialised by it)
    /// and records the organisation; `false` if there is no such organisation.
    pub async fn lock_org(&mut self, org_id: &OrgId) -> Result<bool> {
        if !crate::tenancy::queries::orgs::lock(&mut self.tx, org_id).await? {
            return Ok(false);
        }
        self.touch_org(org_id).await?;
        Ok(true)
    }

    /// Takes the write locks of several organisations (the rare change that touches two, such as
    /// a lease between organisations), always in id order so two such changes cannot deadlock;
    /// `false` if one of them does not exist.
    pub async fn lock_orgs(&mut self, org_ids: &[&OrgId]) -> Result<bool> {
        let mut ids = org_ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        for id in ids {
            if !self.lock_org(id).await? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Records that this change affects who holds what in an organisation.
    pub async fn touch_org(&mut self, org_id: &OrgId) -> Result<()> {
        let org = org_id.to_uuid();
        if self.touched.contains(&org) {
            return Ok(());
        }
        self.touched.push(org);
        if self.backend == Backend::Postgres {
            notify(&mut self.tx, org_id.as_str()).await?;
        }
        Ok(())
    }

    /// Forgets a session (by token hash) once this change commits.
    pub async fn forget_session(&mut self, token_hash: &str) -> Result<()> {
        self.forget(Forget::Session(token_hash.to_owned()), format!("session:{token_hash}")).await
    }

    /// Forgets every session of a user, and the member lists holding their name and email, once
    /// this change commits (their account changed).
    pub async fn forget_user(&mut self, user_id: &UserId) -> Result<()> {
        self.forget(Forget::User(user_id.as_str().to_owned()), format!("user:{user_id}")).await
    }

    /// Forgets an API key (by id) once this change commits.
    pub async fn forget_key(&mut self, key_id: &ApiKeyId) -> Result<()> {
        self.forget(Forget::Key(key_id.as_str().to_owned()), format!("key:{key_id}")).await
    }

    async fn forget(&mut self, what: Forget, payload: String) -> Result<()> {
        self.forgotten.push(what);
        if self.backend == Backend::Postgres {
            notify(&mut self.tx, &payload).await?;
        }
        Ok(())
    }

    /// Records that this change affects every organisation (an instance administrator).
    pub async fn touch_everything(&mut self) -> Result<()> {
        self.everything = true;
        if self.backend == Backend::Postgres {
            notify(&mut self.tx, "*").await?;
        }
        Ok(())
    }

    /// Records audit events done by `actor` at `now`; they are appended to the hash chain in
    /// this change's transaction when it commits, so a change and its record stand or fall
    /// together.
    pub fn record(&mut self, actor: &Actor, entries: Vec<Entry>, now: i64) {
        if !entries.is_empty() {
            self.audit.push((actor.clone(), entries, now));
        }
    }

    /// Says why this change records no audit event (every change records one, or says why not).
    pub fn unaudited(&mut self, why: &'static str) {
        self.unaudited = Some(why);
    }

    /// Appends the recorded audit events, commits, then forgets on this node what the change
    /// touched. A change that recorded no event and gave no reason is refused (rolled back).
    pub async fn commit(mut self) -> Result<()> {
        if self.audit.is_empty() && self.unaudited.is_none() {
            return Err(anyhow::anyhow!("a change recorded no audit event and gave no reason").into());
        }
        for (actor, entries, now) in std::mem::take(&mut self.audit) {
            audit_chain::append(&mut self.tx, &actor, entries, now).await?;
        }
        self.tx.commit().await?;
        let caches = &self.caches;
        if self.everything {
            caches.everything_changed();
        }
        for what in self.forgotten {
            match what {
                Forget::Session(hash) => caches.credentials.forget_session(&hash),
                Forget::User(id) => caches.user_changed(&id),
                Forget::Key(id) => caches.credentials.forget_key(&id),
            }
        }
        for org in self.touched {
            caches.org_changed(org);
        }
        Ok(())
    }
}

/// Sends an invalidation on PostgreSQL; delivered to listeners when the transaction commits.
pub async fn notify(conn: &mut AnyConnection, payload: &str) -> sqlx::Result<()> {
    sqlx::query("SELECT pg_notify($1, $2)").bind(GRANTS_CHANNEL).bind(payload).execute(conn).await?;
    Ok(())
}

impl Deref for Change {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.tx
    }
}

impl DerefMut for Change {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a test: a failed setup step should just fail it
mod tests {
    use super::*;
    use crate::kernel::audit_chain::{Action, Entry};
    use crate::kernel::db;

    async fn audit_rows(pool: &sqlx::AnyPool) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events").fetch_one(pool).await.unwrap()
    }

    /// A change that records nothing and says nothing is refused and rolled back; one that says
    /// why commits; recorded events are appended to the chain at commit, and not at all on
    /// rollback.
    #[tokio::test]
    async fn every_change_is_audited_or_says_why() {
        let dir = tempfile::tempdir().unwrap();
        let (pool, backend) = db::connect(&db::sqlite_url_in(dir.path()), 2).await.unwrap();
        db::migrate(&pool, backend).await.unwrap();
        let caches = Caches::new(0);
        let write = "INSERT INTO users (id, email, name, password_hash, instance_admin, created_at, updated_at) \
                     VALUES ($1, $2, 'N', 'x', 0, 0, 0)";
        let users = || async { sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM users").fetch_one(&pool).await };

        let mut silent = Change::new(pool.begin().await.unwrap(), backend, caches.clone());
        sqlx::query(write).bind("u1").bind("u1@x.test").execute(&mut *silent).await.unwrap();
        assert!(silent.commit().await.is_err(), "no event and no reason");
        assert_eq!(users().await.unwrap(), 0, "the refused change was rolled back");

        let mut explained = Change::new(pool.begin().await.unwrap(), backend, caches.clone());
        sqlx::query(write).bind("u2").bind("u2@x.test").execute(&mut *explained).await.unwrap();
        explained.unaudited("a test");
        explained.commit().await.unwrap();
        assert_eq!((users().await.unwrap(), audit_rows(&pool).await), (1, 0));

        let entry = || Entry {
            org_id: None,
            workspace_id: None,
            action: Action::UserUpdated,
            target_id: "u2".into(),
            before: None,
            after: None,
        };
        let actor = audit_chain::Actor { kind: "system", ..Default::default() };
        let mut recorded = Change::new(pool.begin().await.unwrap(), backend, caches.clone());
        recorded.record(&actor, vec![entry(), entry()], 5);
        drop(recorded);
        assert_eq!(audit_rows(&pool).await, 0, "a change dropped uncommitted records nothing");

        let mut recorded = Change::new(pool.begin().await.unwrap(), backend, caches);
        recorded.record(&actor, vec![entry(), entry()], 5);
        recorded.commit().await.unwrap();
        assert_eq!(audit_rows(&pool).await, 2);
        let (checked, breaks) = audit_chain::verify(&mut pool.acquire().await.unwrap()).await.unwrap();
        assert_eq!((checked, breaks.len()), (2, 0));
    }

    /// Several organisations are locked together (each one's write version moves once, whatever
    /// the order and repetition asked), and a missing one refuses the lot.
    #[tokio::test]
    async fn organisations_are_locked_together_in_id_order() {
        let dir = tempfile::tempdir().unwrap();
        let (pool, backend) = db::connect(&db::sqlite_url_in(dir.path()), 2).await.unwrap();
        db::migrate(&pool, backend).await.unwrap();
        let org = |n: u128| OrgId::from_uuid(Uuid::from_u128(n));
        let (a, b, z) = (org(1), org(2), org(26));
        for id in [a.as_str(), b.as_str()] {
            sqlx::query(
                "INSERT INTO organizations (id, name, plan, seats, credit_pool, created_at, updated_at) \
                 VALUES ($1, $1, 'pro', 1, 0, 0, 0)",
            )
            .bind(id)
            .execute(&pool)
            .await
            .unwrap();
        }
        let versions = || async {
            sqlx::query_scalar::<_, i64>("SELECT write_version FROM organizations ORDER BY id")
                .fetch_all(&pool)
                .await
                .unwrap()
        };
        let mut both = Change::new(pool.begin().await.unwrap(), backend, Caches::new(0));
        assert!(both.lock_orgs(&[&b, &a, &b]).await.unwrap());
        both.unaudited("a test");
        both.commit().await.unwrap();
        assert_eq!(versions().await, [1, 1]);
        let mut missing = Change::new(pool.begin().await.unwrap(), backend, Caches::new(0));
        assert!(!missing.lock_orgs(&[&a, &z]).await.unwrap());
    }
}
