//! `cargo xtask demo`: the README's main job, end to end. Fetch one amd64
//! and one arm64 Debian kernel, compile the seed's example
//! (`probe vfs.read { exit() }`) and a counting script for both with the
//! `xstap` binary (`xstap -r KVER -e SCRIPT -m NAME -p4`), boot each kernel
//! in qemu with the static `xstap-run`, and show what the scripts printed.
//!
//! Options: `--kernel KVER` (repeatable; default the test kernels).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use xstap_tests::vm::{self, assets};

const SCRIPTS: &[(&str, &str)] = &[
    ("demo_exit", "probe vfs.read { exit() }"),
    (
        "demo_count",
        "global reads\n\
         probe vfs.read { reads[execname()] <<< 1 }\n\
         probe timer.s(1) { exit() }\n\
         probe end {\n\
         \x20 foreach (name in reads- limit 5)\n\
         \x20   printf(\"%-16s %d reads\\n\", name, @count(reads[name]))\n\
         }",
    ),
];

fn build_xstap(root: &Path) -> Result<PathBuf, String> {
    crate::test::run_cmd(
        Command::new(env!("CARGO"))
            .args(["build", "--quiet", "-p", "xstap"])
            .current_dir(root),
    )?;
    Ok(root.join("target/debug/xstap"))
}

pub fn run(args: &[String]) -> Result<(), String> {
    let mut kernels: Vec<String> = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--kernel" | "-k" => {
                kernels.push(it.next().cloned().ok_or("--kernel needs a release")?)
            }
            other => {
                return Err(format!(
                    "unknown argument `{other}`; usage: cargo xtask demo [--kernel KVER]..."
                ))
            }
        }
    }
    if kernels.is_empty() {
        kernels = crate::test::test_kernels();
    }
    let root = crate::test::workspace_root();
    let xstap = build_xstap(&root)?;
    let home = assets::test_home();
    let mut summary = Vec::new();
    for release in &kernels {
        let t0 = Instant::now();
        println!(
            "== {release}: fetching kernel (image, headers, profile) into {}",
            home.display()
        );
        let k = assets::fetch_kernel(release)?;
        let bb = assets::busybox(k.arch)?;
        let loader = assets::loader(k.arch)?;
        let work = assets::scratch_dir(&format!("demo-{release}"))?;
        let mut v = vm::Vm::new(k.clone(), bb);
        v.timeout = Duration::from_secs(300);
        v.file(&loader, "/bin/xstap-run")?;
        let mut cases = Vec::new();
        for (name, script) in SCRIPTS {
            println!(
                "== {release}: xstap -r {release} -e '{}' -m {name} -p4",
                script.lines().next().unwrap_or("")
            );
            let tc = Instant::now();
            let out = Command::new(&xstap)
                .args(["-r", release, "-e", script, "-m", name, "-p4"])
                .env("XSTAP_HOME", &home)
                .current_dir(&work)
                .output()
                .map_err(|e| format!("cannot run {}: {e}", xstap.display()))?;
            let ko = work.join(format!("{name}.ko"));
            if !out.status.success() || !ko.is_file() {
                return Err(format!(
                    "compiling {name} for {release} failed ({}):\n{}",
                    out.status,
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
            println!(
                "   built {name}.ko ({} bytes) in {:.1}s",
                std::fs::metadata(&ko).map(|m| m.len()).unwrap_or(0),
                tc.elapsed().as_secs_f64()
            );
            v.file(&ko, &format!("{name}.ko"))?;
            // Some reads by other programs while the counting script runs.
            let run = if *name == "demo_count" {
                format!("xstap-run {name}.ko & p=$!; while kill -0 $p 2>/dev/null; do cat /proc/version > /dev/null; head -c 64 /init > /dev/null; done; wait $p")
            } else {
                format!("xstap-run {name}.ko")
            };
            cases.push((name.to_string(), run));
        }
        println!(
            "== {release}: booting qemu ({}) and running xstap-run",
            k.arch.qemu()
        );
        let boot = v.run(&vm::cases_snippet(&cases, 120))?;
        let outs = vm::case_outputs(&boot.console);
        for (name, _) in &cases {
            match outs.get(name) {
                Some(o) => {
                    println!("-- xstap-run {name}.ko  (exit status {})", o.rc);
                    for l in o.stdout.lines().chain(o.stderr.lines()) {
                        println!("   {l}");
                    }
                }
                None => println!("-- {name}: did not run"),
            }
        }
        let ok = boot.outcome == vm::Outcome::Ok
            && cases
                .iter()
                .all(|(n, _)| outs.get(n).is_some_and(|o| o.rc == 0));
        summary.push(format!(
            "{release}: {} (boot {:?}, wall {:.1}s)",
            if ok { "ok" } else { "FAILED" },
            boot.outcome,
            t0.elapsed().as_secs_f64()
        ));
        if !ok {
            let log = work.join("console.log");
            let _ = std::fs::write(&log, &boot.console);
            summary.push(format!("   console: {}", log.display()));
        } else {
            let _ = std::fs::remove_dir_all(&work);
        }
    }
    println!("== summary");
    for s in &summary {
        println!("   {s}");
    }
    if summary.iter().any(|s| s.contains("FAILED")) {
        return Err("the demo failed on some kernel".into());
    }
    Ok(())
}
