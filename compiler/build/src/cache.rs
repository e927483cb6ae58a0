//! The content-addressed module cache.
//!
//! ## Two levels
//!
//! - **Level 2** (the module store) is keyed by [`level2_key`]: blake3 of
//!   the generated C units (names, compile flags, bytes, in link order), the
//!   module name, the target (release, arch, profile hash), the
//!   `CROSS_COMPILE` prefix, the compiler identity (`$CC --version` and its
//!   resolved path), the make variables and the xstap version. It names one
//!   `.ko`. [`crate::build`] consults it after code generation, so a hit
//!   skips make.
//! - **Level 1** maps a key computable from raw inputs ([`Level1Inputs`]:
//!   script text, tapset-library hash, profile hash, options, compiler
//!   identity, xstap version) to a level-2 key. The CLI computes it before
//!   parsing; a hit needs neither parsing nor code generation. It records
//!   the mapping after a successful build with [`Cache::record_level1`].
//!
//! ## Layout
//!
//! ```text
//! ROOT/v1/mod/ab/ab12...ef.xko   one file per module: magic line, one JSON
//!                                line (EntryMeta), then the .ko bytes
//! ROOT/v1/l1/cd/cd34...01        the level-2 key in hex
//! ROOT/v1/**/.xstap-tmp-*        files being written (or left by a crash)
//! ```
//!
//! ## Concurrency and crash safety
//!
//! Every file is written to a unique temporary name in its final
//! directory, fsynced, then renamed into place ([`crate::fsutil`]): readers
//! see the old entry, the new one, or none, never a partial one, also when
//! several processes or hosts share the directory. Two writers of the same
//! key both rename; the last wins and both entries are valid. A failed or
//! interrupted write (disk full, kill) leaves at most a temporary file,
//! which no reader looks at and eviction removes after an hour. Every read
//! checks the entry's length and blake3, so a corrupt entry is a miss (and
//! is deleted), never a bad module.
//!
//! ## Eviction
//!
//! The store is bounded (default 1 GiB). A hit refreshes the entry's
//! modification time (access times are unreliable under `noatime` and
//! `relatime`); after each insertion, least recently used entries are
//! deleted until the store fits.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::{fsutil, Unit};

/// Default bound of the module store.
pub const DEFAULT_MAX_BYTES: u64 = 1 << 30;
const MAGIC: &[u8] = b"XSTAPKO1\n";
const LAYOUT: &str = "v1";
/// Temporary files older than this are leftovers of dead writers.
const STALE_TEMP: Duration = Duration::from_secs(3600);

/// A 256-bit blake3 key.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CacheKey(pub [u8; 32]);

impl CacheKey {
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
    pub fn from_hex(s: &str) -> Option<CacheKey> {
        let s = s.trim();
        if s.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, o) in out.iter_mut().enumerate() {
            *o = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(CacheKey(out))
    }
}

impl std::fmt::Debug for CacheKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CacheKey({})", self.to_hex())
    }
}

impl std::fmt::Display for CacheKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// A hasher whose fields are tagged and length-prefixed, so that no two
/// different field lists hash alike.
struct KeyHasher(blake3::Hasher);

impl KeyHasher {
    fn new(context: &str) -> Self {
        KeyHasher(blake3::Hasher::new_derive_key(context))
    }
    fn field(&mut self, tag: &str, value: &[u8]) -> &mut Self {
        self.0.update(&(tag.len() as u64).to_le_bytes());
        self.0.update(tag.as_bytes());
        self.0.update(&(value.len() as u64).to_le_bytes());
        self.0.update(value);
        self
    }
    fn finish(&self) -> CacheKey {
        CacheKey(*self.0.finalize().as_bytes())
    }
}

