//! The workspace ledger: what it shows, its budget, and the reserve → settle pair every AI call
//! and every ingested event goes through.

use lyceum_domain::credits::{billing_period, crossed_thresholds, fit, Fit, Micros, Price};
use lyceum_domain::id::WorkspaceId;
use lyceum_domain::{DomainError, Permission};
use serde_json::json;

use super::store::{self, LedgerRow};
use super::Credits;
use crate::kernel::access::workspace_access;
use crate::kernel::audit_chain::{Action, Entry};
use crate::kernel::db::now_ms;
use crate::kernel::sql::Conn;
use crate::kernel::{Caller, Result};

/// A workspace's credits now.
#[derive(Debug, Clone)]
pub struct Balance {
    pub limit: Micros,
    pub used: Micros,
    pub reserved: Micros,
    pub available: Micros,
    pub period: (i64, i64),
    pub budget: Option<Budget>,
}

#[derive(Debug, Clone)]
pub struct Budget {
    pub monthly: Micros,
    pub alert_percents: Vec<u32>,
    pub hard: bool,
}

/// What a reservation holds.
#[derive(Debug, Clone)]
pub struct Reservation {
    pub id: String,
    pub workspace_id: WorkspaceId,
    pub amount: Micros,
    /// The output tokens the call may produce (lowered to what the workspace can pay for).
    pub max_tokens: u64,
}

/// How long a reservation holds before the repair releases it.
pub fn reservation_ttl_ms(ai_timeout_s: u64) -> i64 {
    (ai_timeout_s as i64 * 3 + 30) * 1000
}

impl Balance {
    fn of(l: &LedgerRow, now: i64) -> Balance {
        let used = super::current_used(l, now);
        let mut available = l.limit.saturating_sub(used).saturating_sub(l.reserved);
        if let (true, Some(b)) = (l.budget_hard, l.budget) {
            available = available.min(b.saturating_sub(used).saturating_sub(l.reserved));
        }
        Balance {
            limit: l.limit,
            used,
            reserved: l.reserved,
            available: available.max(Micros::ZERO),
            period: billing_period(l.period_anchor, now),
            budget: l.budget.map(|monthly| Budget {
                monthly,
                alert_percents: l.alert_percents.clone(),
                hard: l.budget_hard,
            }),
        }
    }
}

/// Rolls the ledger into the current period if it is still on an older one, and reads it.
pub(super) async fn current(conn: &mut Conn, ws: &WorkspaceId, now: i64) -> Result<LedgerRow> {
    let l = store::ledger(conn, ws).await?.ok_or(DomainError::NotFound)?;
    let (start, _) = billing_period(l.period_anchor, now);
    if start == l.period_start {
        return Ok(l);
    }
    store::roll_period(conn, ws, l.period_start, start).await?;
    Ok(store::ledger(conn, ws).await?.ok_or(DomainError::NotFound)?)
}

/// Why a charge does not fit: the hard budget when it is the tighter bound, else the limit.
fn refusal(l: &LedgerRow, used: Micros, needed: Micros) -> DomainError {
    let over_budget = l.budget_hard && l.budget.is_some_and(|b| used + l.reserved + needed > b);
    if over_budget && used + l.reserved + needed <= l.limit {
        DomainError::BudgetExceeded("the workspace's monthly hard budget is spent".into())
    } else {
        DomainError::CreditLimitExceeded(format!(
            "the workspace has {} credits left of its limit of {}; this needs {}",
            l.limit.saturating_sub(used).saturating_sub(l.reserved).max(Micros::ZERO).decimal(),
            l.limit.decimal(),
            needed.decimal()
        ))
    }
}

