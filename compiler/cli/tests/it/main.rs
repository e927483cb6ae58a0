//! Integration tests of the `xstap` binary, one test binary for the crate.
//!
//! Most tests are data: each `test_data/NAME.stp` is run as
//! `xstap ARGS` where ARGS come from `NAME.args` (one argument per line,
//! `$FILE` standing for the script's path; `-p1 $FILE` when absent), with the
//! script as standard input when an argument is `-`. The exit status, stdout
//! and stderr are compared with `NAME.expected`; `UPDATE_EXPECT=1 cargo test
//! -p xstap` rewrites the expected files. Other tests generate inputs too big
//! or too random to keep as files and check invariants only: exit status 1
//! with a coded diagnostic, never a crash, signal or hang.

mod build_targets;
mod data;
mod robust;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What one run of xstap gave.
pub struct Run {
    pub status: Option<i32>,
    pub signal: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// An empty tapset directory, so that the workspace's tapsets (written
/// elsewhere) do not change these tests' output.
pub fn empty_tapsets() -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "xstap-cli-tests-empty-tapsets-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// Longest a run may take before it counts as a hang (debug build, 10 MB inputs).
const HANG: Duration = Duration::from_secs(300);

/// Runs xstap with `args` in the crate directory, feeding `stdin`; a run
/// that outlives [`HANG`] is killed (and shows as signal 9).
pub fn xstap(args: &[String], stdin: &[u8]) -> Run {
    use std::io::Read;
    use std::os::unix::process::ExitStatusExt;
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_xstap"))
        .args(args)
        .current_dir(crate_dir())
        .env("SYSTEMTAP_TAPSET", empty_tapsets())
        // The same target facts on every machine: a release with no stored
        // profile and no /boot config.
        .env("XSTAP_RELEASE", "6.1.0-99-test")
        .env("XSTAP_HOME", empty_tapsets())
        .env_remove("SYSTEMTAP_RELEASE")
        .env_remove("TMPDIR")
        .env_remove("NO_COLOR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run xstap");
    let mut pipe = child.stdin.take().expect("stdin");
    let input = stdin.to_vec();
    // xstap may stop reading early (an error): ignore a broken pipe.
    let feeder = std::thread::spawn(move || {
        let _ = pipe.write_all(&input);
    });
    let reader = |p: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = p {
                let _ = p.read_to_end(&mut buf);
            }
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out = reader(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = reader(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait for xstap") {
            break s;
        }
        if start.elapsed() > HANG {
            let _ = child.kill();
            break child.wait().expect("wait for xstap");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let _ = feeder.join();
    Run {
        status: status.code(),
        signal: status.signal(),
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    }
}

/// Reads a file of the crate, relative to the crate directory.
pub fn read(p: &Path) -> Vec<u8> {
    std::fs::read(crate_dir().join(p)).unwrap_or_default()
}
