//! The SystemTap front end: lexer, lossless rowan parser, typed AST,
//! pretty printer, and the preprocessor pieces that work on text alone
//! (conditionals, macros, command-line arguments).
//!
//! Role: pass 1 of xstap. `parse(text)` turns any `&str` into a lossless
//! tree (`parse(t).syntax_node().to_string() == t` always) plus syntax
//! diagnostics. Preprocessor conditionals stay in the tree with both arms
//! (DESIGN principle 1); a target picks an arm later with
//! [`preprocess`]. Depends on `diag` and `rowan` only: no salsa, no I/O,
//! no kernels, no C.
//!
//! How callers drive pass 1 (what `stap -p1` does, in xstap terms):
//! 1. user script only: `args::substitute_args(text, &args)` (`$1`, `@1`,
//!    `$#`, `@#`; missing ones are left for step 4);
//! 2. `parse(text)`: the tree every target shares (kept as a `GreenNode`);
//! 3. `validate::check_script(&tree, &opts, &library_macros)`: guru-only
//!    constructs, empty script, unknown macros;
//! 4. per target: evaluate each `ast::PpCond` with
//!    `preprocess::eval_condition` (or `PpCond::live_arm`). When
//!    `Parse::has_unparsed_regions()` (a conditional arm or a macro use that
//!    only parses after preprocessing), run `preprocess::expand_macros`
//!    then `preprocess::resolve` and parse the result instead; `resolve`
//!    keeps offsets, and reports E0204 for missing arguments in live code.
//!
//! Invariants:
//! - `parse` never panics, never hangs (every grammar loop consumes a token
//!   or stops) and never overflows the stack (nesting is capped at
//!   [`MAX_NESTING`]; deeper input gives E0113 and a flat error node).
//! - Diagnostics use `FileId(0)`; callers remap to their file id.
//! - Every code emitted is registered in `diag::codes` (E01xx here, E02xx
//!   in the preprocessor).

mod grammar;
mod lexer;
mod parser;
mod syntax_kind;

pub mod args;
pub mod ast;
pub mod preprocess;
pub mod pretty;
pub mod validate;

use diag::{Diagnostic, FileId, Span};

pub use grammar::{parse_number, AT_OPERATORS, PRINT_FUNCTIONS};
pub use lexer::{lex, Token};
pub use pretty::pretty;
pub use rowan::{GreenNode, TextRange, TextSize};
pub use syntax_kind::{StapLanguage, SyntaxElement, SyntaxKind, SyntaxNode, SyntaxToken};

/// The deepest nesting the parser follows before giving up with E0113.
pub const MAX_NESTING: u32 = parser::MAX_DEPTH;

/// The diagnostic codes this crate emits (registered in `diag::codes`).
pub mod codes {
    pub const UNTERMINATED_STRING: &str = "E0101";
    pub const UNTERMINATED_COMMENT: &str = "E0102";
    pub const UNTERMINATED_EMBEDDED: &str = "E0103";
    pub const INVALID_CHARACTER: &str = "E0104";
    pub const BAD_NUMBER: &str = "E0105";
    pub const SYNTAX: &str = "E0110";
    pub const UNCLOSED: &str = "E0111";
    pub const EXPECTED_DECL: &str = "E0112";
    pub const TOO_DEEP: &str = "E0113";
    pub const BAD_PROBE_POINT: &str = "E0114";
    pub const RETURN_OUTSIDE_FUNCTION: &str = "E0115";
    pub const DUPLICATE_PARAM: &str = "E0116";
    pub const DUPLICATE_GLOBAL: &str = "E0117";
    pub const BAD_GLOBAL: &str = "E0118";
    pub const BAD_PRINT_ARGS: &str = "E0119";
    pub const REGEX_NOT_LITERAL: &str = "E0120";
    pub const BAD_AT_OPERATOR: &str = "E0121";
    pub const NEEDS_GURU: &str = "E0122";
    pub const BAD_FOREACH: &str = "E0123";
    pub const EMPTY_SCRIPT: &str = "E0124";
    pub const BAD_ALIAS: &str = "E0125";
    pub const BAD_TARGET_SUFFIX: &str = "E0126";
    pub const NEEDS_NEWER_COMPAT: &str = "E0127";

    pub const PP_UNTERMINATED: &str = "E0201";
    pub const PP_MALFORMED: &str = "E0202";
    pub const PP_BAD_CONDITION: &str = "E0203";
    pub const ARG_OUT_OF_RANGE: &str = "E0204";
    pub const ARG_NESTED: &str = "E0205";
    pub const MACRO_MALFORMED: &str = "E0206";
    pub const MACRO_REDEFINED: &str = "E0207";
    pub const MACRO_ARITY: &str = "E0208";
    pub const MACRO_UNKNOWN: &str = "E0209";
    pub const MACRO_TOO_DEEP: &str = "E0210";
    pub const ARM_DOES_NOT_PARSE: &str = "E0211";
    pub const MACRO_LIBRARY: &str = "E0212";

