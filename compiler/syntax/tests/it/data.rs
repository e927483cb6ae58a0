//! Data-driven parse tests: `test_data/parse/{ok,err}/NNNN_name.stp` with
//! the expected tree dump in `NNNN_name.rast` beside each. Refresh with
//! `UPDATE_EXPECT=1 cargo test -p syntax`. Files under `ok/` must parse
//! without errors, files under `err/` with at least one; every file must
//! round-trip losslessly and pretty-print idempotently.

use std::path::Path;

fn run_dir(sub: &str, expect_errors: bool) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("test_data/parse")
        .join(sub);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "stp"))
        .collect();
    files.sort();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let parse = syntax::parse(&text);
        assert_eq!(
            parse.syntax_node().to_string(),
            text,
            "not lossless: {}",
            f.display()
        );
        let has_errors = !parse.errors().is_empty();
        assert_eq!(
            has_errors,
            expect_errors,
            "{}: errors = {:#?}",
            f.display(),
            parse.errors()
        );
        expect_test::expect_file![f.with_extension("rast")].assert_eq(&parse.debug_dump());
        let once = syntax::pretty(&parse.tree());
        let twice = syntax::pretty(&syntax::parse(&once).tree());
        assert_eq!(once, twice, "pretty not idempotent for {}", f.display());
        if !expect_errors {
            let reparsed = syntax::parse(&once);
            assert!(
                reparsed.errors().is_empty(),
                "pretty output of {} does not re-parse:\n{once}\n{:#?}",
                f.display(),
                reparsed.errors()
            );
        }
    }
    files.len()
}

#[test]
fn parse_ok_files() {
    assert!(run_dir("ok", false) > 0);
}

#[test]
fn parse_err_files() {
    assert!(run_dir("err", true) > 0);
}
