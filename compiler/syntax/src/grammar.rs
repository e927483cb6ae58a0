//! The SystemTap grammar, written after stap's own recursive-descent
//! parser (precedence, which constructs take literals only, what a probe
//! point may contain), on top of the event parser in [`crate::parser`].
//!
//! Preprocessor conditionals are parsed where they stand: each arm is
//! parsed speculatively in the syntactic context of the conditional (list
//! of declarations, statements, one expression, probe points, globals,
//! parameters, probe-point components). An arm that does not parse there
//! is kept as a flat `TOKEN_SOUP` inside its arm node and its errors are
//! dropped: like stap, an arm is only checked when a target selects it
//! (see `preprocess::resolve`). Top-level macro invocations are kept as a
//! `TOKEN_SOUP` up to the next declaration keyword, because only their
//! expansion can be parsed.

use std::collections::HashMap;

use crate::parser::{CompletedMarker, Marker, Parser};
use crate::syntax_kind::SyntaxKind::{self, *};
use crate::{codes, span};
use diag::Diagnostic;

/// Built-in @-operators: anything else after `@` is a macro invocation.
pub const AT_OPERATORS: &[&str] = &[
    "cast",
    "defined",
    "probewrite",
    "entry",
    "perf",
    "var",
    "avg",
    "count",
    "sum",
    "min",
    "max",
    "hist_linear",
    "hist_log",
    "const",
    "variance",
    "kregister",
    "uregister",
    "kderef",
    "uderef",
];

/// Statistic operators usable as a foreach sort key.
const SORT_STATS: &[&str] = &["@avg", "@min", "@max", "@count", "@sum", "@variance"];

/// The print family: checked specially while parsing, like stap does.
pub const PRINT_FUNCTIONS: &[&str] = &[
    "print",
    "println",
    "printf",
    "printd",
    "printdln",
    "sprint",
    "sprintln",
    "sprintf",
    "sprintd",
    "sprintdln",
];

pub(crate) fn is_at_operator(text: &str) -> bool {
    text.strip_prefix('@')
        .is_some_and(|n| AT_OPERATORS.contains(&n))
}

/// Contexts in which a conditional's arms are parsed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Ctx {
    Items,
    Stmts,
    Expr,
    ProbePoints,
    Components,
    GlobalVars,
    Params,
}

#[derive(Default)]
pub(crate) struct State {
    globals: HashMap<String, ((u32, u32), bool)>,
    macros: HashMap<String, (u32, u32)>,
}

fn is_sync(k: SyntaxKind) -> bool {
    matches!(
        k,
        PROBE_KW | FUNCTION_KW | GLOBAL_KW | PRIVATE_KW | EMBEDDED_CODE
    )
}
fn is_pp_marker(k: SyntaxKind) -> bool {
    matches!(k, PP_THEN | PP_ELSE | PP_CLOSE)
}
fn is_eof(k: SyntaxKind) -> bool {
    k == __LAST_TOKEN
}

pub(crate) fn source_file(p: &mut Parser<'_>, st: &mut State) {
    let m = p.start();
    items(p, st);
    // Anything left (only possible after stray conditional markers) is
    // swallowed so that the root covers the whole text.
    if !p.at_eof() {
        let e = p.start();
        while !p.at_eof() {
            p.bump();
        }
        e.complete(p, ERROR);
    }
    m.complete(p, SOURCE_FILE);
}

fn at_define(p: &Parser<'_>) -> bool {
    p.peek_kind() == AT_IDENT && p.current_text() == "@define"
}

fn items(p: &mut Parser<'_>, st: &mut State) {
    loop {
        let k = p.current();
        if is_eof(k) {
            break;
        }
        if is_pp_marker(k) {
            if p.arm_depth > 0 {
                break;
            }
            stray_pp_marker(p);
            continue;
        }
        let before = p.errors.len();
        item(p, st);
        // After an error, skip quietly to something a declaration can
        // start with, like stap's recovery.
        if p.errors.len() > before {
            recover_top(p);
        }
    }
}

fn recover_top(p: &mut Parser<'_>) {
    let k = p.peek_kind();
    if is_eof(k) || is_sync(k) || k == PP_OPEN || at_define(p) || is_pp_marker(k) {
        return;
    }
    let m = p.start();
    loop {
        let k = p.peek_kind();
        if is_eof(k) || is_sync(k) || k == PP_OPEN || at_define(p) || is_pp_marker(k) {
            break;
        }
        p.bump();
    }
    m.complete(p, ERROR);
}

fn stray_pp_marker(p: &mut Parser<'_>) {
    let r = p.current_range();
    let t = p.current_text().to_string();
    p.error_at(
        codes::PP_MALFORMED,
        r,
        format!("`{t}` without an open `%(` conditional"),
        "no conditional is open here",
        "remove it, or add the `%( condition %?` that should open the conditional",
    );
    let m = p.start();
    p.bump();
    m.complete(p, ERROR);
}

fn item(p: &mut Parser<'_>, st: &mut State) {
    match p.current() {
        PROBE_KW => probe_decl(p),
        FUNCTION_KW => {
            let m = p.start();
            function_decl(p, m)
        }
        GLOBAL_KW => {
            let m = p.start();
            global_decl(p, st, m, false)
        }
        PRIVATE_KW => private_decl(p, st),
        EMBEDDED_CODE => {
            let m = p.start();
            p.bump();
            m.complete(p, EMBEDDED_DECL);
        }
        PP_OPEN => {
            pp_cond(p, st, Ctx::Items);
        }
        AT_IDENT if at_define(p) => macro_def(p, st),
        AT_IDENT if !is_at_operator(p.current_text()) => top_macro_soup(p),
        _ => {
            let r = p.current_range();
            let found = p.peek_kind().describe();
            p.error_at(
                codes::EXPECTED_DECL,
                r,
                format!(
                    "expected `probe`, `global`, `private`, `function`, or `%{{`, found {found}"
                ),
                "a declaration must start here",
                "statements belong inside a probe body, e.g. `probe begin { ... }`",
            );
            let m = p.start();
            p.bump();
            m.complete(p, ERROR);
        }
    }
}

/// A top-level macro invocation: kept as tokens up to the next declaration.
fn top_macro_soup(p: &mut Parser<'_>) {
    let m = p.start();
    let mut level: u32 = 0;
    let mut first = true;
    loop {
        let k = p.peek_kind();
        if is_eof(k) {
            break;
        }
        if level == 0 && !first && (is_sync(k) || k == PP_OPEN || at_define(p) || is_pp_marker(k)) {
            break;
        }
        first = false;
        match k {
            L_PAREN | L_BRACK | L_CURLY => level += 1,
            R_PAREN | R_BRACK | R_CURLY => level = level.saturating_sub(1),
            _ => {}
        }
        p.bump();
    }
    m.complete(p, TOKEN_SOUP);
}

// ---------------------------------------------------------------- macros

fn macro_def(p: &mut Parser<'_>, st: &mut State) {
    let m = p.start();
    let def_range = p.current_range();
    p.bump(); // @define
    if p.at(IDENT) || p.peek_kind().is_keyword() {
        let name = p.current_text().to_string();
        let r = p.current_range();
        if name == "define" {
            p.error_at(
                codes::MACRO_REDEFINED,
                r,
                "attempt to redefine `@define`",
                "`define` is reserved",
                "choose another macro name",
            );
        } else if p.arm_depth == 0 {
            if let Some(&first) = st.macros.get(&name) {
                p.push_error(
                    Diagnostic::error(
                        codes::MACRO_REDEFINED,
                        format!("attempt to redefine macro `@{name}` in the same file"),
                    )
                    .with_primary(span(r.0, r.1), "redefined here")
                    .with_secondary(span(first.0, first.1), "first defined here")
                    .with_help("remove one of the definitions or rename it"),
                );
            } else {
                st.macros.insert(name, r);
            }
        }
        let n = p.start();
        p.bump();
        n.complete(p, NAME);
    } else {
        let r = p.current_range();
        p.error_at(
            codes::MACRO_MALFORMED,
            r,
            "expected a macro name after `@define`",
            "macro name expected",
            "write `@define NAME %( BODY %)`",
        );
        m.complete(p, MACRO_DEF);
        return;
    }
    if p.at(L_PAREN) {
        let l = p.start();
        let open = p.current_range();
        p.bump();
        loop {
            if p.at(IDENT) {
                let n = p.start();
                p.bump();
                n.complete(p, NAME);
            } else {
                let r = p.current_range();
                p.error_at(
                    codes::MACRO_MALFORMED,
                    r,
                    "expected a parameter name",
                    "identifier expected",
                    "macro parameters are plain names: `@define f(a, b) %( ... %)`",
                );
                break;
            }
            if !p.eat(COMMA) {
                break;
            }
        }
        p.expect_closing(R_PAREN, open);
        l.complete(p, MACRO_PARAM_LIST);
    }
    if !p.at(PP_OPEN) {
        let r = p.current_range();
        p.error_at(
            codes::MACRO_MALFORMED,
            r,
            "expected `%(` to start the macro body",
            "`%(` expected",
            "write the body as `%( ... %)`",
        );
        m.complete(p, MACRO_DEF);
        return;
    }
    p.bump();
    let body = p.start();
    let mut level: u32 = 0;
    loop {
        match p.peek_kind() {
            __LAST_TOKEN => break,
            PP_OPEN => level += 1,
            PP_CLOSE => {
                if level == 0 {
                    break;
                }
                level -= 1;
            }
            AT_IDENT if p.current_text() == "@define" => {
                let r = p.current_range();
                p.error_at(
                    codes::MACRO_MALFORMED,
                    r,
                    "`@define` is not allowed inside a macro body",
                    "nested definition",
                    "define macros at the top level",
                );
            }
            _ => {}
        }
        p.bump();
    }
    body.complete(p, MACRO_BODY);
    if !p.eat(PP_CLOSE) {
        p.push_error(
            Diagnostic::error(
                codes::MACRO_MALFORMED,
                "incomplete macro definition: missing `%)`",
            )
            .with_primary(span(def_range.0, def_range.1), "macro defined here")
            .with_help("close the macro body with `%)`"),
        );
    }
    m.complete(p, MACRO_DEF);
}

