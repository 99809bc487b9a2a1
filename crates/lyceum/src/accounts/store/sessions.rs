//! Server-side sessions, found by the hash of their token.

use lyceum_domain::id::UserId;
use sqlx::FromRow;

use crate::kernel::sql::Conn;

pub async fn insert(
    conn: &mut Conn,
    token_hash: &str,
    user_id: &UserId,
    now: i64,
    expires_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $3, $4)",
    )
    .bind(token_hash)
    .bind(user_id.as_str())
    .bind(now)
    .bind(expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// A live session: its user, last-seen time and absolute expiry.
#[derive(Debug, FromRow)]
pub struct LiveSession {
    #[sqlx(try_from = "String")]
    pub user_id: UserId,
    pub last_seen_at: i64,
    pub expires_at: i64,
}

/// The session, if it has not passed its absolute expiry.
pub async fn find_live(conn: &mut Conn, token_hash: &str, now: i64) -> sqlx::Result<Option<LiveSession>> {
    sqlx::query_as("SELECT user_id, last_seen_at, expires_at FROM sessions WHERE token_hash = $1 AND expires_at > $2")
        .bind(token_hash)
        .bind(now)
        .fetch_optional(conn)
        .await
}

pub async fn touch(conn: &mut Conn, token_hash: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1")
        .bind(token_hash)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn delete(conn: &mut Conn, token_hash: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(conn).await?;
    Ok(())
}

/// Ends every session of a user except `keep` (after a password or email change).
pub async fn delete_others(conn: &mut Conn, user_id: &UserId, keep: Option<&str>) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
        .bind(user_id.as_str())
        .bind(keep.unwrap_or(""))
        .execute(conn)
        .await?;
    Ok(())
}
