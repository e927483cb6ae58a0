//! The project's own matrix ([`xstap_tests::matrix`]): the seed's example,
//! a printing variant and the counting script built for six Debian kernels
//! (6.1 amd64/arm64/cloud-amd64/rt-amd64, 6.12 amd64/arm64) with one
//! `xstap build` each, and the amd64/arm64 kernels of each line booted in
//! qemu, every module run in that boot and its output checked.
//!
//! Runs when `CI` is set or `XSTAP_TEST_MATRIX=1` (it costs minutes: kernels
//! must be fetched, `cargo xtask test` does that first under CI); otherwise
//! it says it is skipped. Timings of every step are printed.

use xstap_tests::{conformance, matrix, vm::assets};

fn enabled() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty())
        || std::env::var("XSTAP_TEST_MATRIX").is_ok_and(|v| v == "1")
}

#[test]
fn six_kernel_matrix_builds_and_runs() {
    if !enabled() {
        eprintln!("matrix: skipped (set XSTAP_TEST_MATRIX=1, or CI, to build for and boot the six matrix kernels)");
        return;
    }
    let xstap = conformance::xstap_binary(false).expect("the xstap binary builds");
    let out = assets::scratch_dir("matrix").expect("a scratch directory");
    let opts = matrix::Options::new(xstap, out);
    let report = matrix::run(&opts).expect("the matrix runs");
    eprintln!("{}", report.render());
    assert_eq!(report.builds.len(), matrix::SCRIPTS.len());
    assert_eq!(report.boots.len(), matrix::BOOTED.len());
    let failures = report.failures();
    assert!(
        failures.is_empty(),
        "matrix failures:\n{}",
        failures.join("\n")
    );
    let _ = std::fs::remove_dir_all(&opts.out);
}
