//! Inputs too big or too random to keep as files: xstap must answer every
//! one with exit status 0 or 1, a coded diagnostic when 1, never a signal
//! (panic abort, stack overflow), an internal error (E0901) or a hang.

use proptest::prelude::*;

use crate::{xstap, Run};

/// Checks the invariants of any run and returns whether it succeeded.
fn check_sane(what: &str, run: &Run) -> bool {
    assert_eq!(
        run.signal,
        None,
        "{what}: killed by a signal; stderr:\n{}",
        head(&run.stderr)
    );
    assert!(
        !run.stderr.contains("E0901"),
        "{what}: internal error:\n{}",
        head(&run.stderr)
    );
    match run.status {
        Some(0) => true,
        Some(1) => {
            assert!(
                run.stderr.contains("[E"),
                "{what}: exit 1 without a coded diagnostic:\n{}",
                head(&run.stderr)
            );
            false
        }
        other => panic!(
            "{what}: exit status {other:?}; stderr:\n{}",
            head(&run.stderr)
        ),
    }
}

fn head(s: &str) -> String {
    s.chars().take(2000).collect()
}

fn p1_stdin(input: &[u8]) -> Run {
    xstap(&["-p1".into(), "-".into()], input)
}

fn must_fail(what: &str, input: &[u8]) {
    let run = p1_stdin(input);
    assert!(
        !check_sane(what, &run),
        "{what}: accepted, expected a diagnostic"
    );
}

#[test]
fn ten_megabytes_of_open_parentheses() {
    let mut s = b"probe begin { x = ".to_vec();
    s.extend(std::iter::repeat_n(b'(', 10 << 20));
    must_fail("10 MB of `(`", &s);
}

#[test]
fn deep_balanced_nesting() {
    let n = 1 << 20;
    let mut s = b"probe begin { x = ".to_vec();
    s.extend(std::iter::repeat_n(b'(', n));
    s.push(b'1');
    s.extend(std::iter::repeat_n(b')', n));
    s.extend(b" }");
    check_sane("2^20 balanced parentheses", &p1_stdin(&s));
    let mut s = b"probe begin ".to_vec();
    s.extend(std::iter::repeat_n(b'{', n));
    s.extend(std::iter::repeat_n(b'}', n));
    check_sane("2^20 nested blocks", &p1_stdin(&s));
    let mut s = Vec::new();
    for _ in 0..100_000 {
        s.extend(b"%( 1 == 1 %? ");
    }
    s.extend(b"probe begin {}");
    for _ in 0..100_000 {
        s.extend(b" %)");
    }
    check_sane("10^5 nested conditionals", &p1_stdin(&s));
}

#[test]
fn unterminated_constructs_at_end_of_input() {
    for input in [
        &b"probe begin { x = \"abc"[..],
        b"probe begin { /* never closed",
        b"%{ #include <linux/sched.h>",
        b"%( 1 == 1 %? probe begin {}",
        b"probe begin { if (",
        b"probe begin { x = \"\\",
        b"@define foo %( 1",
        b"function f(",
    ] {
        must_fail(&String::from_utf8_lossy(input), input);
    }
}

#[test]
fn binary_input() {
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    must_fail("binary garbage", &garbage);
    must_fail("NUL bytes", &[0u8; 100]);
    must_fail("lone 0xff", &[b'p', 0xff, b'x']);
}

#[test]
fn missing_and_unreadable_inputs() {
    let run = xstap(&["-p1".into(), "test_data/does-not-exist.stp".into()], b"");
    assert!(!check_sane("missing file", &run));
    assert!(
        run.stderr.contains("E0004") && run.stderr.contains("help:"),
        "{}",
        run.stderr
    );
    let run = xstap(&["-p1".into(), "test_data".into()], b"");
    assert!(!check_sane("a directory", &run));
    assert!(run.stderr.contains("E0004"), "{}", run.stderr);
}

/// Fragments of SystemTap syntax, to make random inputs that get past the lexer.
const TOKENS: &[&str] = &[
    "probe",
    "begin",
    "end",
    "kernel.function(\"*\")",
    "function",
    "global",
    "private",
    "if",
    "else",
    "for",
    "foreach",
    "while",
    "in",
    "limit",
    "delete",
    "next",
    "break",
    "continue",
    "return",
    "try",
    "catch",
    "@define",
    "@entry",
    "@cast",
    "@var",
    "@defined",
    "@count",
    "@sum",
    "@hist_log",
    "$1",
    "@1",
    "$#",
    "@#",
    "$var",
    "$$vars",
    "%(",
    "%?",
    "%:",
    "%)",
    "%{",
    "%}",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ",",
    ";",
    ":",
    "=",
    "==",
    "+=",
    "<<<",
    "?",
    ".",
    "->",
    "!",
    "~",
    "++",
    "--",
    "*",
    "/",
    "%",
    "+",
    "-",
    "&&",
    "||",
    "x",
    "y",
    "42",
    "0x1f",
    "\"s\"",
    "'c'",
    "kernel_v",
    "arch",
    "#",
    "//",
    "/*",
    "*/",
    "\n",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        check_sane("random bytes", &p1_stdin(&bytes));
    }

    #[test]
    fn random_token_soup(toks in proptest::collection::vec(proptest::sample::select(TOKENS), 0..300)) {
        let text = toks.join(" ");
        check_sane(&text, &p1_stdin(text.as_bytes()));
    }
}

#[test]
fn a_panic_becomes_an_internal_error_diagnostic() {
    use std::process::Command;
    for (args, json) in [
        (&["-p1", "-e", "probe begin {}"][..], false),
        (&["--diagnostics=json", "-V"][..], true),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_xstap"))
            .args(args)
            .env("XSTAP_TEST_PANIC", "1")
            .output()
            .expect("run xstap");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        if json {
            let v: serde_json::Value =
                serde_json::from_str(stderr.lines().next().unwrap_or("")).expect("one JSON line");
            assert_eq!(v["code"], "E0901");
            assert_eq!(v["severity"], "bug");
        } else {
            assert!(
                stderr.contains("bug[E0901]: internal error, please report"),
                "{stderr}"
            );
            assert!(stderr.contains("help: this is a bug in xstap"), "{stderr}");
        }
    }
}
