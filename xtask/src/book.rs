//! `cargo xtask book [--check] [--no-build]`: regenerate the book's
//! generated pages, check its links, and build it with mdBook.
//!
//! 1. `book/src/diagnostics.md` is rendered from `diag::codes::all()` (the
//!    table `xstap --explain` reads) and `book/src/tapsets.md` from the doc
//!    comments in `tapsets/**/*.stp` ([`gen`]). They are written when they
//!    changed; with `--check`, or when `CI` is set, a stale page is an error
//!    instead (`tests/it/book.rs` checks the same).
//! 2. Every relative link and anchor in `book/src/**/*.md` must resolve
//!    ([`links`]).
//! 3. mdBook (a pinned version) is installed from crates.io into
//!    `target/tools` on first use and builds the book into `target/book`.
//!    `--no-build` stops before this step.
//!
//! The script examples in the book are compiled by `tests/it/book.rs`
//! ([`examples`] finds them). [`gen`], [`links`] and [`examples`] use only
//! std, because the test suite includes them by path.

pub mod examples;
pub mod gen;
pub mod links;

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::test::{run_cmd, workspace_root};

/// The mdBook release the book is built with.
pub const MDBOOK_VERSION: &str = "0.5.4";

pub fn run(args: &[String]) -> Result<(), String> {
    let mut check_only = std::env::var_os("CI").is_some();
    let mut build = true;
    for a in args {
        match a.as_str() {
            "--check" => check_only = true,
            "--no-build" => build = false,
            other => {
                return Err(format!(
                    "book: unknown argument `{other}` (expected --check, --no-build)"
                ))
            }
        }
    }
    let root = workspace_root();
    let src = root.join("book/src");
    for (path, text) in generated_pages(&root)? {
        let old = std::fs::read_to_string(&path).unwrap_or_default();
        if old == text {
            continue;
        }
        if check_only {
            return Err(format!(
                "{} is stale: run `cargo xtask book` and commit the result",
                path.display()
            ));
        }
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        eprintln!("xtask: regenerated {}", path.display());
    }
    let mut problems = links::check(&src)?;
    problems.extend(example_problems(&src)?);
    if !problems.is_empty() {
        return Err(format!(
            "problems in the book:\n  {}",
            problems.join("\n  ")
        ));
    }
    if !build {
        return Ok(());
    }
    let mdbook = ensure_mdbook(&root)?;
    run_cmd(Command::new(mdbook).arg("build").arg(root.join("book")))?;
    eprintln!(
        "xtask: the book is in {}",
        root.join("target/book/index.html").display()
    );
    Ok(())
}

/// Malformed example blocks (unknown attributes, a `should-fail` block
/// without its expected code). Whether the examples compile is the test
/// suite's job.
fn example_problems(src: &Path) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for (rel, text) in examples::chapters(src)? {
        if examples::NOT_EXAMPLES.iter().any(|n| rel == Path::new(n)) {
            continue;
        }
        out.extend(examples::extract(&rel, &text).1);
    }
    Ok(out)
}

/// The generated pages and their current text.
pub fn generated_pages(root: &Path) -> Result<Vec<(PathBuf, String)>, String> {
    let codes: Vec<gen::CodeDoc> = diag::codes::all()
        .map(|c| gen::CodeDoc {
            code: c.code.to_string(),
            title: c.title.to_string(),
            explanation: c.explanation.to_string(),
        })
        .collect();
    let tapsets = gen::tapset_files(&root.join("tapsets"))?;
    Ok(vec![
        (
            root.join("book/src/diagnostics.md"),
            gen::diagnostics_md(&codes),
        ),
        (root.join("book/src/tapsets.md"), gen::tapsets_md(&tapsets)),
    ])
}

/// `target/tools/bin/mdbook` at [`MDBOOK_VERSION`], installed if missing.
/// Measured on the 2-core development machine: about 2 minutes for the
/// first install (search feature only); later runs reuse the binary.
fn ensure_mdbook(root: &Path) -> Result<PathBuf, String> {
    let tools = root.join("target/tools");
    let bin = tools.join("bin/mdbook");
    let current = Command::new(&bin)
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    if current.as_deref() == Some(&format!("mdbook v{MDBOOK_VERSION}")) {
        return Ok(bin);
    }
    eprintln!(
        "xtask: installing mdbook {MDBOOK_VERSION} into {} (about 2 minutes, once)",
        tools.display()
    );
    let started = std::time::Instant::now();
    run_cmd(
        Command::new(env!("CARGO"))
            .args([
                "install",
                "mdbook",
                "--version",
                MDBOOK_VERSION,
                "--locked",
                "--no-default-features",
                "--features",
                "search",
                "--root",
            ])
            .arg(&tools),
    )?;
    eprintln!(
        "xtask: mdbook installed in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(bin)
}
