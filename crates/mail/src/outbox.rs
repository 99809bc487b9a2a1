//! The `outbox` table: queueing, claiming and recording the fate of messages, in SQL that runs
//! unchanged on SQLite and PostgreSQL through `sqlx::Any`.

use sqlx::{AnyConnection, AnyPool};

use crate::Envelope;

/// Inserts one message into the outbox on the caller's connection or transaction, so that it is
/// sent if and only if that transaction commits. Returns the message's id (a UUIDv7).
#[tracing::instrument(skip_all)]
pub async fn enqueue(conn: &mut AnyConnection, envelope: &Envelope, now_ms: i64) -> Result<String, sqlx::Error> {
    let id = uuid::Uuid::now_v7().to_string();
    sqlx::query(
        "INSERT INTO outbox \
         (id, recipient, subject, text_body, html_body, created_at, attempts, next_attempt_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 0, $7)",
    )
    .bind(&id)
    .bind(&envelope.to)
    .bind(&envelope.subject)
    .bind(&envelope.text)
    .bind(&envelope.html)
    .bind(now_ms)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    tracing::debug!(outbox_id = %id, "mail queued");
    Ok(id)
}

/// Rows per INSERT of [`enqueue_many`]: a thousand messages make the round trips negligible;
/// wider statements would only hold more memory. 7 parameters a row stays far below SQLite's
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
                .bind(now_ms)
                .bind(now_ms);
        }
        query.execute(&mut *conn).await?;
    }
    tracing::debug!(messages = ids.len(), "mail queued");
    Ok(ids)
}

/// The INSERT of `rows` messages. SQLite gets anonymous `?` placeholders: it keeps `$n` as named
/// parameters and binding each walks the list of names, O(n²) for a wide statement. (The server's
/// `store::multi_row` does the same for its tables; this crate sits below it and owns `outbox`.)
fn insert_many_sql(sqlite: bool, rows: usize) -> String {
    let mut sql = String::from(
        "INSERT INTO outbox (id, recipient, subject, text_body, html_body, created_at, attempts, next_attempt_at) VALUES ",
    );
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        if sqlite {
            sql.push_str("(?, ?, ?, ?, ?, ?, 0, ?)");
        } else {
            let p: Vec<String> = (r * 7 + 1..=r * 7 + 7).map(|i| format!("${i}")).collect();
            sql.push_str(&format!("({}, 0, {})", p[..6].join(", "), p[6]));
        }
    }
    sql
}

/// How many messages are neither sent nor given up (for metrics).
pub async fn backlog(pool: &AnyPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL").fetch_one(pool).await
}

/// A message this worker holds the lease on.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct Claimed {
    pub id: String,
    pub recipient: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub created_at: i64,
    /// Including this attempt.
    pub attempts: i64,
}

/// Leases up to `limit` due messages until `lease_until`, counting the attempt.
///
/// Two statements: the due ids, then the lease on those ids by primary key. (As one
/// `UPDATE … WHERE id IN (SELECT … LIMIT n)`, PostgreSQL planning on statistics older than the
/// backlog re-ran the sub-select once per due row: ~100 ms to claim 20 of 4,000, so delivering
/// a backlog took time quadratic in its length.)
///
/// The predicates are repeated in the `UPDATE` on purpose: when two workers pick the same ids,
/// PostgreSQL re-checks the `WHERE` on the row the first one updated, sees the lease in the future
/// and skips it. SQLite serialises writers, so the question does not arise.
pub(crate) async fn claim_due(
    pool: &AnyPool,
    now_ms: i64,
    lease_until: i64,
    limit: i64,
) -> Result<Vec<Claimed>, sqlx::Error> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1 \
         ORDER BY next_attempt_at LIMIT $2",
    )
    .bind(now_ms)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list: Vec<String> = (0..ids.len()).map(|i| format!("${}", i + 3)).collect();
    let sql = format!(
        "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $1 \
         WHERE id IN ({}) AND sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $2 \
         RETURNING id, recipient, subject, text_body, html_body, created_at, attempts",
        list.join(", ")
    );
    let mut query = sqlx::query_as(&sql).bind(lease_until).bind(now_ms);
    for id in &ids {
        query = query.bind(id);
    }
    query.fetch_all(pool).await
}

/// Records a delivery. Unconditional on the attempt: a message that went out is sent, whoever
/// holds the lease now.
pub(crate) async fn mark_sent(pool: &AnyPool, id: &str, now_ms: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE outbox SET sent_at = $1 WHERE id = $2 AND sent_at IS NULL")
        .bind(now_ms)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Records a failed attempt and when to try again. Only if the row still carries our attempt:
/// a newer claim's outcome is not overwritten.
pub(crate) async fn mark_retry(
    pool: &AnyPool,
    claimed: &Claimed,
    error: &str,
    next_attempt_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE outbox SET last_error = $1, next_attempt_at = $2 \
         WHERE id = $3 AND attempts = $4 AND sent_at IS NULL",
    )
    .bind(error)
    .bind(next_attempt_at)
    .bind(&claimed.id)
    .bind(claimed.attempts)
    .execute(pool)
    .await?;
    Ok(())
}

/// Gives up on a message: it leaves the backlog with `failed_at` set.
pub(crate) async fn mark_failed(
    pool: &AnyPool,
    claimed: &Claimed,
    error: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE outbox SET last_error = $1, failed_at = $2 \
         WHERE id = $3 AND attempts = $4 AND sent_at IS NULL",
    )
    .bind(error)
    .bind(now_ms)
    .bind(&claimed.id)
    .bind(claimed.attempts)
    .execute(pool)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_multi_row_insert_numbers_seven_parameters_a_row() {
        assert_eq!(
            insert_many_sql(false, 2),
            "INSERT INTO outbox (id, recipient, subject, text_body, html_body, created_at, attempts, next_attempt_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 0, $7), ($8, $9, $10, $11, $12, $13, 0, $14)"
        );
        assert!(insert_many_sql(true, 2).ends_with("VALUES (?, ?, ?, ?, ?, ?, 0, ?), (?, ?, ?, ?, ?, ?, 0, ?)"));
    }
}
