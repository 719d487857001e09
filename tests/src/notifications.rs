//! A desktop notification server for tests: it owns `org.freedesktop.Notifications` on the
//! session bus (the freedesktop spec's interface, as a desktop's notification daemon does) and
//! records what the app asks it to show.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use zbus::zvariant::OwnedValue;

/// A notification as the app sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    pub app_name: String,
    pub summary: String,
    pub body: String,
}

/// The server, serving while held.
pub struct NotificationDaemon {
    _connection: zbus::Connection,
    shown: Arc<Mutex<Vec<Shown>>>,
}

struct Server {
    shown: Arc<Mutex<Vec<Shown>>>,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl Server {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        app_name: String,
        _replaces_id: u32,
        _app_icon: String,
        summary: String,
        body: String,
        _actions: Vec<String>,
        _hints: HashMap<String, OwnedValue>,
        _expire_timeout: i32,
    ) -> u32 {
        let mut shown = self.shown.lock().unwrap();
        shown.push(Shown { app_name, summary, body });
        shown.len() as u32
    }

    fn get_capabilities(&self) -> Vec<String> {
        vec!["body".into()]
    }

    fn get_server_information(&self) -> (String, String, String, String) {
        ("system-tests".into(), "runtime-manager".into(), "1.0".into(), "1.2".into())
    }

    fn close_notification(&self, _id: u32) {}
}

impl NotificationDaemon {
    /// Serves on the session bus of `DBUS_SESSION_BUS_ADDRESS`.
    pub async fn start() -> NotificationDaemon {
        let shown = Arc::new(Mutex::new(Vec::new()));
        let connection = zbus::connection::Builder::session()
            .and_then(|b| b.name("org.freedesktop.Notifications"))
            .and_then(|b| {
                b.serve_at("/org/freedesktop/Notifications", Server { shown: shown.clone() })
            })
            .expect("a session bus (DBUS_SESSION_BUS_ADDRESS)")
            .build()
            .await
            .expect("the notification server on the session bus");
        NotificationDaemon { _connection: connection, shown }
    }

    /// What was shown so far.
    pub fn shown(&self) -> Vec<Shown> {
        self.shown.lock().unwrap().clone()
    }
}
