//! The `xstap-run` binary: parse the command line, run, exit with the status
//! of [`xstap_run::session::run`] (0 ok, 1 any error, staprun-compatible).

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let code = match xstap_run::args::parse(&argv) {
        Ok(xstap_run::args::Parsed::Help) => {
            print!("{}", xstap_run::args::USAGE);
            0
        }
        Ok(xstap_run::args::Parsed::Run(opts)) => xstap_run::session::run(&opts),
        Err(m) => {
            eprint!("{m}");
            1
        }
    };
    std::process::exit(code);
}
