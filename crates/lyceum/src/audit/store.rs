//! The audit wing's SQL: reading an organisation's chain, filtered, a page at a time. (Appending
//! and verifying are the kernel's: `kernel::audit_chain`.)

use crate::kernel::audit_chain::{EventRow, COLUMNS};
use lyceum_domain::id::{OrgId, WorkspaceId};

use crate::kernel::sql::Conn;

/// Filters of the audit list.
#[derive(Debug, Default)]
pub struct ListQuery {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub workspace_id: Option<WorkspaceId>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub before_seq: Option<i64>,
    pub limit: i64,
}

/// An organisation's events, newest first; `limit + 1` rows so the caller knows if more follow.
pub async fn list(conn: &mut Conn, org_id: &OrgId, q: &ListQuery) -> sqlx::Result<Vec<EventRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM audit_events WHERE chain = $1 \
         AND ($2 = '' OR actor_id = $2 OR actor_email = $2) \
         AND ($3 = '' OR action = $3 OR action LIKE $4 ESCAPE '\\') \
         AND ($5 = '' OR workspace_id = $5) \
         AND at >= $6 AND at <= $7 AND seq < $8 \
         ORDER BY seq DESC LIMIT {}",
        q.limit + 1
    );
    let action = q.action.clone().unwrap_or_default();
    sqlx::query_as(&sql)
        .bind(org_id.as_str())
        .bind(q.actor.clone().unwrap_or_default())
        .bind(&action)
        // A family is a literal prefix: `%` and `_` in the filter are not wildcards.
        .bind(format!("{}.%", action.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")))
        .bind(q.workspace_id.as_ref().map_or("", WorkspaceId::as_str))
        .bind(q.from.unwrap_or(i64::MIN))
        .bind(q.to.unwrap_or(i64::MAX))
        .bind(q.before_seq.unwrap_or(i64::MAX))
        .fetch_all(conn)
        .await
}
