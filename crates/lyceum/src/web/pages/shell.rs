//! The page shell: the organisation/workspace switcher, the sidebar (only what the viewer may
//! open), flash messages — and the workspace dashboard.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;

use super::session::{render, service_error_page, Flash, Viewer};
use crate::service::{Lyceum, Result};
use crate::web::AppState;

/// One workspace in the switcher.
pub struct SwitchOption {
    pub url: String,
    pub label: String,
    pub selected: bool,
}

/// One organisation's workspaces in the switcher.
pub struct SwitchGroup {
    pub org_name: String,
    pub options: Vec<SwitchOption>,
}

/// What the sidebar shows.
#[derive(Default)]
pub struct Nav {
    pub dashboard: Option<String>,
    pub members: Option<String>,
    pub invitations: Option<String>,
    pub workspaces: Option<String>,
    pub api_keys: Option<String>,
    pub audit: Option<String>,
    /// Which item is current (`members`, `audit`, …).
    pub active: &'static str,
}

/// Everything the base template needs.
pub struct Shell {
    pub title: String,
    pub user_name: String,
    pub csrf: String,
    pub flash: Option<Flash>,
    pub switcher: Vec<SwitchGroup>,
    pub nav: Nav,
    pub org_id: Option<String>,
    pub workspace_id: Option<String>,
    pub workspace_name: Option<String>,
}

/// The context a page is in.
pub enum Context<'a> {
    None,
    Org(&'a str),
    Workspace(&'a str),
}

impl Shell {
    /// Builds the shell for a page in `context`; the sidebar asks the permission engine.
    pub async fn build(
        lyceum: &Lyceum,
        viewer: &Viewer,
        title: &str,
        context: Context<'_>,
        active: &'static str,
    ) -> Result<Shell> {
        let me = lyceum.me(&viewer.caller).await?;
        let (org_id, workspace_id) = match context {
            Context::None => (None, None),
            Context::Org(org) => (Some(org.to_owned()), None),
            Context::Workspace(ws) => (Some(lyceum.org_of_workspace(ws).await?), Some(ws.to_owned())),
        };
        let mut switcher = Vec::new();
        let mut workspace_name = None;
        for (id, name, _, _) in &me.organizations {
            let options = lyceum
                .list_workspaces(&viewer.caller, id)
                .await?
                .into_iter()
                .map(|w| {
                    let selected = workspace_id.as_deref() == Some(w.id.as_str());
                    if selected {
                        workspace_name = Some(w.name.clone());
                    }
                    SwitchOption { url: format!("/w/{}", w.id), label: w.name, selected }
                })
                .collect();
            switcher.push(SwitchGroup { org_name: name.clone(), options });
        }
        let mut nav = Nav { active, ..Nav::default() };
        if let (Some(org), Some(ws)) = (&org_id, &workspace_id) {
            let perms = lyceum.permissions(&viewer.caller, ws, None).await?.permissions;
            let has = |p: &str| perms.contains(&p);
            nav.dashboard = Some(format!("/w/{ws}"));
            nav.members = has("members.view").then(|| format!("/w/{ws}/members"));
            nav.invitations = has("members.invite").then(|| format!("/w/{ws}/invitations"));
            nav.audit = has("audit.view").then(|| format!("/o/{org}/audit?workspace_id={ws}"));
        }
        if let Some(org) = &org_id {
            let owner = me.organizations.iter().any(|(id, _, role, _)| id == org && role == "owner")
                || viewer.user.instance_admin;
            if owner {
                nav.workspaces = Some(format!("/o/{org}/workspaces"));
                nav.api_keys = Some(format!("/o/{org}/api-keys"));
                nav.audit = Some(format!("/o/{org}/audit"));
            }
        }
        Ok(Shell {
            title: title.to_owned(),
            user_name: viewer.user.name.clone(),
            csrf: viewer.csrf.clone(),
            flash: viewer.flash.clone(),
            switcher,
            nav,
            org_id,
            workspace_id,
            workspace_name,
        })
    }
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Dashboard {
    shell: Shell,
    members: usize,
    more_members: bool,
    can_view_members: bool,
    credit_limit: i64,
    credits_used: i64,
    permissions: Vec<&'static str>,
}

/// The workspace dashboard: who is here and what the viewer may do.
pub async fn dashboard(State(state): State<AppState>, viewer: Viewer, Path(ws): Path<String>) -> Response {
    let lyceum = &state.lyceum;
    let run = async {
        let shell = Shell::build(lyceum, &viewer, "Dashboard", Context::Workspace(&ws), "dashboard").await?;
        let permissions = lyceum.permissions(&viewer.caller, &ws, None).await?.permissions;
        let can_view_members = permissions.contains(&"members.view");
        let (members, more_members) = if can_view_members {
            let filter = crate::service::members::MemberFilter { limit: Some(500), ..Default::default() };
            let page =
                lyceum.list_members(&viewer.caller, crate::service::members::Target::Workspace(&ws), filter).await?;
            (page.items.len(), page.next_cursor.is_some())
        } else {
            (0, false)
        };
        let org = shell.org_id.clone().unwrap_or_default();
        let ws_row = lyceum.list_workspaces(&viewer.caller, &org).await?.into_iter().find(|w| w.id == ws);
        let (credit_limit, credits_used) = ws_row.map_or((0, 0), |w| (w.credit_limit, w.credits_used));
        Ok::<_, crate::service::ServiceError>(Dashboard {
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
