//! Checks that run before make, so that a predictable failure is explained
//! in one sentence instead of surfacing as a kbuild error: the build tree
//! is complete, the (cross) compiler and `pahole` are installed, and every
//! kernel symbol the module calls is exported by the target.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::SystemTime;

use diag::Diagnostic;

use crate::toolchain::{self, Toolchain};
use crate::{codes, BuildTarget, Exports};

/// Read the exported symbol names of a `Module.symvers` file
/// (`CRC<TAB>symbol<TAB>module<TAB>export-type<TAB>namespace`).
pub fn parse_symvers(text: &str) -> HashSet<String> {
    text.lines()
        .filter_map(|l| l.split('\t').nth(1))
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Read a `Module.symvers`, memoised per (path, size, modification time):
/// many jobs for one target parse it once.
pub fn read_symvers(path: &Path) -> io::Result<Arc<HashSet<String>>> {
    type Memo = Mutex<HashMap<(PathBuf, u64, Option<SystemTime>), Arc<HashSet<String>>>>;
    static MEMO: OnceLock<Memo> = OnceLock::new();
    let meta = fs::metadata(path)?;
    let key = (path.to_path_buf(), meta.len(), meta.modified().ok());
    let memo = MEMO.get_or_init(Default::default);
    if let Some(set) = memo.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
        return Ok(set.clone());
    }
    let set = Arc::new(parse_symvers(&fs::read_to_string(path)?));
    memo.lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(key, set.clone());
    Ok(set)
}

/// The target's exported symbols, loading them when needed.
pub fn exports_of(target: &BuildTarget) -> Result<Arc<HashSet<String>>, Diagnostic> {
    let path = match &target.exports {
        Exports::Set(s) => return Ok(s.clone()),
        Exports::File(p) => p.clone(),
        Exports::FromBuildTree => target.kdir.join("Module.symvers"),
    };
    read_symvers(&path).map_err(|e| {
        Diagnostic::error(
            codes::BUILD_TREE_UNUSABLE,
            format!(
                "cannot read the exported symbols of {} from {}: {e}",
                target.release,
                path.display()
            ),
        )
        .with_help("the build tree lacks Module.symvers; reinstall the target's headers package")
    })
}

/// One diagnostic per required symbol the target does not export.
pub fn check_exports(
    required: &[String],
    exports: &HashSet<String>,
    target: &BuildTarget,
) -> Vec<Diagnostic> {
    let mut missing: Vec<&String> = required
        .iter()
        .filter(|s| !exports.contains(s.as_str()))
        .collect();
    missing.sort();
    missing.dedup();
    missing
        .into_iter()
        .map(|sym| {
            Diagnostic::error(
                codes::MISSING_EXPORT,
                format!("kernel {} ({}) does not export `{sym}`, which the module needs", target.release, target.arch),
            )
            .with_note(format!(
                "`{sym}` is not in the target's Module.symvers, so a module cannot call it: the kernel lacks it, \
                 was built without the option that provides it, or keeps it internal"
            ))
            .with_help(format!(
                "remove the probe or function that needs `{sym}` for this target (guard it with a `%( kernel_v ... %)` \
                 or `%( CONFIG_... %)` conditional), or build for a kernel that exports it"
            ))
        })
        .collect()
}

