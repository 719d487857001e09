//! Where tokens live: the OS keyring only (Secret Service, else the kernel keyring), or, when
//! neither is available, memory for this run, which the app says plainly. Never a file.

use std::collections::HashMap;
use std::sync::Mutex;

use serde::Serialize;
use ts_rs::TS;

/// The keyring service name tokens are stored under (account = profile id).
pub const SERVICE: &str = "runtime-manager";

/// Which store holds tokens on this machine, for the UI to show.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum SecretBackend {
    /// The desktop keyring over D-Bus (GNOME Keyring, KWallet): persistent.
    SecretService,
    /// The Linux kernel keyring: kept until logout or reboot.
    KernelKeyring,
    /// No keyring reachable: tokens last for this run only.
    SessionOnly { reason: String },
}

enum Store {
    SecretService,
    Kernel,
    Memory(Mutex<HashMap<String, String>>),
}

pub struct Secrets {
    store: Store,
    pub backend: SecretBackend,
}

/// Keyring calls block on their own D-Bus runtime; they must not run on an async runtime's
/// threads (keyring-rs#132), so each runs on a short-lived thread of its own.
fn off_runtime<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::spawn(f).join().expect("keyring thread")
}

fn ss_entry(account: &str) -> keyring::Result<keyring::Entry> {
    Ok(keyring::Entry::new_with_credential(Box::new(
        keyring::secret_service::SsCredential::new_with_target(None, SERVICE, account)?,
    )))
}

fn kernel_entry(account: &str) -> keyring::Result<keyring::Entry> {
    Ok(keyring::Entry::new_with_credential(Box::new(
        keyring::keyutils::KeyutilsCredential::new_with_target(None, SERVICE, account)?,
    )))
}

/// Whether a store works here: write, read back and delete a probe.
fn probe(entry: impl Fn(&str) -> keyring::Result<keyring::Entry>) -> Result<(), String> {
    let e = entry("runtime-manager-probe").map_err(|e| e.to_string())?;
    e.set_password("probe").map_err(|e| e.to_string())?;
    let back = e.get_password().map_err(|e| e.to_string())?;
    let _ = e.delete_credential();
    if back == "probe" {
        Ok(())
    } else {
        Err("the keyring returned something else".into())
    }
}

impl Secrets {
    /// The best store available: Secret Service, then the kernel keyring, then memory.
    pub fn detect() -> Secrets {
        off_runtime(|| {
            let ss = probe(ss_entry);
            if ss.is_ok() {
                return Secrets {
                    store: Store::SecretService,
                    backend: SecretBackend::SecretService,
                };
            }
            let kernel = probe(kernel_entry);
            if kernel.is_ok() {
                return Secrets { store: Store::Kernel, backend: SecretBackend::KernelKeyring };
            }
            let reason = format!(
                "No keyring is available (Secret Service: {}; kernel keyring: {}). Tokens are \
                 kept in memory for this run only.",
                ss.err().unwrap_or_default(),
                kernel.err().unwrap_or_default()
            );
            tracing::warn!("{reason}");
            Secrets {
                store: Store::Memory(Mutex::default()),
                backend: SecretBackend::SessionOnly { reason },
            }
        })
    }

    /// A store that keeps tokens in memory only (tests of everything but the keyring).
    pub fn memory(reason: &str) -> Secrets {
        Secrets {
            store: Store::Memory(Mutex::default()),
            backend: SecretBackend::SessionOnly { reason: reason.into() },
        }
    }

    pub fn set(&self, account: &str, token: &str) -> Result<(), String> {
        let (account, token) = (account.to_string(), token.to_string());
        match &self.store {
            Store::Memory(m) => {
                m.lock().unwrap_or_else(|p| p.into_inner()).insert(account, token);
                Ok(())
            }
            Store::SecretService => off_runtime(move || {
                ss_entry(&account).and_then(|e| e.set_password(&token)).map_err(|e| e.to_string())
            }),
            Store::Kernel => off_runtime(move || {
                kernel_entry(&account)
                    .and_then(|e| e.set_password(&token))
                    .map_err(|e| e.to_string())
            }),
        }
    }

    /// The token, `None` when the store has none for this account.
    pub fn get(&self, account: &str) -> Result<Option<String>, String> {
        let account = account.to_string();
        let read = |r: keyring::Result<String>| match r {
            Ok(t) => Ok(Some(t)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(e.to_string()),
        };
        match &self.store {
            Store::Memory(m) => {
                Ok(m.lock().unwrap_or_else(|p| p.into_inner()).get(&account).cloned())
            }
            Store::SecretService => {
                off_runtime(move || read(ss_entry(&account).and_then(|e| e.get_password())))
            }
            Store::Kernel => {
                off_runtime(move || read(kernel_entry(&account).and_then(|e| e.get_password())))
            }
        }
    }

    pub fn delete(&self, account: &str) -> Result<(), String> {
        let account = account.to_string();
        let gone = |r: keyring::Result<()>| match r {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(e.to_string()),
        };
        match &self.store {
            Store::Memory(m) => {
                m.lock().unwrap_or_else(|p| p.into_inner()).remove(&account);
                Ok(())
            }
            Store::SecretService => {
                off_runtime(move || gone(ss_entry(&account).and_then(|e| e.delete_credential())))
            }
            Store::Kernel => off_runtime(move || {
                gone(kernel_entry(&account).and_then(|e| e.delete_credential()))
            }),
        }
    }
}