/// Everything a built module depends on, besides the C.
#[derive(Clone, Copy, Debug)]
pub struct Level2Inputs<'a> {
    pub module_name: &'a str,
    pub units: &'a [Unit],
    pub release: &'a str,
    /// Kernel `ARCH`.
    pub arch: &'a str,
    pub profile_hash: &'a str,
    pub cross_compile: &'a str,
    /// [`crate::toolchain::compiler_identity`] of the compiler.
    pub compiler_identity: &'a str,
    pub make_vars: &'a [(String, String)],
    pub xstap_version: &'a str,
}

/// The level-2 key: names one `.ko`.
pub fn level2_key(i: &Level2Inputs<'_>) -> CacheKey {
    let mut h = KeyHasher::new("xstap module cache 2026-11 level 2");
    h.field("name", i.module_name.as_bytes())
        .field("release", i.release.as_bytes())
        .field("arch", i.arch.as_bytes())
        .field("profile", i.profile_hash.as_bytes())
        .field("cross", i.cross_compile.as_bytes())
        .field("cc", i.compiler_identity.as_bytes())
        .field("xstap", i.xstap_version.as_bytes());
    for (k, v) in i.make_vars {
        h.field("var", k.as_bytes()).field("val", v.as_bytes());
    }
    for u in i.units {
        h.field("unit", u.file_name.as_bytes())
            .field("compile", &[u.compile as u8])
            .field("text", u.contents.as_bytes());
    }
    h.finish()
}

/// Raw inputs of a whole compilation, for the level-1 key. The CLI
/// chooses `options` (every flag that changes the generated C, in a
/// canonical order, e.g. `["-DMAXACTION=1000", "-g", "-u"]`).
#[derive(Clone, Copy, Debug)]
pub struct Level1Inputs<'a> {
    /// The user's script files (name, text), in command-line order; `-e`
    /// text as one entry.
    pub scripts: &'a [(&'a str, &'a str)],
    /// A hash of the tapset library (every file's path and content).
    pub tapsets_hash: &'a str,
    pub module_name: &'a str,
    pub release: &'a str,
    pub arch: &'a str,
    pub profile_hash: &'a str,
    pub options: &'a [String],
    pub cross_compile: &'a str,
    pub compiler_identity: &'a str,
    pub make_vars: &'a [(String, String)],
    pub xstap_version: &'a str,
}

impl Level1Inputs<'_> {
    pub fn key(&self) -> CacheKey {
        let mut h = KeyHasher::new("xstap module cache 2026-11 level 1");
        for (name, text) in self.scripts {
            h.field("script", name.as_bytes())
                .field("text", text.as_bytes());
        }
        h.field("tapsets", self.tapsets_hash.as_bytes())
            .field("name", self.module_name.as_bytes())
            .field("release", self.release.as_bytes())
            .field("arch", self.arch.as_bytes())
            .field("profile", self.profile_hash.as_bytes())
            .field("cross", self.cross_compile.as_bytes())
            .field("cc", self.compiler_identity.as_bytes())
            .field("xstap", self.xstap_version.as_bytes());
        for o in self.options {
            h.field("opt", o.as_bytes());
        }
        for (k, v) in self.make_vars {
            h.field("var", k.as_bytes()).field("val", v.as_bytes());
        }
        h.finish()
    }
}

/// The level-1 key of raw inputs (same as [`Level1Inputs::key`]).
pub fn cache_key_for_inputs(inputs: &Level1Inputs<'_>) -> CacheKey {
    inputs.key()
}

/// The default cache directory: `$XSTAP_HOME/cache`, else
/// `$XDG_CACHE_HOME/xstap`, else `$HOME/.cache/xstap`.
pub fn default_dir() -> Option<PathBuf> {
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    var("XSTAP_HOME")
        .map(|h| h.join("cache"))
        .or_else(|| var("XDG_CACHE_HOME").map(|c| c.join("xstap")))
        .or_else(|| var("HOME").map(|h| h.join(".cache").join("xstap")))
}

