//! The one place where the CLI calls the `syntax` crate for pass 1.
//!
//! A user script goes through SystemTap's pass-1 pipeline:
//! 1. substitute the command-line arguments (`$1 @1 $# @#`),
//! 2. parse the substituted text losslessly (both arms of every
//!    conditional): its lexical and preprocessor errors are reported,
//! 3. expand `@define` macros (the script's own and the library's),
//! 4. choose the live arm of every `%( %? %: %)` for the target facts,
//! 5. parse the result, run the option-dependent checks (`-g`, empty
//!    script) and unparse it with `syntax::pretty`: that is the `-p1` output.
//!
//! Tapset files take the same path without step 1. Every diagnostic comes
//! back with its spans moved to the caller's [`FileId`] and mapped back
//! through macro expansion and argument substitution onto the text the
//! user wrote; duplicates (the same error seen by both parses) are dropped.

use diag::{Diagnostic, FileId};
use syntax::preprocess::{self, MacroTable, SimpleFacts};
use syntax::validate::{self, CheckOptions};

use crate::args::Options;

/// Codes of the lexer: errors wherever they are, even in a dead arm.
const LEXICAL: &[&str] = &[
    syntax::codes::UNTERMINATED_STRING,
    syntax::codes::UNTERMINATED_COMMENT,
    syntax::codes::UNTERMINATED_EMBEDDED,
    syntax::codes::INVALID_CHARACTER,
];

/// The result of parsing one file.
pub struct Parsed {
    /// The canonical `-p1` text (`syntax::pretty` of the preprocessed program).
    pub pretty: String,
    pub diags: Vec<Diagnostic>,
}

/// Whether a file is the user's script or part of the library.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Role {
    User,
    Tapset,
}

/// Parses `text` (file `file`) through the pass-1 pipeline.
pub fn parse(
    text: &str,
    file: FileId,
    role: Role,
    opts: &Options,
    facts: &SimpleFacts,
    library: &MacroTable,
) -> Parsed {
    let mut diags: Vec<Diagnostic> = Vec::new();

    // 1. Arguments (user scripts only).
    let subst = match role {
        Role::User => Some(syntax::args::substitute_args(text, &opts.script_args)),
        Role::Tapset => None,
    };
    let to_original = |off: u32| subst.as_ref().map_or(off, |s| s.original_offset(off));
    let substituted: &str = subst.as_ref().map_or(text, |s| s.text.as_str());
    if let Some(s) = &subst {
        diags.extend(s.errors.iter().cloned().map(|d| refile(d, file, |o| o)));
    }

    // 2. The lossless parse. Only its lexical and preprocessor (E02xx)
    // errors are reported: stap lexes and preprocesses the whole file, dead
    // arms included, but parses only the live program, and a conditional
    // may stand between any two tokens, where the lossless tree cannot
    // always keep it (those places are errors of the lossless parse, not of
    // the program).
    // The tree is dropped at once: only its errors are needed, and the
    // program's tree below would otherwise double the peak memory.
    let lossless_errors: Vec<Diagnostic> = syntax::parse(substituted)
        .errors()
        .iter()
        .filter(|d| LEXICAL.contains(&d.code) || d.code.starts_with("E02"))
        .cloned()
        .collect();
    diags.extend(
        lossless_errors
            .into_iter()
            .map(|d| refile(d, file, to_original)),
    );

    // 3. Macros, 4. conditionals.
    let mut expanded = preprocess::expand_macros(substituted, library);
    diags.extend(
        expanded
            .errors
            .drain(..)
            .map(|d| refile(d, file, to_original)),
    );
    let resolved = preprocess::resolve(&expanded.text, facts);
    // Offsets map back through the expansion sites; its text is no longer needed.
    expanded.text = String::new();
    let from_expanded = |off: u32| to_original(expanded.original_offset(off));
    diags.extend(
        resolved
            .errors
            .iter()
            .cloned()
            .map(|d| refile(d, file, from_expanded)),
    );

    // 5. The program for this target.
    let program = syntax::parse(&resolved.text);
    diags.extend(
        program
            .errors()
            .iter()
            .cloned()
            .map(|d| refile(d, file, from_expanded)),
    );
    let checks = CheckOptions {
        guru: opts.guru,
        user_script: role == Role::User,
        // `--compatible` governs the user's script; the tapset library is
        // xstap's own and always uses the current language.
        compatible: opts
            .compatible
            .filter(|_| role == Role::User)
            .map(|v| (v.major, v.minor)),
    };
    let tree = program.tree();
    diags.extend(
        validate::check_script(&tree, &checks, library)
            .into_iter()
            .map(|d| refile(d, file, from_expanded)),
    );
    let pretty = syntax::pretty(&tree);

    dedup(&mut diags);
    Parsed { pretty, diags }
}

/// Sorts by location and drops a diagnostic whose code and primary start
/// were already reported (the two parses and the macro checks see some
/// errors twice, with slightly different extents).
fn dedup(diags: &mut Vec<Diagnostic>) {
    diag::sort_and_dedup(diags);
    let mut seen = std::collections::HashSet::new();
    diags.retain(|d| seen.insert((d.code, d.primary.as_ref().map(|p| p.span.start))));
}

/// Moves every span of `d` to `file`, mapping offsets with `map` (the
/// syntax layer numbers its only file `FileId(0)` and works on the
/// substituted or expanded text).
pub fn refile(mut d: Diagnostic, file: FileId, map: impl Fn(u32) -> u32) -> Diagnostic {
    let fix = |l: &mut diag::Label| {
        l.span.file = file;
        let (s, e) = (map(l.span.start), map(l.span.end));
        l.span.start = s;
        l.span.end = e.max(s);
    };
    if let Some(p) = &mut d.primary {
        fix(p);
    }
    for s in &mut d.secondary {
        fix(s);
    }
    d
}
