//! Command-line argument substitution: `$1`, `@1`, `$#`, `@#`.
//!
//! Like stap, substitution works on tokens before parsing: `$N` is
//! replaced by the N-th argument's raw text (which is then lexed with its
//! surroundings, so `$1` may even supply a whole probe point), `@N` by the
//! argument as a quoted string literal, `$#` by the argument count and
//! `@#` by the count as a string. Nothing inside strings, comments or
//! embedded C is touched.
//!
//! Design choice (documented for the CLI and the db): a reference to a
//! missing argument is *not* an error here, because stap only complains
//! about references that survive conditional preprocessing (`%( $# >= 2
//! %? @2 %: "" %)` is fine with one argument). Such tokens are left in the
//! text and reported as E0204 by `preprocess::resolve` when they are in a
//! live arm; [`Substituted::missing`] lists them for callers that want to
//! check earlier. An argument whose text itself contains `$N`/`@N`/`$#`/
//! `@#` is E0205 when used (stap forbids nested substitution).

use crate::lexer::lex;
use crate::syntax_kind::SyntaxKind::*;
use crate::{codes, span};
use diag::Diagnostic;

/// One replaced token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    /// Range of the `$N` token in the original text.
    pub original: (u32, u32),
    /// Range of its replacement in the substituted text.
    pub substituted: (u32, u32),
}

/// The result of [`substitute_args`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Substituted {
    pub text: String,
    pub edits: Vec<Edit>,
    /// References to arguments that were not given: (range in the
    /// substituted text, index). Left unsubstituted.
    pub missing: Vec<((u32, u32), usize)>,
    pub errors: Vec<Diagnostic>,
}

impl Substituted {
    /// Maps an offset of the substituted text back to the original text.
    pub fn original_offset(&self, off: u32) -> u32 {
        let mut delta: i64 = 0;
        for e in &self.edits {
            if off < e.substituted.0 {
                break;
            }
            if off < e.substituted.1 {
                return e.original.0;
            }
            delta = e.original.1 as i64 - e.substituted.1 as i64;
        }
        (off as i64 + delta).max(0) as u32
    }

    /// The "command line argument index N out of range [1-M]" diagnostic
    /// for every missing reference (for callers that check eagerly).
    pub fn missing_errors(&self, arg_count: usize) -> Vec<Diagnostic> {
        self.missing
            .iter()
            .map(|&(r, n)| out_of_range(r, n, arg_count))
            .collect()
    }
}

/// E0204 for argument `index` (1-based) at `range`.
pub fn out_of_range(range: (u32, u32), index: usize, arg_count: usize) -> Diagnostic {
    Diagnostic::error(
        codes::ARG_OUT_OF_RANGE,
        format!("command line argument index {index} out of range [1-{arg_count}]"),
    )
    .with_primary(span(range.0, range.1), "no such argument")
    .with_help("pass more arguments after the script, or guard the use with `%( $# >= N %? ... %)`")
}

/// Quote `s` as a stap string literal.
pub fn quote_string(s: &str) -> String {
    let mut q = String::with_capacity(s.len() + 2);
    q.push('"');
    for c in s.chars() {
        match c {
            '"' => q.push_str("\\\""),
            '\\' => q.push_str("\\\\"),
            '\n' => q.push_str("\\n"),
            '\t' => q.push_str("\\t"),
            '\r' => q.push_str("\\r"),
            c => q.push(c),
        }
    }
    q.push('"');
    q
}

/// Substitute command-line arguments in a user script (see the module
/// documentation for the rules).
pub fn substitute_args(text: &str, args: &[String]) -> Substituted {
    let (tokens, _) = lex(text);
    let mut out = String::with_capacity(text.len());
    let mut edits = Vec::new();
    let mut missing = Vec::new();
    let mut errors = Vec::new();
    let mut off = 0usize;
    for t in &tokens {
        let s = &text[off..off + t.len as usize];
        let orig = (off as u32, off as u32 + t.len);
        off += t.len as usize;
        if t.kind != CMDLINE_ARG {
            out.push_str(s);
            continue;
        }
        let replacement = match s {
            "$#" => Some(args.len().to_string()),
            "@#" => Some(quote_string(&args.len().to_string())),
            _ => {
                let idx: Option<usize> = s[1..].parse().ok();
                match idx {
                    Some(n) if n >= 1 && n <= args.len() => {
                        let a = &args[n - 1];
                        if lex(a).0.iter().any(|t| t.kind == CMDLINE_ARG) {
                            errors.push(
                                Diagnostic::error(codes::ARG_NESTED, "invalid nested substitution of command line arguments")
                                    .with_primary(span(orig.0, orig.1), format!("argument {n} contains `$N`, `@N`, `$#` or `@#`"))
                                    .with_help("command-line arguments are substituted once; pass the final text"),
                            );
                            None
                        } else if s.starts_with('$') {
                            Some(a.clone())
                        } else {
                            Some(quote_string(a))
                        }
                    }
                    _ => {
                        let start = out.len() as u32;
                        missing.push(((start, start + t.len), idx.unwrap_or(0)));
                        None
                    }
                }
            }
        };
        match replacement {
            Some(r) => {
                let start = out.len() as u32;
                out.push_str(&r);
                edits.push(Edit {
                    original: orig,
                    substituted: (start, out.len() as u32),
                });
            }
            None => out.push_str(s),
        }
    }
    Substituted {
        text: out,
        edits,
        missing,
        errors,
    }
}
