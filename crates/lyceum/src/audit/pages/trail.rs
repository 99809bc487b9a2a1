//! The audit trail of an organisation (its owners), or of one workspace (`?workspace_id=`, that
//! workspace's owners): filters, newest first, older pages, and the same rows as CSV.

use crate::web::ui::session::PagePath;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use lyceum_domain::id::{OrgId, WorkspaceId};
use lyceum_domain::DomainError;
use serde::Deserialize;
use serde_json::Value;

use crate::audit::trail::AuditFilter;
use crate::kernel::audit_chain::EventRow;
use crate::kernel::whereabouts::Place;
use crate::kernel::{Page, Result, ServiceError};
use crate::tenancy::queries::orgs::WorkspaceRow;
use crate::web::ui::form::short_time;
use crate::web::ui::form::FieldErrors;
use crate::web::ui::session::{render, service_error_page, Viewer};
use crate::web::ui::shell::Shell;
use crate::web::AppState;

/// Rows one CSV export holds at most.
const CSV_MAX_ROWS: usize = 100_000;

/// The filters as typed (dates from `<input type=date>`).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    workspace_id: String,
    #[serde(default)]
    cursor: String,
}

fn some(s: &str) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// A date typed as `YYYY-MM-DD` becomes the first (or last) instant of that day in UTC; anything
/// else goes to the service as typed (RFC 3339, or refused there).
fn day_bound(typed: &str, end: bool) -> Option<String> {
    let typed = some(typed)?;
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Some(match time::Date::parse(&typed, &format) {
        Ok(d) if end => format!("{d}T23:59:59.999Z"),
        Ok(d) => format!("{d}T00:00:00Z"),
        Err(_) => typed,
    })
}

impl AuditQuery {
    fn filter(&self, limit: i64, cursor: Option<String>) -> AuditFilter {
        AuditFilter {
            actor: some(&self.actor),
            action: some(&self.action),
            workspace_id: some(&self.workspace_id),
            from: day_bound(&self.from, false),
            to: day_bound(&self.to, true),
            limit: Some(limit),
            cursor,
        }
    }

    /// The query string of these filters (no cursor), for links.
    fn query_string(&self, cursor: Option<&str>) -> String {
        let pairs: Vec<(&str, &str)> = [
            ("actor", self.actor.as_str()),
            ("action", self.action.as_str()),
            ("from", self.from.as_str()),
            ("to", self.to.as_str()),
            ("workspace_id", self.workspace_id.as_str()),
            ("cursor", cursor.unwrap_or_default()),
        ]
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .collect();
        serde_html_form::to_string(pairs).unwrap_or_default()
    }
}

