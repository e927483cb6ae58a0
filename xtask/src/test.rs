//! `cargo xtask test`: the README's test command and what CI runs.
//!
//! It makes a fresh machine ready (host packages, rustup targets, the Debian
//! target kernels the end-to-end tests use), then runs every test of the
//! workspace and builds the book. Each step is idempotent and cheap when its
//! work is already done, so developers run the same command locally.
//! Under CI (or `XSTAP_TEST_MATRIX=1`) the six kernels of the project's
//! matrix (`xstap_tests::matrix`) are fetched too, all in parallel;
//! `--fetch-only` stops after fetching, `--no-setup` skips setup and fetch.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The Debian kernels the test suite builds for and boots. Pinned so a run
/// is reproducible; override with `XSTAP_TEST_KVERS` (space separated).
pub const TEST_KERNELS: &[&str] = &["6.1.0-56-amd64", "6.1.0-56-arm64"];

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// Where tests keep fetched kernels and profiles between runs.
pub fn test_home() -> PathBuf {
    xstap_tests::conformance::test_home()
}

pub fn test_kernels() -> Vec<String> {
    match std::env::var("XSTAP_TEST_KVERS") {
        Ok(v) if !v.trim().is_empty() => v.split_whitespace().map(String::from).collect(),
        _ => TEST_KERNELS.iter().map(|s| s.to_string()).collect(),
    }
}

pub fn run_cmd(cmd: &mut Command) -> Result<(), String> {
    eprintln!("xtask: $ {cmd:?}");
    let status = cmd
        .status()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?} failed with {status}"))
    }
}

pub fn setup() -> Result<(), String> {
    let root = workspace_root();
    let script = root.join(".ci/setup-deps.sh");
    if script.exists() {
        run_cmd(Command::new("sh").arg(&script).current_dir(&root))?;
    }
    Ok(())
}

/// Whether the matrix test (`tests/it/matrix.rs`) runs: under CI or with
/// `XSTAP_TEST_MATRIX=1`; then its kernels are fetched too.
pub fn matrix_on() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty())
        || std::env::var("XSTAP_TEST_MATRIX").is_ok_and(|v| v == "1")
}

/// Fetch the test kernels (headers, image, profile) into the test home, and
/// the matrix kernels when [`matrix_on`]; in parallel (downloads dominate),
/// printing each fetch's time.
pub fn fetch_kernels() -> Result<(), String> {
    let root = workspace_root();
    run_cmd(
        Command::new(env!("CARGO"))
            .args(["build", "--quiet", "-p", "xstap"])
            .current_dir(&root),
    )?;
    let xstap = root.join("target/debug/xstap");
    let mut kernels = test_kernels();
    if matrix_on() {
        for k in xstap_tests::matrix::KERNELS {
            if !kernels.iter().any(|x| x == k) {
                kernels.push(k.to_string());
            }
        }
    }
    let t0 = std::time::Instant::now();
    let mut children = Vec::new();
    for k in &kernels {
        let mut cmd = Command::new(&xstap);
        cmd.args(["target", "fetch", &format!("debian:{k}")])
            .env("XSTAP_HOME", test_home());
        eprintln!("xtask: $ {cmd:?} &");
        let child = cmd
            .spawn()
            .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
        children.push((k.clone(), std::time::Instant::now(), child));
    }
    let mut failed = Vec::new();
    for (k, t, mut child) in children {
        let status = child
            .wait()
            .map_err(|e| format!("waiting for the fetch of {k}: {e}"))?;
        eprintln!(
            "xtask: fetch {k}: {status} after {:.1}s",
            t.elapsed().as_secs_f64()
        );
        if !status.success() {
            failed.push(k);
        }
    }
    eprintln!(
        "xtask: fetched {} kernel(s) in {:.1}s",
        kernels.len(),
        t0.elapsed().as_secs_f64()
    );
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("fetching {} failed", failed.join(", ")))
    }
}

pub fn run(args: &[String]) -> Result<(), String> {
    let root = workspace_root();
    let skip_setup = args.iter().any(|a| a == "--no-setup");
    if !skip_setup {
        setup()?;
        fetch_kernels()?;
    }
    if args.iter().any(|a| a == "--fetch-only") {
        return Ok(());
    }
    run_cmd(
        Command::new(env!("CARGO"))
            .args(["test", "--workspace", "--no-fail-fast"])
            .env("XSTAP_TEST_HOME", test_home())
            // The kernel crate's real-kernel tests fetch into the same place.
            .env("XSTAP_TEST_KERNELS", test_home())
            .env("XSTAP_TEST_KVERS", test_kernels().join(" "))
            .current_dir(&root),
    )?;
    if root.join("book/book.toml").exists() {
        crate::book::run(&[])?;
    }
    Ok(())
}
