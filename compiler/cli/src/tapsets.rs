//! Where tapsets (the script library) are found: the `-I` directories in
//! order, then the default library. The default is `SYSTEMTAP_TAPSET` when
//! set (as in SystemTap), else `share/xstap/tapsets` beside an installed
//! binary, else the workspace's `tapsets/` for a binary run from `target/`.

use std::path::PathBuf;

use crate::args::Options;

/// The tapset directories to read, in order.
pub fn dirs(opts: &Options) -> Vec<PathBuf> {
    let mut out = opts.include_dirs.clone();
    if let Some(d) = default_dir() {
        out.push(d);
    }
    out
}

/// The default tapset library, if one can be found.
pub fn default_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("SYSTEMTAP_TAPSET") {
        return Some(PathBuf::from(d));
    }
    let exe = std::env::current_exe().ok()?;
    let bin = exe.parent()?;
    let installed = bin.join("../share/xstap/tapsets");
    if installed.is_dir() {
        return Some(installed);
    }
    // target/{debug,release}/xstap -> the workspace's tapsets/.
    let dev = bin.parent()?.parent()?.join("tapsets");
    if dev.is_dir() && dev.parent()?.join("Cargo.toml").is_file() {
        return Some(dev);
    }
    None
}
