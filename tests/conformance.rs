//! The conformance harness: runs SystemTap's own test scripts (the corpus in
//! `../shared/conformance`, read in place, never copied) against the built
//! `xstap` the way SystemTap's test suite drives them, and reports.
//!
//! For each `DIR/*.stp`: if line 1 is `#! stap ARGS`, run `xstap ARGS FILE`
//! (adding `-pN` for the suite's pass when ARGS has no `-p`); otherwise run
//! the file with the interpreter of its `#!` line, with a temporary directory
//! first on `PATH` that holds a `stap` symlink to xstap. A `*ok` test passes
//! on exit status 0; a `*ko` test passes on a non-zero exit status *with a
//! diagnostic of the right kind* (the suite's code prefixes). A signal, an
//! exit status of 128 or more from a script (a crashed child), an internal
//! error (E0901) or a timeout always fails.
//!
//! The module is reused by every pass: a [`Suite`] names the directory, the
//! expected outcome, the pass and the accepted codes; [`suites`] maps an area
//! (`parse`, `sem`, `trans`, `build`) to its suites. Nothing here panics on
//! odd test files: problems become failing or skipped outcomes.

use std::fmt;
use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Whether the tests of a suite must succeed or fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    Ok,
    Ko,
}

/// One directory of the corpus and how to judge it.
#[derive(Debug, Clone)]
pub struct Suite {
    /// Directory name under the corpus root, e.g. `parseok`.
    pub dir: &'static str,
    pub expect: Expect,
    /// The pass implied (`-pN`) when a `#! stap` line gives no `-p`.
    pub pass: u8,
    /// Code prefixes (`E01`, `E0203`) of the diagnostics that count as the
    /// right kind of failure for a ko test.
    pub ko_codes: &'static [&'static str],
    /// Codes that never count as the right kind of failure, even when a prefix
    /// matches (e.g. "pass not available").
    pub ko_excluded: &'static [&'static str],
    /// Codes that count as the right kind of failure for a ko test whose
    /// script drives `staprun` (the loader's command line) instead of stap.
    pub staprun_codes: &'static [&'static str],
    /// Files not run, with the reason.
    pub skip: &'static [(&'static str, &'static str)],
    /// Time allowed for one test.
    pub timeout: Duration,
}

/// Codes that show the failure is "not implemented" or a crash: never a
/// right-kind failure.
pub const NOT_A_VERDICT: &[&str] = &["E0007", "E0901"];

/// Parse failures: command-line errors (E00xx: stap reports bad options and
/// unreadable scripts before pass 1 and keeps such tests in parseko), syntax
/// (E01xx) and preprocessor (E02xx) errors.
pub const PARSE_CODES: &[&str] = &["E00", "E01", "E02"];

/// The loader's "bad command line" code: parseko keeps staprun's option checks.
pub const STAPRUN_USAGE_CODES: &[&str] = &["E0801"];

/// pass 1: `parseok` must parse, `parseko` must fail with a parse diagnostic.
pub fn parse_suites() -> Vec<Suite> {
    // Generous: `parseok/unparser.stp` runs xstap twice on every script of the
    // corpus, and CI runs qemu tests beside this one on two cores.
    let timeout = Duration::from_secs(300);
    vec![
        Suite {
            dir: "parseok",
            expect: Expect::Ok,
            pass: 1,
            ko_codes: &[],
            ko_excluded: &[],
            staprun_codes: &[],
            skip: &[],
            timeout,
        },
        Suite {
            dir: "parseko",
            expect: Expect::Ko,
            pass: 1,
            ko_codes: PARSE_CODES,
            ko_excluded: NOT_A_VERDICT,
            staprun_codes: STAPRUN_USAGE_CODES,
            skip: &[],
            timeout,
        },
    ]
}

/// Semantic failures: everything a ko test may rightly fail with up to pass
/// 2: command line and parse (E00xx-E02xx), elaboration (E04xx) and type
/// checking (E05xx). Kernel-profile errors (E03xx: a missing target) and
/// "not supported yet" (E0599) are not verdicts.
pub const SEM_CODES: &[&str] = &["E00", "E01", "E02", "E04", "E05"];