/// Facts stored with each module.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryMeta {
    pub name: String,
    pub release: String,
    pub arch: String,
    pub vermagic: String,
    pub ko_len: u64,
    pub ko_blake3: String,
    /// Seconds since the epoch.
    pub created: u64,
    pub xstap_version: String,
}

/// A module read from the store.
#[derive(Clone, Debug)]
pub struct CachedModule {
    pub meta: EntryMeta,
    pub ko: Vec<u8>,
}

/// What [`Cache::evict`] and [`Cache::clean`] removed, and what is left.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheUsage {
    pub entries: u64,
    pub bytes: u64,
    pub removed_entries: u64,
    pub removed_bytes: u64,
}

/// A cache directory. Cheap to clone; holds no open files or locks.
#[derive(Clone, Debug)]
pub struct Cache {
    root: PathBuf,
    max_bytes: u64,
}

impl Cache {
    /// Use (and create) the cache under `root` (the CLI passes
    /// `$XSTAP_HOME/cache`).
    pub fn open(root: impl Into<PathBuf>) -> io::Result<Cache> {
        let root = root.into();
        fs::create_dir_all(root.join(LAYOUT).join("mod"))?;
        fs::create_dir_all(root.join(LAYOUT).join("l1"))?;
        Ok(Cache {
            root,
            max_bytes: DEFAULT_MAX_BYTES,
        })
    }

