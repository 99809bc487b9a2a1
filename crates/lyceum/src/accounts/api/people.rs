//! Accounts: signup, login, logout, and the caller's own profile.

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::web::openapi::{AuthErrors, BadCredentials, BodyErrors, Conflict, Gone, RateLimited};

use crate::accounts::people::{NewSession, ProfileChange, SignupInput};
use crate::accounts::store::users::UserRow;
use crate::web::error::ApiResult;
use crate::web::extract::{ApiJson, Auth, ClientOrigin, SessionToken, SESSION_COOKIE};
use crate::web::AppState;

/// A user as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
    pub username: Option<String>,
}

impl From<&UserRow> for User {
    fn from(u: &UserRow) -> User {
        User { id: u.id.to_string(), email: u.email.clone(), name: u.name.clone(), username: u.username.clone() }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserEnvelope {
    pub user: User,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SignupBody {
    #[schema(format = "email", max_length = 254)]
    pub email: String,
    /// 12 to 256 characters, not a commonly used password.
    #[schema(min_length = 12, max_length = 256)]
    pub password: String,
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    pub invitation_token: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginBody {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ProfilePatch {
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[schema(pattern = "^[A-Za-z0-9._-]{3,40}$")]
    pub username: Option<String>,
    #[schema(format = "email", max_length = 254)]
    pub email: Option<String>,
    #[schema(min_length = 12, max_length = 256)]
    pub password: Option<String>,
    pub current_password: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MyOrganization {
    pub id: String,
    pub name: String,
    pub role: String,
    pub status: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MyWorkspace {
    pub id: String,
    pub organization_id: String,
    pub name: String,
    pub role: String,
    pub status: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub user: User,
    pub organizations: Vec<MyOrganization>,
    pub workspaces: Vec<MyWorkspace>,
}

pub fn session_cookie(state: &AppState, value: &str, max_age: i64) -> HeaderValue {
    let secure = if state.web.secure_cookies { "; Secure" } else { "" };
    let cookie = format!("{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}");
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn with_session(state: &AppState, status: StatusCode, user: &UserRow, session: &NewSession) -> Response {
    let mut res = (status, axum::Json(UserEnvelope { user: user.into() })).into_response();
    res.headers_mut().insert(header::SET_COOKIE, session_cookie(state, &session.token, session.max_age_secs));
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// Creates an account (optionally through an invitation) and signs it in.
#[utoipa::path(post, path = "/api/v1/auth/signup", tag = "accounts", request_body = SignupBody, security(()),
    responses((status = 201, body = UserEnvelope, description = "signed up and signed in"), BodyErrors, Conflict, Gone, RateLimited))]
pub async fn signup(
    State(state): State<AppState>,
    ClientOrigin(origin): ClientOrigin,
    ApiJson(b): ApiJson<SignupBody>,
) -> ApiResult<Response> {
    let input =
        SignupInput { email: b.email, password: b.password, name: b.name, invitation_token: b.invitation_token };
    let (user, session) = state.lyceum.accounts().signup(input, &origin).await?;
    Ok(with_session(&state, StatusCode::CREATED, &user, &session))
}

/// Signs in; pending memberships become accepted.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "accounts", request_body = LoginBody, security(()),
    responses((status = 200, body = UserEnvelope, description = "signed in"), BadCredentials, BodyErrors, RateLimited))]
pub async fn login(
    State(state): State<AppState>,
    ClientOrigin(origin): ClientOrigin,
    SessionToken(old): SessionToken,
    ApiJson(b): ApiJson<LoginBody>,
) -> ApiResult<Response> {
    let (user, session) = state.lyceum.accounts().login(&b.email, b.password, &origin, old.as_deref()).await?;
    Ok(with_session(&state, StatusCode::OK, &user, &session))
}

/// Ends the session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "accounts", security((), ("session" = [])),
    responses((status = 204, description = "signed out")))]
pub async fn logout(State(state): State<AppState>, SessionToken(token): SessionToken) -> ApiResult<Response> {
    if let Some(token) = token {
        state.lyceum.accounts().logout(&token).await?;
    }
    let mut res = StatusCode::NO_CONTENT.into_response();
    res.headers_mut().insert(header::SET_COOKIE, session_cookie(&state, "", 0));
    Ok(res)
}

/// The signed-in user with their organisations and workspaces.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts",
    responses((status = 200, body = Me), AuthErrors))]
pub async fn me(State(state): State<AppState>, Auth(caller): Auth) -> ApiResult<axum::Json<Me>> {
    let p = state.lyceum.accounts().me(&caller).await?;
    Ok(axum::Json(Me {
        user: (&p.user).into(),
        organizations: p
            .organizations
            .into_iter()
            .map(|o| MyOrganization {
                id: o.id.into_string(),
                name: o.name,
                role: o.role.as_str().to_owned(),
                status: o.status.as_str().to_owned(),
            })
            .collect(),
        workspaces: p
            .workspaces
            .into_iter()
            .map(|w| MyWorkspace {
                id: w.id.into_string(),
                organization_id: w.org_id.into_string(),
                name: w.name,
                role: w.role.as_str().to_owned(),
                status: w.status.as_str().to_owned(),
            })
            .collect(),
    }))
}

/// Changes the profile; the current password is required to change email or password.
#[utoipa::path(patch, path = "/api/v1/me", tag = "accounts", request_body = ProfilePatch,
    responses((status = 200, body = UserEnvelope), AuthErrors, BodyErrors, Conflict))]
pub async fn update_me(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiJson(b): ApiJson<ProfilePatch>,
) -> ApiResult<axum::Json<UserEnvelope>> {
    let change = ProfileChange {
        name: b.name,
        username: b.username,
        email: b.email,
        password: b.password,
        current_password: b.current_password,
    };
    let user = state.lyceum.accounts().update_me(&caller, change).await?;
    Ok(axum::Json(UserEnvelope { user: (&user).into() }))
}
