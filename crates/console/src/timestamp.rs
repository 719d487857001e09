//! Timestamps as the console stores and shows them: RFC 3339 in UTC, to the millisecond.

/// Now, as the cache's `fetched_at` and `synced_at` record it.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
