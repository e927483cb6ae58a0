//! Integration tests of pass 2: data-driven checks (`test_data/check`),
//! incrementality (which queries run again after an edit), the
//! conformance rates over SystemTap's semok/semko scripts, and benchmarks
//! (printed, never asserted).

mod check;
mod conformance;
mod incremental;
mod smoke;

use std::path::PathBuf;

use db::Session;

/// The built-in tapset directory of the repository.
pub fn tapset_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tapsets")
}

/// A session over the tiny x86 fixture profile and the tapset library.
pub fn session(script: &str) -> Session {
    let mut s = Session::new();
    s.set_target(&kernel::fixtures::tiny_x86());
    s.set_tapset_roots(vec![tapset_dir()]);
    s.set_script("test.stp", script);
    s
}

/// Render diagnostics compactly: `CODE line:col message`.
pub fn render(s: &Session, diags: &[diag::Diagnostic]) -> String {
    let mut out = String::new();
    for d in diags {
        let pos = match &d.primary {
            Some(l) => match s.file(l.span.file) {
                Some((path, text)) => {
                    let pre = &text[..(l.span.start as usize).min(text.len())];
                    let line = pre.matches('\n').count() + 1;
                    let col = pre.len() - pre.rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
                    let name = std::path::Path::new(&path)
                        .file_name()
                        .map(|n| n.to_string_lossy().to_string())
                        .unwrap_or(path);
                    format!("{name}:{line}:{col}")
                }
                None => "?".into(),
            },
            None => "-".into(),
        };
        out.push_str(&format!(
            "{:?} {} {} {}\n",
            d.severity, d.code, pos, d.message
        ));
        for n in &d.notes {
            out.push_str(&format!("  note: {n}\n"));
        }
        if let Some(h) = &d.help {
            out.push_str(&format!("  help: {h}\n"));
        }
    }
    out
}
