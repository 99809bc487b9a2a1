//! AI spend reports: a window's KPIs, daily cost, and breakdowns by feature, model, course, user
//! (and workspace, across an organisation). Whole-day windows are summed from the rollups kept
//! in each event's transaction; a window that starts or ends inside a day is summed from the
//! events themselves. Either way a report is exactly the sum of the events it covers.

use std::collections::BTreeMap;

use lyceum_domain::credits::{billing_period, Micros};
use lyceum_domain::id::{OrgId, WorkspaceId};
use lyceum_domain::{DomainError, Permission};

use super::store::{self, Totals, UsageEvent, Within, DAY_MS};
use super::Credits;
use crate::kernel::access::{org_access, workspace_access};
use crate::kernel::db::now_ms;
use crate::kernel::sql::Conn;
use crate::kernel::{Caller, Result};

/// The window asked for: `7d`, `30d` (default), `month` (the billing period so far), or a
/// custom `[from, to)` in Unix ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    Days(i64),
    Month,
    Range { from: i64, to: i64 },
}

impl Window {
    pub fn label(&self) -> &'static str {
        match self {
            Window::Days(7) => "7d",
            Window::Days(_) => "30d",
            Window::Month => "month",
            Window::Range { .. } => "custom",
        }
    }
}

/// A report.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub window: &'static str,
    pub from: i64,
    pub to: i64,
    pub kpis: Totals,
    /// `(day start in Unix ms, cost, credits)` for every day of the window.
    pub daily: Vec<(i64, Micros, Micros)>,
    pub by_feature: Vec<Totals>,
    pub by_model: Vec<Totals>,
    pub by_course: Vec<Totals>,
    pub by_user: Vec<Totals>,
    pub by_workspace: Vec<Totals>,
    /// Every event of the window, for the CSV export (empty unless asked for).
    pub events: Vec<UsageEvent>,
}

/// `[from, to)` of a window at `now`, for an organisation created at `anchor`.
fn bounds(window: Window, anchor: i64, now: i64) -> (i64, i64) {
    let tomorrow = (now.div_euclid(DAY_MS) + 1) * DAY_MS;
    match window {
        Window::Days(n) => (tomorrow - n * DAY_MS, tomorrow),
        Window::Month => (billing_period(anchor, now).0, tomorrow),
        Window::Range { from, to } => (from, to),
    }
}

fn add(t: &mut Totals, e: &UsageEvent) {
    t.calls += 1;
    t.estimated_calls += i64::from(e.estimated);
    t.tokens += e.input_tokens + e.output_tokens;
    t.cost = t.cost + e.cost;
    t.credits = t.credits + e.credits;
}

fn grouped(events: &[UsageEvent], key: impl Fn(&UsageEvent) -> Option<String>) -> Vec<Totals> {
    let mut groups: BTreeMap<String, Totals> = BTreeMap::new();
    for e in events {
        if let Some(k) = key(e) {
            let t = groups.entry(k.clone()).or_insert_with(|| Totals { key: k, ..Totals::default() });
            add(t, e);
        }
    }
    groups.into_values().collect()
}

