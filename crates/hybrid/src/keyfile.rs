//! Key material on disk: private keys are created 0600 in a 0700 directory and replaced
//! atomically (temp file in the same directory, fsync, rename, fsync of the directory), so a
//! crash mid-write leaves the old file or the new one, never an empty or half-written key.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Mode of a private key file: the owner reads and writes it, nobody else sees it.
pub const PRIVATE_FILE_MODE: u32 = 0o600;
/// Mode of a directory holding private keys.
pub const PRIVATE_DIR_MODE: u32 = 0o700;
/// Mode of a certificate or other public file written beside a key.
pub const PUBLIC_FILE_MODE: u32 = 0o644;

/// Writes a data plane's certificate and private key (PEM) as `{name}.crt` (0644) and
/// `{name}.key` (0600) in `dir` (made 0700), each atomically; returns their paths. Each error
/// names the file it could not write.
pub fn write_certificate_pair(
    dir: &Path,
    name: &str,
    cert: &str,
    key: &str,
) -> Result<(PathBuf, PathBuf), String> {
    let (cert_path, key_path) = (dir.join(format!("{name}.crt")), dir.join(format!("{name}.key")));
    let failed = |path: &Path, e: io::Error| format!("cannot write {}: {e}", path.display());
    write_private_key(&key_path, key.as_bytes()).map_err(|e| failed(&key_path, e))?;
    write_atomically(&cert_path, cert.as_bytes(), PUBLIC_FILE_MODE)
        .map_err(|e| failed(&cert_path, e))?;
    Ok((cert_path, key_path))
}

/// Writes a private key (PEM) to `path`: 0600, atomically, in a directory made 0700.
///
/// The parent directory is created 0700 when missing and tightened to 0700 when it exists, so it
/// must be a directory that holds keys (and files that belong with them), not a shared one.
pub fn write_private_key(path: &Path, pem: &[u8]) -> io::Result<()> {
    ensure_private_dir(parent_of(path))?;
    write_atomically(path, pem, PRIVATE_FILE_MODE)
}

/// Creates `dir` (and missing parents) with mode 0700, or tightens an existing one to 0700.
pub fn ensure_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, PRIVATE_DIR_MODE);
    builder.create(dir)?;
    set_mode(dir, PRIVATE_DIR_MODE)
}

/// Sets a file's or directory's permission bits (no-op where there are none, e.g. Windows).
pub fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if fs::metadata(path)?.permissions().mode() & 0o7777 != mode {
            fs::set_permissions(path, fs::Permissions::from_mode(mode))?;
        }
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

/// Replaces `path` with `contents` so that readers see the old file or the whole new one: the
/// bytes go to a new temp file (created with `mode`) in the same directory, are flushed to disk,
/// and the temp file is renamed over `path`; then the directory entry itself is flushed.
pub fn write_atomically(path: &Path, contents: &[u8], mode: u32) -> io::Result<()> {
    let dir = parent_of(path);
    let (tmp, mut file) = create_temp(dir, path, mode)?;
    let written = (|| {
        file.write_all(contents)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, path)
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    sync_dir(dir)
}

fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// A temp file that did not exist before (`create_new`), named after the target so a leftover
/// from a crash says what it was: `.cluster.key.tmp-<pid>-<n>`.
fn create_temp(dir: &Path, target: &Path, mode: u32) -> io::Result<(PathBuf, File)> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(".{name}.tmp-{}-{n}", std::process::id()));
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
        match options.open(&tmp) {
            Ok(file) => {
                // The process umask may have taken bits away; never more than `mode` is granted.
                set_mode(&tmp, mode)?;
                return Ok((tmp, file));
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Flushes a directory, so a rename into it survives a crash (POSIX; a no-op elsewhere).
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        fs::metadata(p).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn a_private_key_is_0600_in_a_0700_directory_with_no_temp_file_left() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("keys");
        let key = dir.join("cluster.key");
        write_private_key(&key, b"-----BEGIN PRIVATE KEY-----\nfirst\n").unwrap();
        assert_eq!(fs::read(&key).unwrap(), b"-----BEGIN PRIVATE KEY-----\nfirst\n");
        assert_eq!(mode(&key), 0o600);
        assert_eq!(mode(&dir), 0o700);
        // Replacing keeps the mode and leaves exactly the key behind.
        write_private_key(&key, b"second").unwrap();
        assert_eq!(fs::read(&key).unwrap(), b"second");
        assert_eq!(mode(&key), 0o600);
        let names: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["cluster.key"]);
    }

    #[test]
    fn an_existing_loose_file_and_directory_are_tightened() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("instances");
        fs::create_dir(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        let key = dir.join("node.key");
        fs::write(&key, "old").unwrap();
        fs::set_permissions(&key, fs::Permissions::from_mode(0o644)).unwrap();
        write_private_key(&key, b"new").unwrap();
        assert_eq!((mode(&dir), mode(&key)), (0o700, 0o600));
        assert_eq!(fs::read(&key).unwrap(), b"new");
    }

    #[test]
    fn a_failed_write_leaves_the_old_file_and_no_temp_file() {
        let root = tempfile::tempdir().unwrap();
        // The target is a non-empty directory: the rename fails after the temp file was written.
        let target = root.path().join("busy");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("inside"), "x").unwrap();
        assert!(write_atomically(&target, b"data", PRIVATE_FILE_MODE).is_err());
        let names: Vec<String> = fs::read_dir(root.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["busy"]);
    }

    #[test]
    fn a_public_file_gets_its_own_mode() {
        let root = tempfile::tempdir().unwrap();
        let crt = root.path().join("node.crt");
        write_atomically(&crt, b"cert", PUBLIC_FILE_MODE).unwrap();
        assert_eq!(mode(&crt), 0o644);
    }
}
