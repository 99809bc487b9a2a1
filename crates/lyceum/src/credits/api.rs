//! The credits wing's JSON handlers and wire types (API.md "AI, credits, usage").

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use lyceum_domain::credits::{Micros, Price};
use lyceum_domain::id::{OrgId, WorkspaceId};
use lyceum_domain::DomainError;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ledger::{Balance, Budget};
use super::models::{Model, MAX_PRICE_MINOR};
use super::spend::{Report, Window};
use super::store::{Totals, DAY_MS};
use super::usage::{NewEvent, Result1, MAX_BATCH};
use crate::kernel::db::{parse_rfc3339, rfc3339};
use crate::web::error::ApiResult;
use crate::web::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::web::openapi::{AuthErrors, BodyErrors, NotFound, QueryErrors};
use crate::web::AppState;

/// This wing's API routes.
pub fn routes(router: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    router
        .routes(routes!(list_models))
        .routes(routes!(set_model))
        .routes(routes!(credits))
        .routes(routes!(ingest))
        .routes(routes!(set_budget))
        .routes(routes!(workspace_spend))
        .routes(routes!(org_spend))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ModelWire {
    pub name: String,
    /// Minor units per million input tokens; `null` when unpriced.
    #[schema(value_type = Option<f64>)]
    pub input_price_per_mtok: Option<Micros>,
    #[schema(value_type = Option<f64>)]
    pub output_price_per_mtok: Option<Micros>,
    pub enabled: bool,
    pub priced: bool,
}

impl From<Model> for ModelWire {
    fn from(m: Model) -> ModelWire {
        ModelWire {
            name: m.name,
            input_price_per_mtok: m.price.map(|p| p.input),
            output_price_per_mtok: m.price.map(|p| p.output),
            enabled: m.enabled,
            priced: m.price.is_some(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Models {
    pub items: Vec<ModelWire>,
}

/// The organisation's models and their prices.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/models", tag = "credits", params(("org" = String, Path)),
    responses((status = 200, body = Models), AuthErrors, NotFound))]
pub async fn list_models(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(org): ApiPath<OrgId>,
) -> ApiResult<Json<Models>> {
    let models = state.lyceum.credits().models(&caller, &org).await?;
    Ok(Json(Models { items: models.into_iter().map(ModelWire::from).collect() }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModelBody {
    /// Minor units of the instance currency per million input tokens (up to 6 decimals).
    #[schema(minimum = 0, maximum = 100_000_000)]
    pub input_price_per_mtok: f64,
    #[schema(minimum = 0, maximum = 100_000_000)]
    pub output_price_per_mtok: f64,
    /// Default true.
    pub enabled: Option<bool>,
}

/// Prices a model (organisation owners); creates it if the organisation has no row for it.
#[utoipa::path(put, path = "/api/v1/orgs/{org}/models/{name}", tag = "credits",
    params(("org" = String, Path), ("name" = String, Path)), request_body = ModelBody,
    responses((status = 200, body = ModelWire), AuthErrors, NotFound, BodyErrors))]
pub async fn set_model(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath((org, name)): ApiPath<(OrgId, String)>,
    ApiJson(b): ApiJson<ModelBody>,
) -> ApiResult<Json<ModelWire>> {
    let price = Price {
        input: Micros::from_json("input_price_per_mtok", b.input_price_per_mtok, MAX_PRICE_MINOR)?,
        output: Micros::from_json("output_price_per_mtok", b.output_price_per_mtok, MAX_PRICE_MINOR)?,
    };
    let model = state.lyceum.credits().set_model(&caller, &org, &name, price, b.enabled.unwrap_or(true)).await?;
    Ok(Json(model.into()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Period {
    pub start: String,
    pub end: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BudgetWire {
    #[schema(value_type = f64)]
    pub monthly_credits: Micros,
    pub alert_percents: Vec<u32>,
    pub hard: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreditsWire {
    #[schema(value_type = f64)]
    pub limit: Micros,
    /// Settled spend of this billing period.
    #[schema(value_type = f64)]
    pub used: Micros,
    /// Held by AI calls in flight.
    #[schema(value_type = f64)]
    pub reserved: Micros,
    #[schema(value_type = f64)]
    pub available: Micros,
    pub period: Period,
    pub budget: Option<BudgetWire>,
}

impl From<Balance> for CreditsWire {
    fn from(b: Balance) -> CreditsWire {
        CreditsWire {
            limit: b.limit,
            used: b.used,
            reserved: b.reserved,
            available: b.available,
            period: Period { start: rfc3339(b.period.0), end: rfc3339(b.period.1) },
            budget: b.budget.map(|b| BudgetWire {
                monthly_credits: b.monthly,
                alert_percents: b.alert_percents,
                hard: b.hard,
            }),
        }
    }
}

/// The workspace's credits now: limit, this period's spend, reservations in flight, what is left.
#[utoipa::path(get, path = "/api/v1/workspaces/{ws}/credits", tag = "credits", params(("ws" = String, Path)), operation_id = "workspace_credits",
    responses((status = 200, body = CreditsWire), AuthErrors, NotFound))]
pub async fn credits(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(ws): ApiPath<WorkspaceId>,
) -> ApiResult<Json<CreditsWire>> {
    Ok(Json(state.lyceum.credits().balance(&caller, &ws).await?.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetBody {
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64)]
    pub monthly_credits: f64,
    /// Default `[80, 100]`.
    pub alert_percents: Option<Vec<u32>>,
    /// Refuse spending past the budget (`budget_exceeded`); default false.
    pub hard: Option<bool>,
}

/// Sets the workspace's monthly budget (`settings.manage`).
#[utoipa::path(put, path = "/api/v1/workspaces/{ws}/budget", tag = "credits", params(("ws" = String, Path)),
    request_body = BudgetBody, responses((status = 200, body = CreditsWire), AuthErrors, NotFound, BodyErrors))]
pub async fn set_budget(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(ws): ApiPath<WorkspaceId>,
    ApiJson(b): ApiJson<BudgetBody>,
) -> ApiResult<Json<CreditsWire>> {
    let budget = Budget {
        monthly: Micros::from_json("monthly_credits", b.monthly_credits, 1_000_000_000_000)?,
        alert_percents: b.alert_percents.unwrap_or_else(|| vec![80, 100]),
        hard: b.hard.unwrap_or(false),
    };
    Ok(Json(state.lyceum.credits().set_budget(&caller, &ws, budget).await?.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UsageEventBody {
    #[schema(min_length = 1, max_length = 200)]
    pub idempotency_key: String,
    /// `simulation | scoring | course_generation | template_regeneration | narration | assistant | external`
    pub feature: String,
    pub model: String,
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub input_tokens: i64,
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub output_tokens: i64,
    pub course_id: Option<String>,
    pub user_id: Option<String>,
    /// RFC 3339; at most 35 days ago and 5 minutes ahead. Default now.
    pub at: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UsageBody {
    #[schema(min_items = 1, max_items = 1000)]
    pub events: Vec<UsageEventBody>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UsageResult {
    pub idempotency_key: String,
    /// `recorded | duplicate | refused`
    pub outcome: String,
    /// Why it was refused: `credit_limit_exceeded`, `budget_exceeded`, `model_unpriced`, `validation`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// For a duplicate: the outcome of the key's first event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_outcome: Option<String>,
}

impl From<Result1> for UsageResult {
    fn from(r: Result1) -> UsageResult {
        UsageResult {
            idempotency_key: r.idempotency_key,
            outcome: r.outcome.as_str().to_owned(),
            code: r.code.map(|c| c.as_str().to_owned()),
            detail: r.message,
            first_outcome: r.first_outcome,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UsageResults {
    pub results: Vec<UsageResult>,
}

/// Records usage reported by an integration, each event once per idempotency key.
#[utoipa::path(post, path = "/api/v1/workspaces/{ws}/usage", tag = "credits", params(("ws" = String, Path)),
    request_body = UsageBody, responses((status = 200, body = UsageResults), AuthErrors, NotFound, BodyErrors))]
pub async fn ingest(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(ws): ApiPath<WorkspaceId>,
    ApiJson(b): ApiJson<UsageBody>,
) -> ApiResult<Json<UsageResults>> {
    if b.events.is_empty() || b.events.len() > MAX_BATCH {
        return Err(DomainError::invalid("events", format!("must hold 1 to {MAX_BATCH} events")).into());
    }
    let mut events = Vec::with_capacity(b.events.len());
    for e in b.events {
        // An unreadable `at` becomes a time out of range: that event alone is refused.
        let at = e.at.as_deref().map(|t| parse_rfc3339(t).unwrap_or(i64::MIN));
        events.push(NewEvent {
            idempotency_key: e.idempotency_key,
            feature: e.feature,
            model: e.model,
            input_tokens: e.input_tokens,
            output_tokens: e.output_tokens,
            course_id: e.course_id,
            user_id: e.user_id,
            at,
        });
    }
    let results = state.lyceum.credits().ingest(&caller, &ws, events).await?;
    Ok(Json(UsageResults { results: results.into_iter().map(UsageResult::from).collect() }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SpendQuery {
    /// `7d`, `30d` (default) or `month` (the current billing period).
    #[param(pattern = "^(7d|30d|month)$")]
    pub window: Option<String>,
    /// A date (`YYYY-MM-DD`, UTC, inclusive) or an RFC 3339 time; overrides `window`.
    pub from: Option<String>,
    pub to: Option<String>,
    /// `csv`: one row per usage event.
    #[param(pattern = "^(csv|json)$")]
    pub format: Option<String>,
}

/// A date `YYYY-MM-DD` (its midnight, or the next day's for an inclusive end) or an RFC 3339 time.
fn parse_bound(field: &str, text: &str, end: bool) -> Result<i64, DomainError> {
    if let Some(at) = parse_rfc3339(text) {
        return Ok(at);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(text, &format)
        .map_err(|_| DomainError::invalid(field, "must be a date (YYYY-MM-DD) or an RFC 3339 time"))?;
    let midnight = date.midnight().assume_utc().unix_timestamp() * 1000;
    Ok(if end { midnight + DAY_MS } else { midnight })
}

impl SpendQuery {
    fn window(&self, now: i64) -> Result<(Window, bool), DomainError> {
        let csv = match self.format.as_deref() {
            None | Some("json") => false,
            Some("csv") => true,
            Some(_) => return Err(DomainError::invalid("format", "must be csv or json")),
        };
        if self.from.is_some() || self.to.is_some() {
            let to = self.to.as_deref().map(|t| parse_bound("to", t, true)).transpose()?.unwrap_or(now);
            let from = match self.from.as_deref() {
                Some(f) => parse_bound("from", f, false)?,
                None => to - 30 * DAY_MS,
            };
            return Ok((Window::Range { from, to }, csv));
        }
        let window = match self.window.as_deref() {
            None | Some("30d") => Window::Days(30),
            Some("7d") => Window::Days(7),
            Some("month") => Window::Month,
            Some(_) => return Err(DomainError::invalid("window", "must be 7d, 30d or month")),
        };
        Ok((window, csv))
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Kpis {
    #[schema(value_type = f64)]
    pub cost: Micros,
    #[schema(value_type = f64)]
    pub credits: Micros,
    pub tokens: i64,
    pub calls: i64,
    pub estimated_calls: i64,
    #[schema(value_type = f64)]
    pub avg_cost_per_call: Micros,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Day {
    pub date: String,
    #[schema(value_type = f64)]
    pub cost: Micros,
    #[schema(value_type = f64)]
    pub credits: Micros,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Breakdown {
    pub key: String,
    #[schema(value_type = f64)]
    pub cost: Micros,
    #[schema(value_type = f64)]
    pub credits: Micros,
    pub tokens: i64,
    pub calls: i64,
}

impl From<Totals> for Breakdown {
    fn from(t: Totals) -> Breakdown {
        Breakdown { key: t.key, cost: t.cost, credits: t.credits, tokens: t.tokens, calls: t.calls }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SpendWindow {
    /// `7d`, `30d`, `month` or `custom`.
    pub name: String,
    pub from: String,
    pub to: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Spend {
    pub window: SpendWindow,
    pub currency: String,
    pub kpis: Kpis,
    pub daily: Vec<Day>,
    pub by_feature: Vec<Breakdown>,
    pub by_model: Vec<Breakdown>,
    pub by_course: Vec<Breakdown>,
    pub by_user: Vec<Breakdown>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by_workspace: Option<Vec<Breakdown>>,
}

fn date(ms: i64) -> String {
    rfc3339(ms)[..10].to_owned()
}

fn spend_wire(r: Report, currency: &str, org: bool) -> Spend {
    let avg = if r.kpis.calls > 0 { Micros(r.kpis.cost.0 / r.kpis.calls) } else { Micros::ZERO };
    let list = |v: Vec<Totals>| v.into_iter().map(Breakdown::from).collect::<Vec<_>>();
    Spend {
        window: SpendWindow { name: r.window.to_owned(), from: rfc3339(r.from), to: rfc3339(r.to) },
        currency: currency.to_owned(),
        kpis: Kpis {
            cost: r.kpis.cost,
            credits: r.kpis.credits,
            tokens: r.kpis.tokens,
            calls: r.kpis.calls,
            estimated_calls: r.kpis.estimated_calls,
            avg_cost_per_call: avg,
        },
        daily: r.daily.into_iter().map(|(d, cost, credits)| Day { date: date(d), cost, credits }).collect(),
        by_feature: list(r.by_feature),
        by_model: list(r.by_model),
        by_course: list(r.by_course),
        by_user: list(r.by_user),
        by_workspace: org.then(|| list(r.by_workspace)),
    }
}

/// The CSV export: one row per usage event.
fn csv(r: &Report) -> Response {
    let mut out =
        String::from("at,feature,model,course_id,user_id,input_tokens,output_tokens,cost,credits,estimated\n");
    for e in &r.events {
        let field = |s: &str| {
            if s.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", s.replace('"', "\"\""))
            } else {
                s.to_owned()
            }
        };
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{}\n",
            rfc3339(e.at),
            field(&e.feature),
            field(&e.model),
            field(e.course_id.as_deref().unwrap_or("")),
            field(e.user_id.as_deref().unwrap_or("")),
            e.input_tokens,
            e.output_tokens,
            e.cost.decimal(),
            e.credits.decimal(),
            e.estimated
        ));
    }
    ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], out).into_response()
}

/// A report as JSON, or its events as CSV.
fn spend_answer(r: Report, as_csv: bool, currency: &str, org: bool) -> Response {
    if as_csv {
        csv(&r)
    } else {
        Json(spend_wire(r, currency, org)).into_response()
    }
}

/// The workspace's AI spend for a window (`usage.view`); `format=csv` answers the events.
#[utoipa::path(get, path = "/api/v1/workspaces/{ws}/ai-spend", tag = "credits", params(("ws" = String, Path), SpendQuery),
    responses((status = 200, description = "the report, or with `format=csv` one row per usage event",
        content((Spend = "application/json"), (String = "text/csv"))),
    AuthErrors, NotFound, QueryErrors))]
pub async fn workspace_spend(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(ws): ApiPath<WorkspaceId>,
    ApiQuery(q): ApiQuery<SpendQuery>,
) -> ApiResult<Response> {
    let (window, as_csv) = q.window(crate::kernel::db::now_ms())?;
    let r = state.lyceum.credits().workspace_spend(&caller, &ws, window, as_csv).await?;
    Ok(spend_answer(r, as_csv, &state.lyceum.settings.currency, false))
}

/// The organisation's AI spend across its workspaces (organisation owners).
#[utoipa::path(get, path = "/api/v1/orgs/{org}/ai-spend", tag = "credits", params(("org" = String, Path), SpendQuery),
    responses((status = 200, description = "the report, or with `format=csv` one row per usage event",
        content((Spend = "application/json"), (String = "text/csv"))),
    AuthErrors, NotFound, QueryErrors))]
pub async fn org_spend(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiPath(org): ApiPath<OrgId>,
    ApiQuery(q): ApiQuery<SpendQuery>,
) -> ApiResult<Response> {
    let (window, as_csv) = q.window(crate::kernel::db::now_ms())?;
    let r = state.lyceum.credits().org_spend(&caller, &org, window, as_csv).await?;
    Ok(spend_answer(r, as_csv, &state.lyceum.settings.currency, true))
}
