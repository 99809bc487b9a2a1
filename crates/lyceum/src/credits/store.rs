//! The credits wing's SQL: models and prices, ledgers, reservations, usage events, keys and
//! rollups. Every function takes the caller's connection; amounts are millionths.

use std::collections::{BTreeMap, HashMap};

use lyceum_domain::credits::{Micros, Price};
use lyceum_domain::id::{OrgId, WorkspaceId};
use sqlx::Row as _;

use crate::kernel::multi_row::{self, AnyQuery, Row};
use crate::kernel::sql::Conn;

// ---- models ------------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct ModelRow {
    pub name: String,
    pub price: Option<Price>,
    pub enabled: bool,
}

fn model_row(r: &sqlx::any::AnyRow) -> sqlx::Result<ModelRow> {
    let input: Option<i64> = r.try_get("input_price_micro")?;
    let output: Option<i64> = r.try_get("output_price_micro")?;
    Ok(ModelRow {
        name: r.try_get("name")?,
        price: input.zip(output).map(|(i, o)| Price { input: Micros(i), output: Micros(o) }),
        enabled: r.try_get::<i64, _>("enabled")? != 0,
    })
}

pub async fn models(conn: &mut Conn, org: &OrgId) -> sqlx::Result<Vec<ModelRow>> {
    let rows = sqlx::query(
        "SELECT name, input_price_micro, output_price_micro, enabled FROM ai_models WHERE org_id = $1 ORDER BY name",
    )
    .bind(org.as_str())
    .fetch_all(conn)
    .await?;
    rows.iter().map(model_row).collect()
}

pub async fn model(conn: &mut Conn, org: &OrgId, name: &str) -> sqlx::Result<Option<ModelRow>> {
    let row = sqlx::query(
        "SELECT name, input_price_micro, output_price_micro, enabled FROM ai_models WHERE org_id = $1 AND name = $2",
    )
    .bind(org.as_str())
    .bind(name)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(model_row).transpose()
}

pub async fn upsert_model(conn: &mut Conn, org: &OrgId, m: &ModelRow, now: i64) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO ai_models (org_id, name, input_price_micro, output_price_micro, enabled, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (org_id, name) DO UPDATE SET input_price_micro = excluded.input_price_micro, \
         output_price_micro = excluded.output_price_micro, enabled = excluded.enabled, updated_at = excluded.updated_at",
    )
    .bind(org.as_str())
    .bind(&m.name)
    .bind(m.price.map(|p| p.input.0))
    .bind(m.price.map(|p| p.output.0))
    .bind(i64::from(m.enabled))
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

// ---- ledgers -----------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct LedgerRow {
    pub workspace_id: WorkspaceId,
    pub limit: Micros,
    pub used: Micros,
    pub reserved: Micros,
    pub period_anchor: i64,
    pub period_start: i64,
    pub budget: Option<Micros>,
    pub budget_hard: bool,
    pub alert_percents: Vec<u32>,
    pub alerts_sent: Vec<u32>,
}

fn percents(text: &str) -> Vec<u32> {
    text.split(',').filter_map(|p| p.trim().parse().ok()).collect()
}

pub fn percents_text(p: &[u32]) -> String {
    p.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
}

const LEDGER_COLUMNS: &str = "workspace_id, limit_micro, used_micro, reserved_micro, period_anchor, period_start, \
     budget_micro, budget_hard, alert_percents, alerts_sent";

fn ledger_row(r: &sqlx::any::AnyRow) -> sqlx::Result<LedgerRow> {
    Ok(LedgerRow {
        workspace_id: crate::kernel::sql::typed(r, "workspace_id")?,
        limit: Micros(r.try_get("limit_micro")?),
        used: Micros(r.try_get("used_micro")?),
        reserved: Micros(r.try_get("reserved_micro")?),
        period_anchor: r.try_get("period_anchor")?,
        period_start: r.try_get("period_start")?,
        budget: r.try_get::<Option<i64>, _>("budget_micro")?.map(Micros),
        budget_hard: r.try_get::<i64, _>("budget_hard")? != 0,
        alert_percents: percents(&r.try_get::<String, _>("alert_percents")?),
        alerts_sent: percents(&r.try_get::<String, _>("alerts_sent")?),
    })
}

