//! `cargo xtask bench p4 [--kernel KVER]`: pass-4 times of the release
//! `xstap` for one target (printed, never asserted):
//!
//! - cold `-p4` of a hello-world script and of the counting script
//!   (`--disable-cache`, fresh build directory),
//! - the rebuild after editing one string literal (the persistent build
//!   directory recompiles only the changed unit),
//! - a cache hit (level 1: no parsing),
//!
//! with the ratios to the cold build. Many targets at once: `bench cross`.
//! The profile comes from the test home (`cargo xtask test` fetches it) or
//! `XSTAP_HOME`. When SystemTap's `stap` is on PATH it would be timed on the
//! same kernel; it is not installed here, which is printed.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use xstap_tests::conformance;

const COUNT: &str = r#"global reads
probe kernel.function("vfs_read") { reads[execname()] <<< $count }
probe timer.s(1) { exit() }
probe end { foreach (n in reads- limit 5) printf("%-16s %6d %10d\n", n, @count(reads[n]), @sum(reads[n])) }
"#;

fn hello(lit: &str) -> String {
    format!("probe begin {{ println(\"{lit}\") }}\nprobe timer.s(1) {{ exit() }}\n")
}

fn time_p4(
    xstap: &PathBuf,
    home: &PathBuf,
    kver: &str,
    script: &str,
    name: &str,
    extra: &[&str],
) -> Result<Duration, String> {
    let dir = std::env::temp_dir().join("xstap-bench-p4");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let t = Instant::now();
    let out = Command::new(xstap)
        .args(["-r", kver, "-p4", "-m", name, "-e", script])
        .args(extra)
        .env("XSTAP_HOME", home)
        .current_dir(&dir)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", xstap.display()))?;
    let d = t.elapsed();
    if !out.status.success() {
        return Err(format!(
            "xstap -p4 failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(d)
}

pub fn run(args: &[String]) -> Result<(), String> {
    let mut kver = "6.1.0-56-amd64".to_string();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--kernel" => kver = it.next().cloned().ok_or("--kernel needs a value")?,
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    let home = std::env::var_os("XSTAP_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(conformance::test_home);
    if !home.join("targets").join(&kver).is_dir() {
        return Err(format!(
            "no {kver} profile in {} (run `cargo xtask test`, or `xstap target fetch debian:{kver}` with XSTAP_HOME there)",
            home.display()
        ));
    }
    let xstap = conformance::build_binary("xstap", "xstap", true)?;
    let builds = home.join("builds").join(&kver);
    let _ = std::fs::remove_dir_all(builds.join("bench_hello"));
    let _ = std::fs::remove_dir_all(builds.join("bench_count"));
    let nocache = ["--disable-cache"];
    println!("xstap -p4 for {kver} ({}):", xstap.display());
    let cold_hello = time_p4(&xstap, &home, &kver, &hello("one"), "bench_hello", &nocache)?;
    let cold_count = time_p4(&xstap, &home, &kver, COUNT, "bench_count", &nocache)?;
    // A warm build of "one" fills the cache, then "two" is an edit.
    time_p4(&xstap, &home, &kver, &hello("one"), "bench_hello", &[])?;
    let edit = time_p4(
        &xstap,
        &home,
        &kver,
        &hello(&format!("two {}", std::process::id())),
        "bench_hello",
        &[],
    )?;
    let hit = time_p4(&xstap, &home, &kver, &hello("one"), "bench_hello", &[])?;
    let ratio = |d: Duration| d.as_secs_f64() / cold_hello.as_secs_f64();
    println!(
        "  cold, hello world          {:8.2} s",
        cold_hello.as_secs_f64()
    );
    println!(
        "  cold, counting script      {:8.2} s  ({:.2} x hello)",
        cold_count.as_secs_f64(),
        ratio(cold_count)
    );
    println!(
        "  edit one string literal    {:8.2} s  ({:.2} x cold)",
        edit.as_secs_f64(),
        ratio(edit)
    );
    println!(
        "  cache hit (no parsing)     {:8.3} s  ({:.4} x cold)",
        hit.as_secs_f64(),
        ratio(hit)
    );
    match Command::new("stap").arg("-V").output() {
        Ok(_) => println!(
            "  stap is installed: time `stap -p4 -r {kver}` on the same scripts for a ratio"
        ),
        Err(_) => println!("  stap: not installed here, no ratio"),
    }
    println!("  many targets at once: cargo xtask bench cross");
    Ok(())
}
