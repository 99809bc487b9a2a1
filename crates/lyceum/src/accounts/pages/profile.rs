//! My Profile: display name, username and email (the current password to change the email), and
//! the password (current, new, confirmation).

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

use crate::accounts::people::ProfileChange;
use crate::kernel::whereabouts::Place;
use crate::kernel::Result;
use crate::web::ui::form::sentence;
use crate::web::ui::form::FieldErrors;
use crate::web::ui::session::{redirect_with, render, service_error_page, PageForm, Viewer};
use crate::web::ui::shell::Shell;
use crate::web::AppState;

#[derive(Template)]
#[template(path = "accounts/profile.html")]
struct ProfilePage {
    shell: Shell,
    /// `?ws=` to come back to, kept in the forms.
    ws: String,
    name: String,
    username: String,
    email: String,
    profile_errors: FieldErrors,
    profile_error: String,
    password_errors: FieldErrors,
    password_error: String,
}

#[derive(Default, Deserialize)]
pub struct WsQuery {
    #[serde(default)]
    ws: String,
}

/// The shell in the workspace of `?ws=` if the viewer sees it, else with no context.
async fn shell(state: &AppState, viewer: &Viewer, ws: &str) -> Result<Shell> {
    if let Some(ws) = lyceum_domain::id::WorkspaceId::parse(ws) {
        if let Ok(shell) = Shell::build(&state.lyceum, viewer, "My Profile", Place::Workspace(&ws), "profile").await {
            return Ok(shell);
        }
    }
    Shell::build(&state.lyceum, viewer, "My Profile", Place::Nowhere, "profile").await
}

fn show(result: Result<ProfilePage>) -> Response {
    match result {
        Ok(p) => {
            let flash = p.shell.flash.is_some();
            render(&p, flash)
        }
        Err(e) => service_error_page(e),
    }
}

/// `GET /settings/profile`
pub async fn profile_page(State(state): State<AppState>, viewer: Viewer, Query(q): Query<WsQuery>) -> Response {
    let run = async {
        let me = state.lyceum.accounts().me(&viewer.caller).await?;
        let shell = shell(&state, &viewer, &q.ws).await?;
        Ok(ProfilePage {
            ws: if shell.workspace_id.is_some() { q.ws } else { String::new() },
            shell,
            name: me.user.name,
            username: me.user.username.unwrap_or_default(),
            email: me.user.email,
            profile_errors: FieldErrors::default(),
            profile_error: String::new(),
            password_errors: FieldErrors::default(),
            password_error: String::new(),
        })
    };
    show(run.await)
}

/// Both forms post here; `intent` tells which.
#[derive(Deserialize)]
pub struct ProfileForm {
    intent: String,
    #[serde(default)]
    ws: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

fn some(s: &str) -> Option<String> {
    Some(s.to_owned()).filter(|s| !s.trim().is_empty())
}

/// `POST /settings/profile`: saves the profile or changes the password.
pub async fn update_profile(
    State(state): State<AppState>,
    PageForm { viewer, form: f }: PageForm<ProfileForm>,
) -> Response {
    let back = if f.ws.is_empty() {
        "/settings/profile".to_owned()
    } else {
        format!("/settings/profile?{}", serde_html_form::to_string([("ws", &f.ws)]).unwrap_or_default())
    };
    let password_change = f.intent == "password";
    let change = if password_change {
        if f.password != f.password_confirm {
            return again(
                &state,
                &viewer,
                &f,
                true,
                lyceum_domain::DomainError::invalid("password_confirm", "does not match the new password").into(),
            )
            .await;
        }
        ProfileChange {
            password: Some(f.password.clone()),
            current_password: some(&f.current_password),
            ..Default::default()
        }
    } else {
        ProfileChange {
            name: Some(f.name.clone()),
            username: some(&f.username),
            email: Some(f.email.clone()),
            current_password: some(&f.current_password),
            ..Default::default()
        }
    };
    match state.lyceum.accounts().update_me(&viewer.caller, change).await {
        Ok(_) if password_change => {
            redirect_with(&back, "success", "Password changed. Your other sessions have been signed out.")
        }
        Ok(_) => redirect_with(&back, "success", "Profile saved."),
        Err(e) => again(&state, &viewer, &f, password_change, e).await,
    }
}

/// The page again with what was typed (never the passwords) and the refusal by the right form.
async fn again(
    state: &AppState,
    viewer: &Viewer,
    f: &ProfileForm,
    password_change: bool,
    e: crate::kernel::ServiceError,
) -> Response {
    let (errors, error) = FieldErrors::from_error(e);
    let error = sentence(error);
    let run = async {
        let me = state.lyceum.accounts().me(&viewer.caller).await?;
        let shell = shell(state, viewer, &f.ws).await?;
        let ws = if shell.workspace_id.is_some() { f.ws.clone() } else { String::new() };
        let mut page = ProfilePage {
            shell,
            ws,
            name: me.user.name,
            username: me.user.username.unwrap_or_default(),
            email: me.user.email,
            profile_errors: FieldErrors::default(),
            profile_error: String::new(),
            password_errors: FieldErrors::default(),
            password_error: String::new(),
        };
        if password_change {
            (page.password_errors, page.password_error) = (errors, error);
        } else {
            (page.name, page.username, page.email) = (f.name.clone(), f.username.clone(), f.email.clone());
            (page.profile_errors, page.profile_error) = (errors, error);
        }
        Ok(page)
    };
    show(run.await)
}