pub async fn ledger(conn: &mut Conn, ws: &WorkspaceId) -> sqlx::Result<Option<LedgerRow>> {
    let row = sqlx::query(&format!("SELECT {LEDGER_COLUMNS} FROM credit_ledgers WHERE workspace_id = $1"))
        .bind(ws.as_str())
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(ledger_row).transpose()
}

pub async fn ledgers_of_org(conn: &mut Conn, org: &OrgId) -> sqlx::Result<Vec<LedgerRow>> {
    let rows = sqlx::query(&format!("SELECT {LEDGER_COLUMNS} FROM credit_ledgers WHERE org_id = $1"))
        .bind(org.as_str())
        .fetch_all(conn)
        .await?;
    rows.iter().map(ledger_row).collect()
}

pub async fn open_ledger(
    conn: &mut Conn,
    ws: &WorkspaceId,
    org: &OrgId,
    limit: Micros,
    anchor: i64,
    now: i64,
) -> sqlx::Result<()> {
    let (period_start, _) = lyceum_domain::credits::billing_period(anchor, now);
    sqlx::query(
        "INSERT INTO credit_ledgers (workspace_id, org_id, limit_micro, period_anchor, period_start, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(ws.as_str())
    .bind(org.as_str())
    .bind(limit.0)
    .bind(anchor)
    .bind(period_start)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_limit(conn: &mut Conn, ws: &WorkspaceId, limit: Micros, now: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE credit_ledgers SET limit_micro = $2, updated_at = $3 WHERE workspace_id = $1")
        .bind(ws.as_str())
        .bind(limit.0)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_budget(
    conn: &mut Conn,
    ws: &WorkspaceId,
    budget: Option<Micros>,
    alert_percents: &[u32],
    hard: bool,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE credit_ledgers SET budget_micro = $2, alert_percents = $3, budget_hard = $4, updated_at = $5 \
         WHERE workspace_id = $1",
    )
    .bind(ws.as_str())
    .bind(budget.map(|b| b.0))
    .bind(percents_text(alert_percents))
    .bind(i64::from(hard))
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Starts a new billing period on the ledger if it is still on `old_start`: spend and sent
/// alerts start again from zero; reservations in flight stay.
pub async fn roll_period(conn: &mut Conn, ws: &WorkspaceId, old_start: i64, new_start: i64) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE credit_ledgers SET used_micro = 0, alerts_sent = '', period_start = $3 \
         WHERE workspace_id = $1 AND period_start = $2",
    )
    .bind(ws.as_str())
    .bind(old_start)
    .bind(new_start)
    .execute(conn)
    .await?;
    Ok(())
}

/// Adds `amount` to the reserved credits only if used + reserved + amount stays within the limit
/// and, with a hard budget, within the budget: the check and the write are one statement, so
/// concurrent reservations can never pass either. `false` when it does not fit.
pub async fn try_reserve(conn: &mut Conn, ws: &WorkspaceId, amount: Micros, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE credit_ledgers SET reserved_micro = reserved_micro + $2, updated_at = $3 \
         WHERE workspace_id = $1 AND used_micro + reserved_micro + $2 <= limit_micro \
         AND (budget_hard = 0 OR budget_micro IS NULL OR used_micro + reserved_micro + $2 <= budget_micro)",
    )
    .bind(ws.as_str())
    .bind(amount.0)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Moves `reserved` out of the reservations and `used` into the spend.
pub async fn settle_ledger(
    conn: &mut Conn,
    ws: &WorkspaceId,
    reserved: Micros,
    used: Micros,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE credit_ledgers SET reserved_micro = reserved_micro - $2, used_micro = used_micro + $3, updated_at = $4 \
         WHERE workspace_id = $1",
    )
    .bind(ws.as_str())
    .bind(reserved.0)
    .bind(used.0)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn mark_alerts_sent(conn: &mut Conn, ws: &WorkspaceId, sent: &[u32]) -> sqlx::Result<()> {
    sqlx::query("UPDATE credit_ledgers SET alerts_sent = $2 WHERE workspace_id = $1")
        .bind(ws.as_str())
        .bind(percents_text(sent))
        .execute(conn)
        .await?;
    Ok(())
}

// ---- reservations ------------------------------------------------------------------------

pub async fn insert_reservation(
    conn: &mut Conn,
    id: &str,
    ws: &WorkspaceId,
    amount: Micros,
    now: i64,
    expires_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO credit_reservations (id, workspace_id, amount_micro, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(ws.as_str())
    .bind(amount.0)
    .bind(now)
    .bind(expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes a reservation and answers its amount; `None` if it was already released (expired
/// and repaired), so a settlement never releases twice.
pub async fn take_reservation(conn: &mut Conn, id: &str) -> sqlx::Result<Option<(WorkspaceId, Micros)>> {
    let row = sqlx::query("DELETE FROM credit_reservations WHERE id = $1 RETURNING workspace_id, amount_micro")
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.map(|r| Ok((crate::kernel::sql::typed(&r, "workspace_id")?, Micros(r.try_get("amount_micro")?)))).transpose()
}

pub async fn expired_reservations(conn: &mut Conn, now: i64) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("SELECT id FROM credit_reservations WHERE expires_at <= $1").bind(now).fetch_all(conn).await
}

// ---- usage -------------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct UsageEvent {
    pub id: String,
    pub org_id: OrgId,
    pub workspace_id: WorkspaceId,
    pub at: i64,
    pub feature: String,
    pub model: String,
    pub course_id: Option<String>,
    pub user_id: Option<String>,
    pub attempt_id: Option<String>,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cost: Micros,
    pub credits: Micros,
    pub estimated: bool,
    pub reservation_id: Option<String>,
}

pub const DAY_MS: i64 = 86_400_000;

impl Row for UsageEvent {
    const TABLE: &'static str = "usage_events";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "org_id",
        "workspace_id",
        "at",
        "feature",
        "model",
        "course_id",
        "user_id",
        "attempt_id",
        "input_tokens",
        "output_tokens",
        "cost_micro",
        "credits_micro",
        "estimated",
        "reservation_id",
    ];
    fn bind<'q>(&'q self, q: AnyQuery<'q>) -> AnyQuery<'q> {
        q.bind(self.id.as_str())
            .bind(self.org_id.as_str())
            .bind(self.workspace_id.as_str())
            .bind(self.at)
            .bind(self.feature.as_str())
            .bind(self.model.as_str())
            .bind(self.course_id.as_deref())
            .bind(self.user_id.as_deref())
            .bind(self.attempt_id.as_deref())
            .bind(self.input_tokens)
            .bind(self.output_tokens)
            .bind(self.cost.0)
            .bind(self.credits.0)
            .bind(i64::from(self.estimated))
            .bind(self.reservation_id.as_deref())
    }
}

/// One rollup row's increments: the events of one (day, feature, model, course, user).
struct RollupRow {
    workspace_id: String,
    org_id: String,
    day: i64,
    feature: String,
    model: String,
    course_id: String,
    user_id: String,
    calls: i64,
    estimated_calls: i64,
    input_tokens: i64,
    output_tokens: i64,
    cost: i64,
    credits: i64,
}

impl Row for RollupRow {
    const TABLE: &'static str = "usage_rollups";
    const COLUMNS: &'static [&'static str] = &[
        "workspace_id",
        "org_id",
        "day",
        "feature",
        "model",
        "course_id",
        "user_id",
        "calls",
        "estimated_calls",
        "input_tokens",
        "output_tokens",
        "cost_micro",
        "credits_micro",
    ];
    const ON_CONFLICT: &'static str =
        "ON CONFLICT (workspace_id, day, feature, model, course_id, user_id) DO UPDATE SET \
         calls = usage_rollups.calls + excluded.calls, \
         estimated_calls = usage_rollups.estimated_calls + excluded.estimated_calls, \
         input_tokens = usage_rollups.input_tokens + excluded.input_tokens, \
         output_tokens = usage_rollups.output_tokens + excluded.output_tokens, \
         cost_micro = usage_rollups.cost_micro + excluded.cost_micro, \
         credits_micro = usage_rollups.credits_micro + excluded.credits_micro";
    fn bind<'q>(&'q self, q: AnyQuery<'q>) -> AnyQuery<'q> {
        q.bind(self.workspace_id.as_str())
            .bind(self.org_id.as_str())
            .bind(self.day)
            .bind(self.feature.as_str())
            .bind(self.model.as_str())
            .bind(self.course_id.as_str())
            .bind(self.user_id.as_str())
            .bind(self.calls)
            .bind(self.estimated_calls)
            .bind(self.input_tokens)
            .bind(self.output_tokens)
            .bind(self.cost)
            .bind(self.credits)
    }
}

/// Records events and adds them to their rollups (summed per rollup row first, so a statement
/// never updates one row twice), on the caller's transaction, in multi-row statements.
pub async fn insert_events(conn: &mut Conn, events: &[UsageEvent]) -> sqlx::Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    multi_row::insert(&mut *conn, events).await?;
    let mut rollups: BTreeMap<(String, i64, &str, &str, &str, &str), RollupRow> = BTreeMap::new();
    for e in events {
        let (course, user) = (e.course_id.as_deref().unwrap_or(""), e.user_id.as_deref().unwrap_or(""));
        let day = e.at.div_euclid(DAY_MS);
        let r = rollups
            .entry((e.workspace_id.to_string(), day, e.feature.as_str(), e.model.as_str(), course, user))
            .or_insert_with(|| RollupRow {
                workspace_id: e.workspace_id.to_string(),
                org_id: e.org_id.to_string(),
                day,
                feature: e.feature.clone(),
                model: e.model.clone(),
                course_id: course.to_owned(),
                user_id: user.to_owned(),
                calls: 0,
                estimated_calls: 0,
                input_tokens: 0,
                output_tokens: 0,
                cost: 0,
                credits: 0,
            });
        r.calls += 1;
        r.estimated_calls += i64::from(e.estimated);
        r.input_tokens += e.input_tokens;
        r.output_tokens += e.output_tokens;
        r.cost += e.cost.0;
        r.credits += e.credits.0;
    }
    let rows: Vec<RollupRow> = rollups.into_values().collect();
    multi_row::insert(conn, &rows).await?;
    Ok(())
}