/// Check the build tree and the tools before running make.
pub fn check_build_tree(target: &BuildTarget, tc: &Toolchain) -> Vec<Diagnostic> {
    let kdir = &target.kdir;
    let mut out = Vec::new();
    if !kdir.is_dir() {
        out.push(
            Diagnostic::error(
                codes::BUILD_TREE_UNUSABLE,
                format!(
                    "the build tree of {} does not exist: {}",
                    target.release,
                    kdir.display()
                ),
            )
            .with_help(format!(
                "install or fetch the headers of {} (Debian: linux-headers-{})",
                target.release, target.release
            )),
        );
        return out;
    }
    let needed = [
        ("Makefile", "the top-level Makefile"),
        (".config", "the kernel configuration"),
        ("Module.symvers", "the list of exported symbols"),
        (
            "scripts/basic/fixdep",
            "kbuild's host tools (linux-kbuild-* on Debian)",
        ),
        (
            "scripts/mod/modpost",
            "kbuild's modpost tool (linux-kbuild-* on Debian)",
        ),
    ];
    let missing: Vec<String> = needed
        .iter()
        .filter(|(f, _)| !kdir.join(f).exists())
        .map(|(f, what)| format!("{f} ({what})"))
        .collect();
    if !missing.is_empty() {
        let mut d = Diagnostic::error(
            codes::BUILD_TREE_UNUSABLE,
            format!(
                "the build tree of {} at {} is incomplete",
                target.release,
                kdir.display()
            ),
        );
        for m in &missing {
            d = d.with_note(format!("missing: {m}"));
        }
        if kdir.join("scripts").is_symlink() && !kdir.join("scripts").exists() {
            d = d.with_note("`scripts` is a dangling symlink: the linux-kbuild package is not unpacked next to the headers");
        }
        out.push(d.with_help(format!(
            "reinstall the headers of {} with their kbuild tools (Debian: linux-headers-{} and linux-kbuild-*)",
            target.release, target.release
        )));
    }
    // The tree must be the target's: its UTS_RELEASE becomes the module's
    // vermagic. (Debian's `include/config/kernel.release` holds the upstream
    // version, `6.1.192`; `utsrelease.h` holds the ABI name, `6.1.0-56-arm64`.)
    if let Some(rel) = uts_release(kdir) {
        let rel = rel.as_str();
        if !rel.is_empty() && rel != target.release {
            out.push(
                Diagnostic::error(
                    codes::TREE_RELEASE_MISMATCH,
                    format!("the build tree at {} is for kernel {rel}, not for the target {}", kdir.display(), target.release),
                )
                .with_note("a module built there would carry that kernel's vermagic, and the target would refuse to load it")
                .with_help(format!("fetch or add the target again so its profile and tree agree: `xstap target fetch debian:{}`", target.release)),
            );
        }
    }
    if toolchain::which(&tc.cc).is_none() {
        let pkg = toolchain::debian_package_for(&tc.cc);
        let what = if tc.cross_compile.is_empty() {
            "C compiler"
        } else {
            "cross compiler"
        };
        out.push(
            Diagnostic::error(
                codes::COMPILER_MISSING,
                format!(
                    "the {what} `{}` for {} ({}) is not installed",
                    tc.cc, target.release, tc.arch
                ),
            )
            .with_note(format!(
                "kbuild runs `{}` (CROSS_COMPILE=`{}`); it is not on PATH",
                tc.cc, tc.cross_compile
            ))
            .with_help(format!(
                "install it: `apt-get install {pkg}`, or choose another compiler with -B CC=..."
            )),
        );
    }
    if needs_pahole(kdir) && toolchain::which("pahole").is_none() {
        out.push(
            Diagnostic::error(codes::PAHOLE_MISSING, format!("building modules for {} needs `pahole`", target.release))
                .with_note("the kernel has CONFIG_DEBUG_INFO_BTF_MODULES=y and its build tree ships vmlinux, so kbuild generates module BTF")
                .with_help("install it: `apt-get install pahole`, or skip module BTF with -B CONFIG_DEBUG_INFO_BTF_MODULES="),
        );
    }
    out
}

/// `UTS_RELEASE` from the tree's `include/generated/utsrelease.h`.
pub fn uts_release(kdir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(kdir.join("include/generated/utsrelease.h")).ok()?;
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("#define UTS_RELEASE"))?;
    let start = line.find('"')? + 1;
    let end = start + line[start..].find('"')?;
    Some(line[start..end].to_string())
}

/// Whether kbuild will run pahole for modules of this tree.
pub fn needs_pahole(kdir: &Path) -> bool {
    let btf = fs::read_to_string(kdir.join(".config"))
        .map(|c| {
            c.lines()
                .any(|l| l.trim() == "CONFIG_DEBUG_INFO_BTF_MODULES=y")
        })
        .unwrap_or(false);
    btf && kdir.join("vmlinux").exists()
}

