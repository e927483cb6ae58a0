//! `xstap target add|list|show|rm|fetch` and the `-l`/`-L` listing of kernel
//! probe points, over the profiles of the `kernel` crate.
//!
//! [`main`] takes the arguments after `target` and returns the text for
//! stdout plus diagnostics; [`listing`] answers `-l`/`-L` for one probe
//! point against the profile selected by `-r`/`-a`. Both only format: the
//! work is in `kernel::{tree, store, fetch, select, listing}`. The data
//! directory is `kernel::store::home()` (`$XSTAP_HOME`, ...).

use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use diag::Diagnostic;
use kernel::store::Store;
use kernel::{Arch, BtfSource, Profile, ProfileMeta};

pub const USAGE: &str = "\
Usage: xstap target COMMAND [ARGS]

Target kernel profiles (stored under $XSTAP_HOME/targets, default
~/.local/share/xstap/targets):

  add BUILD_TREE [--image IMAGE]   read a kbuild tree (/lib/modules/KVER/build or
                                   an unpacked linux-headers-KVER) and its kernel
                                   image (vmlinuz, vmlinux, arm64 Image) for BTF
  fetch debian:KVER                download a Debian kernel's headers and image
                                   with apt-get (no install) and add its profile
  list [--json]                    the stored profiles
  show KVER [--json]               one profile in detail
  rm KVER                          remove a profile
";

/// The result of a subcommand: text for stdout and diagnostics for stderr.
#[derive(Debug, Default)]
pub struct Outcome {
    pub stdout: String,
    pub diags: Vec<Diagnostic>,
}

impl Outcome {
    fn err(d: Diagnostic) -> Outcome {
        Outcome {
            stdout: String::new(),
            diags: vec![d],
        }
    }
}

fn usage_error(msg: impl Into<String>) -> Diagnostic {
    Diagnostic::error("E0313", msg).with_help("see `xstap target help`")
}

/// `xstap target ARGS...` with the data directory `home`.
pub fn main(args: &[OsString], home: &Path) -> Outcome {
    let args: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let json = args.iter().any(|a| a == "--json");
    let rest: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| *a != "--json")
        .collect();
    let store = Store::new(home);
    match rest.as_slice() {
        [] | ["help" | "--help" | "-h"] => Outcome {
            stdout: USAGE.to_string(),
            diags: vec![],
        },
        ["add", more @ ..] => add(&store, more),
        ["fetch", spec] => fetch(home, spec),
        ["list"] => list(&store, json),
        ["show", kver] => show(&store, kver, json),
        ["rm", kver] => match store.remove(kver) {
            Ok(()) => Outcome {
                stdout: format!("removed {kver}\n"),
                diags: vec![],
            },
            Err(d) => Outcome::err(d),
        },
        [cmd, ..] => Outcome::err(usage_error(format!(
            "unknown or incomplete `xstap target {cmd}` command"
        ))),
    }
}

fn add(store: &Store, args: &[&str]) -> Outcome {
    let mut tree = None;
    let mut image = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if let Some(v) = a.strip_prefix("--image=") {
            image = Some(PathBuf::from(v));
        } else if *a == "--image" {
            match it.next() {
                Some(v) => image = Some(PathBuf::from(v)),
                None => return Outcome::err(usage_error("`--image` needs a kernel image path")),
            }
        } else if tree.is_none() && !a.starts_with('-') {
            tree = Some(PathBuf::from(a));
        } else {
            return Outcome::err(usage_error(format!(
                "unexpected argument `{a}` to `xstap target add`"
            )));
        }
    }
    let Some(tree) = tree else {
        return Outcome::err(usage_error(
            "`xstap target add` needs a build tree (e.g. /lib/modules/KVER/build)",
        ));
    };
    let read = match kernel::tree::read(&tree, image.as_deref()) {
        Ok(r) => r,
        Err(d) => return Outcome::err(d),
    };
    match store.save(&read.profile) {
        Ok(p) => Outcome {
            stdout: summary("added", &p),
            diags: read.warnings,
        },
        Err(d) => Outcome {
            stdout: String::new(),
            diags: [read.warnings, vec![d]].concat(),
        },
    }
}

