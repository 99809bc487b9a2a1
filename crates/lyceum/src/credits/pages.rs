//! The AI Cost tab: a workspace's spend for its owners (`/w/{ws}/ai-cost`), and the same across
//! workspaces for organisation owners (`/o/{org}/ai-cost`). Window selector, KPI strip, a daily
//! cost chart drawn as SVG on the server (no script, no CDN), tables by feature, model, course,
//! user (and workspace), and the CSV export.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use lyceum_domain::credits::Micros;
use lyceum_domain::id::{OrgId, WorkspaceId};
use lyceum_domain::DomainError;
use serde::Deserialize;

use super::spend::{Report, Window};
use super::store::{Totals, DAY_MS};
use crate::kernel::whereabouts::Place;
use crate::kernel::ServiceError;
use crate::web::ui::form::FieldErrors;
use crate::web::ui::session::{render, service_error_page, PagePath, Viewer};
use crate::web::ui::shell::Shell;
use crate::web::AppState;

/// This wing's page routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/w/{ws}/ai-cost", get(workspace_page)).route("/o/{org}/ai-cost", get(org_page))
}

/// The window as the form sends it.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct CostQuery {
    #[serde(default)]
    window: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

fn date_ms(field: &str, text: &str, end: bool) -> Result<i64, DomainError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(text.trim(), &format)
        .map_err(|_| DomainError::invalid(field, "must be a date (YYYY-MM-DD)"))?;
    let midnight = date.midnight().assume_utc().unix_timestamp() * 1000;
    Ok(if end { midnight + DAY_MS } else { midnight })
}

impl CostQuery {
    fn window(&self) -> Result<Window, DomainError> {
        match self.window.as_str() {
            "7d" => Ok(Window::Days(7)),
            "" | "30d" => Ok(Window::Days(30)),
            "month" => Ok(Window::Month),
            "custom" => {
                let from = date_ms("from", &self.from, false)?;
                let to = date_ms("to", &self.to, true)?;
                Ok(Window::Range { from, to })
            }
            _ => Err(DomainError::invalid("window", "must be 7d, 30d, month or custom")),
        }
    }

    /// The API query of the same window, for the CSV link.
    fn api_query(&self, window: Window) -> String {
        match window {
            Window::Range { .. } => format!("from={}&to={}", self.from.trim(), self.to.trim()),
            Window::Days(7) => "window=7d".to_owned(),
            Window::Month => "window=month".to_owned(),
            Window::Days(_) => "window=30d".to_owned(),
        }
    }
}

/// An amount of minor units (in millionths) shown in major units: `12.34`, or more decimals
/// for amounts under a cent so a small spend never reads as zero.
fn money(cost: Micros) -> String {
    let major = cost.0 as f64 / 100_000_000.0;
    if cost.0 == 0 || major >= 0.01 {
        format!("{major:.2}")
    } else {
        format!("{major:.6}")
    }
}

/// A table row as shown.
struct Row {
    label: String,
    cost: String,
    credits: String,
    tokens: i64,
    calls: i64,
    /// The row's share of the window's cost, in whole percent.
    share: i64,
}

fn rows(list: &[Totals], total: Micros, label: impl Fn(&str) -> String) -> Vec<Row> {
    let mut sorted: Vec<&Totals> = list.iter().collect();
    sorted.sort_by(|a, b| b.cost.cmp(&a.cost).then(a.key.cmp(&b.key)));
    sorted
        .into_iter()
        .map(|t| Row {
            label: label(&t.key),
            cost: money(t.cost),
            credits: t.credits.decimal(),
            tokens: t.tokens,
            calls: t.calls,
            share: if total.0 > 0 { (t.cost.0 as i128 * 100 / total.0 as i128) as i64 } else { 0 },
        })
        .collect()
}

/// One bar of the daily chart.
struct Bar {
    x: i64,
    y: i64,
    height: i64,
    date: String,
    cost: String,
}

const CHART_HEIGHT: i64 = 120;
const BAR_WIDTH: i64 = 10;

