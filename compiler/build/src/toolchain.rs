//! Choosing the compiler for a target: the kernel `ARCH`, the
//! `CROSS_COMPILE` prefix, the C compiler command kbuild will run, where it
//! is on `PATH`, which Debian package installs it, and its identity (the
//! `--version` output, part of cache keys, memoised per binary).

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::time::SystemTime;

use crate::BuildTarget;

/// Normalise an architecture name to kernel `ARCH` (`x86`, `arm64`, ...).
pub fn kernel_arch(arch: &str) -> String {
    match arch {
        "x86" | "x86_64" | "amd64" | "i386" | "i686" => "x86".into(),
        "arm64" | "aarch64" => "arm64".into(),
        "riscv64" | "riscv" => "riscv".into(),
        "powerpc" | "ppc64el" | "ppc64le" | "ppc64" => "powerpc".into(),
        "s390x" | "s390" => "s390".into(),
        other => other.into(),
    }
}

/// The kernel `ARCH` of the machine xstap runs on.
pub fn host_kernel_arch() -> String {
    kernel_arch(std::env::consts::ARCH)
}

/// GNU triplet prefix (`aarch64-linux-gnu-`) of a kernel arch's compilers.
pub fn gnu_prefix(arch: &str) -> Option<&'static str> {
    match kernel_arch(arch).as_str() {
        "x86" => Some("x86_64-linux-gnu-"),
        "arm64" => Some("aarch64-linux-gnu-"),
        "riscv" => Some("riscv64-linux-gnu-"),
        "powerpc" => Some("powerpc64le-linux-gnu-"),
        "s390" => Some("s390x-linux-gnu-"),
        _ => None,
    }
}

/// `CROSS_COMPILE` for building for `arch` on this host: none when the
/// arch is the host's, the Debian cross-compiler prefix otherwise.
pub fn default_cross_compile(arch: &str) -> Option<String> {
    if kernel_arch(arch) == host_kernel_arch() {
        None
    } else {
        gnu_prefix(arch).map(str::to_string)
    }
}

/// The compiler setup for one target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Toolchain {
    /// Kernel `ARCH`.
    pub arch: String,
    /// `CROSS_COMPILE`, empty for none.
    pub cross_compile: String,
    /// The compiler command kbuild will run (e.g. `aarch64-linux-gnu-gcc-12`).
    pub cc: String,
    /// Whether `CC=` must be passed to make (the user chose `cc`).
    pub pass_cc: bool,
}

/// Find the compiler name a build tree asks for: Debian's
/// `.kernelvariables` says `CC = ... $(CROSS_COMPILE)gcc-12`.
pub fn build_tree_cc_name(kdir: &Path) -> Option<String> {
    let vars = fs::read_to_string(kdir.join(".kernelvariables")).ok()?;
    vars.lines().find_map(|l| {
        let l = l.trim();
        let rest = l.strip_prefix("CC")?.trim_start().strip_prefix('=')?;
        let word = rest.split_whitespace().last()?;
        word.strip_prefix("$(CROSS_COMPILE)").map(str::to_string)
    })
}

/// `CROSS_COMPILE` forced by the build tree (`override CROSS_COMPILE = ...`
/// in Debian's 6.12 arm64 `.kernelvariables`), which wins over ours.
pub fn build_tree_cross_override(kdir: &Path) -> Option<String> {
    let vars = fs::read_to_string(kdir.join(".kernelvariables")).ok()?;
    vars.lines().find_map(|l| {
        let rest = l
            .trim()
            .strip_prefix("override CROSS_COMPILE")?
            .trim_start()
            .strip_prefix('=')?;
        let v = rest.trim();
        (!v.contains("$(")).then(|| v.to_string())
    })
}

/// Resolve the compiler for a target.
pub fn resolve(target: &BuildTarget) -> Toolchain {
    let arch = kernel_arch(&target.arch);
    let cross = build_tree_cross_override(&target.kdir)
        .or_else(|| target.cross_compile.clone())
        .or_else(|| default_cross_compile(&arch))
        .unwrap_or_default();
    match &target.cc {
        Some(cc) => Toolchain {
            arch,
            cross_compile: cross,
            cc: cc.clone(),
            pass_cc: true,
        },
        None => {
            let base = build_tree_cc_name(&target.kdir).unwrap_or_else(|| "gcc".into());
            Toolchain {
                arch,
                cc: format!("{cross}{base}"),
                cross_compile: cross,
                pass_cc: false,
            }
        }
    }
}

