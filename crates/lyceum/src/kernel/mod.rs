//! Use cases: each opens one transaction, takes the organisation's write lock when it changes an
//! organisation, asks the permission engine, applies the domain's rules, writes, appends the
//! audit events and enqueues email — then commits, so a change and its record stand or fall
//! together. Handlers call these and nothing below them.

pub mod access;
pub mod audit_chain;
pub mod caches;
pub mod change;
pub mod db;
pub mod lazy;
pub mod objects;
pub mod scope;
pub mod sql;
pub mod whereabouts;

pub use lyceum_sql::multi_row;

use std::sync::Arc;

use lyceum_domain::id::{ApiKeyId, OrgId, UserId, WorkspaceId};
use lyceum_domain::{DomainError, OrgRole, WorkspaceRole};
use sqlx::AnyPool;

use crate::kernel::audit_chain::Actor;
use crate::security::ratelimit::Limits;
use db::Backend;

/// Settings the use cases need.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The public base URL (links in emails are built from it, never from a request's Host).
    pub base_url: String,
    pub invitation_ttl_ms: i64,
    pub session_idle_ms: i64,
    pub session_absolute_ms: i64,
    /// The most addresses one invitation request may carry.
    pub max_invitation_batch: usize,
    /// Minor currency units one credit is worth.
    pub credit_value_minor: i64,
    /// The instance currency, e.g. `USD`.
    pub currency: String,
    /// The model a call uses when it names none (also from the provider's configuration).
    pub ai_default_model: Option<String>,
    /// How long a credit reservation holds before the repair releases it.
    pub reservation_ttl_ms: i64,
    /// The largest upload accepted (media, imports), in bytes.
    pub max_upload_bytes: u64,
}

/// Everything a use case runs against.
pub struct Lyceum {
    pub pool: AnyPool,
    pub backend: Backend,
    pub settings: Settings,
    pub limits: Limits,
    /// Wakes the mail worker after a commit that enqueued mail.
    pub mail_wakeup: Arc<tokio::sync::Notify>,
    /// This node's in-memory caches: roles for read-only permission checks, live credentials,
    /// and each organisation's members (`service::caches`).
    pub caches: caches::Caches,
    /// The AI provider, if one is configured: every call goes through `credits::gateway`.
    pub ai: Option<lyceum_ai::Client>,
    /// Where media live (a directory under the data dir, or an S3-compatible bucket).
    pub objects: objects::Objects,
}

/// Declares an area's use cases: a handle `$name` that borrows the kernel (and derefs to it, so
/// a use case reaches the pool, the caches and `begin_change`), and its accessor on `Lyceum`
/// (`lyceum.members().list_members(…)`). Each wing declares its own; the kernel names none.
macro_rules! area {
    ($(#[$doc:meta])* $name:ident, $accessor:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy)]
        pub struct $name<'a>(&'a $crate::kernel::Lyceum);

        impl std::ops::Deref for $name<'_> {
            type Target = $crate::kernel::Lyceum;
            fn deref(&self) -> &$crate::kernel::Lyceum {
                self.0
            }
        }

        impl $crate::kernel::Lyceum {
            #[doc = concat!("The use cases of `", stringify!($name), "`.")]
            pub fn $accessor(&self) -> $name<'_> {
                $name(self)
            }
        }
    };
}
pub(crate) use area;

/// Why a use case refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("authentication required")]
    Unauthenticated,
    #[error("too many attempts; retry in {retry_after} s")]
    RateLimited { retry_after: u64 },
    /// A bulk change blocked by some of its entries: (entry, code, reason) for each.
    #[error("{message}")]
    Blocked { code: &'static str, message: String, entries: Vec<(String, &'static str, String)> },
    /// No AI provider, or it failed: `ai_unavailable`, with `Retry-After` when it may come back.
    #[error("{message}")]
    AiUnavailable { message: String, retry_after: Option<u64> },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

/// Where a request came from (for the audit trail and rate limits).
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// A signed-in person.
#[derive(Debug, Clone)]
pub struct UserRef {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub instance_admin: bool,
}

/// An API key acting on its organisation, with its role as a role (not a name).
#[derive(Debug, Clone)]
pub struct KeyRef {
    pub id: ApiKeyId,
    pub org_id: OrgId,
    pub role: KeyRole,
    pub created_by: UserId,
}

/// What an API key's own role is: an organisation role, or a workspace role bound to one
/// workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyRole {
    Org(OrgRole),
    Workspace(WorkspaceId, WorkspaceRole),
}

impl KeyRole {
    /// The stored role name (an organisation or a workspace role).
    pub fn role_name(&self) -> &'static str {
        match self {
            KeyRole::Org(r) => r.as_str(),
            KeyRole::Workspace(_, r) => r.as_str(),
        }
    }

    /// The workspace a workspace key is bound to.
    pub fn workspace_id(&self) -> Option<&WorkspaceId> {
        match self {
            KeyRole::Org(_) => None,
            KeyRole::Workspace(ws, _) => Some(ws),
        }
    }
}

/// Who is calling.
#[derive(Debug, Clone)]
pub enum Principal {
    User(UserRef),
    Key(KeyRef),
}

/// An authenticated caller and where the call came from.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    pub origin: Origin,
    /// The hash of the session token the caller used, if a session.
    pub session_hash: Option<String>,
}

impl Caller {
    /// The person behind the call (an API key acts for no person).
    pub fn user_id(&self) -> Option<&UserId> {
        match &self.principal {
            Principal::User(u) => Some(&u.id),
            Principal::Key(_) => None,
        }
    }