/// Codes never counted as a semko verdict: "not implemented" and crashes,
/// and elaboration's "construct not supported yet".
pub const SEM_NOT_A_VERDICT: &[&str] = &["E0007", "E0901", "E0599"];

/// The kernel the pass-2 and later suites are checked against: one of the
/// test kernels `cargo xtask test` fetches (`xtask/src/test.rs`).
pub const SEM_RELEASE: &str = "6.1.0-56-amd64";

/// semok files that cannot pass with BTF alone (they need DWARF, which
/// xstap does not read, or user-space debug information), with the reason.
/// Nothing else may be skipped: every other file counts.
pub const SEMOK_SKIPS: &[(&str, &str)] = &[
    ("badvar_undefined.stp", "its last alternative, __do_sys_getxattr, is inlined (SYSCALL_DEFINE): only DWARF has inline instances"),
    ("bz11911.stp", "lists $p:struct point of a user-space binary's function: needs the binary's DWARF"),
    ("defined_list_vars.stp", "__do_sys_poll is inlined (SYSCALL_DEFINE): only DWARF has inline instances"),
    ("fourteenhundredninetytwo.stp", "process(\"/bin/sh\").function(\"main\"): Debian's /bin/sh is stripped, main is only in its debug information"),
    ("mangled.stp", "$pc/$die of a user-space C++ function: needs the binary's DWARF"),
    ("plt1.stp", "$$name and $vars of a user-space PLT probe: needs the binary's debug information"),
    ("pr33428.stp", "$inode of nfsv3's unexported nfs3_proc_access: needs the module's debug information (a profile holds vmlinux BTF)"),
    ("retvar2.stp", "@entry($argv) of a user-space function: needs the binary's DWARF"),
    ("thirtynine.stp", "context_switch is always inlined: only DWARF has inline instances"),
    ("thirtyone.stp", "kernel.function(\"*@module.c\") selects by source file: needs DWARF"),
    ("thirtysix-utrace.stp", "$vars of process(\"stap\").syscall probes (user-space process probes with target variables)"),
    ("xfslines.stp", "module(\"xfs\").statement(\"*@*:*\"): statement probes need DWARF line information"),
];

/// pass 2: `semok` must elaborate against [`SEM_RELEASE`], `semko` must fail
/// with a parse or semantic diagnostic. Run these with the environment of
/// [`sem_target`].
pub fn sem_suites() -> Vec<Suite> {
    let timeout = Duration::from_secs(120);
    vec![
        Suite {
            dir: "semok",
            expect: Expect::Ok,
            pass: 2,
            ko_codes: &[],
            ko_excluded: &[],
            staprun_codes: &[],
            skip: SEMOK_SKIPS,
            timeout,
        },
        Suite {
            dir: "semko",
            expect: Expect::Ko,
            pass: 2,
            ko_codes: SEM_CODES,
            ko_excluded: SEM_NOT_A_VERDICT,
            staprun_codes: STAPRUN_USAGE_CODES,
            skip: &[],
            timeout,
        },
    ]
}

/// Where the tests keep fetched kernels and profiles (the `XSTAP_HOME` of
/// the tests): `XSTAP_TEST_HOME`, else `<workspace>/target/xstap-home`, as
/// `cargo xtask test` fetches them.
pub fn test_home() -> PathBuf {
    match std::env::var_os("XSTAP_TEST_HOME").filter(|v| !v.is_empty()) {
        Some(h) => PathBuf::from(h),
        None => workspace_root().join("target/xstap-home"),
    }
}

/// The environment the suites of pass 2 and later run xstap (and the shell
/// scripts' `stap`) in: `XSTAP_HOME` = [`test_home`] and `XSTAP_RELEASE` =
/// [`SEM_RELEASE`]. `Ok(None)` when that profile is absent outside CI; an
/// error when it is absent in CI (`CI` set), where `cargo xtask test` has
/// fetched it.
pub fn sem_target() -> Result<Option<Vec<(String, std::ffi::OsString)>>, String> {
    let home = test_home();
    if home.join("targets").join(SEM_RELEASE).is_dir() {
        return Ok(Some(vec![
            ("XSTAP_HOME".to_owned(), home.into_os_string()),
            ("XSTAP_RELEASE".to_owned(), SEM_RELEASE.into()),
        ]));
    }
    if std::env::var_os("CI").is_some() {
        return Err(format!(
            "no {SEM_RELEASE} profile in {} (CI must have it: `cargo xtask test` fetches it with `xstap target fetch debian:{SEM_RELEASE}`)",
            home.display()
        ));
    }
    Ok(None)
}