/// A warning when the compiler's version number differs from the one
/// recorded in the build tree (`CONFIG_CC_VERSION_TEXT`). Only the
/// upstream version is compared: Debian's cross compilers carry another
/// package revision than the native compiler that built the kernel.
pub fn check_compiler_version(target: &BuildTarget, identity: &str) -> Option<Diagnostic> {
    let want = toolchain::kernel_cc_version_text(&target.kdir)?;
    // "gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0": the version is the last word.
    let have_line = identity.lines().nth(1).unwrap_or("");
    let version = |s: &str| {
        s.split_whitespace()
            .last()
            .map(str::to_string)
            .unwrap_or_default()
    };
    if version(&want).is_empty() || version(&want) == version(have_line) {
        return None;
    }
    Some(
        Diagnostic::warning(
            codes::COMPILER_VERSION_DIFFERS,
            format!(
                "kernel {} was built with `{want}`, the compiler here is `{have_line}`",
                target.release
            ),
        )
        .with_help("modules usually still load; install the same compiler version to be sure"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(kdir: &Path) -> BuildTarget {
        BuildTarget {
            release: "6.1.0-56-arm64".into(),
            arch: "arm64".into(),
            kdir: kdir.to_path_buf(),
            cross_compile: None,
            cc: None,
            profile_hash: String::new(),
            exports: Exports::FromBuildTree,
        }
    }

    #[test]
    fn symvers_and_missing_exports() {
        let set = parse_symvers("0x1\tprintk\tvmlinux\tEXPORT_SYMBOL\t\n0x2\tregister_kprobe\tvmlinux\tEXPORT_SYMBOL_GPL\t\n");
        assert!(set.contains("register_kprobe"));
        let t = target(Path::new("/nonexistent"));
        let d = check_exports(
            &["printk".into(), "no_such_fn".into(), "no_such_fn".into()],
            &set,
            &t,
        );
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].code, codes::MISSING_EXPORT);
        assert!(d[0].message.contains("no_such_fn") && d[0].message.contains("6.1.0-56-arm64"));
        assert!(d[0].help.is_some());
    }

    #[test]
    fn compiler_versions_compare_upstream_numbers() {
        let dir = crate::fsutil::make_temp_dir(&std::env::temp_dir(), "pf-cc").unwrap();
        fs::write(
            dir.join(".config"),
            "CONFIG_CC_VERSION_TEXT=\"gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0\"\n",
        )
        .unwrap();
        let t = target(&dir);
        assert!(check_compiler_version(
            &t,
            "/usr/bin/x\naarch64-linux-gnu-gcc-12 (Debian 12.2.0-14) 12.2.0"
        )
        .is_none());
        let w = check_compiler_version(&t, "/usr/bin/x\ngcc-14 (Debian 14.2.0-19) 14.2.0").unwrap();
        assert_eq!(w.code, codes::COMPILER_VERSION_DIFFERS);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn missing_tree_is_explained() {
        let t = target(Path::new("/nonexistent/kdir"));
        let tc = toolchain::resolve(&t);
        let d = check_build_tree(&t, &tc);
        assert_eq!(d[0].code, codes::BUILD_TREE_UNUSABLE);
        let empty = crate::fsutil::make_temp_dir(&std::env::temp_dir(), "pf-test").unwrap();
        let t = BuildTarget {
            cc: Some("no-such-gcc-99".into()),
            ..target(&empty)
        };
        let tc = toolchain::resolve(&t);
        let codes: Vec<_> = check_build_tree(&t, &tc).iter().map(|d| d.code).collect();
        assert_eq!(codes, [codes::BUILD_TREE_UNUSABLE, codes::COMPILER_MISSING]);
        fs::remove_dir_all(&empty).unwrap();
    }

    #[test]
    fn a_tree_of_another_kernel_is_refused() {
        let dir = crate::fsutil::make_temp_dir(&std::env::temp_dir(), "pf-rel").unwrap();
        fs::create_dir_all(dir.join("include/generated")).unwrap();
        fs::write(
            dir.join("include/generated/utsrelease.h"),
            "#define UTS_RELEASE \"6.1.0-47-arm64\"\n",
        )
        .unwrap();
        let t = target(&dir);
        let tc = toolchain::resolve(&t);
        let d = check_build_tree(&t, &tc);
        let m = d
            .iter()
            .find(|d| d.code == codes::TREE_RELEASE_MISMATCH)
            .expect("the mismatch is reported");
        assert!(
            m.message.contains("6.1.0-47-arm64") && m.message.contains(&t.release),
            "{}",
            m.message
        );
        assert!(m
            .help
            .as_deref()
            .is_some_and(|h| h.contains("xstap target fetch")));
        fs::write(
            dir.join("include/generated/utsrelease.h"),
            format!("#define UTS_RELEASE \"{}\"\n", t.release),
        )
        .unwrap();
        assert!(check_build_tree(&t, &tc)
            .iter()
            .all(|d| d.code != codes::TREE_RELEASE_MISMATCH));
        fs::remove_dir_all(&dir).unwrap();
    }
}
