//! Konnect's rate limit, obeyed: `Retry-After` read, and one adaptive limit on requests in flight
//! (AIMD) that the requests of a sync or an import share.
//!
//! A 429 halves the requests allowed in flight (at least one) and holds every request back until
//! the time `Retry-After` names; each window of successes (as many as the limit allows) adds one
//! back, up to the configured maximum. Only one halving per window: 429s of requests sent before
//! the last halving are the same overload seen late, as TCP counts a loss once per window.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::{watch, Notify};

/// `retry-after-ms`, the milliseconds variant Konnect's SDKs read before `Retry-After`.
pub const RETRY_AFTER_MS: &str = "retry-after-ms";

/// How long a 429 asks to wait: `retry-after-ms` (milliseconds) when present, else `Retry-After`
/// as seconds or an HTTP date (RFC 9110 §10.2.3); a date in the past means now. `None` when
/// neither is there or readable.
pub fn retry_after(ms: Option<&str>, value: Option<&str>, now: SystemTime) -> Option<Duration> {
    if let Some(ms) = ms.and_then(|v| v.trim().parse::<f64>().ok()) {
        if ms.is_finite() && ms >= 0.0 {
            return Some(Duration::from_secs_f64(ms / 1000.0));
        }
    }
    let value = value?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or_default())
}

/// The wait after a 429 that names none: 1 s, doubled for each further 429 of the same request,
/// at most 16 s, with "equal jitter" (between half and all of it) so that the requests a limit
/// stopped together do not all come back at once.
pub fn default_wait(consecutive: u32) -> Duration {
    let full = Duration::from_secs(1 << consecutive.saturating_sub(1).min(4));
    full.mul_f64(0.5 + fastrand::f64() / 2.0)
}

/// What a limiter allows now, as progress shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimiterState {
    /// Requests allowed in flight now.
    pub limit: u32,
    /// The most it grows back to.
    pub max: u32,
    /// No request is sent before this (a 429's `Retry-After`); `None` while requests flow.
    pub waiting_until: Option<SystemTime>,
    /// 429s met since the limiter was made.
    pub rate_limited: u64,
}

/// The AIMD arithmetic alone, without clocks or tasks, so its steps can be tested one by one.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Aimd {
    limit: u32,
    max: u32,
    /// Successes since the limit last changed.
    successes: u32,
    /// Bumped at each halving; a request remembers the epoch it was sent in.
    epoch: u64,
}

impl Aimd {
    fn new(max: u32) -> Aimd {
        let max = max.max(1);
        Aimd { limit: max, max, successes: 0, epoch: 0 }
    }

    /// A success: one more in the window; a full window raises the limit by one.
    fn succeeded(&mut self) {
        self.successes += 1;
        if self.successes >= self.limit {
            self.successes = 0;
            self.limit = (self.limit + 1).min(self.max);
        }
    }

    /// A 429 of a request sent in `epoch`: halves the limit, unless a halving already came after
    /// that request was sent.
    fn rate_limited(&mut self, epoch: u64) {
        if epoch == self.epoch {
            self.limit = (self.limit / 2).max(1);
            self.successes = 0;
            self.epoch += 1;
        }
    }
}

#[derive(Debug)]
struct Window {
    aimd: Aimd,
    in_flight: u32,
    paused_until: Option<Instant>,
    rate_limited: u64,
}

impl Window {
    fn state(&self) -> LimiterState {
        let now = Instant::now();
        LimiterState {
            limit: self.aimd.limit,
            max: self.aimd.max,
            waiting_until: self
                .paused_until
                .filter(|until| *until > now)
                .map(|until| SystemTime::now() + (until - now)),
            rate_limited: self.rate_limited,
        }
    }
}

struct Shared {
    window: Mutex<Window>,
    /// Woken when a slot frees or the limit grows.
    slot_freed: Notify,
    published: watch::Sender<LimiterState>,
}

/// One adaptive limit on requests in flight, shared by every clone (and every client given it
/// with [`crate::KonnectClient::with_limiter`]).
#[derive(Clone)]
pub struct AdaptiveLimiter {
    shared: Arc<Shared>,
    /// 429s one request may meet before it is given up (its error returned).
    patience: u32,
}

impl std::fmt::Debug for AdaptiveLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdaptiveLimiter").field("state", &self.state()).finish()
    }
}

