//! `xstap build` with bad targets among good ones, on real Debian kernels:
//! a failing target fails alone with its first diagnostic in the summary
//! table, the others are built, nothing of the failed one lands in the
//! output directory, and a diagnostic that only some targets have is
//! reported once with their list.
//!
//! The kernels are those `cargo xtask test` fetches into the test home
//! (`XSTAP_TEST_HOME`, else `target/xstap-home`): the 6.1 amd64 and arm64
//! test kernels, and the 6.12 amd64 kernel of the matrix (fetched when `CI`
//! or `XSTAP_TEST_MATRIX=1` is set). A test whose kernels are missing fails
//! under CI and says it was skipped otherwise.

use std::path::{Path, PathBuf};
use std::process::Command;

const K61_AMD64: &str = "6.1.0-56-amd64";
const K61_ARM64: &str = "6.1.0-56-arm64";
const K612_AMD64: &str = "6.12.117+deb12-amd64";

fn test_home() -> PathBuf {
    std::env::var_os("XSTAP_TEST_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| super::crate_dir().join("../../target/xstap-home"))
}

/// The test home when every kernel of `kernels` has a stored profile;
/// `None` (after saying so) when one is missing outside CI.
fn home_with(kernels: &[&str]) -> Option<PathBuf> {
    let home = test_home();
    let missing: Vec<&&str> = kernels
        .iter()
        .filter(|k| !home.join("targets").join(k).is_dir())
        .collect();
    if missing.is_empty() {
        return Some(home);
    }
    let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty());
    assert!(
        !ci,
        "under CI the kernels {missing:?} must be fetched into {} (cargo xtask test does)",
        home.display()
    );
    eprintln!("build_targets: skipped, no profile of {missing:?} in {} (run `cargo xtask test` or fetch them)", home.display());
    None
}

fn scratch(what: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("xstap-build-targets-{what}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch dir");
    d
}

struct Out {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn xstap_build(home: &Path, out: &Path, script: &str, targets: &[&str], path: Option<&str>) -> Out {
    xstap_build_with(home, out, script, targets, path, &[])
}

fn xstap_build_with(
    home: &Path,
    out: &Path,
    script: &str,
    targets: &[&str],
    path: Option<&str>,
    extra: &[&str],
) -> Out {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xstap"));
    cmd.args(["build", "-e", script, "-m", "bt_mod", "-o"])
        .arg(out)
        .args(extra);
    for t in targets {
        cmd.args(["--target", t]);
    }
    cmd.env("XSTAP_HOME", home)
        .env_remove("SYSTEMTAP_TAPSET")
        .env("NO_COLOR", "1");
    if let Some(p) = path {
        cmd.env("PATH", p);
    }
    let o = cmd.output().expect("run xstap build");
    Out {
        code: o.status.code(),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// The summary-table row of `target`.
fn row<'a>(o: &'a Out, target: &str) -> &'a str {
    o.stdout
        .lines()
        .find(|l| l.split_whitespace().next() == Some(target))
        .unwrap_or_else(|| panic!("no row for {target} in:\n{}", o.stdout))
}

/// Every file under `dir`, relative to it.
fn files(dir: &Path) -> Vec<String> {
    let mut v = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                v.push(p.strip_prefix(dir).unwrap_or(&p).display().to_string());
            }
        }
    }
    v.sort();
    v
}

