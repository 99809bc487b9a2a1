//! Cross-node cache invalidation on PostgreSQL: every node LISTENs on `change::GRANTS_CHANNEL`,
//! and a committed change's `NOTIFY` (an organisation id, or `*`) drops the matching cached roles.
//! If the listening connection drops, notifications may have been missed while it was down, so
//! the whole cache is dropped when it comes back.

use std::sync::Arc;

use sqlx::postgres::PgListener;
use uuid::Uuid;

use super::change::GRANTS_CHANNEL;
use super::grants::GrantCache;

/// Connects and subscribes (so no change committed after this returns can be missed), then
/// applies notifications in a background task for as long as the process lives.
pub async fn start(database_url: &str, grants: Arc<GrantCache>) -> sqlx::Result<()> {
    let mut listener = PgListener::connect(database_url).await?;
    listener.listen(GRANTS_CHANNEL).await?;
    grants.invalidate_all();
    tokio::spawn(async move {
        loop {
            match listener.try_recv().await {
                Ok(Some(n)) => apply(&grants, n.payload()),
                Ok(None) => {
                    tracing::warn!("lost the invalidation channel; dropping the grant cache");
                    grants.invalidate_all();
                }
                Err(e) => {
                    tracing::warn!(error = %e, "invalidation channel error; dropping the grant cache and retrying");
                    grants.invalidate_all();
                    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                }
            }
        }
    });
    Ok(())
}

/// Applies one notification.
pub fn apply(grants: &GrantCache, payload: &str) {
    match Uuid::parse_str(payload) {
        Ok(org) => grants.invalidate_org(org),
        Err(_) => grants.invalidate_all(),
    }
}
