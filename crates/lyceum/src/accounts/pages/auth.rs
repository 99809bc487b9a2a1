//! Sign in, sign up, sign out, the invitation landing page, and creating an organisation.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::Response;
use axum::Form;
use lyceum_domain::Permission;
use serde::Deserialize;

use crate::accounts::api::people::session_cookie;
use crate::accounts::people::{NewSession, SignupInput};
use crate::kernel::whereabouts::Place;
use crate::kernel::ServiceError;
use crate::web::extract::{ClientOrigin, SessionToken};
use crate::web::ui::form::{Empty, FieldErrors};
use crate::web::ui::session::{redirect, redirect_with, render, service_error_page, PageForm, SignInFirst, Viewer};
use crate::web::AppState;

/// Only same-site paths are followed after sign-in.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/".to_owned(),
    }
}

fn signed_in(state: &AppState, to: &str, session: &NewSession) -> Response {
    let mut res = redirect(to);
    res.headers_mut().append(header::SET_COOKIE, session_cookie(state, &session.token, session.max_age_secs));
    res
}

/// `/`: the first workspace for a signed-in person, else the login page.
pub async fn home(State(state): State<AppState>, viewer: Result<Viewer, SignInFirst>) -> Response {
    let Ok(viewer) = viewer else { return redirect("/login") };
    // The first workspace the person may open, from the one whereabouts read.
    let first = match state.lyceum.whereabouts(&viewer.caller, Place::Nowhere).await {
        Ok(w) => w.orgs.into_iter().find_map(|o| o.workspaces.into_iter().next()),
        Err(e) => return service_error_page(e),
    };
    match first {
        Some(ws) => redirect(&if ws.held.contains(Permission::MembersView) {
            format!("/w/{}/members", ws.id)
        } else {
            format!("/w/{}", ws.id)
        }),
        None => redirect("/orgs/new"),
    }
}

/// Where a person lands in a workspace: its Members page when they may see it, else its dashboard.
async fn landing(state: &AppState, viewer: &Viewer, ws: &lyceum_domain::id::WorkspaceId) -> String {
    let may_see_members = state
        .lyceum
        .audit()
        .permissions(&viewer.caller, ws, None)
        .await
        .is_ok_and(|p| p.permissions.contains(&"members.view"));
    if may_see_members {
        format!("/w/{ws}/members")
    } else {
        format!("/w/{ws}")
    }
}

#[derive(Template, Default)]
#[template(path = "accounts/login.html")]
struct LoginPage {
    email: String,
    next: String,
    error: String,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

pub async fn login_page(Query(q): Query<NextQuery>) -> Response {
    render(&LoginPage { next: safe_next(q.next.as_deref()), ..LoginPage::default() }, false)
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    next: Option<String>,
}

pub async fn login(
    State(state): State<AppState>,
    ClientOrigin(origin): ClientOrigin,
    SessionToken(old): SessionToken,
    Form(f): Form<LoginForm>,
) -> Response {
    let next = safe_next(f.next.as_deref());
    match state.lyceum.accounts().login(&f.email, f.password, &origin, old.as_deref()).await {
        Ok((_, session)) => signed_in(&state, &next, &session),
        Err(e) => {
            let error = match e {
                ServiceError::Unauthenticated => "Wrong email or password.".to_owned(),
                other => crate::web::ui::session::message_of(other),
            };
            render(&LoginPage { email: f.email, next, error }, false)
        }
    }
}

#[derive(Template, Default)]
#[template(path = "accounts/signup.html")]
struct SignupPage {
    name: String,
    email: String,
    invitation_token: String,
    email_locked: bool,
    errors: FieldErrors,
    error: String,
}

pub async fn signup_page() -> Response {
    render(&SignupPage::default(), false)
}

#[derive(Deserialize)]
pub struct SignupForm {
    name: String,
    email: String,
    password: String,
    invitation_token: Option<String>,
}

pub async fn signup(
    State(state): State<AppState>,
    ClientOrigin(origin): ClientOrigin,
    Form(f): Form<SignupForm>,
) -> Response {
    let token = f.invitation_token.clone().filter(|t| !t.is_empty());
    let input = SignupInput {
        email: f.email.clone(),
        password: f.password,
        name: f.name.clone(),
        invitation_token: token.clone(),
    };
    match state.lyceum.accounts().signup(input, &origin).await {
        Ok((_, session)) => {
            let mut res = signed_in(&state, "/", &session);
            let note = if token.is_some() {
                "Welcome! You have joined through your invitation."
            } else {
                "Welcome to Lyceum!"
            };
            let flashed = redirect_with("/", "success", note);
            if let Some(c) = flashed.headers().get(header::SET_COOKIE) {
                res.headers_mut().append(header::SET_COOKIE, c.clone());
            }
            res
        }
        Err(e) => {
            let (errors, error) = FieldErrors::from_error(e);
            let email_locked = token.is_some();
            render(
                &SignupPage {
                    name: f.name,
                    email: f.email,
                    invitation_token: token.unwrap_or_default(),
                    email_locked,
                    errors,
                    error,
                },
                false,
            )
        }
    }
}

pub async fn logout(State(state): State<AppState>, SessionToken(token): SessionToken) -> Response {
    if let Some(token) = token {
        let _ = state.lyceum.accounts().logout(&token).await;
    }
    let mut res = redirect("/login");
    res.headers_mut().append(header::SET_COOKIE, session_cookie(&state, "", 0));
    res
}

#[derive(Template)]
#[template(path = "accounts/invite.html")]
struct InvitePage {
    token: String,
    organization: String,
    workspace: String,
    role: String,
    email: String,
    /// The signed-in user, if any: (email, csrf).
    signed_in_as: Option<(String, String)>,
}

/// The invitation landing page: what it offers, then sign up (or accept, signed in as the invitee).
pub async fn invite_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    viewer: Result<Viewer, SignInFirst>,
) -> Response {
    let offer = match state.lyceum.invitations().invitation_by_token(&token).await {
        Ok(o) => o,
        Err(e) => return service_error_page(e),
    };
    let page = InvitePage {
        token,
        organization: offer.organization_name,
        workspace: offer.workspace_name.unwrap_or_default(),
        role: offer.role.as_str().to_owned(),
        email: offer.email,
        signed_in_as: viewer.ok().map(|v| (v.user.email.clone(), v.csrf.clone())),
    };
    render(&page, false)
}

pub async fn accept_invite(
    State(state): State<AppState>,
    Path(token): Path<String>,
    PageForm { viewer, .. }: PageForm<Empty>,
) -> Response {
    match state.lyceum.invitations().accept_invitation(&viewer.caller, &token).await {
        Ok(inv) => {
            let to = match inv.workspace_id {
                Some(ws) => landing(&state, &viewer, &ws).await,
                None => "/".to_owned(),
            };
            redirect_with(&to, "success", "Invitation accepted.")
        }
        Err(e) => service_error_page(e),
    }
}
