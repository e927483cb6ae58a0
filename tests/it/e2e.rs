//! End to end on real Debian kernels in qemu: the static `xstap-run`, the
//! transport (`runtime/c/transport.c`) inside the hand-written test module
//! `tests/data/e2e/xs_test`, and, once the compiler builds modules (`-p4`),
//! the compiled scripts of `tests/data/e2e/scripts/`.
//!
//! One boot per kernel runs every case (a boot costs 2-4 s under TCG); the
//! console is split back into cases ([`vm::case_outputs`]) and every failed
//! expectation of every case is reported together.
//!
//! Kernels: `XSTAP_TEST_KVERS` (default 6.1.0-56-amd64 and 6.1.0-56-arm64),
//! found or fetched by [`assets::kernel`]. When no kernel can be had the
//! test fails under CI (`CI` or `XSTAP_TEST_HOME` set, as `cargo xtask test`
//! does) and says why it did nothing otherwise.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use xstap_tests::vm::{self, assets, Arch, CaseOut, Kernel};

const DEFAULT_KVERS: &[&str] = &["6.1.0-56-amd64", "6.1.0-56-arm64"];

fn kvers() -> Vec<String> {
    match std::env::var("XSTAP_TEST_KVERS") {
        Ok(v) if !v.trim().is_empty() => v.split_whitespace().map(String::from).collect(),
        _ => DEFAULT_KVERS.iter().map(|s| s.to_string()).collect(),
    }
}

fn required() -> bool {
    std::env::var_os("CI").is_some() || std::env::var_os("XSTAP_TEST_HOME").is_some()
}

fn data_dir() -> PathBuf {
    assets::workspace_root().join("tests/data/e2e")
}

fn build_xs_test(k: &Kernel, out: &Path) -> Result<PathBuf, String> {
    assets::xs_test_module(k, out)
}

/// The same module with another release in its vermagic (same length).
fn with_other_release(ko: &[u8], release: &str) -> Vec<u8> {
    let other = release.replacen("-56-", "-99-", 1);
    let other = if other == release {
        format!("9{}", &release[1..])
    } else {
        other
    };
    let needle = format!("vermagic={release}");
    let mut v = ko.to_vec();
    if let Some(at) = v.windows(needle.len()).position(|w| w == needle.as_bytes()) {
        v[at + 9..at + 9 + other.len()].copy_from_slice(other.as_bytes());
    }
    v
}

/// The other arch's module: built for a test kernel of the other arch when
/// one has headers, else this one with its ELF machine changed.
fn other_arch_ko(k: &Kernel, ko: &[u8], scratch: &Path) -> (Vec<u8>, String) {
    let other = kvers()
        .into_iter()
        .find(|r| Arch::from_release(r).is_some_and(|a| a != k.arch));
    if let Some(ok) = other.and_then(|r| assets::kernel(&r).ok()) {
        if let Ok(p) = build_xs_test(&ok, &scratch.join("other")) {
            if let Ok(b) = std::fs::read(p) {
                return (b, format!("built for {}", ok.release));
            }
        }
    }
    let mut v = ko.to_vec();
    let m: u16 = if k.arch == Arch::X86_64 { 183 } else { 62 };
    v[18..20].copy_from_slice(&m.to_le_bytes());
    (v, "this module with its ELF machine changed".into())
}

type Check = Box<dyn Fn(&CaseOut) -> Vec<String>>;

struct Case {
    name: String,
    script: String,
    check: Check,
}

fn case(name: &str, script: &str, check: impl Fn(&CaseOut) -> Vec<String> + 'static) -> Case {
    Case {
        name: name.into(),
        script: script.into(),
        check: Box::new(check),
    }
}

/// Collects failed expectations of one case.
struct Expect<'a> {
    out: &'a CaseOut,
    fails: Vec<String>,
}

