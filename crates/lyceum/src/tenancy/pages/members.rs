//! The Members page of a workspace (PRODUCT.md §3): search and filters as you type, cursor pages,
//! the invite dialog, a role dropdown per row, single and bulk removal. Every action is a service
//! call; its refusal is shown where the action was taken (the row, the dialog, the notice).

use crate::web::ui::session::PagePath;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::Response;
use lyceum_domain::id::{OrgId, UserId, WorkspaceId};
use lyceum_domain::invitation::Outcome;
use lyceum_domain::{rules, DomainError, MemberRole, MemberStatus, Permission, PermissionSet, WorkspaceRole};
use serde::Deserialize;

use crate::kernel::scope::ScopeRef;
use crate::kernel::whereabouts::Place;
use crate::kernel::{Lyceum, Result, ServiceError};
use crate::tenancy::members::MemberFilter;
use crate::tenancy::store::members::MemberRow;
use crate::web::ui::form::FieldErrors;
use crate::web::ui::session::{
    fragment, is_htmx, message_of, redirect_with, render, service_error_page, PageForm, Viewer,
};
use crate::web::ui::shell::Shell;
use crate::web::AppState;

/// Rows per page of the member table.
const PAGE_SIZE: i64 = 50;

/// A role as offered in a dropdown.
#[derive(Clone)]
pub struct RoleOption {
    pub role: WorkspaceRole,
    pub value: &'static str,
    pub label: &'static str,
}

fn label_of(role: WorkspaceRole) -> &'static str {
    match role {
        WorkspaceRole::Owner => "Owner",
        WorkspaceRole::Trainer => "Trainer",
        WorkspaceRole::Reviewer => "Reviewer",
        WorkspaceRole::Learner => "Learner",
        WorkspaceRole::Editor => "Editor",
        WorkspaceRole::Viewer => "Viewer",
    }
}

/// The label of a workspace role (or the raw name if it is not one).
pub fn role_label(role: &str) -> String {
    WorkspaceRole::parse(role).map_or_else(|_| role.to_owned(), |r| label_of(r).to_owned())
}

fn options(roles: impl IntoIterator<Item = WorkspaceRole>) -> Vec<RoleOption> {
    roles.into_iter().map(|r| RoleOption { role: r, value: r.as_str(), label: label_of(r) }).collect()
}

/// Where the viewer is and what the engine lets them do there.
pub struct Here {
    pub ws: WorkspaceId,
    pub org: OrgId,
    pub workspace_name: String,
    pub held: PermissionSet,
}

impl Here {
    fn at(here: Option<&crate::kernel::whereabouts::Here>) -> Result<Here> {
        let here = here.ok_or(DomainError::NotFound)?;
        let ws = here.require_workspace()?;
        Ok(Here { ws: ws.id.clone(), org: here.org_id.clone(), workspace_name: ws.name.clone(), held: ws.held })
    }

    /// The workspace a page's shell is at.
    pub fn of(shell: &Shell) -> Result<Here> {
        Here::at(shell.here.as_ref())
    }

    /// Asks the kernel (404 unless the viewer can see the workspace), for partials with no shell.
    pub async fn load(lyceum: &Lyceum, viewer: &Viewer, ws: &WorkspaceId) -> Result<Here> {
        Here::at(lyceum.here(&viewer.caller, Place::Workspace(ws)).await?.as_ref())
    }
}

/// What every member table template needs.
#[derive(Clone)]
pub struct TableCtx {
    pub ws: WorkspaceId,
    pub workspace_name: String,
    pub csrf: String,
    /// The roles the viewer may assign (the engine's rule 1).
    pub roles: Vec<RoleOption>,
    pub can_manage: bool,
    pub can_invite: bool,
    pub me: UserId,
}

impl TableCtx {
    fn new(here: &Here, viewer: &Viewer) -> TableCtx {
        TableCtx {
            ws: here.ws.clone(),
            workspace_name: here.workspace_name.clone(),
            csrf: viewer.csrf.clone(),
            roles: options(rules::assignable_workspace_roles(here.held)),
            can_manage: here.held.contains(Permission::MembersManage),
            can_invite: here.held.contains(Permission::MembersInvite),
            me: viewer.user.id.clone(),
        }
    }

