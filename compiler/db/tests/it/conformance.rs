//! Conformance over SystemTap's own pass-2 tests (`semok` must elaborate
//! without errors, `semko` must fail with a diagnostic, never a panic),
//! for the files that are plain `#! stap` scripts. Runs against the real
//! Debian 6.1 amd64 profile when the testbed has it (the BTF blob and the
//! headers under /var/tmp/testbed), else against the tiny fixture.
//!
//! Prints the rates and every failure; asserts only a floor so that a
//! regression fails the test. Files that need what BTF cannot give are
//! counted as skips with their reason (see [`dwarf_only`]).

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};

use db::{Session, SessionOptions};

use crate::{render, tapset_dir};

const CORPUS: &str = "/work/shared/conformance";
const KDIR: &str = "/var/tmp/testbed/headers/6.1.0-56-amd64/usr/src/linux-headers-6.1.0-56-amd64";
const IMAGE: &str = "/var/tmp/testbed/kernels/6.1.0-56-amd64/boot/vmlinux-6.1.0-56-amd64";

/// The real amd64 profile, built once into the test tmp dir and reused.
pub fn real_profile() -> Option<kernel::Profile> {
    if !Path::new(KDIR).is_dir() || !Path::new(IMAGE).is_file() {
        return None;
    }
    let home = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("xstap-profiles");
    let store = kernel::store::Store::new(&home);
    if let Ok(p) = store.load("6.1.0-56-amd64") {
        return Some(p);
    }
    let np = kernel::tree::read(Path::new(KDIR), Some(Path::new(IMAGE)))
        .ok()?
        .profile;
    store.save(&np).ok()
}

/// Files that probe functions the kernel inlines: BTF lists only
/// out-of-line functions, DWARF also has the inline instances.
const INLINED: &[(&str, &str)] = &[(
    "thirtynine.stp",
    "context_switch is always inlined; only DWARF sees inline instances",
)];

/// Why a file cannot pass with BTF alone, if it cannot.
fn dwarf_only(name: &str, text: &str) -> Option<&'static str> {
    if let Some((_, why)) = INLINED.iter().find(|(n, _)| *n == name) {
        return Some(why);
    }
    if text.contains(".statement(") || text.contains(".label(") {
        return Some("statement/label probes need DWARF line information");
    }
    if text.split("function(\"").skip(1).any(|s| {
        s.split('"').next().is_some_and(|a| {
            a.contains('@') && a.split('@').next().is_some_and(|n| n.contains(['*', '?']))
        })
    }) {
        return Some("selecting functions by source file (`*@file.c`) needs DWARF");
    }
    if text.contains("@var(") {
        return Some("@var needs DWARF variable information");
    }
    if text.contains("process(") || text.contains("process.") {
        return Some("user-space (process) probes resolve against binaries found on PATH, which this in-crate run does not set up (the CLI conformance test does)");
    }
    if text.contains("module(") {
        return Some("module probes know only a module's exported functions (no types); the CLI conformance test runs these");
    }
    None
}

struct Outcome {
    pass: usize,
    fail: Vec<String>,
    skip: Vec<String>,
}

fn run_dir(session: &mut Session, dir: &str, must_pass: bool) -> Outcome {
    let mut out = Outcome {
        pass: 0,
        fail: Vec::new(),
        skip: Vec::new(),
    };
    let Ok(rd) = std::fs::read_dir(Path::new(CORPUS).join(dir)) else {
        return out;
    };
    let mut files: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "stp"))
        .collect();
    files.sort();
    for f in files {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        let first = text.lines().next().unwrap_or("");
        let Some(args) = first
            .strip_prefix("#!")
            .map(str::trim)
            .and_then(|r| r.strip_prefix("stap"))
        else {
            out.skip.push(format!("{name}: a shell script"));
            continue;
        };
        if must_pass {
            if let Some(why) = dwarf_only(&name, &text) {
                out.skip.push(format!("{name}: {why}"));
                continue;
            }
        }
        let mut opts = SessionOptions::default();
        for a in args.split_whitespace() {
            if a.starts_with('-') && !a.starts_with("--") {
                opts.guru |= a.contains('g');
                opts.unoptimized |= a.contains('u');
                opts.warnings_as_errors |= a.contains('W');
                opts.suppress_warnings |= a.contains('w');
            }
        }
        session.set_options(opts);
        // Command-line arguments are substituted in the text before parsing,
        // as the CLI does (these scripts get none).
        let text = syntax::args::substitute_args(&text, &[]).text;
        session.set_script(&name, &text);
        let r = std::panic::catch_unwind(AssertUnwindSafe(|| session.elaborate()));
        match r {
            Err(_) => out.fail.push(format!("{name}: PANIC")),
            Ok((p, diags)) => {
                let ok = p.is_some() && !diags.iter().any(|d| d.is_error());
                if ok == must_pass {
                    out.pass += 1;
                } else if must_pass {
                    let first_err = diags
                        .iter()
                        .find(|d| d.is_error())
                        .map(|d| render(session, std::slice::from_ref(d)))
                        .unwrap_or_default();
                    out.fail.push(format!("{name}: {}", first_err.trim()));
                } else {
                    out.fail
                        .push(format!("{name}: elaborated without an error"));
                }
            }
        }
    }
    out
}

