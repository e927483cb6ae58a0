//! Pass-4 benchmarks, printed (`cargo bench -p build`): a cold build of a
//! tiny module, a rebuild after editing one unit of a four-unit module, a
//! cache hit, and 1 and 4 targets (6.1/6.12, amd64/arm64, whichever build
//! trees exist under /var/tmp/testbed/headers or XSTAP_BENCH_HEADERS) built
//! in parallel by `build_many` versus one after the other. Each number is
//! the median of `XSTAP_BENCH_REPS` runs (default 3).

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use build::{BuildJob, BuildOptions, BuildTarget, Cache, Exports, NoProgress, Unit};

fn headers_root() -> PathBuf {
    std::env::var_os("XSTAP_BENCH_HEADERS")
        .map(PathBuf::from)
        .unwrap_or_else(|| "/var/tmp/testbed/headers".into())
}

fn target(release: &str) -> Option<BuildTarget> {
    let kdir = headers_root()
        .join(release)
        .join("usr/src")
        .join(format!("linux-headers-{release}"));
    kdir.join("Makefile").exists().then(|| BuildTarget {
        release: release.into(),
        arch: if release.ends_with("arm64") {
            "arm64".into()
        } else {
            "x86".into()
        },
        kdir,
        cross_compile: None,
        cc: None,
        profile_hash: release.into(),
        exports: Exports::FromBuildTree,
    })
}

fn units(n_probes: usize, edit: u32) -> Vec<Unit> {
    let mut v = vec![Unit {
        file_name: "main.c".into(),
        contents: format!(
            "#include <linux/module.h>\n#include <linux/kernel.h>\n{}\nstatic int __init i(void) {{ int r = 0; {} printk(KERN_INFO \"bench %d\\n\", r); return 0; }}\n\
             static void __exit e(void) {{ }}\nmodule_init(i);\nmodule_exit(e);\nMODULE_LICENSE(\"GPL\");\n",
            (0..n_probes).map(|p| format!("int probe_{p}(void);")).collect::<Vec<_>>().join("\n"),
            (0..n_probes).map(|p| format!("r += probe_{p}();")).collect::<String>()
        ),
        compile: true,
    }];
    for p in 0..n_probes {
        let k = if p == n_probes - 1 { edit } else { 0 };
        v.push(Unit {
            file_name: format!("probe_{p}.c"),
            contents: format!("#include <linux/kernel.h>\n#include <linux/sched.h>\nint probe_{p}(void) {{ return {k} + (int)current->pid * 0; }}\n"),
            compile: true,
        });
    }
    v
}

struct Tmp(PathBuf);
impl Tmp {
    fn new(tag: &str) -> Tmp {
        Tmp(build::fsutil::make_temp_dir(&std::env::temp_dir(), tag).unwrap())
    }
}
impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn job(name: &str, units: Vec<Unit>, t: BuildTarget, out: &Path) -> BuildJob {
    BuildJob {
        name: name.into(),
        units,
        required_symbols: vec![],
        output: build::engine::output_path(out, &t.release, name),
        target: t,
        build_dir: None,
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn measure(reps: usize, mut f: impl FnMut() -> Duration) -> Duration {
    median((0..reps).map(|_| f()).collect())
}

fn expect_ok(outcomes: &[build::BuildOutcome]) {
    for o in outcomes {
        if let Err(f) = &o.result {
            panic!("{} failed: {:#?}", o.release, f.diagnostics);
        }
    }
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is understood.
    let reps: usize = std::env::var("XSTAP_BENCH_REPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let Some(amd64) = target("6.1.0-56-amd64") else {
        println!(
            "no 6.1.0-56-amd64 build tree under {}; nothing to measure",
            headers_root().display()
        );
        return;
    };
    let jobs = build::engine::default_jobs();
    println!("pass-4 benchmarks: {jobs} CPUs, median of {reps} runs");
    let opts = BuildOptions::default();

    // Cold build of the tiny module (one unit), no cache.
    let cold = measure(reps, || {
        let out = Tmp::new("bench-out");
        let o = build::build(
            &job("xstap_bench", units(0, 0), amd64.clone(), &out.0),
            &opts,
        );
        expect_ok(std::slice::from_ref(&o));
        o.wall
    });
    println!(
        "cold build, tiny module, 6.1 amd64:          {:>8.3} s",
        cold.as_secs_f64()
    );

    // Rebuild after editing one of five units, in a persistent build dir.
    let rebuild = {
        let out = Tmp::new("bench-out");
        let bdir = Tmp::new("bench-bdir");
        let mut j = job("xstap_bench", units(4, 0), amd64.clone(), &out.0);
        j.build_dir = Some(bdir.0.clone());
        let full = build::build(&j, &opts);
        expect_ok(std::slice::from_ref(&full));
        println!(
            "cold build, 5 units, 6.1 amd64:              {:>8.3} s",
            full.wall.as_secs_f64()
        );
        let mut edit = 0;
        measure(reps, || {
            edit += 1;
            j.units = units(4, edit);
            let o = build::build(&j, &opts);
            expect_ok(std::slice::from_ref(&o));
            assert_eq!(o.result.as_ref().unwrap().recompiled, ["probe_3.o"]);
            o.wall
        })
    };
    println!(
        "rebuild after editing 1 of 5 units:          {:>8.3} s",
        rebuild.as_secs_f64()
    );

    // Cache hit.
    let cache_dir = Tmp::new("bench-cache");
    let cached = BuildOptions {
        cache: Some(Cache::open(&cache_dir.0).unwrap()),
        ..Default::default()
    };
    let out = Tmp::new("bench-out");
    let j = job("xstap_bench", units(0, 0), amd64.clone(), &out.0);
    expect_ok(&[build::build(&j, &cached)]);
    let hit = measure(reps.max(5), || {
        let o = build::build(&j, &cached);
        assert!(o.result.as_ref().unwrap().cached);
        o.wall
    });
    println!(
        "cache hit (key + copy of the .ko):           {:>8.3} ms",
        hit.as_secs_f64() * 1000.0
    );

    // Many targets: parallel versus sequential, cold, no cache.
    let all: Vec<BuildTarget> = [
        "6.1.0-56-amd64",
        "6.1.0-56-arm64",
        "6.12.117+deb12-amd64",
        "6.12.117+deb12-arm64",
    ]
    .iter()
    .filter_map(|r| target(r))
    .collect();
    for n in [1, all.len()] {
        let targets = &all[..n];
        for (label, probes) in [("tiny module", 0), ("5 units", 4)] {
            let par = measure(reps, || {
                let out = Tmp::new("bench-many");
                let js: Vec<_> = targets
                    .iter()
                    .map(|t| job("xstap_bench", units(probes, 0), t.clone(), &out.0))
                    .collect();
                let t0 = Instant::now();
                let outcomes = build::build_many(js, &opts, &NoProgress);
                let el = t0.elapsed();
                expect_ok(&outcomes);
                el
            });
            let seq = measure(reps, || {
                let out = Tmp::new("bench-many");
                let t0 = Instant::now();
                for t in targets {
                    let o = build::build(
                        &job("xstap_bench", units(probes, 0), t.clone(), &out.0),
                        &opts,
                    );
                    expect_ok(std::slice::from_ref(&o));
                }
                t0.elapsed()
            });
            println!(
                "{n} target(s), {label:<11}: parallel {:>7.3} s, sequential {:>7.3} s, ratio {:.2}",
                par.as_secs_f64(),
                seq.as_secs_f64(),
                seq.as_secs_f64() / par.as_secs_f64()
            );
        }
    }
}
