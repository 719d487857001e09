//! A private D-Bus session with an unlocked GNOME Keyring (Secret Service) for tests that need a
//! real keyring; processes started afterwards inherit it through the environment.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

/// A session bus and an unlocked GNOME Keyring on it, for this test process (and its children).
pub struct KeyringSession {
    bus: std::process::Child,
}

impl KeyringSession {
    pub fn start(home: &std::path::Path) -> KeyringSession {
        // The bus gets the temp HOME too: a keyring daemon it starts on demand (D-Bus activation
        // can win the race with the one started below) must not open the real user's keyrings.
        let mut bus = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .env("HOME", home)
            .env_remove("XDG_DATA_HOME")
            .env_remove("XDG_RUNTIME_DIR")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon (Debian package dbus; scripts/setup.sh installs it)");
        let mut address = String::new();
        BufReader::new(bus.stdout.take().unwrap()).read_line(&mut address).unwrap();
        // From here on a failure still stops the bus (and the keyring daemon it started).
        let session = KeyringSession { bus };
        // Set before any thread of this process talks to D-Bus; the test is alone in its binary.
        std::env::set_var("DBUS_SESSION_BUS_ADDRESS", address.trim());
        std::env::set_var("HOME", home);
        // An unencrypted, hence always unlocked, login keyring: whichever keyring daemon D-Bus
        // activation starts opens it without a prompt (there is no one to answer one).
        let keyrings = home.join(".local/share/keyrings");
        std::fs::create_dir_all(&keyrings).unwrap();
        std::fs::write(
            keyrings.join("login.keyring"),
            "[keyring]\ndisplay-name=login\nctime=0\nmtime=0\nlock-on-idle=false\nlock-after=false\
                \n",
        )
        .unwrap();
        std::fs::write(keyrings.join("default"), "login").unwrap();
        // The first client activates gnome-keyring-daemon on the bus: wait until it stores and
        // returns a secret.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        let mut last_error: String;
        loop {
            let mut store = Command::new("secret-tool")
                .args(["store", "--label=probe", "service", "rm-test-probe", "account", "probe"])
                .stdin(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("secret-tool (Debian package libsecret-tools)");
            store.stdin.take().unwrap().write_all(b"ready").unwrap();
            let out = store.wait_with_output().unwrap();
            let stored = out.status.success();
            last_error = String::from_utf8_lossy(&out.stderr).to_string();
            let read = Command::new("secret-tool")
                .args(["lookup", "service", "rm-test-probe", "account", "probe"])
                .output()
                .map(|o| o.stdout == b"ready")
                .unwrap_or(false);
            if stored && read {
                let _ = Command::new("secret-tool")
                    .args(["clear", "service", "rm-test-probe", "account", "probe"])
                    .status();
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "GNOME Keyring never answered on the session bus: {last_error}"
            );
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        session
    }
}

impl Drop for KeyringSession {
    fn drop(&mut self) {
        let _ = self.bus.kill();
    }
}
