//! Pass 1 (`-p1`): read and parse the user script and the tapset library,
//! then print the user script unparsed (`syntax::pretty`), re-parseable.
//!
//! Parse errors in the user script are errors; parse errors in tapsets are
//! warnings (errors under `-W`), as in SystemTap. Nothing is printed on
//! stdout when the user script has errors.

use std::io::Write;

use diag::{Diagnostic, Severity};

use crate::frontend;
use crate::input;
use crate::session::Session;
use crate::stats::PassTimer;
use crate::tapsets;

/// What pass 1 produced, for the passes after it.
pub struct Output {
    /// The unparsed user script, or `None` when it has errors.
    pub pretty: Option<String>,
    /// How many tapset files were parsed.
    pub library_scripts: usize,
}

/// Runs pass 1, reporting into `sess`.
pub fn parse(sess: &mut Session) -> Output {
    let timer = PassTimer::start();
    let mut pretty = None;
    match input::read_script(&sess.opts.script, &mut sess.sources) {
        Err(d) => sess.report(d),
        Ok(file) if sess.sources.text(file).trim().is_empty() => {
            sess.report(Diagnostic::error("E0010", format!("the script `{}` is empty", sess.sources.name(file))).with_help(
                "give a script with at least one probe, e.g. `-e 'probe begin { println(\"hello\"); exit() }'`",
            ));
        }
        Ok(file) => {
            let text = sess.sources.text(file).to_owned();
            let mut parsed = frontend::parse(&text, file, &sess.opts);
            let mut ok = !parsed.diags.iter().any(Diagnostic::is_error);
            sess.report_all(parsed.diags.drain(..));
            let mut out = parsed.pretty;
            for (i, extra) in sess.opts.extra_scripts.clone().into_iter().enumerate() {
                let id = sess.sources.add(format!("<input{}>", i + 2), extra.clone());
                let p = frontend::parse(&extra, id, &sess.opts);
                ok &= !p.diags.iter().any(Diagnostic::is_error);
                sess.report_all(p.diags);
                out.push_str(&p.pretty);
            }
            if ok {
                pretty = Some(out);
            }
        }
    }
    let library_scripts = parse_tapsets(sess);
    if sess.opts.verbose > 0 {
        eprintln!("Pass 1: parsed user script and {library_scripts} library scripts {}", timer.summary());
    }
    Output { pretty, library_scripts }
}

/// Parses every tapset file; their errors become warnings.
fn parse_tapsets(sess: &mut Session) -> usize {
    let mut count = 0;
    for dir in tapsets::dirs(&sess.opts) {
        let files = match input::stp_files(&dir) {
            Ok(f) => f,
            Err(d) => {
                sess.report(d);
                continue;
            }
        };
        for path in files {
            count += 1;
            let bytes = match input::read_file(&path) {
                Ok(b) => b,
                Err(d) => {
                    sess.report(as_warning(d));
                    continue;
                }
            };
            match input::into_source(path.display().to_string(), bytes, &mut sess.sources) {
                Err(d) => sess.report(as_warning(d)),
                Ok(id) => {
                    let text = sess.sources.text(id).to_owned();
                    let p = frontend::parse(&text, id, &sess.opts);
                    sess.report_all(p.diags.into_iter().map(as_warning));
                }
            }
        }
    }
    count
}

fn as_warning(mut d: Diagnostic) -> Diagnostic {
    if d.severity == Severity::Error {
        d.severity = Severity::Warning;
        d.notes.push("errors in tapset files are warnings unless `-W` is given".into());
    }
    d
}

/// `-p1`: parse, print, report.
pub fn run(sess: &mut Session) {
    let out = parse(sess);
    if let (Some(text), false) = (out.pretty, sess.has_errors()) {
        let stdout = std::io::stdout();
        let mut w = std::io::BufWriter::new(stdout.lock());
        // A closed stdout (`xstap -p1 f | head`) is not an error of the script.
        let _ = w.write_all(text.as_bytes()).and_then(|_| w.flush());
    }
}