/// Records one event and adds it to its rollup.
pub async fn insert_event(conn: &mut Conn, e: &UsageEvent) -> sqlx::Result<()> {
    insert_events(conn, std::slice::from_ref(e)).await
}

/// The first outcome of an idempotency key, as stored.
pub struct KeyRow {
    workspace_id: String,
    key: String,
    outcome: &'static str,
    code: Option<&'static str>,
    event_id: Option<String>,
    created_at: i64,
}

impl KeyRow {
    pub fn recorded(ws: &WorkspaceId, key: &str, event_id: &str, now: i64) -> KeyRow {
        KeyRow {
            workspace_id: ws.to_string(),
            key: key.to_owned(),
            outcome: "recorded",
            code: None,
            event_id: Some(event_id.to_owned()),
            created_at: now,
        }
    }

    pub fn refused(ws: &WorkspaceId, key: &str, code: lyceum_domain::Code, now: i64) -> KeyRow {
        KeyRow {
            workspace_id: ws.to_string(),
            key: key.to_owned(),
            outcome: "refused",
            code: Some(code.as_str()),
            event_id: None,
            created_at: now,
        }
    }
}

impl Row for KeyRow {
    const TABLE: &'static str = "usage_keys";
    const COLUMNS: &'static [&'static str] =
        &["workspace_id", "idempotency_key", "outcome", "code", "event_id", "created_at"];
    fn bind<'q>(&'q self, q: AnyQuery<'q>) -> AnyQuery<'q> {
        q.bind(self.workspace_id.as_str())
            .bind(self.key.as_str())
            .bind(self.outcome)
            .bind(self.code)
            .bind(self.event_id.as_deref())
            .bind(self.created_at)
    }
}

