//! The AI gateway: every model call of every feature goes through here, as **reserve → call
//! outside any transaction → settle**.
//!
//! 1. *Reserve*, in a short transaction that takes no organisation lock: the worst case of the
//!    request (its prompt, counted locally with a margin, plus `max_tokens` of output) at the
//!    model's price; `max_tokens` is lowered to what the workspace can still pay for, and the call
//!    is refused only when not even a short reply fits.
//! 2. *Call* the provider, holding no transaction and no lock. Dropping the future (the client
//!    went away) cancels the call and releases the reservation.
//! 3. *Settle*, in a second short transaction: the usage event (the provider's token counts, or
//!    local counts marked `estimated`), its rollup, and the ledger (reservation released, real
//!    spend added). A failed call settles nothing: the reservation is released, nothing charged.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;

use lyceum_ai::{AiError, ChatRequest, Completion, CompletionStream, Message, StreamEvent, Usage};
use lyceum_domain::credits::{Charge, Feature, Micros};
use lyceum_domain::id::{OrgId, UserId, WorkspaceId};
use lyceum_domain::DomainError;

use super::ledger::{self, Reservation};
use super::store::{self, UsageEvent};
use super::{models, Credits};
use crate::kernel::db::now_ms;
use crate::kernel::{Lyceum, Result, ServiceError};

/// A call to make on a workspace's credits.
#[derive(Debug, Clone)]
pub struct AiCall {
    pub workspace_id: WorkspaceId,
    pub feature: Feature,
    /// `None`: the instance's default model.
    pub model: Option<String>,
    pub messages: Vec<Message>,
    pub max_tokens: u32,
    pub temperature: Option<f32>,
    /// Ask for a JSON object (structured output).
    pub json: bool,
    pub course_id: Option<String>,
    pub user_id: Option<UserId>,
    pub attempt_id: Option<String>,
}

/// A settled call.
#[derive(Debug, Clone)]
pub struct AiAnswer {
    pub completion: Completion,
    pub charge: Charge,
    /// The `max_tokens` the provider was asked for (lower than asked where credits ran short).
    pub max_tokens: u32,
    pub usage_event_id: String,
}

/// The prompt's local count with a margin for a provider whose tokenizer counts more.
fn prompt_worst_case(local: u64) -> u64 {
    local + local / 4 + 32
}

/// Releases a reservation that was not settled (the call failed, or its future was dropped).
struct Held<'a> {
    credits: Credits<'a>,
    reservation: Option<Reservation>,
}

impl Held<'_> {
    fn take(&mut self) -> Option<Reservation> {
        self.reservation.take()
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        if let Some(r) = self.reservation.take() {
            let pool = self.credits.pool.clone();
            let backend = self.credits.backend;
            // A dropped future cannot wait: release in the background; the repair releases it
            // should this process die first (or no runtime be left to run it).
            let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
            runtime.spawn(async move {
                if let Err(error) = release(&pool, backend, &r).await {
                    tracing::warn!(%error, reservation = %r.id, "releasing a credit reservation failed; it will expire");
                }
            });
        }
    }
}

async fn release(pool: &sqlx::AnyPool, backend: crate::kernel::db::Backend, r: &Reservation) -> sqlx::Result<()> {
    let mut tx = match backend {
        crate::kernel::db::Backend::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await?,
        crate::kernel::db::Backend::Postgres => pool.begin().await?,
    };
    if let Some((ws, amount)) = store::take_reservation(&mut tx, &r.id).await? {
        store::settle_ledger(&mut tx, &ws, amount, Micros::ZERO, now_ms()).await?;
    }
    tx.commit().await
}

/// An `ai_unavailable` refusal for a provider failure.
fn unavailable(error: &AiError) -> ServiceError {
    let retry_after = match error {
        AiError::Unavailable { retry_after, .. } => {
            Some(retry_after.unwrap_or(Duration::from_secs(5)).as_secs().max(1))
        }
        _ => Some(30),
    };
    ServiceError::AiUnavailable { message: error.to_string(), retry_after }
}

/// A call reserved and ready to send.
struct Prepared {
    client: lyceum_ai::Client,
    org: OrgId,
    model: String,
    request: ChatRequest,
    reservation: Reservation,
}

