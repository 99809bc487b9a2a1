//! The Invitations tab of a workspace: its invitations, pending ones first, with resend and revoke.

use crate::web::ui::session::PagePath;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use lyceum_domain::id::{InvitationId, WorkspaceId};
use lyceum_domain::InvitationStatus;
use serde::Deserialize;

use super::members::{role_label, Here};
use crate::kernel::db::{now_ms, rfc3339};
use crate::kernel::whereabouts::Place;
use crate::kernel::{Lyceum, Result, ServiceError};
use crate::tenancy::store::invitations::InvitationRow;
use crate::web::ui::session::{
    fragment, is_htmx, message_of, redirect_with, render, service_error_page, PageForm, Viewer,
};
use crate::web::ui::shell::Shell;
use crate::web::AppState;

/// Invitations fetched per page of the tab.
const PAGE_SIZE: i64 = 500;

/// One row of the invitations table.
pub struct InvitationView {
    pub id: String,
    pub email: String,
    pub role_label: String,
    pub status: InvitationStatus,
    pub status_label: &'static str,
    /// `YYYY-MM-DD HH:MM UTC`, empty once accepted or revoked.
    pub expires: String,
    pub expires_iso: String,
    pub can_resend: bool,
    pub can_revoke: bool,
    pub note: String,
    pub error: String,
}

impl InvitationView {
    fn of(inv: InvitationRow, now: i64) -> InvitationView {
        let status = inv.status(now);
        let role =
            inv.workspace_role.map_or_else(|| format!("Organisation {}", inv.org_role), |r| role_label(r.as_str()));
        let open = status.is_open();
        let iso = rfc3339(inv.expires_at);
        InvitationView {
            status_label: match status {
                InvitationStatus::Pending => "Pending",
                InvitationStatus::Accepted => "Accepted",
                InvitationStatus::Revoked => "Revoked",
                InvitationStatus::Expired => "Expired",
            },
            expires: if open {
                format!("{} UTC", iso.get(..16).unwrap_or(&iso).replace('T', " "))
            } else {
                String::new()
            },
            expires_iso: if open { iso } else { String::new() },
            can_resend: open,
            can_revoke: status == InvitationStatus::Pending,
            note: String::new(),
            error: String::new(),
            id: inv.id.into_string(),
            email: inv.email,
            role_label: role,
            status,
        }
    }
}

#[derive(Template)]
#[template(path = "tenancy/invitations.html")]
struct InvitationsPage {
    shell: Shell,
    ws: WorkspaceId,
    workspace_name: String,
    rows: Vec<InvitationView>,
    more: Option<String>,
}

#[derive(Template)]
#[template(path = "tenancy/invitations_row.html")]
struct RowPartial {
    ws: WorkspaceId,
    i: InvitationView,
}

#[derive(Template)]
#[template(path = "tenancy/invitations_gone_row.html")]
struct GoneRow {
    message: String,
}

#[derive(Deserialize, Default)]
pub struct PageParams {
    #[serde(default)]
    cursor: String,
}

/// Pending first, then the rest; newest first within each (the list's own order).
fn pending_first(items: Vec<InvitationRow>, now: i64) -> Vec<InvitationView> {
    let mut rows: Vec<InvitationView> = items.into_iter().map(|i| InvitationView::of(i, now)).collect();
    rows.sort_by_key(|r| r.status != InvitationStatus::Pending);
    rows
}

