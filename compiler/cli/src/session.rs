//! One invocation of xstap: the options, the sources read so far and the
//! diagnostics reported by the passes.
//!
//! Passes call [`Session::report`] (or [`Session::report_all`]) and return;
//! [`Session::finish`] applies `-w`/`-W`, sorts by location, prints every
//! diagnostic once and gives the exit status: 1 when any error (or bug) was
//! reported, 0 otherwise.

use std::process::ExitCode;

use diag::{Diagnostic, Severity};

use crate::args::Options;
use crate::render::{Renderer, SourceMap};

pub struct Session {
    pub opts: Options,
    pub sources: SourceMap,
    diags: Vec<Diagnostic>,
}

impl Session {
    pub fn new(opts: Options) -> Self {
        Session {
            opts,
            sources: SourceMap::new(),
            diags: Vec::new(),
        }
    }

    pub fn report(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    pub fn report_all(&mut self, ds: impl IntoIterator<Item = Diagnostic>) {
        self.diags.extend(ds);
    }

    /// Whether an error was reported so far (after `-W` is applied).
    pub fn has_errors(&self) -> bool {
        self.diags.iter().any(|d| {
            d.is_error() || (self.opts.warnings_as_errors && d.severity == Severity::Warning)
        })
    }

    /// Prints the diagnostics and returns the exit status.
    pub fn finish(self) -> ExitCode {
        let Session {
            opts,
            sources,
            mut diags,
        } = self;
        for d in &mut diags {
            if d.severity == Severity::Warning && opts.warnings_as_errors {
                d.severity = Severity::Error;
                d.notes.push("`-W` turns warnings into errors".into());
            }
        }
        if opts.suppress_warnings {
            diags.retain(|d| d.severity != Severity::Warning);
        }
        diag::sort_and_dedup(&mut diags);
        let renderer = Renderer::new(opts.diagnostics);
        for d in &diags {
            renderer.emit(&sources, d);
        }
        if diags.iter().any(Diagnostic::is_error) {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        }
    }
}
