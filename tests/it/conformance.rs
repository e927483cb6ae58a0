//! SystemTap's parse tests (`parseok`, `parseko`) against the built xstap.
//! The test fails when a pass rate falls below the floor reached so far:
//! raise the floors as the parser improves, never lower them silently.

use xstap_tests::conformance::{self, Env, Report};

/// parseok: share of the tests run (skips excluded) that must exit 0.
/// Measured 35/36 (97.2 %): `unparser.stp` (which round-trips every script
/// of the corpus through `-p1`) fails on semok/autocast11 and autocast14
/// (the library macro `@choose_defined` expands to a `%( @defined(..) %?`
/// conditional that pass 1 calls malformed) and semok/config_number
/// (`CONFIG_NR_CPUS` is unknown without a target profile).
const PARSEOK_FLOOR: f64 = 0.97;
/// parseko: share of the tests run that must fail with an E00xx/E01xx/E02xx
/// diagnostic (E08xx for the scripts that drive staprun).
/// Measured 108/110 (98.2 %): `autocast01.stp` and `twentyseven.stp` need
/// `--compatible` (< 3.0, < 2.0) to change what the parser accepts.
const PARSEKO_FLOOR: f64 = 0.98;

#[test]
fn parse_conformance() {
    let corpus = match conformance::corpus_dir() {
        Ok(Some(c)) => c,
        Ok(None) => {
            eprintln!("conformance corpus not found (set XSTAP_CONFORMANCE); skipping");
            return;
        }
        Err(e) => panic!("{e}"),
    };
    let xstap = conformance::xstap_binary(false).unwrap_or_else(|e| panic!("{e}"));
    let env = Env::new(xstap, conformance::xstap_run_binary(false), corpus).unwrap_or_else(|e| panic!("{e}"));
    let reports: Vec<Report> = conformance::parse_suites().iter().map(|s| env.run_suite(s)).collect();
    for r in &reports {
        eprintln!("{r}");
    }
    let floor = |dir: &str| if dir == "parseok" { PARSEOK_FLOOR } else { PARSEKO_FLOOR };
    for r in &reports {
        assert!(
            r.rate() >= floor(r.suite.dir),
            "{}: pass rate {:.3} fell below the floor {:.3}\n{r}",
            r.suite.dir,
            r.rate(),
            floor(r.suite.dir)
        );
        assert!(r.passed() + r.failed() > 0, "{}: no test ran", r.suite.dir);
    }
}
