-- The job queue: every deferred task (mail first; scoring, reminders, webhooks, invoice runs and
-- lease expiry later) is a row of `jobs`, written in the transaction that causes it and run by a
-- leased, retrying runner (crates/jobs). Times are Unix milliseconds.
--
-- A job is pending while `done_at` and `failed_at` are NULL, due when `run_at` has passed and no
-- lease holds it (`leased_until` NULL or past). `dedup_key` makes enqueueing idempotent: NULLs
-- are distinct, so only jobs that have a key are unique by it.
CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    dedup_key TEXT,
    created_at BIGINT NOT NULL,
    run_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    leased_until BIGINT,
    lease_owner TEXT,
    done_at BIGINT,
    failed_at BIGINT,
    last_error TEXT
);
CREATE INDEX jobs_due ON jobs(kind, run_at) WHERE done_at IS NULL AND failed_at IS NULL;
CREATE UNIQUE INDEX jobs_dedup_key ON jobs(dedup_key);

-- Mail becomes the first kind: a message keeps its row (and id) in `outbox`, its scheduling moves
-- to the job of the same id. A message leased at the upgrade had `next_attempt_at` = the lease's
-- end: it is due again then, as before.
INSERT INTO jobs (id, kind, payload, created_at, run_at, attempts, done_at, failed_at, last_error)
    SELECT id, 'mail', '', created_at, next_attempt_at, attempts, sent_at, failed_at, last_error FROM outbox;

-- `outbox` keeps the message only.
DROP INDEX outbox_due;
ALTER TABLE outbox
    DROP COLUMN attempts,
    DROP COLUMN next_attempt_at,
    DROP COLUMN sent_at,
    DROP COLUMN failed_at,
    DROP COLUMN last_error;
