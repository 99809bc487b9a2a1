//! The migration that introduced `jobs`, on a database holding mail from before it: each outbox
//! message's scheduling state becomes its job's, and the outbox keeps the message only.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use lyceum_jobs::{backlog, Job, JobOptions, Runner};

use crate::support::{now_ms, TestDb};

const JOBS_MIGRATION: i64 = 20261202000001;

/// An outbox row's scheduling before the migration: (id, attempts, next_attempt_at, sent_at,
/// failed_at, last_error).
type OldRow = (&'static str, i64, i64, Option<i64>, Option<i64>, Option<&'static str>);

#[derive(Debug, PartialEq, Eq, sqlx::FromRow)]
struct JobRow {
    id: String,
    kind: String,
    payload: String,
    created_at: i64,
    run_at: i64,
    attempts: i64,
    leased_until: Option<i64>,
    done_at: Option<i64>,
    failed_at: Option<i64>,
    last_error: Option<String>,
}

#[tokio::test]
async fn outbox_scheduling_moves_into_jobs() {
    let db = TestDb::empty().await;
    db.migrate(Some(JOBS_MIGRATION)).await;
    let now = now_ms();
    let lease_end = now + 15 * 60 * 1000;
    let old: [OldRow; 5] = [
        ("pending", 0, now - 10, None, None, None),
        ("leased", 1, lease_end, None, None, None),
        ("retrying", 2, now - 5, None, None, Some("smtp: connection refused")),
        ("sent", 1, now - 100, Some(now - 90), None, None),
        ("failed", 3, now - 100, None, Some(now - 80), Some("invalid recipient address")),
    ];
    for (n, (id, attempts, next_attempt_at, sent_at, failed_at, last_error)) in old.iter().enumerate() {
        sqlx::query(
            "INSERT INTO outbox (id, recipient, subject, text_body, html_body, created_at, attempts, \
             next_attempt_at, sent_at, failed_at, last_error) VALUES ($1, $2, 'Hi', 'text', '<p>html</p>', $3, $4, $5, $6, $7, $8)",
        )
        .bind(id)
        .bind(format!("{id}@example.com"))
        .bind(now - 1_000 + n as i64)
        .bind(attempts)
        .bind(next_attempt_at)
        .bind(sent_at)
        .bind(failed_at)
        .bind(last_error)
        .execute(&db.pool)
        .await
        .unwrap();
    }

    db.migrate(None).await;

    let rows: Vec<JobRow> = sqlx::query_as(
        "SELECT id, kind, payload, created_at, run_at, attempts, leased_until, done_at, failed_at, last_error \
         FROM jobs ORDER BY created_at",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let expected: Vec<JobRow> = old
        .iter()
        .enumerate()
        .map(|(n, (id, attempts, next_attempt_at, sent_at, failed_at, last_error))| JobRow {
            id: (*id).to_owned(),
            kind: "mail".to_owned(),
            payload: String::new(),
            created_at: now - 1_000 + n as i64,
            run_at: *next_attempt_at,
            attempts: *attempts,
            leased_until: None,
            done_at: *sent_at,
            failed_at: *failed_at,
            last_error: last_error.map(str::to_owned),
        })
        .collect();
    assert_eq!(rows, expected);

    let messages: Vec<(String, String, String, String, String, i64)> = sqlx::query_as(
        "SELECT id, recipient, subject, text_body, html_body, created_at FROM outbox ORDER BY created_at",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(messages.len(), 5);
    assert_eq!(
        messages[0],
        ("pending".into(), "pending@example.com".into(), "Hi".into(), "text".into(), "<p>html</p>".into(), now - 1_000)
    );
    for column in ["attempts", "next_attempt_at", "sent_at", "failed_at", "last_error"] {
        let read = sqlx::query(&format!("SELECT {column} FROM outbox")).fetch_all(&db.pool).await;
        assert!(read.is_err(), "outbox.{column} is dropped");
    }

    // Pending is what neither went out nor was given up; due is that minus the leased one.
    assert_eq!(backlog(&db.pool, "mail").await.unwrap(), 3);
    let runs: Arc<Mutex<HashMap<String, i64>>> = Arc::default();
    let runner = {
        let runs = Arc::clone(&runs);
        Runner::new(db.pool.clone()).register("mail", JobOptions::default(), move |job: Job| {
            let runs = Arc::clone(&runs);
            async move {
                runs.lock().unwrap().insert(job.id, job.attempts);
                Ok(())
            }
        })
    };
    runner.run_due().await.unwrap();
    let runs = runs.lock().unwrap().clone();
    assert_eq!(runs, HashMap::from([("pending".to_owned(), 1), ("retrying".to_owned(), 3)]));
}