/// The suites of one area: `parse`, `sem`, `trans`, `build`, or `all`.
/// Areas other than `parse` and `sem` are filled in by the passes that
/// implement them (give their suites here; the runner and report need no
/// change). Suites of pass 2 and later need the [`sem_target`] environment.
pub fn suites(area: &str) -> Option<Vec<Suite>> {
    match area {
        "parse" => Some(parse_suites()),
        "sem" => Some(sem_suites()),
        "trans" => Some(trans_suites()),
        "build" => Some(build_suites()),
        "all" => Some(
            ["parse", "sem", "trans", "build"]
                .iter()
                .flat_map(|a| suites(a).unwrap_or_default())
                .collect(),
        ),
        _ => None,
    }
}

/// Translation and build failures: everything up to pass 2, plus code
/// generation (E06xx) and, for pass 4, the build (E07xx).
pub const TRANS_CODES: &[&str] = &["E00", "E01", "E02", "E04", "E05", "E06"];
pub const BUILD_CODES: &[&str] = &["E00", "E01", "E02", "E04", "E05", "E06", "E07"];

/// Not verdicts for transko/buildko: crashes and the "not supported yet"
/// codes of elaboration (E0599) and code generation (E0601).
pub const TRANS_NOT_A_VERDICT: &[&str] = &["E0007", "E0901", "E0599", "E0601"];

/// pass 3: `transok` must translate to C, `transko` must fail with a
/// diagnostic of pass 1-3. Run with the environment of [`sem_target`].
pub fn trans_suites() -> Vec<Suite> {
    let timeout = Duration::from_secs(120);
    vec![
        Suite {
            dir: "transok",
            expect: Expect::Ok,
            pass: 3,
            ko_codes: &[],
            ko_excluded: &[],
            staprun_codes: &[],
            skip: SEMOK_SKIPS,
            timeout,
        },
        Suite {
            dir: "transko",
            expect: Expect::Ko,
            pass: 3,
            ko_codes: TRANS_CODES,
            ko_excluded: TRANS_NOT_A_VERDICT,
            staprun_codes: STAPRUN_USAGE_CODES,
            skip: &[],
            timeout,
        },
    ]
}

/// pass 4: `buildok` must build a `.ko` for [`SEM_RELEASE`] with kbuild,
/// `buildko` must fail with a diagnostic of pass 1-4. Slow (one kbuild per
/// file): run by `cargo xtask conformance build`, not by `cargo test`.
pub fn build_suites() -> Vec<Suite> {
    let timeout = Duration::from_secs(600);
    vec![
        Suite {
            dir: "buildok",
            expect: Expect::Ok,
            pass: 4,
            ko_codes: &[],
            ko_excluded: &[],
            staprun_codes: &[],
            skip: SEMOK_SKIPS,
            timeout,
        },
        Suite {
            dir: "buildko",
            expect: Expect::Ko,
            pass: 4,
            ko_codes: BUILD_CODES,
            ko_excluded: TRANS_NOT_A_VERDICT,
            staprun_codes: STAPRUN_USAGE_CODES,
            skip: &[],
            timeout,
        },
    ]
}

/// What one test gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail(String),
    Skip(String),
}

/// One test's result.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub file: PathBuf,
    pub verdict: Verdict,
    /// The first diagnostic line xstap printed (`error[E0103]: ...`), if any.
    pub first_diagnostic: Option<String>,
    /// Every code seen on stderr, in order.
    pub codes: Vec<String>,
    pub elapsed: Duration,
}

/// The results of one suite.
#[derive(Debug, Clone)]
pub struct Report {
    pub suite: Suite,
    pub outcomes: Vec<Outcome>,
}

