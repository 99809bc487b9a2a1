//! What every request leaves behind: a count by method, route template and status, its duration,
//! and an access log line. Metric handles are looked up once per (route, method, status) and then
//! reused, so a request costs two atomic updates instead of building and hashing label sets.

use std::collections::HashMap;
use std::sync::{OnceLock, RwLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use metrics::{Counter, Histogram};

/// The handles of one route template.
#[derive(Default)]
struct RouteHandles {
    requests: Vec<(&'static str, u16, Counter)>,
    durations: Vec<(&'static str, Histogram)>,
}

fn registry() -> &'static RwLock<HashMap<Box<str>, RouteHandles>> {
    static HANDLES: OnceLock<RwLock<HashMap<Box<str>, RouteHandles>>> = OnceLock::new();
    HANDLES.get_or_init(Default::default)
}

/// A method as a label: the standard ones by name, anything else as `OTHER` (a client must not
/// be able to create label sets at will).
fn method_label(method: &Method) -> &'static str {
    const STANDARD: [Method; 9] = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::HEAD,
        Method::OPTIONS,
        Method::CONNECT,
        Method::TRACE,
    ];
    const NAMES: [&str; 9] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "CONNECT", "TRACE"];
    STANDARD.iter().position(|m| m == method).map_or("OTHER", |i| NAMES[i])
}

/// The request counter and duration histogram of (route, method, status).
fn handles(route: &str, method: &'static str, status: u16) -> (Counter, Histogram) {
    let find = |r: &RouteHandles| {
        let count = r.requests.iter().find(|(m, s, _)| *m == method && *s == status).map(|(_, _, c)| c.clone());
        let duration = r.durations.iter().find(|(m, _)| *m == method).map(|(_, h)| h.clone());
        count.zip(duration)
    };
    if let Some(found) = registry().read().unwrap_or_else(|e| e.into_inner()).get(route).and_then(find) {
        return found;
    }
    let mut all = registry().write().unwrap_or_else(|e| e.into_inner());
    let r = all.entry(route.into()).or_default();
    if !r.requests.iter().any(|(m, s, _)| *m == method && *s == status) {
        let labels = [("method", method.to_owned()), ("route", route.to_owned()), ("status", status.to_string())];
        r.requests.push((method, status, metrics::counter!("http_requests_total", &labels)));
    }
    if !r.durations.iter().any(|(m, _)| *m == method) {
        let labels = [("method", method.to_owned()), ("route", route.to_owned())];
        r.durations.push((method, metrics::histogram!("http_request_duration_seconds", &labels)));
    }
    find(r).unwrap_or_else(|| (Counter::noop(), Histogram::noop()))
}

/// Counts every request by method, route template and status, times it, and logs it.
pub async fn track(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = method_label(req.method());
    let route = req.extensions().get::<MatchedPath>().cloned();
    let res = next.run(req).await;
    let elapsed = start.elapsed().as_secs_f64();
    let route = route.as_ref().map_or("unmatched", MatchedPath::as_str);
    let status = res.status().as_u16();
    let (count, duration) = handles(route, method, status);
    count.increment(1);
    duration.record(elapsed);
    tracing::info!(target: crate::logging::ACCESS, %method, %route, status, elapsed_ms = elapsed * 1000.0, "request");
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_outside_the_standard_set_share_one_label() {
        assert_eq!(method_label(&Method::PATCH), "PATCH");
        assert_eq!(method_label(&Method::from_bytes(b"BREW").expect("a method")), "OTHER");
    }

    #[test]
    fn handles_are_made_once_per_route_method_and_status() {
        let _ = handles("/t/{id}", "GET", 200);
        let _ = handles("/t/{id}", "GET", 200);
        let _ = handles("/t/{id}", "GET", 404);
        let _ = handles("/t/{id}", "POST", 200);
        let all = registry().read().expect("not poisoned");
        let r = all.get("/t/{id}").expect("registered");
        assert_eq!(r.requests.len(), 3);
        assert_eq!(r.durations.len(), 2);
    }
}