/// `@name` or `@name(arg, ...)`, arguments kept as tokens.
fn macro_call(p: &mut Parser<'_>) -> CompletedMarker {
    let m = p.start();
    p.bump();
    if p.at(L_PAREN) {
        let l = p.start();
        let open = p.current_range();
        p.bump();
        loop {
            let a = p.start();
            let mut level: u32 = 0;
            loop {
                match p.peek_kind() {
                    __LAST_TOKEN => break,
                    L_PAREN | L_BRACK => level += 1,
                    R_PAREN | R_BRACK if level > 0 => level -= 1,
                    R_PAREN | COMMA if level == 0 => break,
                    _ => {}
                }
                p.bump();
            }
            a.complete(p, MACRO_ARG);
            if !p.eat(COMMA) {
                break;
            }
        }
        p.expect_closing(R_PAREN, open);
        l.complete(p, MACRO_ARG_LIST);
    }
    m.complete(p, MACRO_CALL)
}

// ---------------------------------------------------------- conditionals

fn pp_cond(p: &mut Parser<'_>, st: &mut State, ctx: Ctx) -> Option<CompletedMarker> {
    if !p.enter() {
        p.skip_deep();
        return None;
    }
    let m = p.start();
    let open = p.current_range();
    p.bump(); // %(
    pp_condition(p);
    if !p.eat(PP_THEN) {
        let r = p.current_range();
        p.push_error(
            Diagnostic::error(codes::PP_MALFORMED, "expected `%?` after the condition")
                .with_primary(span(r.0, r.1), "`%?` expected")
                .with_secondary(span(open.0, open.1), "conditional opened here")
                .with_help("write `%( CONDITION %? THEN %: ELSE %)`"),
        );
        // Skip the rest of the malformed condition up to the arm.
        let e = p.start();
        while !matches!(p.peek_kind(), PP_THEN | PP_ELSE | PP_CLOSE | __LAST_TOKEN) {
            p.bump();
        }
        e.complete(p, ERROR);
        p.eat(PP_THEN);
    }
    pp_arm(p, st, ctx, PP_THEN_ARM);
    if p.at(PP_ELSE) {
        p.bump();
        pp_arm(p, st, ctx, PP_ELSE_ARM);
    }
    // Duplicate markers: report, then keep the rest as an error node.
    while matches!(p.peek_kind(), PP_THEN | PP_ELSE) {
        let r = p.current_range();
        let what = if p.peek_kind() == PP_THEN {
            "`%?`"
        } else {
            "`%:`"
        };
        p.push_error(
            Diagnostic::error(
                codes::PP_MALFORMED,
                format!("invalid conditional: duplicate {what}"),
            )
            .with_primary(span(r.0, r.1), "duplicate marker")
            .with_secondary(span(open.0, open.1), "in the conditional opened here")
            .with_help("a conditional has one `%?` and at most one `%:`"),
        );
        let e = p.start();
        p.bump();
        raw_until_pp(p);
        e.complete(p, ERROR);
    }
    if !p.eat(PP_CLOSE) {
        if p.at_eof() {
            p.push_error(
                Diagnostic::error(
                    codes::PP_UNTERMINATED,
                    "incomplete conditional at end of file",
                )
                .with_primary(
                    span(open.0, open.1),
                    "conditional opened here is never closed",
                )
                .with_help("close the conditional with `%)`"),
            );
        } else {
            p.expect_closing(PP_CLOSE, open);
        }
    }
    let c = m.complete(p, PP_COND);
    p.leave();
    Some(c)
}

/// Consume tokens up to (not including) a top-level `%?`, `%:` or `%)`.
fn raw_until_pp(p: &mut Parser<'_>) {
    let mut level: u32 = 0;
    loop {
        match p.peek_kind() {
            __LAST_TOKEN => break,
            PP_OPEN => level += 1,
            PP_CLOSE if level > 0 => level -= 1,
            PP_THEN | PP_ELSE | PP_CLOSE if level == 0 => break,
            _ => {}
        }
        p.bump();
    }
}

fn pp_arm(p: &mut Parser<'_>, st: &mut State, ctx: Ctx, kind: SyntaxKind) {
    let cp = p.checkpoint();
    let saved_fn = p.in_function;
    let m = p.start();
    p.arm_depth += 1;
    arm_contents(p, st, ctx);
    p.arm_depth -= 1;
    let ok = !p.errors_since(&cp)
        && matches!(p.peek_kind(), PP_THEN | PP_ELSE | PP_CLOSE | __LAST_TOKEN);
    if ok {
        m.complete(p, kind);
        return;
    }
    p.rewind(cp);
    p.in_function = saved_fn;
    let m = p.start();
    let s = p.start();
    raw_until_pp(p);
    s.complete(p, TOKEN_SOUP);
    m.complete(p, kind);
}

fn arm_contents(p: &mut Parser<'_>, st: &mut State, ctx: Ctx) {
    let stop =
        |p: &mut Parser<'_>| matches!(p.current(), PP_THEN | PP_ELSE | PP_CLOSE | __LAST_TOKEN);
    match ctx {
        Ctx::Items => items(p, st),
        Ctx::Stmts => {
            while !stop(p) {
                let before = p.pos;
                statement(p, st);
                if p.pos == before {
                    // `}` or a declaration keyword: not a statement list.
                    break;
                }
            }
        }
        Ctx::Expr => {
            if !stop(p) {
                expr(p, st);
            }
        }
        // In list contexts an arm may carry the separating commas itself,
        // e.g. `f(a %( cond %? , b %))`.
        Ctx::ProbePoints => {
            while !stop(p) {
                if p.eat(COMMA) {
                    continue;
                }
                probe_point_or_cond(p, st);
                if !p.eat(COMMA) && !p.at(PP_OPEN) {
                    break;
                }
            }
        }
        Ctx::Components => {
            while !stop(p) {
                component(p, st);
                if !p.eat(DOT) {
                    break;
                }
            }
        }
        Ctx::GlobalVars => {
            while !stop(p) {
                if p.eat(COMMA) {
                    continue;
                }
                if p.at(PP_OPEN) {
                    pp_cond(p, st, Ctx::GlobalVars);
                } else {
                    global_var(p, st);
                }
                if !p.eat(COMMA) {
                    break;
                }
            }
        }
        Ctx::Params => {
            let mut seen = HashMap::new();
            while !stop(p) {
                if p.eat(COMMA) {
                    continue;
                }
                if !param_or_cond(p, st, &mut seen) {
                    break;
                }
                if !p.eat(COMMA) && !p.at(PP_OPEN) {
                    break;
                }
            }
        }
    }
}

/// `lhs op rhs (&& | || lhs op rhs)*`, each operand a single token.
fn pp_condition(p: &mut Parser<'_>) {
    let m = p.start();
    loop {
        let c = p.start();
        let l = pp_operand(p);
        let op = p.peek_kind();
        let op_range = p.current_range();
        let mut r = None;
        if l.is_some() {
            if matches!(op, LT | GT | LTEQ | GTEQ | EQ2 | NEQ) {
                p.bump();
                r = pp_operand(p);
            } else {
                let found = if p.at_eof() {
                    "end of file".to_string()
                } else {
                    op.describe()
                };
                p.error_at(
                    codes::PP_BAD_CONDITION,
                    op_range,
                    format!("expected a comparison operator in the condition, found {found}"),
                    "comparison operator expected",
                    "a condition compares two values, e.g. `%( arch == \"x86_64\" %? ... %)`",
                );
            }
        }
        c.complete(p, PP_COMPARISON);
        if let (Some(l), Some(r)) = (l, r) {
            check_comparison(p, l, op, op_range, r);
        } else {
            break;
        }
        if !p.eat(AMP2) && !p.eat(PIPE2) {
            break;
        }
    }
    m.complete(p, PP_CONDITION);
}

type Operand = (SyntaxKind, String, (u32, u32));