impl Report {
    pub fn passed(&self) -> usize {
        self.outcomes
            .iter()
            .filter(|o| o.verdict == Verdict::Pass)
            .count()
    }
    pub fn failed(&self) -> usize {
        self.outcomes
            .iter()
            .filter(|o| matches!(o.verdict, Verdict::Fail(_)))
            .count()
    }
    pub fn skipped(&self) -> usize {
        self.outcomes
            .iter()
            .filter(|o| matches!(o.verdict, Verdict::Skip(_)))
            .count()
    }
    /// Passed / (passed + failed); skipped tests are not counted. 1.0 when empty.
    pub fn rate(&self) -> f64 {
        let run = self.passed() + self.failed();
        if run == 0 {
            1.0
        } else {
            self.passed() as f64 / run as f64
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}: {} passed, {} failed, {} skipped ({:.1} % of those run)",
            self.suite.dir,
            self.passed(),
            self.failed(),
            self.skipped(),
            self.rate() * 100.0
        )?;
        for o in &self.outcomes {
            let name = o
                .file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            match &o.verdict {
                Verdict::Pass => {}
                Verdict::Fail(why) => {
                    writeln!(f, "  FAIL {}/{name}: {why}", self.suite.dir)?;
                    if let Some(d) = &o.first_diagnostic {
                        writeln!(f, "       {d}")?;
                    }
                }
                Verdict::Skip(why) => writeln!(f, "  skip {}/{name}: {why}", self.suite.dir)?,
            }
        }
        Ok(())
    }
}

/// Everything a run needs: the binaries, the corpus and a scratch directory.
pub struct Env {
    pub xstap: PathBuf,
    /// The loader, run as `staprun` by the scripts that test its options;
    /// those scripts are skipped without it.
    pub xstap_run: Option<PathBuf>,
    pub corpus: PathBuf,
    /// Holds `bin/stap` (a symlink to xstap), `bin/staprun` (to xstap-run), `testsuite/` (symlinks to the
    /// corpus directories, as `$SRCDIR/testsuite` for scripts that walk the
    /// corpus) and `work/` (the scripts' working directory).
    scratch: PathBuf,
    /// Variables set for every test (e.g. the [`sem_target`] ones).
    envs: Vec<(String, std::ffi::OsString)>,
}

