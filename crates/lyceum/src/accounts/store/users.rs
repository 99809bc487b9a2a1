//! Users: global accounts.

use lyceum_domain::id::UserId;
use sqlx::FromRow;

use crate::kernel::sql::Conn;

#[derive(Debug, Clone, FromRow)]
pub struct UserRow {
    #[sqlx(try_from = "String")]
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub username: Option<String>,
    pub password_hash: String,
    pub instance_admin: i64,
}

const COLUMNS: &str = "id, email, name, username, password_hash, instance_admin";

pub async fn by_email(conn: &mut Conn, email: &str) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM users WHERE email = $1")).bind(email).fetch_optional(conn).await
}

pub async fn by_id(conn: &mut Conn, id: &UserId) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM users WHERE id = $1")).bind(id.as_str()).fetch_optional(conn).await
}

/// Users whose email is in `emails` (already normalised).
pub async fn by_emails(conn: &mut Conn, emails: &[String]) -> sqlx::Result<Vec<UserRow>> {
    let mut out = Vec::with_capacity(emails.len());
    for chunk in emails.chunks(500) {
        let sql =
            format!("SELECT {COLUMNS} FROM users WHERE email IN ({})", crate::kernel::db::placeholders(1, chunk.len()));
        let mut q = sqlx::query_as(&sql);
        for e in chunk {
            q = q.bind(e);
        }
        out.extend(q.fetch_all(&mut *conn).await?);
    }
    Ok(out)
}

pub struct NewUser<'a> {
    pub id: &'a UserId,
    pub email: &'a str,
    pub name: &'a str,
    pub password_hash: &'a str,
    pub instance_admin: bool,
}

pub async fn insert(conn: &mut Conn, u: &NewUser<'_>, now: i64) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO users (id, email, name, username, password_hash, instance_admin, created_at, updated_at) \
         VALUES ($1, $2, $3, NULL, $4, $5, $6, $6)",
    )
    .bind(u.id.as_str())
    .bind(u.email)
    .bind(u.name)
    .bind(u.password_hash)
    .bind(i64::from(u.instance_admin))
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Writes the profile fields of a user (all of them; the caller merged the change).
pub async fn update_profile(conn: &mut Conn, u: &UserRow, now: i64) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE users SET email = $2, name = $3, username = $4, password_hash = $5, updated_at = $6 WHERE id = $1",
    )
    .bind(u.id.as_str())
    .bind(&u.email)
    .bind(&u.name)
    .bind(&u.username)
    .bind(&u.password_hash)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_instance_admin(conn: &mut Conn, id: &UserId, now: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET instance_admin = 1, updated_at = $2 WHERE id = $1")
        .bind(id.as_str())
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}
