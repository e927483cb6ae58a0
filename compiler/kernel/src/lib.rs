//! Target kernel profiles: a kernel as data.
//!
//! A [`Profile`] describes one target kernel well enough to resolve probes
//! and type `$var`s without the kernel at hand: release, arch, `.config`,
//! exported symbols (`Module.symvers`), every function prototype, struct and
//! union layout and tracepoint from BTF, the real `System.map` when there is
//! one, and the paths of the build tree and images. It is read from a kbuild
//! tree and a kernel image ([`tree`], [`image`], [`btf`]), stored in the
//! xstap data directory ([`store`]), fetched for Debian kernels ([`fetch`]),
//! selected by `-r`/`-a` ([`select`]) and listed for `-l`/`-L` ([`listing`],
//! with stap's glob in [`glob`]).
//!
//! Depends on diag and plain I/O crates; no salsa (the db wraps profiles in
//! its inputs). May do I/O (files, `apt-get`/`dpkg` for fetching) but never
//! prints: results are data, failures are [`diag::Diagnostic`]s (E03xx).
//!
//! Invariants: a profile's [`ProfileMeta`] is small and always loaded; its
//! [`Tables`] are loaded at most once, on first use, and shared ([`Arc`]).
//! Bad input never panics.

// Diagnostic is the error type of every fallible function by design (see
// STYLE.md); it is large, and boxing it everywhere would only add noise.

pub mod btf;
pub mod errors;
pub mod fetch;
pub mod fixtures;
pub mod glob;
pub mod image;
pub mod listing;
pub mod lz4;
pub mod model;
pub mod select;
pub mod store;
pub mod tree;
pub mod types;
pub mod xz;

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use diag::Diagnostic;

pub use fetch::fetch_debian;
pub use model::*;
pub use select::select;
pub use types::{FoundMember, TypeClass};

/// How a profile's big tables are obtained on first use.
#[derive(Debug, Clone)]
enum TableSource {
    /// Already in memory (fixtures, freshly built profiles).
    Ready,
    /// A stored profile directory (see [`store`]).
    Dir(PathBuf),
}

/// A target kernel: the always-loaded [`ProfileMeta`] plus lazily loaded
/// [`Tables`].
#[derive(Debug)]
pub struct Profile {
    pub meta: ProfileMeta,
    source: TableSource,
    tables: OnceLock<Result<Arc<Tables>, Diagnostic>>,
    exports: OnceLock<Result<Arc<Vec<ExportedSymbol>>, Diagnostic>>,
}

impl Clone for Profile {
    fn clone(&self) -> Self {
        let tables = OnceLock::new();
        if let Some(t) = self.tables.get() {
            let _ = tables.set(t.clone());
        }
        let exports = OnceLock::new();
        if let Some(e) = self.exports.get() {
            let _ = exports.set(e.clone());
        }
        Profile {
            meta: self.meta.clone(),
            source: self.source.clone(),
            tables,
            exports,
        }
    }
}

impl Profile {
    /// A profile whose tables are already in memory.
    pub fn from_parts(meta: ProfileMeta, mut tables: Tables) -> Profile {
        tables.sort();
        let cell = OnceLock::new();
        let _ = cell.set(Ok(Arc::new(tables)));
        Profile {
            meta,
            source: TableSource::Ready,
            tables: cell,
            exports: OnceLock::new(),
        }
    }

    /// A profile stored in `dir` whose tables load on first use.
    pub(crate) fn lazy(meta: ProfileMeta, dir: PathBuf) -> Profile {
        Profile {
            meta,
            source: TableSource::Dir(dir),
            tables: OnceLock::new(),
            exports: OnceLock::new(),
        }
    }

    /// A profile from the single-file JSON form `{"meta": ..., "tables": ...}`
    /// used by fixtures (`fixtures/*.json`).
    pub fn from_json(text: &str, what: &Path) -> Result<Profile, Diagnostic> {
        #[derive(serde::Deserialize)]
        struct Whole {
            meta: ProfileMeta,
            tables: Tables,
        }
        let w: Whole =
            serde_json::from_str(text).map_err(|e| errors::bad_store(what, e.to_string()))?;
        let mut p = Profile::from_parts(w.meta, w.tables);
        if p.meta.hash.is_empty() {
            p.meta.hash = blake3::hash(text.as_bytes()).to_hex().to_string();
        }
        Ok(p)
    }

    /// The single-file JSON form (for fixtures and debugging).
    pub fn to_json(&self) -> Result<String, Diagnostic> {
        let tables = self.tables()?;
        let v = serde_json::json!({ "meta": &self.meta, "tables": &**tables });
        serde_json::to_string_pretty(&v)
            .map_err(|e| Diagnostic::bug(format!("profile to json: {e}")))
    }

    /// The big tables, loaded on first call (from the stored directory) and
    /// shared afterwards. A failure is remembered and returned again.
    pub fn tables(&self) -> Result<&Arc<Tables>, Diagnostic> {
        self.tables
            .get_or_init(|| match &self.source {
                TableSource::Ready => Ok(Arc::new(Tables::default())),
                TableSource::Dir(dir) => store::load_tables(dir, &self.meta).map(Arc::new),
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The exported symbols (`Module.symvers`, sorted by name) without
    /// loading the BTF tables: what the build step checks a module's
    /// symbols against. Shares the tables' copy when they are loaded.
    pub fn exports(&self) -> Result<&Arc<Vec<ExportedSymbol>>, Diagnostic> {
        self.exports
            .get_or_init(|| match (&self.source, self.tables.get()) {
                (_, Some(Ok(t))) => Ok(Arc::new(t.symvers.clone())),
                (TableSource::Dir(dir), _) => store::load_exports(dir).map(Arc::new),
                (TableSource::Ready, _) => Ok(Arc::new(Vec::new())),
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The export of `name`, if the kernel exports it (see [`Profile::exports`]).
    pub fn export(&self, name: &str) -> Result<Option<ExportedSymbol>, Diagnostic> {
        let e = self.exports()?;
        Ok(e.binary_search_by(|s| s.name.as_str().cmp(name))
            .ok()
            .map(|i| e[i].clone()))
    }

    /// True once the tables are in memory.
    pub fn tables_loaded(&self) -> bool {
        self.tables.get().is_some()
    }

    /// The stored directory, if the profile was loaded from one.
    pub fn dir(&self) -> Option<&Path> {
        match &self.source {
            TableSource::Dir(d) => Some(d),
            TableSource::Ready => None,
        }
    }

    /// The stored raw BTF blob (what the booted kernel exposes as
    /// `/sys/kernel/btf/vmlinux`), if the profile has one.
    pub fn btf_path(&self) -> Option<PathBuf> {
        let p = self.dir()?.join(store::BTF_FILE);
        p.is_file().then_some(p)
    }

    pub fn release(&self) -> &str {
        &self.meta.release
    }

    pub fn arch(&self) -> &Arch {
        &self.meta.arch
    }

    /// The content hash (hex blake3), the cache key of everything derived
    /// from this target.
    pub fn hash(&self) -> &str {
        &self.meta.hash
    }
}
