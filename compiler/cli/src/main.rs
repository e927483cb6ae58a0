//! `xstap`: the command-line front end (also run as `stap`, e.g. through a
//! symlink, with the same behaviour, so SystemTap's shell-driven tests run).
//!
//! This file only dispatches: [`args`] parses the command line, then the
//! requested pass runs on a [`session::Session`] that collects diagnostics,
//! and [`session::Session::finish`] prints them ([`render`]) and gives the
//! exit status (0 without errors, 1 with). Each pass or mode is one module;
//! passes 2 to 5, `-l`/`-L` and the `target`/`build` subcommands are added
//! here as modules and arms of [`dispatch`].
//!
//! Invariants: any input gives diagnostics, never a panic or a stack
//! overflow. The work runs on a thread with a large stack, and a panic hook
//! turns an unexpected panic into an E0901 "internal error" diagnostic with
//! exit status 1. The CLI is the only crate that prints.

mod args;
mod build_cmd;
mod cache_cmd;
mod facts;
mod frontend;
mod input;
mod pass1;
mod pass2;
mod pass34;
mod render;
mod session;
mod stats;
mod tapsets;
mod target;

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

use args::{Action, DiagFormat, Options};
use diag::Diagnostic;
use render::{Renderer, SourceMap};
use session::Session;

/// Stack of the worker thread. Only the pages touched are ever committed, so
/// a large reserve costs nothing on ordinary scripts.
const STACK_SIZE: usize = 1 << 30;

/// Whether diagnostics go out as JSON; read by the panic hook.
static JSON: AtomicBool = AtomicBool::new(false);

fn main() -> ExitCode {
    let argv: Vec<OsString> = std::env::args_os().skip(1).collect();
    let json = wants_json(&argv);
    JSON.store(json, Ordering::Relaxed);
    install_panic_hook();
    let worker = std::thread::Builder::new()
        .name("xstap".into())
        .stack_size(STACK_SIZE)
        .spawn(move || dispatch(&argv));
    match worker {
        Ok(handle) => handle.join().unwrap_or(ExitCode::from(1)),
        Err(e) => {
            emit_alone(&Diagnostic::bug(format!(
                "cannot start the worker thread: {e}"
            )));
            ExitCode::from(1)
        }
    }
}

/// `--diagnostics=json` is looked for before parsing, so that even errors in
/// the command line come out in the requested format.
fn wants_json(argv: &[OsString]) -> bool {
    let mut json = false;
    for (i, a) in argv.iter().enumerate() {
        match a.to_str() {
            Some("--diagnostics=json") => json = true,
            Some("--diagnostics=human") => json = false,
            Some("--diagnostics") => {
                json = argv.get(i + 1).and_then(|v| v.to_str()) == Some("json")
            }
            Some("--") => break,
            _ => {}
        }
    }
    json
}

fn format() -> DiagFormat {
    if JSON.load(Ordering::Relaxed) {
        DiagFormat::Json
    } else {
        DiagFormat::Human
    }
}

/// Prints a diagnostic that points into no file.
fn emit_alone(d: &Diagnostic) {
    Renderer::new(format()).emit(&SourceMap::new(), d);
}

fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let msg = if let Some(s) = info.payload().downcast_ref::<&str>() {
            (*s).to_owned()
        } else if let Some(s) = info.payload().downcast_ref::<String>() {
            s.clone()
        } else {
            "unknown panic".to_owned()
        };
        let mut d = Diagnostic::bug(format!("internal error, please report: {msg}"));
        if let Some(loc) = info.location() {
            d = d.with_note(format!(
                "xstap panicked at {}:{}:{}",
                loc.file(),
                loc.line(),
                loc.column()
            ));
        }
        emit_alone(&d);
    }));
}

/// Runs what the command line asks for and returns the exit status.
fn dispatch(argv: &[OsString]) -> ExitCode {
    // A deliberate panic, so that the tests can check the panic hook (there
    // is no other way to reach it on purpose).
    if std::env::var_os("XSTAP_TEST_PANIC").is_some() {
        panic!("XSTAP_TEST_PANIC is set");
    }
    // Subcommands come first; each is a module of its own (`target.rs`,
    // `build.rs`, ...) taking the remaining arguments. Everything else is
    // the stap-compatible command line.
    if argv.first().and_then(|a| a.to_str()) == Some("target") {
        let out = target::main(&argv[1..], &kernel::store::home());
        print!("{}", out.stdout);
        out.diags.iter().for_each(emit_alone);
        return ExitCode::from(u8::from(out.diags.iter().any(Diagnostic::is_error)));
    }
    if argv.first().and_then(|a| a.to_str()) == Some("build") {
        build::engine::remove_stale_build_dirs(None);
        return build_cmd::main(&argv[1..]);
    }
    if argv.first().and_then(|a| a.to_str()) == Some("cache") {
        return cache_cmd::main(&argv[1..]);
    }
    let action = match args::parse(argv) {
        Ok(a) => a,
        Err(d) => {
            emit_alone(&d);
            return ExitCode::from(1);
        }
    };
    match action {
        Action::Version => {
            println!(
                "xstap {} (SystemTap language; stap-compatible front end)",
                env!("CARGO_PKG_VERSION")
            );
            ExitCode::SUCCESS
        }
        Action::Help => {
            let _ = std::io::stdout().write_all(args::USAGE.as_bytes());
            ExitCode::SUCCESS
        }
        Action::Explain(code) => explain(&code),
        Action::Run(opts) => run(*opts),
    }
}

/// `--explain CODE`.
fn explain(code: &str) -> ExitCode {
    match diag::codes::lookup(code.trim()) {
        Some(c) => {
            println!("{}: {}\n\n{}", c.code, c.title, c.explanation.trim_end());
            ExitCode::SUCCESS
        }
        None => {
            emit_alone(&Diagnostic::error("E0009", format!("no diagnostic has the code `{code}`")).with_help(
                "codes look like `E0103`; copy the code from the diagnostic (the book lists every code)",
            ));
            ExitCode::from(1)
        }
    }
}

/// Runs passes 1 to `opts.pass`.
fn run(opts: Options) -> ExitCode {
    let mut sess = Session::new(opts);
    if let Err(d) = args::check_environment(std::env::var_os("TMPDIR").as_deref()) {
        sess.report(d);
        return sess.finish();
    }
    if let Some(listing) = sess.opts.listing.clone() {
        let (point, with_vars) = match listing {
            args::Listing::Probes(p) => (p, false),
            args::Listing::ProbesWithVars(p) => (p, true),
        };
        // Through the elaborator, so aliases and every point family list.
        pass2::list(&mut sess, &point, with_vars);
        return sess.finish();
    }
    match sess.opts.pass {
        1 => pass1::run(&mut sess),
        2 => pass2::run(&mut sess),
        3 | 4 => pass34::run(&mut sess),
        // Passes 2..5 go here: each parses through pass1::parse, then runs
        // its own module.
        n => {
            let what = match n {
                2 => "pass 2 (elaborate)",
                3 => "pass 3 (translate)",
                4 => "pass 4 (build)",
                _ => "pass 5 (run)",
            };
            let _ = pass1::parse(&mut sess);
            if !sess.has_errors() {
                sess.report(not_available(what));
            }
        }
    }
    sess.finish()
}

fn not_available(what: &str) -> Diagnostic {
    Diagnostic::error(
        "E0007",
        format!("{what} is not available in this build of xstap"),
    )
    .with_help("use `-p1` to parse and print the script")
}
