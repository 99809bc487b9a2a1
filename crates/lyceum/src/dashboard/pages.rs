//! The workspace dashboard: who is here and what the viewer may do.

use crate::web::ui::session::PagePath;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use lyceum_domain::id::WorkspaceId;
use lyceum_domain::{Permission, PermissionSet};

use crate::kernel::whereabouts::Place;
use crate::web::ui::session::{render, service_error_page, Viewer};
use crate::web::ui::shell::Shell;
use crate::web::AppState;

/// This wing's page routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/w/{ws}", get(dashboard))
}

#[derive(Template)]
#[template(path = "dashboard/workspace.html")]
struct Dashboard {
    shell: Shell,
    members: usize,
    more_members: bool,
    can_view_members: bool,
    credit_limit: i64,
    credits_used: String,
    permissions: Vec<&'static str>,
}

/// The workspace dashboard: who is here and what the viewer may do.
pub async fn dashboard(State(state): State<AppState>, viewer: Viewer, PagePath(ws): PagePath<WorkspaceId>) -> Response {
    let lyceum = &state.lyceum;
    let run = async {
        let shell = Shell::build(lyceum, &viewer, "Dashboard", Place::Workspace(&ws), "dashboard").await?;
        let held = shell.here.as_ref().map_or(PermissionSet::EMPTY, |h| h.workspace_held());
        let permissions = held.names();
        let can_view_members = held.contains(Permission::MembersView);
        let (members, more_members) = if can_view_members {
            let filter = crate::tenancy::members::MemberFilter { limit: Some(500), ..Default::default() };
            let page = lyceum
                .members()
                .list_members(&viewer.caller, crate::kernel::scope::ScopeRef::Workspace(&ws), filter)
                .await?;
            (page.items.len(), page.next_cursor.is_some())
        } else {
            (0, false)
        };
        let org = shell.org_id.clone().ok_or(lyceum_domain::DomainError::NotFound)?;
        let ws_row = lyceum.orgs().list_workspaces(&viewer.caller, &org).await?.into_iter().find(|w| w.id == ws);
        let (credit_limit, credits_used) =
            ws_row.map_or((0, String::from("0")), |w| (w.credit_limit, w.credits_used.decimal()));
        Ok::<_, crate::kernel::ServiceError>(Dashboard {
            shell,
            members,
            more_members,
            can_view_members,
            credit_limit,
            credits_used,
            permissions,
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
