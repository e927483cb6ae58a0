//! The book (`book/`): its generated pages are current, its links resolve,
//! every diagnostic code in the code base is registered, `xstap --explain`
//! prints the registry's text, and every ```` ```stap ```` example compiles
//! (or fails with the code it shows, for ```` ```stap,should-fail ````).
//!
//! The generators, the link checker and the example extractor are the
//! xtask's own modules, included by path so that the test and
//! `cargo xtask book` cannot disagree.

#[path = "../../xtask/src/book/examples.rs"]
mod examples;
#[path = "../../xtask/src/book/gen.rs"]
mod gen;
#[path = "../../xtask/src/book/links.rs"]
mod links;

use std::path::{Path, PathBuf};
use std::process::Command;

use xstap_tests::conformance::{scan_diagnostics, workspace_root, xstap_binary};

fn src() -> PathBuf {
    workspace_root().join("book/src")
}

fn registry() -> Vec<gen::CodeDoc> {
    diag::codes::all()
        .map(|c| gen::CodeDoc {
            code: c.code.to_string(),
            title: c.title.to_string(),
            explanation: c.explanation.to_string(),
        })
        .collect()
}

/// Fails when the committed page differs from what the generator gives
/// now; with `UPDATE_EXPECT=1` (outside CI) it rewrites the page instead,
/// like the other expectation files of the project.
fn assert_current(page: &str, want: &str) {
    let path = src().join(page);
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    if have == want {
        return;
    }
    if std::env::var_os("UPDATE_EXPECT").is_some() && std::env::var_os("CI").is_none() {
        std::fs::write(&path, want).unwrap();
        eprintln!("updated {}", path.display());
        return;
    }
    panic!(
        "{} is stale: run `cargo xtask book` (or this test with UPDATE_EXPECT=1) and commit the result\n(first difference at byte {})",
        path.display(),
        have.bytes().zip(want.bytes()).take_while(|(a, b)| a == b).count()
    );
}

#[test]
fn diagnostics_index_is_current() {
    let codes = registry();
    assert!(!codes.is_empty());
    let want = gen::diagnostics_md(&codes);
    for c in &codes {
        assert!(
            want.contains(&format!("\n## {}\n", c.code)),
            "{} has no section",
            c.code
        );
    }
    assert_current("diagnostics.md", &want);
}

#[test]
fn tapset_reference_is_current() {
    let files = gen::tapset_files(&workspace_root().join("tapsets")).unwrap();
    assert_current("tapsets.md", &gen::tapsets_md(&files));
}

#[test]
fn links_and_anchors_resolve() {
    let problems = links::check(&src()).unwrap();
    assert!(
        problems.is_empty(),
        "broken links in the book:\n  {}",
        problems.join("\n  ")
    );
}

/// String literals in code that look like codes but are not meant to be
/// registered: none so far. Add `(file suffix, code, reason)` entries when
/// a test needs an unregistered code on purpose.
const UNREGISTERED_ON_PURPOSE: &[(&str, &str, &str)] = &[];

/// Every `"E1234"` string literal in `compiler/**/*.rs` and
/// `runtime/**/*.rs`.
fn code_literals() -> Vec<(PathBuf, usize, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.filter_map(Result::ok) {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    for d in ["compiler", "runtime"] {
        walk(&workspace_root().join(d), &mut files);
    }
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        for (n, line) in text.lines().enumerate() {
            let b = line.as_bytes();
            for i in 0..b.len().saturating_sub(6) {
                if b[i] == b'"'
                    && b[i + 1] == b'E'
                    && b[i + 6] == b'"'
                    && b[i + 2..i + 6].iter().all(u8::is_ascii_digit)
                {
                    out.push((f.clone(), n + 1, line[i + 1..i + 6].to_string()));
                }
            }
        }
    }
    out
}