impl AdaptiveLimiter {
    /// A limiter allowing `max` requests in flight (at least one) until a 429 says otherwise.
    pub fn new(max: usize) -> AdaptiveLimiter {
        let max = u32::try_from(max).unwrap_or(u32::MAX);
        let window =
            Window { aimd: Aimd::new(max), in_flight: 0, paused_until: None, rate_limited: 0 };
        let (published, _) = watch::channel(window.state());
        AdaptiveLimiter {
            shared: Arc::new(Shared {
                window: Mutex::new(window),
                slot_freed: Notify::new(),
                published,
            }),
            patience: 10,
        }
    }

    /// The same limiter giving a request up after `patience` 429s (at least one).
    pub fn with_patience(mut self, patience: u32) -> AdaptiveLimiter {
        self.patience = patience.max(1);
        self
    }

    pub(crate) fn patience(&self) -> u32 {
        self.patience
    }

    pub fn state(&self) -> LimiterState {
        self.window().state()
    }

    /// The state after each change (the limit moved, a wait began or ended).
    pub fn subscribe(&self) -> watch::Receiver<LimiterState> {
        self.shared.published.subscribe()
    }

    fn window(&self) -> std::sync::MutexGuard<'_, Window> {
        // The window holds plain numbers: one a panicking holder left is still consistent.
        self.shared.window.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn publish(&self, window: &Window) {
        self.shared.published.send_replace(window.state());
    }

    /// Waits until no 429's wait is running and a slot is free under the current limit.
    pub(crate) async fn acquire(&self) -> Permit {
        loop {
            let slot_freed = self.shared.slot_freed.notified();
            tokio::pin!(slot_freed);
            slot_freed.as_mut().enable();
            let paused_until = {
                let mut w = self.window();
                match w.paused_until {
                    Some(until) if until > Instant::now() => Some(until),
                    _ => {
                        if w.paused_until.take().is_some() {
                            self.publish(&w);
                        }
                        if w.in_flight < w.aimd.limit {
                            w.in_flight += 1;
                            return Permit {
                                limiter: self.clone(),
                                epoch: w.aimd.epoch,
                                outcome: Outcome::Neutral,
                            };
                        }
                        None
                    }
                }
            };
            match paused_until {
                Some(until) => tokio::time::sleep_until(until.into()).await,
                None => slot_freed.await,
            }
        }
    }

    fn release(&self, epoch: u64, outcome: Outcome) {
        let mut w = self.window();
        w.in_flight -= 1;
        let limit = w.aimd.limit;
        match outcome {
            Outcome::Neutral => {}
            Outcome::Succeeded => w.aimd.succeeded(),
            Outcome::RateLimited(wait) => {
                w.rate_limited += 1;
                w.aimd.rate_limited(epoch);
                let until = Instant::now() + wait;
                w.paused_until = Some(w.paused_until.map_or(until, |p| p.max(until)));
                tracing::debug!(limit = w.aimd.limit, ?wait, "rate limited: fewer in flight");
            }
        }
        if w.aimd.limit != limit || matches!(outcome, Outcome::RateLimited(_)) {
            self.publish(&w);
        }
        drop(w);
        self.shared.slot_freed.notify_waiters();
    }
}

#[derive(Debug, Clone, Copy)]
enum Outcome {
    Succeeded,
    RateLimited(Duration),
    /// Any other answer, or none: the limit does not move.
    Neutral,
}

/// One request's slot under the limit; given back, with what became of the request, when it is
/// dropped (a request abandoned midway counts as neither a success nor a 429).
pub(crate) struct Permit {
    limiter: AdaptiveLimiter,
    epoch: u64,
    outcome: Outcome,
}

impl Permit {
    pub(crate) fn succeeded(mut self) {
        self.outcome = Outcome::Succeeded;
    }

    /// The request met a 429 asking to wait `wait`: every request of the limiter waits too.
    pub(crate) fn rate_limited(mut self, wait: Duration) {
        self.outcome = Outcome::RateLimited(wait);
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.limiter.release(self.epoch, self.outcome);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_milliseconds_seconds_and_http_dates() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        let s = Duration::from_secs;
        let ms = Duration::from_millis;
        let cases: [(Option<&str>, Option<&str>, Option<Duration>); 11] = [
            (None, Some("3"), Some(s(3))),
            (None, Some(" 120 "), Some(s(120))),
            (None, Some("0"), Some(s(0))),
            (None, Some("Sun, 06 Nov 1994 08:50:07 GMT"), Some(s(30))),
            (None, Some("Sun, 06 Nov 1994 08:49:00 GMT"), Some(s(0))),
            (None, Some("Sunday, 06-Nov-94 08:49:47 GMT"), Some(s(10))),
            (None, Some("soon"), None),
            (None, Some("-1"), None),
            (None, None, None),
            (Some("250"), Some("1"), Some(ms(250))),
            (Some("x"), Some("2"), Some(s(2))),
        ];
        for (ms_header, header, want) in cases {
            assert_eq!(retry_after(ms_header, header, now), want, "{ms_header:?} {header:?}");
        }
    }

