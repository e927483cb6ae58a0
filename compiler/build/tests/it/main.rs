//! Integration tests of the build crate: real kbuild builds of tiny
//! hand-written modules against Debian 6.1 amd64 and arm64 build trees.
//!
//! The trees are looked up in `XSTAP_TEST_KDIR_AMD64` / `XSTAP_TEST_KDIR_ARM64`,
//! else under `/var/tmp/testbed/headers` (where the testbed scripts and CI
//! unpack them). When a tree is absent, the test prints a note and checks
//! only what it can without it.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use build::{codes, BuildJob, BuildOptions, BuildTarget, Cache, Exports, NoProgress, Unit};

const AMD64: &str = "6.1.0-56-amd64";
const ARM64: &str = "6.1.0-56-arm64";

fn kdir(release: &str) -> Option<PathBuf> {
    let var = if release.ends_with("arm64") {
        "XSTAP_TEST_KDIR_ARM64"
    } else {
        "XSTAP_TEST_KDIR_AMD64"
    };
    // Fetched by `cargo xtask test` into $XSTAP_TEST_HOME (CI), else the
    // shared test-bed's headers (development).
    let fetched = std::env::var_os("XSTAP_TEST_HOME")
        .filter(|h| !h.is_empty())
        .map(|h| {
            PathBuf::from(h)
                .join("kernels")
                .join(release)
                .join(format!("root/usr/src/linux-headers-{release}"))
        })
        .filter(|d| d.join("Makefile").exists());
    let dir = match (std::env::var_os(var), fetched) {
        (Some(d), _) if release == AMD64 || release == ARM64 => PathBuf::from(d),
        (_, Some(d)) => d,
        _ => PathBuf::from(format!(
            "/var/tmp/testbed/headers/{release}/usr/src/linux-headers-{release}"
        )),
    };
    if dir.join("Makefile").exists() {
        Some(dir)
    } else {
        let required = std::env::var_os("CI").is_some()
            && std::env::var("XSTAP_TEST_KVERS")
                .is_ok_and(|v| v.split_whitespace().any(|k| k == release));
        assert!(
            !required,
            "no build tree for {release} at {} under CI: `cargo xtask test` fetches it",
            dir.display()
        );
        eprintln!(
            "note: no build tree for {release} at {} (set {var}); skipping the kbuild part",
            dir.display()
        );
        None
    }
}

/// A directory removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        TempDir(build::fsutil::make_temp_dir(&std::env::temp_dir(), tag).unwrap())
    }
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn target(release: &str, kdir: PathBuf) -> BuildTarget {
    BuildTarget {
        release: release.into(),
        arch: if release.ends_with("arm64") {
            "arm64".into()
        } else {
            "x86".into()
        },
        kdir,
        cross_compile: None,
        cc: None,
        profile_hash: format!("profile-of-{release}"),
        exports: Exports::FromBuildTree,
    }
}

fn unit(name: &str, text: &str) -> Unit {
    Unit {
        file_name: name.into(),
        contents: text.into(),
        compile: name.ends_with(".c"),
    }
}

fn hello(name: &str) -> Vec<Unit> {
    vec![unit(
        &format!("{name}_main.c"),
        "#include <linux/module.h>\n#include <linux/kernel.h>\n\
         static int __init h_init(void) { printk(KERN_INFO \"xstap hello\\n\"); return 0; }\n\
         static void __exit h_exit(void) { }\n\
         module_init(h_init);\nmodule_exit(h_exit);\nMODULE_LICENSE(\"GPL\");\n",
    )]
}

fn job(name: &str, units: Vec<Unit>, t: BuildTarget, out: &Path) -> BuildJob {
    BuildJob {
        name: name.into(),
        units,
        required_symbols: vec!["_printk".into()],
        output: out.join(format!("{name}.ko")),
        target: t,
        build_dir: None,
    }
}

fn codes_of(f: &build::Failed) -> Vec<&'static str> {
    f.diagnostics.iter().map(|d| d.diagnostic.code).collect()
}

