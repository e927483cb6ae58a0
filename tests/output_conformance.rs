//! Output conformance: SystemTap's `systemtap.printf`, `systemtap.string`
//! and `systemtap.maps` scripts, built by `xstap -p4` for one target kernel
//! and run with `xstap-run` in ONE qemu boot, their output compared line by
//! line with the expected text of their `NAME.exp` files.
//!
//! A case is one `set ::result_string ...` of an `.exp` file followed by a
//! `stap_run2 $srcdir/$subdir/SCRIPT ARGS` call (the first call after each
//! expected text; `--runtime=...` and `-DSTP_LEGACY_PRINT` variants are the
//! same case). Expected = stdout then stderr with one trailing newline
//! removed, as the corpus README says.
//!
//! [`run`] builds every case (`jobs` `xstap -p4` at a time; xstap's module
//! cache makes a rerun cheap) and runs them all in one boot; [`run_shim`]
//! runs them in the user-space shim instead (`xstap -p3` + host gcc), the
//! fast loop for begin/end/timer scripts. The reported rate is [`run`]'s.
//!
//! Depends on the `vm` module (boot, snippet, console split) and drives the
//! `xstap` and `xstap-run` executables; nothing of the compiler. Nothing
//! here prints: [`Report`] renders the result.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::vm::{self, assets, CaseOut, Vm};

/// The corpus directories of this suite.
pub const DIRS: &[&str] = &["systemtap.printf", "systemtap.string", "systemtap.maps"];

/// The kernel the suite builds for and boots.
pub const RELEASE: &str = "6.1.0-56-amd64";

/// Seconds one script may run in the guest before `timeout` stops it.
pub const CASE_LIMIT_SECS: u32 = 20;

/// One script run with its expected output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    /// `DIR/FILE.stp`, how the report names it.
    pub id: String,
    /// The module name (unique among the cases).
    pub module: String,
    pub script: PathBuf,
    /// Options for `xstap` (`-D...`, `-g`, `-w`, `--compatible=...`).
    pub xstap_args: Vec<String>,
    /// Options for `xstap-run` (`-c CMD`).
    pub run_args: Vec<String>,
    pub expected: String,
}

/// Splits a Tcl command line into words: `"..."` and `{...}` group,
/// everything else splits on blanks.
fn tcl_words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut w = String::new();
        if c == '"' {
            chars.next();
            for c in chars.by_ref() {
                if c == '"' {
                    break;
                }
                w.push(c);
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                w.push(c);
                chars.next();
            }
        }
        out.push(w);
    }
    out
}

/// The text of a Tcl word starting at `s[0]` (`{` or `"`), and the rest.
fn tcl_string(s: &str) -> Option<(String, &str)> {
    let mut it = s.char_indices();
    match it.next()?.1 {
        '{' => {
            let mut depth = 1;
            let mut esc = false;
            for (i, c) in it {
                if esc {
                    esc = false;
                    continue;
                }
                match c {
                    '\\' => esc = true,
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some((s[1..i].to_string(), &s[i + 1..]));
                        }
                    }
                    _ => {}
                }
            }
            None
        }
        '"' => {
            let mut out = String::new();
            let mut esc = false;
            for (i, c) in it {
                if esc {
                    out.push(match c {
                        'n' => '\n',
                        't' => '\t',
                        c => c,
                    });
                    esc = false;
                } else if c == '\\' {
                    esc = true;
                } else if c == '"' {
                    return Some((out, &s[i + 1..]));
                } else {
                    out.push(c);
                }
            }
            None
        }
        _ => None,
    }
}

