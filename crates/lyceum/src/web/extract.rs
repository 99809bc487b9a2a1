//! Extractors: JSON bodies that fail as problem+json, where a request came from, and who is
//! calling (session cookie or API key), with the Origin check for cookie-authenticated writes.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, Method, StatusCode};
use serde::de::DeserializeOwned;

use super::error::ApiError;
use super::AppState;
use crate::kernel::{Caller, Origin};

/// The session cookie's name (API.md).
pub const SESSION_COOKIE: &str = "lyceum_session";

/// A JSON body; a wrong content type is 415, malformed or mistyped JSON is 422, too large is 413.
/// A string holding U+0000 is 422 too: no field takes one, and PostgreSQL cannot store or even
/// compare it (it would fail the query: a 500).
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        use axum::extract::rejection::JsonRejection as R;
        let rejection = |e: R| match e {
            R::MissingJsonContentType(_) => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "the body must be application/json",
            ),
            R::JsonDataError(e) => ApiError::validation("body", e.body_text()),
            R::JsonSyntaxError(_) => ApiError::validation("body", "is not valid JSON"),
            R::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "the body is larger than this server accepts",
            ),
            e => ApiError::new(e.status(), "validation", e.body_text()),
        };
        if !json_content_type(req.headers()) {
            return Err(rejection(R::MissingJsonContentType(Default::default())));
        }
        let bytes = axum::body::Bytes::from_request(req, state).await.map_err(|e| rejection(e.into()))?;
        // U+0000 can only be spelt `\u0000` in JSON text (a raw control character is invalid):
        // without that sequence the body is parsed once, straight into `T`.
        if memchr::memmem::find(&bytes, b"\\u0000").is_none() {
            let axum::Json(v) = axum::Json::<T>::from_bytes(&bytes).map_err(rejection)?;
            return Ok(ApiJson(v));
        }
        let axum::Json(value) = axum::Json::<serde_json::Value>::from_bytes(&bytes).map_err(rejection)?;
        if let Some(field) = nul_in(&value, "body") {
            return Err(ApiError::validation(&field, "must not contain NUL characters"));
        }
        // From the parsed value's bytes, so a mistyped field is reported as axum reports it.
        let bytes = serde_json::to_vec(&value).map_err(|_| ApiError::validation("body", "is not valid JSON"))?;
        let axum::Json(v) = axum::Json::<T>::from_bytes(&bytes).map_err(rejection)?;
        Ok(ApiJson(v))
    }
}

/// Whether the request says its body is JSON (`application/json` or `application/*+json`), as
/// `axum::Json` decides it.
fn json_content_type(headers: &axum::http::HeaderMap) -> bool {
    let mime =
        headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<mime::Mime>().ok());
    mime.is_some_and(|m| {
        m.type_() == "application" && (m.subtype() == "json" || m.suffix().is_some_and(|s| s == "json"))
    })
}

/// Where in a JSON body a string (or a key) holds U+0000: the field, as `emails[2]` or `a.b`.
fn nul_in(value: &serde_json::Value, at: &str) -> Option<String> {
    use serde_json::Value as V;
    match value {
        V::String(s) => s.contains('\0').then(|| at.to_owned()),
        V::Array(items) => items.iter().enumerate().find_map(|(i, v)| nul_in(v, &format!("{at}[{i}]"))),
        V::Object(fields) => fields.iter().find_map(|(k, v)| {
            let here = if at == "body" { k.clone() } else { format!("{at}.{k}") };
            if k.contains('\0') {
                Some(at.to_owned())
            } else {
                nul_in(v, &here)
            }
        }),
        _ => None,
    }
}

/// True when a URI component percent-encodes U+0000 (a raw NUL cannot appear in a URI).
fn encodes_nul(component: &str) -> bool {
    component.contains("%00")
}

/// Where the request came from: the socket's address (or the first X-Forwarded-For hop when the
/// server is told it sits behind a proxy) and the user agent.
pub struct ClientOrigin(pub Origin);

impl FromRequestParts<AppState> for ClientOrigin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(ClientOrigin(origin_of(parts, state)))
    }
}

fn origin_of(parts: &Parts, state: &AppState) -> Origin {
    let forwarded = state
        .web
        .trust_proxy
        .then(|| parts.headers.get("x-forwarded-for")?.to_str().ok()?.split(',').next().map(|s| s.trim().to_owned()))
        .flatten();
    let socket = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string());
    let user_agent =
        parts.headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(|s| s.chars().take(256).collect());
    Origin { ip: forwarded.or(socket), user_agent }
}

/// The value of a cookie the request carries.
pub fn cookie(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.to_owned())
}

