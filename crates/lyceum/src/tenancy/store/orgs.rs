//! Organisations and their workspaces.

use lyceum_domain::id::{OrgId, WorkspaceId};
use lyceum_domain::Plan;
use sqlx::FromRow;

use crate::kernel::sql::Conn;

#[derive(Debug, Clone, FromRow)]
pub struct OrgRow {
    #[sqlx(try_from = "String")]
    pub id: OrgId,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub plan: Plan,
    pub seats: i64,
    pub credit_pool: i64,
    pub created_at: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct WorkspaceRow {
    #[sqlx(try_from = "String")]
    pub id: WorkspaceId,
    #[sqlx(try_from = "String")]
    pub org_id: OrgId,
    pub name: String,
    pub credit_limit: i64,
    /// This billing period's spend, from the credits wing's ledger (filled by the use cases
    /// that answer it; not a column of `workspaces`).
    #[sqlx(skip)]
    pub credits_used: lyceum_domain::credits::Micros,
    pub created_at: i64,
}

/// Takes the organisation's write lock for the rest of the transaction: every change to an
/// organisation's members, seats, credits or audit chain starts here, so checks and the writes
/// they guard never interleave (a row lock on PostgreSQL; the database write lock on SQLite,
/// because it is the transaction's first statement). Returns false when there is no such org.
pub async fn lock(conn: &mut Conn, org_id: &OrgId) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE organizations SET write_version = write_version + 1 WHERE id = $1")
        .bind(org_id.as_str())
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn by_id(conn: &mut Conn, id: &OrgId) -> sqlx::Result<Option<OrgRow>> {
    sqlx::query_as("SELECT id, name, plan, seats, credit_pool, created_at FROM organizations WHERE id = $1")
        .bind(id.as_str())
        .fetch_optional(conn)
        .await
}

pub async fn insert(conn: &mut Conn, o: &OrgRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO organizations (id, name, plan, seats, credit_pool, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(o.id.as_str())
    .bind(&o.name)
    .bind(o.plan.as_str())
    .bind(o.seats)
    .bind(o.credit_pool)
    .bind(o.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

const WS_COLUMNS: &str = "id, org_id, name, credit_limit, created_at";

pub async fn workspace(conn: &mut Conn, id: &WorkspaceId) -> sqlx::Result<Option<WorkspaceRow>> {
    sqlx::query_as(&format!("SELECT {WS_COLUMNS} FROM workspaces WHERE id = $1"))
        .bind(id.as_str())
        .fetch_optional(conn)
        .await
}

pub async fn workspaces(conn: &mut Conn, org_id: &OrgId) -> sqlx::Result<Vec<WorkspaceRow>> {
    sqlx::query_as(&format!("SELECT {WS_COLUMNS} FROM workspaces WHERE org_id = $1 ORDER BY created_at, id"))
        .bind(org_id.as_str())
        .fetch_all(conn)
        .await
}

pub async fn workspace_count(conn: &mut Conn, org_id: &OrgId) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM workspaces WHERE org_id = $1").bind(org_id.as_str()).fetch_one(conn).await
}

/// Sum of the credit limits of the organisation's workspaces, leaving one out (the one being changed).
pub async fn allocated_except(conn: &mut Conn, org_id: &OrgId, except_ws: Option<&WorkspaceId>) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(credit_limit), 0) AS BIGINT) FROM workspaces WHERE org_id = $1 AND id <> $2",
    )
    .bind(org_id.as_str())
    .bind(except_ws.map_or("", WorkspaceId::as_str))
    .fetch_one(conn)
    .await
}

pub async fn insert_workspace(conn: &mut Conn, w: &WorkspaceRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO workspaces (id, org_id, name, credit_limit, credits_used, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 0, $5, $5)",
    )
    .bind(w.id.as_str())
    .bind(w.org_id.as_str())
    .bind(&w.name)
    .bind(w.credit_limit)
    .bind(w.created_at)
    .execute(&mut *conn)
    .await?;
    let anchor: i64 = sqlx::query_scalar("SELECT created_at FROM organizations WHERE id = $1")
        .bind(w.org_id.as_str())
        .fetch_one(&mut *conn)
        .await?;
    crate::credits::queries::open_ledger(conn, &w.id, &w.org_id, w.credit_limit, anchor, w.created_at).await
}

pub async fn update_workspace(conn: &mut Conn, w: &WorkspaceRow, now: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE workspaces SET name = $2, credit_limit = $3, updated_at = $4 WHERE id = $1")
        .bind(w.id.as_str())
        .bind(&w.name)
        .bind(w.credit_limit)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    crate::credits::queries::set_limit(conn, &w.id, w.credit_limit, now).await
}