#[test]
fn every_code_in_the_tree_is_registered() {
    let literals = code_literals();
    assert!(
        literals.len() > 10,
        "the scan found almost no codes: is the pattern wrong?"
    );
    let missing: Vec<String> = literals
        .iter()
        .filter(|(f, _, c)| {
            diag::codes::lookup(c).is_none()
                && !UNREGISTERED_ON_PURPOSE
                    .iter()
                    .any(|(s, k, _)| k == c && f.ends_with(s))
        })
        .map(|(f, n, c)| {
            format!(
                "{}:{n}: {c}",
                f.strip_prefix(workspace_root()).unwrap_or(f).display()
            )
        })
        .collect();
    assert!(
        missing.is_empty(),
        "codes used but not registered in compiler/diag/src/codes/ (add a title and an explanation):\n  {}",
        missing.join("\n  ")
    );
}

#[test]
fn explain_prints_the_registry_text() {
    let xstap = xstap_binary(false).unwrap();
    for c in diag::codes::all() {
        let out = Command::new(&xstap)
            .args(["--explain", c.code])
            .output()
            .unwrap();
        assert!(out.status.success(), "xstap --explain {} failed", c.code);
        let text = String::from_utf8_lossy(&out.stdout);
        let want = format!("{}: {}\n\n{}\n", c.code, c.title, c.explanation.trim_end());
        assert_eq!(
            text, want,
            "xstap --explain {} differs from the registry",
            c.code
        );
    }
}

/// How the examples are compiled: the pass, and the targets.
struct Compiler {
    xstap: PathBuf,
    pass: &'static str,
    targets: Vec<Target>,
    _home: Option<TempHome>,
}

/// One target: its release and the environment that selects it.
struct Target {
    release: String,
    env: Vec<(String, String)>,
}

struct TempHome(PathBuf);

