//! The app's one offline state: whether the active profile's API answers, why not in plain words
//! (the address and error only as details), since when, what was last synced, and what the user
//! can do to go online again. Every page and the banner read this one state.

use std::time::{Duration, SystemTime};

use konnect::{Cause, Outage};
use serde::Serialize;
use ts_rs::TS;

use crate::error::ConsoleError;
use crate::Console;

/// How often the shell probes the API while it is out of reach: a recovery shows within this and
/// one probe's time.
pub const PROBE_EVERY: Duration = Duration::from_secs(2);

/// How long one probe may take before it counts as no answer.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct Connection {
    pub profile_id: String,
    pub profile_name: String,
    pub online: bool,
    /// When the first try failed (RFC 3339).
    pub offline_since: Option<String>,
    /// Why, in plain words ("the connection was refused").
    pub cause: Option<String>,
    /// The address and the error, for a details disclosure only.
    pub details: Option<String>,
    /// What it takes to go online again, when the user has to act.
    pub remedy: Option<String>,
    /// The token must be entered again to go online (it cannot be read, or it was refused).
    pub needs_token: bool,
    /// The last complete sync (RFC 3339).
    pub synced_at: Option<String>,
}

fn rfc3339(t: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// What the user can do about an outage of `cause`; `locked` is why a token could not be read.
fn remedy(cause: Cause, locked: Option<&str>) -> String {
    match cause {
        Cause::NoToken => format!(
            "{} Enter the profile's token again to go online.",
            locked.unwrap_or("The profile's token could not be read.")
        ),
        Cause::Unauthorized => {
            "Enter a current token for this profile to go online; the cached state stays \
             browsable meanwhile."
                .into()
        }
        Cause::RateLimited { .. } => "The app goes online again once the wait is over.".into(),
        _ => "The app checks every 2 seconds and goes online as soon as it answers.".into(),
    }
}

impl Console {
    /// The connection as the last request (or probe) found it, with the last sync's time.
    pub async fn connection(&self) -> Result<Connection, ConsoleError> {
        let synced_at = self.cache.sync_state(self.profile().id()).await?.synced_at;
        let outage: Option<Outage> = self.client.reachability().outage();
        Ok(Connection {
            profile_id: self.profile().id().to_string(),
            profile_name: self.profile().name().to_string(),
            online: outage.is_none(),
            offline_since: outage.as_ref().map(|o| rfc3339(o.since)),
            cause: outage.as_ref().map(|o| o.cause.words()),
            details: outage.as_ref().map(|o| o.details.clone()),
            remedy: outage.as_ref().map(|o| remedy(o.cause, self.locked.as_deref())),
            needs_token: outage
                .as_ref()
                .is_some_and(|o| matches!(o.cause, Cause::NoToken | Cause::Unauthorized)),
            synced_at,
        })
    }

    /// One light request, tried once, to learn whether the API is back; a client without a token
    /// has nothing to try.
    pub async fn probe(&self) {
        if self.locked.is_some() {
            return;
        }
        match tokio::time::timeout(PROBE_TIMEOUT, self.client.probe()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::debug!("probe: still offline: {e}"),
            Err(_) => self.client.reachability().failed(Cause::Timeout, "probe timed out".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cause_says_what_to_do() {
        for cause in [Cause::Refused, Cause::Dns, Cause::Tls, Cause::Timeout, Cause::Network] {
            assert!(remedy(cause, None).contains("every 2 seconds"));
        }
        let no_keyring = "No keyring is available: tokens are kept in memory for one run.";
        let r = remedy(Cause::NoToken, Some(no_keyring));
        assert!(r.starts_with(no_keyring) && r.ends_with("token again to go online."), "{r}");
        assert!(remedy(Cause::Unauthorized, None).contains("current token"));
        assert!(!remedy(Cause::RateLimited { wait_secs: 30 }, None).contains(".."));
    }
}
