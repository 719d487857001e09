//! The profiles the console can switch between: the Local one (the embedded control plane) and
//! Konnect organizations. The list lives in `profiles.json` (names, regions; never tokens); each
//! Konnect token lives in the keyring under its profile's id.

use std::path::{Path, PathBuf};

use konnect::{ControlPlaneQuery, KonnectClient, Region};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{ConsoleError, ErrorCode};
use crate::profile::Profile;
use crate::secrets::{SecretBackend, Secrets};

/// "Add a Konnect profile": what the form sends.
#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export)]
pub struct NewKonnectProfile {
    pub name: String,
    /// us, eu, au, me, in or sg.
    pub region: String,
    pub token: String,
    #[serde(default)]
    #[ts(optional)]
    pub base_url: Option<String>,
}

/// What the profile switcher shows.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ProfileList {
    pub profiles: Vec<Profile>,
    pub active: String,
    /// Where tokens are kept on this machine; `session_only` says they will not survive a restart.
    pub secrets: SecretBackend,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Stored {
    active: Option<String>,
    profiles: Vec<Profile>,
}

pub struct ProfileStore {
    path: PathBuf,
    pub secrets: Secrets,
}

impl ProfileStore {
    pub fn new(data_dir: &Path, secrets: Secrets) -> ProfileStore {
        ProfileStore { path: data_dir.join("profiles.json"), secrets }
    }

