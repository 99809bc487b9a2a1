//! External usage ingestion: integrations report their own AI usage, each event idempotent by
//! its key, each charged to the workspace's ledger on its own (a batch is one transaction, but
//! one refused event does not refuse the others).

use std::collections::HashMap;

use lyceum_domain::credits::{Feature, Micros, Price};
use lyceum_domain::id::{UserId, WorkspaceId};
use lyceum_domain::{Code, DomainError, Permission};
use serde_json::json;

use super::store::{self, UsageEvent};
use super::{ledger, models, Credits};
use crate::kernel::access::workspace_access;
use crate::kernel::audit_chain::{Action, Entry};
use crate::kernel::db::now_ms;
use crate::kernel::{Caller, Result, ServiceError};

/// The most events one request may carry.
pub const MAX_BATCH: usize = 1000;
const MAX_PAST_MS: i64 = 35 * store::DAY_MS;
const MAX_AHEAD_MS: i64 = 5 * 60_000;
const MAX_TOKENS: i64 = 1_000_000_000;

/// One event as a client sent it.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub idempotency_key: String,
    pub feature: String,
    pub model: String,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub course_id: Option<String>,
    pub user_id: Option<String>,
    /// Unix ms; `None` is now.
    pub at: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Recorded,
    Duplicate,
    Refused,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Recorded => "recorded",
            Outcome::Duplicate => "duplicate",
            Outcome::Refused => "refused",
        }
    }
}

/// What happened to one event.
#[derive(Debug, Clone)]
pub struct Result1 {
    pub idempotency_key: String,
    pub outcome: Outcome,
    pub code: Option<Code>,
    pub message: Option<String>,
    /// For a duplicate: what the key's first event came to.
    pub first_outcome: Option<String>,
}

fn refused(key: &str, e: &DomainError) -> Result1 {
    Result1 {
        idempotency_key: key.to_owned(),
        outcome: Outcome::Refused,
        code: Some(e.code()),
        message: Some(e.to_string()),
        first_outcome: None,
    }
}

/// What one batch looks up once per distinct value: prices by model, membership by user.
#[derive(Default)]
struct Lookups {
    prices: HashMap<String, Result<Price, DomainError>>,
    members: HashMap<String, bool>,
}