#[test]
fn builds_for_amd64_and_arm64_then_hits_the_cache() {
    for (release, arch, elf) in [
        (AMD64, "x86", object::Architecture::X86_64),
        (ARM64, "arm64", object::Architecture::Aarch64),
    ] {
        let Some(k) = kdir(release) else { continue };
        let out = TempDir::new("it-out");
        let cache_dir = TempDir::new("it-cache");
        let opts = BuildOptions {
            cache: Some(Cache::open(cache_dir.path()).unwrap()),
            ..Default::default()
        };
        let j = job(
            "xstap_it_hello",
            hello("xstap_it_hello"),
            target(release, k),
            out.path(),
        );
        let first = build::build(&j, &opts);
        let built = first
            .result
            .as_ref()
            .unwrap_or_else(|f| panic!("{release}: {:#?}", f.diagnostics));
        assert!(!built.cached);
        assert_eq!(first.arch, arch);
        assert!(
            built.vermagic.starts_with(&format!("{release} ")),
            "{}",
            built.vermagic
        );
        let bytes = fs::read(&built.ko).unwrap();
        use object::Object;
        assert_eq!(object::File::parse(&*bytes).unwrap().architecture(), elf);
        assert_eq!(blake3::hash(&bytes).to_hex().as_str(), built.ko_blake3);
        assert_eq!(built.recompiled, ["xstap_it_hello_main.o"]);
        // The temporary build directory is gone.
        assert!(built.build_dir.is_none());

        fs::remove_file(&built.ko).unwrap();
        let second = build::build(&j, &opts);
        let hit = second.result.as_ref().unwrap();
        assert!(
            hit.cached,
            "second build of {release} did not hit the cache"
        );
        assert_eq!(hit.ko_blake3, built.ko_blake3);
        assert_eq!(fs::read(&hit.ko).unwrap(), bytes);
        eprintln!(
            "{release}: built in {:?}, cache hit in {:?}",
            first.wall, second.wall
        );
    }
}

#[test]
fn only_the_changed_unit_is_recompiled() {
    let Some(k) = kdir(AMD64) else { return };
    let out = TempDir::new("it-out");
    let bdir = TempDir::new("it-bdir");
    let main = unit(
        "main.c",
        "#include <linux/module.h>\nint fa(void); int fb(void);\n\
         static int __init i(void) { return fa() + fb(); }\nstatic void __exit e(void) { }\n\
         module_init(i);\nmodule_exit(e);\nMODULE_LICENSE(\"GPL\");\n",
    );
    let a = unit("a.c", "int fa(void) { return 0; }\n");
    let b = |v: u32| unit("b.c", &format!("int fb(void) {{ return {v} * 0; }}\n"));
    let mut j = job(
        "xstap_it_incr",
        vec![main.clone(), a.clone(), b(1)],
        target(AMD64, k),
        out.path(),
    );
    j.build_dir = Some(bdir.path().to_path_buf());
    let opts = BuildOptions::default();
    let first = build::build(&j, &opts);
    let first = first
        .result
        .unwrap_or_else(|f| panic!("{:#?}", f.diagnostics));
    let mut objs = first.recompiled.clone();
    objs.sort();
    assert_eq!(objs, ["a.o", "b.o", "main.o"]);
    let a_obj_time = fs::metadata(bdir.path().join("a.o"))
        .unwrap()
        .modified()
        .unwrap();

    j.units = vec![main, a, b(2)];
    let second = build::build(&j, &opts)
        .result
        .unwrap_or_else(|f| panic!("{:#?}", f.diagnostics));
    assert_eq!(second.recompiled, ["b.o"]);
    assert_eq!(
        fs::metadata(bdir.path().join("a.o"))
            .unwrap()
            .modified()
            .unwrap(),
        a_obj_time
    );
    assert_eq!(second.build_dir.as_deref(), Some(bdir.path()));
    assert!(bdir.path().join("build.log").exists());
}