fn pp_operand(p: &mut Parser<'_>) -> Option<Operand> {
    let k = p.current();
    if matches!(k, IDENT | NUMBER | STRING | CMDLINE_ARG) || k.is_keyword() {
        let o = (k, p.current_text().to_string(), p.current_range());
        let m = p.start();
        p.bump();
        m.complete(p, PP_OPERAND);
        Some(o)
    } else {
        let r = p.current_range();
        let found = if p.at_eof() {
            "end of file".to_string()
        } else {
            k.describe()
        };
        p.error_at(
            codes::PP_BAD_CONDITION,
            r,
            format!("incomplete condition: expected an operand, found {found}"),
            "operand expected",
            "a condition compares two values, e.g. `%( kernel_v >= \"2.6.30\" %? ... %)`",
        );
        None
    }
}

/// Classifies an operand the way stap's condition evaluator sees it.
fn operand_class(o: &Operand) -> &'static str {
    match o.0 {
        NUMBER => "number",
        STRING => "string",
        CMDLINE_ARG if o.1 == "$#" => "number",
        CMDLINE_ARG if o.1.starts_with('@') => "string",
        CMDLINE_ARG => "arg",
        _ => "ident",
    }
}

fn check_comparison(p: &mut Parser<'_>, l: Operand, op: SyntaxKind, op_r: (u32, u32), r: Operand) {
    let eq_only = matches!(op, EQ2 | NEQ);
    let rc = operand_class(&r);
    let lc = operand_class(&l);
    let bad = |p: &mut Parser<'_>, at: (u32, u32), msg: &str| {
        p.error_at(
            codes::PP_BAD_CONDITION,
            at,
            msg.to_string(),
            "invalid condition",
            "see `xstap --explain E0203` for the forms a condition may take",
        );
    };
    if lc == "arg" || rc == "arg" {
        return; // An unsubstituted `$N`: judged after substitution.
    }
    if lc == "ident" {
        match l.1.as_str() {
            "kernel_v" | "kernel_vr" | "systemtap_v" => {
                if rc != "string" {
                    bad(p, r.2, "expected a string literal (a version) on the right");
                } else if !eq_only && r.1.contains(['*', '?', '[']) {
                    bad(p, op_r, "wildcards are not allowed with order comparison operators");
                }
            }
            "arch" | "runtime" | "systemtap_privilege" => {
                if rc != "string" {
                    bad(p, r.2, "expected a string literal on the right");
                } else if !eq_only {
                    bad(p, op_r, "expected `==` or `!=`");
                }
            }
            "guru_mode" => {
                if rc != "number" {
                    bad(p, r.2, "expected a number (0 or 1) on the right");
                } else if r.1 != "0" && r.1 != "1" {
                    bad(p, r.2, "expected 0 or 1");
                } else if !eq_only {
                    bad(p, op_r, "expected `==` or `!=`");
                }
            }
            s if s.starts_with("CONFIG_") => {
                if rc == "string" {
                    if !eq_only {
                        bad(p, op_r, "expected `==` or `!=` when comparing a CONFIG option with a string");
                    }
                } else if rc == "number" || (rc == "ident" && r.1.starts_with("CONFIG_")) {
                } else {
                    bad(p, r.2, "expected a string, a number or another CONFIG_ option on the right");
                }
            }
            _ => bad(
                p,
                l.2,
                "expected `arch`, `kernel_v`, `kernel_vr`, `systemtap_v`, `runtime`, `systemtap_privilege`, `guru_mode`, `CONFIG_...`, or a comparison between strings or numbers",
            ),
        }
        return;
    }
    match (lc, rc) {
        ("string", "string") | ("number", "number") => {}
        ("string", _) => bad(p, r.2, "expected a string literal as right value"),
        ("number", _) => bad(p, r.2, "expected a number literal as right value"),
        _ => bad(p, l.2, "invalid left operand"),
    }
}

// ----------------------------------------------------------- probes

fn probe_decl(p: &mut Parser<'_>) {
    let mut st_dummy = State::default();
    let st = &mut st_dummy;
    let m = p.start();
    p.bump(); // probe
    let mut alias = false;
    let mut epilogue = false;
    loop {
        let (mut list, info) = probe_point_list(p, st);
        if matches!(p.peek_kind(), EQ | PLUSEQ) && info.points == 1 && !info.has_cond_node {
            list.change_kind(p, ALIAS_NAME);
            if info.optional_or_cond {
                let r = info.first_range;
                p.error_at(
                    codes::BAD_ALIAS,
                    r,
                    "probe point alias name cannot be optional nor sufficient nor conditional",
                    "alias name",
                    "remove the `?`, `!` or `if` from the alias name",
                );
            }
            if info.macro_name {
                let r = info.first_range;
                p.error_at(
                    codes::BAD_ALIAS,
                    r,
                    "a probe alias name cannot be an @-word",
                    "alias name",
                    "name the alias with plain identifiers",
                );
            }
            if p.at(PLUSEQ) {
                epilogue = true;
            }
            alias = true;
            p.bump();
            continue;
        }
        if p.at(L_CURLY) {
            break;
        }
        let r = p.current_range();
        let found = if p.at_eof() {
            "end of file".to_string()
        } else {
            p.peek_kind().describe()
        };
        p.error_at(
            codes::BAD_PROBE_POINT,
            r,
            format!("expected one of `,` `{{` `=` `+=` after the probe point, found {found}"),
            "unexpected here",
            "separate probe points with `.` (components) or `,` (alternatives), then write the body in `{ }`",
        );
        m.complete(p, if alias { PROBE_ALIAS_DECL } else { PROBE_DECL });
        return;
    }
    let saved = p.in_function;
    p.in_function = false;
    block(p, st);
    if alias && p.at(COMMA) {
        if epilogue {
            let r = p.current_range();
            p.error_at(
                codes::BAD_ALIAS,
                r,
                "combined prologue and epilogue cannot be defined with `+=`",
                "second body",
                "use `=` for the combined form `probe a = b { } , { }`",
            );
        }
        p.bump();
        block(p, st);
    }
    p.in_function = saved;
    m.complete(p, if alias { PROBE_ALIAS_DECL } else { PROBE_DECL });
}

#[derive(Default)]
struct ListInfo {
    points: u32,
    has_cond_node: bool,
    optional_or_cond: bool,
    macro_name: bool,
    /// Some point of the list carries `?`, `!` or `if`.
    any_suffix: bool,
    first_range: (u32, u32),
}

fn probe_point_list(p: &mut Parser<'_>, st: &mut State) -> (CompletedMarker, ListInfo) {
    let m = p.start();
    let mut info = ListInfo {
        first_range: p.current_range(),
        ..Default::default()
    };
    loop {
        if p.at(PP_OPEN) {
            info.has_cond_node = true;
            pp_cond(p, st, Ctx::ProbePoints);
            if p.eat(COMMA) {
                continue;
            }
            let k = p.current();
            if matches!(k, IDENT | STAR | PP_OPEN) || (k.is_keyword() && k != IF_KW) {
                continue;
            }
            break;
        }
        let pi = probe_point(p, st);
        info.points += 1;
        info.optional_or_cond |= pi.suffix;
        info.any_suffix |= pi.suffix;
        info.macro_name |= pi.macro_first;
        if !p.eat(COMMA) && !p.at(PP_OPEN) {
            break;
        }
    }
    (m.complete(p, PROBE_POINT_LIST), info)
}

fn probe_point_or_cond(p: &mut Parser<'_>, st: &mut State) {
    if p.at(PP_OPEN) {
        pp_cond(p, st, Ctx::ProbePoints);
    } else {
        probe_point(p, st);
    }
}

struct PointInfo {
    suffix: bool,
    macro_first: bool,
}

fn probe_point(p: &mut Parser<'_>, st: &mut State) -> PointInfo {
    let m = p.start();
    let mut info = PointInfo {
        suffix: false,
        macro_first: false,
    };
    let mut first = true;
    loop {
        if first && p.at(AT_IDENT) {
            info.macro_first = true;
        }
        first = false;
        let inner_suffix = component(p, st);
        if p.at(DOT) {
            if inner_suffix {
                let r = p.prev_range();
                p.error_at(
                    codes::BAD_PROBE_POINT,
                    r,
                    "`?`, `!` or a condition must only be specified at the end of a probe point",
                    "inside a brace expansion followed by more components",
                    "move the `?`, `!` or `if` after the last component",
                );
            }
            p.bump();
            continue;
        }
        info.suffix |= inner_suffix;
        break;
    }
    if matches!(p.peek_kind(), QUESTION | BANG) {
        info.suffix = true;
        p.bump();
        if matches!(p.peek_kind(), QUESTION | BANG) {
            let r = p.current_range();
            p.error_at(
                codes::BAD_PROBE_POINT,
                r,
                "`?` or `!` respecified",
                "second marker",
                "use only one of `?` and `!`",
            );
            p.bump();
        }
    }
    if p.at(IF_KW) {
        info.suffix = true;
        let c = p.start();
        p.bump();
        let open = p.current_range();
        if p.expect(L_PAREN) {
            expr(p, st);
            p.expect_closing(R_PAREN, open);
        }
        c.complete(p, PROBE_COND);
    }
    m.complete(p, PROBE_POINT);
    info
}