/// `GET /w/{ws}/invitations`
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    PagePath(ws): PagePath<WorkspaceId>,
    Query(params): Query<PageParams>,
) -> Response {
    let lyceum = &state.lyceum;
    let run = async {
        let shell = Shell::build(lyceum, &viewer, "Invitations", Place::Workspace(&ws), "invitations").await?;
        let here = Here::of(&shell)?;
        let cursor = Some(params.cursor.as_str()).filter(|c| !c.is_empty());
        let page = lyceum
            .invitations()
            .list_invitations(&viewer.caller, &here.org, Some(&ws), cursor, Some(PAGE_SIZE))
            .await?;
        let more = page.next_cursor.map(|c| {
            format!("/w/{ws}/invitations?{}", serde_html_form::to_string([("cursor", c)]).unwrap_or_default())
        });
        Ok::<_, ServiceError>(InvitationsPage {
            shell,
            ws: ws.clone(),
            workspace_name: here.workspace_name,
            rows: pending_first(page.items, now_ms()),
            more,
        })
    };
    match run.await {
        Ok(page) => {
            let flash = page.shell.flash.is_some();
            render(&page, flash)
        }
        Err(e) => service_error_page(e),
    }
}

/// The invitation `id` of workspace `ws` as listed now.
async fn find(lyceum: &Lyceum, viewer: &Viewer, ws: &WorkspaceId, id: &InvitationId) -> Result<Option<InvitationRow>> {
    let org = lyceum.org_of_workspace(ws).await?;
    let mut cursor: Option<String> = None;
    loop {
        let page = lyceum
            .invitations()
            .list_invitations(&viewer.caller, &org, Some(ws), cursor.as_deref(), Some(PAGE_SIZE))
            .await?;
        if let Some(found) = page.items.into_iter().find(|i| &i.id == id) {
            return Ok(Some(found));
        }
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(None),
        }
    }
}

/// The row of invitation `id` with a note or an error, or a row saying only the message.
async fn row_answer(
    lyceum: &Lyceum,
    viewer: &Viewer,
    ws: &WorkspaceId,
    id: &InvitationId,
    ok: bool,
    message: String,
) -> Response {
    match find(lyceum, viewer, ws, id).await {
        Ok(Some(inv)) => {
            let mut i = InvitationView::of(inv, now_ms());
            if ok {
                i.note = message;
            } else {
                i.error = message;
            }
            fragment(&RowPartial { ws: ws.clone(), i })
        }
        _ => fragment(&GoneRow { message }),
    }
}

#[derive(Deserialize, Default)]
pub struct NoFields {}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// `POST /w/{ws}/invitations/{id}/resend`: a new link (the old one is dead) and a new expiry.
pub async fn resend(
    State(state): State<AppState>,
    headers: HeaderMap,
    PagePath((ws, id)): PagePath<(WorkspaceId, InvitationId)>,
    PageForm { viewer, .. }: PageForm<NoFields>,
) -> Response {
    let (ok, message) = match state.lyceum.invitations().resend_invitation(&viewer.caller, &id).await {
        Ok(inv) => (true, format!("Sent again to {}; the previous link no longer works.", inv.email)),
        Err(e) => (false, capitalise(&message_of(e))),
    };
    finish(&state.lyceum, &viewer, &headers, &ws, &id, ok, message).await
}

/// `POST /w/{ws}/invitations/{id}/revoke`: the link stops working and the seat is freed.
pub async fn revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    PagePath((ws, id)): PagePath<(WorkspaceId, InvitationId)>,
    PageForm { viewer, .. }: PageForm<NoFields>,
) -> Response {
    let (ok, message) = match state.lyceum.invitations().revoke_invitation(&viewer.caller, &id).await {
        Ok(()) => (true, "Revoked; the link no longer works.".to_owned()),
        Err(e) => (false, capitalise(&message_of(e))),
    };
    finish(&state.lyceum, &viewer, &headers, &ws, &id, ok, message).await
}

/// The row with the outcome (htmx), or back to the tab with a flash message.
async fn finish(
    lyceum: &Lyceum,
    viewer: &Viewer,
    headers: &HeaderMap,
    ws: &WorkspaceId,
    id: &InvitationId,
    ok: bool,
    message: String,
) -> Response {
    if is_htmx(headers) {
        row_answer(lyceum, viewer, ws, id, ok, message).await
    } else {
        redirect_with(&format!("/w/{ws}/invitations"), if ok { "success" } else { "error" }, message)
    }
}
