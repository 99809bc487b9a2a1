//! Percentiles, which criterion does not give: a separate pass timing checks with `Instant`.
//! Fast engines are timed `batch` checks at a time (the batch's time divided by its size is one
//! sample), since a single check of tens of nanoseconds is near the timer's resolution; a sample
//! is then the mean of its batch, so p99 is the 99th percentile of 64-check means, which
//! understates single-check tails. Checks that take microseconds (a database round trip) are
//! timed one by one (`batch` = 1).

use std::hint::black_box;
use std::time::{Duration, Instant};

/// One engine's figures, in nanoseconds per check.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Latency {
    pub p50_ns: f64,
    pub p99_ns: f64,
    pub mean_ns: f64,
    /// Checks timed together for one sample.
    pub batch: usize,
    pub samples: usize,
}

/// Collects one engine's samples, possibly over several rounds interleaved with other engines'
/// (on a shared, noisy machine a burst of load then hits every engine, not just one).
pub struct Sampler {
    collector: Collector,
}

impl Sampler {
    pub fn new(batch: usize) -> Sampler {
        Sampler { collector: Collector::new(batch) }
    }

    /// Times checks of `0..n` (cycling on from where the last round stopped) for about `budget`.
    pub fn run(&mut self, n: usize, budget: Duration, mut check: impl FnMut(usize) -> bool) {
        let until = self.collector.spent + budget;
        while n > 0 && self.collector.spent < until {
            self.batch(n, &mut check);
        }
    }

    /// Goes on until every query was timed at least once.
    pub fn cover(&mut self, n: usize, mut check: impl FnMut(usize) -> bool) {
        while self.collector.checks < n {
            self.batch(n, &mut check);
        }
    }

    fn batch(&mut self, n: usize, check: &mut impl FnMut(usize) -> bool) {
        let (start, end) = self.collector.next_batch(n);
        let t = Instant::now();
        for i in start..end {
            black_box(check(black_box(i)));
        }
        self.collector.record(end - start, t.elapsed());
    }

    /// `run` for an async check, all inside one future (no executor entry per check).
    pub async fn run_async(&mut self, n: usize, budget: Duration, mut check: impl AsyncFnMut(usize) -> bool) {
        let until = self.collector.spent + budget;
        while n > 0 && self.collector.spent < until {
            self.batch_async(n, &mut check).await;
        }
    }

    /// `cover` for an async check.
    pub async fn cover_async(&mut self, n: usize, mut check: impl AsyncFnMut(usize) -> bool) {
        while self.collector.checks < n {
            self.batch_async(n, &mut check).await;
        }
    }

    async fn batch_async(&mut self, n: usize, check: &mut impl AsyncFnMut(usize) -> bool) {
        let (start, end) = self.collector.next_batch(n);
        let t = Instant::now();
        for i in start..end {
            black_box(check(black_box(i)).await);
        }
        self.collector.record(end - start, t.elapsed());
    }

    pub fn latency(&self) -> Latency {
        self.collector.latency()
    }
}

/// Times checks `0..n` in one go: for about `budget`, and at least once each.
pub fn measure(n: usize, batch: usize, budget: Duration, check: impl FnMut(usize) -> bool) -> Latency {
    let mut sampler = Sampler::new(batch);
    let mut check = check;
    sampler.run(n, budget, &mut check);
    sampler.cover(n, &mut check);
    sampler.latency()
}

struct Collector {
    batch: usize,
    next: usize,
    checks: usize,
    spent: Duration,
    per_check_ns: Vec<f64>,
}

impl Collector {
    fn new(batch: usize) -> Collector {
        Collector { batch: batch.max(1), next: 0, checks: 0, spent: Duration::ZERO, per_check_ns: Vec::new() }
    }

    fn next_batch(&mut self, n: usize) -> (usize, usize) {
        if self.next >= n {
            self.next = 0;
        }
        let start = self.next;
        self.next = (start + self.batch).min(n);
        (start, self.next)
    }

    fn record(&mut self, checks: usize, took: Duration) {
        self.checks += checks;
        self.spent += took;
        self.per_check_ns.push(took.as_nanos() as f64 / checks as f64);
    }

    fn latency(&self) -> Latency {
        let mut sorted = self.per_check_ns.clone();
        sorted.sort_by(f64::total_cmp);
        let at = |q: f64| {
            let v = &sorted;
            if v.is_empty() {
                return 0.0;
            }
            v[((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1]
        };
        Latency {
            p50_ns: at(0.50),
            p99_ns: at(0.99),
            mean_ns: self.spent.as_nanos() as f64 / self.checks.max(1) as f64,
            batch: self.batch,
            samples: sorted.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_query_is_checked_at_least_once_and_percentiles_are_ordered() {
        let mut seen = vec![0u32; 100];
        let l = measure(100, 64, Duration::ZERO, |i| {
            seen[i] += 1;
            i % 2 == 0
        });
        assert!(seen.iter().all(|n| *n == 1), "one pass when the budget is spent");
        assert_eq!((l.batch, l.samples), (64, 2));
        assert!(l.p50_ns <= l.p99_ns);
    }
}