/// One component; returns whether a brace expansion inside carries a
/// suffix (`?`, `!`, `if`).
fn component(p: &mut Parser<'_>, st: &mut State) -> bool {
    let m = p.start();
    let mut suffix = false;
    let k = p.current();
    match k {
        L_CURLY => {
            if !p.enter() {
                p.skip_deep();
                m.complete(p, COMPONENT);
                return false;
            }
            let b = p.start();
            let open = p.current_range();
            p.bump();
            let (_, info) = probe_point_list(p, st);
            suffix = info.any_suffix;
            p.expect_closing(R_CURLY, open);
            b.complete(p, BRACE_EXPANSION);
            p.leave();
        }
        AT_IDENT if !is_at_operator(p.current_text()) => {
            macro_call(p);
        }
        PP_OPEN => {
            pp_cond(p, st, Ctx::Components);
        }
        _ if k == IDENT || k == STAR || k.is_keyword() => {
            let n = p.start();
            p.bump();
            while !p.trivia_before()
                && (matches!(p.peek_kind(), IDENT | STAR) || p.peek_kind().is_keyword())
            {
                p.bump();
            }
            n.complete(p, COMPONENT_NAME);
            if p.at(L_PAREN) {
                let a = p.start();
                let open = p.current_range();
                p.bump();
                component_literal(p);
                p.expect_closing(R_PAREN, open);
                a.complete(p, COMPONENT_ARG);
            }
        }
        _ => {
            let r = p.current_range();
            let found = if p.at_eof() {
                "end of file".to_string()
            } else {
                k.describe()
            };
            p.error_at(
                codes::BAD_PROBE_POINT,
                r,
                format!(
                    "expected a probe point component (identifier, `*` or `{{`), found {found}"
                ),
                "component expected",
                "probe points look like `kernel.function(\"name\").return`",
            );
        }
    }
    m.complete(p, COMPONENT);
    suffix
}

/// The literal parameter of a component: strings, a (negative) number, an
/// unsubstituted command-line argument, or a macro invocation.
fn component_literal(p: &mut Parser<'_>) {
    // Strings glued with `@N` or with conditionals are resolved per target.
    if matches!(p.peek_kind(), STRING | CMDLINE_ARG | PP_OPEN) {
        let mut i = 0;
        let mut mixed = false;
        loop {
            match p.nth(i) {
                STRING => {}
                CMDLINE_ARG | PP_OPEN | PP_THEN | PP_ELSE | PP_CLOSE | EQ2 | NEQ | LT | GT
                | LTEQ | GTEQ | AMP2 | PIPE2 | IDENT | NUMBER => mixed = true,
                _ => break,
            }
            i += 1;
        }
        if mixed && i > 1 {
            let m = p.start();
            for _ in 0..i {
                p.bump();
            }
            m.complete(p, TOKEN_SOUP);
            return;
        }
    }
    match p.current() {
        STRING => {
            let m = p.start();
            while p.at(STRING) {
                p.bump();
            }
            m.complete(p, LITERAL);
        }
        NUMBER | MINUS => {
            let m = p.start();
            let neg = p.eat(MINUS);
            if p.at(NUMBER) {
                check_number(p, neg);
                p.bump();
            } else {
                p.error_expected("a number");
            }
            m.complete(p, LITERAL);
        }
        CMDLINE_ARG => {
            let m = p.start();
            p.bump();
            m.complete(p, CMDLINE_ARG_EXPR);
        }
        AT_IDENT if !is_at_operator(p.current_text()) => {
            macro_call(p);
        }
        _ => {
            let r = p.current_range();
            p.error_at(
                codes::BAD_PROBE_POINT,
                r,
                "a probe point parameter must be a literal string or number",
                "literal expected",
                "write the value literally, e.g. `.maxactive(5)` or `process(\"/bin/ls\")`",
            );
            // Skip to the closing parenthesis.
            let e = p.start();
            let mut level: u32 = 0;
            loop {
                match p.peek_kind() {
                    __LAST_TOKEN | L_CURLY | R_CURLY => break,
                    L_PAREN => level += 1,
                    R_PAREN if level == 0 => break,
                    R_PAREN => level -= 1,
                    _ => {}
                }
                p.bump();
            }
            e.complete(p, ERROR);
        }
    }
}

/// Validates the current NUMBER token as stap's `strtoull(.., 0)` would.
fn check_number(p: &mut Parser<'_>, negated: bool) {
    let text = p.current_text();
    let ok = match parse_number(text) {
        Some(v) => !(negated && v > 9_223_372_036_854_775_808),
        None => false,
    };
    if !ok {
        let r = p.current_range();
        p.error_at(
            codes::BAD_NUMBER,
            r,
            format!("number `{text}` invalid or out of range"),
            "invalid number",
            "use decimal, 0x-hexadecimal or 0-octal digits within 64 bits; names cannot start with a digit",
        );
    }
}