#[test]
fn a_second_build_is_served_by_level_one_without_parsing() {
    let Some(home) = home_with(&[K61_AMD64, K61_ARM64]) else {
        return;
    };
    let out = scratch("level1");
    // A script no other run builds, so the first run cannot hit the cache.
    let script = format!(
        "probe begin {{ println(\"level one {}\") exit() }}",
        std::process::id()
    );
    let first = xstap_build_with(&home, &out, &script, &[K61_AMD64, K61_ARM64], None, &["-v"]);
    assert_eq!(first.code, Some(0), "{}\n{}", first.stdout, first.stderr);
    assert!(
        !first.stderr.contains("level-1 cache hit"),
        "{}",
        first.stderr
    );
    let ko = out.join(K61_AMD64).join("bt_mod.ko");
    let built = std::fs::read(&ko).expect("module");
    std::fs::remove_dir_all(&out).expect("clean out");
    let second = xstap_build_with(&home, &out, &script, &[K61_AMD64, K61_ARM64], None, &["-v"]);
    assert_eq!(second.code, Some(0), "{}\n{}", second.stdout, second.stderr);
    for k in [K61_AMD64, K61_ARM64] {
        assert!(row(&second, k).contains("cached"), "{}", second.stdout);
        assert!(
            second
                .stderr
                .contains(&format!("{k}: level-1 cache hit, nothing parsed")),
            "{}",
            second.stderr
        );
    }
    assert_eq!(std::fs::read(&ko).expect("module again"), built);
    // Another script text is another key.
    let third = xstap_build_with(
        &home,
        &out,
        &format!("{script}\n"),
        &[K61_AMD64],
        None,
        &["-v"],
    );
    assert_eq!(third.code, Some(0), "{}\n{}", third.stdout, third.stderr);
    assert!(
        !third.stderr.contains("level-1 cache hit"),
        "{}",
        third.stderr
    );
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn unknown_target_among_real_ones_fails_alone() {
    let Some(home) = home_with(&[K61_AMD64, K61_ARM64]) else {
        return;
    };
    let out = scratch("unknown");
    let o = xstap_build(
        &home,
        &out,
        "probe vfs.read { exit() }",
        &[K61_AMD64, "9.9.9-no-such-kernel", K61_ARM64],
        None,
    );
    assert_eq!(
        o.code,
        Some(1),
        "stdout:\n{}\nstderr:\n{}",
        o.stdout,
        o.stderr
    );
    let bad = row(&o, "9.9.9-no-such-kernel");
    assert!(bad.contains("failed") && bad.contains("E0304"), "{bad}");
    for k in [K61_AMD64, K61_ARM64] {
        let r = row(&o, k);
        assert!(r.contains("built") || r.contains("cached"), "{r}");
    }
    assert!(o.stdout.contains("2/3 targets built"), "{}", o.stdout);
    assert!(
        o.stderr.contains("error[E0304]") && o.stderr.contains("for target 9.9.9-no-such-kernel"),
        "{}",
        o.stderr
    );
    assert_eq!(
        files(&out),
        [
            format!("{K61_AMD64}/bt_mod.ko"),
            format!("{K61_ARM64}/bt_mod.ko"),
            "manifest.json".to_string()
        ]
    );
    let manifest = std::fs::read_to_string(out.join("manifest.json")).expect("manifest");
    assert!(
        manifest.contains("9.9.9-no-such-kernel") && manifest.contains("\"failed\""),
        "{manifest}"
    );
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn a_variable_only_one_kernel_has_is_reported_once_for_the_other() {
    // `vfs_mkdir` takes `struct user_namespace *mnt_userns` on 6.1 and
    // `struct mnt_idmap *idmap` since 6.3 (`xstap -L` on both profiles).
    let Some(home) = home_with(&[K61_AMD64, K612_AMD64]) else {
        return;
    };
    let out = scratch("var");
    let o = xstap_build(
        &home,
        &out,
        "probe kernel.function(\"vfs_mkdir\") { println($mnt_userns != 0) }",
        &[K61_AMD64, K612_AMD64],
        None,
    );
    assert_eq!(
        o.code,
        Some(1),
        "stdout:\n{}\nstderr:\n{}",
        o.stdout,
        o.stderr
    );
    assert!(row(&o, K612_AMD64).contains("E0409"), "{}", o.stdout);
    assert!(!row(&o, K61_AMD64).contains("failed"), "{}", o.stdout);
    assert_eq!(o.stderr.matches("error[E0409]").count(), 1, "{}", o.stderr);
    assert!(
        o.stderr.contains(&format!("note: for target {K612_AMD64}")),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr.contains("$idmap"),
        "the help lists the 6.12 parameters: {}",
        o.stderr
    );
    assert_eq!(
        files(&out),
        [
            format!("{K61_AMD64}/bt_mod.ko"),
            "manifest.json".to_string()
        ]
    );

    // A variable every kernel has builds everywhere, with no diagnostic.
    let out2 = scratch("var-ok");
    let o = xstap_build(
        &home,
        &out2,
        "probe kernel.function(\"vfs_read\") { println($count) exit() }",
        &[K61_AMD64, K612_AMD64],
        None,
    );
    assert_eq!(
        o.code,
        Some(0),
        "stdout:\n{}\nstderr:\n{}",
        o.stdout,
        o.stderr
    );
    assert!(o.stdout.contains("2/2 targets built"), "{}", o.stdout);
    let _ = std::fs::remove_dir_all(&out);
    let _ = std::fs::remove_dir_all(&out2);
}

#[test]
fn a_missing_cross_compiler_fails_only_the_foreign_target() {
    let Some(home) = home_with(&[K61_AMD64, K61_ARM64]) else {
        return;
    };
    if !cfg!(target_arch = "x86_64") {
        eprintln!("build_targets: the cross-compiler test is written for an x86_64 host");
        return;
    }
    // A PATH with every program of /usr/bin but the aarch64 cross tools.
    let bin = scratch("path");
    for e in std::fs::read_dir("/usr/bin").expect("/usr/bin").flatten() {
        let n = e.file_name();
        if !n.to_string_lossy().starts_with("aarch64-linux-gnu-") {
            let _ = std::os::unix::fs::symlink(e.path(), bin.join(&n));
        }
    }
    let out = scratch("cross");
    // A script no other test builds, so the arm64 module is not in the cache.
    let script = format!(
        "probe vfs.read {{ printf(\"cross test %d\\n\", {}) exit() }}",
        std::process::id()
    );
    let o = xstap_build(
        &home,
        &out,
        &script,
        &[K61_AMD64, K61_ARM64],
        Some(&bin.display().to_string()),
    );
    assert_eq!(
        o.code,
        Some(1),
        "stdout:\n{}\nstderr:\n{}",
        o.stdout,
        o.stderr
    );
    let arm = row(&o, K61_ARM64);
    assert!(arm.contains("failed"), "{arm}");
    assert!(
        o.stderr.contains("aarch64-linux-gnu-"),
        "the diagnostic names the cross compiler: {}",
        o.stderr
    );
    assert!(!row(&o, K61_AMD64).contains("failed"), "{}", o.stdout);
    assert_eq!(
        files(&out),
        [
            format!("{K61_AMD64}/bt_mod.ko"),
            "manifest.json".to_string()
        ]
    );
    let _ = std::fs::remove_dir_all(&out);
    let _ = std::fs::remove_dir_all(&bin);
}

#[test]
fn broken_profiles_fail_alone_and_leave_nothing_half_written() {
    let Some(home) = home_with(&[K61_AMD64, K61_ARM64]) else {
        return;
    };
    // A home of its own (its cache starts empty): the amd64 profile as
    // fetched, the arm64 one pointing at a build tree that is gone, and a
    // truncated profile under a third name.
    let h = scratch("broken-home");
    // The profiles name their trees relative to the home: share its kernels.
    std::os::unix::fs::symlink(home.join("kernels"), h.join("kernels")).expect("symlink kernels");
    let copy = |from: &str, to: &str| {
        let dst = h.join("targets").join(to);
        std::fs::create_dir_all(&dst).expect("profile dir");
        for e in std::fs::read_dir(home.join("targets").join(from))
            .expect("profile")
            .flatten()
        {
            std::fs::copy(e.path(), dst.join(e.file_name())).expect("copy profile");
        }
        dst.join("profile.json")
    };
    copy(K61_AMD64, K61_AMD64);
    let arm = copy(K61_ARM64, K61_ARM64);
    let text = std::fs::read_to_string(&arm).expect("profile.json");
    let broken: String = text
        .lines()
        .map(|l| {
            if l.trim_start().starts_with("\"build_tree\"") {
                "  \"build_tree\": \"/nonexistent/build\",".to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert_ne!(broken, text, "the profile names its build tree");
    std::fs::write(&arm, broken).expect("write profile");
    std::fs::write(
        copy(K61_AMD64, "6.1.0-56-cloud-amd64"),
        "{\"format\": 1, \"release\": \"6.1",
    )
    .expect("truncate");

    let out = h.join("out");
    let o = xstap_build(
        &h,
        &out,
        "probe vfs.read { exit() }",
        &[K61_AMD64, K61_ARM64, "6.1.0-56-cloud-amd64"],
        None,
    );
    assert_eq!(
        o.code,
        Some(1),
        "stdout:\n{}\nstderr:\n{}",
        o.stdout,
        o.stderr
    );
    assert!(row(&o, K61_ARM64).contains("E0702"), "{}", o.stdout);
    assert!(
        row(&o, "6.1.0-56-cloud-amd64").contains("E0310"),
        "{}",
        o.stdout
    );
    assert!(!row(&o, K61_AMD64).contains("failed"), "{}", o.stdout);
    assert!(o.stdout.contains("1/3 targets built"), "{}", o.stdout);
    assert_eq!(
        files(&out),
        [
            format!("{K61_AMD64}/bt_mod.ko"),
            "manifest.json".to_string()
        ]
    );
    let cache = files(&h.join("cache"));
    assert!(
        cache.iter().any(|f| f.ends_with(".xko")),
        "the built module is cached: {cache:?}"
    );
    assert!(
        !cache.iter().any(|f| f.contains(".xstap-tmp-")),
        "no temporary file is left in the cache: {cache:?}"
    );
    let _ = std::fs::remove_dir_all(&h);
}

/// A small tmpfs, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn a_full_disk_fails_the_job_that_hits_it_and_leaves_no_partial_module() {
    let Some(home) = home_with(&[K61_AMD64, K61_ARM64]) else {
        return;
    };
    // An output directory with room for one module (~800 kB) but not two.
    let dir = scratch("full");
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1200k", "tmpfs"])
        .arg(&dir)
        .output();
    if !mounted.as_ref().is_ok_and(|o| o.status.success()) {
        let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty());
        assert!(!ci, "under CI (root) a tmpfs can be mounted: {mounted:?}");
        eprintln!("build_targets: disk-full test skipped, cannot mount a tmpfs (not root?)");
        return;
    }
    let fs = Tmpfs(dir);
    let out = fs.0.join("out");
    // One job at a time and no cache, so the two modules are written one
    // after the other: the second finds the disk full.
    let o = xstap_build_with(
        &home,
        &out,
        "probe vfs.read { exit() }",
        &[K61_AMD64, K61_ARM64],
        None,
        &["-j", "1", "--disable-cache"],
    );
    assert_eq!(
        o.code,
        Some(1),
        "stdout:\n{}\nstderr:\n{}",
        o.stdout,
        o.stderr
    );
    let failed: Vec<&str> = [K61_AMD64, K61_ARM64]
        .into_iter()
        .filter(|k| row(&o, k).contains("failed"))
        .collect();
    assert_eq!(failed.len(), 1, "{}", o.stdout);
    assert!(
        row(&o, failed[0]).contains("E0712") && o.stderr.contains("No space left"),
        "{}\n{}",
        o.stdout,
        o.stderr
    );
    let written = files(&out);
    let kos: Vec<&String> = written.iter().filter(|f| f.ends_with(".ko")).collect();
    assert_eq!(kos.len(), 1, "{written:?}");
    assert!(!kos[0].starts_with(failed[0]), "{written:?}");
    assert!(
        !written.iter().any(|f| f.contains(".xstap-tmp-")),
        "{written:?}"
    );
}
