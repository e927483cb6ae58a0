//! `cargo xtask cross-build [--kernels K1,K2,...] [--boot] [--no-fetch] [-o DIR]`:
//! the project's own matrix by hand ([`xstap_tests::matrix`]). Fetches the
//! kernels (in parallel) into the test home, builds the example scripts for
//! all of them with one `xstap build` per script, prints xstap's summary
//! tables and the time of every step; with `--boot`, boots the amd64 and
//! arm64 kernels of each line in qemu and prints what the modules printed.
//! Exits non-zero when anything failed.

use std::path::PathBuf;

use xstap_tests::matrix;

const USAGE: &str = "usage: cargo xtask cross-build [--kernels K1,K2,...] [--boot] [--no-fetch] [-o DIR]";

pub fn run(args: &[String]) -> Result<(), String> {
    let root = crate::test::workspace_root();
    let mut kernels: Option<Vec<String>> = None;
    let mut boot = false;
    let mut fetch = true;
    let mut out = root.join("target/cross-build");
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--kernels" | "-k" => {
                let v = it.next().ok_or(format!("--kernels needs a list\n{USAGE}"))?;
                kernels.get_or_insert_with(Vec::new).extend(v.split([',', ' ']).filter(|s| !s.is_empty()).map(String::from));
            }
            "--boot" => boot = true,
            "--no-fetch" => fetch = false,
            "-o" => out = PathBuf::from(it.next().ok_or(format!("-o needs a directory\n{USAGE}"))?),
            "-h" | "--help" => {
                println!("{USAGE}\n\ndefault kernels: {}\nbooted with --boot: {}", matrix::KERNELS.join(" "), matrix::BOOTED.join(" "));
                return Ok(());
            }
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    crate::test::run_cmd(std::process::Command::new(env!("CARGO")).args(["build", "--quiet", "-p", "xstap"]).current_dir(&root))?;
    let mut o = matrix::Options::new(root.join("target/debug/xstap"), out);
    if let Some(k) = kernels {
        o.kernels = k;
    }
    o.fetch = fetch;
    if !boot {
        o.boot.clear();
    }
    println!(
        "== cross-build: {} kernel(s), {} script(s), home {}",
        o.kernels.len(),
        matrix::SCRIPTS.len(),
        xstap_tests::vm::assets::test_home().display()
    );
    let report = matrix::run(&o)?;
    print!("{}", report.render());
    let failures = report.failures();
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!("{} failure(s):\n{}", failures.len(), failures.join("\n")))
    }
}
