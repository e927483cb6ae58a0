//! `cargo xtask vm`: boot Debian target kernels in qemu and run commands in
//! them, with the library `xstap_tests::vm` (the end-to-end tests use the
//! same code).
//!
//! - `vm run --kernel KVER [--file SRC:DST]... [--ko DIR] [--timeout S] [--trace] [--loader] -- SNIPPET`
//! - `vm fetch KVER...`: download kernel image + headers and busybox into the cache
//! - `vm bench [--kernel KVER]`: boot time, probe cost and transport throughput

mod bench;

use std::path::PathBuf;
use std::time::Duration;

use xstap_tests::vm::{self, assets};

const USAGE: &str = "usage: cargo xtask vm run --kernel KVER [--file SRC:DST]... [--ko DIR] [--loader] [--timeout SECS] [--trace] [--cpus N] [--append ARGS] -- SNIPPET
       cargo xtask vm fetch KVER...
       cargo xtask vm bench [--kernel KVER]...

run: boots KVER (e.g. 6.1.0-56-amd64, 6.1.0-56-arm64) under qemu TCG with a busybox
initramfs, copies --file SRC to DST in the guest (relative DST: under /work), every
.ko of --ko DIR to /work, the static xstap-run to /bin with --loader, runs SNIPPET
with sh in /work and prints the serial console. Exit status as the test-bed:
0 ok, 1 snippet failed, 2 oops/panic, 3 timeout, 4 no end marker.";

pub fn run(args: &[String]) -> Result<(), String> {
    match args.first().map(String::as_str) {
        Some("run") => run_cmd(&args[1..]),
        Some("fetch") => {
            for k in &args[1..] {
                let k = assets::kernel(k)?;
                let bb = assets::busybox(k.arch)?;
                println!(
                    "{}: image {} kdir {} btf {} busybox {}",
                    k.release,
                    k.image.display(),
                    opt(&k.kdir),
                    opt(&k.btf),
                    bb.display()
                );
            }
            Ok(())
        }
        Some("bench") => bench::run(&args[1..]),
        _ => Err(USAGE.into()),
    }
}

fn opt(p: &Option<PathBuf>) -> String {
    p.as_ref().map_or("-".into(), |p| p.display().to_string())
}

fn run_cmd(args: &[String]) -> Result<(), String> {
    let mut kernel = None;
    let mut files = Vec::new();
    let mut kodirs = Vec::new();
    let mut timeout = 180;
    let mut trace = false;
    let mut loader = false;
    let mut cpus = 1;
    let mut append = String::new();
    let mut snippet = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut val = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{a} needs a value\n\n{USAGE}"))
        };
        match a.as_str() {
            "--kernel" | "-k" => kernel = Some(val()?),
            "--file" | "-f" => files.push(val()?),
            "--ko" => kodirs.push(val()?),
            "--timeout" | "-t" => {
                timeout = val()?.parse().map_err(|_| "--timeout needs seconds")?
            }
            "--cpus" => cpus = val()?.parse().map_err(|_| "--cpus needs a number")?,
            "--append" => append = val()?,
            "--trace" => trace = true,
            "--loader" => loader = true,
            "--" => {
                snippet = Some(it.by_ref().cloned().collect::<Vec<_>>().join(" "));
                break;
            }
            s if snippet.is_none() && !s.starts_with('-') => snippet = Some(s.to_string()),
            other => return Err(format!("unknown argument `{other}`\n\n{USAGE}")),
        }
    }
    let kernel = kernel.ok_or_else(|| format!("--kernel is required\n\n{USAGE}"))?;
    let snippet = snippet.unwrap_or_default();
    let snippet = match std::fs::read_to_string(&snippet) {
        Ok(text) if std::path::Path::new(&snippet).is_file() => text,
        _ => snippet,
    };
    let k = assets::kernel(&kernel)?;
    let bb = assets::busybox(k.arch)?;
    let mut v = vm::Vm::new(k, bb);
    v.timeout = Duration::from_secs(timeout);
    v.trace = trace;
    v.echo = true;
    v.cpus = cpus;
    v.append = append;
    for f in &files {
        let (src, dst) = f
            .split_once(':')
            .ok_or_else(|| format!("--file wants SRC:DST, not `{f}`"))?;
        v.file(std::path::Path::new(src), dst)?;
    }
    for d in &kodirs {
        for e in std::fs::read_dir(d)
            .map_err(|e| format!("{d}: {e}"))?
            .flatten()
        {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "ko") {
                v.file(&p, &p.file_name().unwrap().to_string_lossy())?;
            }
        }
    }
    if loader {
        let l = assets::loader(v.kernel.arch)?;
        v.file(&l, "/bin/xstap-run")?;
    }
    let b = v.run(&snippet)?;
    eprintln!(
        "xtask vm: {} outcome={:?} (code {}) snippet_rc={:?} wall={:.2}s guest uptime at init={:?}s done={:?}s",
        v.kernel.release,
        b.outcome,
        b.outcome.code(),
        b.snippet_rc,
        b.wall.as_secs_f64(),
        b.uptime_at_init,
        b.uptime_at_done
    );
    if b.outcome == vm::Outcome::Ok {
        Ok(())
    } else {
        if let Some(l) = b.oops_line() {
            eprintln!("xtask vm: oops: {l}");
        }
        std::process::exit(b.outcome.code());
    }
}
