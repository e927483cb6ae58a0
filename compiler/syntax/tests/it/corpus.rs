//! SystemTap's own pass-1 tests from `../shared/conformance`: every
//! `parseok` script whose first line is `#! stap ...` must parse without
//! errors, every such `parseko` script must give at least one. The pass-1
//! pipeline used is the one the CLI runs for `-p1`: substitute (no)
//! arguments, parse, option checks, then resolve conditionals for a host
//! target and re-parse the resolved text.

use std::path::{Path, PathBuf};

use syntax::preprocess::{self, SimpleFacts};
use syntax::validate::{check_script, CheckOptions};

fn corpus_dir() -> Option<PathBuf> {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    for up in here.ancestors() {
        let d = up.join("../shared/conformance");
        if d.is_dir() {
            return Some(d);
        }
        let d = up.join("shared/conformance");
        if d.is_dir() {
            return Some(d);
        }
    }
    None
}

fn host_facts() -> SimpleFacts {
    SimpleFacts {
        kernel_v: "6.1.0".into(),
        kernel_vr: "6.1.0-56-amd64".into(),
        arch: "x86_64".into(),
        guru_mode: false,
        systemtap_v: "5.1".into(),
        ..Default::default()
    }
}

/// All pass-1 diagnostics for a script run as `stap FLAGS file`.
pub fn pass1(text: &str, guru: bool) -> Vec<diag::Diagnostic> {
    let sub = syntax::args::substitute_args(text, &[]);
    let mut errs = sub.errors.clone();
    let parse = syntax::parse(&sub.text);
    errs.extend(parse.errors().iter().cloned());
    let opts = CheckOptions {
        guru,
        user_script: true,
        compatible: None,
    };
    let lib = preprocess::MacroTable::new();
    errs.extend(check_script(&parse.tree(), &opts, &lib));
    let mut facts = host_facts();
    facts.guru_mode = guru;
    let expanded = preprocess::expand_macros(&sub.text, &lib);
    errs.extend(expanded.errors.iter().cloned());
    let resolved = preprocess::resolve(&expanded.text, &facts);
    errs.extend(resolved.errors.iter().cloned());
    let reparsed = syntax::parse(&resolved.text);
    errs.extend(reparsed.errors().iter().cloned());
    errs.extend(check_script(&reparsed.tree(), &opts, &lib));
    errs.retain(|d| d.is_error());
    errs
}

fn stap_scripts(dir: &Path) -> Vec<(PathBuf, String, bool)> {
    let mut v = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return v;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.extension().is_none_or(|x| x != "stp") {
            continue;
        }
        let Ok(bytes) = std::fs::read(&p) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let first = text.lines().next().unwrap_or("");
        if !first.starts_with("#! stap") {
            continue;
        }
        let flags = first.trim_start_matches("#! stap");
        let guru = flags
            .split_whitespace()
            .any(|f| f.starts_with('-') && !f.starts_with("--") && f.contains('g'));
        v.push((p, text, guru));
    }
    v.sort();
    v
}

#[test]
fn conformance_parseok_and_parseko() {
    let Some(dir) = corpus_dir() else {
        println!("note: ../shared/conformance not found; corpus test skipped");
        return;
    };
    let ok = stap_scripts(&dir.join("parseok"));
    let ko = stap_scripts(&dir.join("parseko"));
    let mut ok_fail = Vec::new();
    for (p, text, guru) in &ok {
        let errs = pass1(text, *guru);
        if !errs.is_empty() {
            ok_fail.push(format!(
                "{}: {} {}",
                p.display(),
                errs[0].code,
                errs[0].message
            ));
        }
    }
    let mut ko_fail = Vec::new();
    for (p, text, guru) in &ko {
        if pass1(text, *guru).is_empty() {
            ko_fail.push(p.display().to_string());
        }
    }
    println!(
        "parseok: {}/{} parse cleanly",
        ok.len() - ok_fail.len(),
        ok.len()
    );
    for f in &ok_fail {
        println!("  parseok FAIL {f}");
    }
    println!(
        "parseko: {}/{} give an error",
        ko.len() - ko_fail.len(),
        ko.len()
    );
    for f in &ko_fail {
        println!("  parseko FAIL {f}");
    }
    // Floors reached; raise them when more pass.
    let ok_pass = ok.len() - ok_fail.len();
    let ko_pass = ko.len() - ko_fail.len();
    assert!(
        ok_pass * 100 >= ok.len() * 95,
        "parseok regressions: {ok_fail:#?}"
    );
    assert!(
        ko_pass * 100 >= ko.len() * 95,
        "parseko regressions: {ko_fail:#?}"
    );
}

/// The raw parser alone (no options, no target): parseok files must give
/// no syntax error.
#[test]
fn conformance_parseok_raw_parse() {
    let Some(dir) = corpus_dir() else {
        println!("note: ../shared/conformance not found; corpus test skipped");
        return;
    };
    let mut bad = Vec::new();
    let ok = stap_scripts(&dir.join("parseok"));
    for (p, text, _) in &ok {
        let parse = syntax::parse(text);
        assert_eq!(
            parse.syntax_node().to_string(),
            *text,
            "lossless: {}",
            p.display()
        );
        if let Some(e) = parse.errors().first() {
            bad.push(format!("{}: {} {}", p.display(), e.code, e.message));
        }
    }
    println!(
        "raw parse of parseok: {}/{} clean",
        ok.len() - bad.len(),
        ok.len()
    );
    for b in &bad {
        println!("  {b}");
    }
    assert!(bad.len() * 100 <= ok.len() * 5, "{bad:#?}");
}