    /// Bound the module store to `max_bytes`.
    pub fn with_max_bytes(mut self, max_bytes: u64) -> Cache {
        self.max_bytes = max_bytes;
        self
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    fn module_path(&self, key: &CacheKey) -> PathBuf {
        let hex = key.to_hex();
        self.root
            .join(LAYOUT)
            .join("mod")
            .join(&hex[..2])
            .join(format!("{hex}.xko"))
    }

    fn l1_path(&self, key: &CacheKey) -> PathBuf {
        let hex = key.to_hex();
        self.root.join(LAYOUT).join("l1").join(&hex[..2]).join(hex)
    }

    /// Read a module. Corrupt entries are deleted and reported as misses.
    pub fn get(&self, key: &CacheKey) -> Option<CachedModule> {
        let path = self.module_path(key);
        let bytes = fs::read(&path).ok()?;
        match decode_entry(&bytes) {
            Some(m) => {
                touch(&path);
                Some(m)
            }
            None => {
                let _ = fs::remove_file(&path);
                None
            }
        }
    }

    /// On a hit, place the module at `dest` atomically and return its meta.
    pub fn fetch_to(&self, key: &CacheKey, dest: &Path) -> io::Result<Option<EntryMeta>> {
        let Some(m) = self.get(key) else {
            return Ok(None);
        };
        if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir)?;
        }
        fsutil::write_atomic(dest, &m.ko)?;
        Ok(Some(m.meta))
    }

    /// Store a module under `key` (atomically), then evict if over bound.
    pub fn put(&self, key: &CacheKey, ko: &[u8], meta_in: &EntryMeta) -> io::Result<()> {
        let mut meta = meta_in.clone();
        meta.ko_len = ko.len() as u64;
        meta.ko_blake3 = blake3::hash(ko).to_hex().to_string();
        let json = serde_json::to_string(&meta).map_err(io::Error::other)?;
        let path = self.module_path(key);
        fs::create_dir_all(path.parent().expect("module paths have a parent"))?;
        fsutil::write_atomic_with(&path, |f| {
            f.write_all(MAGIC)?;
            f.write_all(json.as_bytes())?;
            f.write_all(b"\n")?;
            f.write_all(ko)
        })?;
        self.evict().map(|_| ())
    }

    /// Level 1: the level-2 key recorded for raw inputs, if its module is
    /// still stored.
    pub fn lookup_level1(&self, l1: &CacheKey) -> Option<CacheKey> {
        let path = self.l1_path(l1);
        let l2 = CacheKey::from_hex(&fs::read_to_string(&path).ok()?);
        match l2 {
            Some(k) if self.module_path(&k).exists() => {
                touch(&path);
                Some(k)
            }
            _ => {
                let _ = fs::remove_file(&path);
                None
            }
        }
    }

    /// Level 1: remember that raw inputs `l1` produce module `l2`.
    pub fn record_level1(&self, l1: &CacheKey, l2: &CacheKey) -> io::Result<()> {
        let path = self.l1_path(l1);
        fs::create_dir_all(path.parent().expect("l1 paths have a parent"))?;
        fsutil::write_atomic(&path, format!("{}\n", l2.to_hex()).as_bytes())
    }

    fn scan(&self, sub: &str) -> Vec<(PathBuf, SystemTime, u64)> {
        let mut out = Vec::new();
        let Ok(shards) = fs::read_dir(self.root.join(LAYOUT).join(sub)) else {
            return out;
        };
        for shard in shards.flatten() {
            let Ok(files) = fs::read_dir(shard.path()) else {
                continue;
            };
            for f in files.flatten() {
                if let Ok(meta) = f.metadata() {
                    out.push((f.path(), meta.modified().unwrap_or(UNIX_EPOCH), meta.len()));
                }
            }
        }
        out
    }

    fn is_temp(p: &Path) -> bool {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with(fsutil::TEMP_PREFIX))
    }

    /// Remove least recently used modules until the store fits its bound,
    /// and temporary files of dead writers.
    pub fn evict(&self) -> io::Result<CacheUsage> {
        let now = SystemTime::now();
        let mut usage = CacheUsage::default();
        let mut entries = Vec::new();
        for (path, mtime, len) in self.scan("mod").into_iter().chain(self.scan("l1")) {
            if Self::is_temp(&path) {
                if now.duration_since(mtime).unwrap_or_default() > STALE_TEMP
                    && fs::remove_file(&path).is_ok()
                {
                    usage.removed_bytes += len;
                }
            } else if path.extension().is_some_and(|e| e == "xko") {
                entries.push((mtime, len, path));
            }
        }
        let mut total: u64 = entries.iter().map(|e| e.1).sum();
        entries.sort();
        let mut kept = entries.len() as u64;
        for (_, len, path) in &entries {
            if total <= self.max_bytes {
                break;
            }
            if fs::remove_file(path).is_ok() {
                total -= len;
                kept -= 1;
                usage.removed_entries += 1;
                usage.removed_bytes += len;
            }
        }
        usage.entries = kept;
        usage.bytes = total;
        Ok(usage)
    }

    /// Current size of the module store.
    pub fn usage(&self) -> CacheUsage {
        let entries: Vec<_> = self
            .scan("mod")
            .into_iter()
            .filter(|e| !Self::is_temp(&e.0))
            .collect();
        CacheUsage {
            entries: entries.len() as u64,
            bytes: entries.iter().map(|e| e.2).sum(),
            ..Default::default()
        }
    }

    /// `xstap cache clean`: remove every entry (both levels).
    pub fn clean(&self) -> io::Result<CacheUsage> {
        let mut usage = CacheUsage::default();
        for sub in ["mod", "l1"] {
            for (path, _, len) in self.scan(sub) {
                if fs::remove_file(&path).is_ok() && sub == "mod" && !Self::is_temp(&path) {
                    usage.removed_entries += 1;
                    usage.removed_bytes += len;
                }
            }
        }
        Ok(usage)
    }
}

fn touch(path: &Path) {
    if let Ok(f) = fs::OpenOptions::new().append(true).open(path) {
        let _ = f.set_modified(SystemTime::now());
    }
}

