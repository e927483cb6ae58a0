//! Boot Debian target kernels in qemu (TCG) with a busybox initramfs and run
//! shell snippets in them: the library behind `cargo xtask vm` and the
//! end-to-end tests (`tests/it/e2e.rs`). A port of the shell test-bed.
//!
//! - [`cpio`] writes the initramfs (newc) without root, /dev/console included.
//! - [`assets`] finds or fetches what a boot needs: kernel images and build
//!   trees, busybox-static for the guest arch, the static `xstap-run`, and
//!   builds kernel modules with kbuild.
//! - [`Vm::run`] boots, runs the snippet under a generated `/init`, collects
//!   the serial console and classifies the run ([`Outcome`]: the test-bed's
//!   exit codes 0 ok, 1 snippet failed, 2 oops/panic, 3 timeout, 4 no end marker).
//! - [`cases_snippet`] / [`case_outputs`] run several named cases in one boot
//!   (boots cost 2-3 s) and split the console back into per-case results.
//!
//! Depends on std only; runs `qemu-system-*`, `apt-get`, `dpkg`, `make`.
//! Nothing here prints unless [`Vm::echo`] is set (xtask sets it).

pub mod assets;
pub mod cpio;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A target architecture, as Debian, kbuild, qemu and rustc name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Arch {
    X86_64,
    Arm64,
}

impl Arch {
    /// From a Debian kernel release such as `6.1.0-56-arm64`.
    pub fn from_release(release: &str) -> Option<Arch> {
        match release.rsplit('-').next()? {
            "amd64" | "cloud-amd64" | "rt-amd64" => Some(Arch::X86_64),
            "arm64" | "cloud-arm64" | "rt-arm64" | "16k" => Some(Arch::Arm64),
            _ => None,
        }
    }
    pub fn deb(self) -> &'static str {
        match self {
            Arch::X86_64 => "amd64",
            Arch::Arm64 => "arm64",
        }
    }
    pub fn karch(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86",
            Arch::Arm64 => "arm64",
        }
    }
    /// CROSS_COMPILE for kbuild on an x86_64 host.
    pub fn cross(self) -> &'static str {
        match self {
            Arch::X86_64 => "",
            Arch::Arm64 => "aarch64-linux-gnu-",
        }
    }
    pub fn rust_target(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64-unknown-linux-musl",
            Arch::Arm64 => "aarch64-unknown-linux-musl",
        }
    }
    pub fn qemu(self) -> &'static str {
        match self {
            Arch::X86_64 => "qemu-system-x86_64",
            Arch::Arm64 => "qemu-system-aarch64",
        }
    }
    /// `uname -m` in the guest.
    pub fn uname_m(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Arm64 => "aarch64",
        }
    }
}

/// What a boot of one kernel release needs, and its build tree.
#[derive(Clone, Debug)]
pub struct Kernel {
    pub release: String,
    pub arch: Arch,
    /// The image qemu boots: x86 uncompressed `vmlinux` (PVH entry, no
    /// decompressor under TCG) or bzImage; arm64 `Image`.
    pub image: PathBuf,
    /// The kbuild directory (KDIR), when headers are present.
    pub kdir: Option<PathBuf>,
    /// The raw BTF blob extracted offline from the image, when known.
    pub btf: Option<PathBuf>,
}

/// How a boot ended; `code()` is the test-bed's exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    SnippetFailed,
    Oops,
    Timeout,
    NoEndMarker,
}

impl Outcome {
    pub fn code(self) -> i32 {
        match self {
            Outcome::Ok => 0,
            Outcome::SnippetFailed => 1,
            Outcome::Oops => 2,
            Outcome::Timeout => 3,
            Outcome::NoEndMarker => 4,
        }
    }
}

/// The result of one boot.
#[derive(Clone, Debug)]
pub struct Boot {
    pub outcome: Outcome,
    /// The serial console with '\r' removed.
    pub console: String,
    pub snippet_rc: Option<i32>,
    pub wall: Duration,
    /// Guest uptime when /init started and when the snippet was done.
    pub uptime_at_init: Option<f64>,
    pub uptime_at_done: Option<f64>,
}

impl Boot {
    /// The first console line that made the run an oops, if any.
    pub fn oops_line(&self) -> Option<&str> {
        self.console.lines().find(|l| is_oops_line(l))
    }
}

const OOPS_MARKERS: &[&str] = &[
    "Kernel panic",
    "Oops",
    "BUG:",
    "general protection fault",
    "WARNING: CPU",
    "Unable to handle kernel",
];

