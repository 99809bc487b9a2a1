-- The credits wing: models and prices per organisation, each workspace's credit ledger with its
-- budget, the reservations of AI calls in flight, usage events with their idempotency keys, and
-- the daily rollups the AI Cost reports read. Amounts are integers of millionths (prices:
-- millionths of a minor unit per million tokens; costs: millionths of a minor unit; credits:
-- millionths of a credit). Times are Unix milliseconds.

CREATE TABLE ai_models (
    org_id TEXT NOT NULL REFERENCES organizations(id),
    name TEXT NOT NULL,
    -- NULL: unpriced (a call is refused with model_unpriced until an owner prices it).
    input_price_micro BIGINT CHECK (input_price_micro >= 0),
    output_price_micro BIGINT CHECK (output_price_micro >= 0),
    enabled BIGINT NOT NULL DEFAULT 1,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, name),
    CHECK ((input_price_micro IS NULL) = (output_price_micro IS NULL))
);

-- One row per workspace. `limit_micro` mirrors the workspace's credit limit (set in the same
-- transaction as it); `used_micro` is this billing period's settled spend, `reserved_micro` the
-- worst cases of calls in flight. A reservation never takes used + reserved past the limit, nor
-- past a hard budget.
CREATE TABLE credit_ledgers (
    workspace_id TEXT PRIMARY KEY REFERENCES workspaces(id),
    org_id TEXT NOT NULL REFERENCES organizations(id),
    limit_micro BIGINT NOT NULL CHECK (limit_micro >= 0),
    used_micro BIGINT NOT NULL DEFAULT 0 CHECK (used_micro >= 0),
    reserved_micro BIGINT NOT NULL DEFAULT 0 CHECK (reserved_micro >= 0),
    -- The billing period: monthly from the day of month of `period_anchor` (the organisation's
    -- creation); `period_start` is the start of the one `used_micro` counts.
    period_anchor BIGINT NOT NULL,
    period_start BIGINT NOT NULL,
    budget_micro BIGINT CHECK (budget_micro >= 0),
    budget_hard BIGINT NOT NULL DEFAULT 0,
    -- Comma-separated percents, e.g. '80,100'.
    alert_percents TEXT NOT NULL DEFAULT '',
    -- The alert percents already sent this period, comma-separated.
    alerts_sent TEXT NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL
);
CREATE INDEX credit_ledgers_org ON credit_ledgers(org_id);

INSERT INTO credit_ledgers (workspace_id, org_id, limit_micro, used_micro, period_anchor, period_start, updated_at)
    SELECT w.id, w.org_id, w.credit_limit * 1000000, w.credits_used * 1000000, o.created_at, 0, w.updated_at
    FROM workspaces w JOIN organizations o ON o.id = w.org_id;

-- An AI call in flight: its worst case, held on the ledger until it settles or expires.
CREATE TABLE credit_reservations (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES credit_ledgers(workspace_id),
    amount_micro BIGINT NOT NULL CHECK (amount_micro >= 0),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX credit_reservations_expiry ON credit_reservations(expires_at);

CREATE TABLE usage_events (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    at BIGINT NOT NULL,
    feature TEXT NOT NULL,
    model TEXT NOT NULL,
    course_id TEXT,
    user_id TEXT,
    attempt_id TEXT,
    input_tokens BIGINT NOT NULL,
    output_tokens BIGINT NOT NULL,
    cost_micro BIGINT NOT NULL,
    credits_micro BIGINT NOT NULL,
    estimated BIGINT NOT NULL DEFAULT 0,
    reservation_id TEXT UNIQUE
);
CREATE INDEX usage_events_workspace_at ON usage_events(workspace_id, at);
CREATE INDEX usage_events_org_at ON usage_events(org_id, at);

-- The first outcome of each idempotency key of external ingestion, answered again on a repeat.
CREATE TABLE usage_keys (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    idempotency_key TEXT NOT NULL,
    outcome TEXT NOT NULL,
    code TEXT,
    event_id TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, idempotency_key)
);

-- Per UTC day × workspace × feature × model × course × user ('' for none), kept in the
-- transaction of each event.
CREATE TABLE usage_rollups (
    workspace_id TEXT NOT NULL,
    org_id TEXT NOT NULL,
    day BIGINT NOT NULL,
    feature TEXT NOT NULL,
    model TEXT NOT NULL,
    course_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    calls BIGINT NOT NULL,
    estimated_calls BIGINT NOT NULL,
    input_tokens BIGINT NOT NULL,
    output_tokens BIGINT NOT NULL,
    cost_micro BIGINT NOT NULL,
    credits_micro BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, day, feature, model, course_id, user_id)
);
CREATE INDEX usage_rollups_org_day ON usage_rollups(org_id, day);