/// A JSON value in a sentence: strings bare, nothing as a dash.
fn plain(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "—".to_owned(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// What changed, in a line: `role: viewer → editor; name: Sales`.
fn summary(before: Option<&str>, after: Option<&str>) -> String {
    let parse = |s: Option<&str>| s.and_then(|s| serde_json::from_str::<Value>(s).ok());
    let (before, after) = (parse(before), parse(after));
    let text = match (before.as_ref().and_then(Value::as_object), after.as_ref().and_then(Value::as_object)) {
        (b, a) if b.is_some() || a.is_some() => {
            let mut keys: Vec<&String> = b.iter().chain(a.iter()).flat_map(|m| m.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter()
                .filter_map(|k| {
                    let (old, new) = (b.and_then(|m| m.get(k)), a.and_then(|m| m.get(k)));
                    match (b, a) {
                        (Some(_), Some(_)) if old == new => None,
                        (Some(_), Some(_)) => Some(format!("{k}: {} → {}", plain(old), plain(new))),
                        (None, _) => Some(format!("{k}: {}", plain(new))),
                        (_, None) => Some(format!("{k}: {}", plain(old))),
                    }
                })
                .collect::<Vec<_>>()
                .join("; ")
        }
        _ => match (&before, &after) {
            (None, None) => String::new(),
            (b, a) => format!("{} → {}", plain(b.as_ref()), plain(a.as_ref())),
        },
    };
    if text.chars().count() > 300 {
        text.chars().take(299).chain(std::iter::once('…')).collect()
    } else {
        text
    }
}

/// One event as a row shows it.
struct EventView {
    seq: i64,
    at: String,
    at_iso: String,
    actor: String,
    actor_type: String,
    action: String,
    target_type: String,
    target_id: String,
    /// The end of the target's id (ids share their time-ordered beginning).
    target_short: String,
    workspace: String,
    summary: String,
    ip: String,
}

fn workspace_name(workspaces: &[WorkspaceRow], id: Option<&str>) -> String {
    id.map(|id| workspaces.iter().find(|w| w.id.as_str() == id).map_or_else(|| id.to_owned(), |w| w.name.clone()))
        .unwrap_or_default()
}

impl EventView {
    fn of(e: &EventRow, workspaces: &[WorkspaceRow]) -> EventView {
        EventView {
            seq: e.seq,
            at: short_time(e.at).trim_end_matches(" UTC").to_owned(),
            at_iso: crate::kernel::db::rfc3339(e.at),
            actor: e.actor_email.clone().or_else(|| e.actor_id.clone()).unwrap_or_else(|| e.actor_type.clone()),
            actor_type: e.actor_type.replace('_', " "),
            action: e.action.clone(),
            target_type: e.target_type.replace('_', " "),
            target_id: e.target_id.clone(),
            target_short: {
                let n = e.target_id.chars().count();
                if n > 12 {
                    format!("…{}", e.target_id.chars().skip(n - 12).collect::<String>())
                } else {
                    e.target_id.clone()
                }
            },
            workspace: workspace_name(workspaces, e.workspace_id.as_deref()),
            summary: summary(e.before_state.as_deref(), e.after_state.as_deref()),
            ip: e.ip.clone().unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "audit/trail.html")]
struct AuditPage {
    shell: Shell,
    org: OrgId,
    q: AuditQuery,
    /// Organisation-wide view: the workspace filter is a choice (otherwise fixed to one workspace).
    org_wide: bool,
    workspaces: Vec<WorkspaceRow>,
    events: Vec<EventView>,
    older: Option<String>,
    newest: Option<String>,
    csv: String,
    errors: FieldErrors,
}

/// `GET /o/{org}/audit`
pub async fn audit_page(
    State(state): State<AppState>,
    viewer: Viewer,
    PagePath(org): PagePath<OrgId>,
    Query(q): Query<AuditQuery>,
) -> Response {
    let lyceum = &state.lyceum;
    let run = async {
        let mut errors = FieldErrors::default();
        let page = match lyceum.audit().list_audit(&viewer.caller, &org, q.filter(50, some(&q.cursor))).await {
            Ok(p) => p,
            Err(ServiceError::Domain(DomainError::Validation { field, message })) => {
                // A filter that does not parse: say so, and show what the other filters find (the
                // second call checks access like any).
                errors = FieldErrors::from_error(DomainError::invalid(&field, message).into()).0;
                let relaxed = AuditQuery { from: String::new(), to: String::new(), cursor: String::new(), ..q.clone() };
                lyceum.audit().list_audit(&viewer.caller, &org, relaxed.filter(50, None)).await?
            }
            Err(e) => return Err(e),
        };
        // `list_audit` has answered 404 for a workspace filter that is not an id.
        let ws = WorkspaceId::parse(&q.workspace_id);
        let context = match &ws {
            Some(ws) => Place::Workspace(ws),
            None => Place::Org(&org),
        };
        let shell = Shell::build(lyceum, &viewer, "Audit trail", context, "audit").await?;
        let workspaces = lyceum.orgs().list_workspaces(&viewer.caller, &org).await?;
        let Page { items, next_cursor } = page;
        Ok::<_, ServiceError>(AuditPage {
            shell,
            org: org.clone(),
            events: items.iter().map(|e| EventView::of(e, &workspaces)).collect(),
            workspaces,
            older: next_cursor.map(|c| format!("/o/{org}/audit?{}", q.query_string(Some(&c)))),
            newest: some(&q.cursor).map(|_| format!("/o/{org}/audit?{}", q.query_string(None))),
            csv: format!("/o/{org}/audit.csv?{}", q.query_string(None)),
            org_wide: some(&q.workspace_id).is_none(),
            q,
            errors,
        })
    };
    match run.await {
        Ok(p) => {
            let flash = p.shell.flash.is_some();
            render(&p, flash)
        }
        Err(e) => service_error_page(e),
    }
}

/// One CSV cell: RFC 4180 quoting, and a leading `=`, `+`, `-`, `@`, tab or CR neutralised with a
/// quote so spreadsheets do not run it as a formula.
fn csv_cell(out: &mut String, value: &str) {
    let guarded = value.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let text = if guarded { format!("'{value}") } else { value.to_owned() };
    if text.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&text.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(&text);
    }
}

fn csv_line(out: &mut String, cells: &[&str]) {
    for (i, c) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        csv_cell(out, c);
    }
    out.push_str("\r\n");
}

const CSV_HEADER: &[&str] = &[
    "time",
    "actor_type",
    "actor_id",
    "actor_email",
    "action",
    "target_type",
    "target_id",
    "workspace_id",
    "workspace",
    "summary",
    "before",
    "after",
    "ip",
    "user_agent",
];

fn csv_row(out: &mut String, e: &EventRow, workspaces: &[WorkspaceRow]) {
    let at = crate::kernel::db::rfc3339(e.at);
    let workspace = workspace_name(workspaces, e.workspace_id.as_deref());
    let summary = summary(e.before_state.as_deref(), e.after_state.as_deref());
    let o = |s: &Option<String>| s.clone().unwrap_or_default();
    csv_line(
        out,
        &[
            &at,
            &e.actor_type,
            &o(&e.actor_id),
            &o(&e.actor_email),
            &e.action,
            &e.target_type,
            &e.target_id,
            &o(&e.workspace_id),
            &workspace,
            &summary,
            &o(&e.before_state),
            &o(&e.after_state),
            &o(&e.ip),
            &o(&e.user_agent),
        ],
    );
}

/// Every event the filters match, newest first, page by page (at most [`CSV_MAX_ROWS`]).
async fn export(state: &AppState, viewer: &Viewer, org: &OrgId, q: &AuditQuery) -> Result<String> {
    let lyceum = &state.lyceum;
    let mut page = lyceum.audit().list_audit(&viewer.caller, org, q.filter(500, None)).await?;
    let workspaces = lyceum.orgs().list_workspaces(&viewer.caller, org).await?;
    let mut out = String::new();
    csv_line(&mut out, CSV_HEADER);
    let mut rows = 0;
    loop {
        for e in page.items.iter().take(CSV_MAX_ROWS - rows) {
            csv_row(&mut out, e, &workspaces);
        }
        rows += page.items.len();
        match page.next_cursor {
            Some(cursor) if rows < CSV_MAX_ROWS => {
                page = lyceum.audit().list_audit(&viewer.caller, org, q.filter(500, Some(cursor))).await?;
            }
            _ => return Ok(out),
        }
    }
}

/// `GET /o/{org}/audit.csv`: the filtered trail as a CSV download.
pub async fn audit_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    PagePath(org): PagePath<OrgId>,
    Query(q): Query<AuditQuery>,
) -> Response {
    match export(&state, &viewer, &org, &q).await {
        Ok(body) => {
            let day = crate::kernel::db::rfc3339(crate::kernel::db::now_ms()).chars().take(10).collect::<String>();
            let disposition = format!("attachment; filename=\"audit-{day}.csv\"");
            (
                StatusCode::OK,
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                    (header::CONTENT_DISPOSITION, disposition),
                    (header::CACHE_CONTROL, "no-store".to_owned()),
                ],
                body,
            )
                .into_response()
        }
        Err(e) => service_error_page(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_and_formulas_neutralised() {
        let mut out = String::new();
        csv_line(&mut out, &["plain", "a, \"b\"", "=SUM(A1)", "-1", "multi\nline"]);
        assert_eq!(out, "plain,\"a, \"\"b\"\"\",'=SUM(A1),'-1,\"multi\nline\"\r\n");
    }

    #[test]
    fn summaries_show_what_changed() {
        assert_eq!(
            summary(Some(r#"{"role":"viewer","x":1}"#), Some(r#"{"role":"editor","x":1}"#)),
            "role: viewer → editor"
        );
        assert_eq!(summary(None, Some(r#"{"name":"Sales","credit_limit":5}"#)), "credit_limit: 5; name: Sales");
        assert_eq!(summary(Some(r#"{"name":"Old"}"#), None), "name: Old");
        assert_eq!(summary(None, None), "");
    }

    #[test]
    fn dates_become_day_bounds() {
        assert_eq!(day_bound("2026-01-02", false).as_deref(), Some("2026-01-02T00:00:00Z"));
        assert_eq!(day_bound("2026-01-02", true).as_deref(), Some("2026-01-02T23:59:59.999Z"));
        assert_eq!(day_bound(" ", true), None);
        assert_eq!(day_bound("2026-01-02T10:00:00Z", true).as_deref(), Some("2026-01-02T10:00:00Z"));
    }
}