fn is_oops_line(l: &str) -> bool {
    OOPS_MARKERS.iter().any(|m| l.contains(m))
}

/// A qemu run: kernel + busybox + extra files + a snippet.
#[derive(Clone, Debug)]
pub struct Vm {
    pub kernel: Kernel,
    pub busybox: PathBuf,
    pub timeout: Duration,
    pub mem_mb: u32,
    pub cpus: u32,
    /// Extra kernel command line.
    pub append: String,
    /// Echo the console live to stderr.
    pub echo: bool,
    /// Run the snippet under `sh -x`.
    pub trace: bool,
    files: Vec<(String, Vec<u8>, u32)>,
}

/// The guest's /init: mounts, markers, the snippet, the rc, poweroff.
const INIT: &str = r#"#!/bin/sh
/bin/busybox mount -t proc proc /proc
/bin/busybox --install -s
export PATH=/sbin:/bin:/usr/sbin:/usr/bin HOME=/ TERM=dumb
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
[ -e /xs-no-debugfs ] || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
echo "XS-VM-BOOTED release=$(uname -r) machine=$(uname -m) uptime=$(cut -d' ' -f1 /proc/uptime)"
echo "XS-VM-INFO tainted=$(cat /proc/sys/kernel/tainted) lockdown=$(cat /sys/kernel/security/lockdown 2>/dev/null || echo n/a)"
echo "XS-VM-SNIPPET-BEGIN"
cd /work
if [ -e /xs-trace ]; then sh -x /snippet.sh; else sh /snippet.sh; fi
rc=$?
echo "XS-VM-SNIPPET-RC=$rc"
echo "XS-VM-INFO tainted=$(cat /proc/sys/kernel/tainted) lsmod: $(lsmod | tail -n +2 | cut -d' ' -f1 | tr '\n' ' ')"
echo "XS-VM-DONE uptime=$(cut -d' ' -f1 /proc/uptime)"
sync
poweroff -f
sleep 5
echo o > /proc/sysrq-trigger
"#;

impl Vm {
    pub fn new(kernel: Kernel, busybox: PathBuf) -> Vm {
        Vm {
            kernel,
            busybox,
            timeout: Duration::from_secs(180),
            mem_mb: 512,
            cpus: 1,
            append: String::new(),
            echo: false,
            trace: false,
            files: Vec::new(),
        }
    }

    /// Put bytes at `dst` (an absolute guest path; relative paths go under /work).
    pub fn data(&mut self, dst: &str, bytes: Vec<u8>, mode: u32) -> &mut Self {
        let dst = if dst.starts_with('/') {
            dst.to_string()
        } else {
            format!("/work/{dst}")
        };
        self.files.push((dst, bytes, mode));
        self
    }