fn decode_entry(bytes: &[u8]) -> Option<CachedModule> {
    let rest = bytes.strip_prefix(MAGIC)?;
    let nl = rest.iter().position(|b| *b == b'\n')?;
    let meta: EntryMeta = serde_json::from_slice(&rest[..nl]).ok()?;
    let ko = &rest[nl + 1..];
    if ko.len() as u64 != meta.ko_len || blake3::hash(ko).to_hex().as_str() != meta.ko_blake3 {
        return None;
    }
    Some(CachedModule {
        meta,
        ko: ko.to_vec(),
    })
}

/// Seconds since the epoch, for [`EntryMeta::created`].
pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn meta(name: &str) -> EntryMeta {
        EntryMeta {
            name: name.into(),
            release: "6.1.0-56-amd64".into(),
            arch: "x86".into(),
            vermagic: "6.1.0-56-amd64 SMP".into(),
            ko_len: 0,
            ko_blake3: String::new(),
            created: 0,
            xstap_version: "t".into(),
        }
    }

    fn temp_cache() -> Cache {
        let dir = fsutil::make_temp_dir(&std::env::temp_dir(), "cache-test").unwrap();
        Cache::open(dir).unwrap()
    }

    fn l2(units: &[Unit], cc: &str) -> CacheKey {
        level2_key(&Level2Inputs {
            module_name: "m",
            units,
            release: "6.1.0-56-amd64",
            arch: "x86",
            profile_hash: "p",
            cross_compile: "",
            compiler_identity: cc,
            make_vars: &[],
            xstap_version: "0.1.0",
        })
    }

    #[test]
    fn keys_are_stable_and_sensitive() {
        let units = vec![Unit {
            file_name: "m.c".into(),
            contents: "int x;".into(),
            compile: true,
        }];
        // A change here invalidates every cache: bump the derive-key context
        // on purpose only.
        expect_test::expect!["210f415210ceae6931cbdb2a83482c5cf6765698b1b926fe5bda7f8dc6c62d8e"]
            .assert_eq(&l2(&units, "gcc-12 12.2.0").to_hex());
        assert_ne!(l2(&units, "gcc-12 12.2.0"), l2(&units, "gcc-13"));
        let other = vec![Unit {
            file_name: "m.c".into(),
            contents: "int y;".into(),
            compile: true,
        }];
        assert_ne!(l2(&units, "gcc"), l2(&other, "gcc"));
        // Field boundaries matter: moving bytes between fields changes the key.
        let a = vec![Unit {
            file_name: "ab".into(),
            contents: "c".into(),
            compile: false,
        }];
        let b = vec![Unit {
            file_name: "a".into(),
            contents: "bc".into(),
            compile: false,
        }];
        assert_ne!(l2(&a, "gcc"), l2(&b, "gcc"));
        let l1 = Level1Inputs {
            scripts: &[("<-e>", "probe begin { exit() }")],
            tapsets_hash: "t",
            module_name: "m",
            release: "r",
            arch: "x86",
            profile_hash: "p",
            options: &["-g".to_string()],
            cross_compile: "",
            compiler_identity: "gcc",
            make_vars: &[],
            xstap_version: "0.1.0",
        };
        assert_eq!(l1.key(), l1.key());
        assert_ne!(l1.key(), Level1Inputs { options: &[], ..l1 }.key());
        assert_eq!(CacheKey::from_hex(&l1.key().to_hex()), Some(l1.key()));
        assert_eq!(CacheKey::from_hex("zz"), None);
    }

    #[test]
    fn put_get_level1_and_corruption() {
        let cache = temp_cache();
        let k = CacheKey([7; 32]);
        assert!(cache.get(&k).is_none());
        cache.put(&k, b"\x7fELF module", &meta("m")).unwrap();
        let m = cache.get(&k).unwrap();
        assert_eq!(m.ko, b"\x7fELF module");
        assert_eq!(m.meta.ko_len, 11);
        let l1 = CacheKey([1; 32]);
        assert_eq!(cache.lookup_level1(&l1), None);
        cache.record_level1(&l1, &k).unwrap();
        assert_eq!(cache.lookup_level1(&l1), Some(k));
        // Corrupt the entry: it becomes a miss and disappears.
        let path = cache.module_path(&k);
        let mut bytes = fs::read(&path).unwrap();
        *bytes.last_mut().unwrap() ^= 1;
        fs::write(&path, bytes).unwrap();
        assert!(cache.get(&k).is_none());
        assert!(!path.exists());
        // The level-1 record of a vanished module is a miss too.
        assert_eq!(cache.lookup_level1(&l1), None);
        fs::remove_dir_all(cache.root()).unwrap();
    }

    #[test]
    fn failed_write_leaves_nothing() {
        let cache = temp_cache();
        let k = CacheKey([9; 32]);
        let path = cache.module_path(&k);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        // Simulate a full disk in the middle of the write.
        let r = fsutil::write_atomic_with(&path, |f| {
            f.write_all(MAGIC)?;
            Err(io::Error::other("No space left on device"))
        });
        assert!(r.is_err());
        assert!(cache.get(&k).is_none());
        assert_eq!(fs::read_dir(path.parent().unwrap()).unwrap().count(), 0);
        fs::remove_dir_all(cache.root()).unwrap();
    }

    #[test]
    fn lru_eviction_keeps_recently_used() {
        // Entries are about 1200 bytes (1000 of module, the rest meta): three fit.
        let cache = temp_cache().with_max_bytes(4000);
        let ko = vec![0u8; 1000];
        let keys: Vec<CacheKey> = (0..3u8).map(|i| CacheKey([i; 32])).collect();
        for (i, k) in keys.iter().enumerate() {
            cache.put(k, &ko, &meta("m")).unwrap();
            // Distinct, increasing modification times.
            let f = fs::OpenOptions::new()
                .append(true)
                .open(cache.module_path(k))
                .unwrap();
            f.set_modified(UNIX_EPOCH + Duration::from_secs(1000 + i as u64))
                .unwrap();
        }
        // Use the oldest entry: it becomes the most recent.
        assert!(cache.get(&keys[0]).is_some());
        cache.put(&CacheKey([3; 32]), &ko, &meta("m")).unwrap();
        assert!(
            cache.get(&keys[0]).is_some(),
            "recently used entry was evicted"
        );
        assert!(cache.module_path(&keys[2]).exists());
        assert!(
            !cache.module_path(&keys[1]).exists(),
            "least recently used entry survived"
        );
        let u = cache.usage();
        assert_eq!(u.entries, 3);
        assert!(u.bytes <= 4000);
        let c = cache.clean().unwrap();
        assert_eq!(c.removed_entries, 3);
        assert_eq!(cache.usage().entries, 0);
        fs::remove_dir_all(cache.root()).unwrap();
    }

    #[test]
    fn concurrent_writers_and_readers_of_one_key() {
        let cache = Arc::new(temp_cache());
        let k = CacheKey([5; 32]);
        let threads: Vec<_> = (0..8u8)
            .map(|t| {
                let cache = cache.clone();
                std::thread::spawn(move || {
                    // Each writer stores a different (valid) module under the same key.
                    let ko: Vec<u8> = (0..20_000u32)
                        .map(|i| (i as u8).wrapping_mul(t + 1))
                        .collect();
                    for _ in 0..20 {
                        cache.put(&k, &ko, &meta("m")).unwrap();
                        if let Some(m) = cache.get(&k) {
                            assert_eq!(m.ko.len(), 20_000);
                            assert_eq!(blake3::hash(&m.ko).to_hex().as_str(), m.meta.ko_blake3);
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert!(cache.get(&k).is_some());
        // Only the one entry is left: no temporary files.
        let dir = cache.module_path(&k).parent().unwrap().to_path_buf();
        assert_eq!(fs::read_dir(dir).unwrap().count(), 1);
        fs::remove_dir_all(cache.root()).unwrap();
    }
}