#[test]
fn gcc_errors_point_at_the_script_or_are_internal() {
    let Some(k) = kdir(AMD64) else { return };
    let out = TempDir::new("it-out");
    let mut units = hello("xstap_it_gccerr");
    // Embedded C from the script: gcc must name probe.stp line 12.
    units.push(unit("p1.c", "#include <linux/kernel.h>\nint p1(void) {\n#line 12 \"probe.stp\"\n  return undeclared_thing;\n}\n"));
    let j = job(
        "xstap_it_gccerr",
        units,
        target(AMD64, k.clone()),
        out.path(),
    );
    let opts = BuildOptions::default();
    let o = build::build(&j, &opts);
    let f = o.result.unwrap_err();
    let d = f
        .diagnostics
        .iter()
        .find(|d| d.diagnostic.code == codes::C_ERROR_IN_SCRIPT)
        .expect("an E0705");
    let at = d.at.as_ref().unwrap();
    assert_eq!((at.file.as_str(), at.line), ("probe.stp", 12));
    assert!(
        d.diagnostic.message.contains("undeclared_thing"),
        "{}",
        d.diagnostic.message
    );
    // No raw dump: every note is short.
    assert!(f
        .diagnostics
        .iter()
        .all(|d| d.diagnostic.notes.iter().all(|n| n.len() < 2000)));
    assert!(!out.path().join("xstap_it_gccerr.ko").exists());

    // The same mistake in generated code is an internal error.
    let mut units = hello("xstap_it_gccbug");
    units.push(unit("p1.c", "int p1(void) { return undeclared_thing; }\n"));
    let j = job("xstap_it_gccbug", units, target(AMD64, k), out.path());
    let f = build::build(&j, &opts).result.unwrap_err();
    assert_eq!(codes_of(&f), [codes::INTERNAL]);
    assert!(f.diagnostics[0]
        .diagnostic
        .notes
        .iter()
        .any(|n| n.contains("p1.c:1:") && n.contains("undeclared_thing")));
}

#[test]
fn missing_export_is_explained_before_make() {
    let Some(k) = kdir(ARM64) else { return };
    let out = TempDir::new("it-out");
    let tmp = TempDir::new("it-tmp");
    let mut j = job(
        "xstap_it_noexp",
        hello("xstap_it_noexp"),
        target(ARM64, k),
        out.path(),
    );
    j.required_symbols.push("xstap_no_such_export".into());
    let opts = BuildOptions {
        tmp_root: Some(tmp.path().to_path_buf()),
        ..Default::default()
    };
    let f = build::build(&j, &opts).result.unwrap_err();
    assert_eq!(codes_of(&f), [codes::MISSING_EXPORT]);
    let d = &f.diagnostics[0].diagnostic;
    assert!(
        d.message.contains("xstap_no_such_export") && d.message.contains(ARM64),
        "{}",
        d.message
    );
    assert!(d.help.is_some());
    // make never ran: no build directory was even created.
    assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 0);

    // An exports set given by the caller is used instead of Module.symvers.
    j.required_symbols = vec!["_printk".into()];
    j.target.exports = Exports::Set(Arc::new(HashSet::from(["something_else".to_string()])));
    let f = build::build(&j, &opts).result.unwrap_err();
    assert!(f.diagnostics[0].diagnostic.message.contains("_printk"));
}

#[test]
fn modpost_undefined_symbol_is_explained() {
    let Some(k) = kdir(AMD64) else { return };
    let out = TempDir::new("it-out");
    let mut units = hello("xstap_it_modpost");
    units.push(unit(
        "p1.c",
        "extern int xstap_not_exported(void);\nint p1(void) { return xstap_not_exported(); }\n",
    ));
    let j = job("xstap_it_modpost", units, target(AMD64, k), out.path());
    let f = build::build(&j, &BuildOptions::default())
        .result
        .unwrap_err();
    assert_eq!(codes_of(&f), [codes::MODPOST_UNDEFINED]);
    assert!(f.diagnostics[0]
        .diagnostic
        .message
        .contains("xstap_not_exported"));

    // Embedded C that changes the license and calls a GPL-only export.
    let units = vec![unit(
        "gpl_main.c",
        "#include <linux/module.h>\n#include <linux/kprobes.h>\n\
         static struct kprobe kp = { .symbol_name = \"vfs_read\" };\n\
         static int __init i(void) { return register_kprobe(&kp); }\n\
         static void __exit e(void) { }\nmodule_init(i);\nmodule_exit(e);\nMODULE_LICENSE(\"Proprietary\");\n",
    )];
    let j = job("xstap_it_gplonly", units, j.target.clone(), out.path());
    let f = build::build(&j, &BuildOptions::default())
        .result
        .unwrap_err();
    assert!(
        codes_of(&f).contains(&codes::MODPOST_GPL_ONLY),
        "{:#?}",
        f.diagnostics
    );
    assert!(f
        .diagnostics
        .iter()
        .any(|d| d.diagnostic.message.contains("register_kprobe")));
}