    /// Columns of the table (selection and actions only for managers).
    pub fn columns(&self) -> usize {
        if self.can_manage {
            6
        } else {
            4
        }
    }

    fn row(&self, m: MemberRow) -> RowView {
        let is_self = m.user_id == self.me;
        let role = match m.role {
            MemberRole::Workspace(r) => Some(r),
            MemberRole::Org(_) => None,
        };
        let editable = self.can_manage && !is_self && self.roles.iter().any(|r| Some(r.role) == role);
        RowView {
            role_label: role_label(m.role.as_str()),
            status_label: match m.status {
                MemberStatus::Pending => "Pending",
                MemberStatus::Accepted => "Accepted",
            },
            is_self,
            editable,
            error: String::new(),
            note: String::new(),
            user_id: m.user_id.into_string(),
            name: m.name,
            email: m.email,
            role: m.role.as_str().to_owned(),
            status: m.status.as_str().to_owned(),
        }
    }
}

/// One row of the member table.
pub struct RowView {
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub role: String,
    pub role_label: String,
    pub status: String,
    pub status_label: &'static str,
    pub is_self: bool,
    /// The viewer may change and remove this member (and it is not themself).
    pub editable: bool,
    pub error: String,
    pub note: String,
}

/// The "load more" link: the htmx partial and the full-page fallback.
pub struct More {
    pub hx: String,
    pub href: String,
}

/// Filters of the list as typed (empty means none).
#[derive(Deserialize, Default)]
pub struct ListParams {
    #[serde(default)]
    q: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    cursor: String,
    /// Rows per page (the service bounds it); 50 when not given.
    limit: Option<i64>,
}

