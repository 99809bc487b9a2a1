//! Crash safety (the AI calls killed between reserve and settle are `credits.rs`): the real `lyceum`
//! binary is killed with SIGKILL in the middle of a bulk removal of
//! 5,000 workspace members and of a 5,000-address invitation batch, at several points spread over
//! the operation's measured duration. After each kill the server is restarted on the same
//! database, and the operation must be applied entirely or not at all — members, invitations,
//! outbox rows and audit events agreeing — with `lyceum audit verify` passing. The outbox then
//! delivers every committed email exactly once (`<data dir>/outbox/<outbox id>.eml`, the
//! `Message-ID` keyed by the outbox id), also when the server is killed while delivering.
//!
//! What is tested is the death of the server process, not of the machine: the data dir lives on
//! tmpfs when there is one, and PostgreSQL connections use `synchronous_commit=off`. Neither
//! changes what survives a SIGKILL of our process (the kernel's page cache and the PostgreSQL
//! server both outlive it); both keep the ~10^4 single-row commits of delivery inside the time
//! budget. Durability against power loss is `synchronous=FULL`/fsync's job, not this test's.
//! A killed worker's claimed messages (at most 20) wait for their 15-minute lease to run out;
//! rather than wait, the test ends the leases (the `mail` jobs' `run_at = 0, leased_until = NULL`) while the server is down.
//!
//! `LYCEUM_TEST_DATABASE_URL=postgres://…` runs it on PostgreSQL (a schema of its own).
//! Figures are printed (`cargo test --test crash -- --nocapture`). The harness's pieces (the
//! per-test PostgreSQL schema, the client, the server's clock) are `lyceum-test-support`'s.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{HashMap, HashSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use lyceum_test_support::database::{self, PgSchema};
use lyceum_test_support::server::{migrated_pool, now_ms, sqlite_url_in};
use lyceum_test_support::{Client, PASSWORD};
use serde_json::{json, Value};
use sqlx::{AnyPool, Connection, Executor};

mod credits;

const BIN: &str = env!("CARGO_BIN_EXE_lyceum");
/// Members removed at once, and addresses invited at once.
const N: usize = 5_000;

// ---------------------------------------------------------------------------------------------
// The database and data dir of one scenario, and the server processes started on them.

struct Store {
    root: tempfile::TempDir,
    data_dir: PathBuf,
    /// The test's own connections' URL.
    test_url: String,
    /// `--database-url` for the server; `None` is SQLite in the data dir.
    server_url: Option<String>,
    /// The test's own connections (reads, seeding, lease fast-forward).
    pool: AnyPool,
    /// Set on PostgreSQL: the server's connections carry it, to see their open transactions.
    application_name: Option<String>,
    starts: usize,
    /// Time spent starting servers and verifying the audit trail (figures).
    start_time: Duration,
    verify_time: Duration,
    _pg: Option<PgSchema>,
}

impl Store {
    async fn new() -> Store {
        sqlx::any::install_default_drivers();
        let shm = Path::new("/dev/shm");
        let root = if shm.is_dir() { tempfile::tempdir_in(shm) } else { tempfile::tempdir() }.unwrap();
        let data_dir = root.path().join("data");
        std::fs::create_dir_all(&data_dir).unwrap();
        let (test_url, server_url, application_name, pg) = match database::postgres_admin_url() {
            Some(admin_url) => {
                let schema = PgSchema::create(&admin_url, "crash_").await;
                let url = schema.url(&[("synchronous_commit", "off")]);
                let server_url = format!("{url}&application_name={}", schema.name());
                (url, Some(server_url), Some(schema.name().to_owned()), Some(schema))
            }
            None => (sqlite_url_in(&data_dir), None, None, None),
        };
        let pool = migrated_pool(&test_url, 3).await;
        Store {
            root,
            data_dir,
            test_url,
            server_url,
            pool,
            application_name,
            starts: 0,
            start_time: Duration::ZERO,
            verify_time: Duration::ZERO,
            _pg: pg,
        }
    }