#[test]
fn missing_cross_compiler_names_the_package() {
    let Some(k) = kdir(ARM64) else { return };
    let out = TempDir::new("it-out");
    let mut t = target(ARM64, k);
    t.cross_compile = Some("bogus-linux-gnu-".into());
    let j = job("xstap_it_nocc", hello("xstap_it_nocc"), t, out.path());
    let f = build::build(&j, &BuildOptions::default())
        .result
        .unwrap_err();
    assert_eq!(codes_of(&f), [codes::COMPILER_MISSING]);
    let d = &f.diagnostics[0].diagnostic;
    assert!(
        d.message.contains("bogus-linux-gnu-gcc-12"),
        "{}",
        d.message
    );
    assert!(d.help.as_deref().unwrap().contains("apt-get install"));
}

#[test]
fn incomplete_tree_is_explained() {
    let out = TempDir::new("it-out");
    let fake = TempDir::new("it-fake-kdir");
    fs::write(fake.path().join("Makefile"), "all:\n").unwrap();
    let mut t = target(AMD64, fake.path().to_path_buf());
    t.cc = Some("cc".into());
    let j = job("xstap_it_tree", hello("xstap_it_tree"), t, out.path());
    let f = build::build(&j, &BuildOptions::default())
        .result
        .unwrap_err();
    assert_eq!(codes_of(&f), [codes::BUILD_TREE_UNUSABLE]);
    let notes = f.diagnostics[0].diagnostic.notes.join("\n");
    assert!(
        notes.contains(".config") && notes.contains("scripts/basic/fixdep"),
        "{notes}"
    );
}

#[test]
fn keep_keeps_the_build_dir() {
    let Some(k) = kdir(AMD64) else { return };
    let out = TempDir::new("it-out");
    let tmp = TempDir::new("it-tmp");
    let j = job(
        "xstap_it_keep",
        hello("xstap_it_keep"),
        target(AMD64, k),
        out.path(),
    );
    let opts = BuildOptions {
        keep: true,
        tmp_root: Some(tmp.path().to_path_buf()),
        ..Default::default()
    };
    let b = build::build(&j, &opts)
        .result
        .unwrap_or_else(|f| panic!("{:#?}", f.diagnostics));
    let kept = b.build_dir.expect("kept dir");
    assert!(kept.join("build.log").exists() && kept.join("xstap_it_keep.ko").exists());
    let opts = BuildOptions {
        keep: false,
        ..opts
    };
    build::build(&j, &opts).result.unwrap();
    // Only the kept directory remains under the temporary root.
    assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 1);
}

