//! The routes, and what every endpoint does alike: record the request, take the scripted
//! reply, wait, and answer its error or malformed body.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request, State as Extract};
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

use crate::reply::Kind;
use crate::{lock, Answering, RecordedRequest, Reply, State};

pub(crate) fn router(state: Arc<State>) -> Router {
    Router::new()
        .route("/v1/chat/completions", post(crate::chat::completions))
        .route("/v1/audio/speech", post(speech))
        .route("/v1/models", get(models))
        .fallback(not_found)
        .with_state(state)
}

/// A request taken in: its parsed body, its reply, and the guard that counts it cancelled
/// unless it is answered.
pub(crate) struct Taken {
    pub body: Value,
    pub reply: Reply,
    pub answering: Answering,
    pub id: u64,
}

/// Taking a request in records it, takes its reply and waits its delay. The rejection is the
/// whole answer: an error status, or (never returning) a hang.
impl FromRequest<Arc<State>> for Taken {
    type Rejection = Response;

    async fn from_request(request: Request, state: &Arc<State>) -> Result<Self, Response> {
        let method = request.method().to_string();
        let path = request.uri().path().to_owned();
        let headers = request.headers().clone();
        let raw = Bytes::from_request(request, state).await.map_err(IntoResponse::into_response)?;
        let body = serde_json::from_slice(&raw).unwrap_or(Value::Null);
        lock(&state.requests).push(RecordedRequest { method, path, headers, body: body.clone(), at: Instant::now() });
        let reply = lock(&state.script).pop_front().unwrap_or_else(Reply::echo);
        let mut answering = Answering { state: state.clone(), finished: false };
        let id = state.next_id.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(reply.delay).await;
        match reply.kind {
            Kind::Hang => std::future::pending().await,
            Kind::Status(status) => {
                answering.finish();
                Err(status_reply(status, reply.retry_after))
            }
            _ => Ok(Taken { body, reply, answering, id }),
        }
    }
}

/// An answer with OpenAI's error body.
pub(crate) fn error(status: StatusCode, kind: &str, message: &str) -> Response {
    let body = json!({"error": {"message": message, "type": kind, "param": null, "code": null}});
    (status, axum::Json(body)).into_response()
}

fn status_reply(status: u16, retry_after: Option<u64>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let (kind, message) = match status.as_u16() {
        429 => ("requests", "Rate limit reached for requests. Please try again later."),
        500..=599 => ("server_error", "The server had an error while processing your request."),
        _ => ("invalid_request_error", "The request was refused by the test provider."),
    };
    let mut response = error(status, kind, message);
    if let Some(seconds) = retry_after {
        response.headers_mut().insert(header::RETRY_AFTER, seconds.into());
    }
    response
}

pub(crate) fn bad_request(message: &str) -> Response {
    error(StatusCode::BAD_REQUEST, "invalid_request_error", message)
}

/// A `200` JSON answer cut off in the middle.
pub(crate) fn malformed_json() -> Response {
    json_response("{\"id\":\"chatcmpl-broken\",\"object\":\"chat.completion\",\"choices\":[{\"message\":")
}

pub(crate) fn json_response(body: impl Into<Body>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body.into()).into_response()
}

pub(crate) fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// `POST /v1/audio/speech`: an ID3 tag and an MPEG frame header, then the input's bytes, as
/// `audio/mpeg`. Not playable audio; a deterministic stand-in of the right type.
async fn speech(mut taken: Taken) -> Response {
    taken.answering.finish();
    if matches!(taken.reply.kind, Kind::Malformed) {
        return ([(header::CONTENT_TYPE, "audio/mpeg")], Body::empty()).into_response();
    }
    let (Some(_model), Some(input)) = (taken.body["model"].as_str(), taken.body["input"].as_str()) else {
        return bad_request("'model' and 'input' are required properties");
    };
    let mut audio = b"ID3\x04\x00\x00\x00\x00\x00\x00\xff\xfb\x90\x64".to_vec();
    audio.extend_from_slice(input.as_bytes());
    ([(header::CONTENT_TYPE, "audio/mpeg")], audio).into_response()
}

/// `GET /v1/models`.
async fn models(Extract(state): Extract<Arc<State>>, mut taken: Taken) -> Response {
    taken.answering.finish();
    if matches!(taken.reply.kind, Kind::Malformed) {
        return malformed_json();
    }
    let data: Vec<Value> = lock(&state.models)
        .iter()
        .map(|id| json!({"id": id, "object": "model", "created": 1_700_000_000, "owned_by": "lyceum-test"}))
        .collect();
    axum::Json(json!({"object": "list", "data": data})).into_response()
}

async fn not_found(uri: Uri) -> Response {
    let message = format!("Invalid URL ({})", uri.path());
    error(StatusCode::NOT_FOUND, "invalid_request_error", &message)
}
