//! The page shell: the organisation/workspace switcher, the sidebar (only what the viewer may
//! open) and flash messages.

use lyceum_domain::id::{OrgId, WorkspaceId};
use lyceum_domain::Permission;

use super::session::{Flash, Viewer};
use crate::kernel::whereabouts::{Here, Place, Whereabouts};
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
    /// The Content Library (`content.view`).
    pub content: Option<String>,
    pub members: Option<String>,
    pub invitations: Option<String>,
    pub workspaces: Option<String>,
    pub api_keys: Option<String>,
    pub audit: Option<String>,
    pub ai_cost: Option<String>,
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
    pub org_id: Option<OrgId>,
    pub workspace_id: Option<WorkspaceId>,
    pub workspace_name: Option<String>,
    /// The place the page is at, with the viewer's permissions there (pages read it instead of
    /// asking again).
    pub here: Option<Here>,
}

impl Shell {
    /// Builds the shell for a page at `place` from the one whereabouts read; the permission
    /// engine decides every sidebar entry.
    pub async fn build(
        lyceum: &Lyceum,
        viewer: &Viewer,
        title: &str,
        place: Place<'_>,
        active: &'static str,
    ) -> Result<Shell> {
        let Whereabouts { orgs, here } = lyceum.whereabouts(&viewer.caller, place).await?;
        let workspace_id = here.as_ref().and_then(|h| h.workspace.as_ref()).map(|w| w.id.clone());
        let switcher = orgs
            .into_iter()
            .map(|org| SwitchGroup {
                org_name: org.name,
                options: org
                    .workspaces
                    .into_iter()
                    .map(|w| SwitchOption {
                        url: format!("/w/{}", w.id),
                        selected: workspace_id.as_ref() == Some(&w.id),
                        label: w.name,
                    })
                    .collect(),
            })
            .collect();
        let mut nav = Nav { active, ..Nav::default() };
        if let Some(h) = &here {
            let org = &h.org_id;
            if let Some(w) = &h.workspace {
                let (ws, has) = (&w.id, |p: Permission| w.held.contains(p));
                nav.dashboard = Some(format!("/w/{ws}"));
                nav.content = has(Permission::ContentView).then(|| format!("/w/{ws}/library"));
                nav.members = has(Permission::MembersView).then(|| format!("/w/{ws}/members"));
                nav.invitations = has(Permission::MembersInvite).then(|| format!("/w/{ws}/invitations"));
                nav.audit = has(Permission::AuditView).then(|| format!("/o/{org}/audit?workspace_id={ws}"));
                nav.ai_cost = has(Permission::UsageView).then(|| format!("/w/{ws}/ai-cost"));
            }
            if h.org_held.contains(Permission::OrgManage) {
                nav.workspaces = Some(format!("/o/{org}/workspaces"));
                nav.api_keys = Some(format!("/o/{org}/api-keys"));
                nav.audit = Some(format!("/o/{org}/audit"));
            }
            if h.workspace.is_none() && h.org_held.contains(Permission::UsageView) {
                nav.ai_cost = Some(format!("/o/{org}/ai-cost"));
            }
        }
        let workspace_name = here.as_ref().and_then(|h| h.workspace.as_ref()).map(|w| w.name.clone());
        Ok(Shell {
            title: title.to_owned(),
            user_name: viewer.user.name.clone(),
            csrf: viewer.csrf.clone(),
            flash: viewer.flash.clone(),
            switcher,
            nav,
            org_id: here.as_ref().map(|h| h.org_id.clone()),
            workspace_id,
            workspace_name,
            here,
        })
    }
}
