//! Data-driven checks: every `test_data/check/*.stp` is elaborated against
//! the tiny fixture profile with the tapset library. A trailing comment
//! `# error: E0xxx` (or `# warning: E0xxx`) on a line says a diagnostic with
//! that code must start on that line; every error must be annotated so.
//! The rendered diagnostics and the `-p2` text are compared with
//! `NAME.out` beside the script (refresh with `UPDATE_EXPECT=1`).

use std::path::PathBuf;

use crate::{render, session};

#[test]
fn check_files() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("test_data/check");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("test_data/check exists")
        .map(|e| e.expect("readable dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "stp"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 5, "the check corpus is missing");
    let mut failures = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path).expect("readable test file");
        let s = session(&text);
        let (program, diags) = s.elaborate();
        let mut expected: Vec<(usize, String)> = Vec::new();
        for (i, line) in text.lines().enumerate() {
            for marker in ["# error: ", "# warning: "] {
                if let Some(pos) = line.find(marker) {
                    let code = line[pos + marker.len()..]
                        .split_whitespace()
                        .next()
                        .unwrap_or("")
                        .to_string();
                    expected.push((i + 1, code));
                }
            }
        }
        let mut got: Vec<(usize, String, bool)> = Vec::new();
        for d in &diags {
            if let Some(l) = &d.primary {
                if l.span.file == diag::FileId(0) {
                    let line = text[..(l.span.start as usize).min(text.len())]
                        .matches('\n')
                        .count()
                        + 1;
                    got.push((line, d.code.to_string(), d.is_error()));
                    continue;
                }
            }
            got.push((0, d.code.to_string(), d.is_error()));
        }
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        for (line, code) in &expected {
            if !got.iter().any(|(l, c, _)| l == line && c == code) {
                failures.push(format!("{name}:{line}: expected {code}, not reported"));
            }
        }
        for (line, code, is_err) in &got {
            if *is_err && !expected.iter().any(|(l, c)| l == line && c == code) {
                failures.push(format!("{name}:{line}: unexpected error {code}"));
            }
        }
        if expected.iter().all(|(_, c)| c.is_empty()) && name.starts_with("ok_") {
            assert!(
                program.is_some(),
                "{name} must elaborate:\n{}",
                render(&s, &diags)
            );
        }
        let out = format!("{}--- p2\n{}", render(&s, &diags), s.dump_p2());
        expect_test::expect_file![path.with_extension("out")].assert_eq(&out);
    }
    assert!(
        failures.is_empty(),
        "check failures:\n{}",
        failures.join("\n")
    );
}

/// A tapset function marked `/* guru */` needs -g when the script calls
/// it; other tapset code and guru-mode scripts may call it.
#[test]
fn guru_marked_tapset_functions_need_guru_mode() {
    let lib = "function poke:long (addr:long) %{ /* guru */ STAP_RETURN(0); %}\n\
               function wrapped:long () { return poke(0) }\n";
    let elaborate = |script: &str, guru: bool| {
        let mut s = db::Session::new();
        s.set_target(&kernel::fixtures::tiny_x86());
        s.set_tapset_roots(vec![crate::tapset_dir()]);
        s.add_tapset_text("guru_lib.stp", lib);
        s.set_options(db::SessionOptions {
            guru,
            ..Default::default()
        });
        s.set_script("test.stp", script);
        let (_, diags) = s.elaborate();
        diags
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.code.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        elaborate("probe begin { println(poke(0)) }", false),
        ["E0523"]
    );
    assert!(elaborate("probe begin { println(poke(0)) }", true).is_empty());
    assert!(elaborate("probe begin { println(wrapped()) }", false).is_empty());
}

/// The script's globals are its own: a tapset function's local of the same
/// name stays local (SystemTap semantics), while tapset globals remain
/// visible to the script.
#[test]
fn script_globals_do_not_capture_tapset_locals() {
    let lib = "global lib_count\n\
               function label:string (n:long) { sym = sprintf(\"<%d>\", n); lib_count++; return sym }\n";
    let mut s = db::Session::new();
    s.set_target(&kernel::fixtures::tiny_x86());
    s.set_tapset_roots(vec![crate::tapset_dir()]);
    s.add_tapset_text("labels.stp", lib);
    s.set_script(
        "test.stp",
        "global sym[1]\nprobe begin { sym[0] = 1; println(label(sym[0]), lib_count) }\n",
    );
    let (p, diags) = s.elaborate();
    let errors: Vec<_> = diags.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let p = p.expect("a program");
    // Two globals: the script's `sym` and the tapset's `lib_count`.
    assert_eq!(
        p.globals.len(),
        2,
        "{:?}",
        p.globals.iter().map(|g| &g.name).collect::<Vec<_>>()
    );
}