impl Credits<'_> {
    /// `POST /workspaces/{ws}/usage` (`usage.view`): records each event at most once per key.
    ///
    /// One transaction for the batch: the workspace's ledger row is locked first (so the batch
    /// and any reservation on this workspace never interleave), read once, and every event is
    /// checked and charged against it in order in memory; then the events, their keys and their
    /// pre-summed rollups are written in multi-row statements and the ledger once.
    pub async fn ingest(&self, caller: &Caller, ws: &WorkspaceId, events: Vec<NewEvent>) -> Result<Vec<Result1>> {
        if events.is_empty() || events.len() > MAX_BATCH {
            return Err(DomainError::invalid("events", format!("must hold 1 to {MAX_BATCH} events")).into());
        }
        let org = self.org_of_workspace(ws).await?;
        let mut tx = self.begin_change().await?;
        let access = workspace_access(&mut tx, self.cached(), caller, &org, ws).await?;
        access.require_in_workspace(Permission::UsageView)?;
        let now = now_ms();
        store::lock_ledger(&mut tx, ws, now).await?;
        let ledger_row = ledger::current(&mut tx, ws, now).await?;
        let spent_before = ledger_row.used;
        let asked: Vec<&str> = events.iter().map(|e| e.idempotency_key.as_str()).filter(|k| valid_key(k)).collect();
        let mut firsts: HashMap<String, String> = store::key_outcomes(&mut tx, ws, &asked).await?;
        let mut lookups = Lookups::default();
        let mut used = ledger_row.used;
        let mut results = Vec::with_capacity(events.len());
        let (mut rows, mut keys) = (Vec::new(), Vec::new());
        let mut charged = Micros::ZERO;
        for e in events {
            let key = e.idempotency_key.clone();
            if !valid_key(&key) {
                results.push(refused(&key, &DomainError::invalid("idempotency_key", "must be 1 to 200 characters")));
                continue;
            }
            if let Some(first) = firsts.get(&key) {
                results.push(Result1 {
                    idempotency_key: key,
                    outcome: Outcome::Duplicate,
                    code: None,
                    message: None,
                    first_outcome: Some(first.clone()),
                });
                continue;
            }
            let (price, at, feature) = match self.check_event(&mut tx, &org, ws, &e, now, &mut lookups).await {
                Ok(checked) => checked,
                // Malformed events keep no key: the corrected event may use it.
                Err(ServiceError::Domain(d)) if d.code() == Code::Validation => {
                    results.push(refused(&key, &d));
                    continue;
                }
                Err(ServiceError::Domain(d)) => {
                    keys.push(store::KeyRow::refused(ws, &key, d.code(), now));
                    firsts.insert(key.clone(), "refused".into());
                    results.push(refused(&key, &d));
                    continue;
                }
                Err(other) => return Err(other),
            };
            let charge = price.charge(e.input_tokens as u64, e.output_tokens as u64, self.settings.credit_value_minor);
            if let Err(d) = ledger::fits(&ledger_row, used, charge.credits) {
                keys.push(store::KeyRow::refused(ws, &key, d.code(), now));
                firsts.insert(key.clone(), "refused".into());
                results.push(refused(&key, &d));
                continue;
            }
            used = used + charge.credits;
            charged = charged + charge.credits;
            let event = UsageEvent {
                id: crate::kernel::db::new_id(),
                org_id: org.clone(),
                workspace_id: ws.clone(),
                at,
                feature: feature.as_str().to_owned(),
                model: e.model.clone(),
                course_id: e.course_id.clone(),
                user_id: e.user_id.clone(),
                attempt_id: None,
                input_tokens: e.input_tokens,
                output_tokens: e.output_tokens,
                cost: charge.cost,
                credits: charge.credits,
                estimated: false,
                reservation_id: None,
            };
            keys.push(store::KeyRow::recorded(ws, &key, &event.id, now));
            firsts.insert(key.clone(), "recorded".into());
            rows.push(event);
            results.push(Result1 {
                idempotency_key: key,
                outcome: Outcome::Recorded,
                code: None,
                message: None,
                first_outcome: None,
            });
        }
        store::insert_events(&mut tx, &rows).await?;
        store::insert_keys(&mut tx, &keys).await?;
        store::settle_ledger(&mut tx, ws, Micros::ZERO, charged, now).await?;
        let alerts = ledger::alert(&mut tx, ws, spent_before, &self.settings.base_url, now).await?;
        let entry = Entry {
            org_id: Some(org.to_string()),
            workspace_id: Some(ws.to_string()),
            action: Action::UsageIngested,
            target_id: ws.to_string(),
            before: None,
            after: Some(json!({
                "events": results.len(),
                "recorded": rows.len(),
                "credits": charged.to_json(),
                "budget_alerts": alerts,
            })),
        };
        tx.record(&caller.audit_actor(), vec![entry], now);
        tx.commit().await?;
        if !alerts.is_empty() {
            self.wake_mailer();
        }
        Ok(results)
    }

    /// Checks one event: its feature, model and price, tokens, time and user.
    async fn check_event(
        &self,
        tx: &mut crate::kernel::change::Change,
        org: &lyceum_domain::id::OrgId,
        ws: &WorkspaceId,
        e: &NewEvent,
        now: i64,
        lookups: &mut Lookups,
    ) -> Result<(Price, i64, Feature)> {
        let feature = Feature::parse(&e.feature)?;
        for (field, n) in [("input_tokens", e.input_tokens), ("output_tokens", e.output_tokens)] {
            if !(0..=MAX_TOKENS).contains(&n) {
                return Err(DomainError::invalid(field, format!("must be between 0 and {MAX_TOKENS}")).into());
            }
        }
        let at = e.at.unwrap_or(now);
        if at < now - MAX_PAST_MS || at > now + MAX_AHEAD_MS {
            return Err(DomainError::invalid("at", "must lie at most 35 days in the past and 5 minutes ahead").into());
        }
        if let Some(user) = &e.user_id {
            let member = match lookups.members.get(user) {
                Some(known) => *known,
                None => {
                    let member = match UserId::try_from(user.clone()) {
                        Ok(id) => crate::tenancy::queries::members::workspace_role(tx, ws, &id).await?.is_some(),
                        Err(_) => false,
                    };
                    lookups.members.insert(user.clone(), member);
                    member
                }
            };
            if !member {
                return Err(DomainError::invalid("user_id", "must be a member of the workspace").into());
            }
        }
        if let Some(course) = &e.course_id {
            if course.is_empty() || course.len() > 64 {
                return Err(DomainError::invalid("course_id", "must be a course id").into());
            }
        }
        if !lookups.prices.contains_key(&e.model) {
            let price = match models::price_of(tx, org, &e.model).await {
                Ok(p) => Ok(p),
                Err(ServiceError::Domain(d)) => Err(d),
                Err(other) => return Err(other),
            };
            lookups.prices.insert(e.model.clone(), price);
        }
        match &lookups.prices[&e.model] {
            Ok(price) => Ok((*price, at, feature)),
            Err(d) => Err(d.clone().into()),
        }
    }
}

fn valid_key(key: &str) -> bool {
    !key.is_empty() && key.len() <= 200
}