impl Env {
    pub fn new(xstap: PathBuf, xstap_run: Option<PathBuf>, corpus: PathBuf) -> Result<Env, String> {
        // One scratch directory per Env: the parse and sem suites run in
        // parallel threads of one test process.
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let scratch =
            std::env::temp_dir().join(format!("xstap-conformance-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&scratch);
        let io = |e: std::io::Error| format!("cannot set up {}: {e}", scratch.display());
        std::fs::create_dir_all(scratch.join("bin")).map_err(io)?;
        std::fs::create_dir_all(scratch.join("testsuite")).map_err(io)?;
        std::fs::create_dir_all(scratch.join("work")).map_err(io)?;
        std::os::unix::fs::symlink(&xstap, scratch.join("bin/stap")).map_err(io)?;
        if let Some(run) = &xstap_run {
            std::os::unix::fs::symlink(run, scratch.join("bin/staprun")).map_err(io)?;
        }
        if let Ok(entries) = std::fs::read_dir(&corpus) {
            for e in entries.flatten() {
                if e.path().is_dir() {
                    let _ = std::os::unix::fs::symlink(
                        e.path(),
                        scratch.join("testsuite").join(e.file_name()),
                    );
                }
            }
        }
        Ok(Env {
            xstap,
            xstap_run,
            corpus,
            scratch,
            envs: Vec::new(),
        })
    }

    /// Sets these environment variables for every test run.
    pub fn with_env(mut self, vars: Vec<(String, std::ffi::OsString)>) -> Env {
        self.envs.extend(vars);
        self
    }

    /// Runs every test of `suite`, in file-name order.
    pub fn run_suite(&self, suite: &Suite) -> Report {
        let dir = self.corpus.join(suite.dir);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map(|rd| {
                rd.flatten()
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "stp"))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        let outcomes = files.iter().map(|f| self.run_one(suite, f)).collect();
        Report {
            suite: suite.clone(),
            outcomes,
        }
    }

    fn run_one(&self, suite: &Suite, file: &Path) -> Outcome {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let skipped = |why: String| Outcome {
            file: file.to_path_buf(),
            verdict: Verdict::Skip(why),
            first_diagnostic: None,
            codes: Vec::new(),
            elapsed: Duration::ZERO,
        };
        if let Some((_, why)) = suite.skip.iter().find(|(n, _)| *n == name) {
            return skipped((*why).to_owned());
        }
        let text = std::fs::read(file).unwrap_or_default();
        let first = text.split(|&b| b == b'\n').next().unwrap_or_default();
        let first = String::from_utf8_lossy(first).into_owned();
        let mut staprun = false;
        let mut cmd = match shebang(&first) {
            Shebang::Stap(args) => {
                let mut c = Command::new(&self.xstap);
                let has_pass = args
                    .iter()
                    .any(|a| a.starts_with('-') && !a.starts_with("--") && a.contains('p'));
                if !has_pass {
                    c.arg(format!("-p{}", suite.pass));
                }
                c.args(&args).arg(file);
                c
            }
            Shebang::Interpreter(interp) => {
                let body = String::from_utf8_lossy(&text);
                if uses_command(&body, "staprun") {
                    if self.xstap_run.is_none() {
                        return skipped(
                            "drives `staprun` and no xstap-run binary was given".into(),
                        );
                    }
                    staprun = true;
                }
                let mut c = Command::new(&interp[0]);
                c.args(&interp[1..]).arg(file);
                c
            }
            Shebang::None => {
                let mut c = Command::new("sh");
                c.arg(file);
                c
            }
        };
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut paths = vec![self.scratch.join("bin")];
        paths.extend(std::env::split_paths(&path));
        cmd.env("PATH", std::env::join_paths(paths).unwrap_or(path))
            .env("SRCDIR", &self.scratch)
            .env_remove("SYSTEMTAP_TAPSET")
            .env_remove("TMPDIR")
            .envs(self.envs.iter().map(|(k, v)| (k, v)))
            .current_dir(self.scratch.join("work"));
        let run = run_with_timeout(cmd, suite.timeout);
        let (codes, first_diagnostic) = scan_diagnostics(&run.stderr);
        let accepted = if staprun {
            suite.staprun_codes
        } else {
            suite.ko_codes
        };
        let verdict = judge(
            suite,
            accepted,
            &run,
            &codes,
            matches!(shebang(&first), Shebang::Stap(_)),
        );
        Outcome {
            file: file.to_path_buf(),
            verdict,
            first_diagnostic,
            codes,
            elapsed: run.elapsed,
        }
    }
}

fn judge(suite: &Suite, accepted: &[&str], run: &Run, codes: &[String], direct: bool) -> Verdict {
    if run.timed_out {
        return Verdict::Fail(format!("timed out after {:?}", suite.timeout));
    }
    if let Some(e) = &run.spawn_error {
        return Verdict::Fail(format!("cannot run: {e}"));
    }
    if let Some(sig) = run.signal {
        return Verdict::Fail(format!("killed by signal {sig}"));
    }
    if codes.iter().any(|c| c == "E0901") {
        return Verdict::Fail("internal error (E0901)".into());
    }
    let code = run.code.unwrap_or(-1);
    if !direct && code >= 128 {
        return Verdict::Fail(format!(
            "exit status {code}: a command in the script crashed"
        ));
    }
    match suite.expect {
        Expect::Ok if code == 0 => Verdict::Pass,
        Expect::Ok => Verdict::Fail(format!("exit status {code}, expected 0")),
        Expect::Ko if code == 0 => Verdict::Fail("exit status 0, expected a failure".into()),
        Expect::Ko => {
            let right = codes.iter().any(|c| {
                accepted.iter().any(|p| c.starts_with(p))
                    && !suite.ko_excluded.contains(&c.as_str())
            });
            if right {
                Verdict::Pass
            } else if codes.is_empty() {
                Verdict::Fail(format!("exit status {code} without a diagnostic"))
            } else {
                Verdict::Fail(format!(
                    "failed with the wrong kind of diagnostic ({})",
                    codes.join(", ")
                ))
            }
        }
    }
}

enum Shebang {
    /// `#! stap ARGS`.
    Stap(Vec<String>),
    /// `#! /bin/sh ...`: the interpreter and its arguments.
    Interpreter(Vec<String>),
    None,
}

fn shebang(line: &str) -> Shebang {
    let Some(rest) = line.strip_prefix("#!") else {
        return Shebang::None;
    };
    let words: Vec<String> = rest.split_whitespace().map(str::to_owned).collect();
    match words.split_first() {
        Some((w, args)) if w == "stap" || w.ends_with("/stap") => Shebang::Stap(args.to_vec()),
        Some(_) => Shebang::Interpreter(words),
        None => Shebang::None,
    }
}

/// Whether `cmd` appears as a command word in a shell script (at the start
/// of a line, after whitespace).
fn uses_command(script: &str, cmd: &str) -> bool {
    script.lines().any(|l| {
        let l = l.trim_start();
        !l.starts_with('#') && l.split_whitespace().next() == Some(cmd)
    })
}

/// Diagnostic codes (`error[E0103]`, `"code":"E0103"`) in `stderr`, and the
/// first diagnostic line.
pub fn scan_diagnostics(stderr: &str) -> (Vec<String>, Option<String>) {
    let mut codes = Vec::new();
    let mut first = None;
    for line in stderr.lines() {
        let mut found = false;
        for (i, _) in line.match_indices('E') {
            let Some(code) = line.get(i..i + 5) else {
                continue;
            };
            let digits = code[1..].bytes().all(|b| b.is_ascii_digit());
            let before = line[..i].chars().last();
            let after = line[i + 5..].chars().next();
            if digits
                && matches!(before, Some('[') | Some('"'))
                && matches!(after, Some(']') | Some('"'))
            {
                codes.push(code.to_owned());
                found = true;
            }
        }
        if found && first.is_none() {
            first = Some(line.trim().chars().take(200).collect());
        }
    }
    (codes, first)
}

struct Run {
    code: Option<i32>,
    signal: Option<i32>,
    timed_out: bool,
    spawn_error: Option<String>,
    stderr: String,
    elapsed: Duration,
}

/// Runs `cmd` in its own process group with stdin closed, stdout discarded
/// and stderr captured; kills the whole group at the timeout.
fn run_with_timeout(mut cmd: Command, timeout: Duration) -> Run {
    let start = Instant::now();
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return Run {
                code: None,
                signal: None,
                timed_out: false,
                spawn_error: Some(e.to_string()),
                stderr: String::new(),
                elapsed: start.elapsed(),
            }
        }
    };
    let mut stderr_pipe = child.stderr.take();
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(p) = stderr_pipe.as_mut() {
            // Keep at most 1 MB; read the rest to let the child finish.
            let _ = p.take(1 << 20).read_to_end(&mut buf);
            let _ = std::io::copy(p, &mut std::io::sink());
        }
        String::from_utf8_lossy(&buf).into_owned()
    });
    let pgid = child.id();
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if start.elapsed() > timeout => {
                timed_out = true;
                let _ = Command::new("kill")
                    .args(["-KILL", "--", &format!("-{pgid}")])
                    .status();
                let _ = child.kill();
                break child.wait().ok();
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(2)),
            Err(_) => break None,
        }
    };
    // Children left behind by a script would keep the pipe open.
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pgid}")])
        .stderr(Stdio::null())
        .status();
    let stderr = reader.join().unwrap_or_default();
    Run {
        code: status.and_then(|s| s.code()),
        signal: status.and_then(|s| s.signal()),
        timed_out,
        spawn_error: None,
        stderr,
        elapsed: start.elapsed(),
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.scratch);
    }
}

