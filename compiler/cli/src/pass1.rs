//! Pass 1 (`-p1`): read the library macros (`.stpm`), read and parse the
//! user script, parse the tapset library, then print the user script
//! unparsed (`syntax::pretty`), re-parseable.
//!
//! Parse errors in the user script are errors; errors in tapset files are
//! warnings (errors under `-W`), as in SystemTap. Nothing is printed on
//! stdout when the user script has errors.

use std::io::Write;
use std::path::{Path, PathBuf};

use diag::{Diagnostic, Severity};
use syntax::preprocess::{MacroTable, SimpleFacts};

use crate::facts;
use crate::frontend::{self, Role};
use crate::input;
use crate::session::Session;
use crate::stats::PassTimer;
use crate::tapsets;

/// What pass 1 produced, for the passes after it.
pub struct Output {
    /// The unparsed user script, or `None` when it has errors.
    pub pretty: Option<String>,
}

/// Runs pass 1, reporting into `sess`.
pub fn parse(sess: &mut Session) -> Output {
    let timer = PassTimer::start();
    let facts = facts::for_options(&sess.opts);
    let (stp, stpm) = library_files(sess);
    let library = library_macros(sess, &stpm);
    let pretty = parse_user(sess, &facts, &library);
    for path in &stp {
        parse_tapset(sess, path, &facts, &library);
    }
    let library_scripts = stp.len() + stpm.len();
    if sess.opts.verbose > 0 {
        eprintln!(
            "Pass 1: parsed user script and {library_scripts} library scripts {}",
            timer.summary()
        );
    }
    Output { pretty }
}

fn parse_user(sess: &mut Session, facts: &SimpleFacts, library: &MacroTable) -> Option<String> {
    let file = match input::read_script(&sess.opts.script, &mut sess.sources) {
        Ok(f) => f,
        Err(d) => {
            sess.report(d);
            return None;
        }
    };
    if sess.sources.text(file).trim().is_empty() {
        let name = sess.sources.name(file).to_owned();
        sess.report(Diagnostic::error("E0010", format!("the script `{name}` is empty")).with_help(
            "give a script with at least one probe, e.g. `-e 'probe begin { println(\"hello\"); exit() }'`",
        ));
        return None;
    }
    let mut texts = vec![(file, sess.sources.text(file).to_owned())];
    for (i, extra) in sess.opts.extra_scripts.clone().into_iter().enumerate() {
        let id = sess.sources.add(format!("<input{}>", i + 2), extra.clone());
        texts.push((id, extra));
    }
    let mut ok = true;
    let mut out = String::new();
    for (id, text) in texts {
        let p = frontend::parse(&text, id, Role::User, &sess.opts, facts, library);
        ok &= !p.diags.iter().any(Diagnostic::is_error);
        sess.report_all(p.diags);
        out.push_str(&p.pretty);
    }
    ok.then_some(out)
}

/// The library's `.stp` and `.stpm` files, in directory order.
fn library_files(sess: &mut Session) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let (mut stp, mut stpm) = (Vec::new(), Vec::new());
    for dir in tapsets::dirs(&sess.opts) {
        match input::library_files(&dir) {
            Ok(files) => {
                for f in files {
                    if f.extension().is_some_and(|e| e == "stpm") {
                        stpm.push(f);
                    } else {
                        stp.push(f);
                    }
                }
            }
            Err(d) => sess.report(d),
        }
    }
    (stp, stpm)
}

/// Reads a library file into the session's sources; problems are warnings.
fn read_library_file(sess: &mut Session, path: &Path) -> Option<diag::FileId> {
    let bytes = match input::read_file(path) {
        Ok(b) => b,
        Err(d) => {
            sess.report(as_warning(d));
            return None;
        }
    };
    match input::into_source(path.display().to_string(), bytes, &mut sess.sources) {
        Ok(id) => Some(id),
        Err(d) => {
            sess.report(as_warning(d));
            None
        }
    }
}

/// The macros of the library's `.stpm` files (the first definition of a name wins).
fn library_macros(sess: &mut Session, stpm: &[PathBuf]) -> MacroTable {
    let mut table = MacroTable::new();
    for path in stpm {
        let Some(id) = read_library_file(sess, path) else {
            continue;
        };
        let text = sess.sources.text(id).to_owned();
        let parse = syntax::parse(&text);
        let (macros, errors) = syntax::preprocess::library_macros(&parse.tree());
        let diags = parse
            .errors()
            .iter()
            .cloned()
            .chain(errors)
            .map(|d| as_warning(frontend::refile(d, id, |o| o)));
        sess.report_all(diags.collect::<Vec<_>>());
        for (name, m) in macros {
            table.entry(name).or_insert(m);
        }
    }
    table
}

fn parse_tapset(sess: &mut Session, path: &Path, facts: &SimpleFacts, library: &MacroTable) {
    let Some(id) = read_library_file(sess, path) else {
        return;
    };
    let text = sess.sources.text(id).to_owned();
    let p = frontend::parse(&text, id, Role::Tapset, &sess.opts, facts, library);
    sess.report_all(p.diags.into_iter().map(as_warning));
}

fn as_warning(mut d: Diagnostic) -> Diagnostic {
    if d.severity == Severity::Error {
        d.severity = Severity::Warning;
        d.notes
            .push("errors in tapset files are warnings unless `-W` is given".into());
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