/// The value of the session cookie, if the request carries one.
pub fn session_token(parts: &Parts) -> Option<String> {
    cookie(parts, SESSION_COOKIE)
}

/// The session token the request carries, if any (for logout and session rotation).
pub struct SessionToken(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for SessionToken {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        Ok(SessionToken(session_token(parts)))
    }
}

/// An authenticated caller; 401 otherwise.
pub struct Auth(pub Caller);

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let origin = origin_of(parts, state);
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        if let Some(key) = bearer {
            let caller = state.lyceum.accounts().authenticate_key(key, origin).await?;
            return caller.map(Auth).ok_or_else(ApiError::unauthenticated);
        }
        let token = session_token(parts).ok_or_else(ApiError::unauthenticated)?;
        if !same_origin(parts, state) {
            return Err(ApiError::new(StatusCode::FORBIDDEN, "csrf", "cross-origin request refused"));
        }
        let caller = state.lyceum.accounts().authenticate_session(&token, origin).await?;
        caller.map(Auth).ok_or_else(ApiError::unauthenticated)
    }
}

/// CSRF defence for cookie-authenticated unsafe requests: false when an `Origin` names another
/// origin, or a browser says `Sec-Fetch-Site: cross-site`.
fn same_origin(parts: &Parts, state: &AppState) -> bool {
    if matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return true;
    }
    match parts.headers.get(header::ORIGIN) {
        Some(origin) => origin.to_str().ok() == Some(state.web.public_origin.as_str()),
        None => parts.headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) != Some("cross-site"),
    }
}

/// Query parameters; malformed ones (or one holding U+0000, see `ApiJson`) are 422 problem+json.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        if parts.uri.query().is_some_and(encodes_nul) {
            return Err(ApiError::validation("query", "must not contain NUL characters"));
        }
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(e) => Err(ApiError::validation("query", e.body_text())),
        }
    }
}

/// Path parameters. Every API path parameter is an opaque id, so one that cannot be decoded
/// (percent-encoded bytes that are not UTF-8) or holds U+0000 names nothing that exists: 404
/// problem+json, like any unknown id — not axum's plain-text 400, nor a failed query.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        use axum::extract::rejection::PathRejection as R;
        if encodes_nul(parts.uri.path()) {
            return Err(ApiError::not_found());
        }
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(ApiPath(v)),
            Err(R::FailedToDeserializePathParams(_)) => Err(ApiError::not_found()),
            Err(e) => Err(ApiError::new(e.status(), "internal", "the route's parameters could not be read")),
        }
    }
}

/// One file of a `multipart/form-data` upload (its `file` field): the name the client gave it
/// (for display only) and its bytes.
#[derive(Debug)]
pub struct UploadedFile {
    pub name: String,
    pub bytes: bytes::Bytes,
}

/// Reads the `file` field of a `multipart/form-data` body while it streams in, refusing it the
/// moment it passes `max` bytes (413): a 2 GB upload is never held in memory, only its first
/// `max` bytes. A body that is not multipart is 415; one without a `file` field is 422. Call it
/// after the permission check, so a refused upload is not read at all.
pub async fn read_upload(req: Request, max: u64) -> Result<UploadedFile, ApiError> {
    use axum::http::HeaderValue;
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the file is over the {max} bytes this server accepts"),
        )
    };
    let headers = req.headers();
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v: &HeaderValue| v.to_str().ok()).unwrap_or("");
    let boundary = multer::parse_boundary(content_type).map_err(|_| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the file as multipart/form-data, in a field named file",
        )
    })?;
    // Room for the form's own framing around the file.
    let envelope = max.saturating_add(64 * 1024);
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > envelope) {
        return Err(too_large());
    }
    let limits = multer::Constraints::new().size_limit(multer::SizeLimit::new().whole_stream(envelope).per_field(max));
    let mut form = multer::Multipart::with_constraints(req.into_body().into_data_stream(), boundary, limits);
    let unreadable = |e: multer::Error| match e {
        multer::Error::FieldSizeExceeded { .. } | multer::Error::StreamSizeExceeded { .. } => too_large(),
        other => ApiError::validation("file", format!("the form could not be read: {other}")),
    };
    while let Some(mut field) = form.next_field().await.map_err(unreadable)? {
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().unwrap_or("file").to_owned();
        let mut buf = bytes::BytesMut::new();
        while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
            if buf.len() as u64 + chunk.len() as u64 > max {
                return Err(too_large());
            }
            buf.extend_from_slice(&chunk);
        }
        if buf.is_empty() {
            return Err(ApiError::validation("file", "is empty"));
        }
        return Ok(UploadedFile { name, bytes: buf.freeze() });
    }
    Err(ApiError::validation("file", "is missing: send the file in a field named file"))
}