fn some(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

impl ListParams {
    fn filter(&self) -> MemberFilter {
        MemberFilter {
            q: some(&self.q),
            role: some(&self.role),
            status: some(&self.status),
            limit: Some(self.limit.unwrap_or(PAGE_SIZE)),
            cursor: some(&self.cursor),
        }
    }

    fn more(&self, ws: &WorkspaceId, next: Option<String>) -> Option<More> {
        let next = next?;
        let limit = self.limit.map(|l| l.to_string()).unwrap_or_default();
        let pairs: Vec<(&str, &str)> = [
            ("q", self.q.trim()),
            ("role", self.role.as_str()),
            ("status", self.status.as_str()),
            ("limit", limit.as_str()),
            ("cursor", next.as_str()),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .collect();
        let query = serde_html_form::to_string(pairs).unwrap_or_default();
        Some(More { hx: format!("/w/{ws}/members/rows?{query}"), href: format!("/w/{ws}/members?{query}") })
    }
}

#[derive(Template)]
#[template(path = "tenancy/members.html")]
struct MembersPage {
    shell: Shell,
    t: TableCtx,
    rows: Vec<RowView>,
    more: Option<More>,
    error: String,
    q: String,
    role: String,
    status: String,
    all_roles: Vec<RoleOption>,
    invite: InviteState,
}

#[derive(Template)]
#[template(path = "tenancy/members_rows.html")]
struct RowsPartial {
    t: TableCtx,
    rows: Vec<RowView>,
    more: Option<More>,
    error: String,
}

#[derive(Template)]
#[template(path = "tenancy/members_row.html")]
struct RowPartial {
    t: TableCtx,
    m: RowView,
}

#[derive(Template)]
#[template(path = "tenancy/members_invite_form.html")]
struct InvitePartial {
    t: TableCtx,
    invite: InviteState,
}

#[derive(Template)]
#[template(path = "tenancy/members_notice.html")]
struct Notice {
    kind: &'static str,
    message: String,
    blocked: Vec<String>,
}

/// The invite form's state: what was typed, the outcome of each address, refusals.
#[derive(Default)]
pub struct InviteState {
    pub emails: String,
    pub role: String,
    pub results: Vec<InviteResultView>,
    pub error: String,
    pub errors: FieldErrors,
}

/// One address's outcome in the invite dialog.
pub struct InviteResultView {
    pub email: String,
    pub outcome: &'static str,
    pub label: &'static str,
}

fn outcome_label(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Added => "Added — they have access now",
        Outcome::Pending => "Added (pending) — we emailed them",
        Outcome::Invited => "Invitation sent",
        Outcome::AlreadyMember => "Already a member — nothing changed",
        Outcome::Invalid => "Not a valid email address",
    }
}

/// The default role of the invite dialog: learner when the viewer may assign it.
fn default_role(t: &TableCtx) -> String {
    let learner = WorkspaceRole::Learner.as_str();
    if t.roles.iter().any(|r| r.value == learner) {
        learner.to_owned()
    } else {
        t.roles.last().map(|r| r.value.to_owned()).unwrap_or_default()
    }
}

/// `GET /w/{ws}/members`
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    PagePath(ws): PagePath<WorkspaceId>,
    Query(params): Query<ListParams>,
) -> Response {
    let lyceum = &state.lyceum;
    let run = async {
        let shell = Shell::build(lyceum, &viewer, "Members", Place::Workspace(&ws), "members").await?;
        let here = Here::of(&shell)?;
        let page = lyceum.members().list_members(&viewer.caller, ScopeRef::Workspace(&ws), params.filter()).await?;
        let t = TableCtx::new(&here, &viewer);
        let invite = InviteState { role: default_role(&t), ..InviteState::default() };
        Ok::<_, ServiceError>(MembersPage {
            shell,
            more: params.more(&ws, page.next_cursor),
            rows: page.items.into_iter().map(|m| t.row(m)).collect(),
            t,
            error: String::new(),
            q: params.q.clone(),
            role: params.role.clone(),
            status: params.status.clone(),
            all_roles: options(WorkspaceRole::ALL.iter().copied()),
            invite,
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

/// `GET /w/{ws}/members/rows`: the rows of a search, a filter or the next page.
pub async fn rows(
    State(state): State<AppState>,
    viewer: Viewer,
    PagePath(ws): PagePath<WorkspaceId>,
    Query(params): Query<ListParams>,
) -> Response {
    let lyceum = &state.lyceum;
    let here = match Here::load(lyceum, &viewer, &ws).await {
        Ok(h) => h,
        Err(e) => return service_error_page(e),
    };
    let t = TableCtx::new(&here, &viewer);
    match lyceum.members().list_members(&viewer.caller, ScopeRef::Workspace(&ws), params.filter()).await {
        Ok(page) => {
            let more = params.more(&ws, page.next_cursor);
            let rows = page.items.into_iter().map(|m| t.row(m)).collect();
            fragment(&RowsPartial { t, rows, more, error: String::new() })
        }
        Err(e @ ServiceError::Domain(DomainError::Validation { .. })) => {
            fragment(&RowsPartial { t, rows: Vec::new(), more: None, error: message_of(e) })
        }
        Err(e) => service_error_page(e),
    }
}

/// Answers an htmx request with `partial`, a plain form post with a flash redirect.
fn answer(headers: &HeaderMap, to: &str, ok: bool, message: String, partial: impl FnOnce() -> Response) -> Response {
    if is_htmx(headers) {
        partial()
    } else {
        redirect_with(to, if ok { "success" } else { "error" }, message)
    }
}

/// Tells the page the member list changed (the table reloads its rows).
fn members_changed(mut res: Response) -> Response {
    res.headers_mut().insert("hx-trigger", HeaderValue::from_static("members-changed"));
    res
}

#[derive(Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    emails: String,
    #[serde(default)]
    role: String,
}

/// `POST /w/{ws}/members/invite`: one outcome per address, or the refusal.
pub async fn invite(
    State(state): State<AppState>,
    headers: HeaderMap,
    PagePath(ws): PagePath<WorkspaceId>,
    PageForm { viewer, form }: PageForm<InviteForm>,
) -> Response {
    let lyceum = &state.lyceum;
    let here = match Here::load(lyceum, &viewer, &ws).await {
        Ok(h) => h,
        Err(e) => return service_error_page(e),
    };
    let t = TableCtx::new(&here, &viewer);
    let back = format!("/w/{ws}/members");
    let result = match MemberRole::parse_workspace(&form.role) {
        Ok(role) => {
            lyceum
                .invitations()
                .invite(&viewer.caller, ScopeRef::Workspace(&ws), std::slice::from_ref(&form.emails), role)
                .await
        }
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(results) => {
            let results: Vec<InviteResultView> = results
                .into_iter()
                .map(|r| InviteResultView {
                    outcome: r.outcome.as_str(),
                    label: outcome_label(r.outcome),
                    email: r.email,
                })
                .collect();
            let summary = results.iter().map(|r| format!("{}: {}", r.email, r.label)).collect::<Vec<_>>().join("; ");
            let invite = InviteState { role: form.role, results, ..InviteState::default() };
            answer(&headers, &back, true, summary, || members_changed(fragment(&InvitePartial { t, invite })))
        }
        Err(e) => {
            let (errors, error) = match e {
                ServiceError::Domain(DomainError::Validation { ref field, .. })
                    if field == "emails" || field == "role" =>
                {
                    FieldErrors::from_error(e)
                }
                other => (FieldErrors::default(), capitalise(&message_of(other))),
            };
            let message = match (errors.get("emails"), errors.get("role")) {
                (m, _) if !m.is_empty() => format!("Emails {m}"),
                (_, m) if !m.is_empty() => format!("Role {m}"),
                _ => error.clone(),
            };
            let invite = InviteState { emails: form.emails, role: form.role, results: Vec::new(), error, errors };
            answer(&headers, &back, false, message, || fragment(&InvitePartial { t, invite }))
        }
    }
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
    /// The row's email, to find the row again when the change is refused.
    #[serde(default)]
    email: String,
}

/// `POST /w/{ws}/members/{user}/role`: the updated row, or the row as it was with the refusal.
pub async fn change_role(
    State(state): State<AppState>,
    headers: HeaderMap,
    PagePath((ws, user)): PagePath<(WorkspaceId, UserId)>,
    PageForm { viewer, form }: PageForm<RoleForm>,
) -> Response {
    let lyceum = &state.lyceum;
    let here = match Here::load(lyceum, &viewer, &ws).await {
        Ok(h) => h,
        Err(e) => return service_error_page(e),
    };
    let t = TableCtx::new(&here, &viewer);
    let back = format!("/w/{ws}/members");
    let changed = match MemberRole::parse_workspace(&form.role) {
        Ok(role) => lyceum.members().change_role(&viewer.caller, ScopeRef::Workspace(&ws), &user, role).await,
        Err(e) => Err(e.into()),
    };
    match changed {
        Ok(row) => {
            let mut m = t.row(row);
            m.note = format!("Role changed to {}.", m.role_label);
            let message = format!("{} is now {}.", m.email, m.role_label);
            answer(&headers, &back, true, message, || fragment(&RowPartial { t, m }))
        }
        Err(e) => {
            let message = capitalise(&message_of(e));
            if !is_htmx(&headers) {
                return redirect_with(&back, "error", message);
            }
            row_with_error(lyceum, &viewer, t, &user, &form.email, message).await
        }
    }
}

/// A member as the list shows it now, found by searching for their email.
async fn find_member(
    lyceum: &Lyceum,
    viewer: &Viewer,
    ws: &WorkspaceId,
    user: &UserId,
    email: &str,
) -> Option<MemberRow> {
    let filter = MemberFilter { q: some(email), limit: Some(500), ..MemberFilter::default() };
    let page = lyceum.members().list_members(&viewer.caller, ScopeRef::Workspace(ws), filter).await.ok()?;
    page.items.into_iter().find(|m| &m.user_id == user)
}

/// The row of `user` as listed now with `error` shown in it, or a row saying only the error.
async fn row_with_error(
    lyceum: &Lyceum,
    viewer: &Viewer,
    t: TableCtx,
    user: &UserId,
    email: &str,
    error: String,
) -> Response {
    let found = find_member(lyceum, viewer, &t.ws, user, email).await;
    let m = match found {
        Some(row) => RowView { error, ..t.row(row) },
        None => RowView {
            user_id: user.to_string(),
            name: String::new(),
            email: email.to_owned(),
            role: String::new(),
            role_label: String::new(),
            status: String::new(),
            status_label: "",
            is_self: false,
            editable: false,
            error,
            note: String::new(),
        },
    };
    fragment(&RowPartial { t, m })
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[derive(Deserialize, Default)]
pub struct RemoveForm {
    /// The row's email, for the message and to find the row again when refused.
    #[serde(default)]
    email: String,
}

/// `POST /w/{ws}/members/{user}/remove`: the row gives way to a note, or shows the refusal.
pub async fn remove_one(
    State(state): State<AppState>,
    headers: HeaderMap,
    PagePath((ws, user)): PagePath<(WorkspaceId, UserId)>,
    PageForm { viewer, form }: PageForm<RemoveForm>,
) -> Response {
    let lyceum = &state.lyceum;
    let here = match Here::load(lyceum, &viewer, &ws).await {
        Ok(h) => h,
        Err(e) => return service_error_page(e),
    };
    let t = TableCtx::new(&here, &viewer);
    let back = format!("/w/{ws}/members");
    match lyceum.members().remove_members(&viewer.caller, ScopeRef::Workspace(&ws), &[user.to_string()]).await {
        Ok(_) => {
            let who = if form.email.is_empty() { "The member" } else { form.email.as_str() };
            let message = format!("Removed {who} from {}.", here.workspace_name);
            let columns = t.columns();
            answer(&headers, &back, true, message.clone(), || fragment(&RemovedRow { message, columns }))
        }
        Err(e) => {
            let message = capitalise(&message_of(e));
            if !is_htmx(&headers) {
                return redirect_with(&back, "error", message);
            }
            row_with_error(lyceum, &viewer, t, &user, &form.email, message).await
        }
    }
}

#[derive(Template)]
#[template(path = "tenancy/members_removed_row.html")]
struct RemovedRow {
    message: String,
    columns: usize,
}

#[derive(Deserialize, Default)]
pub struct BulkForm {
    #[serde(default)]
    user_ids: Vec<String>,
}

/// `POST /w/{ws}/members/remove`: all the ticked members or none, saying which entries blocked it.
pub async fn remove_many(
    State(state): State<AppState>,
    headers: HeaderMap,
    PagePath(ws): PagePath<WorkspaceId>,
    PageForm { viewer, form }: PageForm<BulkForm>,
) -> Response {
    let back = format!("/w/{ws}/members");
    match state.lyceum.members().remove_members(&viewer.caller, ScopeRef::Workspace(&ws), &form.user_ids).await {
        Ok(n) => {
            let message = format!("Removed {n} member{}.", if n == 1 { "" } else { "s" });
            answer(&headers, &back, true, message.clone(), || {
                members_changed(fragment(&Notice { kind: "success", message, blocked: Vec::new() }))
            })
        }
        Err(ServiceError::Blocked { message, entries, .. }) => {
            let blocked: Vec<String> = entries
                .into_iter()
                .map(|(id, _, reason)| {
                    let who = if id == viewer.user.id.as_str() { format!("You ({})", viewer.user.email) } else { id };
                    format!("{who}: {reason}")
                })
                .collect();
            let reason = message.trim_end_matches("; nothing was removed");
            let message = format!("Nothing was removed: {reason}.");
            let flash = format!("{message} {}", blocked.join("; "));
            answer(&headers, &back, false, flash, || fragment(&Notice { kind: "error", message, blocked }))
        }
        Err(e) => {
            let message = capitalise(&message_of(e));
            answer(&headers, &back, false, message.clone(), || {
                fragment(&Notice { kind: "error", message, blocked: Vec::new() })
            })
        }
    }
}
