//! The `outbox` table holds the messages; each has a job of kind [`KIND`] with the same id, which
//! schedules its delivery (`lyceum_jobs`). SQL that runs unchanged on SQLite and PostgreSQL
//! through `sqlx::Any`.

use lyceum_jobs::NewJob;
use sqlx::{AnyConnection, AnyPool};

use crate::Envelope;

/// The job kind of a message's delivery.
pub const KIND: &str = "mail";

/// The delivery job of the message `id`, due at `now_ms`. Its payload is empty: the message is
/// the outbox row of the same id.
fn job(id: &str, now_ms: i64) -> NewJob {
    NewJob { id: id.to_owned(), kind: KIND.to_owned(), payload: String::new(), run_at: now_ms, dedup_key: None }
}

/// Inserts one message into the outbox on the caller's connection or transaction, so that it is
/// sent if and only if that transaction commits. Returns the message's id (a UUIDv7).
#[tracing::instrument(skip_all)]
pub async fn enqueue(conn: &mut AnyConnection, envelope: &Envelope, now_ms: i64) -> Result<String, sqlx::Error> {
    let id = uuid::Uuid::now_v7().to_string();
    sqlx::query(
        "INSERT INTO outbox (id, recipient, subject, text_body, html_body, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&id)
    .bind(&envelope.to)
    .bind(&envelope.subject)
    .bind(&envelope.text)
    .bind(&envelope.html)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    lyceum_jobs::enqueue(conn, &job(&id, now_ms)).await?;
    tracing::debug!(outbox_id = %id, "mail queued");
    Ok(id)
}

/// Rows per INSERT of [`enqueue_many`]: a thousand messages make the round trips negligible;
/// wider statements would only hold more memory. 6 parameters a row stays far below SQLite's
/// 32,766 and PostgreSQL's 65,535.
const MESSAGES_PER_STATEMENT: usize = 1_000;

/// [`enqueue`] for many messages, with multi-row INSERTs on the caller's connection or
/// transaction: all are sent if and only if that transaction commits. Returns their ids
/// (UUIDv7, ascending) in the order of `envelopes`.
#[tracing::instrument(skip_all, fields(n = envelopes.len()))]
pub async fn enqueue_many(
    conn: &mut AnyConnection,
    envelopes: &[Envelope],
    now_ms: i64,
) -> Result<Vec<String>, sqlx::Error> {
    let sqlite = conn.backend_name() == "SQLite";
    let ids: Vec<String> = envelopes.iter().map(|_| uuid::Uuid::now_v7().to_string()).collect();
    for (chunk, chunk_ids) in envelopes.chunks(MESSAGES_PER_STATEMENT).zip(ids.chunks(MESSAGES_PER_STATEMENT)) {
        let sql = insert_many_sql(sqlite, chunk.len());
        // A full chunk's SQL recurs and is worth caching; another width is prepared for this use.
        let mut query = sqlx::query(&sql).persistent(chunk.len() == MESSAGES_PER_STATEMENT || chunk.len() <= 16);
        for (envelope, id) in chunk.iter().zip(chunk_ids) {
            query = query
                .bind(id)
                .bind(&envelope.to)
                .bind(&envelope.subject)
                .bind(&envelope.text)
                .bind(&envelope.html)
                .bind(now_ms);
        }
        query.execute(&mut *conn).await?;
    }
    let jobs: Vec<NewJob> = ids.iter().map(|id| job(id, now_ms)).collect();
    lyceum_jobs::enqueue_many(conn, &jobs).await?;
    tracing::debug!(messages = ids.len(), "mail queued");
    Ok(ids)
}

/// The INSERT of `rows` messages. SQLite gets anonymous `?` placeholders: it keeps `$n` as named
/// parameters and binding each walks the list of names, O(n²) for a wide statement. (The server's
/// `store::multi_row` does the same for its tables; this crate sits below it and owns `outbox`.)
fn insert_many_sql(sqlite: bool, rows: usize) -> String {
    let mut sql = String::from("INSERT INTO outbox (id, recipient, subject, text_body, html_body, created_at) VALUES ");
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        if sqlite {
            sql.push_str("(?, ?, ?, ?, ?, ?)");
        } else {
            let p: Vec<String> = (r * 6 + 1..=r * 6 + 6).map(|i| format!("${i}")).collect();
            sql.push_str(&format!("({})", p.join(", ")));
        }
    }
    sql
}

/// How many messages are neither sent nor given up (for metrics).
pub async fn backlog(pool: &AnyPool) -> Result<i64, sqlx::Error> {
    lyceum_jobs::backlog(pool, KIND).await
}

/// A queued message, as its job loads it.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct Stored {
    pub id: String,
    pub recipient: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub created_at: i64,
}

/// The message of the mail job `id`; `None` if there is none.
pub(crate) async fn load(pool: &AnyPool, id: &str) -> Result<Option<Stored>, sqlx::Error> {
    sqlx::query_as("SELECT id, recipient, subject, text_body, html_body, created_at FROM outbox WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_multi_row_insert_numbers_six_parameters_a_row() {
        assert_eq!(
            insert_many_sql(false, 2),
            "INSERT INTO outbox (id, recipient, subject, text_body, html_body, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6), ($7, $8, $9, $10, $11, $12)"
        );
        assert!(insert_many_sql(true, 2).ends_with("VALUES (?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?)"));
    }
}
