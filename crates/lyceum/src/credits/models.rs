//! Models and their prices, per organisation. A model nobody priced is *unpriced*: a call to it
//! is refused (`model_unpriced`) until an owner prices it; 0 is a valid price (local models).

use lyceum_domain::credits::{Micros, Price};
use lyceum_domain::id::OrgId;
use lyceum_domain::{DomainError, Permission};
use serde_json::json;

use super::store::{self, ModelRow};
use super::Credits;
use crate::kernel::access::org_access;
use crate::kernel::audit_chain::{Action, Entry};
use crate::kernel::db::now_ms;
use crate::kernel::sql::Conn;
use crate::kernel::{Caller, Result};

/// A model as the organisation sees it.
#[derive(Debug, Clone)]
pub struct Model {
    pub name: String,
    pub price: Option<Price>,
    pub enabled: bool,
}

/// How long the model list waits for the provider's `/v1/models`.
const PROVIDER_LIST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// The largest price accepted, in minor units per million tokens.
pub const MAX_PRICE_MINOR: i64 = 100_000_000;

/// A model name: 1 to 200 printable characters without spaces at the ends.
pub fn parse_model_name(name: &str) -> Result<String, DomainError> {
    let trimmed = name.trim();
    if trimmed.is_empty() || trimmed.len() > 200 || trimmed.chars().any(char::is_control) {
        return Err(DomainError::invalid("name", "must be 1 to 200 printable characters"));
    }
    Ok(trimmed.to_owned())
}

/// The price a call to `model` is charged at, or why it may not be called.
pub(super) async fn price_of(conn: &mut Conn, org: &OrgId, model: &str) -> Result<Price> {
    match store::model(conn, org, model).await? {
        Some(ModelRow { enabled: false, .. }) => {
            Err(DomainError::ModelUnpriced(format!("the model {model:?} is disabled in this organisation")).into())
        }
        Some(ModelRow { price: Some(price), .. }) => Ok(price),
        _ => Err(DomainError::ModelUnpriced(format!(
            "the model {model:?} has no price; an organisation owner sets one under PUT /api/v1/orgs/{{org}}/models/{{name}}"
        ))
        .into()),
    }
}

impl Credits<'_> {
    /// The organisation's models: those it priced or disabled, then — unpriced until priced — the
    /// instance's default model and the models the provider offers (`/v1/models`).
    pub async fn models(&self, caller: &Caller, org: &OrgId) -> Result<Vec<Model>> {
        let mut conn = self.lazy_conn();
        org_access(&mut conn, self.cached(), caller, org).await?;
        let conn = crate::kernel::lazy::Db::conn(&mut conn).await?;
        let mut models: Vec<Model> = store::models(conn, org)
            .await?
            .into_iter()
            .map(|m| Model { name: m.name, price: m.price, enabled: m.enabled })
            .collect();
        // The provider's own list, when it answers quickly (outside any transaction).
        let mut offered: Vec<String> = Vec::new();
        if let Some(client) = &self.ai {
            match tokio::time::timeout(PROVIDER_LIST_TIMEOUT, client.models()).await {
                Ok(Ok(names)) => offered = names,
                Ok(Err(error)) => tracing::info!(%error, "the AI provider's model list is unavailable"),
                Err(_) => tracing::info!("the AI provider's model list took too long"),
            }
        }
        let configured = self
            .settings
            .ai_default_model
            .iter()
            .chain(self.ai.iter().filter_map(|c| c.config().default_model.as_ref()))
            .chain(offered.iter());
        for name in configured {
            if !models.iter().any(|m| &m.name == name) {
                models.push(Model { name: name.clone(), price: None, enabled: true });
            }
        }
        models.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(models)
    }

    /// Prices (or re-prices, enables, disables) a model of the organisation (`org.manage`).
    pub async fn set_model(
        &self,
        caller: &Caller,
        org: &OrgId,
        name: &str,
        price: Price,
        enabled: bool,
    ) -> Result<Model> {
        let name = parse_model_name(name)?;
        for (field, value) in [("input_price_per_mtok", price.input), ("output_price_per_mtok", price.output)] {
            if value > Micros::units(MAX_PRICE_MINOR) || value < Micros::ZERO {
                return Err(DomainError::invalid(field, format!("must be between 0 and {MAX_PRICE_MINOR}")).into());
            }
        }
        let mut tx = self.begin_change().await?;
        org_access(&mut tx, self.cached(), caller, org).await?.require_in_org(Permission::OrgManage)?;
        let before = store::model(&mut tx, org, &name).await?;
        let now = now_ms();
        let row = ModelRow { name: name.clone(), price: Some(price), enabled };
        store::upsert_model(&mut tx, org, &row, now).await?;
        let wire = |m: &ModelRow| {
            json!({
                "input_price_per_mtok": m.price.map(|p| p.input.to_json()),
                "output_price_per_mtok": m.price.map(|p| p.output.to_json()),
                "enabled": m.enabled,
            })
        };
        let entry = Entry {
            org_id: Some(org.to_string()),
            workspace_id: None,
            action: Action::ModelPriced,
            target_id: name.clone(),
            before: before.as_ref().map(wire),
            after: Some(wire(&row)),
        };
        tx.record(&caller.audit_actor(), vec![entry], now);
        tx.commit().await?;
        Ok(Model { name, price: Some(price), enabled })
    }
}