    /// Copy a host file to `dst` in the guest (mode kept: executables stay executable).
    pub fn file(&mut self, src: &Path, dst: &str) -> Result<&mut Self, String> {
        use std::os::unix::fs::PermissionsExt;
        let bytes =
            std::fs::read(src).map_err(|e| format!("cannot read {}: {e}", src.display()))?;
        let mode = std::fs::metadata(src)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0o644);
        Ok(self.data(dst, bytes, mode))
    }

    /// The initramfs for `snippet`.
    pub fn initramfs(&self, snippet: &str) -> Result<Vec<u8>, String> {
        let bb = std::fs::read(&self.busybox)
            .map_err(|e| format!("cannot read busybox {}: {e}", self.busybox.display()))?;
        let mut c = cpio::Cpio::new();
        for d in [
            "proc",
            "sys",
            "dev",
            "tmp",
            "work",
            "etc",
            "sbin",
            "usr/bin",
            "usr/sbin",
            "sys/kernel/debug",
        ] {
            c.dir(d);
        }
        c.chardev("dev/console", 5, 1, 0o600)
            .chardev("dev/null", 1, 3, 0o666);
        c.file("bin/busybox", bb, 0o755)
            .symlink("bin/sh", "busybox");
        c.file("init", INIT.as_bytes().to_vec(), 0o755);
        c.file("snippet.sh", snippet.as_bytes().to_vec(), 0o644);
        if self.trace {
            c.file("xs-trace", Vec::new(), 0o644);
        }
        for (dst, bytes, mode) in &self.files {
            c.file(dst, bytes.clone(), *mode);
        }
        Ok(c.to_bytes())
    }

    /// The qemu command line (without the initrd path).
    pub fn qemu_args(&self, initrd: &Path) -> Vec<String> {
        let mut a: Vec<String> = ["-nographic", "-no-reboot", "-nic", "none", "-accel", "tcg"]
            .map(String::from)
            .to_vec();
        a.extend([
            "-m".into(),
            self.mem_mb.to_string(),
            "-smp".into(),
            self.cpus.to_string(),
        ]);
        a.extend([
            "-kernel".into(),
            self.kernel.image.display().to_string(),
            "-initrd".into(),
            initrd.display().to_string(),
        ]);
        let base = format!("panic=-1 oops=panic rdinit=/init {}", self.append);
        match self.kernel.arch {
            Arch::X86_64 => a.extend(["-append".into(), format!("console=ttyS0 {base}")]),
            Arch::Arm64 => a.extend([
                "-M".into(),
                "virt".into(),
                "-cpu".into(),
                "cortex-a57".into(),
                "-append".into(),
                format!("console=ttyAMA0 {base}"),
            ]),
        }
        a
    }

    /// Boot, run `snippet` (shell, run by busybox sh in /work), power off.
    pub fn run(&self, snippet: &str) -> Result<Boot, String> {
        let dir = assets::scratch_dir("run")?;
        let initrd = dir.join("initramfs.cpio");
        std::fs::write(&initrd, self.initramfs(snippet)?)
            .map_err(|e| format!("cannot write {}: {e}", initrd.display()))?;
        let args = self.qemu_args(&initrd);
        let t0 = Instant::now();
        let mut child = Command::new(self.kernel.arch.qemu())
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                format!(
                    "cannot run {}: {e} (install it: .ci/setup-deps.sh)",
                    self.kernel.arch.qemu()
                )
            })?;
        let console = Arc::new(Mutex::new(Vec::<u8>::new()));
        let mut readers = Vec::new();
        for (pipe, echo) in [
            (
                child
                    .stdout
                    .take()
                    .map(|p| Box::new(p) as Box<dyn Read + Send>),
                self.echo,
            ),
            (
                child
                    .stderr
                    .take()
                    .map(|p| Box::new(p) as Box<dyn Read + Send>),
                true,
            ),
        ] {
            let Some(mut pipe) = pipe else { continue };
            let sink = Arc::clone(&console);
            readers.push(std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = pipe.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    if echo {
                        use std::io::Write;
                        let _ = std::io::stderr().write_all(&buf[..n]);
                    }
                    sink.lock().unwrap().extend_from_slice(&buf[..n]);
                }
            }));
        }
        let mut timed_out = false;
        loop {
            if child.try_wait().map_err(|e| e.to_string())?.is_some() {
                break;
            }
            if t0.elapsed() > self.timeout {
                let _ = child.kill();
                let _ = child.wait();
                timed_out = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        for r in readers {
            let _ = r.join();
        }
        let wall = t0.elapsed();
        let _ = std::fs::remove_dir_all(&dir);
        let raw = console.lock().unwrap().clone();
        let console: String = String::from_utf8_lossy(&raw).replace('\r', "");
        Ok(classify(console, timed_out, wall))
    }
}

fn field_after<'a>(console: &'a str, marker: &str, key: &str) -> Option<&'a str> {
    let line = console.lines().find(|l| l.starts_with(marker))?;
    let at = line.find(key)? + key.len();
    line[at..].split_whitespace().next()
}

/// Classify a finished run from its console, as the test-bed did.
pub fn classify(console: String, timed_out: bool, wall: Duration) -> Boot {
    let snippet_rc = console
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("XS-VM-SNIPPET-RC="))
        .and_then(|v| v.trim().parse().ok());
    let done = console.lines().any(|l| l.starts_with("XS-VM-DONE"));
    let outcome = if timed_out {
        Outcome::Timeout
    } else if console.lines().any(is_oops_line) {
        Outcome::Oops
    } else if !done {
        Outcome::NoEndMarker
    } else if snippet_rc != Some(0) {
        Outcome::SnippetFailed
    } else {
        Outcome::Ok
    };
    let uptime_at_init =
        field_after(&console, "XS-VM-BOOTED", "uptime=").and_then(|v| v.parse().ok());
    let uptime_at_done =
        field_after(&console, "XS-VM-DONE", "uptime=").and_then(|v| v.parse().ok());
    Boot {
        outcome,
        console,
        snippet_rc,
        wall,
        uptime_at_init,
        uptime_at_done,
    }
}

/// One named case of a multi-case boot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseOut {
    pub rc: i32,
    pub stdout: String,
    pub stderr: String,
}