/// A module name from a corpus path: `oc_` + the directory's suffix + the file stem.
fn module_name(dir: &str, stem: &str) -> String {
    let d = dir.rsplit('.').next().unwrap_or(dir);
    format!("oc_{d}_{stem}")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// The cases of one `.exp` file (`dir` is the corpus directory's name).
/// Little-endian targets take `little_endian_result_string`; the first
/// `::result_string` of a platform switch is the 64-bit one.
pub fn exp_cases(corpus: &Path, dir: &str, exp_text: &str) -> Vec<Case> {
    let mut cases: Vec<Case> = Vec::new();
    let mut test = String::new();
    let mut little: Option<String> = None;
    let mut pending: Option<String> = None;
    let mut rest = exp_text;
    // Join backslash-continued lines as Tcl does, lazily, per line.
    while !rest.is_empty() {
        let line_end = rest.find('\n').map_or(rest.len(), |i| i + 1);
        let line = rest[..line_end].trim();
        if let Some(v) = line.strip_prefix("set test ") {
            test = tcl_words(v).into_iter().next().unwrap_or_default();
        } else if let Some(v) = line.strip_prefix("set little_endian_result_string ") {
            let at = rest.find(v).unwrap_or(0);
            if let Some((text, after)) = tcl_string(&rest[at..]) {
                little = Some(text);
                rest = after;
                continue;
            }
        } else if line.contains("set ::result_string $little_endian_result_string") {
            pending = little.clone();
        } else if let Some(v) = line.strip_prefix("set ::result_string ") {
            if v.trim() == "$little_endian_result_string"
                || v.starts_with("$little_endian_result_string")
            {
                pending = little.clone();
            } else if v.starts_with('$') {
                // Another endianness' text: not this target's.
            } else {
                let at = rest.find(v).unwrap_or(0);
                if let Some((text, after)) = tcl_string(&rest[at..]) {
                    // Only the first text of an if/else platform switch counts.
                    if pending.is_none() {
                        pending = Some(text);
                    }
                    rest = after;
                    continue;
                }
            }
        } else if line.starts_with("stap_run2 ") {
            let mut full = line.to_string();
            let mut after = &rest[line_end..];
            while full.ends_with('\\') {
                full.pop();
                let e = after.find('\n').map_or(after.len(), |i| i + 1);
                full.push(' ');
                full.push_str(after[..e].trim());
                after = &after[e..];
            }
            let words = tcl_words(&full);
            if let (Some(expected), Some(path)) = (pending.take(), words.get(1)) {
                if let Some(file) = path.strip_prefix("$srcdir/$subdir/") {
                    let file = file.replace("$test", &test);
                    let script = corpus.join(dir).join(&file);
                    let stem = file.strip_suffix(".stp").unwrap_or(&file).to_string();
                    let (mut xstap_args, mut run_args) = (Vec::new(), Vec::new());
                    let mut w = words[2..].iter();
                    while let Some(a) = w.next() {
                        if a.starts_with("--runtime") || a == "-DSTP_LEGACY_PRINT" {
                            continue;
                        }
                        if a == "-c" {
                            run_args.push(a.clone());
                            run_args.extend(w.next().cloned());
                        } else {
                            xstap_args.push(a.clone());
                        }
                    }
                    if script.is_file() && !cases.iter().any(|c| c.script == script) {
                        cases.push(Case {
                            id: format!("{dir}/{file}"),
                            module: module_name(dir, &stem),
                            script,
                            xstap_args,
                            run_args,
                            expected,
                        });
                    }
                }
            }
            rest = after;
            continue;
        }
        rest = &rest[line_end..];
    }
    cases
}

/// Every case of the suite's directories in `corpus`, sorted by id.
pub fn cases(corpus: &Path) -> Vec<Case> {
    let mut all = Vec::new();
    for dir in DIRS {
        let Ok(rd) = std::fs::read_dir(corpus.join(dir)) else {
            continue;
        };
        let mut exps: Vec<PathBuf> = rd
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "exp"))
            .collect();
        exps.sort();
        for e in exps {
            let Ok(bytes) = std::fs::read(&e) else {
                continue;
            };
            all.extend(exp_cases(corpus, dir, &String::from_utf8_lossy(&bytes)));
        }
    }
    all.sort_by(|a, b| a.id.cmp(&b.id));
    all
}

/// The first difference of `actual` from `expected`, line by line, or `None`.
pub fn first_difference(expected: &str, actual: &str) -> Option<String> {
    let (e, a): (Vec<&str>, Vec<&str>) =
        (expected.split('\n').collect(), actual.split('\n').collect());
    for i in 0..e.len().max(a.len()) {
        match (e.get(i), a.get(i)) {
            (Some(x), Some(y)) if x == y => {}
            (x, y) => {
                let show = |l: Option<&&str>| {
                    l.map_or("<end of output>".to_string(), |l| format!("{l:?}"))
                };
                return Some(format!(
                    "line {}: expected {}, got {}",
                    i + 1,
                    show(x),
                    show(y)
                ));
            }
        }
    }
    None
}

/// What the compared text of a run is: stdout then stderr, one trailing newline removed.
pub fn actual_text(out: &CaseOut) -> String {
    let mut s = format!("{}{}", out.stdout, out.stderr);
    if s.ends_with('\n') {
        s.pop();
    }
    s
}