/// The value of a number literal (decimal, `0x` hex, `0` octal), as stap
/// reads it; `None` when malformed or above `u64::MAX`.
pub fn parse_number(text: &str) -> Option<u64> {
    let (digits, radix) =
        if let Some(h) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
            (h, 16)
        } else if text.len() > 1 && text.starts_with('0') {
            (&text[1..], 8)
        } else {
            (text, 10)
        };
    if digits.is_empty() {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

// ----------------------------------------------------- functions, globals

fn private_decl(p: &mut Parser<'_>, st: &mut State) {
    let m = p.start();
    p.bump(); // private
    match p.current() {
        FUNCTION_KW => function_decl(p, m),
        GLOBAL_KW => global_decl(p, st, m, true),
        IDENT => global_list(p, st, m, true),
        _ => {
            p.error_expected("`function`, `global` or an identifier after `private`");
            m.complete(p, GLOBAL_DECL);
        }
    }
}

fn function_decl(p: &mut Parser<'_>, m: Marker) {
    let mut st = State::default();
    let st = &mut st;
    p.bump(); // function
    if matches!(p.peek_kind(), IDENT | STRING_KW | LONG_KW) {
        let n = p.start();
        p.bump();
        n.complete(p, NAME);
    } else {
        p.error_expected("a function name");
        m.complete(p, FUNCTION_DECL);
        return;
    }
    if p.at(COLON) {
        type_annot(p);
    }
    if !p.at(L_PAREN) {
        p.error_expected("`(`");
        m.complete(p, FUNCTION_DECL);
        return;
    }
    param_list(p, st);
    if p.at(COLON) {
        let f = p.start();
        p.bump();
        let neg = p.eat(MINUS);
        if p.at(NUMBER) {
            let v = parse_number(p.current_text());
            if neg || v == Some(0) {
                let r = p.current_range();
                p.error_at(
                    codes::SYNTAX,
                    r,
                    "specified priority must be > 0",
                    "priority",
                    "priority 0 is reserved for the user script; use 1 or more",
                );
            } else {
                check_number(p, false);
            }
            p.bump();
        } else {
            p.error_expected("a literal number (the function's priority)");
        }
        f.complete(p, FUNCTION_PRIORITY);
    }
    if p.at(EMBEDDED_CODE) {
        p.bump();
    } else {
        let saved = p.in_function;
        p.in_function = true;
        block(p, st);
        p.in_function = saved;
    }
    m.complete(p, FUNCTION_DECL);
}

fn type_annot(p: &mut Parser<'_>) {
    let t = p.start();
    p.bump(); // :
    if !p.eat(STRING_KW) && !p.eat(LONG_KW) {
        p.error_expected("`string` or `long`");
    }
    t.complete(p, TYPE_ANNOT);
}

fn param_list(p: &mut Parser<'_>, st: &mut State) {
    let m = p.start();
    let open = p.current_range();
    p.bump();
    let mut seen: HashMap<String, (u32, u32)> = HashMap::new();
    loop {
        if p.at(R_PAREN) || p.at_eof() {
            break;
        }
        if !param_or_cond(p, st, &mut seen) {
            break;
        }
        if !p.eat(COMMA) && !p.at(PP_OPEN) {
            break;
        }
    }
    p.expect_closing(R_PAREN, open);
    m.complete(p, PARAM_LIST);
}

fn param_or_cond(
    p: &mut Parser<'_>,
    st: &mut State,
    seen: &mut HashMap<String, (u32, u32)>,
) -> bool {
    if p.at(PP_OPEN) {
        pp_cond(p, st, Ctx::Params);
        return true;
    }
    if !p.at(IDENT) {
        let k = p.peek_kind();
        if matches!(k, R_PAREN | L_CURLY | R_CURLY | __LAST_TOKEN) || is_pp_marker(k) {
            p.error_expected("a parameter name");
        } else {
            p.err_and_bump("a parameter name");
        }
        return false;
    }
    let m = p.start();
    let name = p.current_text().to_string();
    let r = p.current_range();
    if p.arm_depth == 0 {
        if let Some(&first) = seen.get(&name) {
            p.push_error(
                Diagnostic::error(
                    codes::DUPLICATE_PARAM,
                    format!("duplicate parameter name `{name}`"),
                )
                .with_primary(span(r.0, r.1), "declared again here")
                .with_secondary(span(first.0, first.1), "first declared here")
                .with_help("rename one of the parameters"),
            );
        } else {
            seen.insert(name, r);
        }
    }
    let n = p.start();
    p.bump();
    n.complete(p, NAME);
    if p.at(COLON) {
        type_annot(p);
    }
    m.complete(p, PARAM);
    true
}

fn global_decl(p: &mut Parser<'_>, st: &mut State, m: Marker, private: bool) {
    p.bump(); // global
    global_list(p, st, m, private);
}

fn global_list(p: &mut Parser<'_>, st: &mut State, m: Marker, private: bool) {
    loop {
        if p.at(PP_OPEN) {
            pp_cond(p, st, Ctx::GlobalVars);
        } else if !global_var_impl(p, st, private) {
            break;
        }
        if !p.eat(COMMA) && !p.at(PP_OPEN) {
            break;
        }
    }
    p.eat(SEMICOLON);
    m.complete(p, GLOBAL_DECL);
}

fn global_var(p: &mut Parser<'_>, st: &mut State) -> bool {
    global_var_impl(p, st, false)
}

fn global_var_impl(p: &mut Parser<'_>, st: &mut State, private: bool) -> bool {
    if !p.at(IDENT) {
        p.error_expected("an identifier (the global's name)");
        return false;
    }
    let m = p.start();
    let name = p.current_text().to_string();
    let r = p.current_range();
    if p.arm_depth == 0 {
        if let Some(&(first, was_private)) = st.globals.get(&name) {
            let msg = if was_private != private {
                format!("global versus private variable declaration conflict for `{name}`")
            } else {
                format!("duplicate global name `{name}`")
            };
            p.push_error(
                Diagnostic::error(codes::DUPLICATE_GLOBAL, msg)
                    .with_primary(span(r.0, r.1), "declared again here")
                    .with_secondary(span(first.0, first.1), "first declared here")
                    .with_help("remove one of the declarations"),
            );
        } else {
            st.globals.insert(name, (r, private));
        }
    }
    let n = p.start();
    p.bump();
    n.complete(p, NAME);
    p.eat(PERCENT);
    let mut sized = false;
    if p.at(L_BRACK) {
        sized = true;
        let a = p.start();
        let open = p.current_range();
        p.bump();
        let neg = p.eat(MINUS);
        if p.at(NUMBER) {
            let v = parse_number(p.current_text());
            let r = p.current_range();
            match v {
                Some(v) if !neg && v > 0 && v <= i32::MAX as u64 => {}
                None => check_number(p, neg),
                _ => p.error_at(
                    codes::BAD_GLOBAL,
                    r,
                    "array size out of range",
                    "size must be 1 to 2147483647",
                    "give the array a positive maximum size",
                ),
            }
            p.bump();
        } else {
            p.error_expected("a number (the array size)");
        }
        p.expect_closing(R_BRACK, open);
        a.complete(p, ARRAY_SIZE);
    }
    if p.at(EQ) {
        let i = p.start();
        let eq = p.current_range();
        p.bump();
        if sized {
            p.error_at(
                codes::BAD_GLOBAL,
                eq,
                "only scalar globals can be initialized",
                "initializer of an array",
                "initialise array elements in `probe begin`",
            );
        }
        match p.current() {
            STRING => {
                let l = p.start();
                while p.at(STRING) {
                    p.bump();
                }
                l.complete(p, LITERAL);
            }
            NUMBER | MINUS => {
                let l = p.start();
                let neg = p.eat(MINUS);
                if p.at(NUMBER) {
                    check_number(p, neg);
                    p.bump();
                } else {
                    p.error_expected("a number");
                }
                l.complete(p, LITERAL);
            }
            _ => {
                let r = p.current_range();
                p.error_at(
                    codes::BAD_GLOBAL,
                    r,
                    "a global initializer must be a literal string or number",
                    "literal expected",
                    "compute other values in `probe begin`",
                );
            }
        }
        i.complete(p, GLOBAL_INIT);
    }
    m.complete(p, GLOBAL_VAR);
    true
}

// ------------------------------------------------------------ statements

fn block(p: &mut Parser<'_>, st: &mut State) {
    if !p.at(L_CURLY) {
        p.error_expected("`{`");
        return;
    }
    if !p.enter() {
        p.skip_deep();
        return;
    }
    let m = p.start();
    let open = p.current_range();
    p.bump();
    loop {
        let k = p.current();
        if k == R_CURLY || is_eof(k) || is_sync(k) && k != EMBEDDED_CODE {
            break;
        }
        if is_pp_marker(k) && p.arm_depth > 0 {
            break;
        }
        let before = p.pos;
        statement(p, st);
        if p.pos == before {
            break;
        }
    }
    p.expect_closing(R_CURLY, open);
    m.complete(p, BLOCK);
    p.leave();
}

fn starts_expr(k: SyntaxKind) -> bool {
    matches!(
        k,
        IDENT
            | DOLLAR_IDENT
            | AT_IDENT
            | CMDLINE_ARG
            | NUMBER
            | STRING
            | EMBEDDED_CODE
            | L_PAREN
            | L_BRACK
            | PLUS
            | MINUS
            | BANG
            | TILDE
            | PLUS2
            | MINUS2
            | AMP
            | PP_OPEN
    )
}

/// Tokens an error must not swallow: they close or start something.
fn protected(k: SyntaxKind) -> bool {
    matches!(
        k,
        R_CURLY | R_PAREN | R_BRACK | SEMICOLON | COMMA | COLON | __LAST_TOKEN
    ) || is_sync(k)
        || is_pp_marker(k)
}

fn statement(p: &mut Parser<'_>, st: &mut State) {
    if !p.enter() {
        p.skip_deep();
        return;
    }
    match p.current() {
        SEMICOLON => {
            let m = p.start();
            p.bump();
            m.complete(p, EMPTY_STMT);
        }
        L_CURLY => block(p, st),
        TRY_KW => try_stmt(p, st),
        IF_KW => if_stmt(p, st),
        FOR_KW => for_stmt(p, st),
        FOREACH_KW => foreach_stmt(p, st),
        WHILE_KW => while_stmt(p, st),
        RETURN_KW => {
            let m = p.start();
            if !p.in_function {
                let r = p.current_range();
                p.error_at(
                    codes::RETURN_OUTSIDE_FUNCTION,
                    r,
                    "found `return` not in function context",
                    "`return` in a probe",
                    "use `next` to leave a probe handler early",
                );
            }
            p.bump();
            if starts_expr(p.peek_kind()) {
                expr(p, st);
            }
            p.eat(SEMICOLON);
            m.complete(p, RETURN_STMT);
        }
        DELETE_KW => {
            let m = p.start();
            p.bump();
            expr(p, st);
            p.eat(SEMICOLON);
            m.complete(p, DELETE_STMT);
        }
        k @ (BREAK_KW | CONTINUE_KW | NEXT_KW) => {
            let m = p.start();
            p.bump();
            p.eat(SEMICOLON);
            m.complete(
                p,
                match k {
                    BREAK_KW => BREAK_STMT,
                    CONTINUE_KW => CONTINUE_STMT,
                    _ => NEXT_STMT,
                },
            );
        }
        PP_OPEN => {
            pp_cond(p, st, Ctx::Stmts);
            // A conditional used as the start of an expression statement,
            // e.g. `%( x %? a %: b %) = 1`, is not supported in statement
            // position; its arms are statements.
        }
        AT_IDENT if at_define(p) => macro_def(p, st),
        k if starts_expr(k) => {
            let m = p.start();
            expr(p, st);
            p.eat(SEMICOLON);
            m.complete(p, EXPR_STMT);
        }
        k if is_pp_marker(k) => stray_pp_marker(p),
        k => {
            if protected(k) || k.is_keyword() && is_sync(k) {
                p.error_expected("a statement");
                if !matches!(k, R_CURLY | __LAST_TOKEN) && !is_sync(k) && !is_pp_marker(k) {
                    let m = p.start();
                    p.bump();
                    m.complete(p, ERROR);
                }
            } else {
                p.err_and_bump("a statement");
            }
        }
    }
    p.leave();
}

fn paren_expr_clause(p: &mut Parser<'_>, st: &mut State) {
    let open = p.current_range();
    if p.expect(L_PAREN) {
        expr(p, st);
        p.expect_closing(R_PAREN, open);
    } else {
        // `if x == 1` without parentheses: parse the condition anyway.
        if starts_expr(p.peek_kind()) {
            expr(p, st);
        }
    }
}

fn if_stmt(p: &mut Parser<'_>, st: &mut State) {
    let m = p.start();
    p.bump();
    paren_expr_clause(p, st);
    body_statement(p, st);
    if p.at(ELSE_KW) {
        let e = p.start();
        p.bump();
        body_statement(p, st);
        e.complete(p, ELSE_CLAUSE);
    }
    m.complete(p, IF_STMT);
}

/// The body of `if`/`for`/`while`/`foreach`: a statement, but never eat a
/// closing brace or the end of the file.
fn body_statement(p: &mut Parser<'_>, st: &mut State) {
    let k = p.current();
    if matches!(k, R_CURLY | __LAST_TOKEN)
        || is_sync(k) && k != EMBEDDED_CODE
        || (is_pp_marker(k) && p.arm_depth > 0)
    {
        p.error_expected("a statement");
        return;
    }
    statement(p, st);
}

fn while_stmt(p: &mut Parser<'_>, st: &mut State) {
    let m = p.start();
    p.bump();
    paren_expr_clause(p, st);
    body_statement(p, st);
    m.complete(p, WHILE_STMT);
}

fn for_stmt(p: &mut Parser<'_>, st: &mut State) {
    let m = p.start();
    p.bump();
    let open = p.current_range();
    if !p.expect(L_PAREN) {
        m.complete(p, FOR_STMT);
        return;
    }
    if !p.at(SEMICOLON) {
        let i = p.start();
        expr(p, st);
        i.complete(p, FOR_INIT);
    }
    if !p.expect(SEMICOLON) {
        recover_paren(p, open);
        body_statement(p, st);
        m.complete(p, FOR_STMT);
        return;
    }
    if !p.at(SEMICOLON) {
        let c = p.start();
        expr(p, st);
        c.complete(p, FOR_COND);
    }
    if !p.expect(SEMICOLON) {
        recover_paren(p, open);
        body_statement(p, st);
        m.complete(p, FOR_STMT);
        return;
    }
    if !p.at(R_PAREN) {
        let s = p.start();
        expr(p, st);
        s.complete(p, FOR_STEP);
    }
    p.expect_closing(R_PAREN, open);
    body_statement(p, st);
    m.complete(p, FOR_STMT);
}

/// After an error inside `( ... )`: skip to the matching `)` on the same
/// line of thought (stops at braces and semicolons).
fn recover_paren(p: &mut Parser<'_>, _open: (u32, u32)) {
    if p.at(R_PAREN) {
        p.bump();
        return;
    }
    let e = p.start();
    let mut level: u32 = 0;
    loop {
        match p.peek_kind() {
            __LAST_TOKEN | L_CURLY | R_CURLY => break,
            L_PAREN => level += 1,
            R_PAREN if level == 0 => {
                p.bump();
                break;
            }
            R_PAREN => level -= 1,
            k if is_sync(k) => break,
            _ => {}
        }
        p.bump();
    }
    e.complete(p, ERROR);
}

fn foreach_stmt(p: &mut Parser<'_>, st: &mut State) {
    let m = p.start();
    p.bump();
    let open = p.current_range();
    if !p.expect(L_PAREN) {
        m.complete(p, FOREACH_STMT);
        return;
    }
    let mut sorts: Vec<(u32, u32)> = Vec::new();
    // `v =` or `v+ =`
    let value_var =
        p.at(IDENT) && (p.nth(1) == EQ || (matches!(p.nth(1), PLUS | MINUS) && p.nth(2) == EQ));
    if value_var {
        let v = p.start();
        let n = p.start();
        p.bump();
        n.complete(p, NAME);
        if matches!(p.peek_kind(), PLUS | MINUS) {
            sorts.push(p.current_range());
            p.bump();
        }
        p.bump(); // =
        v.complete(p, FOREACH_VALUE);
    }
    let keys = p.start();
    if p.at(L_BRACK) {
        let kopen = p.current_range();
        p.bump();
        loop {
            if !foreach_key(p, &mut sorts) {
                break;
            }
            if !p.eat(COMMA) {
                break;
            }
        }
        p.expect_closing(R_BRACK, kopen);
    } else {
        foreach_key(p, &mut sorts);
    }
    keys.complete(p, FOREACH_KEYS);
    if !p.expect(IN_KW) {
        recover_paren(p, open);
        body_statement(p, st);
        m.complete(p, FOREACH_STMT);
        return;
    }
    if let Some(base) = indexable(p, st) {
        if p.at(L_BRACK) {
            let i = base.precede(p);
            index_list(p, st);
            i.complete(p, INDEX_EXPR);
        }
    }
    if p.at(AT_IDENT) {
        let s = p.start();
        let r = p.current_range();
        let t = p.current_text();
        if !SORT_STATS.contains(&t) {
            p.error_at(
                codes::BAD_FOREACH,
                r,
                format!("expected a statistical operation, found `{t}`"),
                "not a statistic",
                "sort by `@count`, `@sum`, `@min`, `@max`, `@avg` or `@variance`",
            );
        }
        p.bump();
        if matches!(p.peek_kind(), PLUS | MINUS) {
            p.bump();
        } else {
            let r = p.current_range();
            p.error_at(
                codes::BAD_FOREACH,
                r,
                "expected a sort directive (`+` or `-`) after the statistic",
                "`+` or `-` expected",
                "write e.g. `@sum-` to sort by decreasing sum",
            );
        }
        sorts.push(r);
        s.complete(p, FOREACH_SORT);
    } else if matches!(p.peek_kind(), PLUS | MINUS) {
        let s = p.start();
        sorts.push(p.current_range());
        p.bump();
        s.complete(p, FOREACH_SORT);
    }
    if sorts.len() > 1 {
        let r = sorts[1];
        p.push_error(
            Diagnostic::error(codes::BAD_FOREACH, "multiple sort directives")
                .with_primary(span(r.0, r.1), "second sort directive")
                .with_secondary(span(sorts[0].0, sorts[0].1), "first sort directive")
                .with_help("a foreach loop sorts by one key or by the value only"),
        );
    }
    if p.at(LIMIT_KW) {
        let l = p.start();
        p.bump();
        expr(p, st);
        l.complete(p, FOREACH_LIMIT);
    }
    if !p.expect_closing(R_PAREN, open) {
        recover_paren(p, open);
    }
    body_statement(p, st);
    m.complete(p, FOREACH_STMT);
}

fn foreach_key(p: &mut Parser<'_>, sorts: &mut Vec<(u32, u32)>) -> bool {
    if !p.at(IDENT) {
        let k = p.peek_kind();
        if protected(k) || k == IN_KW {
            p.error_expected("an identifier (a key variable)");
        } else {
            p.err_and_bump("an identifier (a key variable)");
        }
        return false;
    }
    let m = p.start();
    let n = p.start();
    p.bump();
    n.complete(p, NAME);
    if matches!(p.peek_kind(), PLUS | MINUS) {
        sorts.push(p.current_range());
        p.bump();
    }
    m.complete(p, FOREACH_KEY);
    true
}

fn try_stmt(p: &mut Parser<'_>, st: &mut State) {
    let m = p.start();
    p.bump();
    block(p, st);
    if p.at(CATCH_KW) {
        let c = p.start();
        p.bump();
        if p.at(L_PAREN) {
            let open = p.current_range();
            p.bump();
            if p.at(IDENT) {
                let n = p.start();
                p.bump();
                n.complete(p, NAME);
            } else {
                p.error_expected("an identifier (the error message variable)");
            }
            p.expect_closing(R_PAREN, open);
        }
        block(p, st);
        c.complete(p, CATCH_CLAUSE);
    } else {
        p.error_expected("`catch`");
    }
    m.complete(p, TRY_STMT);
}

// ----------------------------------------------------------- expressions

pub(crate) fn expr(p: &mut Parser<'_>, st: &mut State) -> Option<CompletedMarker> {
    expr_bp(p, st, 1)
}

fn infix_bp(k: SyntaxKind) -> Option<(u8, u8)> {
    Some(match k {
        EQ | SHL3 | PLUSEQ | MINUSEQ | STAREQ | SLASHEQ | PERCENTEQ | SHLEQ | SHREQ | AMPEQ
        | CARETEQ | PIPEEQ | DOTEQ => (1, 1),
        QUESTION => (2, 2),
        PIPE2 => (3, 4),
        AMP2 => (4, 5),
        PIPE => (5, 6),
        CARET => (6, 7),
        AMP => (7, 8),
        IN_KW => (8, 9),
        LT | GT | EQ2 | NEQ | LTEQ | GTEQ | REGEX_EQ | REGEX_NE => (9, 10),
        SHL | SHR | SHR3 => (10, 11),
        DOT => (11, 12),
        PLUS | MINUS => (12, 13),
        STAR | SLASH | PERCENT => (13, 14),
        _ => return None,
    })
}

fn expr_bp(p: &mut Parser<'_>, st: &mut State, min_bp: u8) -> Option<CompletedMarker> {
    // Nesting is counted where it really nests (parentheses, unary
    // chains, brackets, blocks); a binary operator's right side only
    // recurses a bounded number of precedence levels.
    expr_bp_inner(p, st, min_bp)
}

fn expr_bp_inner(p: &mut Parser<'_>, st: &mut State, min_bp: u8) -> Option<CompletedMarker> {
    let mut lhs = if p.at(L_BRACK) {
        let (t, n) = tuple(p, st);
        if !p.at(IN_KW) && n > 1 {
            let r = p.current_range();
            p.error_at(
                codes::SYNTAX,
                r,
                "unexpected comma-separated expression list",
                "expected `in` after the list",
                "a bracketed list is only valid before `in`: `[a, b] in array`",
            );
        }
        t
    } else {
        unary(p, st)?
    };
    // Each operator of a left-associative chain adds a tree level: count
    // them against the nesting limit too.
    let mut chain = 0u32;
    loop {
        let k = p.current();
        let Some((lbp, rbp)) = infix_bp(k) else { break };
        if lbp < min_bp {
            break;
        }
        chain += 1;
        if p.depth + chain / 4 >= crate::parser::MAX_DEPTH {
            p.skip_deep();
            break;
        }
        let m = lhs.precede(p);
        match k {
            QUESTION => {
                p.bump();
                nested_expr_bp(p, st, 1);
                p.expect(COLON);
                nested_expr_bp(p, st, 2);
                lhs = m.complete(p, TERNARY_EXPR);
            }
            IN_KW => {
                p.bump();
                indexable(p, st);
                lhs = m.complete(p, IN_EXPR);
            }
            REGEX_EQ | REGEX_NE => {
                p.bump();
                if p.at(CMDLINE_ARG) {
                    let l = p.start();
                    p.bump();
                    l.complete(p, CMDLINE_ARG_EXPR);
                } else if p.at(STRING) {
                    let l = p.start();
                    while p.at(STRING) {
                        p.bump();
                    }
                    l.complete(p, LITERAL);
                } else {
                    let r = p.current_range();
                    p.error_at(
                        codes::REGEX_NOT_LITERAL,
                        r,
                        "the right side of a regular expression match must be a literal string",
                        "not a string literal",
                        "write the pattern literally, e.g. `s =~ \"^a.*b$\"`",
                    );
                    expr_bp(p, st, rbp);
                }
                lhs = m.complete(p, BIN_EXPR);
            }
            _ if lbp == 1 => {
                p.bump();
                nested_expr_bp(p, st, 1);
                lhs = m.complete(p, ASSIGN_EXPR);
            }
            _ => {
                p.bump();
                expr_bp(p, st, rbp);
                lhs = m.complete(p, BIN_EXPR);
            }
        }
    }
    Some(lhs)
}

/// A right-recursive operand (assignment, ternary): counted as nesting.
fn nested_expr_bp(p: &mut Parser<'_>, st: &mut State, bp: u8) {
    if !p.enter() {
        p.skip_deep();
        return;
    }
    expr_bp(p, st, bp);
    p.leave();
}

/// `[a, *, b]` before `in`; returns the node and its element count.
fn tuple(p: &mut Parser<'_>, st: &mut State) -> (CompletedMarker, usize) {
    if !p.enter() {
        let m = p.start();
        p.skip_deep();
        return (m.complete(p, TUPLE), 0);
    }
    let r = tuple_inner(p, st);
    p.leave();
    r
}

fn tuple_inner(p: &mut Parser<'_>, st: &mut State) -> (CompletedMarker, usize) {
    let m = p.start();
    let open = p.current_range();
    p.bump();
    let mut n = 0;
    loop {
        if p.at(STAR) {
            let w = p.start();
            p.bump();
            w.complete(p, WILDCARD);
        } else if p.at(R_BRACK) || p.at(COMMA) {
            p.error_expected("an expression");
        } else {
            expr_bp(p, st, 9);
        }
        n += 1;
        if !p.eat(COMMA) {
            break;
        }
    }
    p.expect_closing(R_BRACK, open);
    (m.complete(p, TUPLE), n)
}

/// The right side of `in` and the array of `foreach`: a name or a
/// histogram operator.
fn indexable(p: &mut Parser<'_>, st: &mut State) -> Option<CompletedMarker> {
    match p.current() {
        IDENT => {
            let m = p.start();
            p.bump();
            Some(m.complete(p, NAME_REF))
        }
        AT_IDENT if matches!(p.current_text(), "@hist_linear" | "@hist_log") => {
            Some(at_expr(p, st))
        }
        AT_IDENT if !is_at_operator(p.current_text()) => Some(macro_call(p)),
        PP_OPEN => pp_cond(p, st, Ctx::Expr),
        _ => {
            p.error_expected("an array name or a statistical operation");
            None
        }
    }
}

fn unary(p: &mut Parser<'_>, st: &mut State) -> Option<CompletedMarker> {
    match p.current() {
        PLUS | MINUS | BANG | TILDE => {
            if !p.enter() {
                p.skip_deep();
                return None;
            }
            let m = p.start();
            p.bump();
            unary(p, st);
            p.leave();
            Some(m.complete(p, PREFIX_EXPR))
        }
        PLUS2 | MINUS2 => {
            let m = p.start();
            p.bump();
            dwarf_value(p, st);
            Some(m.complete(p, PREFIX_EXPR))
        }
        _ => {
            let v = dwarf_value(p, st)?;
            if matches!(p.peek_kind(), PLUS2 | MINUS2) {
                let m = v.precede(p);
                p.bump();
                Some(m.complete(p, POSTFIX_EXPR))
            } else {
                Some(v)
            }
        }
    }
}

fn is_pretty_suffix(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b == b'$')
}

