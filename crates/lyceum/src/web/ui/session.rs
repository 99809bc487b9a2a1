//! Who is looking at a page, their CSRF token and flash messages; form extraction that checks the
//! CSRF token; redirects and error pages.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::kernel::{Caller, Principal, ServiceError, UserRef};
use crate::web::extract::{cookie, session_token, ClientOrigin};
use crate::web::AppState;

const FLASH_COOKIE: &str = "lyceum_flash";

/// A one-time message shown on the next page.
#[derive(Debug, Clone)]
pub struct Flash {
    /// `success` or `error`
    pub kind: String,
    pub message: String,
}

/// The signed-in person viewing a page.
#[derive(Clone)]
pub struct Viewer {
    pub caller: Caller,
    pub user: UserRef,
    /// The CSRF token of this session (forms carry it; htmx sends it as `X-CSRF-Token`).
    pub csrf: String,
    pub flash: Option<Flash>,
}

/// The CSRF token of a session: derived from its secret, so only its holder can know it.
pub fn csrf_of(session_token: &str) -> String {
    hex::encode(Sha256::digest(format!("lyceum-csrf\n{session_token}").as_bytes()))
}

fn read_flash(parts: &Parts) -> Option<Flash> {
    use base64::Engine;
    let raw = cookie(parts, FLASH_COOKIE)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(raw).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (kind, message) = text.split_once('\n')?;
    Some(Flash { kind: kind.to_owned(), message: message.to_owned() })
}

/// Not signed in: go to the login page, then come back.
pub struct SignInFirst(String);

impl IntoResponse for SignInFirst {
    fn into_response(self) -> Response {
        let target = format!("/login?{}", serde_html_form::to_string([("next", &self.0)]).unwrap_or_default());
        redirect_response(&target, None)
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = SignInFirst;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, SignInFirst> {
        let back = parts.uri.path_and_query().map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
        let Some(token) = session_token(parts) else { return Err(SignInFirst(back)) };
        let ClientOrigin(origin) =
            ClientOrigin::from_request_parts(parts, state).await.map_err(|_| SignInFirst(back.clone()))?;
        let caller = match state.lyceum.accounts().authenticate_session(&token, origin).await {
            Ok(Some(c)) => c,
            _ => return Err(SignInFirst(back)),
        };
        let Principal::User(user) = &caller.principal else { return Err(SignInFirst(back)) };
        Ok(Viewer { user: user.clone(), csrf: csrf_of(&token), flash: read_flash(parts), caller })
    }
}

/// A form posted by a signed-in viewer, with its CSRF token checked (form field `csrf` or the
/// `X-CSRF-Token` header htmx sends) and the same-origin rule of the API.
pub struct PageForm<T> {
    pub viewer: Viewer,
    pub form: T,
}

impl<T: DeserializeOwned> FromRequest<AppState> for PageForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let viewer = Viewer::from_request_parts(&mut parts, state).await.map_err(IntoResponse::into_response)?;
        let headers = parts.headers.clone();
        let bytes = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|_| error_page(StatusCode::PAYLOAD_TOO_LARGE, "That was more than this server accepts."))?;
        let pairs: Vec<(String, String)> = serde_html_form::from_bytes(&bytes).unwrap_or_default();
        let presented = headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .or_else(|| pairs.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v.clone()))
            .unwrap_or_default();
        let same_origin =
            headers.get(header::ORIGIN).is_none_or(|o| o.to_str().ok() == Some(state.web.public_origin.as_str()));
        if !bool::from(presented.as_bytes().ct_eq(viewer.csrf.as_bytes())) || !same_origin {
            return Err(error_page(StatusCode::FORBIDDEN, "This form has expired. Reload the page and try again."));
        }
        // U+0000 (raw, or percent-encoded) never reaches the database: PostgreSQL refuses it.
        if bytes.contains(&0) || bytes.windows(3).any(|w| w == b"%00") {
            return Err(error_page(StatusCode::UNPROCESSABLE_ENTITY, "The form contains a NUL character."));
        }
        let form = serde_html_form::from_bytes(&bytes)
            .map_err(|e| error_page(StatusCode::UNPROCESSABLE_ENTITY, &format!("The form could not be read: {e}")))?;
        Ok(PageForm { viewer, form })
    }
}

/// Whether a request came from htmx (partial answers, `HX-Redirect`).
pub fn is_htmx(headers: &HeaderMap) -> bool {
    headers.contains_key("hx-request")
}

/// The flash cookie: `kind\nmessage`, base64url-encoded; an empty one clears it.
fn flash_cookie(flash: Option<&Flash>) -> HeaderValue {
    use base64::Engine;
    let (value, max_age) = match flash {
        Some(f) => (base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{}\n{}", f.kind, f.message)), 60),
        None => (String::new(), 0),
    };
    HeaderValue::from_str(&format!("{FLASH_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}"))
        .unwrap_or_else(|_| HeaderValue::from_static("lyceum_flash=; Path=/; Max-Age=0"))
}

fn redirect_response(to: &str, flash: Option<Flash>) -> Response {
    let mut res = (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_owned())]).into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        res.headers_mut().insert("hx-redirect", v);
    }
    if flash.is_some() {
        res.headers_mut().append(header::SET_COOKIE, flash_cookie(flash.as_ref()));
    }
    res
}

/// Redirects (303, or `HX-Redirect` for htmx) with a flash message for the next page.
pub fn redirect_with(to: &str, kind: &str, message: impl Into<String>) -> Response {
    redirect_response(to, Some(Flash { kind: kind.to_owned(), message: message.into() }))
}

/// Redirects without a message.
pub fn redirect(to: &str) -> Response {
    redirect_response(to, None)
}

/// Renders a full page; clears the flash cookie if the page showed one.
pub fn render(template: &impl Template, shown_flash: bool) -> Response {
    match template.render() {
        Ok(html) => {
            let mut res = Html(html).into_response();
            if shown_flash {
                res.headers_mut().append(header::SET_COOKIE, flash_cookie(None));
            }
            res
        }
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            error_page(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side.")
        }
    }
}

/// Renders a fragment (an htmx partial).
pub fn fragment(template: &impl Template) -> Response {
    render(template, false)
}

#[derive(Template)]
#[template(path = "ui/error.html")]
struct ErrorPage<'a> {
    status: u16,
    message: &'a str,
}

/// A plain error page.
pub fn error_page(status: StatusCode, message: &str) -> Response {
    let html = ErrorPage { status: status.as_u16(), message }.render().unwrap_or_else(|_| message.to_owned());
    (status, Html(html)).into_response()
}

/// A service refusal as a page: not found stays not found (tenant isolation), forbidden is said plainly.
pub fn service_error_page(e: ServiceError) -> Response {
    let api = crate::web::error::ApiError::from(e);
    let status = StatusCode::from_u16(api.problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let message = match status {
        StatusCode::NOT_FOUND => "There is nothing here, or you may not see it.".to_owned(),
        StatusCode::FORBIDDEN => "You do not have permission to open this page.".to_owned(),
        _ => api.problem.detail,
    };
    error_page(status, &message)
}

/// The human message of a service refusal, for inline errors.
pub fn message_of(e: ServiceError) -> String {
    crate::web::error::ApiError::from(e).problem.detail
}

/// A page's path parameters, typed (ids, most often): one that does not decode (an id that is not
/// in canonical form) names nothing, so the page answers the same 404 as for an id not found.
pub struct PagePath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for PagePath<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(PagePath(v)),
            Err(_) => Err(service_error_page(lyceum_domain::DomainError::NotFound.into())),
        }
    }
}
