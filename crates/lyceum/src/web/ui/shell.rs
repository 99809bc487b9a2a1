//! The page shell: the organisation/workspace switcher, the sidebar (only what the viewer may
//! open) and flash messages.

use super::session::{Flash, Viewer};
use crate::kernel::{Lyceum, Result};

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