impl<'a> Expect<'a> {
    fn new(out: &'a CaseOut) -> Self {
        Expect {
            out,
            fails: Vec::new(),
        }
    }
    fn rc(mut self, rc: i32) -> Self {
        if self.out.rc != rc {
            self.fails
                .push(format!("exit status {} (expected {rc})", self.out.rc));
        }
        self
    }
    fn stdout(mut self, text: &str) -> Self {
        if !self.out.stdout.contains(text) {
            self.fails.push(format!("stdout lacks `{text}`"));
        }
        self
    }
    fn stderr(mut self, text: &str) -> Self {
        if !self.out.stderr.contains(text) {
            self.fails.push(format!("stderr lacks `{text}`"));
        }
        self
    }
    fn no_stdout(mut self, text: &str) -> Self {
        if self.out.stdout.contains(text) {
            self.fails.push(format!("stdout has `{text}`"));
        }
        self
    }
    fn stderr_empty(mut self) -> Self {
        if !self.out.stderr.trim().is_empty() {
            self.fails.push("stderr is not empty".into());
        }
        self
    }
    fn done(self) -> Vec<String> {
        self.fails
    }
}

/// `lsmod` after a case: appended by the case scripts below.
const LSMOD: &str = "echo \"LSMOD:$(lsmod | tail -n +2 | cut -d' ' -f1 | tr '\\n' ' ')\"";

fn not_loaded(out: &CaseOut, name: &str) -> Vec<String> {
    match out.stdout.lines().find_map(|l| l.strip_prefix("LSMOD:")) {
        Some(l) if l.split_whitespace().any(|m| m == name) => {
            vec![format!("module {name} still loaded: {l}")]
        }
        Some(_) => vec![],
        None => vec!["no LSMOD line".into()],
    }
}

