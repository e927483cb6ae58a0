//! The project's own cross-build matrix: six pinned Debian kernels (6.1 and
//! 6.12, amd64 and arm64, plus the 6.1 cloud and rt flavours), the example
//! scripts built for all of them with ONE `xstap build` command each, and
//! the plain amd64/arm64 kernels of each line and the rt one booted in
//! qemu with every module of that kernel run in the same boot. Used by `cargo xtask
//! cross-build` and by the `matrix` test of `tests/it/`.
//!
//! Depends on the `xstap` binary (driven as a process, like a user would),
//! [`crate::vm`] for kernels, busybox, the loader and qemu. Nothing here
//! prints: [`run`] returns a [`Report`] whose [`Report::render`] says what
//! happened, with the time of every step (fetch, build, boot).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::vm::{self, assets, CaseOut};

/// Debian 6.1 (bookworm), generic amd64 kernel.
pub const DEB_6_1_AMD64: &str = "6.1.0-56-amd64";
/// Debian 6.1, arm64.
pub const DEB_6_1_ARM64: &str = "6.1.0-56-arm64";
/// Debian 6.1, the cloud flavour (fewer drivers, other config).
pub const DEB_6_1_CLOUD_AMD64: &str = "6.1.0-56-cloud-amd64";
/// Debian 6.1, PREEMPT_RT.
pub const DEB_6_1_RT_AMD64: &str = "6.1.0-56-rt-amd64";
/// Debian 6.12 (bookworm-backports), amd64; its kbuild needs `pahole`.
pub const DEB_6_12_AMD64: &str = "6.12.117+deb12-amd64";
/// Debian 6.12 (bookworm-backports), arm64.
pub const DEB_6_12_ARM64: &str = "6.12.117+deb12-arm64";

/// Every kernel of the matrix, in the order the summary shows them.
pub const KERNELS: &[&str] = &[
    DEB_6_1_AMD64,
    DEB_6_1_ARM64,
    DEB_6_1_CLOUD_AMD64,
    DEB_6_1_RT_AMD64,
    DEB_6_12_AMD64,
    DEB_6_12_ARM64,
];

/// The kernels booted in qemu: the amd64 and arm64 ones of each line,
/// and the PREEMPT_RT flavour (where the runtime's locks must not sleep).
pub const BOOTED: &[&str] = &[
    DEB_6_1_AMD64,
    DEB_6_1_ARM64,
    DEB_6_1_RT_AMD64,
    DEB_6_12_AMD64,
    DEB_6_12_ARM64,
];

/// `(module name, script)`: the seed's example, the same printing
/// something, and the counting script.
pub const SCRIPTS: &[(&str, &str)] = &[
    ("mx_seed", "probe vfs.read { exit() }"),
    (
        "mx_seed_print",
        "probe vfs.read { printf(\"read by %s\\n\", execname()); exit() }",
    ),
    (
        "mx_count",
        "global reads\n\
         probe kernel.function(\"vfs_read\") { reads[execname()] <<< 1 }\n\
         probe timer.s(1) { exit() }\n\
         probe end {\n\
         \x20 foreach (name in reads- limit 5)\n\
         \x20   printf(\"%-16s %d reads\\n\", name, @count(reads[name]))\n\
         }",
    ),
];

/// What to do.
#[derive(Clone, Debug)]
pub struct Options {
    /// Kernels to build for (default [`KERNELS`]).
    pub kernels: Vec<String>,
    /// Kernels to boot among them (default: those of [`BOOTED`] built for).
    pub boot: Vec<String>,
    /// Where modules, manifests and logs go.
    pub out: PathBuf,
    /// The `xstap` executable.
    pub xstap: PathBuf,
    /// Fetch missing kernels (in parallel) before building.
    pub fetch: bool,
}

impl Options {
    pub fn new(xstap: PathBuf, out: PathBuf) -> Options {
        Options {
            kernels: KERNELS.iter().map(|s| s.to_string()).collect(),
            boot: BOOTED.iter().map(|s| s.to_string()).collect(),
            out,
            xstap,
            fetch: true,
        }
    }
}

