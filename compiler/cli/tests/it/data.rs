//! The data-driven cases of `test_data/` (see the crate's test `main.rs`),
//! and the round trip: `xstap -p1 f.stp | xstap -p1 -` prints the same.

use std::path::{Path, PathBuf};

use crate::{crate_dir, read, xstap, Run};

/// The cases: every `test_data/*.stp`, plus `*.args` files without a script
/// (command lines that need no file, such as `--explain`).
fn cases() -> Vec<PathBuf> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(crate_dir().join("test_data"))
        .expect("test_data")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "stp" || x == "args"))
        .map(|p| p.with_extension(""))
        .collect();
    names.sort();
    names.dedup();
    names
}

fn relative(p: &Path) -> String {
    p.strip_prefix(crate_dir())
        .unwrap_or(p)
        .display()
        .to_string()
}

/// The command line of a case.
fn args_of(case: &Path) -> Vec<String> {
    let file = relative(&case.with_extension("stp"));
    match std::fs::read_to_string(case.with_extension("args")) {
        Ok(text) => text.lines().map(|l| l.replace("$FILE", &file)).collect(),
        Err(_) => vec!["-p1".into(), file],
    }
}

fn describe(run: &Run) -> String {
    let status = match (run.status, run.signal) {
        (Some(c), _) => c.to_string(),
        (None, Some(s)) => format!("signal {s}"),
        _ => "unknown".into(),
    };
    format!(
        "status: {status}\n--- stdout\n{}--- stderr\n{}",
        run.stdout, run.stderr
    )
}

#[test]
fn test_data_cases() {
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut mismatches = Vec::new();
    let cases = cases();
    assert!(cases.len() >= 10, "test_data/ lost its cases");
    for case in &cases {
        let args = args_of(case);
        let stdin = if args.iter().any(|a| a == "-") {
            read(&case.with_extension("stp"))
        } else {
            Vec::new()
        };
        let actual = describe(&xstap(&args, &stdin));
        let expected_path = case.with_extension("expected");
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if actual != expected {
            if update {
                std::fs::write(&expected_path, &actual).expect("write expected file");
            } else {
                mismatches.push(format!(
                    "{}\n--- expected\n{expected}\n--- actual\n{actual}",
                    relative(&expected_path)
                ));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} case(s) differ (rerun with UPDATE_EXPECT=1 to accept):\n\n{}",
        mismatches.len(),
        mismatches.join("\n\n")
    );
}

#[test]
fn p1_output_parses_back_to_itself() {
    let mut checked = 0;
    for case in cases() {
        let script = case.with_extension("stp");
        let args = args_of(&case);
        if !script.exists() || !args.iter().any(|a| a.starts_with("-") && a.contains("p1")) {
            continue;
        }
        let stdin = if args.iter().any(|a| a == "-") {
            read(&script)
        } else {
            Vec::new()
        };
        let first = xstap(&args, &stdin);
        if first.status != Some(0) {
            continue;
        }
        let guru = args
            .iter()
            .any(|a| a.starts_with('-') && !a.starts_with("--") && a.contains('g'));
        let mut again: Vec<String> = if guru { vec!["-g".into()] } else { Vec::new() };
        again.extend(["-p1".into(), "-".into()]);
        let second = xstap(&again, first.stdout.as_bytes());
        assert_eq!(
            second.status,
            Some(0),
            "{}: the -p1 output does not parse:\n{}",
            relative(&script),
            second.stderr
        );
        assert_eq!(
            first.stdout,
            second.stdout,
            "{}: -p1 output changes when parsed again",
            relative(&script)
        );
        checked += 1;
    }
    assert!(
        checked >= 5,
        "too few scripts parse to check the round trip ({checked})"
    );
}

/// SystemTap's shell-driven tests call `stap` by name: through a symlink
/// named `stap`, xstap behaves exactly as itself.
#[test]
fn invoked_as_stap_behaves_the_same() {
    use std::process::Command;
    let dir = std::env::temp_dir().join(format!("xstap-cli-stap-link-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let link = dir.join("stap");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_xstap"), &link).expect("symlink");
    for args in [
        &["-p1", "-e", "probe begin { exit() }"][..],
        &["-p1", "-e", "probe begin {"][..],
        &["-V"][..],
    ] {
        let run = |exe: &Path| {
            Command::new(exe)
                .args(args)
                .env("SYSTEMTAP_TAPSET", crate::empty_tapsets())
                .output()
                .expect("run")
        };
        let (a, b) = (run(Path::new(env!("CARGO_BIN_EXE_xstap"))), run(&link));
        assert_eq!(a.status.code(), b.status.code(), "{args:?}");
        assert_eq!(a.stdout, b.stdout, "{args:?}");
        assert_eq!(a.stderr, b.stderr, "{args:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
