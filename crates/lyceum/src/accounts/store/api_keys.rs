//! API keys: found by their public prefix, verified by the hash of the whole key.

use lyceum_domain::id::{ApiKeyId, OrgId, UserId};
use lyceum_domain::{OrgRole, WorkspaceRole};
use sqlx::any::AnyRow;
use sqlx::{FromRow, Row as _};

use crate::kernel::sql::{typed, typed_opt, Conn};
use crate::kernel::KeyRole;

#[derive(Debug, Clone)]
pub struct ApiKeyRow {
    pub id: ApiKeyId,
    pub org_id: OrgId,
    pub name: String,
    pub prefix: String,
    pub secret_hash: String,
    /// An organisation role, or a workspace role bound to its workspace (stored as `role` and
    /// `workspace_id`).
    pub role: KeyRole,
    pub created_by: UserId,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

impl FromRow<'_, AnyRow> for ApiKeyRow {
    fn from_row(row: &AnyRow) -> sqlx::Result<Self> {
        let role = match typed_opt(row, "workspace_id")? {
            Some(ws) => KeyRole::Workspace(ws, typed::<WorkspaceRole>(row, "role")?),
            None => KeyRole::Org(typed::<OrgRole>(row, "role")?),
        };
        Ok(ApiKeyRow {
            id: typed(row, "id")?,
            org_id: typed(row, "org_id")?,
            name: row.try_get("name")?,
            prefix: row.try_get("prefix")?,
            secret_hash: row.try_get("secret_hash")?,
            role,
            created_by: typed(row, "created_by")?,
            created_at: row.try_get("created_at")?,
            expires_at: row.try_get("expires_at")?,
            revoked_at: row.try_get("revoked_at")?,
            last_used_at: row.try_get("last_used_at")?,
        })
    }
}

const COLUMNS: &str =
    "id, org_id, name, prefix, secret_hash, role, workspace_id, created_by, created_at, expires_at, revoked_at, last_used_at";

pub async fn by_prefix(conn: &mut Conn, prefix: &str) -> sqlx::Result<Option<ApiKeyRow>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM api_keys WHERE prefix = $1")).bind(prefix).fetch_optional(conn).await
}

pub async fn by_id(conn: &mut Conn, org_id: &OrgId, id: &ApiKeyId) -> sqlx::Result<Option<ApiKeyRow>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM api_keys WHERE org_id = $1 AND id = $2"))
        .bind(org_id.as_str())
        .bind(id.as_str())
        .fetch_optional(conn)
        .await
}

pub async fn list(conn: &mut Conn, org_id: &OrgId) -> sqlx::Result<Vec<ApiKeyRow>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM api_keys WHERE org_id = $1 ORDER BY id DESC"))
        .bind(org_id.as_str())
        .fetch_all(conn)
        .await
}

pub async fn insert(conn: &mut Conn, k: &ApiKeyRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO api_keys (id, org_id, name, prefix, secret_hash, role, workspace_id, created_by, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(k.id.as_str())
    .bind(k.org_id.as_str())
    .bind(&k.name)
    .bind(&k.prefix)
    .bind(&k.secret_hash)
    .bind(k.role.role_name())
    .bind(k.role.workspace_id().map(|w| w.as_str().to_owned()))
    .bind(k.created_by.as_str())
    .bind(k.created_at)
    .bind(k.expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn revoke(conn: &mut Conn, id: &ApiKeyId, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
        .bind(id.as_str())
        .bind(now)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn touch(conn: &mut Conn, id: &ApiKeyId, now: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE api_keys SET last_used_at = $2 WHERE id = $1")
        .bind(id.as_str())
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}