/// The workspace root: the nearest directory above the current one that
/// holds this harness (`tests/conformance.rs`) beside a `Cargo.toml`, else
/// the parent of this crate as it was built (a binary may have been built
/// from another checkout sharing the target directory).
pub fn workspace_root() -> PathBuf {
    if let Ok(cwd) = std::env::current_dir() {
        for dir in cwd.ancestors() {
            if dir.join("Cargo.toml").is_file() && dir.join("tests/conformance.rs").is_file() {
                return dir.to_path_buf();
            }
        }
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The corpus: `XSTAP_CONFORMANCE`, else `../shared/conformance` beside the
/// workspace. `Ok(None)` when it is absent outside CI; an error when it is
/// absent in CI (`CI` set), where it must be present.
pub fn corpus_dir() -> Result<Option<PathBuf>, String> {
    let dir = match std::env::var_os("XSTAP_CONFORMANCE") {
        Some(d) => PathBuf::from(d),
        None => workspace_root().join("../shared/conformance"),
    };
    if dir.join("parseok").is_dir() {
        return Ok(Some(dir.canonicalize().unwrap_or(dir)));
    }
    if std::env::var_os("CI").is_some() {
        return Err(format!(
            "the conformance corpus is missing at {} (CI must have it; set XSTAP_CONFORMANCE to its path)",
            dir.display()
        ));
    }
    Ok(None)
}

/// The xstap binary to test: `XSTAP_BIN` when set, else built now with
/// `cargo build -p xstap` (in `--release` when asked) so the tests never run
/// a stale binary.
pub fn xstap_binary(release: bool) -> Result<PathBuf, String> {
    if let Some(b) = std::env::var_os("XSTAP_BIN") {
        return Ok(PathBuf::from(b));
    }
    build_binary("xstap", "xstap", release)
}

/// The loader (`xstap-run`), for the scripts that call `staprun`:
/// `XSTAP_RUN_BIN` when set, else built now; `None` when it does not build.
pub fn xstap_run_binary(release: bool) -> Option<PathBuf> {
    if let Some(b) = std::env::var_os("XSTAP_RUN_BIN") {
        return Some(PathBuf::from(b));
    }
    build_binary("xstap-run", "xstap-run", release).ok()
}

/// Builds `bin` of `package` with cargo and returns the executable's path.
pub fn build_binary(package: &str, bin: &str, release: bool) -> Result<PathBuf, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args([
        "build",
        "--quiet",
        "-p",
        package,
        "--bin",
        bin,
        "--message-format=json",
    ]);
    if release {
        cmd.arg("--release");
    }
    let out = cmd
        .current_dir(workspace_root())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run cargo build: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "`cargo build -p {package}` failed ({})",
            out.status
        ));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    for line in stdout.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if v["reason"] == "compiler-artifact" && v["target"]["name"] == bin {
            if let Some(exe) = v["executable"].as_str() {
                return snapshot(Path::new(exe), bin);
            }
        }
    }
    Err(format!(
        "`cargo build -p {package}` did not report the {bin} executable"
    ))
}