fn dwarf_value(p: &mut Parser<'_>, st: &mut State) -> Option<CompletedMarker> {
    let amp = if p.at(AMP) {
        let m = p.start();
        p.bump();
        if p.at(AMP) {
            let r = p.current_range();
            p.error_at(
                codes::BAD_TARGET_SUFFIX,
                r,
                "cannot take address more than once",
                "second `&`",
                "remove one `&`",
            );
        }
        Some(m)
    } else {
        None
    };
    let v = value(p, st);
    let v = v.map(|v| components(p, st, v));
    match amp {
        Some(m) => Some(m.complete(p, PREFIX_EXPR)),
        None => v,
    }
}

/// Target-symbol / autocast suffixes: `->name`, `[index]`, `$`, `$$`.
fn components(p: &mut Parser<'_>, st: &mut State, mut v: CompletedMarker) -> CompletedMarker {
    let mut pretty = v.kind == TARGET_VAR && ends_with_dollar_suffix(p.prev_text());
    let mut chain = 0u32;
    loop {
        chain += 1;
        if p.depth + chain / 4 >= crate::parser::MAX_DEPTH
            && matches!(p.peek_kind(), ARROW | L_BRACK | DOLLAR_IDENT)
        {
            p.skip_deep();
            break;
        }
        match p.peek_kind() {
            ARROW | L_BRACK if pretty => {
                let r = p.current_range();
                p.error_at(
                    codes::BAD_TARGET_SUFFIX,
                    r,
                    "`->` and `[` are not accepted after a pretty-printing suffix",
                    "after `$`",
                    "put the `$` or `$$` suffix last",
                );
                break;
            }
            ARROW => {
                let m = v.precede(p);
                p.bump();
                let k = p.current();
                if k == IDENT
                    || k.is_keyword()
                    || (k == DOLLAR_IDENT && is_pretty_suffix(p.current_text()))
                {
                    if p.current_text().ends_with('$') {
                        pretty = true;
                    }
                    p.bump();
                } else {
                    p.error_expected("a member name after `->`");
                }
                v = m.complete(p, MEMBER_EXPR);
            }
            L_BRACK => {
                let m = v.precede(p);
                index_list(p, st);
                v = m.complete(p, INDEX_EXPR);
            }
            DOLLAR_IDENT if is_pretty_suffix(p.current_text()) => {
                let m = v.precede(p);
                p.bump();
                v = m.complete(p, PRETTY_EXPR);
                pretty = true;
            }
            _ => break,
        }
    }
    v
}

