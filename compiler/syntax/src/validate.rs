//! Checks of pass 1 that depend on options or on the file's role, kept
//! out of `parse` so that one parse serves every option set: guru-only
//! constructs in user scripts (E0122), empty user scripts (E0124), and
//! unknown or mis-invoked macros given the library (E0209, E0208).
//!
//! The CLI runs `-p1` as: substitute arguments, parse, `check_script`,
//! and `preprocess::resolve` for the host target (re-parsing the resolved
//! text when the tree has raw arms or macro invocations).

use crate::ast::{self, AstNode};
use crate::preprocess::{collect_macros, MacroTable};
use crate::syntax_kind::SyntaxKind::*;
use crate::{codes, span, SyntaxNode};
use diag::Diagnostic;

/// Options that change what pass 1 accepts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CheckOptions {
    /// `-g`: embedded C, `@const`, `@kregister`, `@kderef` allowed.
    pub guru: bool,
    /// The file is the user's script (not a tapset): guru checks and the
    /// empty-script check apply.
    pub user_script: bool,
    /// `--compatible=MAJOR.MINOR`: reject the syntax later releases added.
    pub compatible: Option<(u32, u32)>,
}

fn range_span(n: &SyntaxNode) -> diag::Span {
    let r = n.text_range();
    span(r.start().into(), r.end().into())
}

/// Option-dependent checks of a parsed file.
pub fn check_script(
    file: &ast::SourceFile,
    opts: &CheckOptions,
    library: &MacroTable,
) -> Vec<Diagnostic> {
    let mut errors = Vec::new();
    let root = file.syntax();
    if opts.user_script && !opts.guru {
        for el in root.descendants_with_tokens() {
            let (what, sp) = match &el {
                rowan::NodeOrToken::Token(t) if t.kind() == EMBEDDED_CODE => {
                    let r = t.text_range();
                    // Inside a macro body or an unparsed region it is not code yet.
                    if t.parent_ancestors()
                        .any(|a| matches!(a.kind(), MACRO_BODY | TOKEN_SOUP | MACRO_ARG))
                    {
                        continue;
                    }
                    let what = if t.parent().is_some_and(|p| p.kind() == EMBEDDED_EXPR) {
                        "embedded expression code"
                    } else {
                        "embedded code"
                    };
                    (what.to_string(), span(r.start().into(), r.end().into()))
                }
                rowan::NodeOrToken::Node(n) if n.kind() == AT_EXPR => {
                    let op = ast::AtExpr::cast(n.clone())
                        .map(|a| a.op())
                        .unwrap_or_default();
                    if !matches!(op.as_str(), "@const" | "@kregister" | "@kderef") {
                        continue;
                    }
                    (format!("the `{op}` operator"), range_span(n))
                }
                _ => continue,
            };
            errors.push(
                Diagnostic::error(
                    codes::NEEDS_GURU,
                    format!("{what} in an unprivileged script; need guru mode"),
                )
                .with_primary(sp, "only allowed with `-g`")
                .with_help("run with `-g` (guru mode) if you trust this code"),
            );
        }
    }
    if opts.user_script && is_empty(root) {
        errors.push(
            Diagnostic::error(
                codes::EMPTY_SCRIPT,
                "the script is empty after preprocessing",
            )
            .with_help("add a probe, e.g. `probe begin { println(\"hello\") exit() }`"),
        );
    }
    if let Some(v) = opts.compatible {
        errors.extend(check_compatible(root, v));
    }
    errors.extend(check_macros(file, library));
    diag::sort_and_dedup(&mut errors);
    errors
}

/// Whether `n` is a target expression before autocast (2.6): a `$var`,
/// `@cast`, `@var` or `@entry`, possibly with members, indexes and a
/// pretty-print suffix already applied.
fn is_target_rooted(n: &SyntaxNode) -> bool {
    match n.kind() {
        TARGET_VAR => true,
        AT_EXPR => {
            let Some(at) = ast::AtExpr::cast(n.clone()) else {
                return false;
            };
            match at.op().as_str() {
                "@cast" | "@var" => true,
                // `@entry($var)`: as rooted as its operand.
                "@entry" => at
                    .args()
                    .first()
                    .is_some_and(|a| is_target_rooted(a.syntax())),
                _ => false,
            }
        }
        MEMBER_EXPR | INDEX_EXPR | PRETTY_EXPR | PAREN_EXPR => {
            n.first_child().is_some_and(|c| is_target_rooted(&c))
        }
        _ => false,
    }
}

fn is_histogram(n: &SyntaxNode) -> bool {
    n.kind() == AT_EXPR
        && ast::AtExpr::cast(n.clone())
            .is_some_and(|a| matches!(a.op().as_str(), "@hist_log" | "@hist_linear"))
}

