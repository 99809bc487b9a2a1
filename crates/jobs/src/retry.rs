//! When a failed job runs again, and when it is given up.

use std::time::Duration;

/// Retries with exponential backoff: `initial` after the first failure, doubled after each
/// further one, at most `max`, each delay shortened by up to `jitter` of itself at random so that
/// jobs that failed together (an SMTP server down) do not all come back in the same second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Attempts before the job is given up (`failed_at` set); at least 1.
    pub max_attempts: i64,
    /// The delay after the first failed attempt.
    pub initial: Duration,
    /// The longest delay.
    pub max: Duration,
    /// The fraction of each delay (0.0 ..= 1.0) that may be taken off at random; 0 for an exact
    /// schedule.
    pub jitter: f64,
}

impl Default for RetryPolicy {
    /// 10 attempts, 2 s then doubling up to an hour, with a quarter of jitter.
    fn default() -> Self {
        RetryPolicy { max_attempts: 10, initial: Duration::from_secs(2), max: Duration::from_secs(3600), jitter: 0.25 }
    }
}

impl RetryPolicy {
    /// No retries: the first failure is final.
    pub fn never() -> Self {
        RetryPolicy { max_attempts: 1, ..RetryPolicy::default() }
    }

    /// Whether a job that failed its `attempts`-th attempt is given up.
    pub fn exhausted(&self, attempts: i64) -> bool {
        attempts >= self.max_attempts
    }

    /// The delay after the `attempts`-th failure, before jitter.
    pub fn backoff(&self, attempts: i64) -> Duration {
        let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 62)).unwrap_or(62);
        let factor = 1u64.checked_shl(doublings).unwrap_or(u64::MAX);
        let ms = u64::try_from(self.initial.as_millis()).unwrap_or(u64::MAX).saturating_mul(factor);
        Duration::from_millis(ms).min(self.max)
    }

    /// [`RetryPolicy::backoff`] with jitter, `unit` being a random number in `0.0..1.0`.
    pub fn delay(&self, attempts: i64, unit: f64) -> Duration {
        let full = self.backoff(attempts);
        let cut = self.jitter.clamp(0.0, 1.0) * unit.clamp(0.0, 1.0);
        full.mul_f64(1.0 - cut)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact() -> RetryPolicy {
        RetryPolicy { jitter: 0.0, ..RetryPolicy::default() }
    }

    #[test]
    fn backoff_doubles_then_caps() {
        let p = exact();
        assert_eq!(p.backoff(1), Duration::from_secs(2));
        assert_eq!(p.backoff(2), Duration::from_secs(4));
        assert_eq!(p.backoff(11), Duration::from_secs(2048));
        assert_eq!(p.backoff(12), Duration::from_secs(3600));
        assert_eq!(p.backoff(i64::MAX), Duration::from_secs(3600));
        assert_eq!(p.backoff(0), Duration::from_secs(2), "no attempt counts as the first");
    }

    #[test]
    fn jitter_only_shortens_and_by_at_most_its_fraction() {
        let p = RetryPolicy { jitter: 0.5, ..exact() };
        assert_eq!(p.delay(3, 0.0), Duration::from_secs(8));
        assert_eq!(p.delay(3, 0.5), Duration::from_secs(6));
        assert!(p.delay(3, 0.999_999) > Duration::from_secs(4));
        assert_eq!(exact().delay(3, 0.9), Duration::from_secs(8), "no jitter, exact schedule");
    }

    #[test]
    fn exhausted_after_max_attempts() {
        let p = RetryPolicy { max_attempts: 3, ..exact() };
        assert!(!p.exhausted(2));
        assert!(p.exhausted(3));
        assert!(RetryPolicy::never().exhausted(1));
    }
}