/// A private, immutable copy of a freshly built executable.
///
/// Tests run in parallel and several of them call `cargo build`; cargo
/// relinks `target/debug/xstap` whenever the features it is built with
/// differ (a `cargo test` build and a `cargo build` one), and a test that
/// runs the binary at that moment finds no file. A copy named by its
/// content never changes under a running test. It lives at
/// `target/snap-HASH/BIN`, the same depth as `target/debug/BIN`, so the
/// binary still finds the workspace's `tapsets/` the way it does from
/// `target/debug`.
pub fn snapshot(exe: &Path, bin: &str) -> Result<PathBuf, String> {
    let bytes = std::fs::read(exe).map_err(|e| format!("cannot read {}: {e}", exe.display()))?;
    let hash = blake3::hash(&bytes).to_hex();
    let dir = workspace_root()
        .join("target")
        .join(format!("snap-{}", &hash[..16]));
    let dest = dir.join(bin);
    if dest.is_file() {
        return Ok(dest);
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    // Threads of one test process share its pid: the counter keeps their
    // temporary names apart.
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = dir.join(format!(".{bin}.{}.{n}", std::process::id()));
    std::fs::write(&tmp, &bytes).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| format!("cannot make {} executable: {e}", tmp.display()))?;
    }
    std::fs::rename(&tmp, &dest).map_err(|e| format!("cannot place {}: {e}", dest.display()))?;
    Ok(dest)
}