/// Like [`resolve`], honouring `CROSS_COMPILE=` and `CC=` among the
/// user's make variables (`-B`), which make will use over ours. For
/// `CC="ccache gcc-12"` the compiler is the last word.
pub fn resolve_with(target: &BuildTarget, make_vars: &[(String, String)]) -> Toolchain {
    let var = |name: &str| {
        make_vars
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let mut t = target.clone();
    if let Some(cross) = var("CROSS_COMPILE") {
        t.cross_compile = Some(cross);
    }
    let mut tc = resolve(&t);
    if let Some(cc) = var("CC") {
        if let Some(last) = cc.split_whitespace().last() {
            tc.cc = last.to_string();
            // make receives the user's CC= itself.
            tc.pass_cc = false;
        }
    }
    tc
}

/// Look a program up on `PATH` (or check it directly when it has a `/`).
pub fn which(prog: &str) -> Option<PathBuf> {
    let is_exec = |p: &Path| {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(p)
            .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    };
    if prog.contains('/') {
        let p = PathBuf::from(prog);
        return is_exec(&p).then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(prog))
        .find(|p| is_exec(p))
}

/// The Debian package that installs compiler `cc` (`gcc-12`,
/// `gcc-12-aarch64-linux-gnu`, ...), for help lines.
pub fn debian_package_for(cc: &str) -> String {
    let base = cc.rsplit('/').next().unwrap_or(cc);
    // `aarch64-linux-gnu-gcc-12` -> triplet `aarch64-linux-gnu`, tool `gcc-12`.
    if let Some(idx) = base.find("-linux-gnu-") {
        let triplet = &base[..idx + "-linux-gnu".len()];
        let tool = &base[idx + "-linux-gnu-".len()..];
        if triplet == "x86_64-linux-gnu" && std::env::consts::ARCH == "x86_64" {
            return tool.to_string();
        }
        return match tool.strip_prefix("gcc-") {
            Some(ver) => format!("gcc-{ver}-{triplet} (or gcc-{triplet})"),
            None => format!("{tool}-{triplet}"),
        };
    }
    base.to_string()
}

/// The compiler's identity: its resolved path and the `--version` output
/// of that resolved binary (so `gcc-12` and `x86_64-linux-gnu-gcc-12`, one
/// binary under two names, have one identity), memoised per resolved path,
/// size and modification time (an upgrade changes the identity).
pub fn compiler_identity(cc_path: &Path) -> std::io::Result<String> {
    /// (resolved path, size, modification time) -> identity.
    type Memo = Mutex<HashMap<(PathBuf, u64, Option<SystemTime>), String>>;
    static MEMO: OnceLock<Memo> = OnceLock::new();
    let real = fs::canonicalize(cc_path)?;
    let meta = fs::metadata(&real)?;
    let key = (real.clone(), meta.len(), meta.modified().ok());
    let memo = MEMO.get_or_init(Default::default);
    if let Some(id) = memo.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
        return Ok(id.clone());
    }
    let out = Command::new(&real)
        .arg("--version")
        .env("LC_ALL", "C")
        .output()?;
    let id = format!(
        "{}\n{}",
        real.display(),
        String::from_utf8_lossy(&out.stdout).trim()
    );
    memo.lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(key, id.clone());
    Ok(id)
}

/// `CONFIG_CC_VERSION_TEXT` from the build tree's `.config`.
pub fn kernel_cc_version_text(kdir: &Path) -> Option<String> {
    let cfg = fs::read_to_string(kdir.join(".config")).ok()?;
    cfg.lines()
        .find_map(|l| l.strip_prefix("CONFIG_CC_VERSION_TEXT="))
        .map(|v| v.trim_matches('"').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arch_names() {
        assert_eq!(kernel_arch("aarch64"), "arm64");
        assert_eq!(kernel_arch("amd64"), "x86");
        assert_eq!(gnu_prefix("arm64"), Some("aarch64-linux-gnu-"));
        if std::env::consts::ARCH == "x86_64" {
            assert_eq!(
                default_cross_compile("arm64").as_deref(),
                Some("aarch64-linux-gnu-")
            );
            assert_eq!(default_cross_compile("x86"), None);
        }
    }

    #[test]
    fn one_binary_has_one_identity() {
        let dir = crate::fsutil::make_temp_dir(&std::env::temp_dir(), "tc-id").unwrap();
        let Some(cc) = which("cc") else { return };
        std::os::unix::fs::symlink(&cc, dir.join("other-name-cc")).unwrap();
        let a = compiler_identity(&cc).unwrap();
        let b = compiler_identity(&dir.join("other-name-cc")).unwrap();
        assert_eq!(a, b);
        assert!(a.lines().count() >= 2, "{a}");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn packages() {
        assert_eq!(
            debian_package_for("aarch64-linux-gnu-gcc-12"),
            "gcc-12-aarch64-linux-gnu (or gcc-aarch64-linux-gnu)"
        );
        assert_eq!(debian_package_for("gcc-12"), "gcc-12");
        assert_eq!(debian_package_for("/usr/bin/gcc-12"), "gcc-12");
    }

    #[test]
    fn kernelvariables() {
        let dir = crate::fsutil::make_temp_dir(&std::env::temp_dir(), "tc-test").unwrap();
        fs::write(
            dir.join(".kernelvariables"),
            "override ARCH = arm64\nCC = $(if $(DEBIAN_KERNEL_USE_CCACHE),$(CCACHE)) $(CROSS_COMPILE)gcc-12\noverride CROSS_COMPILE = aarch64-linux-gnu-\n",
        )
        .unwrap();
        assert_eq!(build_tree_cc_name(&dir).as_deref(), Some("gcc-12"));
        assert_eq!(
            build_tree_cross_override(&dir).as_deref(),
            Some("aarch64-linux-gnu-")
        );
        let t = BuildTarget {
            release: "r".into(),
            arch: "aarch64".into(),
            kdir: dir.clone(),
            cross_compile: Some("bogus-".into()),
            cc: None,
            profile_hash: String::new(),
            exports: crate::Exports::FromBuildTree,
        };
        let tc = resolve(&t);
        assert_eq!(tc.cc, "aarch64-linux-gnu-gcc-12");
        assert_eq!(tc.arch, "arm64");
        let vars = [("CC".to_string(), "ccache clang-16".to_string())];
        let tc = resolve_with(&t, &vars);
        assert_eq!((tc.cc.as_str(), tc.pass_cc), ("clang-16", false));
        // Without the tree's override, a user CROSS_COMPILE wins over ours.
        let plain = BuildTarget {
            kdir: "/nonexistent".into(),
            ..t
        };
        let vars = [("CROSS_COMPILE".to_string(), "my-".to_string())];
        assert_eq!(resolve_with(&plain, &vars).cc, "my-gcc");
        fs::remove_dir_all(&dir).unwrap();
    }
}