/// The loader + transport cases, with the test module `xs_test.ko` in /work.
fn loader_cases(k: &Kernel, other_how: &str) -> Vec<Case> {
    let release = k.release.clone();
    let other_how = other_how.to_string();
    vec![
        case("exit", &format!("xstap-run xs_test.ko; rc=$?; {LSMOD}; exit $rc"), |o| {
            let mut f = Expect::new(o)
                .rc(0)
                .stdout("xs_test: begin mode=exit target=0\nxs_test: line 1 of 3\nxs_test: line 2 of 3\nxs_test: line 3 of 3\nxs_test: timer\nxs_test: end dropped=0\n")
                .stderr_empty()
                .done();
            f.extend(not_loaded(o, "xs_test"));
            f
        }),
        case("target_x", "xstap-run -x 1 xs_test.ko", |o| Expect::new(o).rc(0).stdout("target=1\n").done()),
        case("cmd", "xstap-run -c 'sleep 1; echo child-ran' xs_test.ko mode=wait", |o| {
            let mut f = Expect::new(o).rc(0).stdout("child-ran").stdout("xs_test: end").done();
            if o.stdout.contains("target=0") {
                f.push("-c did not set target()".into());
            }
            f
        }),
        case("sigint", &format!("xstap-run xs_test.ko mode=wait & p=$!; sleep 1; kill -INT $p; wait $p; rc=$?; {LSMOD}; exit $rc"), |o| {
            let mut f = Expect::new(o).rc(0).stdout("xs_test: line 3 of 3").stdout("xs_test: end dropped=0").done();
            f.extend(not_loaded(o, "xs_test"));
            f
        }),
        case("second_sigint", &format!("xstap-run xs_test.ko mode=wait stop_ms=3000 & p=$!; sleep 1; kill -INT $p; sleep 1; kill -INT $p; wait $p; {LSMOD}"), |o| {
            let mut f = Expect::new(o).stdout("xs_test: line 3 of 3").stderr("interrupted again").done();
            f.extend(not_loaded(o, "xs_test"));
            f
        }),
        case("attach", &format!("xstap-run -L xs_test.ko mode=wait > /dev/null; xstap-run -A xs_test & p=$!; sleep 1; kill -INT $p; wait $p; rc=$?; {LSMOD}; exit $rc"), |o| {
            let mut f = Expect::new(o).rc(0).stdout("xs_test: end dropped=0").done();
            f.extend(not_loaded(o, "xs_test"));
            f
        }),
        case("no_such_pid", "xstap-run -x 99999 xs_test.ko", |o| Expect::new(o).rc(1).stderr("error[E0819]").done()),
        case("sigterm", "xstap-run xs_test.ko mode=wait & p=$!; sleep 1; kill -TERM $p; wait $p", |o| Expect::new(o).rc(0).stdout("xs_test: end").done()),
        case("output_file", "xstap-run -o /tmp/o.txt xs_test.ko && echo FILE: && cat /tmp/o.txt", |o| {
            Expect::new(o).rc(0).stdout("FILE:\nxs_test: begin").stdout("xs_test: end").done()
        }),
        case("script_error", &format!("xstap-run xs_test.ko mode=error; rc=$?; {LSMOD}; exit $rc"), |o| {
            let mut f = Expect::new(o).rc(1).stderr("ERROR: division by zero near operator '/' at xs_test.stp:1:20").stderr("error[E0816]").stdout("xs_test: end").done();
            f.extend(not_loaded(o, "xs_test"));
            f
        }),
        case("start_fails", &format!("xstap-run xs_test.ko mode=failstart; rc=$?; {LSMOD}; exit $rc"), |o| {
            let mut f = Expect::new(o).rc(1).stderr("ERROR: xs_test: begin failed on purpose").stderr("error[E0815]").stderr("Invalid argument").no_stdout("xs_test: end").done();
            f.extend(not_loaded(o, "xs_test"));
            f
        }),
        case("init_fails", &format!("xstap-run xs_test.ko mode=initfail; rc=$?; {LSMOD}; exit $rc"), |o| {
            let mut f = Expect::new(o).rc(1).stderr("error[E0812]").stderr("ENOENT").stderr("xs_test: init fails on purpose").done();
            f.extend(not_loaded(o, "xs_test"));
            f
        }),
        case("procfs", "xstap-run -v xs_test.ko xs_procfs=1", |o| Expect::new(o).rc(0).stderr("transport: /proc/xstap_xs_test").stdout("xs_test: end").done()),
        case("debugfs_unmounted", "umount /sys/kernel/debug; xstap-run -v xs_test.ko", |o| {
            Expect::new(o).rc(0).stderr("mounted debugfs on /sys/kernel/debug").stderr("transport: /sys/kernel/debug/xstap/xs_test").stdout("xs_test: end").done()
        }),
        case("already_loaded", "xstap-run -L xs_test.ko mode=wait; echo L=$?; xstap-run xs_test.ko; echo again=$?; xstap-run -d xs_test; echo d=$?", |o| {
            Expect::new(o).rc(0).stdout("L=0").stderr("error[E0807]").stdout("again=1").stdout("xs_test: end").stdout("d=0").done()
        }),
        case("dropped", "xstap-run xs_test.ko mode=flood lines=20000 xs_bufsize_kb=16 > /tmp/flood.txt; rc=$?; wc -l < /tmp/flood.txt; tail -1 /tmp/flood.txt; exit $rc", |o| {
            let mut f = Expect::new(o).rc(0).stderr("warning[E0817]").stdout("xs_test: end dropped=").done();
            if o.stdout.contains("end dropped=0") {
                f.push("a 16 KiB buffer did not overflow".into());
            }
            f
        }),
        case("wrong_arch", &format!("xstap-run other-arch.ko; rc=$?; {LSMOD}; exit $rc"), move |o| {
            let mut f = Expect::new(o).rc(1).stderr("error[E0804]").stderr("but this machine is").done();
            f.extend(not_loaded(o, "xs_test"));
            if !f.is_empty() {
                f.push(format!("(the other-arch module is {other_how})"));
            }
            f
        }),
        case("wrong_kernel", &format!("xstap-run other-kernel.ko; rc=$?; {LSMOD}; exit $rc"), move |o| {
            let mut f = Expect::new(o).rc(1).stderr("error[E0805]").stderr(&format!("but this kernel is {release}")).stderr(&format!("xstap -r {release}")).done();
            f.extend(not_loaded(o, "xs_test"));
            f
        }),
        case("truncated", "head -c 3000 xs_test.ko > cut.ko; xstap-run cut.ko", |o| Expect::new(o).rc(1).stderr("error[E0803]").stderr("truncated").done()),
        case("not_elf", "echo 'not a module' > text.ko; xstap-run text.ko", |o| Expect::new(o).rc(1).stderr("error[E0803]").stderr("ELF magic").done()),
        case("missing_file", "xstap-run /nonexistent.ko", |o| Expect::new(o).rc(1).stderr("error[E0802]").done()),
        case("usage", "xstap-run -Q xs_test.ko", |o| Expect::new(o).rc(1).stderr("error[E0801]").done()),
        case("nothing_left", LSMOD, |o| not_loaded(o, "xs_test")),
    ]
}