/// One `xstap build` run (one script, every kernel).
#[derive(Clone, Debug)]
pub struct BuildRun {
    pub name: String,
    pub ok: bool,
    pub wall: Duration,
    /// "front end X s" and "builds Y s" from xstap's last line.
    pub front_end: Option<f64>,
    pub builds: Option<f64>,
    /// xstap's stdout (the summary table) and stderr (diagnostics).
    pub stdout: String,
    pub stderr: String,
}

/// One boot: every module built for that kernel.
#[derive(Clone, Debug)]
pub struct BootRun {
    pub release: String,
    pub wall: Duration,
    pub outcome: String,
    pub cases: BTreeMap<String, CaseOut>,
    /// Failed expectations, empty when the boot passed.
    pub failures: Vec<String>,
}

/// Everything [`run`] did, with timings.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub fetches: Vec<(String, Duration, Result<(), String>)>,
    pub fetch_wall: Duration,
    pub builds: Vec<BuildRun>,
    pub boots: Vec<BootRun>,
    pub total: Duration,
}

impl Report {
    /// Every failure: fetches, builds (per script) and boots.
    pub fn failures(&self) -> Vec<String> {
        let mut f = Vec::new();
        for (k, _, r) in &self.fetches {
            if let Err(e) = r {
                f.push(format!("fetch {k}: {e}"));
            }
        }
        for b in &self.builds {
            if !b.ok {
                f.push(format!(
                    "xstap build of {} failed:\n{}{}",
                    b.name, b.stdout, b.stderr
                ));
            }
        }
        for b in &self.boots {
            for x in &b.failures {
                f.push(format!("boot {}: {x}", b.release));
            }
        }
        f
    }

    /// The human summary: timings, the build tables, the boot results.
    pub fn render(&self) -> String {
        let mut s = String::new();
        s += "== fetch\n";
        for (k, d, r) in &self.fetches {
            s += &format!(
                "   {k:<28} {:>6.1}s {}\n",
                d.as_secs_f64(),
                if r.is_ok() { "ok" } else { "FAILED" }
            );
        }
        s += &format!(
            "   all fetches (in parallel): {:.1}s\n",
            self.fetch_wall.as_secs_f64()
        );
        for b in &self.builds {
            s += &format!(
                "== xstap build {} ({:.1}s wall",
                b.name,
                b.wall.as_secs_f64()
            );
            if let (Some(f), Some(k)) = (b.front_end, b.builds) {
                s += &format!("; front end {f:.2}s, builds {k:.2}s");
            }
            s += ")\n";
            for l in b.stdout.lines() {
                s += &format!("   {l}\n");
            }
        }
        for b in &self.boots {
            s += &format!(
                "== boot {} ({:.1}s, {})\n",
                b.release,
                b.wall.as_secs_f64(),
                b.outcome
            );
            for (name, o) in &b.cases {
                s += &format!("   -- {name} (exit status {})\n", o.rc);
                for l in o.stdout.lines().chain(o.stderr.lines()).take(8) {
                    s += &format!("      {l}\n");
                }
            }
            for f in &b.failures {
                s += &format!("   FAILED: {f}\n");
            }
        }
        let build: f64 = self.builds.iter().map(|b| b.wall.as_secs_f64()).sum();
        let boot: f64 = self.boots.iter().map(|b| b.wall.as_secs_f64()).sum();
        s += &format!(
            "== times: fetch {:.1}s, build {build:.1}s, boot {boot:.1}s, total {:.1}s; {}\n",
            self.fetch_wall.as_secs_f64(),
            self.total.as_secs_f64(),
            if self.failures().is_empty() {
                "all ok"
            } else {
                "FAILED"
            }
        );
        s
    }
}

