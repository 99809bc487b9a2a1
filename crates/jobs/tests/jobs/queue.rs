//! Enqueueing on a transaction, claiming under leases by racing runners, a runner dying mid-job,
//! retries, giving up, de-duplication.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lyceum_jobs::{backlog, enqueue, enqueue_many, Enqueued, Job, JobError, JobOptions, NewJob, RetryPolicy, Runner};

use crate::support::{now_ms, TestDb};

const KIND: &str = "test";

fn options(retry: RetryPolicy) -> JobOptions {
    JobOptions { retry, ..JobOptions::default() }
}

fn exact(max_attempts: i64) -> RetryPolicy {
    RetryPolicy { max_attempts, initial: Duration::from_secs(2), max: Duration::from_secs(3600), jitter: 0.0 }
}

/// A runner of `KIND` whose handler succeeds and counts the runs of each job id.
fn counting_runner(pool: sqlx::AnyPool, runs: Arc<Mutex<HashMap<String, usize>>>) -> Runner {
    Runner::new(pool).register(KIND, JobOptions::default(), move |job: Job| {
        let runs = Arc::clone(&runs);
        async move {
            *runs.lock().unwrap().entry(job.id).or_default() += 1;
            Ok(())
        }
    })
}

#[tokio::test]
async fn racing_runners_run_each_job_exactly_once() {
    let db = TestDb::new().await;
    let jobs: Vec<NewJob> = (0..60).map(|n| NewJob::new(KIND, format!("{{\"n\":{n}}}"), now_ms())).collect();
    let mut tx = db.pool.begin().await.unwrap();
    enqueue_many(&mut tx, &jobs).await.unwrap();
    tx.commit().await.unwrap();

    // Each run is recorded; a job started while it is already running is a violation.
    let runs: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let running: Arc<Mutex<HashSet<String>>> = Arc::default();
    let overlaps: Arc<Mutex<Vec<String>>> = Arc::default();
    let runner = |pool: sqlx::AnyPool| {
        let (runs, running, overlaps) = (Arc::clone(&runs), Arc::clone(&running), Arc::clone(&overlaps));
        let batch = JobOptions { batch: 5, ..JobOptions::default() };
        Runner::new(pool).register(KIND, batch, move |job: Job| {
            let (runs, running, overlaps) = (Arc::clone(&runs), Arc::clone(&running), Arc::clone(&overlaps));
            async move {
                if !running.lock().unwrap().insert(job.id.clone()) {
                    overlaps.lock().unwrap().push(job.id.clone());
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
                running.lock().unwrap().remove(&job.id);
                *runs.lock().unwrap().entry(job.id).or_default() += 1;
                Ok(())
            }
        })
    };
    // Two server instances: their own pools.
    let (a, b) = (runner(TestDb::connect(&db.url).await), runner(TestDb::connect(&db.url).await));
    assert_ne!(a.lease_owner(), b.lease_owner());
    let (shutdown, shutdown_rx) = tokio::sync::watch::channel(false);
    let running_a = tokio::spawn(a.run(shutdown_rx.clone()));
    let running_b = tokio::spawn(b.run(shutdown_rx));

    tokio::time::timeout(Duration::from_secs(60), async {
        while backlog(&db.pool, KIND).await.unwrap() > 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the runners drain the queue");
    shutdown.send(true).unwrap();
    running_a.await.unwrap();
    running_b.await.unwrap();

    assert!(overlaps.lock().unwrap().is_empty(), "run twice at once: {:?}", overlaps.lock().unwrap());
    let runs = runs.lock().unwrap().clone();
    assert_eq!(runs.len(), jobs.len());
    for job in &jobs {
        assert_eq!(runs.get(&job.id), Some(&1), "{} ran {:?} times", job.id, runs.get(&job.id));
        let row = db.row(&job.id).await;
        assert_eq!(row.attempts, 1, "{} was claimed twice", job.id);
        assert!(row.done_at.is_some());
        assert_eq!((row.leased_until, row.lease_owner), (None, None), "the lease is released");
    }
}

#[tokio::test]
async fn a_job_held_by_a_dead_runner_runs_again_elsewhere_when_its_lease_runs_out() {
    let db = TestDb::new().await;
    let job = NewJob::new(KIND, "{}", now_ms());
    db.enqueue_committed(&job).await;

    // Runner A claims the job and dies while running it.
    let started = Arc::new(tokio::sync::Notify::new());
    let lease = Duration::from_secs(3);
    let a = {
        let started = Arc::clone(&started);
        Runner::new(TestDb::connect(&db.url).await).register(
            KIND,
            JobOptions { lease, ..JobOptions::default() },
            move |_job: Job| {
                let started = Arc::clone(&started);
                async move {
                    started.notify_one();
                    std::future::pending::<()>().await;
                    Ok(())
                }
            },
        )
    };
    let owner_a = a.lease_owner().to_owned();
    let pass_a = tokio::spawn(async move { a.run_due().await });
    started.notified().await;
    pass_a.abort();
    assert!(pass_a.await.unwrap_err().is_cancelled());
    let held = db.row(&job.id).await;
    assert_eq!((held.attempts, held.lease_owner.as_deref(), held.done_at), (1, Some(owner_a.as_str()), None));
    let leased_until = held.leased_until.unwrap();

    // Runner B, another instance, leaves it alone while the lease holds, then takes it over.
    let runs: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let attempts_seen = Arc::new(AtomicI64::new(0));
    let b = {
        let (runs, attempts_seen) = (Arc::clone(&runs), Arc::clone(&attempts_seen));
        Runner::new(TestDb::connect(&db.url).await).register(KIND, JobOptions::default(), move |job: Job| {
            let (runs, attempts_seen) = (Arc::clone(&runs), Arc::clone(&attempts_seen));
            async move {
                attempts_seen.store(job.attempts, Ordering::SeqCst);
                *runs.lock().unwrap().entry(job.id).or_default() += 1;
                Ok(())
            }
        })
    };
    let early = b.run_due().await.unwrap();
    assert!(now_ms() < leased_until, "the check ran within the lease");
    assert_eq!(early.claimed, 0, "leased by runner A");
    assert_eq!(backlog(&db.pool, KIND).await.unwrap(), 1);

    tokio::time::sleep(Duration::from_millis(u64::try_from(leased_until - now_ms()).unwrap_or(0) + 50)).await;
    let pass = b.run_due().await.unwrap();
    assert_eq!((pass.claimed, pass.done), (1, 1));
    assert_eq!(runs.lock().unwrap().get(&job.id), Some(&1));
    assert_eq!(attempts_seen.load(Ordering::SeqCst), 2, "the second attempt");
    let row = db.row(&job.id).await;
    assert_eq!(row.attempts, 2);
    assert!(row.done_at.is_some());
    assert_eq!(backlog(&db.pool, KIND).await.unwrap(), 0);
}

#[tokio::test]
async fn a_failing_job_backs_off_with_jitter_then_succeeds() {
    let db = TestDb::new().await;
    let job = NewJob::new(KIND, "{}", now_ms());
    db.enqueue_committed(&job).await;
    let policy = RetryPolicy { jitter: 0.5, ..exact(5) };
    let calls = Arc::new(AtomicI64::new(0));
    let runner = {
        let calls = Arc::clone(&calls);
        Runner::new(db.pool.clone()).register(KIND, options(policy), move |job: Job| {
            let calls = Arc::clone(&calls);
            async move {
                let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
                assert_eq!(job.attempts, n, "the handler sees its attempt");
                if n < 3 {
                    Err(JobError::retry(format!("boom {n}")))
                } else {
                    Ok(())
                }
            }
        })
    };

    for (attempt, backoff_ms) in [(1, 2_000), (2, 4_000)] {
        let before = now_ms();
        let pass = runner.run_due().await.unwrap();
        let after = now_ms();
        assert_eq!((pass.claimed, pass.retried, pass.done), (1, 1, 0));
        let row = db.row(&job.id).await;
        assert_eq!(row.attempts, attempt);
        assert_eq!(row.last_error.as_deref(), Some(format!("boom {attempt}").as_str()));
        assert_eq!((row.leased_until, row.done_at, row.failed_at), (None, None, None));
        // Jitter takes off up to half of the delay, never adds to it.
        assert!(
            (before + backoff_ms / 2..=after + backoff_ms).contains(&row.run_at),
            "attempt {attempt}: run at {} not {backoff_ms} ms (−50%) after {before}..{after}",
            row.run_at
        );
        assert_eq!(runner.run_due().await.unwrap().claimed, 0, "not due before its backoff");
        db.backoff_passes().await;
    }

    let pass = runner.run_due().await.unwrap();
    assert_eq!((pass.claimed, pass.done), (1, 1));
    let row = db.row(&job.id).await;
    assert_eq!(row.attempts, 3);
    assert!(row.done_at.is_some());
    db.backoff_passes().await;
    assert_eq!(runner.run_due().await.unwrap().claimed, 0, "a done job never runs again");
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_retry_after_overrides_the_backoff() {
    let db = TestDb::new().await;
    let job = NewJob::new(KIND, "{}", now_ms());
    db.enqueue_committed(&job).await;
    let runner = Runner::new(db.pool.clone()).register(KIND, options(exact(5)), |_job: Job| async {
        Err(JobError::retry_after("429 Too Many Requests", Duration::from_secs(600)))
    });
    let before = now_ms();
    runner.run_due().await.unwrap();
    let row = db.row(&job.id).await;
    assert!((before + 600_000..=now_ms() + 600_000).contains(&row.run_at), "{}", row.run_at);
}

#[tokio::test]
async fn a_permanent_error_gives_up_at_once() {
    let db = TestDb::new().await;
    let job = NewJob::new(KIND, "not json", now_ms());
    db.enqueue_committed(&job).await;
    let runner = Runner::new(db.pool.clone()).register(KIND, options(exact(5)), |job: Job| async move {
        let _: serde_json::Value = job.json()?;
        Ok(())
    });

    let pass = runner.run_due().await.unwrap();
    assert_eq!((pass.claimed, pass.failed, pass.retried), (1, 1, 0));
    let row = db.row(&job.id).await;
    assert_eq!(row.attempts, 1);
    assert!(row.failed_at.is_some());
    assert!(row.last_error.unwrap().starts_with("invalid payload"));
    assert_eq!(backlog(&db.pool, KIND).await.unwrap(), 0);
    db.backoff_passes().await;
    assert_eq!(runner.run_due().await.unwrap().claimed, 0, "a given-up job never runs again");
}

#[tokio::test]
async fn retries_stop_after_max_attempts_and_panics_count_as_failures() {
    let db = TestDb::new().await;
    let job = NewJob::new(KIND, "{}", now_ms());
    db.enqueue_committed(&job).await;
    let runner = Runner::new(db.pool.clone()).register(KIND, options(exact(2)), |job: Job| async move {
        if job.attempts == 1 {
            panic!("handler bug");
        }
        Err(JobError::retry("still down"))
    });

    assert_eq!(runner.run_due().await.unwrap().retried, 1);
    assert_eq!(db.row(&job.id).await.last_error.as_deref(), Some("the handler panicked"));
    db.backoff_passes().await;
    assert_eq!(runner.run_due().await.unwrap().failed, 1);
    let row = db.row(&job.id).await;
    assert_eq!((row.attempts, row.last_error.as_deref()), (2, Some("still down")));
    assert!(row.failed_at.is_some(), "given up after max_attempts");
    db.backoff_passes().await;
    assert_eq!(runner.run_due().await.unwrap().claimed, 0);
}

#[tokio::test]
async fn a_job_outliving_its_lease_is_cancelled_and_retried() {
    let db = TestDb::new().await;
    let job = NewJob::new(KIND, "{}", now_ms());
    db.enqueue_committed(&job).await;
    let finished = Arc::new(AtomicI64::new(0));
    let runner = {
        let finished = Arc::clone(&finished);
        let options = JobOptions { lease: Duration::from_millis(300), ..options(exact(5)) };
        Runner::new(db.pool.clone()).register(KIND, options, move |_job: Job| {
            let finished = Arc::clone(&finished);
            async move {
                tokio::time::sleep(Duration::from_secs(30)).await;
                finished.store(1, Ordering::SeqCst);
                Ok(())
            }
        })
    };
    let pass = tokio::time::timeout(Duration::from_secs(10), runner.run_due()).await.unwrap().unwrap();
    assert_eq!((pass.claimed, pass.retried), (1, 1));
    let row = db.row(&job.id).await;
    assert_eq!(row.last_error.as_deref(), Some("still running when its lease ran out"));
    assert_eq!((row.done_at, row.leased_until), (None, None));
    assert_eq!(finished.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_dedup_key_queues_a_job_at_most_once() {
    let db = TestDb::new().await;
    let key = "invoice-run:2026-12:org_1";
    let first = NewJob::new(KIND, "{}", now_ms()).dedup(key);
    assert_eq!(db.enqueue_committed(&first).await, Enqueued::New);
    assert_eq!(db.enqueue_committed(&NewJob::new(KIND, "{}", now_ms()).dedup(key)).await, Enqueued::Duplicate);

    // A key queued in a rolled-back transaction is free again.
    let mut tx = db.pool.begin().await.unwrap();
    assert_eq!(enqueue(&mut tx, &NewJob::new(KIND, "{}", now_ms()).dedup("k2")).await.unwrap(), Enqueued::New);
    tx.rollback().await.unwrap();
    assert_eq!(db.enqueue_committed(&NewJob::new(KIND, "{}", now_ms()).dedup("k2")).await, Enqueued::New);

    // In a batch: against the table, within the batch (across its 1,000-row statements), and
    // jobs without a key, which never collide.
    let mut batch: Vec<NewJob> = (0..2_500).map(|_| NewJob::new(KIND, "{}", now_ms())).collect();
    batch[10] = batch[10].clone().dedup(key);
    batch[20] = batch[20].clone().dedup("k3");
    batch[1_500] = batch[1_500].clone().dedup("k3");
    batch[2_400] = batch[2_400].clone().dedup("k4");
    let mut tx = db.pool.begin().await.unwrap();
    let enqueued = enqueue_many(&mut tx, &batch).await.unwrap();
    tx.commit().await.unwrap();
    let duplicates: Vec<usize> = (0..batch.len()).filter(|&i| enqueued[i] == Enqueued::Duplicate).collect();
    assert_eq!(duplicates, vec![10, 1_500]);
    assert_eq!(db.count("SELECT COUNT(*) FROM jobs").await, 2 + 2_500 - 2);
    assert_eq!(db.count(&format!("SELECT COUNT(*) FROM jobs WHERE dedup_key = '{key}'")).await, 1);
    let stored: Option<String> =
        sqlx::query_scalar("SELECT id FROM jobs WHERE dedup_key = 'k3'").fetch_optional(&db.pool).await.unwrap();
    assert_eq!(stored, Some(batch[20].id.clone()), "the first of the batch is kept");

    // Each queued job runs once.
    let runs: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let runner = counting_runner(db.pool.clone(), Arc::clone(&runs));
    while runner.run_due().await.unwrap().claimed > 0 {}
    assert_eq!(runs.lock().unwrap().len(), 2 + 2_500 - 2);
    assert!(runs.lock().unwrap().values().all(|&n| n == 1));
}

#[tokio::test]
async fn jobs_exist_only_if_their_transaction_commits() {
    let db = TestDb::new().await;
    let jobs: Vec<NewJob> = (0..1_200).map(|_| NewJob::new(KIND, "{}", now_ms())).collect();
    let mut tx = db.pool.begin().await.unwrap();
    enqueue(&mut tx, &NewJob::new(KIND, "{}", now_ms())).await.unwrap();
    assert!(enqueue_many(&mut tx, &[]).await.unwrap().is_empty());
    assert_eq!(enqueue_many(&mut tx, &jobs).await.unwrap(), vec![Enqueued::New; jobs.len()]);
    tx.rollback().await.unwrap();
    assert_eq!(backlog(&db.pool, KIND).await.unwrap(), 0);

    let mut tx = db.pool.begin().await.unwrap();
    enqueue_many(&mut tx, &jobs).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(backlog(&db.pool, KIND).await.unwrap(), 1_200);
    let rows: Vec<(String, String, String, i64)> =
        sqlx::query_as("SELECT id, kind, payload, attempts FROM jobs ORDER BY id").fetch_all(&db.pool).await.unwrap();
    let mut expected: Vec<_> = jobs.iter().map(|j| (j.id.clone(), j.kind.clone(), j.payload.clone(), 0)).collect();
    expected.sort();
    assert_eq!(rows, expected);
}

#[tokio::test]
async fn a_runner_claims_only_its_kinds_and_only_due_jobs() {
    let db = TestDb::new().await;
    let later = NewJob::new(KIND, "{}", now_ms() + 3_600_000);
    for job in [NewJob::new(KIND, "{}", now_ms()), NewJob::new(KIND, "{}", now_ms()), later.clone()] {
        db.enqueue_committed(&job).await;
    }
    let other = NewJob::new("webhook", "{}", now_ms());
    db.enqueue_committed(&other).await;
    let runs: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let runner = counting_runner(db.pool.clone(), Arc::clone(&runs));
    assert_eq!(runner.kinds().collect::<Vec<_>>(), vec![KIND]);

    let pass = runner.run_due().await.unwrap();
    assert_eq!((pass.claimed, pass.done, pass.full), (2, 2, false));
    assert!(!runs.lock().unwrap().contains_key(&later.id), "not before its run_at");
    assert!(!runs.lock().unwrap().contains_key(&other.id), "another kind");
    assert_eq!(backlog(&db.pool, KIND).await.unwrap(), 1);
    assert_eq!(backlog(&db.pool, "webhook").await.unwrap(), 1);
    assert_eq!(db.row(&other.id).await.attempts, 0);
}

#[tokio::test]
async fn the_runner_runs_when_notified_and_stops_on_shutdown() {
    let db = TestDb::new().await;
    let runs: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    // It never polls within the test: only a wake-up makes it look again.
    let runner = counting_runner(db.pool.clone(), Arc::clone(&runs)).with_poll(Duration::from_secs(3600));
    let notifier = runner.notifier();
    // Queued before it starts: its first pass, at start-up, runs it; then it waits.
    let first = NewJob::new(KIND, "{}", now_ms());
    db.enqueue_committed(&first).await;
    let (shutdown, shutdown_rx) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(runner.run(shutdown_rx));
    let ran = |id: String| {
        let runs = Arc::clone(&runs);
        async move {
            tokio::time::timeout(Duration::from_secs(5), async {
                while !runs.lock().unwrap().contains_key(&id) {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            })
            .await
            .is_ok()
        }
    };
    assert!(ran(first.id).await, "run at start-up");

    let second = NewJob::new(KIND, "{}", now_ms());
    db.enqueue_committed(&second).await;
    notifier.notify_one();
    assert!(ran(second.id).await, "run once notified");

    shutdown.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(5), running).await.expect("the runner stops on shutdown").unwrap();
}

#[test]
fn json_payloads_round_trip() {
    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct Reminder {
        user: String,
    }
    let job = NewJob::json("reminder", &Reminder { user: "u1".into() }, 5).unwrap();
    assert_eq!((job.kind.as_str(), job.payload.as_str(), job.run_at), ("reminder", r#"{"user":"u1"}"#, 5));
    let claimed = Job {
        id: job.id,
        kind: job.kind,
        payload: job.payload,
        attempts: 1,
        created_at: 0,
        run_at: 5,
        leased_until: 10,
    };
    assert_eq!(claimed.json::<Reminder>().unwrap(), Reminder { user: "u1".into() });
}
