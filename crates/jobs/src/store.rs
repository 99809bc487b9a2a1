//! The `jobs` table: queueing, claiming under a lease and recording outcomes, in SQL that runs
//! unchanged on SQLite and PostgreSQL through `sqlx::Any`.
//!
//! A job is pending while `done_at` and `failed_at` are both NULL; it is due when `run_at` has
//! passed and no lease holds it (`leased_until` NULL or past). Every claim counts an attempt, and
//! an attempt's outcome is recorded only if the row still carries that attempt.

use std::collections::HashSet;

use sqlx::{AnyConnection, AnyPool};

use crate::{now_ms, Enqueued, Job, NewJob};

/// Inserts one job on the caller's connection or transaction, so that it exists if and only if
/// that transaction commits. A job whose dedup key is taken is not inserted:
/// [`Enqueued::Duplicate`].
#[tracing::instrument(skip_all, fields(kind = %job.kind))]
pub async fn enqueue(conn: &mut AnyConnection, job: &NewJob) -> Result<Enqueued, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO jobs (id, kind, payload, dedup_key, created_at, run_at, attempts) \
         VALUES ($1, $2, $3, $4, $5, $6, 0) ON CONFLICT (dedup_key) DO NOTHING",
    )
    .bind(&job.id)
    .bind(&job.kind)
    .bind(&job.payload)
    .bind(&job.dedup_key)
    .bind(now_ms())
    .bind(job.run_at)
    .execute(&mut *conn)
    .await?;
    let enqueued = if done.rows_affected() == 1 { Enqueued::New } else { Enqueued::Duplicate };
    tracing::debug!(job_id = %job.id, ?enqueued, "job queued");
    Ok(enqueued)
}

/// Rows per INSERT of [`enqueue_many`], as mail's outbox: a thousand make the round trips
/// negligible; 6 parameters a row stay far below SQLite's 32,766 and PostgreSQL's 65,535.
const JOBS_PER_STATEMENT: usize = 1_000;

/// [`enqueue`] for many jobs, with multi-row INSERTs on the caller's connection or transaction.
/// Answers, in the order of `jobs`, which were inserted and which were duplicates (of a job
/// already queued or of one earlier in `jobs`).
#[tracing::instrument(skip_all, fields(n = jobs.len()))]
pub async fn enqueue_many(conn: &mut AnyConnection, jobs: &[NewJob]) -> Result<Vec<Enqueued>, sqlx::Error> {
    let sqlite = conn.backend_name() == "SQLite";
    let now = now_ms();
    let mut enqueued = Vec::with_capacity(jobs.len());
    for chunk in jobs.chunks(JOBS_PER_STATEMENT) {
        // Without dedup keys nothing can be a duplicate (another conflict is an error): the ids
        // inserted need not come back.
        let returning = chunk.iter().any(|j| j.dedup_key.is_some());
        let sql = insert_many_sql(sqlite, chunk.len(), returning);
        // A full chunk's SQL recurs and is worth caching; another width is prepared for this use.
        let persistent = chunk.len() == JOBS_PER_STATEMENT || chunk.len() <= 16;
        if returning {
            let mut query = sqlx::query_scalar::<_, String>(&sql).persistent(persistent);
            for j in chunk {
                query = query.bind(&j.id).bind(&j.kind).bind(&j.payload).bind(&j.dedup_key).bind(now).bind(j.run_at);
            }
            let inserted: HashSet<String> = query.fetch_all(&mut *conn).await?.into_iter().collect();
            enqueued.extend(chunk.iter().map(|j| {
                if inserted.contains(&j.id) {
                    Enqueued::New
                } else {
                    Enqueued::Duplicate
                }
            }));
        } else {
            let mut query = sqlx::query(&sql).persistent(persistent);
            for j in chunk {
                query = query.bind(&j.id).bind(&j.kind).bind(&j.payload).bind(&j.dedup_key).bind(now).bind(j.run_at);
            }
            query.execute(&mut *conn).await?;
            enqueued.extend(chunk.iter().map(|_| Enqueued::New));
        }
    }
    tracing::debug!(jobs = jobs.len(), "jobs queued");
    Ok(enqueued)
}

/// The INSERT of `rows` jobs. SQLite gets anonymous `?` placeholders: it keeps `$n` as named
/// parameters and binding each walks the list of names, O(n²) for a wide statement.
fn insert_many_sql(sqlite: bool, rows: usize, returning: bool) -> String {
    let mut sql = String::from("INSERT INTO jobs (id, kind, payload, dedup_key, created_at, run_at, attempts) VALUES ");
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        if sqlite {
            sql.push_str("(?, ?, ?, ?, ?, ?, 0)");
        } else {
            let p: Vec<String> = (r * 6 + 1..=r * 6 + 6).map(|i| format!("${i}")).collect();
            sql.push_str(&format!("({}, 0)", p.join(", ")));
        }
    }
    sql.push_str(" ON CONFLICT (dedup_key) DO NOTHING");
    if returning {
        sql.push_str(" RETURNING id");
    }
    sql
}