impl Drop for TempHome {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The targets the examples compile for: `XSTAP_RELEASE` when set (with
/// the caller's `XSTAP_HOME`), else every kernel of `cargo xtask test`
/// (`XSTAP_TEST_KVERS`) whose profile is in `XSTAP_TEST_HOME`, else the
/// small fixture profile of the kernel crate, stored in a scratch data
/// directory.
fn targets() -> (Vec<Target>, Option<TempHome>) {
    if let Ok(r) = std::env::var("XSTAP_RELEASE") {
        if !r.is_empty() {
            return (
                vec![Target {
                    release: r,
                    env: vec![],
                }],
                None,
            );
        }
    }
    if let (Ok(kvers), Ok(home)) = (
        std::env::var("XSTAP_TEST_KVERS"),
        std::env::var("XSTAP_TEST_HOME"),
    ) {
        let found: Vec<Target> = kvers
            .split_whitespace()
            .filter(|k| Path::new(&home).join("targets").join(k).is_dir())
            .map(|k| Target {
                release: k.to_string(),
                env: vec![
                    ("XSTAP_RELEASE".into(), k.into()),
                    ("XSTAP_HOME".into(), home.clone()),
                ],
            })
            .collect();
        if !found.is_empty() {
            return (found, None);
        }
    }
    let dir = std::env::temp_dir().join(format!("xstap-book-{}", std::process::id()));
    let p = kernel::fixtures::tiny_x86();
    let tables = p.tables().expect("the fixture has tables").as_ref().clone();
    let new = kernel::store::NewProfile {
        meta: p.meta.clone(),
        btf: None,
        tracepoints: Vec::new(),
        symvers: None,
        system_map: None,
        tables: Some(tables),
    };
    kernel::store::Store::new(&dir)
        .save(&new)
        .expect("the fixture can be stored");
    let release = p.meta.release.clone();
    let env = vec![
        ("XSTAP_RELEASE".into(), release.clone()),
        ("XSTAP_HOME".into(), dir.to_string_lossy().into_owned()),
    ];
    (vec![Target { release, env }], Some(TempHome(dir)))
}

impl Compiler {
    fn new() -> Compiler {
        let xstap = xstap_binary(false).unwrap();
        let (targets, home) = targets();
        let c = Compiler {
            xstap,
            pass: "-p2",
            targets,
            _home: home,
        };
        let (ok, stderr) = c.run(&c.targets[0], &["-p2", "-e", "probe begin { exit() }"]);
        assert!(
            ok,
            "`xstap -p2` does not work for {}: {stderr}",
            c.targets[0].release
        );
        c
    }

    fn run(&self, target: &Target, args: &[&str]) -> (bool, String) {
        let mut cmd = Command::new(&self.xstap);
        cmd.args(args);
        for (k, v) in &target.env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

#[test]
fn examples_compile() {
    let mut all = Vec::new();
    let mut problems = Vec::new();
    for (rel, text) in examples::chapters(&src()).unwrap() {
        if examples::NOT_EXAMPLES.iter().any(|n| rel == Path::new(n)) {
            continue;
        }
        let (ex, errs) = examples::extract(&rel, &text);
        all.extend(ex);
        problems.extend(errs);
    }
    assert!(
        all.len() >= 20,
        "only {} examples found in the book",
        all.len()
    );
    let c = Compiler::new();
    let names: Vec<&str> = c.targets.iter().map(|t| t.release.as_str()).collect();
    eprintln!(
        "compiling {} examples with `xstap {}` for {}",
        all.len(),
        c.pass,
        names.join(", ")
    );
    let scratch = std::env::temp_dir().join(format!("xstap-book-ex-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    let _cleanup = TempHome(scratch.clone());
    // (example, target) pairs, compiled on every core: each run loads the
    // target's BTF, which takes most of a second on a real profile.
    let mut jobs: Vec<(usize, &Target)> = Vec::new();
    for (i, ex) in all.iter().enumerate() {
        if let examples::Expect::Fail(code) = &ex.expect {
            if pass_of(code) > 1 && ex.parse_only {
                problems.push(format!(
                    "{}:{}: a parse-only (p1) example cannot show {code}, which a later pass reports",
                    ex.file.display(),
                    ex.line
                ));
                continue;
            }
        }
        std::fs::write(scratch.join(format!("ex{i}.stp")), &ex.code).unwrap();
        jobs.extend(c.targets.iter().map(|t| (i, t)));
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let found: Vec<String> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut out = Vec::new();
                    while let Some(&(i, t)) =
                        jobs.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
                    {
                        out.extend(check_example(
                            &c,
                            t,
                            &all[i],
                            &scratch.join(format!("ex{i}.stp")),
                        ));
                    }
                    out
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    problems.extend(found);
    problems.sort();
    assert!(
        problems.is_empty(),
        "book examples:\n  {}",
        problems.join("\n  ")
    );
}

/// Compiles one example for one target; returns what went wrong.
fn check_example(c: &Compiler, t: &Target, ex: &examples::Example, file: &Path) -> Option<String> {
    let pass = if ex.parse_only { "-p1" } else { c.pass };
    let mut args = vec![pass];
    if ex.guru {
        args.push("-g");
    }
    let f = file.to_string_lossy().into_owned();
    args.push(&f);
    let (ok, stderr) = c.run(t, &args);
    let (codes, first) = scan_diagnostics(&stderr);
    let at = format!("{}:{} ({})", ex.file.display(), ex.line, t.release);
    let name = file
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    match &ex.expect {
        examples::Expect::Compile if !ok => Some(format!(
            "{at}: `xstap {}` failed: {}",
            args[..args.len() - 1].join(" "),
            first.unwrap_or_else(|| stderr.lines().next().unwrap_or("").to_string())
        )),
        examples::Expect::Compile => {
            own_warning(&stderr, &name).map(|w| format!("{at}: the example has a warning: {w}"))
        }
        examples::Expect::Fail(code) if ok => {
            Some(format!("{at}: expected {code}, but it compiled"))
        }
        examples::Expect::Fail(code) if !codes.contains(code) => Some(format!(
            "{at}: expected {code}, got {codes:?}: {}",
            first.unwrap_or_default()
        )),
        _ => None,
    }
}

/// The first warning whose primary location is in the file `name` (an
/// example should be clean; warnings about tapsets are not its fault).
fn own_warning(stderr: &str, name: &str) -> Option<String> {
    let lines: Vec<&str> = stderr.lines().collect();
    lines.iter().enumerate().find_map(|(i, l)| {
        let at = lines.get(i + 1)?;
        (l.starts_with("warning[") && at.contains("┌─") && at.contains(name)).then(|| l.to_string())
    })
}

/// The pass that reports a code: E00xx-E02xx pass 1, E03xx-E05xx pass 2,
/// E06xx pass 3, E07xx pass 4, others later.
fn pass_of(code: &str) -> u8 {
    match code.get(1..3).and_then(|d| d.parse::<u8>().ok()) {
        Some(0..=2) => 1,
        Some(3..=5) => 2,
        Some(6) => 3,
        Some(7) => 4,
        _ => 5,
    }
}

/// The text between the first `"` after `marker` and the next `"`.
fn quoted_after<'a>(text: &'a str, marker: &str) -> &'a str {
    let rest = &text[text
        .find(marker)
        .unwrap_or_else(|| panic!("`{marker}` not found"))
        + marker.len()..];
    let start = rest.find('"').unwrap() + 1;
    let len = rest[start..].find('"').unwrap();
    &rest[start..start + len]
}

/// Every option `xstap` parses (read from the tables in
/// `compiler/cli/src/args.rs`) is described in the command-line chapter.
#[test]
fn cli_chapter_lists_every_option() {
    let args = std::fs::read_to_string(workspace_root().join("compiler/cli/src/args.rs")).unwrap();
    let chapter = std::fs::read_to_string(src().join("cli.md")).unwrap();
    let mut options: Vec<String> = Vec::new();
    for marker in ["const SHORT_WITH_VALUE", "const SHORT_FLAGS"] {
        options.extend(quoted_after(&args, marker).chars().map(|c| format!("-{c}")));
    }
    let table = &args[args.find("const LONG_OPTIONS").unwrap()..];
    let table = &table[..table.find("];").unwrap()];
    for line in table.lines() {
        if let Some(name) = line
            .trim()
            .strip_prefix("(\"")
            .and_then(|l| l.split('"').next())
        {
            // `--rlimit-as` and its siblings are listed as `--rlimit-{as,cpu,...}`.
            options.push(if name.starts_with("rlimit-") {
                "--rlimit-".into()
            } else {
                format!("--{name}")
            });
        }
    }
    assert!(
        options.len() > 30,
        "the option tables of args.rs were not found: {options:?}"
    );
    let missing: Vec<&String> = options
        .iter()
        .filter(|o| !chapter.contains(&format!("`{o}")) && !chapter.contains(&format!(", {o}")))
        .collect();
    assert!(
        missing.is_empty(),
        "options missing from book/src/cli.md: {missing:?}"
    );
}

/// Every option of `xstap-run` (its usage text) is described in the loader
/// chapter.
#[test]
fn loader_chapter_lists_every_option() {
    let args =
        std::fs::read_to_string(workspace_root().join("runtime/loader/src/args.rs")).unwrap();
    let chapter = std::fs::read_to_string(src().join("loader.md")).unwrap();
    let usage = &args[args.find("options:").unwrap()..];
    let usage = &usage[..usage.find("exit status").unwrap()];
    let options: Vec<&str> = usage
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| w.starts_with('-'))
        .collect();
    assert!(
        options.len() >= 8,
        "the usage of xstap-run was not found: {options:?}"
    );
    let missing: Vec<&&str> = options
        .iter()
        .filter(|o| !chapter.contains(&format!("`{o}")))
        .collect();
    assert!(
        missing.is_empty(),
        "options missing from book/src/loader.md: {missing:?}"
    );
}
