//! What a long run (a sync, an import) tells its progress bar about Konnect's rate limit, and how
//! often it speaks.

use std::time::{Duration, Instant};

use konnect::LimiterState;
use serde::Serialize;
use ts_rs::TS;

/// Progress is sent at most this often, except when a rate-limit wait begins: the bar moves
/// smoothly at ten updates a second, and a 10,000-entity import does not send 10,000 events.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// The run's requests as Konnect's rate limit shapes them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct RateLimitStatus {
    /// Requests allowed in flight now: halved at each 429, one more after each window of
    /// successes, up to `max_concurrency`.
    pub concurrency: u32,
    pub max_concurrency: u32,
    /// No request goes out before this (RFC 3339), as a 429's `Retry-After` asked; none while
    /// requests flow.
    pub rate_limited_until: Option<String>,
    /// 429s met so far in this run.
    pub rate_limited: u32,
}

impl From<LimiterState> for RateLimitStatus {
    fn from(s: LimiterState) -> Self {
        RateLimitStatus {
            concurrency: s.limit,
            max_concurrency: s.max,
            rate_limited_until: s.waiting_until.map(|t| {
                chrono::DateTime::<chrono::Utc>::from(t)
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
            }),
            rate_limited: u32::try_from(s.rate_limited).unwrap_or(u32::MAX),
        }
    }
}

/// Decides which progress updates are sent: a wait that begins (or moves later) at once, the rest
/// at most every [`PROGRESS_EVERY`]. The end of a wait needs no update of its own: the bar counts
/// down to the time it was given, and the next paced update says requests flow again.
#[derive(Debug, Default)]
pub struct ProgressPace {
    last_sent: Option<Instant>,
    last_wait: Option<String>,
}

impl ProgressPace {
    /// Whether progress with `status` is to be sent now; `force` sends it whatever the pace (a
    /// finished step that every update must show, a run's final state).
    pub fn due(&mut self, status: &RateLimitStatus, force: bool) -> bool {
        let wait_began =
            status.rate_limited_until.is_some() && status.rate_limited_until != self.last_wait;
        let quiet_long_enough = self.last_sent.is_none_or(|t| t.elapsed() >= PROGRESS_EVERY);
        if !(force || wait_began || quiet_long_enough) {
            return false;
        }
        self.last_sent = Some(Instant::now());
        self.last_wait = status.rate_limited_until.clone();
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wait_is_told_as_a_timestamp_and_the_limit_as_concurrency() {
        let until = std::time::UNIX_EPOCH + Duration::from_millis(1_800_000_000_250);
        let status = RateLimitStatus::from(LimiterState {
            limit: 2,
            max: 8,
            waiting_until: Some(until),
            rate_limited: 3,
        });
        assert_eq!(
            status,
            RateLimitStatus {
                concurrency: 2,
                max_concurrency: 8,
                rate_limited_until: Some("2027-01-15T08:00:00.250Z".into()),
                rate_limited: 3,
            }
        );
    }

    #[test]
    fn progress_is_paced_but_a_wait_beginning_is_sent_at_once() {
        let mut pace = ProgressPace::default();
        let flowing = RateLimitStatus { concurrency: 8, ..Default::default() };
        let waiting = RateLimitStatus {
            rate_limited_until: Some("2027-01-15T08:00:00.250Z".into()),
            ..flowing.clone()
        };
        assert!(pace.due(&flowing, false), "the first update goes");
        assert!(!pace.due(&flowing, false), "then not again at once");
        assert!(pace.due(&waiting, false), "a wait begins");
        assert!(!pace.due(&waiting, false));
        let longer = RateLimitStatus {
            rate_limited_until: Some("2027-01-15T08:00:01.000Z".into()),
            ..flowing.clone()
        };
        assert!(pace.due(&longer, false), "a wait moves later");
        assert!(!pace.due(&flowing, false), "the end of a wait waits its turn");
        assert!(pace.due(&flowing, true), "a forced update always goes");
        std::thread::sleep(PROGRESS_EVERY);
        assert!(pace.due(&flowing, false), "and after a pause, the next");
    }
}
