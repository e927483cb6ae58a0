//! `cargo xtask conformance [parse|sem|trans|build|all]`: runs SystemTap's
//! conformance corpus against a freshly built xstap and prints, per suite,
//! the pass/fail/skip counts and every failing file with its first
//! diagnostic line. The suites of each area come from
//! `xstap_tests::conformance::suites` (the passes add theirs there); this
//! command only drives and prints. It never fails on test failures: the
//! floors are asserted by `cargo test -p xstap-tests`.

use xstap_tests::conformance::{self, Env};

const USAGE: &str = "usage: cargo xtask conformance [parse|sem|trans|build|all] [--release]";

pub fn run(args: &[String]) -> Result<(), String> {
    let mut area = "parse".to_owned();
    let mut release = false;
    for a in args {
        match a.as_str() {
            "--release" => release = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => area = other.to_owned(),
        }
    }
    let suites = conformance::suites(&area).ok_or_else(|| format!("unknown area `{area}`\n{USAGE}"))?;
    let Some(corpus) = conformance::corpus_dir()? else {
        println!("conformance corpus not found (looked for ../shared/conformance; set XSTAP_CONFORMANCE)");
        return Ok(());
    };
    if suites.is_empty() {
        println!("no suites for `{area}` yet: the pass that implements it adds them in tests/conformance.rs");
        return Ok(());
    }
    let xstap = conformance::xstap_binary(release)?;
    println!("corpus: {}\nxstap:  {}\n", corpus.display(), xstap.display());
    let env = Env::new(xstap, conformance::xstap_run_binary(false), corpus)?;
    let (mut pass, mut fail, mut skip) = (0, 0, 0);
    for s in &suites {
        let r = env.run_suite(s);
        println!("{r}");
        pass += r.passed();
        fail += r.failed();
        skip += r.skipped();
    }
    println!("conformance {area}: {pass} passed, {fail} failed, {skip} skipped");
    Ok(())
}
