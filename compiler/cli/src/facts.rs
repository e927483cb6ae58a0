//! The target facts that preprocessor conditionals read in pass 1
//! (`kernel_v`, `kernel_vr`, `arch`, `CONFIG_*`, `guru_mode`,
//! `systemtap_v`, `$#`).
//!
//! The release is `-r` (when it names a release), else the default of the
//! kernel crate (`$XSTAP_RELEASE`, `$SYSTEMTAP_RELEASE`, `uname -r`). When a
//! stored target profile exists for it, its arch and `.config` are used;
//! otherwise the arch is `-a` or the host's and the config is read from
//! `/boot/config-RELEASE` when present. Pass 1 never fails for lack of a
//! target: unknown facts are empty.

use std::collections::HashMap;

use syntax::preprocess::SimpleFacts;

use crate::args::Options;

/// The SystemTap language version xstap follows when `--compatible` is not given.
pub const SYSTEMTAP_VERSION: &str = "5.0";

/// The facts for `opts`.
pub fn for_options(opts: &Options) -> SimpleFacts {
    let release = match opts.kernel_release.as_deref() {
        Some(r) if !r.contains('/') => Some(r.to_owned()),
        _ => kernel::select::default_release(),
    }
    .unwrap_or_default();
    let mut arch =
        kernel::model::Arch::normalize(opts.arch.as_deref().unwrap_or(std::env::consts::ARCH));
    let mut config = HashMap::new();
    let profile = if release.is_empty() {
        None
    } else {
        kernel::select::select(&kernel::store::home(), Some(&release), opts.arch.as_deref()).ok()
    };
    match profile {
        Some(p) => {
            arch = p.meta.arch.clone();
            for (k, v) in &p.meta.config {
                config.insert(k.clone(), v.as_str().to_owned());
            }
        }
        None => {
            if let Ok(text) = std::fs::read_to_string(format!("/boot/config-{release}")) {
                config = parse_config(&text);
            }
        }
    }
    SimpleFacts {
        kernel_v: release.split('-').next().unwrap_or_default().to_owned(),
        kernel_vr: release,
        arch: arch.name().to_owned(),
        guru_mode: opts.guru,
        systemtap_v: opts
            .compatible
            .map(|v| v.to_string())
            .unwrap_or_else(|| SYSTEMTAP_VERSION.to_owned()),
        config,
        arg_count: opts.script_args.len(),
        privilege: None,
    }
}

/// `CONFIG_X=value` lines of a kernel `.config` (strings unquoted).
fn parse_config(text: &str) -> HashMap<String, String> {
    text.lines()
        .filter(|l| l.starts_with("CONFIG_"))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.trim_matches('"').to_owned()))
        .collect()
}