fn ends_with_dollar_suffix(text: &str) -> bool {
    // `$foo$` / `$foo$$`: a name part, then `$`s.
    let trimmed = text.trim_end_matches('$');
    trimmed.len() > 1 && trimmed.len() < text.len()
}

impl Parser<'_> {
    fn prev_text(&self) -> &str {
        let (s, e) = self.prev_range();
        &self.text[s as usize..e as usize]
    }
}

/// `[i, *, j]` after an array or target value.
fn index_list(p: &mut Parser<'_>, st: &mut State) {
    let m = p.start();
    let open = p.current_range();
    p.bump();
    loop {
        if p.at(STAR) {
            let w = p.start();
            p.bump();
            w.complete(p, WILDCARD);
        } else if p.at(R_BRACK) || p.at(COMMA) {
            p.error_expected("an index expression");
        } else {
            expr(p, st);
        }
        if !p.eat(COMMA) {
            break;
        }
    }
    if !p.expect_closing(R_BRACK, open) && !protected(p.peek_kind()) {
        // Leave the rest to the caller's recovery.
    }
    m.complete(p, INDEX_LIST);
}

fn value(p: &mut Parser<'_>, st: &mut State) -> Option<CompletedMarker> {
    if !p.enter() {
        p.skip_deep();
        return None;
    }
    let v = value_inner(p, st);
    p.leave();
    v
}