    fn backend(&self) -> &'static str {
        if self.server_url.is_some() {
            "postgres"
        } else {
            "sqlite"
        }
    }

    /// Starts `lyceum serve` on a free port and waits until it answers.
    async fn start(&mut self) -> Server {
        let begin = Instant::now();
        let server = self.try_start().await;
        self.start_time += begin.elapsed();
        server
    }

    async fn try_start(&mut self) -> Server {
        for _ in 0..5 {
            self.starts += 1;
            let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            let log_path = self.root.path().join(format!("server-{}.log", self.starts));
            let log = std::fs::File::create(&log_path).unwrap();
            let mut cmd = Command::new(BIN);
            cmd.arg("serve")
                .arg("--data-dir")
                .arg(&self.data_dir)
                .args(["--listen", &format!("127.0.0.1:{port}")])
                .args(["--signup-rate-per-ip", "100000", "--login-rate-per-ip", "100000"])
                .args(["--login-rate-per-account", "100000", "--invite-rate-per-actor", "100000"])
                .args(["--max-invitation-batch", "10000", "--db-connections", "4"])
                .env_remove("LYCEUM_DATABASE_URL")
                .env_remove("LYCEUM_SMTP_URL")
                .env_remove("LYCEUM_BASE_URL")
                .env("RUST_LOG", "warn")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log);
            if let Some(url) = &self.server_url {
                cmd.arg("--database-url").arg(url);
            }
            let mut child = cmd.spawn().unwrap();
            let base = format!("http://127.0.0.1:{port}");
            let http = reqwest::Client::new();
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                if child.try_wait().unwrap().is_some() {
                    // Most likely the port was taken in between: try another.
                    break;
                }
                if let Ok(r) = http.get(format!("{base}/healthz")).send().await {
                    if r.status().is_success() {
                        return Server { child, base };
                    }
                }
                assert!(Instant::now() < deadline, "server did not start: {}", read_log(&log_path));
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            eprintln!("server exited at start: {}", read_log(&log_path));
        }
        panic!("could not start the server");
    }

    /// `lyceum audit verify` on this store must succeed.
    fn audit_verify(&mut self) {
        let begin = Instant::now();
        let mut cmd = Command::new(BIN);
        cmd.args(["audit", "verify", "--data-dir"]).arg(&self.data_dir).env_remove("LYCEUM_DATABASE_URL");
        if let Some(url) = &self.server_url {
            cmd.arg("--database-url").arg(url);
        }
        let out = cmd.env("RUST_LOG", "warn").output().unwrap();
        assert!(
            out.status.success(),
            "audit verify failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        self.verify_time += begin.elapsed();
    }

    /// Where the time went, for the figures.
    fn overheads(&self) -> String {
        format!(
            "{} server starts took {:.1} s, audit verify {:.1} s",
            self.starts,
            self.start_time.as_secs_f64(),
            self.verify_time.as_secs_f64()
        )
    }

    async fn count(&self, sql: &str, binds: &[&str]) -> i64 {
        let mut q = sqlx::query_scalar(sql);
        for b in binds {
            q = q.bind(*b);
        }
        q.fetch_one(&self.pool).await.unwrap()
    }

    async fn strings(&self, sql: &str, binds: &[&str]) -> Vec<String> {
        let mut q = sqlx::query_scalar(sql);
        for b in binds {
            q = q.bind(*b);
        }
        q.fetch_all(&self.pool).await.unwrap()
    }

    async fn audit_head(&self, org: &str) -> i64 {
        self.count("SELECT seq FROM audit_heads WHERE chain = $1", &[org]).await
    }

    /// Is a write transaction of the server open right now? PostgreSQL: a server connection's
    /// transaction has written (it has a transaction id). SQLite: the database's write lock is
    /// held. Both start with the first statement of a change, the organisation's lock. (The mail
    /// worker's one-statement updates count too, when they happen to run at that instant.)
    async fn writer_busy(&self, probe: &mut sqlx::AnyConnection) -> bool {
        match &self.application_name {
            Some(name) => {
                let n: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = $1 AND backend_xid IS NOT NULL",
                )
                .bind(name)
                .fetch_one(&mut *probe)
                .await
                .unwrap();
                n > 0
            }
            None => match probe.execute("BEGIN IMMEDIATE").await {
                Ok(_) => {
                    probe.execute("ROLLBACK").await.unwrap();
                    false
                }
                Err(_) => true,
            },
        }
    }

    /// A connection for [`Store::writer_busy`]: on SQLite it must not wait for the lock.
    async fn probe_connection(&self) -> sqlx::AnyConnection {
        let mut c = sqlx::AnyConnection::connect(&self.test_url).await.unwrap();
        if self.server_url.is_none() {
            c.execute("PRAGMA busy_timeout = 0").await.unwrap();
        }
        c
    }

    /// A killed worker's leases run 15 minutes; let them run out now (the server is down).
    async fn expire_leases(&self) {
        sqlx::query("UPDATE jobs SET run_at = 0, leased_until = NULL WHERE kind = 'mail' AND done_at IS NULL AND failed_at IS NULL")
            .execute(&self.pool)
            .await
            .unwrap();
    }

    fn outbox_dir(&self) -> PathBuf {
        self.data_dir.join("outbox")
    }

    /// The `.eml` files delivered, by outbox id (the file stem); and leftover temporary files.
    fn delivered(&self) -> (Vec<String>, usize) {
        let mut eml = Vec::new();
        let mut tmp = 0;
        if let Ok(dir) = std::fs::read_dir(self.outbox_dir()) {
            for e in dir.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if let Some(stem) = name.strip_suffix(".eml") {
                    eml.push(stem.to_owned());
                } else if name.ends_with(".tmp") {
                    tmp += 1;
                }
            }
        }
        (eml, tmp)
    }
}

