//! Printing diagnostics: codespan-reporting text for people, JSON lines for
//! tools (`--diagnostics=json`).
//!
//! [`SourceMap`] holds the text of every file a diagnostic may point into;
//! a [`diag::FileId`] is an index into it. Spans that fall outside their
//! file (which would be a bug elsewhere) are clamped, never a panic. This is
//! the only module that writes diagnostics; it writes to stderr.

use std::io::{self, Write};

use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::{Files, SimpleFiles};
use codespan_reporting::term::{self, termcolor};
use diag::{Diagnostic, FileId, Label, Severity, Span};
use serde_json::json;

use crate::args::DiagFormat;

/// The files diagnostics point into, indexed by [`FileId`].
#[derive(Default)]
pub struct SourceMap {
    files: SimpleFiles<String, String>,
    count: u32,
}

impl SourceMap {
    pub fn new() -> Self {
        SourceMap::default()
    }

    /// Adds a file and returns its id (ids are given out in order from 0).
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        self.files.add(name.into(), text.into());
        self.count += 1;
        FileId(self.count - 1)
    }

    pub fn name(&self, id: FileId) -> &str {
        self.files
            .get(id.0 as usize)
            .map(|f| f.name().as_str())
            .unwrap_or("<unknown>")
    }

    pub fn text(&self, id: FileId) -> &str {
        self.files
            .get(id.0 as usize)
            .map(|f| f.source().as_str())
            .unwrap_or("")
    }

    fn contains(&self, id: FileId) -> bool {
        id.0 < self.count
    }

    /// Clamps `span` into its file and onto UTF-8 character boundaries.
    fn clamp(&self, span: Span) -> (usize, usize) {
        let text = self.text(span.file);
        let floor = |mut i: usize| {
            i = i.min(text.len());
            while !text.is_char_boundary(i) {
                i -= 1;
            }
            i
        };
        let start = floor(span.start as usize);
        let end = floor(span.end as usize).max(start);
        (start, end)
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, id: FileId, offset: usize) -> (usize, usize) {
        match self.files.location(id.0 as usize, offset) {
            Ok(loc) => (loc.line_number, loc.column_number),
            Err(_) => (1, 1),
        }
    }
}

/// Where and how diagnostics are written.
pub struct Renderer {
    pub format: DiagFormat,
    /// Colour the human output (stderr is a terminal and `NO_COLOR` is unset).
    pub color: bool,
}

impl Renderer {
    pub fn new(format: DiagFormat) -> Self {
        use std::io::IsTerminal;
        let color = io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        Renderer { format, color }
    }

    /// Writes one diagnostic to stderr. Write errors (a closed stderr) are ignored:
    /// there is nowhere left to report them.
    pub fn emit(&self, sources: &SourceMap, d: &Diagnostic) {
        match self.format {
            DiagFormat::Json => {
                let line = to_json(sources, d).to_string();
                let mut err = io::stderr().lock();
                let _ = writeln!(err, "{line}");
            }
            DiagFormat::Human => {
                let cd = to_codespan(sources, d);
                let config = term::Config::default();
                if self.color {
                    let stream = termcolor::StandardStream::stderr(termcolor::ColorChoice::Always);
                    let _ =
                        term::emit_to_write_style(&mut stream.lock(), &config, &sources.files, &cd);
                } else {
                    let mut err = io::stderr().lock();
                    let _ = term::emit_to_io_write(&mut err, &config, &sources.files, &cd);
                }
            }
        }
    }
}

/// Longest source line shown under a diagnostic; longer lines (minified
/// or generated input) are named by position instead.
const MAX_SHOWN_LINE: usize = 400;
/// Most lines a label may cover before it is cut to its first line.
const MAX_SHOWN_LINES: usize = 12;

fn to_codespan(sources: &SourceMap, d: &Diagnostic) -> cs::Diagnostic<usize> {
    let severity = match d.severity {
        Severity::Note => cs::Severity::Note,
        Severity::Warning => cs::Severity::Warning,
        Severity::Error => cs::Severity::Error,
        Severity::Bug => cs::Severity::Bug,
    };
    let mut labels = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    let mut label = |l: &Label, style: cs::LabelStyle| {
        if !sources.contains(l.span.file) {
            return;
        }
        let (s, mut e) = sources.clamp(l.span);
        let text = sources.text(l.span.file);
        let line_start = text[..s].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[s..].find('\n').map_or(text.len(), |i| s + i);
        let (line, col) = sources.line_col(l.span.file, s);
        if line_end - line_start > MAX_SHOWN_LINE {
            // Showing the line would print megabytes: say where instead.
            let name = sources.name(l.span.file);
            notes.push(format!(
                "at {name}:{line}:{col}: {} (the line is too long to show)",
                l.message
            ));
            return;
        }
        if text[s..e].bytes().filter(|&b| b == b'\n').count() > MAX_SHOWN_LINES {
            // A label over many lines would print them all: keep its first line.
            let (end_line, _) = sources.line_col(l.span.file, e);
            notes.push(format!(
                "the code labelled on line {line} goes on to line {end_line}"
            ));
            e = line_end;
        }
        labels.push(
            cs::Label::new(style, l.span.file.0 as usize, s..e).with_message(l.message.clone()),
        );
    };
    if let Some(p) = &d.primary {
        label(p, cs::LabelStyle::Primary);
    }
    for s in &d.secondary {
        label(s, cs::LabelStyle::Secondary);
    }
    notes.extend(d.notes.iter().map(|n| format!("note: {n}")));
    if let Some(h) = &d.help {
        notes.push(format!("help: {h}"));
    }
    cs::Diagnostic::new(severity)
        .with_code(d.code)
        .with_message(d.message.clone())
        .with_labels(labels)
        .with_notes(notes)
}

fn label_json(sources: &SourceMap, l: &Label, primary: bool) -> serde_json::Value {
    let (s, e) = sources.clamp(l.span);
    let (line, column) = sources.line_col(l.span.file, s);
    json!({
        "file": sources.name(l.span.file),
        "line": line,
        "column": column,
        "range": { "start": s, "end": e },
        "message": l.message,
        "primary": primary,
    })
}

/// The JSON object for one diagnostic (one line of `--diagnostics=json`).
pub fn to_json(sources: &SourceMap, d: &Diagnostic) -> serde_json::Value {
    let mut labels = Vec::new();
    if let Some(p) = &d.primary {
        labels.push(label_json(sources, p, true));
    }
    for s in &d.secondary {
        labels.push(label_json(sources, s, false));
    }
    let (file, line, column, range) = match &d.primary {
        Some(p) => {
            let (s, e) = sources.clamp(p.span);
            let (line, column) = sources.line_col(p.span.file, s);
            (
                json!(sources.name(p.span.file)),
                json!(line),
                json!(column),
                json!({ "start": s, "end": e }),
            )
        }
        None => (json!(null), json!(null), json!(null), json!(null)),
    };
    json!({
        "code": d.code,
        "severity": d.severity,
        "message": d.message,
        "file": file,
        "line": line,
        "column": column,
        "range": range,
        "labels": labels,
        "notes": d.notes,
        "help": d.help,
    })
}
