//! The profile store: `$XSTAP_HOME/targets/RELEASE/`, one directory per
//! kernel release, copyable between hosts.
//!
//! Files of a stored profile:
//! - `profile.json`: the [`ProfileMeta`] (small; read on every compile).
//! - `vmlinux.btf`: the raw BTF blob (types and function prototypes are
//!   parsed from it on first use: the blob is the most compact form there is
//!   and parsing it is one linear pass).
//! - `tracepoints.json`: tracepoints with their systems and argument names.
//! - `Module.symvers`: a copy of the tree's file (parsed on first use).
//! - `System.map`: only when the real one was available.
//! - `tables.json`: instead of the above, the whole [`Tables`] as JSON
//!   (fixtures and profiles without BTF).
//!
//! The profile hash is blake3 over the meta (with an empty hash) and every
//! other file, in name order; it is written into `profile.json`.
//!
//! Paths in the meta that lie inside the home (`$XSTAP_HOME/kernels/...`)
//! are written relative to it and resolved when read, so a home moves or
//! is copied between hosts without breaking its profiles or their hashes.
//!
//! Invariant: a profile directory is written under a temporary name and
//! renamed into place, so readers never see a half-written profile.

use std::fs;
use std::path::{Path, PathBuf};

use diag::Diagnostic;

use crate::model::{ProfileMeta, Tables, Tracepoint, FORMAT_VERSION};
use crate::{btf, errors, tree, Profile};

pub const META_FILE: &str = "profile.json";
pub const BTF_FILE: &str = "vmlinux.btf";
pub const TRACEPOINTS_FILE: &str = "tracepoints.json";
pub const SYMVERS_FILE: &str = "Module.symvers";
pub const SYSTEM_MAP_FILE: &str = "System.map";
pub const TABLES_FILE: &str = "tables.json";

/// The xstap data directory: `$XSTAP_HOME`, else `$XDG_DATA_HOME/xstap`,
/// else `~/.local/share/xstap`.
pub fn home() -> PathBuf {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(h) = env("XSTAP_HOME") {
        return h;
    }
    if let Some(x) = env("XDG_DATA_HOME") {
        return x.join("xstap");
    }
    env("HOME")
        .unwrap_or_else(|| PathBuf::from("/tmp"))
        .join(".local/share/xstap")
}

/// A profile ready to be stored: the meta plus the raw files.
#[derive(Debug, Clone)]
pub struct NewProfile {
    pub meta: ProfileMeta,
    pub btf: Option<Vec<u8>>,
    pub tracepoints: Vec<Tracepoint>,
    pub symvers: Option<String>,
    pub system_map: Option<String>,
    /// Used instead of the raw files when set (fixtures).
    pub tables: Option<Tables>,
}

/// The profiles under one data directory.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

