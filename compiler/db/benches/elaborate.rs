//! Pass-2 timings, printed (never asserted): hello world and a 50-probe
//! script using the tapset library, cold (a new database) and after a
//! one-line edit in the same database, against the tiny fixture profile
//! and, when the testbed has it, the real Debian 6.1 amd64 profile.
//!
//! Run: `cargo bench -p db --bench elaborate`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use db::Session;

const HELLO: &str = "probe begin { println(\"hello world\"); exit() }\n";

fn fifty_probes() -> String {
    let mut s = String::from("global reads, writes, lat, opens\n");
    let kinds = [
        "probe vfs.read { reads[execname()] <<< bytes_to_read }\n",
        "probe vfs.write { writes[pid(), execname()] += bytes_to_write }\n",
        "probe syscall.openat { opens[name] ++ }\n",
        "probe kernel.function(\"vfs_read\").return { if ($return < 0) lat <<< 1 }\n",
        "probe timer.ms(100) { printf(\"%d %s\\n\", gettimeofday_ms(), substr(pp(), 0, 5)) }\n",
    ];
    for i in 0..50 {
        s.push_str(&format!("// probe {i}\n"));
        s.push_str(kinds[i % kinds.len()]);
    }
    s.push_str(
        "probe end { foreach (k in reads- limit 10) printf(\"%s %d\\n\", k, @count(reads[k])) }\n",
    );
    s
}

fn tapsets() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tapsets")
}

fn real_profile() -> Option<kernel::Profile> {
    let home = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/tmp/xstap-profiles");
    if !Path::new(&home).is_dir() {
        return None;
    }
    kernel::store::Store::new(&home).load("6.1.0-56-amd64").ok()
}

fn time<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let t = Instant::now();
    let r = f();
    (r, t.elapsed())
}

fn run(label: &str, profile: &kernel::Profile, script: &str) {
    let (s, cold) = time(|| {
        let mut s = Session::new();
        s.set_target(profile);
        s.set_tapset_roots(vec![tapsets()]);
        s.set_script("bench.stp", script);
        let (p, d) = s.elaborate();
        assert!(p.is_some(), "{label}: {d:?}");
        s
    });
    let mut s = s;
    let edited = script.replacen("// probe 0", "// probe zero", 1).replacen(
        "hello world",
        "hello, world",
        1,
    );
    let ((), edit) = time(|| {
        s.set_script("bench.stp", &edited);
        let _ = s.elaborate();
    });
    let ((), again) = time(|| {
        let _ = s.elaborate();
    });
    println!(
        "{label:<40} cold {:>9.2} ms   one-line edit {:>8.2} ms   unchanged {:>8.3} ms",
        cold.as_secs_f64() * 1e3,
        edit.as_secs_f64() * 1e3,
        again.as_secs_f64() * 1e3
    );
}

fn main() {
    let tiny = kernel::fixtures::tiny_x86();
    let big = fifty_probes();
    run("hello world, tiny profile", &tiny, HELLO);
    run(
        "50 probes + tapsets, tiny profile",
        &tiny,
        &big.replace("syscall.openat", "vfs.read"),
    );
    match real_profile() {
        Some(p) => {
            let _ = p.tables();
            run("hello world, Debian 6.1 amd64", &p, HELLO);
            run("50 probes + tapsets, Debian 6.1 amd64", &p, &big);
        }
        None => {
            println!("(no stored Debian 6.1 profile: run the conformance test once to build it)")
        }
    }
}
