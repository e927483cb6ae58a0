//! The script examples of the book: every fenced block whose info string
//! starts with `stap` is a test case (run by `tests/it/book.rs`).
//!
//! Attributes follow the language, separated by commas:
//! - ```` ```stap ```` must compile (`xstap -p2`, against the test target);
//! - ```` ```stap,should-fail ```` must fail with the code written in the
//!   block as a comment line `# error: E0123` (or `// error: E0123`);
//! - ```` ```stap,guru ```` is compiled with `-g` (embedded C);
//! - ```` ```stap,p1 ```` is only parsed (`-p1`): for fragments that need
//!   something no test target has.
//!
//! Std only, so that the test suite can include this file by path.

use std::path::{Path, PathBuf};

/// What an example must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    Compile,
    /// Fail with this diagnostic code.
    Fail(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    /// The chapter, relative to `book/src`.
    pub file: PathBuf,
    /// The line of the opening fence (1-based).
    pub line: usize,
    pub code: String,
    pub expect: Expect,
    pub guru: bool,
    pub parse_only: bool,
}

/// Generated pages whose code blocks are not examples: the diagnostics
/// index quotes wrong scripts from the explanations without the
/// `should-fail` marker, and the tapset reference shows signatures.
pub const NOT_EXAMPLES: &[&str] = &["diagnostics.md", "tapsets.md"];

/// The examples of one chapter; malformed blocks are returned as errors.
pub fn extract(file: &Path, text: &str) -> (Vec<Example>, Vec<String>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((i, line)) = lines.next() {
        let t = line.trim_start();
        let Some(info) = t.strip_prefix("```") else {
            continue;
        };
        let attrs: Vec<&str> = info
            .split([',', ' '])
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .collect();
        let mut code = String::new();
        let mut closed = false;
        for (_, l) in lines.by_ref() {
            if l.trim_start().starts_with("```") {
                closed = true;
                break;
            }
            code.push_str(l);
            code.push('\n');
        }
        let at = format!("{}:{}", file.display(), i + 1);
        if !closed {
            errors.push(format!("{at}: code block is not closed"));
        }
        if attrs.first() != Some(&"stap") {
            continue;
        }
        let mut ex = Example {
            file: file.to_path_buf(),
            line: i + 1,
            code,
            expect: Expect::Compile,
            guru: false,
            parse_only: false,
        };
        for a in &attrs[1..] {
            match *a {
                "should-fail" => match expected_code(&ex.code) {
                    Some(c) => ex.expect = Expect::Fail(c),
                    None => errors.push(format!(
                        "{at}: a should-fail example needs a `# error: E0000` line"
                    )),
                },
                "guru" => ex.guru = true,
                "p1" => ex.parse_only = true,
                other => errors.push(format!("{at}: unknown example attribute `{other}`")),
            }
        }
        out.push(ex);
    }
    (out, errors)
}

/// The code in a `# error: E0123` / `// error: E0123` line.
fn expected_code(code: &str) -> Option<String> {
    code.lines().find_map(|l| {
        let t = l.trim();
        let rest = t.strip_prefix('#').or_else(|| t.strip_prefix("//"))?.trim();
        let c = rest.strip_prefix("error:")?.trim();
        let c: String = c.chars().take(5).collect();
        (c.len() == 5 && c.starts_with('E') && c[1..].chars().all(|d| d.is_ascii_digit()))
            .then_some(c)
    })
}

/// Every chapter under `src`, as (path relative to `src`, text), sorted.
pub fn chapters(src: &Path) -> Result<Vec<(PathBuf, String)>, String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(PathBuf, String)>) -> Result<(), String> {
        let rd =
            std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        let mut entries: Vec<PathBuf> = rd.filter_map(Result::ok).map(|e| e.path()).collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(root, &p, out)?;
            } else if p.extension().is_some_and(|e| e == "md") {
                let text = std::fs::read_to_string(&p)
                    .map_err(|e| format!("cannot read {}: {e}", p.display()))?;
                out.push((p.strip_prefix(root).unwrap_or(&p).to_path_buf(), text));
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(src, src, &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_and_attributes() {
        let md = "# T\n```stap\nprobe begin {}\n```\n```text\nno\n```\n```stap,should-fail\n# error: E0110\nprobe {\n```\n```stap,bogus\n```\n";
        let (ex, errs) = extract(Path::new("t.md"), md);
        assert_eq!(ex.len(), 3);
        assert_eq!(ex[0].expect, Expect::Compile);
        assert_eq!(ex[0].line, 2);
        assert_eq!(ex[1].expect, Expect::Fail("E0110".into()));
        assert_eq!(
            errs,
            vec!["t.md:12: unknown example attribute `bogus`".to_string()]
        );
    }
}