    /// The person, or `forbidden` for an API key (some actions are for people only).
    pub fn person(&self) -> Result<&UserRef> {
        match &self.principal {
            Principal::User(u) => Ok(u),
            Principal::Key(_) => Err(DomainError::Forbidden("a person (not an API key)").into()),
        }
    }

    /// A stable key for the caller (rate limits): the user id, or `key:<id>` for an API key.
    pub fn key(&self) -> String {
        match &self.principal {
            Principal::User(u) => u.id.as_str().to_owned(),
            Principal::Key(k) => format!("key:{}", k.id),
        }
    }

    /// The name shown to others (in emails).
    pub fn display_name(&self) -> String {
        match &self.principal {
            Principal::User(u) => u.name.clone(),
            Principal::Key(_) => "An administrator".to_owned(),
        }
    }

    pub fn audit_actor(&self) -> Actor {
        let (kind, id, email) = match &self.principal {
            Principal::User(u) => ("user", u.id.as_str().to_owned(), Some(u.email.clone())),
            Principal::Key(k) => ("api_key", k.id.as_str().to_owned(), None),
        };
        Actor { kind, id: Some(id), email, ip: self.origin.ip.clone(), user_agent: self.origin.user_agent.clone() }
    }
}

/// An audit actor for a request with no authenticated caller.
pub fn anonymous_actor(origin: &Origin) -> Actor {
    Actor { kind: "anonymous", ip: origin.ip.clone(), user_agent: origin.user_agent.clone(), ..Actor::default() }
}

/// Clamps a page size to 1..=500 (default 50).
pub fn page_limit(limit: Option<i64>) -> i64 {
    limit.unwrap_or(50).clamp(1, 500)
}

/// One page of a list, and the cursor of the next page if more follow.
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Turns a fetch of `limit + 1` rows into a page: the extra row only says that more follow,
    /// and the cursor is made from the page's last row.
    pub fn of(mut items: Vec<T>, limit: i64, cursor_of: impl Fn(&T) -> String) -> Page<T> {
        let more = items.len() as i64 > limit;
        items.truncate(limit.max(0) as usize);
        let next_cursor = if more { items.last().map(cursor_of) } else { None };
        Page { items, next_cursor }
    }
}

/// Encodes a cursor (opaque to clients).
pub fn encode_cursor(parts: &[&str]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(parts.join("\u{1f}"))
}

/// Decodes a cursor made by `encode_cursor` with `n` parts.
pub fn decode_cursor(cursor: &str, n: usize) -> Result<Vec<String>> {
    use base64::Engine;
    let bad = || DomainError::invalid("cursor", "is not a cursor this server issued");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let parts: Vec<String> = text.split('\u{1f}').map(str::to_owned).collect();
    if parts.len() != n {
        return Err(bad().into());
    }
    Ok(parts)
}

/// Maps a unique violation to a `conflict` with `message`, passing other errors through.
pub fn conflict_on_unique(e: sqlx::Error, message: &str) -> ServiceError {
    if crate::kernel::sql::is_unique_violation(&e) {
        DomainError::Conflict(message.to_owned()).into()
    } else {
        e.into()
    }
}

impl Lyceum {
    /// Starts a transaction that changes data (see `change::Change`). On SQLite it takes the write
    /// lock up front (`BEGIN IMMEDIATE`, waiting up to the busy timeout): a deferred transaction
    /// that reads first (as the FTS5 search index does inside its triggers) cannot upgrade to a
    /// writer once another writer has committed, and would fail with "database is locked".
    pub async fn begin_change(&self) -> Result<change::Change> {
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(change::Change::new(tx, self.backend, self.caches.clone()))
    }

    /// Starts a transaction that changes an organisation, holding its write lock; 404 if none.
    pub async fn begin_org_change(&self, org_id: &OrgId) -> Result<change::Change> {
        let mut change = self.begin_change().await?;
        if !change.lock_org(org_id).await? {
            return Err(DomainError::NotFound.into());
        }
        Ok(change)
    }

    /// The organisation a workspace belongs to (404 if no such workspace).
    pub async fn org_of_workspace(&self, workspace_id: &WorkspaceId) -> Result<OrgId> {
        Ok(self.workspace_org(&mut self.lazy_conn(), workspace_id).await?.ok_or(DomainError::NotFound)?)
    }

    /// Roles read through the cache, for read-only use cases.
    pub fn cached(&self) -> access::Roles<'_> {
        access::Roles::Cached(&self.caches.grants)
    }

    /// A connection taken from the pool only if the use case needs one (see `service::db`).
    pub fn lazy_conn(&self) -> lazy::LazyConn<'_> {
        lazy::LazyConn::new(&self.pool)
    }

    /// Tells the mail worker there is mail (call after a commit that enqueued some).
    pub fn wake_mailer(&self) {
        self.mail_wakeup.notify_one();
    }

    /// Takes one token from a rate limit bucket, or answers `rate_limited`.
    pub fn throttle(&self, limiter: &crate::security::ratelimit::Limiter, key: &str) -> Result<()> {
        limiter.check(key).map_err(|retry_after| ServiceError::RateLimited { retry_after })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let c = encode_cursor(&["a@x.com", "id-1"]);
        assert_eq!(decode_cursor(&c, 2).expect("decodes"), vec!["a@x.com", "id-1"]);
        assert!(decode_cursor("not base64!", 2).is_err());
        assert!(decode_cursor(&c, 3).is_err());
    }

    proptest::proptest! {
        #[test]
        fn cursor_decoding_never_panics(s in "\\PC{0,64}") {
            let _ = decode_cursor(&s, 2);
        }
    }
}