#[test]
fn many_targets_one_failure_does_not_stop_the_others() {
    let out = TempDir::new("it-many");
    let cache_dir = TempDir::new("it-cache");
    let mut jobs = Vec::new();
    // 6.12 trees are used when present (module BTF through pahole).
    for release in [AMD64, ARM64, "6.12.117+deb12-amd64", "6.12.117+deb12-arm64"] {
        if let Some(k) = kdir(release) {
            let name = "xstap_it_many";
            let dest = build::engine::output_path(out.path(), release, name);
            jobs.push(BuildJob {
                output: dest,
                ..job(name, hello(name), target(release, k), out.path())
            });
        }
    }
    let mut bad = target("9.9.9-bogus", PathBuf::from("/nonexistent/kdir"));
    bad.cc = Some("cc".into());
    jobs.push(job(
        "xstap_it_many",
        hello("xstap_it_many"),
        bad,
        &out.path().join("9.9.9-bogus"),
    ));
    let n_ok = jobs.len() - 1;
    let opts = BuildOptions {
        cache: Some(Cache::open(cache_dir.path()).unwrap()),
        ..Default::default()
    };
    let outcomes = build::build_many(jobs.clone(), &opts, &NoProgress);
    assert_eq!(outcomes.len(), n_ok + 1);
    assert!(
        outcomes[..n_ok].iter().all(|o| o.is_ok()),
        "{:#?}",
        outcomes
    );
    let last = outcomes.last().unwrap();
    assert_eq!(
        codes_of(last.result.as_ref().unwrap_err()),
        [codes::BUILD_TREE_UNUSABLE]
    );
    for o in &outcomes[..n_ok] {
        assert!(out
            .path()
            .join(&o.release)
            .join("xstap_it_many.ko")
            .exists());
    }
    // No temporary file is left in the output layout.
    for o in &outcomes[..n_ok] {
        let names: Vec<_> = fs::read_dir(out.path().join(&o.release))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [std::ffi::OsString::from("xstap_it_many.ko")]);
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&build::manifest_json(&outcomes)).unwrap();
    assert_eq!(manifest.as_array().unwrap().len(), n_ok + 1);
    assert_eq!(manifest[n_ok]["status"], "failed");
    let table = build::summary_table(&outcomes);
    assert!(
        table.contains(&format!("{n_ok}/{} targets ok", n_ok + 1)),
        "{table}"
    );

    // Again: every good target comes from the cache.
    let again = build::build_many(jobs, &opts, &NoProgress);
    assert!(
        again[..n_ok]
            .iter()
            .all(|o| matches!(&o.result, Ok(b) if b.cached)),
        "{again:#?}"
    );
    // No cache or build-directory trouble; at most a compiler-version note
    // (hosts whose gcc differs from the kernel's).
    assert!(
        outcomes[..n_ok]
            .iter()
            .flat_map(|o| &o.result.as_ref().unwrap().warnings)
            .all(|w| w.diagnostic.code == codes::COMPILER_VERSION_DIFFERS),
        "{outcomes:#?}"
    );
}

/// Two processes writing and reading the same cache key. The child role
/// is this same test binary, started with `XSTAP_IT_CACHE_CHILD=DIR`.
#[test]
fn cache_shared_by_two_processes() {
    if let Some(dir) = std::env::var_os("XSTAP_IT_CACHE_CHILD") {
        let cache = Cache::open(PathBuf::from(dir)).unwrap();
        let key = build::CacheKey([42; 32]);
        let me = std::process::id();
        let ko: Vec<u8> = (0..50_000u32).map(|i| (i ^ me) as u8).collect();
        let meta = build::cache::EntryMeta {
            name: "m".into(),
            release: "r".into(),
            arch: "x86".into(),
            vermagic: "r SMP".into(),
            ko_len: 0,
            ko_blake3: String::new(),
            created: 0,
            xstap_version: "t".into(),
        };
        for _ in 0..50 {
            cache.put(&key, &ko, &meta).unwrap();
            let got = cache
                .get(&key)
                .expect("an entry is always visible once written");
            assert_eq!(got.ko.len(), 50_000);
        }
        return;
    }
    let dir = TempDir::new("it-cache-proc");
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..2)
        .map(|_| {
            std::process::Command::new(&exe)
                .args([
                    "--exact",
                    "cache_shared_by_two_processes",
                    "--test-threads=1",
                ])
                .env("XSTAP_IT_CACHE_CHILD", dir.path())
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success(), "a cache writer process failed");
    }
    let cache = Cache::open(dir.path()).unwrap();
    let got = cache.get(&build::CacheKey([42; 32])).unwrap();
    assert_eq!(got.ko.len(), 50_000);
    assert_eq!(cache.usage().entries, 1);
}