/// Reserves the worst case of a call of `input` tokens and up to `max_tokens` output tokens, on
/// the caller's transaction. Where less is left than the worst case, `max_tokens` is lowered to
/// what still fits; refused only when not even a short reply fits. A concurrent reservation that
/// took the room between the read and the write makes the write fail, and the fit is computed
/// again from the new balance.
pub(super) async fn reserve(
    conn: &mut Conn,
    ws: &WorkspaceId,
    price: Price,
    input: u64,
    max_tokens: u64,
    credit_value_minor: i64,
    ttl_ms: i64,
) -> Result<Reservation> {
    let now = now_ms();
    loop {
        let l = current(conn, ws, now).await?;
        let balance = Balance::of(&l, now);
        let max_tokens = match fit(price, input, max_tokens, balance.available, credit_value_minor) {
            Fit::Whole => max_tokens,
            Fit::Lowered(n) => n,
            Fit::Refused => {
                let needed =
                    price.charge(input, max_tokens.min(lyceum_domain::credits::MIN_REPLY_TOKENS), credit_value_minor);
                return Err(refusal(&l, balance.used, needed.credits).into());
            }
        };
        let amount = price.charge(input, max_tokens, credit_value_minor).credits;
        if store::try_reserve(conn, ws, amount, now).await? {
            let id = crate::kernel::db::new_id();
            store::insert_reservation(conn, &id, ws, amount, now, now + ttl_ms).await?;
            return Ok(Reservation { id, workspace_id: ws.clone(), amount, max_tokens });
        }
    }
}

/// Whether `credits` more fit a ledger whose spend is `used` (an ingested event, checked in
/// memory under the ledger's row lock): not beyond the limit, nor a hard budget; the event that
/// reaches a hard budget exactly fits.
pub(super) fn fits(l: &LedgerRow, used: Micros, credits: Micros) -> Result<(), DomainError> {
    let total = used + l.reserved + credits;
    let over_budget = l.budget_hard && l.budget.is_some_and(|b| total > b);
    if total > l.limit || over_budget {
        return Err(refusal(l, used, credits));
    }
    Ok(())
}

/// Settles a reservation: releases it and adds `used` to the spend. `false` if the reservation
/// was already released (it expired and was repaired): then the spend is added alone.
pub(super) async fn settle(conn: &mut Conn, reservation_id: &str, ws: &WorkspaceId, used: Micros) -> Result<bool> {
    let now = now_ms();
    let taken = store::take_reservation(conn, reservation_id).await?;
    let held = taken.as_ref().map_or(Micros::ZERO, |(_, amount)| *amount);
    current(conn, ws, now).await?;
    store::settle_ledger(conn, ws, held, used, now).await?;
    Ok(taken.is_some())
}

/// Sends the budget alerts a workspace's spend newly crossed since `before` (once per threshold
/// per period): one email to each of its owners, through the outbox, on the caller's
/// transaction. Answers the percents crossed.
pub(super) async fn alert(
    conn: &mut Conn,
    ws: &WorkspaceId,
    before: Micros,
    base_url: &str,
    now: i64,
) -> Result<Vec<u32>> {
    let l = current(conn, ws, now).await?;
    let Some(budget) = l.budget else { return Ok(Vec::new()) };
    let crossed: Vec<u32> = crossed_thresholds(&l.alert_percents, budget, before, l.used)
        .into_iter()
        .filter(|p| !l.alerts_sent.contains(p))
        .collect();
    let Some(&highest) = crossed.iter().max() else { return Ok(crossed) };
    let mut sent = l.alerts_sent.clone();
    sent.extend(&crossed);
    store::mark_alerts_sent(conn, ws, &sent).await?;
    let name = crate::tenancy::queries::orgs::workspace(conn, ws).await?.map(|w| w.name).unwrap_or_default();
    let link = format!("{base_url}/w/{ws}/ai-cost");
    let (spent, budget) = (l.used.decimal(), budget.decimal());
    let mails: Vec<lyceum_mail::Envelope> = crate::tenancy::queries::members::workspace_owner_emails(conn, ws)
        .await?
        .iter()
        .map(|to| {
            lyceum_mail::templates::budget_alert(&lyceum_mail::templates::BudgetAlert {
                to,
                workspace: &name,
                percent: highest,
                spent: &spent,
                budget: &budget,
                hard: l.budget_hard,
                link: &link,
            })
        })
        .collect();
    lyceum_mail::enqueue_many(conn, &mails, now).await?;
    Ok(crossed)
}

