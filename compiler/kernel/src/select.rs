//! Choosing the target kernel like stap's `-r` and `-a`: `-r KVER` selects a
//! stored profile by release, `-r /path/to/tree` a build tree (read and
//! stored on first use), and without `-r` the release is `$XSTAP_RELEASE`,
//! then `$SYSTEMTAP_RELEASE`, then the running kernel's (`uname -r`). `-a`
//! is normalised ([`Arch::normalize`]) and must agree with the profile.

use std::path::{Path, PathBuf};

use diag::Diagnostic;

use crate::model::Arch;
use crate::store::Store;
use crate::{errors, tree, Profile};

/// What `-r` names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selector {
    Release(String),
    Tree(PathBuf),
}

impl Selector {
    /// `-r` text: a path when it contains `/`, else a release.
    pub fn parse(r: &str) -> Selector {
        if r.contains('/') {
            Selector::Tree(PathBuf::from(r))
        } else {
            Selector::Release(r.to_string())
        }
    }
}

/// The running kernel's release (`uname -r`), if it can be read.
pub fn running_release() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// The `-r` default: `$XSTAP_RELEASE`, `$SYSTEMTAP_RELEASE`, `uname -r`.
pub fn default_release() -> Option<String> {
    ["XSTAP_RELEASE", "SYSTEMTAP_RELEASE"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
        .or_else(running_release)
}

/// Select the target profile from `-r` (`None`: the default) and `-a`.
pub fn select(home: &Path, r: Option<&str>, arch: Option<&str>) -> Result<Profile, Diagnostic> {
    let store = Store::new(home);
    let sel = match r {
        Some(r) => Selector::parse(r),
        None => Selector::parse(&default_release().unwrap_or_default()),
    };
    let profile = match sel {
        Selector::Release(rel) => store.load(&rel)?,
        Selector::Tree(path) => select_tree(&store, &path)?,
    };
    if let Some(a) = arch {
        let want = Arch::normalize(a);
        if want != profile.meta.arch {
            return Err(errors::arch_mismatch(
                &profile.meta.release,
                profile.meta.arch.name(),
                want.name(),
            ));
        }
    }
    Ok(profile)
}

/// The profile of a build tree: the stored one when its tree is this path,
/// else read the tree and store it.
fn select_tree(store: &Store, path: &Path) -> Result<Profile, Diagnostic> {
    let canon =
        std::fs::canonicalize(path).map_err(|_| errors::not_a_tree(path, "no such directory"))?;
    if let Some(rel) = tree::release_of(&canon) {
        if let Ok(p) = store.load(&rel) {
            if p.meta.build_tree.as_deref() == Some(canon.as_path()) {
                return Ok(p);
            }
        }
    }
    let read = tree::read(&canon, None)?;
    store.save(&read.profile)
}