#[test]
fn make_command_line() {
    let t = BuildTarget {
        cc: None,
        ..target(ARM64, PathBuf::from("/k"))
    };
    let j = job("m", hello("m"), t, Path::new("/out"));
    let tc = build::toolchain::resolve(&j.target);
    let opts = BuildOptions {
        jobs: Some(3),
        make_vars: vec![("KCFLAGS".into(), "-g".into())],
        distcc: true,
        ..Default::default()
    };
    let args = build::engine::make_args(Path::new("/b"), &j, &opts, &tc).join(" ");
    let expected = if std::env::consts::ARCH == "x86_64" {
        "-C /k M=/b ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- CC=distcc aarch64-linux-gnu-gcc KCFLAGS=-g -j3 modules"
    } else {
        "-C /k M=/b ARCH=arm64 CC=distcc gcc KCFLAGS=-g -j3 modules"
    };
    assert_eq!(args, expected);
}

/// A real build through distcc, with a distccd on loopback that this test
/// starts and stops. Local fallback is disabled, so success means the
/// objects were compiled by the daemon.
#[test]
fn builds_through_distcc_on_loopback() {
    let Some(k) = kdir(AMD64) else { return };
    let (Some(_), Some(distccd)) = (
        build::toolchain::which("distcc"),
        build::toolchain::which("distccd"),
    ) else {
        // `cargo xtask test` installs distcc: under CI a skip would hide
        // the only check of the scale-out path.
        assert!(
            std::env::var_os("CI").is_none_or(|v| v.is_empty()),
            "distcc/distccd not installed under CI (.ci/setup-deps.sh installs it)"
        );
        eprintln!("note: distcc/distccd not installed (apt-get install distcc); skipping");
        return;
    };
    let work = TempDir::new("it-distcc");
    let log = work.path().join("distccd.log");
    fs::write(&log, "").unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&log, fs::Permissions::from_mode(0o666)).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // distccd forks workers: give it its own process group (it signals its
    // group on exit) and no handle on our stdout.
    use std::os::unix::process::CommandExt;
    let mut daemon = std::process::Command::new(distccd)
        .args([
            "--daemon",
            "--no-detach",
            "--listen",
            "127.0.0.1",
            "--allow",
            "127.0.0.1",
            "--user",
            "nobody",
        ])
        .args(["--port", &port.to_string(), "--log-level=info"])
        .arg(format!("--log-file={}", log.display()))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap();
    let stop_daemon = |daemon: &mut std::process::Child| {
        // SIGTERM to the daemon's own group (its pid), which it leads.
        let _ = std::process::Command::new("kill")
            .args(["-TERM", "--", &format!("-{}", daemon.id())])
            .status();
        let _ = daemon.wait();
    };
    // Wait until it listens.
    let up = (0..50).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    let out = TempDir::new("it-out");
    let j = job(
        "xstap_it_distcc",
        hello("xstap_it_distcc"),
        target(AMD64, k),
        out.path(),
    );
    let distcc_dir = work.path().join("state");
    fs::create_dir(&distcc_dir).unwrap();
    let opts = BuildOptions {
        distcc: true,
        make_env: vec![
            ("DISTCC_HOSTS".into(), format!("127.0.0.1:{port}/2")),
            ("DISTCC_FALLBACK".into(), "0".into()),
            ("DISTCC_DIR".into(), distcc_dir.display().to_string()),
        ],
        keep: true,
        tmp_root: Some(work.path().to_path_buf()),
        ..Default::default()
    };
    let o = build::build(&j, &opts);
    stop_daemon(&mut daemon);
    assert!(up, "distccd did not start");
    let b = o.result.unwrap_or_else(|f| panic!("{:#?}", f.diagnostics));
    assert!(b.vermagic.starts_with(AMD64));
    let log = fs::read_to_string(&log).unwrap();
    assert!(
        log.contains("COMPILE_OK") && log.contains("xstap_it_distcc_main"),
        "distccd log:\n{log}"
    );
}
