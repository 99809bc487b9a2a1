//! API keys: found by their public prefix, verified by the hash of the whole key.

use sqlx::FromRow;

use crate::kernel::sql::Conn;

#[derive(Debug, Clone, FromRow)]
pub struct ApiKeyRow {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub prefix: String,
    pub secret_hash: String,
    pub role: String,
    pub workspace_id: Option<String>,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

const COLUMNS: &str =
    "id, org_id, name, prefix, secret_hash, role, workspace_id, created_by, created_at, expires_at, revoked_at, last_used_at";

pub async fn by_prefix(conn: &mut Conn, prefix: &str) -> sqlx::Result<Option<ApiKeyRow>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM api_keys WHERE prefix = $1")).bind(prefix).fetch_optional(conn).await
}

pub async fn by_id(conn: &mut Conn, org_id: &str, id: &str) -> sqlx::Result<Option<ApiKeyRow>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM api_keys WHERE org_id = $1 AND id = $2"))
        .bind(org_id)
        .bind(id)
        .fetch_optional(conn)
        .await
}

pub async fn list(conn: &mut Conn, org_id: &str) -> sqlx::Result<Vec<ApiKeyRow>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM api_keys WHERE org_id = $1 ORDER BY id DESC"))
        .bind(org_id)
        .fetch_all(conn)
        .await
}

pub async fn insert(conn: &mut Conn, k: &ApiKeyRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO api_keys (id, org_id, name, prefix, secret_hash, role, workspace_id, created_by, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&k.id)
    .bind(&k.org_id)
    .bind(&k.name)
    .bind(&k.prefix)
    .bind(&k.secret_hash)
    .bind(&k.role)
    .bind(&k.workspace_id)
    .bind(&k.created_by)
    .bind(k.created_at)
    .bind(k.expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn revoke(conn: &mut Conn, id: &str, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
        .bind(id)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn touch(conn: &mut Conn, id: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE api_keys SET last_used_at = $2 WHERE id = $1").bind(id).bind(now).execute(conn).await?;
    Ok(())
}