/// One case's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    /// The build failed: the first error line.
    BuildFailed(String),
    /// The output differs: the first differing line (and the exit status).
    Differs(String),
    /// The case printed nothing back (the boot ended early).
    NotRun(String),
}

/// The suite's result.
#[derive(Clone, Debug)]
pub struct Report {
    pub release: String,
    pub results: Vec<(Case, Verdict)>,
    pub build_time: Duration,
    pub boot_time: Duration,
    /// How the boot ended (`Ok` unless it crashed or timed out).
    pub boot_outcome: String,
}

impl Report {
    pub fn passed(&self) -> usize {
        self.results
            .iter()
            .filter(|(_, v)| *v == Verdict::Pass)
            .count()
    }
    pub fn total(&self) -> usize {
        self.results.len()
    }
    pub fn rate(&self) -> f64 {
        if self.total() == 0 {
            0.0
        } else {
            self.passed() as f64 / self.total() as f64
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (c, v) in &self.results {
            match v {
                Verdict::Pass => writeln!(f, "  pass  {}", c.id)?,
                Verdict::BuildFailed(m) => writeln!(f, "  FAIL  {} (build): {m}", c.id)?,
                Verdict::Differs(m) => writeln!(f, "  FAIL  {}: {m}", c.id)?,
                Verdict::NotRun(m) => writeln!(f, "  FAIL  {} (not run): {m}", c.id)?,
            }
        }
        writeln!(
            f,
            "output conformance on {}: {}/{} passed ({:.1} %); build {:.1} s, boot {:.1} s ({})",
            self.release,
            self.passed(),
            self.total(),
            100.0 * self.rate(),
            self.build_time.as_secs_f64(),
            self.boot_time.as_secs_f64(),
            self.boot_outcome
        )
    }
}

/// Builds `case` with `xstap -p4` into `out` (environment `env`); the .ko or the first error line.
pub fn build_case(
    xstap: &Path,
    release: &str,
    case: &Case,
    out: &Path,
    env: &[(String, std::ffi::OsString)],
) -> Result<PathBuf, String> {
    let mut cmd = Command::new(xstap);
    cmd.arg("-r")
        .arg(release)
        .arg("-m")
        .arg(&case.module)
        .arg("-p4")
        .args(&case.xstap_args)
        .arg(&case.script)
        .current_dir(out);
    cmd.envs(env.iter().map(|(k, v)| (k, v)));
    let o = cmd
        .output()
        .map_err(|e| format!("cannot run {}: {e}", xstap.display()))?;
    let ko = out.join(format!("{}.ko", case.module));
    if o.status.success() && ko.is_file() {
        return Ok(ko);
    }
    let err = String::from_utf8_lossy(&o.stderr);
    let first = err
        .lines()
        .find(|l| l.starts_with("error"))
        .or_else(|| err.lines().find(|l| !l.trim().is_empty()))
        .unwrap_or("no message");
    Err(format!("{} ({})", first.trim(), o.status))
}

/// Builds every case, `jobs` at a time; results in the order of `cases`.
pub fn build_all(
    xstap: &Path,
    release: &str,
    cases: &[Case],
    out: &Path,
    env: &[(String, std::ffi::OsString)],
    jobs: usize,
) -> Vec<Result<PathBuf, String>> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<PathBuf, String>>>> = Mutex::new(vec![None; cases.len()]);
    std::thread::scope(|s| {
        for _ in 0..jobs.max(1) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(c) = cases.get(i) else { break };
                let r = build_case(xstap, release, c, out, env);
                results.lock().unwrap()[i] = Some(r);
            });
        }
    });
    results
        .into_inner()
        .unwrap()
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err("not built".into())))
        .collect()
}

/// The guest command of a case (its module in /work).
pub fn run_command(case: &Case) -> String {
    let mut s = String::from("xstap-run");
    for a in &case.run_args {
        if a.starts_with('-') {
            s += &format!(" {a}");
        } else {
            s += &format!(" '{}'", a.replace('\'', "'\\''"));
        }
    }
    s + &format!(" {}.ko", case.module)
}

/// Where the inputs of a run are.
pub struct Setup {
    pub xstap: PathBuf,
    /// The `XSTAP_HOME` holding the target's profile.
    pub home: PathBuf,
    pub corpus: PathBuf,
    pub release: String,
    pub jobs: usize,
}

