//! External usage ingestion: integrations report their own AI usage, each event idempotent by
//! its key, each charged to the workspace's ledger on its own (a batch is one transaction, but
//! one refused event does not refuse the others).

use lyceum_domain::credits::{Feature, Micros};
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

impl Credits<'_> {
    /// `POST /workspaces/{ws}/usage` (`usage.view`): records each event at most once per key.
    pub async fn ingest(&self, caller: &Caller, ws: &WorkspaceId, events: Vec<NewEvent>) -> Result<Vec<Result1>> {
        if events.is_empty() || events.len() > MAX_BATCH {
            return Err(DomainError::invalid("events", format!("must hold 1 to {MAX_BATCH} events")).into());
        }
        let org = self.org_of_workspace(ws).await?;
        let mut tx = self.begin_change().await?;
        let access = workspace_access(&mut tx, self.cached(), caller, &org, ws).await?;
        access.require_in_workspace(Permission::UsageView)?;
        let now = now_ms();
        let spent_before = ledger::current(&mut tx, ws, now).await?.used;
        let mut results = Vec::with_capacity(events.len());
        let mut recorded = 0_u64;
        let mut credits = Micros::ZERO;
        for e in events {
            let key = e.idempotency_key.clone();
            if key.is_empty() || key.len() > 200 {
                results.push(refused(&key, &DomainError::invalid("idempotency_key", "must be 1 to 200 characters")));
                continue;
            }
            if let Some((first, _code)) = store::key_outcome(&mut tx, ws, &key).await? {
                results.push(Result1 {
                    idempotency_key: key,
                    outcome: Outcome::Duplicate,
                    code: None,
                    message: None,
                    first_outcome: Some(first),
                });
                continue;
            }
            let checked = match self.check_event(&mut tx, &org, ws, &e, now).await {
                Ok(checked) => checked,
                // Malformed events keep no key: the corrected event may use it.
                Err(ServiceError::Domain(d)) if d.code() == Code::Validation => {
                    results.push(refused(&key, &d));
                    continue;
                }
                Err(ServiceError::Domain(d)) => {
                    store::insert_key(&mut tx, ws, &key, "refused", Some(d.code().as_str()), None, now).await?;
                    results.push(refused(&key, &d));
                    continue;
                }
                Err(other) => return Err(other),
            };
            let (price, at, feature) = checked;
            let charge = price.charge(e.input_tokens as u64, e.output_tokens as u64, self.settings.credit_value_minor);
            if let Err(ServiceError::Domain(d)) = ledger::charge_now(&mut tx, ws, charge.credits, now).await {
                store::insert_key(&mut tx, ws, &key, "refused", Some(d.code().as_str()), None, now).await?;
                results.push(refused(&key, &d));
                continue;
            }
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
            store::insert_event(&mut tx, &event).await?;
            store::insert_key(&mut tx, ws, &key, "recorded", None, Some(&event.id), now).await?;
            recorded += 1;
            credits = credits + charge.credits;
            results.push(Result1 {
                idempotency_key: key,
                outcome: Outcome::Recorded,
                code: None,
                message: None,
                first_outcome: None,
            });
        }
        let alerts = ledger::alert(&mut tx, ws, spent_before, &self.settings.base_url, now).await?;
        let entry = Entry {
            org_id: Some(org.to_string()),
            workspace_id: Some(ws.to_string()),
            action: Action::UsageIngested,
            target_id: ws.to_string(),
            before: None,
            after: Some(json!({
                "events": results.len(),
                "recorded": recorded,
                "credits": credits.to_json(),
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
    ) -> Result<(lyceum_domain::credits::Price, i64, Feature)> {
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
            let member = match UserId::try_from(user.clone()) {
                Ok(user) => crate::tenancy::queries::members::workspace_role(tx, ws, &user).await?.is_some(),
                Err(_) => false,
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
        let price = models::price_of(tx, org, &e.model).await?;
        Ok((price, at, feature))
    }
}
