//! `cargo xtask bench parse [--mb N] [--runs N]`: pass-1 throughput and peak
//! memory of a release `xstap -g -v -p1` on a large input (the stap scripts
//! of the conformance corpus's `*ok` directories that parse on their own,
//! concatenated until the input reaches N MB, 50 by default; see
//! [`make_input`]). When SystemTap's `stap` is on PATH, it is
//! timed on the same input in the same run and the ratio printed. Numbers are
//! printed, never asserted.
//!
//! `cargo xtask bench cross` (cross builds for 1 to 6 kernels, cold and
//! warm) lives with the matrix in `cross_build.rs`.
//!
//! The figures come from xstap's own `-v` line ("Pass 1: parsed ... using
//! ...peak kb, in ...real ms."), so parse time excludes printing the result;
//! the wall time of the whole process is printed beside it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use xstap_tests::conformance;

const USAGE: &str = "usage: cargo xtask bench parse [--mb N] [--runs N]
       cargo xtask bench cross [--kernels K1,K2,...] [--script seed|count]
       cargo xtask bench p4 [--kernel KVER]";

pub fn run(args: &[String]) -> Result<(), String> {
    let Some((what, rest)) = args.split_first() else {
        return Err(USAGE.into());
    };
    if what == "p4" {
        return crate::bench_p4::run(rest);
    }
    if what == "cross" {
        // One `xstap build` for 1, 2, 4, 6 kernels, cold and warm.
        return crate::cross_build::bench(rest);
    }
    if what != "parse" {
        return Err(format!("unknown benchmark `{what}`\n{USAGE}"));
    }
    let mut mb = 50usize;
    let mut runs = 3usize;
    let mut it = rest.iter();
    while let Some(a) = it.next() {
        let mut num = |name: &str| -> Result<usize, String> {
            it.next()
                .and_then(|v| v.parse().ok())
                .ok_or(format!("`{name}` needs a number"))
        };
        match a.as_str() {
            "--mb" => mb = num("--mb")?,
            "--runs" => runs = num("--runs")?.max(1),
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    bench_parse(mb, runs)
}

/// One measured run.
struct Sample {
    wall: Duration,
    /// Pass-1 real time in ms, from the `-v` line.
    pass1_ms: Option<u64>,
    /// Pass-1 CPU time (user + system) in ms, from the `-v` line: steadier
    /// than real time on a shared machine.
    pass1_cpu_ms: Option<u64>,
    /// Peak RSS in kB at the end of pass 1, from the `-v` line.
    peak_kb: Option<u64>,
    ok: bool,
    /// Diagnostics printed (the input is meant to have none).
    diagnostics: usize,
}

fn bench_parse(mb: usize, runs: usize) -> Result<(), String> {
    let corpus =
        conformance::corpus_dir()?.ok_or("conformance corpus not found (set XSTAP_CONFORMANCE)")?;
    let xstap = conformance::xstap_binary(true)?;
    let input = make_input(&xstap, &corpus, mb << 20)?;
    let size = std::fs::metadata(&input).map_err(|e| e.to_string())?.len();
    println!("input: {} ({:.1} MB)", input.display(), size as f64 / 1e6);
    println!("xstap: {}", xstap.display());

    let best = measure(&xstap, &input, runs, "xstap")?;
    let mbs = |ms: u64| size as f64 / 1e6 / (ms.max(1) as f64 / 1e3);
    if let Some(ms) = best.pass1_ms {
        println!("xstap -p1: parse {ms} ms real = {:.1} MB/s", mbs(ms));
    }
    if let Some(ms) = best.pass1_cpu_ms {
        println!("xstap -p1: parse {ms} ms CPU = {:.1} MB/s", mbs(ms));
    }
    println!(
        "xstap -p1: whole run {:.0} ms = {:.1} MB/s (with printing the program), exit ok: {}, diagnostics: {}",
        best.wall.as_secs_f64() * 1e3,
        size as f64 / 1e6 / best.wall.as_secs_f64(),
        best.ok,
        best.diagnostics
    );
    if let Some(kb) = best.peak_kb {
        println!(
            "xstap -p1: peak memory {:.1} MB ({:.1} x the input)",
            kb as f64 / 1024.0,
            kb as f64 * 1024.0 / size as f64
        );
    }

    match which("stap") {
        None => println!("stap: not installed here, no ratio"),
        Some(stap) => {
            let theirs = measure(&stap, &input, runs, "stap")?;
            println!(
                "stap -p1: whole run {:.0} ms",
                theirs.wall.as_secs_f64() * 1e3
            );
            if let Some(ms) = theirs.pass1_ms {
                println!("stap -p1: parse {ms} ms real = {:.1} MB/s", mbs(ms));
            }
            if let Some(ms) = theirs.pass1_cpu_ms {
                println!("stap -p1: parse {ms} ms CPU = {:.1} MB/s", mbs(ms));
            }
            println!(
                "ratio stap/xstap (whole run): {:.2}",
                theirs.wall.as_secs_f64() / best.wall.as_secs_f64()
            );
            if let (Some(a), Some(b)) = (theirs.pass1_ms, best.pass1_ms) {
                println!(
                    "ratio stap/xstap (parse): {:.2}",
                    a as f64 / b.max(1) as f64
                );
            }
        }
    }
    Ok(())
}

/// Runs `bin -v -p1 input` `runs` times and keeps the fastest.
fn measure(bin: &Path, input: &Path, runs: usize, label: &str) -> Result<Sample, String> {
    let mut best: Option<Sample> = None;
    for i in 0..runs {
        let start = Instant::now();
        let out = Command::new(bin)
            .args(["-g", "-v", "-p1"])
            .arg(input)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
        let wall = start.elapsed();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let line = stderr
            .lines()
            .find(|l| l.starts_with("Pass 1:"))
            .unwrap_or("");
        let diagnostics = stderr
            .lines()
            .filter(|l| l.starts_with("error") || l.starts_with("warning"))
            .count();
        let s = Sample {
            wall,
            pass1_ms: field(line, "real ms"),
            pass1_cpu_ms: field(line, "usr/")
                .zip(field(line, "sys/"))
                .map(|(u, s)| u + s),
            peak_kb: field(line, "peak kb"),
            ok: out.status.success(),
            diagnostics,
        };
        println!(
            "  {label} run {}: {:.0} ms{}",
            i + 1,
            wall.as_secs_f64() * 1e3,
            if s.ok { "" } else { " (exit status non-zero)" }
        );
        // The fastest run by CPU time (the machine may be shared).
        let key = |x: &Sample| x.pass1_cpu_ms.map_or(x.wall, Duration::from_millis);
        if best.as_ref().is_none_or(|b| key(&s) < key(b)) {
            best = Some(s);
        }
    }
    best.ok_or_else(|| "no run".into())
}

/// The number just before `suffix` in a `-v` line ("...in 1usr/2sys/345real ms." -> 345).
fn field(line: &str, suffix: &str) -> Option<u64> {
    let i = line.find(suffix)?;
    let digits: String = line[..i]
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.chars().rev().collect::<String>().parse().ok()
}

/// Builds `target/bench/parse-input.stp` of about `target` bytes from the
/// corpus: every stap script (first line `#! stap`, or no `#!` line) of the
/// `*ok` directories and the run-time suites that `xstap -g -p1` accepts on
/// its own, once; then, repeated until the size is reached, those of them
/// that declare no global and no macro (a second copy of a global or a
/// macro would be an error).
fn make_input(xstap: &Path, corpus: &Path, target: usize) -> Result<PathBuf, String> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(corpus)
        .map_err(|e| format!("cannot read {}: {e}", corpus.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .filter(|p| {
            p.file_name().is_some_and(|n| {
                n.to_string_lossy().ends_with("ok") || n.to_string_lossy().starts_with("systemtap.")
            })
        })
        .collect();
    dirs.sort();
    let (mut once, mut repeated) = (String::new(), String::new());
    for d in dirs {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&d)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .collect();
        files.sort();
        for f in files {
            if f.extension().is_none_or(|e| e != "stp") {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&f) else {
                continue;
            };
            let first = text.lines().next().unwrap_or("");
            let is_stap = !first.starts_with("#!")
                || first
                    .trim_start_matches("#!")
                    .trim_start()
                    .starts_with("stap");
            let accepted = is_stap
                && Command::new(xstap)
                    .args(["-g", "-p1"])
                    .arg(&f)
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success());
            if !accepted {
                continue;
            }
            once.push_str(&text);
            once.push('\n');
            if !["global", "@define", "private"]
                .iter()
                .any(|k| text.contains(k))
            {
                repeated.push_str(&text);
                repeated.push('\n');
            }
        }
    }
    if repeated.is_empty() {
        return Err("no stap script of the corpus parses on its own".into());
    }
    let mut all = once;
    while all.len() < target {
        all.push_str(&repeated);
    }
    let out = conformance::workspace_root().join("target/bench");
    std::fs::create_dir_all(&out).map_err(|e| e.to_string())?;
    let path = out.join("parse-input.stp");
    std::fs::write(&path, all).map_err(|e| e.to_string())?;
    Ok(path)
}

fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}
