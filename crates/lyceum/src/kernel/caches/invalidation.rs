//! Cross-node cache invalidation on PostgreSQL: every node LISTENs on `change::GRANTS_CHANNEL`,
//! and a committed change's `NOTIFY` (an organisation id, or `*`) drops the matching cached roles
//! and member lists.
//! If the listening connection drops, notifications may have been missed while it was down, so
//! the whole cache is dropped when it comes back.

use sqlx::postgres::PgListener;
use uuid::Uuid;

use super::Caches;
use crate::kernel::change::GRANTS_CHANNEL;

/// Connects and subscribes (so no change committed after this returns can be missed), then
/// applies notifications in a background task for as long as the process lives.
pub async fn start(database_url: &str, caches: Caches) -> sqlx::Result<()> {
    let mut listener = PgListener::connect(database_url).await?;
    listener.listen(GRANTS_CHANNEL).await?;
    caches.everything_changed();
    tokio::spawn(async move {
        loop {
            match listener.try_recv().await {
                Ok(Some(n)) => apply(&caches, n.payload()),
                Ok(None) => {
                    tracing::warn!("lost the invalidation channel; dropping the caches");
                    caches.everything_changed();
                }
                Err(e) => {
                    tracing::warn!(error = %e, "invalidation channel error; dropping the caches and retrying");
                    caches.everything_changed();
                    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                }
            }
        }
    });
    Ok(())
}

/// Applies one notification (payloads: see `service::change`). Anything unrecognised drops
/// everything: forgetting too much costs a database read, forgetting too little is a hole.
pub fn apply(caches: &Caches, payload: &str) {
    if let Some(hash) = payload.strip_prefix("session:") {
        caches.credentials.forget_session(hash);
    } else if let Some(id) = payload.strip_prefix("user:") {
        caches.user_changed(id);
    } else if let Some(id) = payload.strip_prefix("key:") {
        caches.credentials.forget_key(id);
    } else if let Ok(org) = Uuid::parse_str(payload) {
        caches.org_changed(org);
    } else {
        caches.everything_changed();
    }
}