    #[test]
    fn the_default_wait_doubles_with_jitter_up_to_sixteen_seconds() {
        for (consecutive, full) in [(0, 1), (1, 1), (2, 2), (3, 4), (5, 16), (40, 16)] {
            for _ in 0..50 {
                let wait = default_wait(consecutive);
                let full = Duration::from_secs(full);
                assert!(wait >= full / 2 && wait <= full, "{consecutive}: {wait:?}");
            }
        }
    }

    /// One step of the arithmetic: a success, or a 429 of a request sent in the given epoch.
    #[derive(Debug, Clone, Copy)]
    enum Step {
        Ok,
        TooMany { sent_in: u64 },
    }

    #[test]
    fn aimd_halves_once_per_window_and_grows_back_one_per_window_of_successes() {
        use Step::*;
        // (max, steps, limit after each step)
        let cases: Vec<(u32, Vec<Step>, Vec<u32>)> = vec![
            // Halved down to one, never below.
            (
                8,
                vec![TooMany { sent_in: 0 }, TooMany { sent_in: 1 }, TooMany { sent_in: 2 }],
                vec![4, 2, 1],
            ),
            (1, vec![TooMany { sent_in: 0 }, TooMany { sent_in: 1 }], vec![1, 1]),
            // Requests sent before the halving met the same overload: no second halving.
            (
                8,
                vec![TooMany { sent_in: 0 }, TooMany { sent_in: 0 }, TooMany { sent_in: 0 }],
                vec![4, 4, 4],
            ),
            // At 2: two successes make 3, three more make 4.
            (
                4,
                [vec![TooMany { sent_in: 0 }], vec![Ok; 12]].concat(),
                vec![2, 2, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4],
            ),
            // A 429 empties the window: successes before it do not count toward growing back.
            (
                8,
                [vec![TooMany { sent_in: 0 }], vec![Ok; 3], vec![TooMany { sent_in: 1 }, Ok, Ok]]
                    .concat(),
                vec![4, 4, 4, 4, 2, 2, 3],
            ),
            // Never above the maximum.
            (3, vec![Ok, Ok, Ok, Ok, Ok, Ok], vec![3, 3, 3, 3, 3, 3]),
        ];
        for (max, steps, want) in cases {
            let mut aimd = Aimd::new(max);
            let got: Vec<u32> = steps
                .iter()
                .map(|step| {
                    match *step {
                        Ok => aimd.succeeded(),
                        TooMany { sent_in } => aimd.rate_limited(sent_in),
                    }
                    aimd.limit
                })
                .collect();
            assert_eq!(got, want, "max {max}, steps {steps:?}");
        }
    }

    #[tokio::test]
    async fn a_429_holds_every_request_back_until_its_wait_is_over() {
        let limiter = AdaptiveLimiter::new(4);
        let mut seen = limiter.subscribe();
        let (a, b) = (limiter.acquire().await, limiter.acquire().await);
        assert_eq!(limiter.state().limit, 4);
        let started = Instant::now();
        a.rate_limited(Duration::from_millis(200));
        let state = limiter.state();
        assert_eq!((state.limit, state.rate_limited), (2, 1));
        assert!(state.waiting_until.is_some_and(|t| t > SystemTime::now()));
        assert!(seen.has_changed().unwrap(), "a wait is published as it begins");
        assert_eq!(seen.borrow_and_update().limit, 2);
        // Sent before the halving: its 429 extends nothing shorter and halves nothing more.
        b.rate_limited(Duration::from_millis(50));
        assert_eq!(limiter.state().limit, 2);
        let c = limiter.acquire().await;
        assert!(started.elapsed() >= Duration::from_millis(190), "{:?}", started.elapsed());
        assert_eq!(limiter.state().waiting_until, None, "the wait is over once a request goes");
        c.succeeded();
    }

    #[tokio::test]
    async fn no_more_than_the_limit_are_in_flight() {
        let limiter = AdaptiveLimiter::new(2);
        let (a, _b) = (limiter.acquire().await, limiter.acquire().await);
        let third = tokio::time::timeout(Duration::from_millis(50), limiter.acquire()).await;
        assert!(third.is_err(), "a third waits while two are in flight");
        drop(a);
        let third = tokio::time::timeout(Duration::from_millis(500), limiter.acquire()).await;
        assert!(third.is_ok(), "a freed slot lets the next one go");
    }
}