impl Credits<'_> {
    /// `GET /workspaces/{ws}/credits`: `usage.view` or `credits.allocate`.
    pub async fn balance(&self, caller: &Caller, ws: &WorkspaceId) -> Result<Balance> {
        let mut conn = self.lazy_conn();
        let org = self.workspace_org(&mut conn, ws).await?.ok_or(DomainError::NotFound)?;
        let access = workspace_access(&mut conn, self.cached(), caller, &org, ws).await?;
        if !access.may_in_workspace(Permission::UsageView) && !access.may_in_org(Permission::CreditsAllocate) {
            return Err(DomainError::Forbidden("usage.view").into());
        }
        let conn = crate::kernel::lazy::Db::conn(&mut conn).await?;
        let l = store::ledger(conn, ws).await?.ok_or(DomainError::NotFound)?;
        Ok(Balance::of(&l, now_ms()))
    }

    /// `PUT /workspaces/{ws}/budget` (`settings.manage`): a monthly budget in credits, its alert
    /// percents and whether it stops spending when reached.
    pub async fn set_budget(&self, caller: &Caller, ws: &WorkspaceId, budget: Budget) -> Result<Balance> {
        let mut percents = budget.alert_percents.clone();
        if percents.iter().any(|p| !(1..=1000).contains(p)) || percents.len() > 10 {
            return Err(DomainError::invalid("alert_percents", "must be at most 10 percents between 1 and 1000").into());
        }
        percents.sort_unstable();
        percents.dedup();
        let org = self.org_of_workspace(ws).await?;
        let mut tx = self.begin_change().await?;
        let access = workspace_access(&mut tx, self.cached(), caller, &org, ws).await?;
        access.require_in_workspace(Permission::SettingsManage)?;
        let now = now_ms();
        let before = current(&mut tx, ws, now).await?;
        store::set_budget(&mut tx, ws, Some(budget.monthly), &percents, budget.hard, now).await?;
        let after = store::ledger(&mut tx, ws).await?.ok_or(DomainError::NotFound)?;
        let entry = Entry {
            org_id: Some(org.to_string()),
            workspace_id: Some(ws.to_string()),
            action: Action::BudgetSet,
            target_id: ws.to_string(),
            before: before.budget.map(|b| {
                json!({"monthly_credits": b.to_json(), "alert_percents": before.alert_percents, "hard": before.budget_hard})
            }),
            after: Some(json!({"monthly_credits": budget.monthly.to_json(), "alert_percents": percents, "hard": budget.hard})),
        };
        tx.record(&caller.audit_actor(), vec![entry], now);
        tx.commit().await?;
        Ok(Balance::of(&after, now))
    }

    /// Releases every reservation past its expiry (after a crash between reserve and settle, or
    /// a call abandoned without settling): run at start-up and then every minute.
    pub async fn repair(&self) -> Result<usize> {
        let now = now_ms();
        let mut conn = self.pool.acquire().await?;
        let expired = store::expired_reservations(&mut conn, now).await?;
        drop(conn);
        let mut released = 0;
        for id in expired {
            let mut tx = self.begin_change().await?;
            if let Some((ws, amount)) = store::take_reservation(&mut tx, &id).await? {
                store::settle_ledger(&mut tx, &ws, amount, Micros::ZERO, now).await?;
                released += 1;
            }
            tx.unaudited("releasing an expired credit reservation changes no one's data; the ledger is the record");
            tx.commit().await?;
        }
        Ok(released)
    }
}