/// Builds every case and runs them all in one boot of `setup.release`.
pub fn run(setup: &Setup) -> Result<Report, String> {
    let cases = cases(&setup.corpus);
    let kernel = assets::kernel(&setup.release)?;
    let out = assets::scratch_dir("output-conformance")?;
    let env = vec![(
        "XSTAP_HOME".to_string(),
        setup.home.clone().into_os_string(),
    )];
    let t0 = Instant::now();
    let built = build_all(&setup.xstap, &setup.release, &cases, &out, &env, setup.jobs);
    let build_time = t0.elapsed();
    let busybox = assets::busybox(kernel.arch)?;
    let loader = assets::loader(kernel.arch)?;
    let mut v = Vm::new(kernel, busybox);
    v.timeout = Duration::from_secs(120 + u64::from(CASE_LIMIT_SECS) * cases.len() as u64);
    v.file(&loader, "/bin/xstap-run")?;
    let mut snippet_cases = Vec::new();
    for (c, b) in cases.iter().zip(&built) {
        if let Ok(ko) = b {
            v.file(ko, &format!("{}.ko", c.module))?;
            snippet_cases.push((c.module.clone(), run_command(c)));
        }
    }
    let t1 = Instant::now();
    let boot = v.run(&vm::cases_snippet(&snippet_cases, CASE_LIMIT_SECS))?;
    let boot_time = t1.elapsed();
    let _ = std::fs::remove_dir_all(&out);
    let outs = vm::case_outputs(&boot.console);
    let boot_outcome = match boot.oops_line() {
        Some(l) => format!("{:?}: {l}", boot.outcome),
        None => format!("{:?}", boot.outcome),
    };
    let results = cases
        .into_iter()
        .zip(built)
        .map(|(c, b)| {
            let v = match b {
                Err(e) => Verdict::BuildFailed(e),
                Ok(_) => match outs.get(&c.module) {
                    None => Verdict::NotRun(boot_outcome.clone()),
                    Some(o) => match first_difference(&c.expected, &actual_text(o)) {
                        None => Verdict::Pass,
                        Some(d) => Verdict::Differs(format!("{d} (exit {})", o.rc)),
                    },
                },
            };
            (c, v)
        })
        .collect();
    Ok(Report {
        release: setup.release.clone(),
        results,
        build_time,
        boot_time,
        boot_outcome,
    })
}

/// Runs `case` in the user-space shim (`runtime/c/shim`): `xstap -p3`
/// units and the runtime compiled by the host gcc with `XS_USERSPACE`, in
/// `dir`. Only begin/end/timer scripts can pass there; a fast first check.
pub fn shim_case(
    xstap: &Path,
    release: &str,
    case: &Case,
    dir: &Path,
    env: &[(String, std::ffi::OsString)],
) -> Result<CaseOut, String> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir.join("shim")).map_err(|e| e.to_string())?;
    let o = Command::new(xstap)
        .arg("-r")
        .arg(release)
        .arg("-m")
        .arg(&case.module)
        .arg("-p3")
        .args(&case.xstap_args)
        .arg(&case.script)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .map_err(|e| format!("cannot run {}: {e}", xstap.display()))?;
    if !o.status.success() {
        let err = String::from_utf8_lossy(&o.stderr);
        return Err(err
            .lines()
            .find(|l| l.starts_with("error"))
            .unwrap_or("pass 3 failed")
            .to_string());
    }
    let text = String::from_utf8_lossy(&o.stdout);
    let mut units: Vec<(String, String)> = Vec::new();
    for line in text.split_inclusive('\n') {
        if let Some(name) = line
            .trim_end()
            .strip_prefix("/* ---- ")
            .and_then(|l| l.strip_suffix(" ---- */"))
        {
            units.push((name.to_string(), String::new()));
        } else if let Some(u) = units.last_mut() {
            u.1.push_str(line);
        }
    }
    let rt = assets::workspace_root().join("runtime/c");
    let mut sources = Vec::new();
    for sub in ["", "shim"] {
        for e in std::fs::read_dir(rt.join(sub))
            .map_err(|e| e.to_string())?
            .flatten()
        {
            let p = e.path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if p.is_file() && (name.ends_with(".c") || name.ends_with(".h")) {
                let dst = dir.join(sub).join(&name);
                std::fs::copy(&p, &dst).map_err(|e| e.to_string())?;
                if name.ends_with(".c") && name != "transport.c" {
                    sources.push(dst);
                }
            }
        }
    }
    for (name, body) in &units {
        std::fs::write(dir.join(name), body).map_err(|e| e.to_string())?;
        if name.ends_with(".c") && name != "transport.c" {
            sources.push(dir.join(name));
        }
    }
    let defines = case.xstap_args.iter().filter(|a| a.starts_with("-D"));
    let g = Command::new("gcc")
        .args(["-DXS_USERSPACE", "-O1", "-w", "-I"])
        .arg(dir)
        .args(defines)
        .arg("-o")
        .arg(dir.join("prog"))
        .args(&sources)
        .output()
        .map_err(|e| format!("cannot run gcc: {e}"))?;
    if !g.status.success() {
        let err = String::from_utf8_lossy(&g.stderr);
        return Err(format!(
            "gcc: {}",
            err.lines()
                .find(|l| l.contains("error"))
                .unwrap_or("failed")
        ));
    }
    let r = Command::new("timeout")
        .arg(CASE_LIMIT_SECS.to_string())
        .arg(dir.join("prog"))
        .output()
        .map_err(|e| e.to_string())?;
    Ok(CaseOut {
        rc: r.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&r.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&r.stderr).into_owned(),
    })
}