fn bars(daily: &[(i64, Micros, Micros)]) -> Vec<Bar> {
    let max = daily.iter().map(|d| d.1 .0).max().unwrap_or(0).max(1);
    daily
        .iter()
        .enumerate()
        .map(|(i, (day, cost, _))| {
            let height =
                if cost.0 > 0 { ((cost.0 as i128 * CHART_HEIGHT as i128) / max as i128).max(1) as i64 } else { 0 };
            Bar {
                x: i as i64 * BAR_WIDTH,
                y: CHART_HEIGHT - height,
                height,
                date: crate::kernel::db::rfc3339(*day)[..10].to_owned(),
                cost: money(*cost),
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "credits/ai_cost.html")]
struct CostPage {
    shell: Shell,
    action: String,
    q: CostQuery,
    window: &'static str,
    errors: FieldErrors,
    currency: String,
    spend: String,
    credits: String,
    tokens: i64,
    calls: i64,
    estimated_calls: i64,
    avg: String,
    chart_width: i64,
    chart_height: i64,
    bars: Vec<Bar>,
    first_day: String,
    last_day: String,
    by_feature: Vec<Row>,
    by_model: Vec<Row>,
    by_course: Vec<Row>,
    by_user: Vec<Row>,
    by_workspace: Vec<Row>,
    org_wide: bool,
    csv: String,
}

/// Whose spend a page shows.
#[derive(Clone, Copy)]
enum Of<'a> {
    Workspace(&'a WorkspaceId),
    Org(&'a OrgId),
}

async fn page(state: &AppState, viewer: &Viewer, of: Of<'_>, q: CostQuery) -> Result<CostPage, ServiceError> {
    let lyceum = &state.lyceum;
    let mut errors = FieldErrors::default();
    let window = match q.window() {
        Ok(w) => w,
        Err(e) => {
            errors = FieldErrors::from_error(e.into()).0;
            Window::Days(30)
        }
    };
    let (report, place): (Report, Place) = match of {
        Of::Workspace(ws) => {
            (lyceum.credits().workspace_spend(&viewer.caller, ws, window, false).await?, Place::Workspace(ws))
        }
        Of::Org(org) => (lyceum.credits().org_spend(&viewer.caller, org, window, false).await?, Place::Org(org)),
    };
    let shell = Shell::build(lyceum, viewer, "AI Cost", place, "ai-cost").await?;
    let (action, api, org_wide) = match of {
        Of::Workspace(ws) => (format!("/w/{ws}/ai-cost"), format!("/api/v1/workspaces/{ws}/ai-spend"), false),
        Of::Org(org) => (format!("/o/{org}/ai-cost"), format!("/api/v1/orgs/{org}/ai-spend"), true),
    };
    // People by name where the viewer may list members (owners may); ids otherwise.
    let scope = match of {
        Of::Workspace(ws) => crate::kernel::scope::ScopeRef::Workspace(ws),
        Of::Org(org) => crate::kernel::scope::ScopeRef::Org(org),
    };
    let filter = crate::tenancy::members::MemberFilter { limit: Some(500), ..Default::default() };
    let people: Vec<(String, String)> = match lyceum.members().list_members(&viewer.caller, scope, filter).await {
        Ok(page) => {
            page.items.into_iter().map(|m| (m.user_id.to_string(), format!("{} ({})", m.name, m.email))).collect()
        }
        Err(_) => Vec::new(),
    };
    let names =
        lyceum.orgs().list_workspaces(&viewer.caller, shell.org_id.as_ref().ok_or(DomainError::NotFound)?).await?;
    // Courses by title (the report keys them by id; a purged course keeps its id).
    let org_id = shell.org_id.clone().ok_or(DomainError::NotFound)?;
    let titles = {
        let mut conn = lyceum.pool.acquire().await.map_err(ServiceError::Database)?;
        crate::learning::queries::course_titles(&mut conn, &org_id).await?
    };
    let total = report.kpis.cost;
    let bars = bars(&report.daily);
    Ok(CostPage {
        action,
        csv: format!("{api}?{}&format=csv", q.api_query(window)),
        window: window.label(),
        errors,
        currency: lyceum.settings.currency.clone(),
        spend: money(total),
        credits: report.kpis.credits.decimal(),
        tokens: report.kpis.tokens,
        calls: report.kpis.calls,
        estimated_calls: report.kpis.estimated_calls,
        avg: money(if report.kpis.calls > 0 { Micros(total.0 / report.kpis.calls) } else { Micros::ZERO }),
        chart_width: (bars.len() as i64 * BAR_WIDTH).max(BAR_WIDTH),
        chart_height: CHART_HEIGHT,
        first_day: bars.first().map(|b| b.date.clone()).unwrap_or_default(),
        last_day: bars.last().map(|b| b.date.clone()).unwrap_or_default(),
        bars,
        by_feature: rows(&report.by_feature, total, |k| k.replace('_', " ")),
        by_model: rows(&report.by_model, total, str::to_owned),
        by_course: rows(&report.by_course, total, |k| {
            titles.iter().find(|(id, _)| id == k).map_or_else(|| k.to_owned(), |(_, t)| t.clone())
        }),
        by_user: rows(&report.by_user, total, |k| {
            people.iter().find(|(id, _)| id == k).map_or_else(|| k.to_owned(), |(_, name)| name.clone())
        }),
        by_workspace: rows(&report.by_workspace, total, |k| {
            names.iter().find(|w| w.id.as_str() == k).map_or_else(|| k.to_owned(), |w| w.name.clone())
        }),
        org_wide,
        q,
        shell,
    })
}

fn answer(page: Result<CostPage, ServiceError>) -> Response {
    match page {
        Ok(p) => {
            let flash = p.shell.flash.is_some();
            render(&p, flash)
        }
        Err(e) => service_error_page(e),
    }
}

/// `GET /w/{ws}/ai-cost`
pub async fn workspace_page(
    State(state): State<AppState>,
    viewer: Viewer,
    PagePath(ws): PagePath<WorkspaceId>,
    Query(q): Query<CostQuery>,
) -> Response {
    answer(page(&state, &viewer, Of::Workspace(&ws), q).await)
}

/// `GET /o/{org}/ai-cost`
pub async fn org_page(
    State(state): State<AppState>,
    viewer: Viewer,
    PagePath(org): PagePath<OrgId>,
    Query(q): Query<CostQuery>,
) -> Response {
    answer(page(&state, &viewer, Of::Org(&org), q).await)
}
