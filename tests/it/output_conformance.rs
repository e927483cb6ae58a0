//! SystemTap's printf/string/maps scripts built by xstap and run in one
//! qemu boot of the amd64 test kernel, compared line by line with their
//! expected output (`xstap_tests::output_conformance`). The test fails when
//! the pass rate falls below the level reached: raise the floor as output
//! improves, never lower it silently.
//!
//! The target profile comes from the test home (`XSTAP_TEST_HOME`, else
//! `target/xstap-home`, filled by `cargo xtask test`); without it the test
//! says so and does nothing, except under CI (`CI` set) where it fails.

use xstap_tests::conformance;
use xstap_tests::output_conformance::{self as oc, Setup};

/// Share of the cases whose output must match. Measured 38/38 (100 %) in
/// qemu (the user-space shim cannot run `string/user_string_n_quoted.stp`,
/// a `syscall.write` probe).
const OUTPUT_FLOOR: f64 = 1.0;

#[test]
fn output_conformance() {
    let corpus = match conformance::corpus_dir() {
        Ok(Some(c)) => c,
        Ok(None) => {
            eprintln!("conformance corpus not found (set XSTAP_CONFORMANCE); skipping");
            return;
        }
        Err(e) => panic!("{e}"),
    };
    let home = conformance::test_home();
    if !home.join("targets").join(oc::RELEASE).is_dir() {
        assert!(
            std::env::var_os("CI").is_none(),
            "no {} profile in {} (CI must have it: `cargo xtask test` fetches it)",
            oc::RELEASE,
            home.display()
        );
        eprintln!(
            "no {} profile in {}: output conformance not run (`cargo xtask test` fetches it)",
            oc::RELEASE,
            home.display()
        );
        return;
    }
    let xstap = conformance::xstap_binary(false).unwrap_or_else(|e| panic!("{e}"));
    let jobs = std::thread::available_parallelism().map_or(2, |n| n.get());
    let setup = Setup {
        xstap,
        home,
        corpus,
        release: oc::RELEASE.to_string(),
        jobs,
    };
    let report = oc::run(&setup).unwrap_or_else(|e| panic!("{e}"));
    eprintln!("{report}");
    assert!(
        report.total() > 0,
        "no output-conformance case found in the corpus"
    );
    assert!(
        report.rate() >= OUTPUT_FLOOR,
        "output conformance {:.3} fell below the floor {OUTPUT_FLOOR:.3}\n{report}",
        report.rate()
    );
}