struct Script {
    name: String,
    stp: PathBuf,
    directives: Vec<(String, String)>,
}

fn scripts() -> Vec<Script> {
    let dir = data_dir().join("scripts");
    let mut v: Vec<Script> = std::fs::read_dir(&dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "stp"))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
        .into_iter()
        .map(|stp| {
            let name = stp.file_stem().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(stp.with_extension("expect")).unwrap_or_default();
            let directives = text
                .lines()
                .filter(|l| !l.trim_start().starts_with('#'))
                .filter_map(|l| {
                    l.split_once(':')
                        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                })
                .collect();
            Script {
                name,
                stp,
                directives,
            }
        })
        .collect();
    v.sort_by(|a, b| a.name.cmp(&b.name));
    v
}

/// `{N}` a number, `{*}` anything, the rest literal; the whole line must match.
fn line_matches(pat: &str, line: &str) -> bool {
    fn go(p: &str, l: &str) -> bool {
        if let Some(rest) = p.strip_prefix("{N}") {
            let digits = l
                .bytes()
                .take_while(|b| b.is_ascii_digit() || *b == b'-')
                .count();
            return digits > 0 && (1..=digits).rev().any(|n| go(rest, &l[n..]));
        }
        if let Some(rest) = p.strip_prefix("{*}") {
            return (0..=l.len())
                .filter(|i| l.is_char_boundary(*i))
                .any(|i| go(rest, &l[i..]));
        }
        match p.chars().next() {
            None => l.is_empty(),
            Some(c) => l.starts_with(c) && go(&p[c.len_utf8()..], &l[c.len_utf8()..]),
        }
    }
    go(pat, line)
}

fn script_check(s: &Script) -> Check {
    let d = s.directives.clone();
    let name = s.name.clone();
    Box::new(move |o: &CaseOut| {
        let mut f = Vec::new();
        let want_rc: i32 = d
            .iter()
            .find(|(k, _)| k == "rc")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        if o.rc != want_rc {
            f.push(format!("exit status {} (expected {want_rc})", o.rc));
        }
        for (k, v) in &d {
            let ok = match k.as_str() {
                "stdout" => o.stdout.lines().any(|l| line_matches(v, l)),
                "stderr" => o.stderr.lines().any(|l| line_matches(v, l)),
                "stdout-has" => o.stdout.contains(v.as_str()),
                "stderr-has" => o.stderr.contains(v.as_str()),
                "not-loaded" => not_loaded(o, &name).is_empty(),
                _ => true,
            };
            if !ok {
                f.push(format!("`{k}: {v}` does not hold"));
            }
        }
        f
    })
}

/// Where the `xstap` compiler binary is, if built.
fn xstap_bin() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("XSTAP_BIN") {
        return Some(PathBuf::from(p));
    }
    // A snapshot of the freshly built binary: parallel tests relink
    // target/debug/xstap (see `conformance::snapshot`).
    xstap_tests::conformance::xstap_binary(false).ok()
}