fn fetch(home: &Path, spec: &str) -> Outcome {
    let Some(kver) = kernel::fetch::parse_spec(spec) else {
        return Outcome::err(usage_error(format!(
            "`{spec}`: give the kernel as `debian:KVER`, e.g. `debian:6.1.0-56-amd64`"
        )));
    };
    match kernel::fetch::fetch_debian(kver, home) {
        Ok(k) => {
            let mut out = match kernel::store::load_dir(&k.profile_dir) {
                Ok(p) => summary(
                    if k.cached {
                        "already fetched"
                    } else {
                        "fetched"
                    },
                    &p,
                ),
                Err(d) => return Outcome::err(d),
            };
            let _ = writeln!(out, "  kdir:        {}", k.kdir.display());
            let _ = writeln!(out, "  boot image:  {}", k.bootable_image.display());
            let _ = writeln!(out, "  time:        {:.1} s", k.elapsed.as_secs_f64());
            Outcome {
                stdout: out,
                diags: vec![],
            }
        }
        Err(d) => Outcome::err(d),
    }
}

fn summary(verb: &str, p: &Profile) -> String {
    let m = &p.meta;
    let c = &m.counts;
    format!(
        "{verb} {} ({}): {} functions, {} structs, {} unions, {} tracepoints, {} exports, BTF {} bytes\n  profile:     {}\n  hash:        {}\n",
        m.release,
        m.arch,
        c.functions,
        c.structs,
        c.unions,
        c.tracepoints,
        c.exports,
        c.btf_bytes,
        p.dir().map(|d| d.display().to_string()).unwrap_or_default(),
        m.hash
    )
}

fn list(store: &Store, json: bool) -> Outcome {
    let (metas, diags) = store.list();
    if json {
        let v: Vec<serde_json::Value> = metas.iter().map(meta_json).collect();
        return Outcome {
            stdout: format!("{}\n", serde_json::Value::Array(v)),
            diags,
        };
    }
    let mut out = String::new();
    if metas.is_empty() {
        let _ = writeln!(
            out,
            "no target profiles in {} (add one with `xstap target add` or `xstap target fetch debian:KVER`)",
            store.root().display()
        );
        return Outcome { stdout: out, diags };
    }
    let w = metas
        .iter()
        .map(|m| m.release.len())
        .max()
        .unwrap_or(7)
        .max(7);
    let _ = writeln!(
        out,
        "{:<w$}  {:<8} {:>9} {:>8} {:>11} {:>8}  {:<12}  BUILD TREE",
        "RELEASE", "ARCH", "FUNCTIONS", "STRUCTS", "TRACEPOINTS", "EXPORTS", "HASH"
    );
    for m in &metas {
        let c = &m.counts;
        let _ = writeln!(
            out,
            "{:<w$}  {:<8} {:>9} {:>8} {:>11} {:>8}  {:<12}  {}",
            m.release,
            m.arch.name(),
            c.functions,
            c.structs,
            c.tracepoints,
            c.exports,
            &m.hash[..m.hash.len().min(12)],
            m.build_tree
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "-".into())
        );
    }
    Outcome { stdout: out, diags }
}

fn meta_json(m: &ProfileMeta) -> serde_json::Value {
    serde_json::json!({
        "release": m.release,
        "arch": m.arch.name(),
        "version": m.version,
        "build_tree": m.build_tree,
        "image": m.image,
        "bootable_image": m.bootable_image,
        "cc": m.cc,
        "btf_source": m.btf_source,
        "counts": m.counts,
        "hash": m.hash,
    })
}

