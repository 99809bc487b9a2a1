//! API keys of an organisation (its owners): create one (the secret shown once), list them without
//! secrets, revoke one at once.

use crate::web::ui::session::PagePath;
use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use lyceum_domain::id::{ApiKeyId, OrgId};
use lyceum_domain::{ApiKeyState, DomainError, OrgRole, WorkspaceRole};
use serde::Deserialize;

use crate::accounts::api_keys::NewKey;
use crate::accounts::store::api_keys::ApiKeyRow;
use crate::kernel::db::now_ms;
use crate::kernel::whereabouts::Place;
use crate::kernel::{Result, ServiceError};
use crate::tenancy::queries::orgs::WorkspaceRow;
use crate::web::ui::form::sentence;
use crate::web::ui::form::{short_time, Empty, FieldErrors};
use crate::web::ui::session::{
    fragment, is_htmx, message_of, redirect_with, render, service_error_page, Flash, PageForm, Viewer,
};
use crate::web::ui::shell::Shell;
use crate::web::AppState;

/// One key as a table row shows it.
pub struct KeyView {
    id: String,
    name: String,
    prefix: String,
    role: String,
    workspace: String,
    created: String,
    created_iso: String,
    expires: String,
    last_used: String,
    /// `active`, `expired` or `revoked`
    status: &'static str,
    /// An inline refusal in this row.
    error: String,
}

impl KeyView {
    fn of(k: ApiKeyRow, workspaces: &[WorkspaceRow]) -> KeyView {
        let status = ApiKeyState::at(k.revoked_at, k.expires_at, now_ms()).as_str();
        let workspace = match k.role.workspace_id() {
            Some(id) => workspaces.iter().find(|w| &w.id == id).map_or_else(|| id.to_string(), |w| w.name.clone()),
            None => String::new(),
        };
        KeyView {
            id: k.id.into_string(),
            name: k.name,
            prefix: k.prefix,
            role: k.role.role_name().to_owned(),
            workspace,
            created: short_time(k.created_at),
            created_iso: crate::kernel::db::rfc3339(k.created_at),
            expires: k.expires_at.map_or_else(|| "never".to_owned(), short_time),
            last_used: k.last_used_at.map_or_else(|| "never".to_owned(), short_time),
            status,
            error: String::new(),
        }
    }
}

/// What the create form held.
#[derive(Default)]
struct Typed {
    name: String,
    role: String,
    workspace_id: String,
    workspace_role: String,
    expires_at: String,
    errors: FieldErrors,
    error: String,
}

impl Typed {
    fn fresh() -> Typed {
        Typed { role: "viewer".into(), workspace_role: "viewer".into(), ..Typed::default() }
    }
}

#[derive(Template)]
#[template(path = "accounts/keys.html")]
struct KeysPage {
    shell: Shell,
    csrf: String,
    org: OrgId,
    keys: Vec<KeyView>,
    workspaces: Vec<WorkspaceRow>,
    org_roles: Vec<&'static str>,
    workspace_roles: Vec<&'static str>,
    /// The secret of the key just created (shown this once).
    new_key: Option<(String, String)>,
    typed: Typed,
}

#[derive(Template)]
#[template(path = "accounts/keys_revoked.html")]
struct KeyRow {
    csrf: String,
    org: OrgId,
    k: KeyView,
    /// A message for `#flash` (swapped out of band).
    flash: Option<Flash>,
}

async fn page(
    state: &AppState,
    viewer: &Viewer,
    org: &OrgId,
    typed: Typed,
    new_key: Option<(String, String)>,
) -> Result<KeysPage> {
    let lyceum = &state.lyceum;
    let keys = lyceum.api_keys().list_api_keys(&viewer.caller, org).await?;
    let workspaces = lyceum.orgs().list_workspaces(&viewer.caller, org).await?;
    let shell = Shell::build(lyceum, viewer, "API keys", Place::Org(org), "api-keys").await?;
    Ok(KeysPage {
        csrf: viewer.csrf.clone(),
        shell,
        org: org.clone(),
        keys: keys.into_iter().map(|k| KeyView::of(k, &workspaces)).collect(),
        workspaces,
        org_roles: OrgRole::ALL.iter().map(|r| r.as_str()).collect(),
        workspace_roles: WorkspaceRole::ALL.iter().map(|r| r.as_str()).collect(),
        new_key,
        typed,
    })
}

fn show(result: Result<KeysPage>) -> Response {
    match result {
        Ok(p) => {
            let flash = p.shell.flash.is_some();
            render(&p, flash)
        }
        Err(e) => service_error_page(e),
    }
}

