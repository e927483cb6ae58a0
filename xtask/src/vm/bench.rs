//! `cargo xtask vm bench [--kernel KVER]...`: printed numbers, never asserted.
//!
//! Per kernel, in one boot (qemu TCG: absolute numbers are those of an
//! emulated CPU, compare within a boot):
//! - boot time (wall, and guest uptime when /init starts);
//! - probe cost: ns per `vfs_read` hit of the hand-written kprobe module
//!   (`xs_test mode=kprobe`) and, when `xstap -p4` works, of an xstap module
//!   with an empty `kernel.function("vfs_read")` handler: the time of N
//!   one-byte reads (`dd bs=1`) with the probe armed minus without, over N;
//! - transport throughput: records per second that xstap-run drains from a
//!   module printing 200k records at once into a buffer big enough to lose
//!   none, and the drop count with the default buffers.

use std::time::{Duration, Instant};

use xstap_tests::vm::{self, assets};

const READS: u32 = 200_000;
const FLOOD: u32 = 200_000;

/// Seconds of a shell command in the guest, from /proc/uptime (10 ms
/// resolution: the workloads last a second or more).
fn timed(label: &str, cmd: &str) -> String {
    format!(
        "t0=$(cut -d' ' -f1 /proc/uptime); {cmd}; t1=$(cut -d' ' -f1 /proc/uptime); echo \"BENCH {label} $t0 $t1\"\n"
    )
}

fn secs(console: &str, label: &str) -> Option<f64> {
    let l = console
        .lines()
        .find(|l| l.starts_with(&format!("BENCH {label} ")))?;
    let mut w = l.split_whitespace().skip(2);
    let t0: f64 = w.next()?.parse().ok()?;
    let t1: f64 = w.next()?.parse().ok()?;
    Some(t1 - t0)
}

