//! A link checker for the book's Markdown sources (mdBook's core does not
//! check links).
//!
//! For every `book/src/**/*.md`: each relative link (`[text](path#anchor)`,
//! `[label]: path`) must name a file inside `book/src`, and its anchor must
//! be the id of a heading in that file (mdBook's ids: see
//! [`super::gen::heading_id`]), an explicit `{#id}`, or an
//! `<a id="...">`/`<a name="...">`. Links to `.html` pages of the book are
//! refused (link the `.md` file; mdBook rewrites it). Every chapter file
//! must be listed in `SUMMARY.md`. External links (`http:`, `https:`,
//! `mailto:`) are not fetched.
//!
//! Std only, so that the test suite can include this file by path.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

use super::gen::heading_id;

/// One problem found, ready to print (`file:line: message`).
pub type Problem = String;

/// Checks every Markdown file under `src` (the book's `src/` directory).
pub fn check(src: &Path) -> Result<Vec<Problem>, String> {
    let mut files = BTreeMap::new();
    let mut others = BTreeSet::new();
    collect(src, src, &mut files, &mut others)?;
    Ok(check_files(&files, &others))
}

/// Checks Markdown texts keyed by their path relative to `src`; `others`
/// are the other files of `src` (images), which links may name too.
pub fn check_files(files: &BTreeMap<PathBuf, String>, others: &BTreeSet<PathBuf>) -> Vec<Problem> {
    let ids: BTreeMap<&PathBuf, BTreeSet<String>> =
        files.iter().map(|(p, t)| (p, anchors(t))).collect();
    let mut problems = Vec::new();
    for (path, text) in files {
        for link in links(text) {
            let at = format!("{}:{}", path.display(), link.line);
            let t = link.target.trim();
            if t.is_empty() {
                problems.push(format!("{at}: empty link target"));
                continue;
            }
            if t.starts_with("http://") || t.starts_with("https://") || t.starts_with("mailto:") {
                continue;
            }
            if t.contains("://") {
                problems.push(format!("{at}: unsupported link scheme in `{t}`"));
                continue;
            }
            let (file_part, anchor) = match t.split_once('#') {
                Some((f, a)) => (f, Some(a)),
                None => (t, None),
            };
            let target = if file_part.is_empty() {
                path.clone()
            } else {
                let joined = path.parent().unwrap_or(Path::new("")).join(file_part);
                match normalize(&joined) {
                    Some(p) => p,
                    None => {
                        problems.push(format!(
                            "{at}: `{t}` points outside the book's src/ directory"
                        ));
                        continue;
                    }
                }
            };
            if target.extension().is_some_and(|e| e == "html") {
                problems.push(format!(
                    "{at}: `{t}` links a rendered page; link the `.md` file instead"
                ));
                continue;
            }
            let is_md = target.extension().is_some_and(|e| e == "md");
            if is_md {
                let Some(target_ids) = ids.get(&target) else {
                    problems.push(format!(
                        "{at}: `{t}`: no such chapter `{}`",
                        target.display()
                    ));
                    continue;
                };
                if let Some(a) = anchor {
                    if !target_ids.contains(a) {
                        problems.push(format!(
                            "{at}: `{t}`: no heading with the id `{a}` in {}",
                            target.display()
                        ));
                    }
                }
            } else if !file_part.is_empty() && !others.contains(&target) {
                problems.push(format!("{at}: `{t}`: no such file in the book"));
            }
        }
    }
    if let Some(summary) = files.get(Path::new("SUMMARY.md")) {
        let listed: BTreeSet<PathBuf> = links(summary)
            .into_iter()
            .filter_map(|l| normalize(Path::new(&l.target)))
            .collect();
        for p in files.keys() {
            if p != Path::new("SUMMARY.md") && !listed.contains(p) {
                problems.push(format!(
                    "{}: chapter is not listed in SUMMARY.md",
                    p.display()
                ));
            }
        }
    } else {
        problems.push("SUMMARY.md is missing".to_string());
    }
    problems
}

fn collect(
    root: &Path,
    dir: &Path,
    out: &mut BTreeMap<PathBuf, String>,
    others: &mut BTreeSet<PathBuf>,
) -> Result<(), String> {
    let rd = std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut entries: Vec<_> = rd.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect(root, &p, out, others)?;
        } else if p.extension().is_some_and(|e| e == "md") {
            let text = std::fs::read_to_string(&p)
                .map_err(|e| format!("cannot read {}: {e}", p.display()))?;
            out.insert(p.strip_prefix(root).unwrap_or(&p).to_path_buf(), text);
        } else {
            others.insert(p.strip_prefix(root).unwrap_or(&p).to_path_buf());
        }
    }
    Ok(())
}

/// `a/./b/../c` -> `a/c`; `None` when it climbs above the root.
fn normalize(p: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::Normal(s) => out.push(s),
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(out)
}

/// A link found in a Markdown text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub line: usize,
    pub target: String,
}