fn compile(bin: &Path, release: &str, s: &Script, out: &Path) -> Result<PathBuf, String> {
    let mut cmd = Command::new(bin);
    cmd.arg("-r")
        .arg(release)
        .arg(&s.stp)
        .arg("-m")
        .arg(&s.name)
        .arg("-p4")
        .current_dir(out);
    // `args: -g ...`: extra compiler options (guru mode, -D, ...).
    for (_, v) in s.directives.iter().filter(|(k, _)| k == "args") {
        cmd.args(v.split_whitespace());
    }
    if let Some(h) = std::env::var_os("XSTAP_TEST_HOME") {
        cmd.env("XSTAP_HOME", h);
    }
    let o = cmd
        .output()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    let ko = out.join(format!("{}.ko", s.name));
    if o.status.success() && ko.is_file() {
        Ok(ko)
    } else {
        let err = String::from_utf8_lossy(&o.stderr);
        Err(format!(
            "`xstap -r {release} {} -m {} -p4` failed ({}): {}",
            s.stp.display(),
            s.name,
            o.status,
            err.lines().take(6).collect::<Vec<_>>().join(" | ")
        ))
    }
}

/// A program of the codegen tests: its generated units (the expected C in
/// `compiler/codegen/test_data/NAME.c`, which that crate's tests keep equal
/// to what `codegen::generate` emits) and, for begin/end/timer programs,
/// what the user-space shim printed (`test_data/shim/NAME.out`).
struct RuntimeProgram {
    name: String,
    units: Vec<(String, String, bool)>,
    shim: Option<(String, String, i32)>,
}

fn runtime_programs() -> Vec<RuntimeProgram> {
    let dir = assets::workspace_root().join("compiler/codegen/test_data");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "c"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
        .into_iter()
        .filter_map(|f| {
            let name = f.file_stem()?.to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&f).ok()?;
            let mut units: Vec<(String, String, bool)> = Vec::new();
            let mut cur: Option<(String, String, bool)> = None;
            for line in text.lines() {
                if let Some(h) = line.strip_prefix("/* ==== ") {
                    units.extend(cur.take());
                    // "NAME (compile: true) ==== */"; other sections (required symbols) are skipped.
                    if let Some((unit, rest)) = h.split_once(" (compile: ") {
                        cur = Some((unit.to_string(), String::new(), rest.starts_with("true")));
                    }
                } else if let Some(c) = cur.as_mut() {
                    c.1.push_str(line);
                    c.1.push('\n');
                }
            }
            units.extend(cur.take());
            let shim = std::fs::read_to_string(dir.join("shim").join(format!("{name}.out")))
                .ok()
                .and_then(|t| {
                    let (out, rest) = t.split_once("--- stderr ---\n")?;
                    let (err, exit) = rest.split_once("--- exit: ")?;
                    Some((out.to_string(), err.to_string(), exit.trim().parse().ok()?))
                });
            (!units.is_empty()).then_some(RuntimeProgram { name, units, shim })
        })
        .collect()
}

/// Build every codegen test program with the real runtime (`runtime/c`) as
/// module `xr_NAME` for `k`, in one make run; returns (program, .ko).
fn build_runtime_programs(
    k: &Kernel,
    out: &Path,
) -> Result<Vec<(RuntimeProgram, PathBuf)>, String> {
    let rt = assets::workspace_root().join("runtime/c");
    let runtime: Vec<PathBuf> = std::fs::read_dir(&rt)
        .map_err(|e| e.to_string())?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "c" || x == "h"))
        .collect();
    let _ = std::fs::remove_dir_all(out);
    let mut top = String::new();
    let progs = runtime_programs();
    for p in &progs {
        let d = out.join(&p.name);
        std::fs::create_dir_all(&d).map_err(|e| e.to_string())?;
        let mut objs: Vec<String> = Vec::new();
        for r in &runtime {
            std::fs::copy(r, d.join(r.file_name().unwrap())).map_err(|e| e.to_string())?;
            if r.extension().is_some_and(|x| x == "c") {
                objs.push(format!("{}.o", r.file_stem().unwrap().to_string_lossy()));
            }
        }
        objs.sort();
        for (unit, text, compile) in &p.units {
            std::fs::write(d.join(unit), text).map_err(|e| e.to_string())?;
            if *compile {
                objs.push(unit.replace(".c", ".o"));
            }
        }
        std::fs::write(
            d.join("Kbuild"),
            format!(
                "obj-m := xr_{0}.o\nxr_{0}-y := {1}\nccflags-y := -I$(src)\n",
                p.name,
                objs.join(" ")
            ),
        )
        .map_err(|e| e.to_string())?;
        top += &format!("obj-m += {}/\n", p.name);
    }
    std::fs::write(out.join("Kbuild"), top).map_err(|e| e.to_string())?;
    assets::make_modules(k, out)?;
    Ok(progs
        .into_iter()
        .map(|p| {
            let ko = out.join(&p.name).join(format!("xr_{}.ko", p.name));
            (p, ko)
        })
        .collect())
}