/// How many jobs of `kind` are neither done nor given up (for metrics).
pub async fn backlog(pool: &AnyPool, kind: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE kind = $1 AND done_at IS NULL AND failed_at IS NULL")
        .bind(kind)
        .fetch_one(pool)
        .await
}

/// Leases up to `limit` due jobs of `kind` to `owner` until `lease_until`, counting the attempt;
/// oldest due first.
///
/// Two statements: the due ids, then the lease on those ids by primary key. (As one
/// `UPDATE … WHERE id IN (SELECT … LIMIT n)`, PostgreSQL planning on stale statistics re-ran the
/// sub-select once per due row, which made draining a backlog quadratic; see mail's history.)
///
/// The predicates are repeated in the `UPDATE` on purpose: when two runners pick the same ids,
/// PostgreSQL re-checks the `WHERE` on the row the first one updated, sees the lease in the future
/// and skips it. SQLite serialises writers, so the question does not arise.
pub(crate) async fn claim_due(
    pool: &AnyPool,
    kind: &str,
    owner: &str,
    now_ms: i64,
    lease_until: i64,
    limit: i64,
) -> Result<Vec<Job>, sqlx::Error> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM jobs WHERE kind = $1 AND done_at IS NULL AND failed_at IS NULL AND run_at <= $2 \
         AND (leased_until IS NULL OR leased_until <= $3) ORDER BY run_at LIMIT $4",
    )
    .bind(kind)
    .bind(now_ms)
    .bind(now_ms)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list: Vec<String> = (0..ids.len()).map(|i| format!("${}", i + 5)).collect();
    let sql = format!(
        "UPDATE jobs SET attempts = attempts + 1, leased_until = $1, lease_owner = $2 \
         WHERE id IN ({}) AND done_at IS NULL AND failed_at IS NULL AND run_at <= $3 \
         AND (leased_until IS NULL OR leased_until <= $4) \
         RETURNING id, kind, payload, attempts, created_at, run_at, leased_until",
        list.join(", ")
    );
    let mut query = sqlx::query_as::<_, Job>(&sql).bind(lease_until).bind(owner).bind(now_ms).bind(now_ms);
    for id in &ids {
        query = query.bind(id);
    }
    let mut claimed = query.fetch_all(pool).await?;
    claimed.sort_by(|a, b| (a.run_at, &a.id).cmp(&(b.run_at, &b.id)));
    Ok(claimed)
}

/// Records success. Unconditional on the attempt: work that was done is done, whoever holds the
/// lease now (its own outcome is then ignored).
pub(crate) async fn mark_done(pool: &AnyPool, job: &Job, now_ms: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE jobs SET done_at = $1, leased_until = NULL, lease_owner = NULL \
         WHERE id = $2 AND done_at IS NULL",
    )
    .bind(now_ms)
    .bind(&job.id)
    .execute(pool)
    .await?;
    Ok(())
}

/// Records a failed attempt and when to try again, if the row still carries this attempt.
pub(crate) async fn mark_retry(pool: &AnyPool, job: &Job, error: &str, run_at: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE jobs SET last_error = $1, run_at = $2, leased_until = NULL, lease_owner = NULL \
         WHERE id = $3 AND attempts = $4 AND done_at IS NULL AND failed_at IS NULL",
    )
    .bind(error)
    .bind(run_at)
    .bind(&job.id)
    .bind(job.attempts)
    .execute(pool)
    .await?;
    Ok(())
}

/// Gives up on a job, if the row still carries this attempt: it leaves the backlog with
/// `failed_at` set.
pub(crate) async fn mark_failed(pool: &AnyPool, job: &Job, error: &str, now_ms: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE jobs SET last_error = $1, failed_at = $2, leased_until = NULL, lease_owner = NULL \
         WHERE id = $3 AND attempts = $4 AND done_at IS NULL AND failed_at IS NULL",
    )
    .bind(error)
    .bind(now_ms)
    .bind(&job.id)
    .bind(job.attempts)
    .execute(pool)
    .await?;
    Ok(())
}

/// Hands back a claimed job that was not started (its lease ran out first): due again at once,
/// the attempt not counted.
pub(crate) async fn release(pool: &AnyPool, job: &Job) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE jobs SET attempts = attempts - 1, leased_until = NULL, lease_owner = NULL \
         WHERE id = $1 AND attempts = $2 AND done_at IS NULL AND failed_at IS NULL",
    )
    .bind(&job.id)
    .bind(job.attempts)
    .execute(pool)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_multi_row_insert_numbers_six_parameters_a_row() {
        assert_eq!(
            insert_many_sql(false, 2, true),
            "INSERT INTO jobs (id, kind, payload, dedup_key, created_at, run_at, attempts) \
             VALUES ($1, $2, $3, $4, $5, $6, 0), ($7, $8, $9, $10, $11, $12, 0) \
             ON CONFLICT (dedup_key) DO NOTHING RETURNING id"
        );
        assert!(insert_many_sql(true, 2, false)
            .ends_with("VALUES (?, ?, ?, ?, ?, ?, 0), (?, ?, ?, ?, ?, ?, 0) ON CONFLICT (dedup_key) DO NOTHING"));
    }
}