fn show(store: &Store, kver: &str, json: bool) -> Outcome {
    let p = match store.load(kver) {
        Ok(p) => p,
        Err(d) => return Outcome::err(d),
    };
    let m = &p.meta;
    if json {
        let mut v = meta_json(m);
        v["profile_dir"] = serde_json::json!(p.dir());
        v["btf_path"] = serde_json::json!(p.btf_path());
        v["compiler"] = serde_json::json!(m.compiler_for(&Arch::host()));
        v["cross_compile"] = serde_json::json!(m.cross_compile_for(&Arch::host()));
        v["kbuild_arch"] = serde_json::json!(m.arch.kbuild_arch());
        return Outcome {
            stdout: format!("{v:#}\n"),
            diags: vec![],
        };
    }
    let path = |p: &Option<PathBuf>| {
        p.as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "-".into())
    };
    let btf = match &m.btf_source {
        BtfSource::Vmlinux { path } => format!("ELF vmlinux {}", path.display()),
        BtfSource::Image { path, method } => format!("{} ({method})", path.display()),
        BtfSource::Blob { path } => format!("blob {}", path.display()),
        BtfSource::Fixture => "fixture".into(),
        BtfSource::None => "none".into(),
    };
    let host = Arch::host();
    let c = &m.counts;
    let mut out = String::new();
    let _ = writeln!(out, "release:        {}", m.release);
    let _ = writeln!(
        out,
        "arch:           {} (kbuild ARCH={})",
        m.arch,
        m.arch.kbuild_arch()
    );
    let _ = writeln!(
        out,
        "version:        {}",
        m.version.as_deref().unwrap_or("-")
    );
    let _ = writeln!(out, "build tree:     {}", path(&m.build_tree));
    let _ = writeln!(out, "image:          {}", path(&m.image));
    let _ = writeln!(out, "bootable image: {}", path(&m.bootable_image));
    let _ = writeln!(
        out,
        "compiler:       {} (CC {})",
        m.compiler_for(&host),
        m.cc.as_deref().unwrap_or("default")
    );
    let _ = writeln!(
        out,
        "CROSS_COMPILE:  {}",
        m.cross_compile_for(&host).unwrap_or("(native)")
    );
    let _ = writeln!(
        out,
        "built with:     {}",
        m.cc_version_text.as_deref().unwrap_or("-")
    );
    let _ = writeln!(out, "BTF:            {btf}, {} bytes", c.btf_bytes);
    let _ = writeln!(out, "BTF blob:       {}", path(&p.btf_path()));
    let _ = writeln!(
        out,
        "types:          {} ({} structs, {} unions)",
        c.types, c.structs, c.unions
    );
    let _ = writeln!(out, "functions:      {}", c.functions);
    let _ = writeln!(out, "tracepoints:    {}", c.tracepoints);
    let _ = writeln!(out, "exports:        {}", c.exports);
    let _ = writeln!(
        out,
        "System.map:     {}",
        if m.has_system_map {
            format!("{} symbols", c.system_map)
        } else {
            "none (placeholder or absent)".into()
        }
    );
    let _ = writeln!(out, "config:         {} options", m.config.len());
    for k in [
        "CONFIG_MODVERSIONS",
        "CONFIG_MODULE_SIG_FORCE",
        "CONFIG_KPROBES",
        "CONFIG_TRACEPOINTS",
        "CONFIG_DEBUG_INFO_BTF",
        "CONFIG_SECURITY_LOCKDOWN_LSM",
    ] {
        let _ = writeln!(
            out,
            "  {k}={}",
            m.config(k)
                .map(|v| v.to_config_text())
                .unwrap_or_else(|| "n".into())
        );
    }
    let _ = writeln!(
        out,
        "profile:        {}",
        p.dir().map(|d| d.display().to_string()).unwrap_or_default()
    );
    let _ = writeln!(out, "hash:           {}", m.hash);
    Outcome {
        stdout: out,
        diags: vec![],
    }
}

/// `-l PP` / `-L PP` (`with_vars`) for a kernel probe point, against the
/// profile chosen by `-r` (`release`) and `-a` (`arch`). Lines for stdout.
/// The elaborator's listing (pass2) supersedes it for full scripts; this
/// profile-only form stays for tests and tools.
#[allow(dead_code)]
pub fn listing(
    home: &Path,
    release: Option<&str>,
    arch: Option<&str>,
    point: &str,
    with_vars: bool,
) -> Result<Vec<String>, Diagnostic> {
    // Parse the point first: a bad point is reported even without a profile.
    kernel::listing::parse_point(point)?;
    let profile = kernel::select::select(home, release, arch)?;
    kernel::listing::list(&profile, point, with_vars)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(home: &Path, args: &[&str]) -> Outcome {
        let a: Vec<OsString> = args.iter().map(OsString::from).collect();
        main(&a, home)
    }

    #[test]
    fn empty_store_and_errors() {
        let home = std::env::temp_dir().join(format!("xstap-cli-target-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&home);
        let o = run(&home, &["list"]);
        assert!(o.stdout.starts_with("no target profiles"), "{}", o.stdout);
        assert_eq!(run(&home, &["show", "9.9.9-none"]).diags[0].code, "E0304");
        assert_eq!(run(&home, &["rm", "9.9.9-none"]).diags[0].code, "E0304");
        assert_eq!(
            run(&home, &["add", "/nonexistent/tree"]).diags[0].code,
            "E0301"
        );
        assert_eq!(
            run(&home, &["fetch", "6.1.0-56-amd64"]).diags[0].code,
            "E0313"
        );
        assert_eq!(run(&home, &["frobnicate"]).diags[0].code, "E0313");
        let l = listing(
            &home,
            Some("9.9.9-none"),
            None,
            "kernel.function(\"vfs_*\")",
            false,
        );
        assert_eq!(l.unwrap_err().code, "E0304");
        let l = listing(&home, Some("9.9.9-none"), None, "begin", false);
        assert_eq!(l.unwrap_err().code, "E0313");
        let _ = std::fs::remove_dir_all(&home);
    }
}