/// The kernels the codegen test programs were written for: their target
/// variables carry 6.1 struct offsets (hand-built, as pass 2 would compute
/// them from 6.1's BTF).
const CODEGEN_FIXTURE_SERIES: &str = "6.1.";

/// Cases that run the codegen programs: the kernel prints what the shim
/// printed. Kernel-probe programs must run cleanly on the kernels they were
/// written for; on others their 6.1 offsets may be wrong, and then the
/// fault must be a reported script error (never an oops, which fails the boot).
fn runtime_cases(
    v: &mut vm::Vm,
    built: Vec<(RuntimeProgram, PathBuf)>,
    release: &str,
) -> Vec<Case> {
    let native = release.starts_with(CODEGEN_FIXTURE_SERIES);
    let mut cases = Vec::new();
    for (p, ko) in built {
        let module = format!("xr_{}", p.name);
        if v.file(&ko, &format!("rt/{module}.ko")).is_err() {
            continue;
        }
        let script = format!("xstap-run rt/{module}.ko; rc=$?; {LSMOD}; exit $rc");
        let shim = p.shim.clone();
        cases.push(case(&format!("rt_{}", p.name), &script, move |o| {
            let mut f = not_loaded(o, &module);
            let stdout: String = o
                .stdout
                .lines()
                .filter(|l| !l.starts_with("LSMOD:"))
                .map(|l| format!("{l}\n"))
                .collect();
            match &shim {
                Some((out, err, exit)) => {
                    if &stdout != out {
                        f.push(format!("stdout differs from the user-space shim's:\n{out}"));
                    }
                    if !o.stderr.starts_with(err.as_str()) {
                        f.push(format!("stderr does not start with the shim's:\n{err}"));
                    }
                    if o.rc != *exit {
                        f.push(format!("exit status {} (the shim's: {exit})", o.rc));
                    }
                }
                None if native => {
                    if o.rc != 0 || o.stderr.contains("ERROR") {
                        f.push(format!("exit status {} with stderr", o.rc));
                    }
                }
                None => {
                    if o.rc != 0
                        && !(o.rc == 1
                            && o.stderr.contains("ERROR:")
                            && o.stderr.contains("error[E0816]"))
                    {
                        f.push(format!(
                            "exit status {} without a reported script error",
                            o.rc
                        ));
                    }
                }
            }
            f
        }));
    }
    cases
}