pub async fn insert_keys(conn: &mut Conn, keys: &[KeyRow]) -> sqlx::Result<()> {
    if !keys.is_empty() {
        multi_row::insert(conn, keys).await?;
    }
    Ok(())
}

/// The first outcomes of those of `keys` already used in the workspace.
pub async fn key_outcomes(conn: &mut Conn, ws: &WorkspaceId, keys: &[&str]) -> sqlx::Result<HashMap<String, String>> {
    let mut found = HashMap::new();
    for chunk in keys.chunks(500) {
        let sql = format!(
            "SELECT idempotency_key, outcome FROM usage_keys WHERE workspace_id = $1 AND idempotency_key IN ({})",
            lyceum_sql::placeholders(2, chunk.len())
        );
        let mut q = sqlx::query(&sql).bind(ws.as_str());
        for k in chunk {
            q = q.bind(*k);
        }
        for r in q.fetch_all(&mut *conn).await? {
            found.insert(r.try_get("idempotency_key")?, r.try_get("outcome")?);
        }
    }
    Ok(found)
}

/// Locks a workspace's ledger row for the rest of the transaction (a batch charging it).
pub async fn lock_ledger(conn: &mut Conn, ws: &WorkspaceId, now: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE credit_ledgers SET updated_at = $2 WHERE workspace_id = $1")
        .bind(ws.as_str())
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

// ---- reports -----------------------------------------------------------------------------

/// Where a report looks: one workspace, or every workspace of an organisation.
#[derive(Debug, Clone, Copy)]
pub enum Within<'a> {
    Workspace(&'a WorkspaceId),
    Org(&'a OrgId),
}

impl Within<'_> {
    fn filter(&self) -> (&'static str, &str) {
        match self {
            Within::Workspace(ws) => ("workspace_id", ws.as_str()),
            Within::Org(org) => ("org_id", org.as_str()),
        }
    }
}

/// One group of a report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    pub key: String,
    pub calls: i64,
    pub estimated_calls: i64,
    pub tokens: i64,
    pub cost: Micros,
    pub credits: Micros,
}