/// A snippet that runs each `(name, script)` in turn, each with a time
/// limit, its stdout and stderr captured to files and printed between
/// markers afterwards (so kernel messages do not interleave with them).
/// Names must be single words.
pub fn cases_snippet(cases: &[(String, String)], limit_secs: u32) -> String {
    let mut s = String::from("mkdir -p /tmp/cases\n");
    for (i, (name, script)) in cases.iter().enumerate() {
        let f = format!("/tmp/cases/{i}.sh");
        s += &format!("cat > {f} <<'XS_CASE_EOF'\n{script}\nXS_CASE_EOF\n");
        s += &format!("cd /work; timeout {limit_secs} sh {f} > /tmp/cases/{i}.out 2> /tmp/cases/{i}.err; rc=$?\n");
        s += &format!("echo \"XS-CASE-BEGIN {name}\"; cat /tmp/cases/{i}.out; echo; echo \"XS-CASE-STDERR {name}\"; cat /tmp/cases/{i}.err; echo; echo \"XS-CASE-END {name} rc=$rc\"\n");
    }
    s
}

/// Split a console into the cases of [`cases_snippet`].
pub fn case_outputs(console: &str) -> BTreeMap<String, CaseOut> {
    let mut out = BTreeMap::new();
    let mut cur: Option<(String, String, Option<String>)> = None;
    for line in console.lines() {
        if let Some(name) = line.strip_prefix("XS-CASE-BEGIN ") {
            cur = Some((name.trim().to_string(), String::new(), None));
        } else if let Some(rest) = line.strip_prefix("XS-CASE-STDERR ") {
            if let Some(c) = cur.as_mut().filter(|c| c.0 == rest.trim()) {
                c.2 = Some(String::new());
            }
        } else if let Some(rest) = line.strip_prefix("XS-CASE-END ") {
            let (name, rc) = rest.split_once(" rc=").unwrap_or((rest, "-1"));
            if let Some((n, so, se)) = cur.take().filter(|c| c.0 == name) {
                let trim = |s: String| s.strip_suffix('\n').map(str::to_string).unwrap_or(s);
                out.insert(
                    n,
                    CaseOut {
                        rc: rc.trim().parse().unwrap_or(-1),
                        stdout: trim(so),
                        stderr: trim(se.unwrap_or_default()),
                    },
                );
            }
        } else if let Some((_, so, se)) = cur.as_mut() {
            let t = se.as_mut().unwrap_or(so);
            t.push_str(line);
            t.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_like_the_testbed() {
        let ok = "XS-VM-BOOTED release=x machine=y uptime=2.10\nXS-VM-SNIPPET-RC=0\nXS-VM-DONE uptime=3.5\n";
        let b = classify(ok.into(), false, Duration::ZERO);
        assert_eq!(
            (b.outcome, b.uptime_at_init, b.uptime_at_done),
            (Outcome::Ok, Some(2.1), Some(3.5))
        );
        assert_eq!(
            classify(ok.replace("RC=0", "RC=3"), false, Duration::ZERO)
                .outcome
                .code(),
            1
        );
        assert_eq!(
            classify(
                format!("BUG: kernel NULL pointer dereference\n{ok}"),
                false,
                Duration::ZERO
            )
            .outcome
            .code(),
            2
        );
        assert_eq!(classify(ok.into(), true, Duration::ZERO).outcome.code(), 3);
        assert_eq!(
            classify("XS-VM-BOOTED\n".into(), false, Duration::ZERO)
                .outcome
                .code(),
            4
        );
    }

    #[test]
    fn cases_round_trip() {
        let console = "noise\nXS-CASE-BEGIN a\nout1\nout2\n\nXS-CASE-STDERR a\nerr\n\nXS-CASE-END a rc=0\n[ 1.0] kernel line\nXS-CASE-BEGIN b\n\nXS-CASE-STDERR b\n\nXS-CASE-END b rc=1\n";
        let c = case_outputs(console);
        assert_eq!(
            c["a"],
            CaseOut {
                rc: 0,
                stdout: "out1\nout2\n".into(),
                stderr: "err\n".into()
            }
        );
        assert_eq!(
            c["b"],
            CaseOut {
                rc: 1,
                stdout: "".into(),
                stderr: "".into()
            }
        );
        let s = cases_snippet(&[("a".into(), "echo hi".into())], 30);
        assert!(
            s.contains("timeout 30 sh /tmp/cases/0.sh") && s.contains("XS-CASE-END a rc=$rc"),
            "{s}"
        );
        assert_eq!(Arch::from_release("6.1.0-56-arm64"), Some(Arch::Arm64));
        assert_eq!(
            Arch::from_release("6.12.117+deb12-amd64"),
            Some(Arch::X86_64)
        );
    }
}