/// The syntax `--compatible=VERSION` forbids: autocast (2.6) and string
/// literals glued across a comment (2.0).
pub fn check_compatible(root: &SyntaxNode, v: (u32, u32)) -> Vec<Diagnostic> {
    let mut errors = Vec::new();
    let err = |sp: diag::Span, what: &str, since: &str| {
        Diagnostic::error(
            codes::NEEDS_NEWER_COMPAT,
            format!("{what} needs SystemTap {since} or later"),
        )
        .with_primary(sp, format!("not in --compatible={}.{}", v.0, v.1))
        .with_help(format!(
            "use `--compatible={since}` or later, or drop `--compatible`"
        ))
    };
    for n in root.descendants() {
        if n.ancestors()
            .any(|a| matches!(a.kind(), MACRO_BODY | TOKEN_SOUP | MACRO_ARG))
        {
            continue;
        }
        if v < (2, 6) {
            let base = n.first_child();
            let autocast = match n.kind() {
                MEMBER_EXPR | PRETTY_EXPR => !base.as_ref().is_some_and(is_target_rooted),
                // `name[i]` and `@hist_*(v)[i]` are array and histogram reads.
                INDEX_EXPR => !base.as_ref().is_some_and(|b| {
                    b.kind() == NAME_REF || is_histogram(b) || is_target_rooted(b)
                }),
                PREFIX_EXPR => {
                    n.children_with_tokens()
                        .next()
                        .is_some_and(|t| t.kind() == AMP)
                        && !base.as_ref().is_some_and(is_target_rooted)
                }
                _ => false,
            };
            if autocast {
                errors.push(err(range_span(&n), "a member, index, `&` or pretty-print suffix on a non-target expression (autocast)", "2.6"));
            }
        }
        if v < (2, 0) && n.kind() == LITERAL {
            let toks: Vec<_> = n
                .children_with_tokens()
                .filter(|t| t.kind() != WHITESPACE)
                .collect();
            for w in toks.windows(3) {
                if w[0].kind() == STRING && w[1].kind() == COMMENT && w[2].kind() == STRING {
                    let r = n.text_range();
                    errors.push(err(
                        span(r.start().into(), r.end().into()),
                        "string literals glued across a comment",
                        "2.0",
                    ));
                }
            }
        }
    }
    errors
}

fn is_empty(n: &SyntaxNode) -> bool {
    n.children().all(|c| match c.kind() {
        MACRO_DEF | ERROR => true,
        PP_COND => c
            .children()
            .filter(|a| matches!(a.kind(), PP_THEN_ARM | PP_ELSE_ARM))
            .all(|a| is_empty(&a)),
        _ => false,
    })
}

/// Unknown macros (E0209) and wrong argument counts (E0208) in a file,
/// given the library macros. Invocations inside macro bodies are checked
/// when expanded (`preprocess::expand_macros`).
pub fn check_macros(file: &ast::SourceFile, library: &MacroTable) -> Vec<Diagnostic> {
    let local = collect_macros(file);
    let mut errors = Vec::new();
    for n in file.syntax().descendants() {
        let Some(call) = ast::MacroCall::cast(n.clone()) else {
            continue;
        };
        if n.ancestors().any(|a| a.kind() == MACRO_BODY) {
            continue;
        }
        let name = call.name();
        // A parameter reference inside a macro argument is not an invocation.
        if n.ancestors().skip(1).any(|a| a.kind() == MACRO_ARG) {
            continue;
        }
        match local.get(&name).or_else(|| library.get(&name)) {
            None => errors.push(
                Diagnostic::error(
                    codes::MACRO_UNKNOWN,
                    format!("unknown macro or operator `@{name}`"),
                )
                .with_primary(
                    range_span(&n),
                    "not a built-in operator nor a defined macro",
                )
                .with_help("define it with `@define`, or correct the operator's name"),
            ),
            Some(def) => {
                let nargs = call.args().len();
                if !def.params.is_empty() && nargs != def.params.len() {
                    errors.push(
                        Diagnostic::error(
                            codes::MACRO_ARITY,
                            format!(
                                "macro `@{name}` takes {} parameter(s), {} given",
                                def.params.len(),
                                nargs
                            ),
                        )
                        .with_primary(range_span(&n), "invoked here")
                        .with_help("pass one argument per parameter"),
                    );
                }
            }
        }
    }
    // Top-level soups start with an invocation too.
    for s in file.syntax().children().filter(|c| c.kind() == TOKEN_SOUP) {
        let first = s
            .children_with_tokens()
            .filter_map(|e| e.into_token())
            .find(|t| !t.kind().is_trivia());
        if let Some(t) = first.filter(|t| t.kind() == AT_IDENT) {
            let name = &t.text()[1..];
            if !local.contains_key(name) && !library.contains_key(name) {
                let r = t.text_range();
                errors.push(
                    Diagnostic::error(
                        codes::MACRO_UNKNOWN,
                        format!("unknown macro or operator `@{name}`"),
                    )
                    .with_primary(
                        span(r.start().into(), r.end().into()),
                        "not a defined macro",
                    )
                    .with_help("define it with `@define`, or correct the name"),
                );
            }
        }
    }
    errors
}