impl Credits<'_> {
    /// Steps before the call: the provider, the model and its price, and the reservation.
    async fn prepare(&self, call: &AiCall) -> Result<Prepared> {
        let Some(client) = self.ai.clone() else {
            return Err(ServiceError::AiUnavailable {
                message: "no AI provider is configured on this instance (--ai-base-url)".into(),
                retry_after: None,
            });
        };
        let model = call
            .model
            .clone()
            .or_else(|| self.settings.ai_default_model.clone())
            .or_else(|| client.config().default_model.clone())
            .ok_or_else(|| ServiceError::AiUnavailable {
                message: "no model is named and no default model is configured (--ai-default-model)".into(),
                retry_after: None,
            })?;
        let org = self.org_of_workspace(&call.workspace_id).await?;
        let input_local = lyceum_ai::count_prompt_tokens(&call.messages);
        let price = {
            let mut conn = self.pool.acquire().await?;
            models::price_of(&mut conn, &org, &model).await?
        };
        let mut tx = self.begin_change().await?;
        let reservation = ledger::reserve(
            &mut tx,
            &call.workspace_id,
            price,
            prompt_worst_case(input_local),
            u64::from(call.max_tokens),
            self.settings.credit_value_minor,
            self.settings.reservation_ttl_ms,
        )
        .await?;
        tx.unaudited("a credit reservation is settled into a usage event, which is the record");
        tx.commit().await?;
        let max_tokens = u32::try_from(reservation.max_tokens).unwrap_or(call.max_tokens).min(call.max_tokens);
        let request = ChatRequest {
            model: Some(model.clone()),
            messages: call.messages.clone(),
            max_tokens,
            temperature: call.temperature,
            json: call.json,
        };
        Ok(Prepared { client, org, model, request, reservation })
    }

    /// Makes one chat call on the workspace's credits (see the module's doc for the steps).
    pub async fn complete(&self, call: AiCall) -> Result<AiAnswer> {
        // 1. Reserve.
        let Prepared { client, org, model, request, reservation } = self.prepare(&call).await?;
        let mut held = Held { credits: *self, reservation: Some(reservation) };

        // 2. Call, outside any transaction.
        let completion = match client.complete(&request).await {
            Ok(c) => c,
            Err(error) => {
                tracing::info!(%error, model, "AI call failed; its reservation is released");
                if let Some(r) = held.take() {
                    release(&self.pool, self.backend, &r).await?;
                }
                return Err(unavailable(&error));
            }
        };

        // 3. Settle.
        let reservation = held.take().ok_or_else(|| anyhow::anyhow!("the reservation was settled twice"))?;
        let (usage_event_id, charge) = self.settle(&org, &call, &model, &reservation, &completion).await?;
        Ok(AiAnswer { completion, charge, max_tokens: request.max_tokens, usage_event_id })
    }

    /// Streams one chat call: the text as the model produces it, then the settled answer. The
    /// stream owns what it needs (`'static`), so a response body can hold it. Dropped before its
    /// end (the client went away), it stops the provider call, and what the model produced so far
    /// is settled, counted locally and marked `estimated`; a failure before any text releases the
    /// reservation and charges nothing.
    pub async fn stream(lyceum: Arc<Lyceum>, call: AiCall) -> Result<AiStream> {
        let Prepared { client, org, model, request, reservation } = lyceum.credits().prepare(&call).await?;
        let inner = match client.stream(&request).await {
            Ok(inner) => inner,
            Err(error) => {
                release(&lyceum.pool, lyceum.backend, &reservation).await?;
                return Err(unavailable(&error));
            }
        };
        Ok(AiStream {
            open: Some(Open { lyceum, org, model, call, reservation, text: String::new() }),
            inner: Box::pin(inner),
            max_tokens: request.max_tokens,
        })
    }

    async fn settle(
        &self,
        org: &OrgId,
        call: &AiCall,
        model: &str,
        reservation: &Reservation,
        completion: &Completion,
    ) -> Result<(String, Charge)> {
        let now = now_ms();
        let mut tx = self.begin_change().await?;
        let price = models::price_of(&mut tx, org, model).await.or_else(|e| match e {
            // Re-priced or disabled meanwhile: the call was reserved at a price; charge it.
            ServiceError::Domain(DomainError::ModelUnpriced(_)) => {
                Ok(lyceum_domain::credits::Price { input: Micros::ZERO, output: Micros::ZERO })
            }
            other => Err(other),
        })?;
        let charge = price.charge(
            completion.usage.input_tokens,
            completion.usage.output_tokens,
            self.settings.credit_value_minor,
        );
        let before = ledger::current(&mut tx, &call.workspace_id, now).await?.used;
        ledger::settle(&mut tx, &reservation.id, &call.workspace_id, charge.credits).await?;
        let event = UsageEvent {
            id: crate::kernel::db::new_id(),
            org_id: org.clone(),
            workspace_id: call.workspace_id.clone(),
            at: now,
            feature: call.feature.as_str().to_owned(),
            model: model.to_owned(),
            course_id: call.course_id.clone(),
            user_id: call.user_id.as_ref().map(|u| u.to_string()),
            attempt_id: call.attempt_id.clone(),
            input_tokens: completion.usage.input_tokens as i64,
            output_tokens: completion.usage.output_tokens as i64,
            cost: charge.cost,
            credits: charge.credits,
            estimated: completion.usage.estimated,
            reservation_id: Some(reservation.id.clone()),
        };
        store::insert_event(&mut tx, &event).await?;
        let alerts = ledger::alert(&mut tx, &call.workspace_id, before, &self.settings.base_url, now).await?;
        tx.unaudited("an AI call's usage event is its own record");
        tx.commit().await?;
        if !alerts.is_empty() {
            self.wake_mailer();
        }
        Ok((event.id, charge))
    }
}