    /// Every code above, for the registry test.
    pub const ALL: &[&str] = &[
        UNTERMINATED_STRING,
        UNTERMINATED_COMMENT,
        UNTERMINATED_EMBEDDED,
        INVALID_CHARACTER,
        BAD_NUMBER,
        SYNTAX,
        UNCLOSED,
        EXPECTED_DECL,
        TOO_DEEP,
        BAD_PROBE_POINT,
        RETURN_OUTSIDE_FUNCTION,
        DUPLICATE_PARAM,
        DUPLICATE_GLOBAL,
        BAD_GLOBAL,
        BAD_PRINT_ARGS,
        REGEX_NOT_LITERAL,
        BAD_AT_OPERATOR,
        NEEDS_GURU,
        BAD_FOREACH,
        EMPTY_SCRIPT,
        BAD_ALIAS,
        BAD_TARGET_SUFFIX,
        NEEDS_NEWER_COMPAT,
        PP_UNTERMINATED,
        PP_MALFORMED,
        PP_BAD_CONDITION,
        ARG_OUT_OF_RANGE,
        ARG_NESTED,
        MACRO_MALFORMED,
        MACRO_REDEFINED,
        MACRO_ARITY,
        MACRO_UNKNOWN,
        MACRO_TOO_DEEP,
        ARM_DOES_NOT_PARSE,
        MACRO_LIBRARY,
    ];
}

/// A span in file 0 (callers remap the file id).
pub(crate) fn span(start: u32, end: u32) -> Span {
    Span::new(FileId(0), start, end)
}

/// The result of parsing one file: a lossless green tree and the syntax
/// errors, sorted by position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parse {
    green: GreenNode,
    errors: Vec<Diagnostic>,
}

impl Parse {
    /// Rebuild a `Parse` from stored parts (e.g. a green node kept in the
    /// salsa db).
    pub fn from_parts(green: GreenNode, errors: Vec<Diagnostic>) -> Parse {
        Parse { green, errors }
    }
    pub fn syntax_node(&self) -> SyntaxNode {
        SyntaxNode::new_root(self.green.clone())
    }
    pub fn tree(&self) -> ast::SourceFile {
        ast::SourceFile {
            syntax: self.syntax_node(),
        }
    }
    pub fn errors(&self) -> &[Diagnostic] {
        &self.errors
    }
    pub fn green(&self) -> &GreenNode {
        &self.green
    }
    /// Whether the tree keeps some region as unparsed tokens (a
    /// `TOKEN_SOUP`: a conditional arm or a macro invocation that only
    /// parses after preprocessing). Such a file is re-parsed per target
    /// from `preprocess::resolve` (after `preprocess::expand_macros` when
    /// it uses macros) instead of read from this tree.
    pub fn has_unparsed_regions(&self) -> bool {
        self.syntax_node()
            .descendants()
            .any(|n| n.kind() == SyntaxKind::TOKEN_SOUP)
    }
    pub fn into_parts(self) -> (GreenNode, Vec<Diagnostic>) {
        (self.green, self.errors)
    }
    /// The tree as indented text (`KIND@start..end "text"`), followed by
    /// one line per error: the format of the `.rast` test files.
    pub fn debug_dump(&self) -> String {
        let mut out = debug_tree(&self.syntax_node());
        for e in &self.errors {
            match &e.primary {
                Some(l) => out.push_str(&format!(
                    "error {}..{}: {} {}\n",
                    l.span.start, l.span.end, e.code, e.message
                )),
                None => out.push_str(&format!("error: {} {}\n", e.code, e.message)),
            }
        }
        out
    }
}

/// Parse a SystemTap source file (script, tapset `.stp` or macro `.stpm`).
pub fn parse(text: &str) -> Parse {
    let (tokens, mut errors) = lexer::lex(text);
    let mut p = parser::Parser::new(text, &tokens);
    let mut st = grammar::State::default();
    grammar::source_file(&mut p, &mut st);
    let green = parser::build_tree(&p);
    errors.append(&mut p.errors);
    diag::sort_and_dedup(&mut errors);
    Parse { green, errors }
}

/// Indented dump of a subtree, one element per line.
pub fn debug_tree(node: &SyntaxNode) -> String {
    use rowan::WalkEvent;
    let mut out = String::new();
    let mut indent = 0usize;
    for ev in node.preorder_with_tokens() {
        match ev {
            WalkEvent::Enter(el) => {
                for _ in 0..indent {
                    out.push_str("  ");
                }
                match el {
                    rowan::NodeOrToken::Node(n) => {
                        out.push_str(&format!("{:?}@{:?}\n", n.kind(), n.text_range()))
                    }
                    rowan::NodeOrToken::Token(t) => out.push_str(&format!(
                        "{:?}@{:?} {:?}\n",
                        t.kind(),
                        t.text_range(),
                        t.text()
                    )),
                }
                indent += 1;
            }
            WalkEvent::Leave(_) => indent -= 1,
        }
    }
    out
}