/// Fetch (when asked), build every script for every kernel, boot.
pub fn run(o: &Options) -> Result<Report, String> {
    let t0 = Instant::now();
    let mut r = Report::default();
    std::fs::create_dir_all(&o.out).map_err(|e| format!("{}: {e}", o.out.display()))?;
    if o.fetch {
        let tf = Instant::now();
        let handles: Vec<_> = o
            .kernels
            .iter()
            .map(|k| {
                let k = k.clone();
                std::thread::spawn(move || {
                    let t = Instant::now();
                    let res = assets::fetch_kernel(&k).map(|_| ());
                    (k, t.elapsed(), res)
                })
            })
            .collect();
        for h in handles {
            r.fetches.push(
                h.join()
                    .map_err(|_| "a fetch thread panicked".to_string())?,
            );
        }
        r.fetch_wall = tf.elapsed();
    }
    for (name, script) in SCRIPTS {
        r.builds.push(build(o, name, script)?);
    }
    for release in &o.boot {
        if !o.kernels.contains(release) {
            continue;
        }
        r.boots.push(boot(o, release));
    }
    r.total = t0.elapsed();
    Ok(r)
}

/// `xstap build -e SCRIPT --target K... -m NAME -o OUT/modules`.
fn build(o: &Options, name: &str, script: &str) -> Result<BuildRun, String> {
    let mut cmd = Command::new(&o.xstap);
    cmd.args(["build", "-e", script, "-m", name, "-o"])
        .arg(o.out.join("modules"));
    cmd.arg("--manifest")
        .arg(o.out.join(format!("{name}.manifest.json")));
    for k in &o.kernels {
        cmd.args(["--target", k]);
    }
    cmd.env("XSTAP_HOME", assets::test_home());
    let t = Instant::now();
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {}: {e}", o.xstap.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let (front_end, builds) = front_and_builds(&stdout);
    Ok(BuildRun {
        name: name.to_string(),
        ok: out.status.success(),
        wall: t.elapsed(),
        front_end,
        builds,
        stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// The two times of xstap build's last line ("front end 0.12s, builds 3.40s").
pub fn front_and_builds(stdout: &str) -> (Option<f64>, Option<f64>) {
    let num_after = |key: &str| -> Option<f64> {
        let i = stdout.rfind(key)? + key.len();
        let rest = &stdout[i..];
        let end = rest.find('s').unwrap_or(rest.len());
        rest[..end].trim().parse().ok()
    };
    (num_after("front end "), num_after("builds "))
}

/// `lsmod` after a case, parsed by [`still_loaded`].
const LSMOD: &str = "echo \"LSMOD:$(lsmod | tail -n +2 | cut -d' ' -f1 | tr '\\n' ' ')\"";

fn still_loaded(out: &CaseOut, name: &str) -> Option<String> {
    match out.stdout.lines().find_map(|l| l.strip_prefix("LSMOD:")) {
        Some(l) if l.split_whitespace().any(|m| m == name) => {
            Some(format!("module {name} still loaded: {l}"))
        }
        Some(_) => None,
        None => Some(format!("{name}: no LSMOD line")),
    }
}

/// The module of `name` for `release` under the output directory.
pub fn module_path(out: &Path, release: &str, name: &str) -> PathBuf {
    out.join("modules").join(release).join(format!("{name}.ko"))
}

/// One boot of `release` running every script's module in turn.
fn boot(o: &Options, release: &str) -> BootRun {
    let t = Instant::now();
    let mut b = BootRun {
        release: release.to_string(),
        wall: Duration::ZERO,
        outcome: String::new(),
        cases: BTreeMap::new(),
        failures: Vec::new(),
    };
    let prepared = (|| -> Result<vm::Vm, String> {
        let k = assets::kernel(release)?;
        let bb = assets::busybox(k.arch)?;
        let loader = assets::loader(k.arch)?;
        let mut v = vm::Vm::new(k, bb);
        v.timeout = Duration::from_secs(240);
        v.file(&loader, "/bin/xstap-run")?;
        for (name, _) in SCRIPTS {
            let ko = module_path(&o.out, release, name);
            if !ko.is_file() {
                return Err(format!("{name}.ko was not built for {release}"));
            }
            v.file(&ko, &format!("{name}.ko"))?;
        }
        Ok(v)
    })();
    let v = match prepared {
        Ok(v) => v,
        Err(e) => {
            b.failures.push(e);
            b.outcome = "not booted".into();
            b.wall = t.elapsed();
            return b;
        }
    };
    let cases: Vec<(String, String)> = SCRIPTS
        .iter()
        .map(|(name, _)| {
            let run = if *name == "mx_count" {
                // Reads by other programs while the counting script runs.
                format!("xstap-run {name}.ko & p=$!; while kill -0 $p 2>/dev/null; do head -c 64 /init > /dev/null; done; wait $p; rc=$?; {LSMOD}; exit $rc")
            } else {
                format!("xstap-run {name}.ko; rc=$?; {LSMOD}; exit $rc")
            };
            (name.to_string(), run)
        })
        .collect();
    match v.run(&vm::cases_snippet(&cases, 90)) {
        Err(e) => {
            b.outcome = "qemu failed".into();
            b.failures.push(e);
        }
        Ok(boot) => {
            b.outcome = format!("{:?}", boot.outcome);
            if boot.outcome != vm::Outcome::Ok {
                b.failures.push(format!(
                    "boot outcome {:?}: {}",
                    boot.outcome,
                    boot.console
                        .lines()
                        .rev()
                        .take(15)
                        .collect::<Vec<_>>()
                        .join(" | ")
                ));
            }
            b.cases = vm::case_outputs(&boot.console);
            b.failures.extend(check(&b.cases));
        }
    }
    b.wall = t.elapsed();
    b
}

/// The expectations of the three cases.
pub fn check(cases: &BTreeMap<String, CaseOut>) -> Vec<String> {
    let mut f = Vec::new();
    for (name, _) in SCRIPTS {
        let Some(o) = cases.get(*name) else {
            f.push(format!("{name}: did not run"));
            continue;
        };
        if o.rc != 0 {
            f.push(format!(
                "{name}: exit status {} (stderr: {})",
                o.rc,
                o.stderr.trim()
            ));
        }
        f.extend(still_loaded(o, name));
        let printed: Vec<&str> = o
            .stdout
            .lines()
            .filter(|l| !l.starts_with("LSMOD:") && !l.trim().is_empty())
            .collect();
        match *name {
            "mx_seed" if !printed.is_empty() => {
                f.push(format!("{name}: printed {printed:?}, expected nothing"))
            }
            "mx_seed_print" if !printed.first().is_some_and(|l| l.starts_with("read by ")) => {
                f.push(format!("{name}: expected `read by NAME`, got {printed:?}"))
            }
            "mx_count" if printed.is_empty() || !printed.iter().all(|l| is_count_row(l)) => f.push(
                format!("{name}: expected rows `NAME N reads`, got {printed:?}"),
            ),
            // `head` reads in a loop while the script runs (see [`boot`]).
            "mx_count" if !printed.iter().any(|l| l.starts_with("head ")) => f.push(format!(
                "{name}: no row counts the reads of `head`: {printed:?}"
            )),
            _ => {}
        }
    }
    f
}

/// `"cat              12 reads"`.
fn is_count_row(l: &str) -> bool {
    let w: Vec<&str> = l.split_whitespace().collect();
    w.len() >= 3 && w[w.len() - 1] == "reads" && w[w.len() - 2].parse::<u64>().is_ok_and(|n| n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_xstap_build_times_and_checks_cases() {
        let (f, b) = front_and_builds(
            "x\n6/6 targets built; front end 0.42s, builds 12.50s; manifest m.json\n",
        );
        assert_eq!((f, b), (Some(0.42), Some(12.5)));
        let ok = |s: &str| CaseOut {
            rc: 0,
            stdout: format!("{s}LSMOD:\n"),
            stderr: String::new(),
        };
        let mut c = BTreeMap::new();
        c.insert("mx_seed".to_string(), ok(""));
        c.insert("mx_seed_print".to_string(), ok("read by sh\n"));
        c.insert(
            "mx_count".to_string(),
            ok("head             12 reads\nsh               3 reads\n"),
        );
        assert_eq!(check(&c), Vec::<String>::new());
        c.insert(
            "mx_count".to_string(),
            CaseOut {
                rc: 0,
                stdout: "LSMOD:mx_count \n".into(),
                stderr: String::new(),
            },
        );
        assert_eq!(check(&c).len(), 2, "{:?}", check(&c));
        c.insert("mx_count".to_string(), ok("sh               3 reads\n"));
        assert_eq!(check(&c).len(), 1, "{:?}", check(&c));
    }
}