#[test]
fn semok_and_semko_rates() {
    if !Path::new(CORPUS).is_dir() {
        eprintln!("conformance corpus not present at {CORPUS}: nothing to measure");
        return;
    }
    let (profile, which) = match real_profile() {
        Some(p) => (p, "Debian 6.1.0-56-amd64 (BTF)"),
        None => (kernel::fixtures::tiny_x86(), "the tiny fixture"),
    };
    if let Ok(t) = profile.tables() {
        eprintln!(
            "profile: {} functions, {} tracepoints, {} types",
            t.functions.len(),
            t.tracepoints.len(),
            t.types.types.len()
        );
    }
    let mut s = Session::new();
    let d = s.set_target(&profile);
    assert!(d.iter().all(|d| !d.is_error()), "{d:?}");
    s.set_tapset_roots(vec![tapset_dir()]);
    let ok = run_dir(&mut s, "semok", true);
    let ko = run_dir(&mut s, "semko", false);
    for (label, o) in [("semok", &ok), ("semko", &ko)] {
        let total = o.pass + o.fail.len();
        eprintln!(
            "{label} against {which}: {}/{} pass ({:.0}%), {} skipped",
            o.pass,
            total,
            100.0 * o.pass as f64 / total.max(1) as f64,
            o.skip.len()
        );
        for f in &o.fail {
            eprintln!("  FAIL {f}");
        }
        for f in &o.skip {
            eprintln!("  skip {f}");
        }
    }
    assert!(
        ok.fail
            .iter()
            .chain(ko.fail.iter())
            .all(|f| !f.ends_with("PANIC")),
        "elaboration panicked"
    );
    // Floors measured when this test was written; raise them as coverage grows.
    assert!(ok.pass >= 44, "semok regressed: {} passes", ok.pass);
    assert!(ko.pass >= 116, "semko regressed: {} passes", ko.pass);
}

/// Every script of the corpus (any directory, shell scripts included as
/// text) elaborates to a program or to diagnostics, never to a panic.
#[test]
fn no_corpus_file_panics() {
    let Ok(dirs) = std::fs::read_dir(CORPUS) else {
        eprintln!("conformance corpus not present at {CORPUS}: nothing to check");
        return;
    };
    let mut s = Session::new();
    s.set_target(&kernel::fixtures::tiny_x86());
    s.set_tapset_roots(vec![tapset_dir()]);
    let mut count = 0;
    let mut panics = Vec::new();
    let mut dirs: Vec<PathBuf> = dirs
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for d in dirs {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        let mut files: Vec<PathBuf> = rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "stp"))
            .collect();
        files.sort();
        for f in files {
            let Ok(text) = std::fs::read_to_string(&f) else {
                continue;
            };
            s.set_script("corpus.stp", &text);
            count += 1;
            if std::panic::catch_unwind(AssertUnwindSafe(|| {
                let _ = s.elaborate();
                let _ = s.dump_p2();
            }))
            .is_err()
            {
                panics.push(f.display().to_string());
            }
        }
    }
    eprintln!("{count} corpus files elaborated");
    assert!(panics.is_empty(), "elaboration panicked on: {panics:?}");
}
