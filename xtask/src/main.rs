//! `cargo xtask ...`: the project's automation (kernels and qemu for tests,
//! conformance runs, benchmarks, cross builds, the demo, the book).
//!
//! Each subcommand lives in its own module and exposes
//! `pub fn run(args: &[String]) -> Result<(), String>`; errors are printed by
//! `main` and turn into exit status 1. Nothing here is part of the product:
//! `xstap` never calls into xtask.

mod bench;
mod bench_p4;
mod book;
mod conformance;
mod cross_build;
mod demo;
mod test;
mod vm;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <command> [args]

commands:
  test          make this machine ready (packages, rustup targets, test kernels) and
                run every test; what CI runs
  demo          fetch an amd64 and an arm64 Debian kernel, build the example scripts
                for both, boot each in qemu and show what the scripts printed
  vm            fetch kernels and busybox, build initramfs images, boot and run commands
  conformance   run SystemTap's conformance corpus (../shared/conformance) and report
  cross-build   build the example scripts for the project's six-kernel matrix with one
                `xstap build` each; `--boot` runs them in qemu (amd64 + arm64 of 6.1, 6.12)
  bench         benchmarks (printed numbers and ratios, never asserted)
  book          build the mdBook in book/ (installs mdbook if missing)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((cmd, rest)) = args.split_first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let result = match cmd.as_str() {
        "demo" => demo::run(rest),
        "test" => test::run(rest),
        "vm" => vm::run(rest),
        "conformance" => conformance::run(rest),
        "cross-build" => cross_build::run(rest),
        "bench" => bench::run(rest),
        "book" => book::run(rest),
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            Ok(())
        }
        other => Err(format!("unknown command `{other}`\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: error: {e}");
            ExitCode::FAILURE
        }
    }
}