/// Every case in the user-space shim, `setup.jobs` at a time (no boot):
/// the fast loop while fixing; the reported rate is [`run`]'s.
pub fn run_shim(setup: &Setup) -> Result<Report, String> {
    let cases = cases(&setup.corpus);
    let out = assets::scratch_dir("output-conformance-shim")?;
    let env = vec![(
        "XSTAP_HOME".to_string(),
        setup.home.clone().into_os_string(),
    )];
    let t0 = Instant::now();
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Verdict>>> = Mutex::new(vec![None; cases.len()]);
    std::thread::scope(|s| {
        for _ in 0..setup.jobs.max(1) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(c) = cases.get(i) else { break };
                let v = match shim_case(&setup.xstap, &setup.release, c, &out.join(&c.module), &env)
                {
                    Err(e) => Verdict::BuildFailed(e),
                    Ok(o) => match first_difference(&c.expected, &actual_text(&o)) {
                        None => Verdict::Pass,
                        Some(d) => Verdict::Differs(format!("{d} (exit {})", o.rc)),
                    },
                };
                results.lock().unwrap()[i] = Some(v);
            });
        }
    });
    let _ = std::fs::remove_dir_all(&out);
    let verdicts = results.into_inner().unwrap();
    let results = cases
        .into_iter()
        .zip(verdicts)
        .map(|(c, v)| (c, v.unwrap_or(Verdict::NotRun("not run".into()))))
        .collect();
    Ok(Report {
        release: format!("{} (user-space shim)", setup.release),
        results,
        build_time: t0.elapsed(),
        boot_time: Duration::ZERO,
        boot_outcome: "no boot".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_exp_files() {
        let exp = "set test \"x\"\nset ::result_string {a\n{b}\nc}\nforeach r [l] {\n if {$r != \"\"} {\n\tstap_run2 $srcdir/$subdir/$test.stp --runtime=$r -DMAXSTRINGLEN=64 \\\n\t  -g -c \"echo hi > /dev/null\"\n }\n}\n";
        let dir = std::env::temp_dir().join(format!("oc-test-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("systemtap.string")).unwrap();
        std::fs::write(dir.join("systemtap.string/x.stp"), "").unwrap();
        let c = exp_cases(&dir, "systemtap.string", exp);
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(c[0].expected, "a\n{b}\nc");
        assert_eq!(c[0].module, "oc_string_x");
        assert_eq!(c[0].xstap_args, ["-DMAXSTRINGLEN=64", "-g"]);
        assert_eq!(
            run_command(&c[0]),
            "xstap-run -c 'echo hi > /dev/null' oc_string_x.ko"
        );
    }

    #[test]
    fn finds_the_first_difference() {
        assert_eq!(first_difference("a\nb", "a\nb"), None);
        assert_eq!(
            first_difference("a\nb", "a\nc").unwrap(),
            "line 2: expected \"b\", got \"c\""
        );
        assert_eq!(
            first_difference("a\nb", "a").unwrap(),
            "line 2: expected \"b\", got <end of output>"
        );
        let o = CaseOut {
            rc: 0,
            stdout: "x\n".into(),
            stderr: "".into(),
        };
        assert_eq!(actual_text(&o), "x");
    }
}