fn e2e(arch: Arch) {
    let Some(release) = kvers()
        .into_iter()
        .find(|r| Arch::from_release(r) == Some(arch))
    else {
        eprintln!("e2e {arch:?}: no kernel of this arch in XSTAP_TEST_KVERS; nothing to do");
        return;
    };
    let k = match assets::kernel(&release) {
        Ok(k) => k,
        Err(e) if !required() => {
            eprintln!("e2e {release}: kernel not available, not run (set CI=1 to make this a failure): {e}");
            return;
        }
        Err(e) => panic!("e2e {release}: kernel not available: {e}"),
    };
    let scratch = assets::scratch_dir(&format!("e2e-{release}")).unwrap();
    let busybox = assets::busybox(arch).unwrap();
    let loader = assets::loader(arch).unwrap();
    let ko_path = build_xs_test(&k, &scratch.join("xs_test"))
        .unwrap_or_else(|e| panic!("building xs_test for {release}: {e}"));
    let ko = std::fs::read(&ko_path).unwrap();
    let (other_arch, other_how) = other_arch_ko(&k, &ko, &scratch);

    let mut v = vm::Vm::new(k.clone(), busybox);
    v.timeout = Duration::from_secs(600);
    v.file(&loader, "/bin/xstap-run").unwrap();
    v.data("xs_test.ko", ko.clone(), 0o644);
    v.data("other-arch.ko", other_arch, 0o644);
    v.data("other-kernel.ko", with_other_release(&ko, &release), 0o644);

    let mut cases = loader_cases(&k, &other_how);
    if let Some(btf) = &k.btf {
        let out = Command::new("sha256sum")
            .arg(btf)
            .output()
            .expect("sha256sum");
        let host = String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_string();
        let size = std::fs::metadata(btf).map(|m| m.len()).unwrap_or(0);
        cases.push(case("btf", "sha256sum /sys/kernel/btf/vmlinux; wc -c < /sys/kernel/btf/vmlinux", move |o| {
            let mut f = Vec::new();
            if !o.stdout.contains(&host) || host.is_empty() {
                f.push(format!("/sys/kernel/btf/vmlinux differs from the offline BTF (host sha256 {host}, {size} bytes)"));
            }
            f
        }));
    } else {
        eprintln!("e2e {release}: no offline BTF for this kernel; BTF comparison not run");
    }

    // The real runtime with the codegen tests' programs (until the compiler
    // builds modules from scripts, this is what exercises runtime/c here).
    match build_runtime_programs(&k, &scratch.join("runtime")) {
        Ok(built) => cases.extend(runtime_cases(&mut v, built, &release)),
        Err(e) => panic!("building the codegen test programs with runtime/c for {release}: {e}"),
    }

    // Compiled scripts, once the compiler builds modules.
    let all_scripts = scripts();
    let mut compiler_note = String::new();
    match xstap_bin() {
        None if required() => panic!(
            "no target/debug/xstap: the compiled-script cases need it (`cargo build -p xstap`)"
        ),
        None => compiler_note =
            "compiler not available: no target/debug/xstap (build it with `cargo build -p xstap`)"
                .into(),
        Some(bin) => {
            let other_release = kvers()
                .into_iter()
                .find(|r| Arch::from_release(r).is_some_and(|a| a != arch));
            let out = scratch.join("scripts");
            std::fs::create_dir_all(&out).unwrap();
            for (i, s) in all_scripts.iter().enumerate() {
                let other = s
                    .directives
                    .iter()
                    .any(|(k, v)| k == "other-kernel" && v == "yes");
                let target = if other {
                    other_release.clone().unwrap_or_default()
                } else {
                    release.clone()
                };
                match compile(&bin, &target, s, &out) {
                    Ok(p) => {
                        v.file(&p, &format!("{}.ko", s.name)).unwrap();
                        let run = s
                            .directives
                            .iter()
                            .find(|(k, _)| k == "run")
                            .map(|(_, v)| v.clone())
                            .unwrap_or(format!("xstap-run {}.ko", s.name));
                        cases.push(Case {
                            name: s.name.clone(),
                            script: format!("{run}; rc=$?; {LSMOD}; exit $rc"),
                            check: script_check(s),
                        });
                    }
                    // Outside CI (no fetched profiles), a first failure means
                    // the compiler cannot build for this kernel here at all;
                    // under CI every compile failure is a test failure.
                    Err(e) if i == 0 && !required() => {
                        compiler_note = format!("compiler not available: {e}");
                        break;
                    }
                    Err(e) => panic!("{e}"),
                }
            }
        }
    }
    if !compiler_note.is_empty() {
        eprintln!(
            "e2e {release}: {} compiled-script cases not run: {compiler_note}",
            all_scripts.len()
        );
    }

    let pairs: Vec<(String, String)> = cases
        .iter()
        .map(|c| (c.name.clone(), c.script.clone()))
        .collect();
    let boot = v
        .run(&vm::cases_snippet(&pairs, 60))
        .unwrap_or_else(|e| panic!("boot of {release}: {e}"));
    eprintln!(
        "e2e {release}: {} cases in one boot, outcome {:?}, wall {:.1}s, guest uptime at init {:?}s, at done {:?}s",
        cases.len(),
        boot.outcome,
        boot.wall.as_secs_f64(),
        boot.uptime_at_init,
        boot.uptime_at_done
    );
    let outs = vm::case_outputs(&boot.console);
    let mut fails = Vec::new();
    if !matches!(boot.outcome, vm::Outcome::Ok) {
        fails.push(format!(
            "boot outcome {:?} (oops line: {:?})",
            boot.outcome,
            boot.oops_line()
        ));
    }
    for c in &cases {
        match outs.get(&c.name) {
            None => fails.push(format!("[{}] did not run", c.name)),
            Some(o) => {
                for f in (c.check)(o) {
                    fails.push(format!(
                        "[{}] {f}\n--- stdout:\n{}--- stderr:\n{}",
                        c.name, o.stdout, o.stderr
                    ));
                }
            }
        }
    }
    // A kernel without debugfs (`debugfs=off`): the module falls back to /proc.
    let mut nodbg = v.clone();
    nodbg.append = "debugfs=off".into();
    let nodbg_case = case(
        "debugfs_off",
        &format!("xstap-run -v xs_test.ko; rc=$?; {LSMOD}; exit $rc"),
        |o| {
            let mut f = Expect::new(o)
                .rc(0)
                .stderr("transport: /proc/xstap_xs_test")
                .stdout("xs_test: end dropped=0")
                .done();
            f.extend(not_loaded(o, "xs_test"));
            f
        },
    );
    let b2 = nodbg
        .run(&vm::cases_snippet(
            &[(nodbg_case.name.clone(), nodbg_case.script.clone())],
            60,
        ))
        .unwrap_or_else(|e| panic!("boot of {release} with debugfs=off: {e}"));
    eprintln!(
        "e2e {release}: debugfs=off boot, outcome {:?}, wall {:.1}s",
        b2.outcome,
        b2.wall.as_secs_f64()
    );
    match vm::case_outputs(&b2.console).get("debugfs_off") {
        None => fails.push(format!(
            "[debugfs_off] did not run (boot outcome {:?})",
            b2.outcome
        )),
        Some(o) => {
            for f in (nodbg_case.check)(o) {
                fails.push(format!(
                    "[debugfs_off] {f}\n--- stdout:\n{}--- stderr:\n{}",
                    o.stdout, o.stderr
                ));
            }
        }
    }

    if !fails.is_empty() {
        let log = scratch.join("console.log");
        let _ = std::fs::write(&log, &boot.console);
        panic!(
            "e2e {release}: {} failure(s) (console in {}):\n{}",
            fails.len(),
            log.display(),
            fails.join("\n")
        );
    }
    let _ = std::fs::remove_dir_all(&scratch);
}

#[test]
fn e2e_amd64() {
    e2e(Arch::X86_64);
}

#[test]
fn e2e_arm64() {
    e2e(Arch::Arm64);
}

#[test]
fn line_patterns() {
    assert!(line_matches("xstap-run {N}", "xstap-run 42"));
    assert!(!line_matches("xstap-run {N}", "xstap-run x"));
    assert!(line_matches("count={N}", "count=-1"));
    assert!(line_matches("{*} {N}", "sh 3"));
    assert!(!line_matches("a", "ab"));
    let v = with_other_release(b"..vermagic=6.1.0-56-amd64 SMP..", "6.1.0-56-amd64");
    assert_eq!(&v[..], b"..vermagic=6.1.0-99-amd64 SMP..");
    // Every compiled-script case has its expectations beside it (a script
    // without a `.expect` would run and check nothing).
    let cases = scripts();
    assert!(
        cases.len() >= 15,
        "tests/data/e2e/scripts lost cases: {}",
        cases.len()
    );
    for c in &cases {
        assert!(
            !c.directives.is_empty(),
            "{} has no `.expect` directives",
            c.stp.display()
        );
    }
}