fn value_inner(p: &mut Parser<'_>, st: &mut State) -> Option<CompletedMarker> {
    match p.current() {
        EMBEDDED_CODE => {
            let m = p.start();
            p.bump();
            Some(m.complete(p, EMBEDDED_EXPR))
        }
        L_PAREN => {
            let m = p.start();
            let open = p.current_range();
            p.bump();
            expr(p, st);
            p.expect_closing(R_PAREN, open);
            Some(m.complete(p, PAREN_EXPR))
        }
        IDENT => Some(symbol(p, st)),
        DOLLAR_IDENT if !is_pretty_suffix(p.current_text()) => {
            let m = p.start();
            p.bump();
            Some(m.complete(p, TARGET_VAR))
        }
        AT_IDENT => {
            if is_at_operator(p.current_text()) {
                let hist = matches!(p.current_text(), "@hist_linear" | "@hist_log");
                let here = p.pos;
                let r = p.current_range();
                let e = at_expr(p, st);
                if hist && p.peek_kind() != L_BRACK && p.hist_ok_at != Some(here) {
                    p.error_at(
                        codes::BAD_AT_OPERATOR,
                        r,
                        "base histogram operator where expression expected",
                        "a histogram is not a value",
                        "print it with `print(@hist_log(s))`, or index it: `@hist_log(s)[bucket]`",
                    );
                }
                Some(e)
            } else {
                Some(macro_call(p))
            }
        }
        CMDLINE_ARG => {
            let m = p.start();
            p.bump();
            Some(m.complete(p, CMDLINE_ARG_EXPR))
        }
        NUMBER => {
            let m = p.start();
            check_number(p, false);
            p.bump();
            Some(m.complete(p, LITERAL))
        }
        STRING => {
            let m = p.start();
            while p.at(STRING) {
                p.bump();
            }
            Some(m.complete(p, LITERAL))
        }
        PP_OPEN => cond_value(p, st),
        k => {
            if protected(k) || k.is_keyword() {
                p.error_expected("an expression");
            } else {
                p.err_and_bump("an expression");
            }
            None
        }
    }
}

/// A conditional in expression position. When an arm did not parse as an
/// expression, or string literals continue after the `%)` (stap glues
/// them to the arm's string), the conditional and the rest of the
/// expression are kept as a `TOKEN_SOUP` for the target's re-parse.
fn cond_value(p: &mut Parser<'_>, st: &mut State) -> Option<CompletedMarker> {
    let start_events = p.events.len();
    let c = pp_cond(p, st, Ctx::Expr)?;
    let raw = p.events[start_events..].iter().any(|e| {
        matches!(
            e,
            crate::parser::Event::Start {
                kind: TOKEN_SOUP,
                ..
            }
        )
    });
    if !raw && !matches!(p.peek_kind(), STRING | CMDLINE_ARG) {
        return Some(c);
    }
    let m = c.precede(p);
    soup_rest_of_expr(p);
    Some(m.complete(p, TOKEN_SOUP))
}

/// Tokens up to the end of the enclosing expression: a level-0 `)`, `]`,
/// `,`, `;`, `}`, `:` or a declaration keyword.
fn soup_rest_of_expr(p: &mut Parser<'_>) {
    let mut level = 0u32;
    loop {
        let k = p.peek_kind();
        match k {
            __LAST_TOKEN => break,
            L_PAREN | L_BRACK | PP_OPEN => level += 1,
            R_PAREN | R_BRACK | PP_CLOSE if level > 0 => level -= 1,
            R_PAREN | R_BRACK | COMMA | SEMICOLON | R_CURLY | L_CURLY | COLON | PP_THEN
            | PP_ELSE | PP_CLOSE
                if level == 0 =>
            {
                break
            }
            _ if is_sync(k) => break,
            _ => {}
        }
        p.bump();
    }
}

struct ArgInfo {
    kind: SyntaxKind,
    first: SyntaxKind,
    range: (u32, u32),
}

fn arg_list(p: &mut Parser<'_>, st: &mut State) -> Vec<ArgInfo> {
    let m = p.start();
    let open = p.current_range();
    p.bump();
    let mut args = Vec::new();
    if !p.at(R_PAREN) {
        loop {
            let first = p.peek_kind();
            let start = p.current_range().0;
            let cm = expr(p, st);
            let end = p.prev_range().1.max(start);
            args.push(ArgInfo {
                kind: cm.map(|c| c.kind).unwrap_or(ERROR),
                first,
                range: (start, end),
            });
            if !p.eat(COMMA) {
                break;
            }
        }
    }
    p.expect_closing(R_PAREN, open);
    m.complete(p, ARG_LIST);
    args
}

/// A string literal, or an unsubstituted `@N`/`$N` (which becomes one).
fn is_string_literal(a: &ArgInfo) -> bool {
    (a.kind == LITERAL && a.first == STRING)
        || (a.kind == CMDLINE_ARG_EXPR && a.first == CMDLINE_ARG)
        || a.kind == TOKEN_SOUP
}
fn is_number_literal(a: &ArgInfo) -> bool {
    (a.kind == LITERAL && a.first == NUMBER)
        || (a.kind == PREFIX_EXPR && a.first == MINUS)
        || (a.kind == CMDLINE_ARG_EXPR && a.first == CMDLINE_ARG)
}

/// An identifier: a variable, a function call, or a print-family call.
fn symbol(p: &mut Parser<'_>, st: &mut State) -> CompletedMarker {
    let name = p.current_text();
    let name_range = p.current_range();
    let is_print = PRINT_FUNCTIONS.contains(&name);
    let m = p.start();
    p.bump();
    if is_print
        && matches!(name, "print" | "println" | "sprint" | "sprintln")
        && p.nth(0) == L_PAREN
        && p.nth(1) == AT_IDENT
    {
        // `print(@hist_log(s))` prints the whole histogram.
        p.hist_ok_at = Some(p.pos + 1);
    }
    if !p.at(L_PAREN) {
        if is_print {
            p.error_at(
                codes::BAD_PRINT_ARGS,
                name_range,
                format!("expected `(` after `{name}`"),
                "print functions need an argument list",
                format!("call it as `{name}(...)`"),
            );
        }
        return m.complete(p, NAME_REF);
    }
    let args = arg_list(p, st);
    if is_print {
        let bad = |p: &mut Parser<'_>, msg: String| {
            p.error_at(
                codes::BAD_PRINT_ARGS,
                name_range,
                msg,
                "in this call",
                "see `xstap --explain E0119`",
            );
        };
        match name {
            "printf" | "sprintf" if args.first().is_none_or(|a| !is_string_literal(a)) => {
                bad(
                    p,
                    format!("`{name}` needs a literal format string as its first argument"),
                );
            }
            "printd" | "printdln" | "sprintd" | "sprintdln" => {
                if args.first().is_none_or(|a| !is_string_literal(a)) {
                    bad(
                        p,
                        format!("`{name}` needs a literal delimiter string as its first argument"),
                    );
                } else if args.len() < 3 {
                    bad(
                        p,
                        format!("`{name}` needs at least two values to join after the delimiter"),
                    );
                }
            }
            "print" | "sprint" if args.is_empty() => {
                bad(p, format!("`{name}` needs at least one argument"));
            }
            _ => {}
        }
    }
    m.complete(p, CALL_EXPR)
}

/// A built-in @-operator with its argument list, checked per operator.
fn at_expr(p: &mut Parser<'_>, st: &mut State) -> CompletedMarker {
    let name = p.current_text();
    let name_range = p.current_range();
    let m = p.start();
    p.bump();
    if !p.at(L_PAREN) {
        p.error_at(
            codes::BAD_AT_OPERATOR,
            name_range,
            format!("expected `(` after `{name}`"),
            "argument list expected",
            format!("call it as `{name}(...)`"),
        );
        return m.complete(p, AT_EXPR);
    }
    // `@probewrite(name)` takes a bare name, which parses as an expression.
    let args = arg_list(p, st);
    let bad = |p: &mut Parser<'_>, msg: &str| {
        p.error_at(
            codes::BAD_AT_OPERATOR,
            name_range,
            format!("{name}: {msg}"),
            "in this operator",
            "see `xstap --explain E0121`",
        );
    };
    let n = args.len();
    match name {
        "@cast" => {
            if !(2..=3).contains(&n) || !args[1..].iter().all(is_string_literal) {
                bad(p, "expected `@cast(value, \"type\" [, \"module\"])`");
            }
        }
        "@var" => {
            if !(1..=2).contains(&n) || !args.iter().all(is_string_literal) {
                bad(p, "expected `@var(\"name\" [, \"module\"])`");
            }
        }
        "@perf" | "@const" => {
            if n != 1
                || !is_string_literal(&args[0])
                || p.text[args[0].range.0 as usize..args[0].range.1 as usize].trim() == "\"\""
            {
                bad(p, "expected one non-empty literal string");
            }
        }
        "@probewrite" => {
            if n != 1 || args[0].kind != NAME_REF {
                bad(p, "expected a variable name");
            }
        }
        "@kregister" | "@uregister" => {
            if n != 1 || !is_number_literal(&args[0]) {
                bad(p, "expected a register number");
            }
        }
        "@kderef" | "@uderef" => {
            if n != 2 || !is_number_literal(&args[0]) {
                bad(p, "expected `(size, address)` with a literal size");
            }
        }
        "@hist_linear" => {
            if n != 4 || !args[1..].iter().all(is_number_literal) {
                bad(
                    p,
                    "expected `@hist_linear(stat, start, stop, interval)` with literal numbers",
                );
            }
        }
        "@variance" => {
            if !(1..=2).contains(&n) || (n == 2 && !is_number_literal(&args[1])) {
                bad(p, "expected `@variance(stat [, bit_shift])`");
            }
        }
        _ => {
            if n != 1 {
                bad(p, "expected exactly one argument");
            }
        }
    }
    m.complete(p, AT_EXPR)
}
