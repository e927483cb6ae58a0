//! `cargo xtask conformance [parse|sem|trans|build|all|output|output-shim]`: runs SystemTap's
//! conformance corpus against a freshly built xstap and prints, per suite,
//! the pass/fail/skip counts and every failing file with its first
//! diagnostic line. The suites of each area come from
//! `xstap_tests::conformance::suites` (the passes add theirs there); this
//! command only drives and prints. It never fails on test failures: the
//! floors are asserted by `cargo test -p xstap-tests`. `output` builds the
//! printf/string/maps scripts and compares their output in one qemu boot
//! (`xstap_tests::output_conformance`); `output-shim` runs them in the
//! user-space shim instead (fast, begin/end/timer scripts only).

use xstap_tests::conformance::{self, Env};

const USAGE: &str =
    "usage: cargo xtask conformance [parse|sem|trans|build|all|output|output-shim] [--release]";

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
    if area == "output" || area == "output-shim" {
        return output(release, area == "output-shim");
    }
    let mut suites =
        conformance::suites(&area).ok_or_else(|| format!("unknown area `{area}`\n{USAGE}"))?;
    let Some(corpus) = conformance::corpus_dir()? else {
        println!("conformance corpus not found (looked for ../shared/conformance; set XSTAP_CONFORMANCE)");
        return Ok(());
    };
    if suites.is_empty() {
        println!("no suites for `{area}` yet: the pass that implements it adds them in tests/conformance.rs");
        return Ok(());
    }
    let xstap = conformance::xstap_binary(release)?;
    println!(
        "corpus: {}\nxstap:  {}\n",
        corpus.display(),
        xstap.display()
    );
    let mut env = Env::new(xstap, conformance::xstap_run_binary(false), corpus)?;
    // Pass 2 and later check against a real kernel profile from the test home.
    if suites.iter().any(|s| s.pass >= 2) {
        match conformance::sem_target()? {
            Some(vars) => env = env.with_env(vars),
            None => {
                println!(
                    "no {} profile in {} (run `cargo xtask test` or `xstap target fetch debian:{}` with XSTAP_HOME there): pass 2+ suites not run\n",
                    conformance::SEM_RELEASE,
                    conformance::test_home().display(),
                    conformance::SEM_RELEASE
                );
                suites.retain(|s| s.pass < 2);
            }
        }
    }
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

/// `conformance output`: one qemu boot of the amd64 test kernel.
fn output(release: bool, shim: bool) -> Result<(), String> {
    use xstap_tests::output_conformance as oc;
    let Some(corpus) = conformance::corpus_dir()? else {
        println!("conformance corpus not found (looked for ../shared/conformance; set XSTAP_CONFORMANCE)");
        return Ok(());
    };
    let home = conformance::test_home();
    if !home.join("targets").join(oc::RELEASE).is_dir() {
        println!("no {} profile in {} (run `cargo xtask test` or `xstap target fetch debian:{}` with XSTAP_HOME there)", oc::RELEASE, home.display(), oc::RELEASE);
        return Ok(());
    }
    let xstap = conformance::xstap_binary(release)?;
    let jobs = std::thread::available_parallelism().map_or(2, |n| n.get());
    let setup = oc::Setup {
        xstap,
        home,
        corpus,
        release: oc::RELEASE.to_string(),
        jobs,
    };
    let t0 = std::time::Instant::now();
    let report = if shim {
        oc::run_shim(&setup)?
    } else {
        oc::run(&setup)?
    };
    print!("{report}");
    println!("total {:.1} s", t0.elapsed().as_secs_f64());
    Ok(())
}
