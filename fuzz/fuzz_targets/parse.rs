//! Fuzz target for pass 1: `syntax::parse` on any UTF-8 text must not
//! panic, must be lossless, must report spans inside the text, and, when
//! the text parses cleanly, its canonical print must parse cleanly and
//! print the same again (the `xstap -p1 f | xstap -p1 -` round trip).
//! Argument substitution, macro expansion and conditional resolution run
//! on the same text, as `xstap -p1` runs them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use syntax::preprocess::{self, MacroTable, SimpleFacts};

fn check_spans(what: &str, text: &str, diags: &[diag::Diagnostic]) {
    for d in diags {
        for l in d.primary.iter().chain(&d.secondary) {
            assert!(
                l.span.start <= l.span.end && l.span.end as usize <= text.len(),
                "{what}: span {:?} of {} outside the text of {} bytes",
                l.span,
                d.code,
                text.len()
            );
        }
        assert!(diag::codes::lookup(d.code).is_some(), "{what}: unregistered code {}", d.code);
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let parse = syntax::parse(text);
    assert_eq!(parse.syntax_node().to_string(), text, "the tree is not lossless");
    check_spans("parse", text, parse.errors());

    // The -p1 pipeline.
    let args = vec!["probe begin".to_string(), "x".to_string()];
    let subst = syntax::args::substitute_args(text, &args);
    let facts = SimpleFacts {
        kernel_v: "6.1.0".into(),
        kernel_vr: "6.1.0-56-amd64".into(),
        arch: "x86_64".into(),
        systemtap_v: "5.0".into(),
        arg_count: args.len(),
        ..SimpleFacts::default()
    };
    let expanded = preprocess::expand_macros(&subst.text, &MacroTable::new());
    let resolved = preprocess::resolve(&expanded.text, &facts);
    let program = syntax::parse(&resolved.text);
    check_spans("program", &resolved.text, program.errors());

    // Round trip of a clean parse through the printer.
    if parse.errors().is_empty() {
        let printed = syntax::pretty(&parse.tree());
        let again = syntax::parse(&printed);
        assert!(
            again.errors().is_empty(),
            "the printed program does not parse: {:?}\n--- input\n{text}\n--- printed\n{printed}",
            again.errors().first().map(|d| &d.message)
        );
        assert_eq!(syntax::pretty(&again.tree()), printed, "printing is not idempotent\n--- input\n{text}");
    }
});