fn read_log(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// A running `lyceum serve`; killed with SIGKILL when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    /// `kill -9` and reap.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// Setting up an organisation.

struct Org {
    id: String,
    ws: String,
    /// An owner-role API key: valid across restarts, whatever the port.
    key: String,
}

async fn create_org(server: &Server) -> Org {
    let c = Client::anonymous(&server.base);
    let r = c
        .post("/api/v1/auth/signup", json!({"email": "owner@crash.example", "password": PASSWORD, "name": "Owner"}))
        .await;
    assert_eq!(r.status, 201);
    let r = c
        .post("/api/v1/orgs", json!({"name": "Crash Co", "plan": "enterprise", "seats": 1_000_000, "credit_pool": 0}))
        .await;
    assert_eq!(r.status, 201);
    let id = r.json["id"].as_str().unwrap().to_owned();
    let ws = r.json["workspaces"][0]["id"].as_str().unwrap().to_owned();
    let r = c.post(&format!("/api/v1/orgs/{id}/api-keys"), json!({"name": "crash test", "role": "owner"})).await;
    assert_eq!(r.status, 201);
    Org { id, ws, key: r.json["key"].as_str().unwrap().to_owned() }
}

/// Inserts `N` accounts, guests of the organisation, in one transaction; returns their ids.
async fn seed_people(store: &Store, org: &Org) -> Vec<String> {
    let ids: Vec<String> = (0..N).map(|_| uuid::Uuid::now_v7().to_string()).collect();
    let now = now_ms();
    let mut tx = store.pool.begin().await.unwrap();
    for (chunk_no, chunk) in ids.chunks(500).enumerate() {
        let users: Vec<String> = chunk
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let n = chunk_no * 500 + i;
                format!("('{id}', 'member{n}@crash.example', 'Member {n}', 'not-a-password-hash', {now}, {now})")
            })
            .collect();
        tx.execute(&*format!(
            "INSERT INTO users (id, email, name, password_hash, created_at, updated_at) VALUES {}",
            users.join(", ")
        ))
        .await
        .unwrap();
        let members: Vec<String> =
            chunk.iter().map(|id| format!("('{}', '{id}', 'guest', 'accepted', {now}, {now})", org.id)).collect();
        tx.execute(&*format!(
            "INSERT INTO org_members (org_id, user_id, role, status, created_at, updated_at) VALUES {}",
            members.join(", ")
        ))
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    ids
}