/// What a streamed call yields.
#[derive(Debug)]
pub enum AiChunk {
    /// Text as the model produces it.
    Delta(String),
    /// The end: the whole answer, settled.
    Done(AiAnswer),
}

/// A streamed call in flight and what is needed to settle it.
struct Open {
    lyceum: Arc<Lyceum>,
    org: OrgId,
    model: String,
    call: AiCall,
    reservation: Reservation,
    /// The text so far: what a stream cut short is charged for.
    text: String,
}

impl Open {
    /// Settles what was produced before the stream ended early (counted locally, estimated), or
    /// releases the reservation if nothing was.
    async fn settle_partial(self) -> Result<()> {
        if self.text.is_empty() {
            release(&self.lyceum.pool, self.lyceum.backend, &self.reservation).await?;
            return Ok(());
        }
        let completion = Completion {
            usage: Usage {
                input_tokens: lyceum_ai::count_prompt_tokens(&self.call.messages),
                output_tokens: lyceum_ai::count_tokens(&self.text),
                estimated: true,
            },
            text: self.text,
            finish_reason: None,
            model: self.model.clone(),
        };
        self.lyceum.credits().settle(&self.org, &self.call, &self.model, &self.reservation, &completion).await?;
        Ok(())
    }
}

/// A streamed call (see [`Credits::stream`]).
pub struct AiStream {
    open: Option<Open>,
    inner: Pin<Box<CompletionStream>>,
    /// The `max_tokens` the provider was asked for.
    pub max_tokens: u32,
}

impl std::fmt::Debug for AiStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AiStream").field("max_tokens", &self.max_tokens).finish_non_exhaustive()
    }
}

impl AiStream {
    /// The next piece: `Delta`s, then one `Done` (or the failure), then `None`.
    pub async fn next(&mut self) -> Option<Result<AiChunk>> {
        let item = std::future::poll_fn(|cx: &mut Context<'_>| -> Poll<Option<Result<StreamEvent, AiError>>> {
            self.inner.as_mut().poll_next(cx)
        })
        .await;
        let open = self.open.as_mut()?;
        match item {
            Some(Ok(StreamEvent::Delta(text))) => {
                open.text.push_str(&text);
                Some(Ok(AiChunk::Delta(text)))
            }
            Some(Ok(StreamEvent::Done(completion))) => {
                let open = self.open.take()?;
                let credits = open.lyceum.credits();
                let settled = credits.settle(&open.org, &open.call, &open.model, &open.reservation, &completion).await;
                Some(settled.map(|(usage_event_id, charge)| {
                    AiChunk::Done(AiAnswer { completion, charge, max_tokens: self.max_tokens, usage_event_id })
                }))
            }
            Some(Err(error)) => {
                let open = self.open.take()?;
                tracing::info!(%error, "a streamed AI call failed; what it produced is settled");
                if let Err(e) = open.settle_partial().await {
                    return Some(Err(e));
                }
                Some(Err(unavailable(&error)))
            }
            None => {
                let open = self.open.take()?;
                if let Err(e) = open.settle_partial().await {
                    return Some(Err(e));
                }
                Some(Err(ServiceError::AiUnavailable {
                    message: "the AI provider ended the stream without finishing".into(),
                    retry_after: Some(5),
                }))
            }
        }
    }
}

impl Drop for AiStream {
    fn drop(&mut self) {
        if let Some(open) = self.open.take() {
            // The client went away: the provider call stops with `inner`; settle what it made
            // (or, with no runtime left, let the repair release the reservation).
            let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
            runtime.spawn(async move {
                if let Err(error) = open.settle_partial().await {
                    tracing::warn!(%error, "settling a cut-short AI stream failed; its reservation will expire");
                }
            });
        }
    }
}
