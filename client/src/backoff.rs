//! Exponential backoff with jitter, as the Java client and librdkafka reconnect.

use std::time::Duration;

/// The fraction by which each delay is randomly moved up or down (the Java client's 0.2), so
/// that clients that lost a broker together do not all come back at the same instant.
pub const JITTER: f64 = 0.2;

/// Delays that double from `base` up to `max` with each consecutive failure, each moved by
/// up to ±`JITTER` (20 %).
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    max: Duration,
    failures: u32,
}

impl Backoff {
    /// A backoff starting at `base`, capped at `max` (before jitter).
    pub fn new(base: Duration, max: Duration) -> Self {
        Backoff { base, max: max.max(base), failures: 0 }
    }

    /// The delay before the next attempt, counting one more failure.
    pub fn next_delay(&mut self) -> Duration {
        let exp = self.base.saturating_mul(1u32 << self.failures.min(30));
        let capped = exp.min(self.max);
        self.failures = self.failures.saturating_add(1);
        let factor = 1.0 - JITTER + fastrand::f64() * 2.0 * JITTER;
        capped.mul_f64(factor)
    }

    /// Consecutive failures counted so far.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// Back to `base` after a success.
    pub fn reset(&mut self) {
        self.failures = 0;
    }

    /// Sleeps for the next delay; `false` (at once, counting no failure) if it would end at or
    /// after `deadline`: the caller gives up rather than retry too late.
    pub(crate) async fn sleep_before(&mut self, deadline: tokio::time::Instant) -> bool {
        let until = tokio::time::Instant::now() + self.next_delay();
        if until >= deadline {
            return false;
        }
        tokio::time::sleep_until(until).await;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn within(d: Duration, nominal: Duration) -> bool {
        d >= nominal.mul_f64(1.0 - JITTER) && d <= nominal.mul_f64(1.0 + JITTER)
    }

    #[test]
    fn doubles_up_to_the_maximum_with_bounded_jitter() {
        let base = Duration::from_millis(50);
        let max = Duration::from_secs(1);
        for _ in 0..200 {
            let mut b = Backoff::new(base, max);
            let nominal = [50, 100, 200, 400, 800, 1000, 1000, 1000];
            for n in nominal {
                let d = b.next_delay();
                assert!(within(d, Duration::from_millis(n)), "{d:?} not within 20% of {n} ms");
            }
            assert_eq!(b.failures(), 8);
            b.reset();
            assert!(within(b.next_delay(), base));
        }
    }

    #[test]
    fn jitter_varies_and_many_failures_do_not_overflow() {
        let mut b = Backoff::new(Duration::from_millis(50), Duration::from_secs(1));
        let mut delays: Vec<Duration> = (0..100).map(|_| b.next_delay()).skip(10).collect();
        assert!(delays.iter().all(|d| within(*d, Duration::from_secs(1))));
        delays.dedup();
        assert!(delays.len() > 1, "jitter should vary the delays");
    }
}
