//! Diagnostics as plain data, shared by every layer of the compiler.
//!
//! A [`Diagnostic`] has a stable code (`E0103`), a severity, a message, a
//! primary [`Label`] (file + byte range) where one exists, secondary labels,
//! notes and one help line saying what to do. Nothing here renders or prints:
//! the CLI turns diagnostics into codespan-reporting output or JSON.
//!
//! Invariants:
//! - Every code a layer emits is registered in [`codes::ALL`] with a title and
//!   a long explanation; `xstap --explain CODE` and the book's diagnostics
//!   index are generated from that table (one source of truth), and a test
//!   checks that every code in the tree is registered.
//! - Codes are stable: a code is never reused for another meaning.
//!   Ranges: E00xx command line, E01xx syntax, E02xx preprocessor, E03xx target profiles,
//!   E04xx names/probes/aliases, E05xx types and checks, E06xx code
//!   generation, E07xx build and cache, E08xx loader, E09xx internal errors.
//! - This crate depends on nothing but serde.

pub mod codes;

use serde::{Deserialize, Serialize};

/// Identifies a source text. Layers map it to a path and text; for the
/// syntax layer it is simply the index the caller gave the file.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
pub struct FileId(pub u32);

/// A byte range in one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: u32, end: u32) -> Self {
        Span {
            file,
            start,
            end: end.max(start),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Note,
    Warning,
    Error,
    /// A bug in xstap itself ("internal error, please report").
    Bug,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Diagnostic {
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    /// Where the problem is; `None` for diagnostics about the environment
    /// (a missing kernel tree, a missing cross compiler).
    pub primary: Option<Label>,
    pub secondary: Vec<Label>,
    pub notes: Vec<String>,
    /// What the user should do about it.
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(severity: Severity, code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity,
            message: message.into(),
            primary: None,
            secondary: Vec::new(),
            notes: Vec::new(),
            help: None,
        }
    }
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, code, message)
    }
    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, code, message)
    }
    pub fn bug(message: impl Into<String>) -> Self {
        Self::new(Severity::Bug, codes::INTERNAL, message)
            .with_help("this is a bug in xstap; please report it with the script that triggers it")
    }
    pub fn with_primary(mut self, span: Span, message: impl Into<String>) -> Self {
        self.primary = Some(Label {
            span,
            message: message.into(),
        });
        self
    }
    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Self {
        self.secondary.push(Label {
            span,
            message: message.into(),
        });
        self
    }
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
    pub fn is_error(&self) -> bool {
        matches!(self.severity, Severity::Error | Severity::Bug)
    }
    /// Sort key: (file, offset, code), so output order does not depend on
    /// the order in which queries ran.
    pub fn sort_key(&self) -> (FileId, u32, &'static str) {
        match &self.primary {
            Some(l) => (l.span.file, l.span.start, self.code),
            None => (FileId(u32::MAX), 0, self.code),
        }
    }
}

/// Sort diagnostics by location and drop exact duplicates.
pub fn sort_and_dedup(diags: &mut Vec<Diagnostic>) {
    diags.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    diags.dedup();
}