    fn load(&self) -> Stored {
        std::fs::read_to_string(&self.path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default()
    }

    fn save(&self, stored: &Stored) -> Result<(), ConsoleError> {
        let text =
            serde_json::to_string_pretty(stored).map_err(|e| ConsoleError::local(e.to_string()))?;
        std::fs::write(&self.path, text)
            .map_err(|e| ConsoleError::local(format!("Cannot save {}: {e}", self.path.display())))
    }

    /// Local first, then the Konnect profiles in the order they were added.
    pub fn list(&self) -> ProfileList {
        let stored = self.load();
        let mut profiles = vec![Profile::local()];
        profiles.extend(stored.profiles);
        let active = stored
            .active
            .filter(|a| profiles.iter().any(|p| p.id() == a))
            .unwrap_or_else(|| "local".into());
        ProfileList { profiles, active, secrets: self.secrets.backend.clone() }
    }

    pub fn find(&self, id: &str) -> Result<Profile, ConsoleError> {
        self.list().profiles.into_iter().find(|p| p.id() == id).ok_or_else(|| {
            ConsoleError::new(ErrorCode::NotFound, format!("No profile with id {id}."))
        })
    }

    pub fn set_active(&self, id: &str) -> Result<(), ConsoleError> {
        let mut stored = self.load();
        stored.active = Some(id.to_string());
        self.save(&stored)
    }

    /// A Konnect profile's client, with its token from the keyring.
    pub fn client_for(&self, profile: &Profile) -> Result<KonnectClient, ConsoleError> {
        let hosts = profile
            .konnect_hosts()
            .ok_or_else(|| ConsoleError::local("The Local profile has no stored token."))?;
        let token = self
            .secrets
            .get(profile.id())
            .map_err(|e| ConsoleError::local(format!("The keyring could not be read: {e}")))?
            .ok_or_else(|| {
                let message = match &self.secrets.backend {
                    SecretBackend::SessionOnly { .. } => format!(
                        "No keyring is available on this machine, so the token of profile '{}' \
                         was kept for one run only.",
                        profile.name()
                    ),
                    _ => {
                        format!("The token of profile '{}' is not in the keyring.", profile.name())
                    }
                };
                ConsoleError::new(ErrorCode::Unauthorized, message)
            })?;
        Ok(KonnectClient::with_hosts(hosts, token)?)
    }

    /// Checks the form, then the token against the API (a refused token never gets stored),
    /// then keeps the token in the keyring and the profile in the list.
    pub async fn add_konnect(&self, form: NewKonnectProfile) -> Result<Profile, ConsoleError> {
        let name = form.name.trim().to_string();
        if name.is_empty() {
            return Err(ConsoleError::field("name", "Name is required."));
        }
        if self.list().profiles.iter().any(|p| p.name().eq_ignore_ascii_case(&name)) {
            return Err(ConsoleError::field(
                "name",
                format!("A profile named '{name}' already exists."),
            ));
        }
        let Some(region) = Region::parse(form.region.trim()) else {
            return Err(ConsoleError::field("region", "Choose one of us, eu, au, me, in or sg."));
        };
        let token = form.token.trim().to_string();
        let base_url = form
            .base_url
            .map(|b| b.trim().trim_end_matches('/').to_string())
            .filter(|b| !b.is_empty());
        let profile =
            Profile::Konnect { id: uuid::Uuid::new_v4().to_string(), name, region, base_url };
        let hosts = profile.konnect_hosts().expect("a Konnect profile has hosts");
        check_token(hosts, &token).await?;
        self.secrets.set(profile.id(), &token).map_err(|e| {
            ConsoleError::local(format!("The token could not be stored in the keyring: {e}"))
        })?;
        let mut stored = self.load();
        stored.profiles.push(profile.clone());
        stored.active = Some(profile.id().to_string());
        self.save(&stored)?;
        Ok(profile)
    }

    /// Replaces a Konnect profile's token (one that could not be read, or was refused): checked
    /// against the API first, then kept in the keyring.
    pub async fn replace_token(&self, id: &str, token: &str) -> Result<(), ConsoleError> {
        let profile = self.find(id)?;
        let hosts = profile
            .konnect_hosts()
            .ok_or_else(|| ConsoleError::local("The Local profile has no stored token."))?;
        let token = token.trim();
        check_token(hosts, token).await?;
        self.secrets.set(id, token).map_err(|e| {
            ConsoleError::local(format!("The token could not be stored in the keyring: {e}"))
        })
    }

    /// Forgets a Konnect profile and its token; the Local profile stays.
    pub fn remove(&self, id: &str) -> Result<(), ConsoleError> {
        if id == "local" {
            return Err(ConsoleError::new(
                ErrorCode::Validation,
                "The Local profile cannot be removed.",
            ));
        }
        let mut stored = self.load();
        let before = stored.profiles.len();
        stored.profiles.retain(|p| p.id() != id);
        if stored.profiles.len() == before {
            return Err(ConsoleError::new(
                ErrorCode::NotFound,
                format!("No profile with id {id}."),
            ));
        }
        self.secrets.delete(id).map_err(|e| {
            ConsoleError::local(format!("The token could not be removed from the keyring: {e}"))
        })?;
        if stored.active.as_deref() == Some(id) {
            stored.active = Some("local".into());
        }
        self.save(&stored)
    }
}

/// A token is kept only once the API accepted it: a refused one is said on the form's field.
async fn check_token(hosts: konnect::ApiHosts, token: &str) -> Result<(), ConsoleError> {
    if !(token.starts_with("kpat_") || token.starts_with("spat_")) || token.len() < 12 {
        return Err(ConsoleError::field(
            "token",
            "A Konnect token starts with kpat_ (personal) or spat_ (system account).",
        ));
    }
    let client = KonnectClient::with_hosts(hosts, token.to_string())?;
    let query = ControlPlaneQuery { page_size: Some(1), ..Default::default() };
    if let Err(e) = client.list_control_planes(&query).await {
        let mut err = ConsoleError::from(e);
        if matches!(err.code, ErrorCode::Unauthorized | ErrorCode::Forbidden) {
            let reason = format!(
                "Konnect refused this token ({}). Check that it is current and belongs to this \
                 region.",
                err.message
            );
            err = ConsoleError::field("token", reason);
        }
        return Err(err);
    }
    Ok(())
}