/// The report of `within` over `[from, to)`.
async fn report(conn: &mut Conn, within: Within<'_>, from: i64, to: i64, with_events: bool) -> Result<Report> {
    let aligned = from.rem_euclid(DAY_MS) == 0 && to.rem_euclid(DAY_MS) == 0;
    let mut r = Report { from, to, ..Report::default() };
    let days: Vec<i64> = (from.div_euclid(DAY_MS)..to.div_euclid(DAY_MS).max(from.div_euclid(DAY_MS) + 1)).collect();
    if aligned && !with_events {
        let (first, last) = (from / DAY_MS, to / DAY_MS - 1);
        r.kpis = store::rollup_totals(conn, within, first, last, "").await?.into_iter().next().unwrap_or_default();
        let daily = store::rollup_totals(conn, within, first, last, "day").await?;
        let by_day: BTreeMap<i64, &Totals> = daily.iter().filter_map(|t| Some((t.key.parse().ok()?, t))).collect();
        r.daily = days
            .iter()
            .map(|d| {
                by_day.get(d).map_or((d * DAY_MS, Micros::ZERO, Micros::ZERO), |t| (d * DAY_MS, t.cost, t.credits))
            })
            .collect();
        r.by_feature = store::rollup_totals(conn, within, first, last, "feature").await?;
        r.by_model = store::rollup_totals(conn, within, first, last, "model").await?;
        r.by_course = store::rollup_totals(conn, within, first, last, "course_id").await?;
        r.by_course.retain(|t| !t.key.is_empty());
        r.by_user = store::rollup_totals(conn, within, first, last, "user_id").await?;
        r.by_user.retain(|t| !t.key.is_empty());
        if matches!(within, Within::Org(_)) {
            r.by_workspace = store::rollup_totals(conn, within, first, last, "workspace_id").await?;
        }
        return Ok(r);
    }
    let events = store::events(conn, within, from, to).await?;
    for e in &events {
        add(&mut r.kpis, e);
    }
    let daily = grouped(&events, |e| Some(e.at.div_euclid(DAY_MS).to_string()));
    let by_day: BTreeMap<i64, &Totals> = daily.iter().filter_map(|t| Some((t.key.parse().ok()?, t))).collect();
    r.daily = days
        .iter()
        .map(|d| by_day.get(d).map_or((d * DAY_MS, Micros::ZERO, Micros::ZERO), |t| (d * DAY_MS, t.cost, t.credits)))
        .collect();
    r.by_feature = grouped(&events, |e| Some(e.feature.clone()));
    r.by_model = grouped(&events, |e| Some(e.model.clone()));
    r.by_course = grouped(&events, |e| e.course_id.clone());
    r.by_user = grouped(&events, |e| e.user_id.clone());
    if matches!(within, Within::Org(_)) {
        r.by_workspace = grouped(&events, |e| Some(e.workspace_id.to_string()));
    }
    if with_events {
        r.events = events;
    }
    Ok(r)
}

fn checked_range(window: Window) -> Result<()> {
    if let Window::Range { from, to } = window {
        if to <= from {
            return Err(DomainError::invalid("to", "must come after from").into());
        }
        if to - from > 400 * DAY_MS {
            return Err(DomainError::invalid("from", "a window may span at most 400 days").into());
        }
    }
    Ok(())
}

impl Credits<'_> {
    /// A workspace's AI spend (`usage.view`).
    pub async fn workspace_spend(
        &self,
        caller: &Caller,
        ws: &WorkspaceId,
        window: Window,
        csv: bool,
    ) -> Result<Report> {
        checked_range(window)?;
        let mut conn = self.lazy_conn();
        let org = self.workspace_org(&mut conn, ws).await?.ok_or(DomainError::NotFound)?;
        workspace_access(&mut conn, self.cached(), caller, &org, ws)
            .await?
            .require_in_workspace(Permission::UsageView)?;
        let conn = crate::kernel::lazy::Db::conn(&mut conn).await?;
        let anchor = store::ledger(conn, ws).await?.ok_or(DomainError::NotFound)?.period_anchor;
        let (from, to) = bounds(window, anchor, now_ms());
        let mut r = report(conn, Within::Workspace(ws), from, to, csv).await?;
        r.window = window.label();
        Ok(r)
    }

    /// An organisation's AI spend across its workspaces (`usage.view` in the organisation: its
    /// owners).
    pub async fn org_spend(&self, caller: &Caller, org: &OrgId, window: Window, csv: bool) -> Result<Report> {
        checked_range(window)?;
        let mut conn = self.lazy_conn();
        org_access(&mut conn, self.cached(), caller, org).await?.require_in_org(Permission::UsageView)?;
        let conn = crate::kernel::lazy::Db::conn(&mut conn).await?;
        let anchor = store::ledgers_of_org(conn, org).await?.first().map_or(0, |l| l.period_anchor);
        let (from, to) = bounds(window, anchor, now_ms());
        let mut r = report(conn, Within::Org(org), from, to, csv).await?;
        r.window = window.label();
        Ok(r)
    }
}