/// Makes every seeded person a learner of the workspace again, in one transaction.
async fn seed_workspace(store: &Store, org: &Org, ids: &[String]) {
    let now = now_ms();
    let mut tx = store.pool.begin().await.unwrap();
    for chunk in ids.chunks(500) {
        let rows: Vec<String> = chunk
            .iter()
            .map(|id| format!("('{}', '{id}', '{}', 'learner', 'accepted', {now}, {now})", org.ws, org.id))
            .collect();
        tx.execute(&*format!(
            "INSERT INTO workspace_members (workspace_id, user_id, org_id, role, status, created_at, updated_at) \
             VALUES {}",
            rows.join(", ")
        ))
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

// ---------------------------------------------------------------------------------------------
// Firing an operation and killing the server while it runs.

/// What happened to one request.
struct Fired {
    /// When the server was killed, after the request started; `None`: not killed.
    killed_at: Option<Duration>,
    /// A write transaction of the server was open just before the kill.
    writer_busy: bool,
    /// The answer arrived before the kill.
    answered: bool,
    elapsed: Duration,
}

/// Sends `body` to `path` and, with `kill_after`, kills the server that long after sending.
async fn fire(
    store: &Store,
    server: Server,
    org: &Org,
    path: &str,
    body: Value,
    kill_after: Option<Duration>,
) -> (Fired, Option<Server>) {
    let http = reqwest::Client::new();
    let mut probe = store.probe_connection().await;
    let request = http.post(format!("{}{path}", server.base)).bearer_auth(&org.key).json(&body);
    let start = Instant::now();
    let task = tokio::spawn(async move {
        let r = request.send().await.ok()?;
        let status = r.status().as_u16();
        let json: Value = r.json().await.ok()?;
        Some((status, json))
    });
    match kill_after {
        None => {
            let (status, json) = task.await.unwrap().expect("no answer");
            let elapsed = start.elapsed();
            assert_eq!(status, 200, "{json}");
            (Fired { killed_at: None, writer_busy: false, answered: true, elapsed }, Some(server))
        }
        Some(delay) => {
            tokio::time::sleep_until((start + delay).into()).await;
            let writer_busy = store.writer_busy(&mut probe).await;
            let answered = task.is_finished();
            let killed_at = start.elapsed();
            server.kill();
            let answer = task.await.unwrap();
            if answered {
                let (status, json) = answer.expect("answered before the kill");
                assert_eq!(status, 200, "{json}");
            }
            (Fired { killed_at: Some(killed_at), writer_busy, answered, elapsed: killed_at }, None)
        }
    }
}

/// Fails a wait when its count has not moved for 30 s (a slow machine is not a stall).
struct Progress {
    last: Option<usize>,
    since: Instant,
}

impl Progress {
    fn new() -> Progress {
        Progress { last: None, since: Instant::now() }
    }

    fn check(&mut self, count: usize, what: &str) {
        if self.last != Some(count) {
            (self.last, self.since) = (Some(count), Instant::now());
        }
        assert!(self.since.elapsed() < Duration::from_secs(30), "{what} stalled at {count}");
    }
}

/// One kill's line in the figures.
fn row(fired: &Fired, asked: Duration, outcome: &str) -> String {
    format!(
        "  kill at {:>9} (asked {:>9}): write transaction open: {:5}, answered before the kill: {:5} -> {outcome}",
        ms(fired.killed_at.unwrap_or_default()),
        ms(asked),
        fired.writer_busy,
        fired.answered
    )
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// Kill points: `fractions` of the uncrashed duration, after a kill at 0 ms.
fn kill_points(uncrashed: Duration, fractions: &[f64]) -> Vec<Duration> {
    let mut points = vec![Duration::ZERO];
    points.extend(fractions.iter().map(|f| uncrashed.mul_f64(*f)));
    points
}

// ---------------------------------------------------------------------------------------------
// The scenarios. They run one after the other: the kill points are fractions of a measured
// duration, which a neighbour competing for the two cores would distort.

static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Bulk removal of 5,000 workspace members, killed at several points.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_bulk_removal_is_all_or_nothing() {
    let _serial = SERIAL.lock().await;
    let started = Instant::now();
    let mut store = Store::new().await;
    let backend = store.backend();
    let mut server = store.start().await;
    let org = create_org(&server).await;
    let ids = seed_people(&store, &org).await;
    seed_workspace(&store, &org, &ids).await;
    let learners = "SELECT COUNT(*) FROM workspace_members WHERE workspace_id = $1 AND role = 'learner'";
    assert_eq!(store.count(learners, &[&org.ws]).await, N as i64);
    let path = format!("/api/v1/workspaces/{}/members/remove", org.ws);
    let body = json!({ "user_ids": ids });
    let seeded_at = started.elapsed();

    // Uncrashed, to know how long the operation takes.
    let (fired, s) = fire(&store, server, &org, &path, body.clone(), None).await;
    server = s.unwrap();
    let uncrashed = fired.elapsed;
    assert_eq!(store.count(learners, &[&org.ws]).await, 0);
    seed_workspace(&store, &org, &ids).await;

    let points = kill_points(uncrashed, &[0.2, 0.45, 0.7, 0.95, 1.2]);
    let (mut applied, mut not_applied, mut busy) = (0, 0, 0);
    let mut rows = Vec::new();
    for delay in &points {
        let head = store.audit_head(&org.id).await;
        let (fired, _) = fire(&store, server, &org, &path, body.clone(), Some(*delay)).await;
        server = store.start().await;

        let left = store.count(learners, &[&org.ws]).await;
        let events = store
            .strings(
                &format!("SELECT target_id FROM audit_events WHERE chain = $1 AND seq > {head} AND action = 'member.removed'"),
                &[&org.id],
            )
            .await;
        // Nothing else happened in the organisation meanwhile.
        let all_events = store.count("SELECT seq FROM audit_heads WHERE chain = $1", &[&org.id]).await - head;
        let outcome = if left == 0 {
            applied += 1;
            let removed: HashSet<&String> = events.iter().collect();
            assert_eq!((events.len(), removed.len(), all_events), (N, N, N as i64), "applied, but not audited");
            assert_eq!(removed, ids.iter().collect::<HashSet<_>>());
            "applied"
        } else {
            not_applied += 1;
            assert_eq!(left, N as i64, "PARTIAL removal after a kill at {}", ms(*delay));
            assert_eq!((events.len(), all_events), (0, 0), "not applied, but audited");
            "not applied"
        };
        assert!(!fired.answered || left == 0, "answered 200 but not applied");
        busy += usize::from(fired.writer_busy);
        store.audit_verify();
        rows.push(row(&fired, *delay, outcome));
        if left == 0 {
            seed_workspace(&store, &org, &ids).await;
        }
    }
    drop(server);
    println!(
        "crash[{backend}] bulk removal of {N} members: seeded in {}, uncrashed {}; {} kills: {applied} applied, \
         {not_applied} not applied, 0 partial, {busy} with a write transaction open; audit verify passed after \
         each; total {:.1} s ({})\n{}",
        ms(seeded_at),
        ms(uncrashed),
        points.len(),
        started.elapsed().as_secs_f64(),
        store.overheads(),
        rows.join("\n")
    );
}

/// A 5,000-address invitation batch: delivery of a committed batch killed three times while it
/// writes messages; then the batch killed at several points; every committed invitation is
/// mailed exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_invitation_batch_is_all_or_nothing_and_mailed_exactly_once() {
    let _serial = SERIAL.lock().await;
    let started = Instant::now();
    let mut store = Store::new().await;
    let backend = store.backend();
    let mut server = store.start().await;
    let org = create_org(&server).await;
    let path = format!("/api/v1/workspaces/{}/invitations", org.ws);
    let batch = |round: usize| -> Value {
        let emails: Vec<String> = (0..N).map(|i| format!("person{i}@round{round}.crash.example")).collect();
        json!({"emails": emails, "role": "learner"})
    };
    let pattern = |round: usize| format!("%@round{round}.crash.example");
    let invitations = "SELECT COUNT(*) FROM invitations WHERE org_id = $1 AND email LIKE $2";
    let outbox_rows = "SELECT COUNT(*) FROM outbox WHERE recipient LIKE $1";
    let sent = "SELECT COUNT(*) FROM jobs WHERE kind = 'mail' AND done_at IS NOT NULL";

    // Uncrashed, to know how long the operation takes; its 5,000 emails go out at once.
    let (fired, s) = fire(&store, server, &org, &path, batch(0), None).await;
    server = s.unwrap();
    let uncrashed = fired.elapsed;
    let calibrated_at = started.elapsed();
    assert_eq!(store.count(invitations, &[&org.id, &pattern(0)]).await, N as i64);
    assert_eq!(store.count(outbox_rows, &[&pattern(0)]).await, N as i64);
    let mut committed = 1;

    // Killed while delivering them, after 500, 1,000 and 1,500 messages (the rest goes out
    // while the batches below are fired and killed).
    let mut delivery_rows = Vec::new();
    for target in [500, 1000, 1500] {
        let mut progress = Progress::new();
        loop {
            let files = store.delivered().0.len();
            if files >= target {
                break;
            }
            progress.check(files, "delivery");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        server.kill();
        let (files, tmp) = store.delivered();
        let recorded = store.count(sent, &[]).await;
        // Written but not recorded as sent (killed in between): they go out again, to the same file.
        let unsent: HashSet<String> = store
            .strings("SELECT id FROM jobs WHERE kind = 'mail' AND done_at IS NULL", &[])
            .await
            .into_iter()
            .collect();
        let again = files.iter().filter(|f| unsent.contains(*f)).count();
        assert!(recorded < N as i64, "killed after delivery, not during it");
        delivery_rows.push(format!(
            "  killed while delivering: {} .eml files, {recorded} rows recorded sent, {again} written but not \
             recorded, {tmp} temporary files",
            files.len()
        ));
        store.expire_leases().await;
        server = store.start().await;
    }

    let delivery_kills_done = started.elapsed();

    // The batch killed at several points of its transaction.
    let points = kill_points(uncrashed, &[0.3, 0.65, 1.0]);
    let (mut applied, mut not_applied, mut busy) = (0, 0, 0);
    let mut rows = Vec::new();
    for (i, delay) in points.iter().enumerate() {
        let round = i + 1;
        let head = store.audit_head(&org.id).await;
        let (fired, _) = fire(&store, server, &org, &path, batch(round), Some(*delay)).await;
        // The worker was delivering too: its leases run out.
        store.expire_leases().await;
        server = store.start().await;

        let invited = store.count(invitations, &[&org.id, &pattern(round)]).await;
        let queued = store.count(outbox_rows, &[&pattern(round)]).await;
        let events = store
            .strings(
                &format!("SELECT target_id FROM audit_events WHERE chain = $1 AND seq > {head} AND action = 'invitation.sent'"),
                &[&org.id],
            )
            .await;
        let all_events = store.count("SELECT seq FROM audit_heads WHERE chain = $1", &[&org.id]).await - head;
        let outcome = if invited == N as i64 {
            applied += 1;
            committed += 1;
            assert_eq!((queued, events.len(), all_events), (N as i64, N, N as i64), "invitations without mail/audit");
            let ids: HashSet<String> = store
                .strings("SELECT id FROM invitations WHERE org_id = $1 AND email LIKE $2", &[&org.id, &pattern(round)])
                .await
                .into_iter()
                .collect();
            assert_eq!(events.into_iter().collect::<HashSet<_>>(), ids, "every invitation has its event");
            "applied"
        } else {
            not_applied += 1;
            assert_eq!(invited, 0, "PARTIAL invitation batch after a kill at {}", ms(*delay));
            assert_eq!((queued, events.len(), all_events), (0, 0, 0), "not applied, but mail or audit left");
            "not applied"
        };
        assert!(!fired.answered || invited == N as i64, "answered 200 but not applied");
        busy += usize::from(fired.writer_busy);
        store.audit_verify();
        rows.push(row(&fired, *delay, outcome));
    }
    let atomicity_done = started.elapsed();

    // The window between writing a file and recording it, made certain: 100 delivered messages
    // are marked unsent, as a kill in that window leaves them. They are delivered again.
    let total = store.count("SELECT COUNT(*) FROM outbox", &[]).await;
    assert_eq!(total, committed * N as i64, "one message per committed invitation");
    server.kill();
    let redo = store
        .strings("SELECT id FROM jobs WHERE kind = 'mail' AND done_at IS NOT NULL ORDER BY id LIMIT 100", &[])
        .await;
    let outbox_dir = store.outbox_dir();
    let inode = |id: &str| {
        use std::os::unix::fs::MetadataExt as _;
        std::fs::metadata(outbox_dir.join(format!("{id}.eml"))).unwrap().ino()
    };
    let before: HashMap<String, u64> = redo.iter().map(|id| (id.clone(), inode(id))).collect();
    for id in &redo {
        sqlx::query("UPDATE jobs SET done_at = NULL, run_at = 0 WHERE id = $1")
            .bind(id)
            .execute(&store.pool)
            .await
            .unwrap();
    }
    store.expire_leases().await;
    server = store.start().await;
    let mut progress = Progress::new();
    loop {
        let recorded = store.count(sent, &[]).await;
        if recorded >= total {
            break;
        }
        progress.check(recorded as usize, "delivery");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let delivered_at = started.elapsed();
    // Nothing more goes out.
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(server);

    // Exactly once: one file per outbox row, named by its id, with its Message-ID and recipient.
    let outbox: HashMap<String, String> = sqlx::query_as::<_, (String, String)>("SELECT id, recipient FROM outbox")
        .fetch_all(&store.pool)
        .await
        .unwrap()
        .into_iter()
        .collect();
    let (files, tmp) = store.delivered();
    assert_eq!(files.len(), outbox.len(), "one .eml per outbox row");
    let mut message_ids = HashSet::new();
    for id in &files {
        let recipient = outbox.get(id).unwrap_or_else(|| panic!("{id}.eml is not an outbox message"));
        let text = std::fs::read_to_string(store.outbox_dir().join(format!("{id}.eml"))).unwrap();
        let header =
            |name: &str| text.lines().find_map(|l| l.strip_prefix(name)).map(str::trim).unwrap_or_default().to_owned();
        let message_id = header("Message-ID:");
        assert_eq!(message_id, format!("<{id}@lyceum>"));
        assert!(header("To:").contains(recipient.as_str()), "{id}: To: {} is not {recipient}", header("To:"));
        assert!(message_ids.insert(message_id), "duplicate Message-ID");
    }
    assert_eq!(store.count("SELECT COUNT(*) FROM jobs WHERE kind = 'mail' AND done_at IS NULL", &[]).await, 0);
    let rewritten = redo.iter().filter(|id| inode(id) != before[*id]).count();
    assert_eq!(rewritten, redo.len(), "the re-delivered messages replaced their own files");
    store.audit_verify();

    println!(
        "crash[{backend}] invitation batch of {N} addresses: uncrashed {}; {} kills: {applied} applied, \
         {not_applied} not applied, 0 partial, {busy} with a write transaction open; audit verify passed after each\n\
         {}\ndelivery of the first batch, killed 3 times:\n{}\n\
         delivery: {total} committed invitations ({committed} batches), {} .eml files, {} unique Message-IDs, \
         0 unsent rows, {tmp} leftover temporary files; {rewritten} messages re-delivered to the same file\n\
         timeline: uncrashed batch done at {:.1} s, delivery kills done at {:.1} s, batch kills done at {:.1} s, \
         all delivered at {:.1} s, total {:.1} s ({})",
        ms(uncrashed),
        points.len(),
        rows.join("\n"),
        delivery_rows.join("\n"),
        files.len(),
        message_ids.len(),
        calibrated_at.as_secs_f64(),
        delivery_kills_done.as_secs_f64(),
        atomicity_done.as_secs_f64(),
        delivered_at.as_secs_f64(),
        started.elapsed().as_secs_f64(),
        store.overheads(),
    );
    let _ = std::io::stdout().flush();
}
