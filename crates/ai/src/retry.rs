//! When to try again: exponential backoff with jitter, and the provider's `Retry-After`.

use std::time::Duration;

use rand::Rng;
use reqwest::header::HeaderMap;

/// The first backoff; it doubles on each retry.
const BASE: Duration = Duration::from_millis(200);
/// The longest backoff between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// The longest this client sleeps on a provider's `Retry-After` before trying again.
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);

/// The wait before retry number `retry` (0 for the first): `BASE · 2^retry`, at most
/// `MAX_BACKOFF`, with jitter drawn from its upper half so that clients spread out.
pub(crate) fn backoff(retry: u32) -> Duration {
    let full = BASE.saturating_mul(2u32.saturating_pow(retry)).min(MAX_BACKOFF);
    let half = full / 2;
    half + full.mul_f64(rand::thread_rng().gen_range(0.0..=0.5))
}

/// What the provider asked for: `retry-after-ms` (OpenAI's), else `Retry-After` in seconds.
/// An HTTP date is not read (providers send seconds); the caller falls back to its backoff.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(ms) = header("retry-after-ms").and_then(parse_seconds) {
        return Some(ms / 1000);
    }
    header("retry-after").and_then(parse_seconds)
}

/// A non-negative number of seconds, whole or decimal.
fn parse_seconds(value: &str) -> Option<Duration> {
    let seconds: f64 = value.trim().parse().ok()?;
    if !seconds.is_finite() || seconds < 0.0 {
        return None;
    }
    Duration::try_from_secs_f64(seconds).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn retry_after_in_seconds() {
        assert_eq!(retry_after(&headers(&[("retry-after", "2")])), Some(Duration::from_secs(2)));
        assert_eq!(retry_after(&headers(&[("retry-after", " 0 ")])), Some(Duration::ZERO));
        assert_eq!(retry_after(&headers(&[("retry-after", "1.5")])), Some(Duration::from_millis(1500)));
    }

    #[test]
    fn retry_after_ms_wins() {
        let h = headers(&[("retry-after", "9"), ("retry-after-ms", "250")]);
        assert_eq!(retry_after(&h), Some(Duration::from_millis(250)));
    }

    #[test]
    fn unreadable_retry_after_is_ignored() {
        for value in ["-1", "soon", "Wed, 21 Oct 2015 07:28:00 GMT", "", "NaN", "inf"] {
            assert_eq!(retry_after(&headers(&[("retry-after", value)])), None, "{value:?}");
        }
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        for retry in 0..40 {
            let full = BASE.saturating_mul(2u32.saturating_pow(retry)).min(MAX_BACKOFF);
            let wait = backoff(retry);
            assert!(wait >= full / 2 && wait <= full, "retry {retry}: {wait:?}");
        }
    }
}