/// `GET /o/{org}/api-keys`
pub async fn keys_page(State(state): State<AppState>, viewer: Viewer, PagePath(org): PagePath<OrgId>) -> Response {
    show(page(&state, &viewer, &org, Typed::fresh(), None).await)
}

#[derive(Deserialize)]
pub struct NewKeyForm {
    name: String,
    role: String,
    #[serde(default)]
    workspace_id: String,
    #[serde(default)]
    workspace_role: String,
    /// A date (`YYYY-MM-DD`): the key works until the end of that day (UTC).
    #[serde(default)]
    expires_at: String,
}

/// The end of a day typed in a date input, as RFC 3339; anything else is passed on as typed.
fn end_of_day(typed: &str) -> Option<String> {
    let typed = typed.trim();
    if typed.is_empty() {
        return None;
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Some(match time::Date::parse(typed, &format) {
        Ok(d) => format!("{d}T23:59:59Z"),
        Err(_) => typed.to_owned(),
    })
}

/// `POST /o/{org}/api-keys`: creates a key and shows its secret once, on this answer only.
pub async fn create_key(
    State(state): State<AppState>,
    PagePath(org): PagePath<OrgId>,
    PageForm { mut viewer, form: f }: PageForm<NewKeyForm>,
) -> Response {
    let workspace_id = Some(f.workspace_id.trim().to_owned()).filter(|w| !w.is_empty());
    let input = NewKey {
        name: f.name.clone(),
        role: if workspace_id.is_some() { f.workspace_role.clone() } else { f.role.clone() },
        workspace_id,
        expires_at: end_of_day(&f.expires_at),
    };
    match state.lyceum.api_keys().create_api_key(&viewer.caller, &org, input).await {
        Ok((row, secret)) => {
            let note = format!("API key {} created. Copy its secret now: it will not be shown again.", row.name);
            viewer.flash = Some(Flash { kind: "success".into(), message: note });
            let p = page(&state, &viewer, &org, Typed::fresh(), Some((row.name, secret))).await;
            show(p)
        }
        Err(e @ ServiceError::Domain(DomainError::Forbidden(_))) => service_error_page(e),
        Err(e) => {
            let (errors, error) = FieldErrors::from_error(e);
            let typed = Typed {
                name: f.name,
                role: f.role,
                workspace_id: f.workspace_id,
                workspace_role: f.workspace_role,
                expires_at: f.expires_at,
                errors,
                error: sentence(error),
            };
            show(page(&state, &viewer, &org, typed, None).await)
        }
    }
}

/// `POST /o/{org}/api-keys/{id}/revoke`: the key stops working at once. htmx gets the row back
/// (status Revoked, or the refusal in the row); a plain form post gets the page with a message.
pub async fn revoke_key(
    State(state): State<AppState>,
    PagePath((org, id)): PagePath<(OrgId, ApiKeyId)>,
    headers: HeaderMap,
    PageForm { viewer, .. }: PageForm<Empty>,
) -> Response {
    let result = state.lyceum.api_keys().revoke_api_key(&viewer.caller, &org, &id).await;
    let back = format!("/o/{org}/api-keys");
    if !is_htmx(&headers) {
        return match result {
            Ok(()) => redirect_with(&back, "success", "API key revoked. It no longer works."),
            Err(e @ ServiceError::Domain(DomainError::NotFound | DomainError::Forbidden(_))) => service_error_page(e),
            Err(e) => redirect_with(&back, "error", sentence(message_of(e))),
        };
    }
    let lookup = async {
        let keys = state.lyceum.api_keys().list_api_keys(&viewer.caller, &org).await?;
        let workspaces = state.lyceum.orgs().list_workspaces(&viewer.caller, &org).await?;
        Ok::<_, ServiceError>(keys.into_iter().find(|k| k.id == id).map(|k| KeyView::of(k, &workspaces)))
    };
    match (result, lookup.await) {
        (Ok(()), Ok(Some(k))) => {
            let message = format!("API key {} revoked. It no longer works.", k.name);
            fragment(&KeyRow { csrf: viewer.csrf, org, k, flash: Some(Flash { kind: "success".into(), message }) })
        }
        (Err(e @ ServiceError::Domain(DomainError::Conflict(_))), Ok(Some(mut k))) => {
            k.error = sentence(message_of(e));
            fragment(&KeyRow { csrf: viewer.csrf, org, k, flash: None })
        }
        (Err(e), _) | (Ok(()), Err(e)) => service_error_page(e),
        (Ok(()), Ok(None)) => service_error_page(DomainError::NotFound.into()),
    }
}
