//! Cross-node cache invalidation on PostgreSQL: every node LISTENs on `change::GRANTS_CHANNEL`,
//! and a committed change's `NOTIFY` (an organisation id, or `*`) drops the matching cached roles.
//! If the listening connection drops, notifications may have been missed while it was down, so
//! the whole cache is dropped when it comes back.

use std::sync::Arc;

use sqlx::postgres::PgListener;
use uuid::Uuid;

use super::change::GRANTS_CHANNEL;
use super::credentials::CredentialCache;
use super::grants::GrantCache;

/// Connects and subscribes (so no change committed after this returns can be missed), then
/// applies notifications in a background task for as long as the process lives.
pub async fn start(database_url: &str, grants: Arc<GrantCache>, credentials: Arc<CredentialCache>) -> sqlx::Result<()> {
    let mut listener = PgListener::connect(database_url).await?;
    listener.listen(GRANTS_CHANNEL).await?;
    grants.invalidate_all();
    credentials.forget_all();
    tokio::spawn(async move {
        loop {
            match listener.try_recv().await {
                Ok(Some(n)) => apply(&grants, &credentials, n.payload()),
                Ok(None) => {
                    tracing::warn!("lost the invalidation channel; dropping the caches");
                    grants.invalidate_all();
                    credentials.forget_all();
                }
                Err(e) => {
                    tracing::warn!(error = %e, "invalidation channel error; dropping the caches and retrying");
                    grants.invalidate_all();
                    credentials.forget_all();
                    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                }
            }
        }
    });
    Ok(())
}

/// Applies one notification (payloads: see `service::change`). Anything unrecognised drops
/// everything: forgetting too much costs a database read, forgetting too little is a hole.
pub fn apply(grants: &GrantCache, credentials: &CredentialCache, payload: &str) {
    if let Some(hash) = payload.strip_prefix("session:") {
        credentials.forget_session(hash);
    } else if let Some(id) = payload.strip_prefix("user:") {
        credentials.forget_user(id);
    } else if let Some(id) = payload.strip_prefix("key:") {
        credentials.forget_key(id);
    } else if let Ok(org) = Uuid::parse_str(payload) {
        grants.invalidate_org(org);
    } else {
        grants.invalidate_all();
        credentials.forget_all();
    }
}
