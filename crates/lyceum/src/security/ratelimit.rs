//! Keyed rate limits (token buckets) for login, signup and invitations. Buckets refill, so a
//! throttled user is slowed down, never locked out for good.

use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// One family of limits, e.g. "logins per account".
pub struct Limiter {
    inner: DefaultKeyedRateLimiter<String>,
}

impl Limiter {
    /// Allows `per_minute` events per key per minute, with a burst of the same size.
    pub fn per_minute(per_minute: u32) -> Limiter {
        let n = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        Limiter { inner: RateLimiter::keyed(Quota::per_minute(n)) }
    }

    /// Takes one token for `key`; when none is left, answers how many seconds to wait.
    pub fn check(&self, key: &str) -> Result<(), u64> {
        self.inner.check_key(&key.to_owned()).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }
}

impl Limiter {
    /// Forgets keys whose buckets are full again, so random keys cannot grow memory for ever.
    pub fn forget_idle(&self) {
        self.inner.retain_recent();
        self.inner.shrink_to_fit();
    }

    /// How many keys are remembered.
    pub fn len(&self) -> usize {
        self.inner.len()
    }

    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }
}

/// The limits the service applies.
pub struct Limits {
    pub login_per_account: Limiter,
    pub login_per_ip: Limiter,
    pub signup_per_ip: Limiter,
    pub invitations_per_actor: Limiter,
}

impl Limits {
    /// Forgets idle keys of every limiter (run periodically).
    pub fn forget_idle(&self) {
        for l in [&self.login_per_account, &self.login_per_ip, &self.signup_per_ip, &self.invitations_per_actor] {
            l.forget_idle();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_empties_then_says_when_to_retry() {
        let l = Limiter::per_minute(3);
        assert!((0..3).all(|_| l.check("a").is_ok()));
        let wait = l.check("a").expect_err("fourth is refused");
        assert!((1..=60).contains(&wait));
        assert!(l.check("b").is_ok(), "other keys are independent");
    }

    #[test]
    fn idle_keys_are_forgotten() {
        let l = Limiter::per_minute(60_000);
        for i in 0..100 {
            assert!(l.check(&format!("key{i}")).is_ok());
        }
        assert_eq!(l.len(), 100);
        std::thread::sleep(std::time::Duration::from_millis(5));
        l.forget_idle();
        assert!(l.len() < 100, "buckets that refilled are dropped: {}", l.len());
    }
}