pub fn run(args: &[String]) -> Result<(), String> {
    let mut kernels = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--kernel" | "-k" => {
                kernels.push(it.next().cloned().ok_or("--kernel needs a release")?)
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if kernels.is_empty() {
        kernels = crate::test::test_kernels();
    }
    let root = crate::test::workspace_root();
    let xstap = root.join("target/debug/xstap");
    for release in &kernels {
        let k = assets::kernel(release)?;
        let bb = assets::busybox(k.arch)?;
        let work = assets::scratch_dir(&format!("bench-{release}"))?;
        // Boot time: an empty snippet.
        let empty = vm::Vm::new(k.clone(), bb.clone());
        let b0 = empty.run("true")?;
        let ko = assets::xs_test_module(&k, &work.join("xs_test"))?;
        let loader = assets::loader(k.arch)?;
        let mut v = vm::Vm::new(k.clone(), bb);
        v.timeout = Duration::from_secs(600);
        v.file(&loader, "/bin/xstap-run")?;
        v.file(&ko, "xs_test.ko")?;
        // An xstap module with an empty handler, when the compiler builds modules.
        let xs_note = match std::process::Command::new(&xstap)
            .args([
                "-u",
                "-r",
                release,
                "-e",
                "probe kernel.function(\"vfs_read\") {}",
                "-m",
                "bench_empty",
                "-p4",
            ])
            .env("XSTAP_HOME", assets::test_home())
            .current_dir(&work)
            .output()
        {
            Ok(o) if o.status.success() && work.join("bench_empty.ko").is_file() => {
                v.file(&work.join("bench_empty.ko"), "bench_empty.ko")?;
                None
            }
            Ok(o) => Some(
                String::from_utf8_lossy(&o.stderr)
                    .lines()
                    .next()
                    .unwrap_or("failed")
                    .to_string(),
            ),
            Err(e) => Some(format!("no xstap binary ({e})")),
        };
        let dd = format!("dd if=/dev/zero of=/dev/null bs=1 count={READS} 2>/dev/null");
        let mut s = String::new();
        for i in 0..3 {
            s += &timed(&format!("base{i}"), &dd);
        }
        s += "xstap-run xs_test.ko mode=kprobe delay_ms=0 lines=0 > /tmp/kp.out 2>&1 & p=$!; sleep 1\n";
        for i in 0..3 {
            s += &timed(&format!("hand{i}"), &dd);
        }
        s += "kill -INT $p; wait $p; cat /tmp/kp.out\n";
        if xs_note.is_none() {
            s += "xstap-run bench_empty.ko > /dev/null 2>&1 & p=$!; sleep 1\n";
            for i in 0..3 {
                s += &timed(&format!("xstap{i}"), &dd);
            }
            s += "kill -INT $p; wait $p\n";
        }
        s += &timed("flood", &format!("xstap-run xs_test.ko mode=flood lines={FLOOD} xs_bufsize_kb=65536 > /tmp/flood.out 2>/tmp/flood.err"));
        s += "echo \"FLOOD lines=$(grep -c 'xs_test: line' /tmp/flood.out) $(tail -1 /tmp/flood.out)\"\n";
        s += &format!("xstap-run xs_test.ko mode=flood lines={FLOOD} > /tmp/flood2.out 2>/dev/null; echo \"FLOOD-DEFAULT $(tail -1 /tmp/flood2.out)\"\n");
        let t = Instant::now();
        let b = v.run(&s)?;
        let c = &b.console;
        let best = |p: &str| {
            (0..3)
                .filter_map(|i| secs(c, &format!("{p}{i}")))
                .fold(f64::INFINITY, f64::min)
        };
        let base = best("base");
        let hand = best("hand");
        println!(
            "== {release} ({:?}, bench boot {:.1}s)",
            k.arch,
            t.elapsed().as_secs_f64()
        );
        println!(
            "boot, empty snippet: wall {:.2}s, guest uptime at /init {:?}s",
            b0.wall.as_secs_f64(),
            b0.uptime_at_init
        );
        println!("{READS} one-byte reads (dd), best of 3: no probe {base:.2}s");
        let per_hit = |t: f64| (t - base) * 1e9 / READS as f64;
        println!(
            "  hand-written kprobe module:    {hand:.2}s -> {:.0} ns/hit",
            per_hit(hand)
        );
        match &xs_note {
            None => {
                let x = best("xstap");
                println!("  xstap empty handler:           {x:.2}s -> {:.0} ns/hit ({:.2}x the hand-written one)", per_hit(x), per_hit(x) / per_hit(hand));
            }
            Some(n) => println!("  xstap empty handler: not measured, compiler not available: {n}"),
        }
        if let Some(l) = c.lines().find(|l| l.contains("xs_test: hits=")) {
            println!("  ({})", l.trim());
        }
        let flood = secs(c, "flood").unwrap_or(f64::NAN);
        let fl = c
            .lines()
            .find(|l| l.starts_with("FLOOD "))
            .unwrap_or("FLOOD ?");
        println!(
            "transport: {FLOOD} records drained in {flood:.2}s -> {:.0} records/s ({fl})",
            FLOOD as f64 / flood
        );
        let fd = c
            .lines()
            .find(|l| l.starts_with("FLOOD-DEFAULT"))
            .unwrap_or("?");
        println!("transport, default buffers, {FLOOD} records printed at once: {fd}");
        if b.outcome != vm::Outcome::Ok {
            println!(
                "(boot outcome {:?}, first oops line: {:?})",
                b.outcome,
                b.oops_line()
            );
            for l in b
                .console
                .lines()
                .filter(|l| {
                    l.contains("RIP:")
                        || l.contains("BUG")
                        || l.contains("Oops")
                        || l.contains("Call Trace")
                        || l.contains("xs_")
                })
                .take(20)
            {
                println!("  {l}");
            }
        }
        let _ = std::fs::remove_dir_all(&work);
    }
    Ok(())
}
