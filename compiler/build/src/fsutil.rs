//! File-system helpers with one guarantee: no reader ever sees a partial
//! file. Data goes to a uniquely named temporary file in the destination's
//! own directory (so `rename` stays within one file system, where it is
//! atomic, NFS included), is flushed to disk, and is renamed over the
//! destination. On any error the temporary file is removed.
//!
//! Temporary names are unique across threads, processes and hosts sharing
//! a directory: they mix the host name, the pid, the time and a counter.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Prefix of every temporary file and directory this crate creates, so
/// that cleanup can recognise leftovers of killed processes.
pub const TEMP_PREFIX: &str = ".xstap-tmp-";

fn host_name() -> String {
    fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// A name no other writer uses at the same time.
pub fn unique_name(tag: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut h = blake3::Hasher::new();
    h.update(host_name().as_bytes());
    h.update(&std::process::id().to_le_bytes());
    h.update(&nanos.to_le_bytes());
    h.update(&n.to_le_bytes());
    h.update(format!("{:?}", std::thread::current().id()).as_bytes());
    let hex = h.finalize().to_hex();
    format!("{TEMP_PREFIX}{tag}-{}", &hex[..16])
}

/// Write `bytes` to `dest` atomically (temp file + fsync + rename).
pub fn write_atomic(dest: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomic_with(dest, |f| f.write_all(bytes))
}

/// Like [`write_atomic`], with the content produced by `fill`.
pub fn write_atomic_with(
    dest: &Path,
    fill: impl FnOnce(&mut File) -> io::Result<()>,
) -> io::Result<()> {
    let dir = dest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = dir.join(unique_name("w"));
    let result = (|| {
        let mut f = File::create(&tmp)?;
        fill(&mut f)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, dest)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Copy `src` to `dest` atomically.
pub fn copy_atomic(src: &Path, dest: &Path) -> io::Result<()> {
    let mut input = File::open(src)?;
    write_atomic_with(dest, |f| io::copy(&mut input, f).map(|_| ()))
}

/// Create a fresh directory under `root` whose name starts with `tag`.
pub fn make_temp_dir(root: &Path, tag: &str) -> io::Result<PathBuf> {
    fs::create_dir_all(root)?;
    loop {
        let dir = root.join(unique_name(tag));
        match fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Remove directories under `root` named `TEMP_PREFIX + tag...` that were
/// last modified more than `older_than` ago: build directories of runs
/// killed before they could clean up. Returns how many were removed.
pub fn remove_stale_temp_dirs(root: &Path, tag: &str, older_than: std::time::Duration) -> usize {
    let prefix = format!("{TEMP_PREFIX}{tag}");
    let now = SystemTime::now();
    let Ok(entries) = fs::read_dir(root) else {
        return 0;
    };
    let mut removed = 0;
    for e in entries.flatten() {
        let stale = e
            .file_name()
            .to_str()
            .is_some_and(|n| n.starts_with(&prefix))
            && e.metadata().is_ok_and(|m| {
                m.is_dir()
                    && m.modified()
                        .is_ok_and(|t| now.duration_since(t).unwrap_or_default() > older_than)
            });
        if stale && fs::remove_dir_all(e.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// blake3 of a file's content, hex.
pub fn hash_file(path: &Path) -> io::Result<String> {
    let mut h = blake3::Hasher::new();
    h.update_reader(File::open(path)?)?;
    Ok(h.finalize().to_hex().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_names_differ() {
        let a = unique_name("x");
        let b = unique_name("x");
        assert_ne!(a, b);
        assert!(a.starts_with(TEMP_PREFIX));
    }

    #[test]
    fn stale_temp_dirs_are_removed() {
        let root = make_temp_dir(&std::env::temp_dir(), "stale-test").unwrap();
        let old = make_temp_dir(&root, "build-m").unwrap();
        let fresh = make_temp_dir(&root, "build-m").unwrap();
        let other = make_temp_dir(&root, "other").unwrap();
        let f = File::open(&old).unwrap();
        f.set_modified(SystemTime::now() - std::time::Duration::from_secs(7200))
            .unwrap();
        let f = File::open(&other).unwrap();
        f.set_modified(SystemTime::now() - std::time::Duration::from_secs(7200))
            .unwrap();
        assert_eq!(
            remove_stale_temp_dirs(&root, "build-", std::time::Duration::from_secs(3600)),
            1
        );
        assert!(!old.exists() && fresh.exists() && other.exists());
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp() {
        let dir = make_temp_dir(&std::env::temp_dir(), "fsutil-test").unwrap();
        let f = dir.join("a");
        write_atomic(&f, b"one").unwrap();
        write_atomic(&f, b"two").unwrap();
        assert_eq!(fs::read(&f).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("a")]);
        // A failing writer leaves nothing behind.
        let err = write_atomic_with(&dir.join("b"), |_| Err(io::Error::other("disk full")));
        assert!(err.is_err());
        let names: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1);
        fs::remove_dir_all(&dir).unwrap();
    }
}