/// Sums of the rollups of whole days `[from_day, to_day]`, grouped by `group` (a rollup column,
/// or `''` for one total).
pub async fn rollup_totals(
    conn: &mut Conn,
    within: Within<'_>,
    from_day: i64,
    to_day: i64,
    group: &str,
) -> sqlx::Result<Vec<Totals>> {
    let (column, id) = within.filter();
    let key = if group.is_empty() { "''".to_owned() } else { format!("CAST({group} AS TEXT)") };
    let group_by = if group.is_empty() { String::new() } else { format!(" GROUP BY {group} ORDER BY {group}") };
    let sql = format!(
        "SELECT {key} AS k, {} AS calls, {} AS est, {} AS tokens, {} AS cost, {} AS credits FROM usage_rollups \
         WHERE {column} = $1 AND day >= $2 AND day <= $3{group_by}",
        total("calls"),
        total("estimated_calls"),
        total("input_tokens + output_tokens"),
        total("cost_micro"),
        total("credits_micro"),
    );
    let rows = sqlx::query(&sql).bind(id).bind(from_day).bind(to_day).fetch_all(conn).await?;
    rows.iter()
        .map(|r| {
            Ok(Totals {
                key: r.try_get("k")?,
                calls: r.try_get("calls")?,
                estimated_calls: r.try_get("est")?,
                tokens: r.try_get("tokens")?,
                cost: Micros(r.try_get("cost")?),
                credits: Micros(r.try_get("credits")?),
            })
        })
        .collect()
}

/// A sum as BIGINT on both databases (PostgreSQL's `SUM` of BIGINT is NUMERIC).
fn total(expr: &str) -> String {
    format!("CAST(COALESCE(SUM({expr}), 0) AS BIGINT)")
}

/// Usage events of `[from, to)`, in time order (the CSV export).
pub async fn events(conn: &mut Conn, within: Within<'_>, from: i64, to: i64) -> sqlx::Result<Vec<UsageEvent>> {
    let (column, id) = within.filter();
    let sql = format!(
        "SELECT id, org_id, workspace_id, at, feature, model, course_id, user_id, attempt_id, input_tokens, \
         output_tokens, cost_micro, credits_micro, estimated, reservation_id FROM usage_events \
         WHERE {column} = $1 AND at >= $2 AND at < $3 ORDER BY at, id"
    );
    let rows = sqlx::query(&sql).bind(id).bind(from).bind(to).fetch_all(conn).await?;
    rows.iter()
        .map(|r| {
            Ok(UsageEvent {
                id: r.try_get("id")?,
                org_id: crate::kernel::sql::typed(r, "org_id")?,
                workspace_id: crate::kernel::sql::typed(r, "workspace_id")?,
                at: r.try_get("at")?,
                feature: r.try_get("feature")?,
                model: r.try_get("model")?,
                course_id: r.try_get("course_id")?,
                user_id: r.try_get("user_id")?,
                attempt_id: r.try_get("attempt_id")?,
                input_tokens: r.try_get("input_tokens")?,
                output_tokens: r.try_get("output_tokens")?,
                cost: Micros(r.try_get("cost_micro")?),
                credits: Micros(r.try_get("credits_micro")?),
                estimated: r.try_get::<i64, _>("estimated")? != 0,
                reservation_id: r.try_get("reservation_id")?,
            })
        })
        .collect()
}