impl Store {
    /// The store under `home` (see [`home`]); nothing is created yet.
    pub fn new(home: &Path) -> Store {
        Store {
            root: home.join("targets"),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The directory of `release` (whether or not it exists).
    pub fn dir_of(&self, release: &str) -> PathBuf {
        self.root.join(release)
    }

    /// Every stored profile's meta, sorted by release. Unreadable entries are
    /// returned as diagnostics beside the good ones.
    pub fn list(&self) -> (Vec<ProfileMeta>, Vec<Diagnostic>) {
        let mut metas = Vec::new();
        let mut diags = Vec::new();
        let Ok(rd) = fs::read_dir(&self.root) else {
            return (metas, diags);
        };
        for e in rd.flatten() {
            let p = e.path();
            if e.file_name().to_string_lossy().starts_with('.') || !p.join(META_FILE).is_file() {
                continue;
            }
            match read_meta(&p) {
                Ok(m) => metas.push(m),
                Err(d) => diags.push(d),
            }
        }
        metas.sort_by(|a, b| a.release.cmp(&b.release));
        (metas, diags)
    }

    /// Stored releases, sorted.
    pub fn releases(&self) -> Vec<String> {
        self.list().0.into_iter().map(|m| m.release).collect()
    }

    /// Load the profile of `release` (meta only; tables on first use).
    pub fn load(&self, release: &str) -> Result<Profile, Diagnostic> {
        let dir = self.dir_of(release);
        if !valid_release(release) || !dir.join(META_FILE).is_file() {
            return Err(errors::unknown_release(release, &self.releases()));
        }
        load_dir(&dir)
    }

    /// Remove the profile of `release`.
    pub fn remove(&self, release: &str) -> Result<(), Diagnostic> {
        let dir = self.dir_of(release);
        if !valid_release(release) || !dir.join(META_FILE).is_file() {
            return Err(errors::unknown_release(release, &self.releases()));
        }
        fs::remove_dir_all(&dir).map_err(|e| errors::io(&dir, "remove", &e))
    }

    /// Store `p`, replacing any profile of the same release, and return it
    /// loaded from its new directory.
    pub fn save(&self, p: &NewProfile) -> Result<Profile, Diagnostic> {
        let release = &p.meta.release;
        if !valid_release(release) {
            return Err(errors::bad_store(
                Path::new(release),
                "a release must be a plain file name",
            ));
        }
        fs::create_dir_all(&self.root).map_err(|e| errors::io(&self.root, "create", &e))?;
        let tmp = self
            .root
            .join(format!(".tmp-{release}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&tmp);
        fs::create_dir_all(&tmp).map_err(|e| errors::io(&tmp, "create", &e))?;
        let mut files: Vec<(&str, Vec<u8>)> = Vec::new();
        if let Some(t) = &p.tables {
            let json = serde_json::to_vec(t)
                .map_err(|e| Diagnostic::bug(format!("tables to json: {e}")))?;
            files.push((TABLES_FILE, json));
        } else {
            if let Some(b) = &p.btf {
                files.push((BTF_FILE, b.clone()));
            }
            let tp = serde_json::to_vec(&p.tracepoints)
                .map_err(|e| Diagnostic::bug(format!("tracepoints: {e}")))?;
            files.push((TRACEPOINTS_FILE, tp));
            if let Some(s) = &p.symvers {
                files.push((SYMVERS_FILE, s.clone().into_bytes()));
            }
            if let Some(s) = &p.system_map {
                files.push((SYSTEM_MAP_FILE, s.clone().into_bytes()));
            }
        }
        files.sort_by(|a, b| a.0.cmp(b.0));
        let mut meta = p.meta.clone();
        if let Some(home) = self.root.parent() {
            for_each_path(&mut meta, |path| {
                if let Ok(rel) = path.strip_prefix(home) {
                    *path = rel.to_path_buf();
                }
            });
        }
        meta.format = FORMAT_VERSION;
        meta.hash = String::new();
        let mut h = blake3::Hasher::new();
        h.update(&serde_json::to_vec(&meta).map_err(|e| Diagnostic::bug(format!("meta: {e}")))?);
        for (name, data) in &files {
            h.update(name.as_bytes());
            h.update(&(data.len() as u64).to_le_bytes());
            h.update(data);
            let path = tmp.join(name);
            fs::write(&path, data).map_err(|e| errors::io(&path, "write", &e))?;
        }
        meta.hash = h.finalize().to_hex().to_string();
        let text = serde_json::to_string_pretty(&meta)
            .map_err(|e| Diagnostic::bug(format!("meta: {e}")))?;
        let mp = tmp.join(META_FILE);
        fs::write(&mp, text).map_err(|e| errors::io(&mp, "write", &e))?;
        let dir = self.dir_of(release);
        if dir.exists() {
            fs::remove_dir_all(&dir).map_err(|e| errors::io(&dir, "replace", &e))?;
        }
        fs::rename(&tmp, &dir).map_err(|e| errors::io(&dir, "create", &e))?;
        load_dir(&dir)
    }
}

/// Every path a meta holds. A stored profile keeps the paths that lie
/// inside its home (the kernels `xstap target fetch` unpacked there)
/// relative to the home, so a home can be moved or copied to another host
/// and its profiles (and their content hashes, the cache keys) stay valid.
fn for_each_path(meta: &mut ProfileMeta, mut f: impl FnMut(&mut PathBuf)) {
    for p in [
        &mut meta.build_tree,
        &mut meta.image,
        &mut meta.bootable_image,
    ]
    .into_iter()
    .flatten()
    {
        f(p);
    }
    match &mut meta.btf_source {
        crate::model::BtfSource::Vmlinux { path }
        | crate::model::BtfSource::Image { path, .. }
        | crate::model::BtfSource::Blob { path } => f(path),
        crate::model::BtfSource::Fixture | crate::model::BtfSource::None => {}
    }
}

/// A release is used as a directory name: no separators, not hidden.
pub fn valid_release(r: &str) -> bool {
    !r.is_empty() && !r.starts_with('.') && !r.contains('/') && !r.contains('\0')
}

fn read_meta(dir: &Path) -> Result<ProfileMeta, Diagnostic> {
    let mp = dir.join(META_FILE);
    let text = fs::read(&mp).map_err(|e| errors::io(&mp, "read", &e))?;
    let meta: ProfileMeta =
        serde_json::from_slice(&text).map_err(|e| errors::bad_store(&mp, e.to_string()))?;
    let mut meta = meta;
    // Paths inside the home are stored relative to it (see `save`).
    if let Some(home) = dir.parent().and_then(Path::parent) {
        for_each_path(&mut meta, |path| {
            if path.is_relative() {
                *path = home.join(&*path);
            }
        });
    }
    if meta.format != FORMAT_VERSION {
        return Err(errors::bad_store(
            &mp,
            format!(
                "format version {} (this xstap reads {FORMAT_VERSION})",
                meta.format
            ),
        ));
    }
    Ok(meta)
}

/// Load a stored profile directory (meta now, tables on first use).
pub fn load_dir(dir: &Path) -> Result<Profile, Diagnostic> {
    let meta = read_meta(dir)?;
    Ok(Profile::lazy(meta, dir.to_path_buf()))
}

/// Read the big tables of a stored profile.
pub(crate) fn load_tables(dir: &Path, meta: &ProfileMeta) -> Result<Tables, Diagnostic> {
    let tp = dir.join(TABLES_FILE);
    if tp.is_file() {
        let text = fs::read(&tp).map_err(|e| errors::io(&tp, "read", &e))?;
        let mut t: Tables =
            serde_json::from_slice(&text).map_err(|e| errors::bad_store(&tp, e.to_string()))?;
        t.sort();
        return Ok(t);
    }
    let mut tables = Tables::default();
    // Module.symvers parses on a second thread while the BTF is read.
    let sp = dir.join(SYMVERS_FILE);
    let (btf, symvers) = std::thread::scope(|s| {
        let sym = s.spawn(|| -> Result<_, Diagnostic> {
            if !sp.is_file() {
                return Ok(Vec::new());
            }
            let text = fs::read_to_string(&sp).map_err(|e| errors::io(&sp, "read", &e))?;
            tree::parse_symvers(&text, &sp)
        });
        let bp = dir.join(BTF_FILE);
        let btf = if bp.is_file() {
            fs::read(&bp)
                .map_err(|e| errors::io(&bp, "read", &e))
                .and_then(|data| btf::parse(&data, &bp.display().to_string()))
                .map(Some)
        } else {
            Ok(None)
        };
        let symvers = sym
            .join()
            .unwrap_or_else(|_| Err(Diagnostic::bug("Module.symvers reader panicked")));
        (btf, symvers)
    });
    if let Some(parsed) = btf? {
        tables.types = parsed.types;
        tables.functions = parsed.functions;
        tables.tracepoints = parsed.tracepoints;
    }
    tables.symvers = symvers?;
    let tpp = dir.join(TRACEPOINTS_FILE);
    if tpp.is_file() {
        let text = fs::read(&tpp).map_err(|e| errors::io(&tpp, "read", &e))?;
        tables.tracepoints =
            serde_json::from_slice(&text).map_err(|e| errors::bad_store(&tpp, e.to_string()))?;
    }
    let mp = dir.join(SYSTEM_MAP_FILE);
    if meta.has_system_map && mp.is_file() {
        let text = fs::read_to_string(&mp).map_err(|e| errors::io(&mp, "read", &e))?;
        tables.system_map = tree::parse_system_map(&text, &mp)?.unwrap_or_default();
    }
    tables.sort();
    Ok(tables)
}

/// Only the exports of a stored profile (`Module.symvers`, or the
/// `tables.json` of a fixture), sorted by name.
pub(crate) fn load_exports(dir: &Path) -> Result<Vec<crate::model::ExportedSymbol>, Diagnostic> {
    let sp = dir.join(SYMVERS_FILE);
    if sp.is_file() {
        let text = fs::read_to_string(&sp).map_err(|e| errors::io(&sp, "read", &e))?;
        return tree::parse_symvers(&text, &sp);
    }
    let tp = dir.join(TABLES_FILE);
    if tp.is_file() {
        let text = fs::read(&tp).map_err(|e| errors::io(&tp, "read", &e))?;
        let mut t: Tables =
            serde_json::from_slice(&text).map_err(|e| errors::bad_store(&tp, e.to_string()))?;
        t.sort();
        return Ok(t.symvers);
    }
    Ok(Vec::new())
}
