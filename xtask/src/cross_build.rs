//! `cargo xtask cross-build [--kernels K1,K2,...] [--boot] [--no-fetch] [-o DIR]`:
//! the project's own matrix by hand ([`xstap_tests::matrix`]). Fetches the
//! kernels (in parallel) into the test home, builds the example scripts for
//! all of them with one `xstap build` per script, prints xstap's summary
//! tables and the time of every step; with `--boot`, boots the amd64 and
//! arm64 kernels of each line and the rt one in qemu and prints what the
//! modules printed.
//! Exits non-zero when anything failed.

use std::path::PathBuf;

use xstap_tests::matrix;

const USAGE: &str =
    "usage: cargo xtask cross-build [--kernels K1,K2,...] [--boot] [--no-fetch] [-o DIR]";

pub fn run(args: &[String]) -> Result<(), String> {
    let root = crate::test::workspace_root();
    let mut kernels: Option<Vec<String>> = None;
    let mut boot = false;
    let mut fetch = true;
    let mut out = root.join("target/cross-build");
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--kernels" | "-k" => {
                let v = it
                    .next()
                    .ok_or(format!("--kernels needs a list\n{USAGE}"))?;
                kernels.get_or_insert_with(Vec::new).extend(
                    v.split([',', ' '])
                        .filter(|s| !s.is_empty())
                        .map(String::from),
                );
            }
            "--boot" => boot = true,
            "--no-fetch" => fetch = false,
            "-o" => out = PathBuf::from(it.next().ok_or(format!("-o needs a directory\n{USAGE}"))?),
            "-h" | "--help" => {
                println!(
                    "{USAGE}\n\ndefault kernels: {}\nbooted with --boot: {}",
                    matrix::KERNELS.join(" "),
                    matrix::BOOTED.join(" ")
                );
                return Ok(());
            }
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    crate::test::run_cmd(
        std::process::Command::new(env!("CARGO"))
            .args(["build", "--quiet", "-p", "xstap"])
            .current_dir(&root),
    )?;
    let mut o = matrix::Options::new(root.join("target/debug/xstap"), out);
    if let Some(k) = kernels {
        o.kernels = k;
    }
    o.fetch = fetch;
    if !boot {
        o.boot.clear();
    }
    println!(
        "== cross-build: {} kernel(s), {} script(s), home {}",
        o.kernels.len(),
        matrix::SCRIPTS.len(),
        xstap_tests::vm::assets::test_home().display()
    );
    let report = matrix::run(&o)?;
    print!("{}", report.render());
    let failures = report.failures();
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} failure(s):\n{}",
            failures.len(),
            failures.join("\n")
        ))
    }
}

const BENCH_USAGE: &str =
    "usage: cargo xtask bench cross [--kernels K1,K2,...] [--script seed|count]";

/// `cargo xtask bench cross`: wall time of one `xstap build` for 1, 2, 4
/// and 6 of the matrix kernels (those whose profiles are in the test home),
/// cold (an empty cache directory) and warm (the same run again, every
/// module a cache hit); the ratio to K x the one-target time; the front
/// end's share (from xstap's "front end X s, builds Y s" line). The runs
/// use a home of their own whose `targets` and `kernels` are the test home's, so the
/// cache can be emptied without touching anyone's. Printed, never asserted.
pub fn bench(args: &[String]) -> Result<(), String> {
    let mut kernels: Vec<String> = matrix::KERNELS.iter().map(|s| s.to_string()).collect();
    let mut script = matrix::SCRIPTS[2].1;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--kernels" | "-k" => {
                let v = it.next().ok_or(BENCH_USAGE)?;
                kernels = v
                    .split([',', ' '])
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect();
            }
            "--script" => {
                script = match it.next().map(String::as_str) {
                    Some("seed") => matrix::SCRIPTS[0].1,
                    Some("count") => matrix::SCRIPTS[2].1,
                    _ => return Err(BENCH_USAGE.into()),
                }
            }
            other => return Err(format!("unknown argument `{other}`\n{BENCH_USAGE}")),
        }
    }
    let root = crate::test::workspace_root();
    crate::test::run_cmd(
        std::process::Command::new(env!("CARGO"))
            .args(["build", "--quiet", "--release", "-p", "xstap"])
            .current_dir(&root),
    )?;
    let xstap = root.join("target/release/xstap");
    let test_home = xstap_tests::vm::assets::test_home();
    let have: Vec<String> = kernels
        .into_iter()
        .filter(|k| test_home.join("targets").join(k).is_dir())
        .collect();
    if have.is_empty() {
        return Err(format!(
            "no matrix kernel in {}: run `cargo xtask cross-build` (it fetches them) first",
            test_home.display()
        ));
    }
    let home = root.join("target/bench/cross-home");
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).map_err(|e| e.to_string())?;
    // Profiles name their build trees relative to the home: share both.
    for d in ["targets", "kernels"] {
        std::os::unix::fs::symlink(test_home.join(d), home.join(d)).map_err(|e| e.to_string())?;
    }
    let out = home.join("out");
    println!(
        "xstap: {} (release); kernels: {}; home {}",
        xstap.display(),
        have.join(" "),
        home.display()
    );
    println!(
        "{:>2}  {:>8}  {:>8}  {:>10}  {:>8}  {:>8}  {:>10}",
        "K", "cold s", "xK cold", "front cold", "warm s", "xK warm", "front warm"
    );
    let mut one: Option<(f64, f64)> = None;
    for k in [1usize, 2, 4, 6] {
        if k > have.len() {
            break;
        }
        let _ = std::fs::remove_dir_all(home.join("cache"));
        let cold = timed_build(&xstap, &home, &out, script, &have[..k])?;
        let warm = timed_build(&xstap, &home, &out, script, &have[..k])?;
        let (c1, w1) = *one.get_or_insert((cold.0, warm.0));
        let share = |r: &(f64, Option<f64>, bool)| {
            r.1.map_or("?".into(), |f| format!("{:.0}%", 100.0 * f / r.0))
        };
        println!(
            "{k:>2}  {:>8.2}  {:>8.2}  {:>10}  {:>8.2}  {:>8.2}  {:>10}{}",
            cold.0,
            cold.0 / (k as f64 * c1),
            share(&cold),
            warm.0,
            warm.0 / (k as f64 * w1),
            share(&warm),
            if cold.2 && warm.2 {
                ""
            } else {
                "  (some target failed)"
            }
        );
    }
    println!("xK: wall time / (K x the one-target wall time); front: the front end's share of the wall time");
    Ok(())
}

/// One `xstap build`: (wall seconds, front-end seconds, all built).
fn timed_build(
    xstap: &std::path::Path,
    home: &std::path::Path,
    out: &std::path::Path,
    script: &str,
    kernels: &[String],
) -> Result<(f64, Option<f64>, bool), String> {
    let mut cmd = std::process::Command::new(xstap);
    cmd.args(["build", "-e", script, "-m", "bench_cross", "-o"])
        .arg(out)
        .env("XSTAP_HOME", home);
    for k in kernels {
        cmd.args(["--target", k]);
    }
    let t = std::time::Instant::now();
    let o = cmd
        .output()
        .map_err(|e| format!("cannot run {}: {e}", xstap.display()))?;
    let wall = t.elapsed().as_secs_f64();
    let (front, _) = matrix::front_and_builds(&String::from_utf8_lossy(&o.stdout));
    Ok((wall, front, o.status.success()))
}