/// Lines outside fenced code blocks, with their 1-based numbers.
fn prose_lines(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut fence: Option<&str> = None;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        if let Some(f) = fence {
            if t.starts_with(f)
                && t.trim_start_matches(f.chars().next().unwrap_or('`'))
                    .trim()
                    .is_empty()
            {
                fence = None;
            }
            continue;
        }
        if t.starts_with("```") {
            fence = Some("```");
            continue;
        }
        if t.starts_with("~~~") {
            fence = Some("~~~");
            continue;
        }
        out.push((i + 1, line));
    }
    out
}

/// Removes inline code spans so that `[a](b)` inside backticks is not a link.
fn without_code_spans(line: &str) -> String {
    let mut out = String::new();
    let mut in_code = false;
    for c in line.chars() {
        if c == '`' {
            in_code = !in_code;
            out.push(' ');
            continue;
        }
        out.push(if in_code { ' ' } else { c });
    }
    out
}

/// Every inline link and reference definition outside code.
pub fn links(text: &str) -> Vec<Link> {
    let mut out = Vec::new();
    for (n, raw) in prose_lines(text) {
        let line = without_code_spans(raw);
        // Reference definitions: `[label]: target`.
        let t = line.trim_start();
        if t.starts_with('[') {
            if let Some(close) = t.find("]:") {
                let target = t[close + 2..].split_whitespace().next().unwrap_or("");
                out.push(Link {
                    line: n,
                    target: target.trim_matches(['<', '>']).to_string(),
                });
                continue;
            }
        }
        let b = line.as_bytes();
        let mut i = 0;
        while i + 1 < b.len() {
            if b[i] == b']' && b[i + 1] == b'(' {
                let start = i + 2;
                let mut depth = 1;
                let mut j = start;
                while j < b.len() {
                    match b[j] {
                        b'(' => depth += 1,
                        b')' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    j += 1;
                }
                let inner = &line[start..j.min(line.len())];
                // `[text](target "title")`: the target is the first word.
                let target = inner
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .trim_matches(['<', '>']);
                out.push(Link {
                    line: n,
                    target: target.to_string(),
                });
                i = j;
            }
            i += 1;
        }
    }
    out
}

/// The ids a page offers: its headings' (deduplicated the way mdBook does,
/// `-1`, `-2`, ...), `{#id}` attributes and `<a id=..>`/`<a name=..>`.
pub fn anchors(text: &str) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for (_, line) in prose_lines(text) {
        let t = line.trim_start();
        if t.starts_with('#') {
            let body = t.trim_start_matches('#');
            if body.starts_with(' ') || body.is_empty() {
                let mut body = body.trim().trim_end_matches('#').trim().to_string();
                if let Some(open) = body.rfind("{#") {
                    if body.ends_with('}') {
                        let id = body[open + 2..body.len() - 1]
                            .split_whitespace()
                            .next()
                            .unwrap_or("")
                            .to_string();
                        ids.insert(id);
                        body.truncate(open);
                        continue;
                    }
                }
                let id = heading_id(body.trim());
                let n = counts.entry(id.clone()).or_insert(0);
                let unique = if *n == 0 {
                    id.clone()
                } else {
                    format!("{id}-{n}")
                };
                *n += 1;
                ids.insert(unique);
            }
        }
        for attr in ["id=\"", "name=\""] {
            let mut rest = t;
            while let Some(p) = rest.find("<a ") {
                rest = &rest[p + 3..];
                if let Some(q) = rest.find(attr) {
                    let v = &rest[q + attr.len()..];
                    if let Some(end) = v.find('"') {
                        ids.insert(v[..end].to_string());
                    }
                }
            }
        }
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book(pages: &[(&str, &str)]) -> BTreeMap<PathBuf, String> {
        pages
            .iter()
            .map(|(p, t)| (PathBuf::from(p), t.to_string()))
            .collect()
    }

    #[test]
    fn finds_broken_links_and_anchors() {
        let files = book(&[
            ("SUMMARY.md", "- [A](a.md)\n- [B](sub/b.md)\n"),
            ("a.md", "# Title\n## Two words\n[ok](#two-words) [bad](#nope) [b](sub/b.md#x) `[no](link.md)`\n```\n[no](x.md)\n```\n"),
            ("sub/b.md", "# X\n[up](../a.md#title) [gone](../c.md) [web](https://example.org)\n"),
            ("orphan.md", "# O\n"),
        ]);
        let p = check_files(&files, &BTreeSet::new());
        assert_eq!(p.len(), 3, "{p:#?}");
        assert!(p[0].contains("a.md:3") && p[0].contains("#nope"));
        assert!(p[1].contains("sub/b.md:2") && p[1].contains("c.md"));
        assert!(p[2].contains("orphan.md"));
    }

    #[test]
    fn duplicate_headings_get_suffixes() {
        let ids = anchors("# A\n# A\n## B {#custom}\n<a id=\"x\"></a>\n");
        assert!(
            ids.contains("a") && ids.contains("a-1") && ids.contains("custom") && ids.contains("x")
        );
    }
}
