//! The preprocessor on text and trees: conditions and their evaluation,
//! arm selection for a target, and `@define` macros.
//!
//! Conditionals stay in the parsed tree with both arms; the db evaluates
//! a [`Condition`] against a target with [`eval_condition`] and picks the
//! live arm with `ast::PpCond::live_arm`. When an arm could not be parsed
//! in place (`ast::PpArm::is_raw`), or to reproduce stap exactly,
//! [`resolve`] blanks the dead arms and the conditional markers of the
//! text with spaces (offsets and line numbers are preserved, so the
//! re-parse's diagnostics point at the original text).
//!
//! Macros are expanded on tokens by [`expand_macros`] before conditionals
//! are resolved, as stap does. Deviation from stap, documented: a
//! `@define` inside a conditional arm is collected whichever arm is live.
//!
//! No I/O: library `.stpm` files are parsed by the caller and given as a
//! [`MacroTable`] (see [`library_macros`]).

use std::collections::HashMap;

use crate::ast::{self, AstNode};
use crate::lexer::lex;
use crate::syntax_kind::SyntaxKind::{self, *};
use crate::{codes, span};
use diag::Diagnostic;

/// One operand of a comparison, as written.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Operand {
    /// `kernel_v`, `arch`, `CONFIG_SMP`, ...
    Ident(String),
    Number(i64),
    /// The string's content without quotes (escapes kept).
    Str(String),
    /// `$#`: the number of command-line arguments.
    ArgCount,
    /// `@#`: the number of command-line arguments as a string.
    ArgCountStr,
    /// An unsubstituted `$N` or `@N`.
    Arg(String),
}

impl Operand {
    pub(crate) fn from_token(kind: SyntaxKind, text: &str) -> Operand {
        match kind {
            NUMBER => Operand::Number(crate::parse_number(text).map(|v| v as i64).unwrap_or(0)),
            STRING => {
                let t = text.strip_prefix('"').unwrap_or(text);
                Operand::Str(t.strip_suffix('"').unwrap_or(t).to_string())
            }
            CMDLINE_ARG if text == "$#" => Operand::ArgCount,
            CMDLINE_ARG if text == "@#" => Operand::ArgCountStr,
            CMDLINE_ARG => Operand::Arg(text.to_string()),
            _ => Operand::Ident(text.to_string()),
        }
    }
}

/// A comparison operator of a condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CondOp {
    Lt,
    Gt,
    Le,
    Ge,
    Eq,
    Ne,
}

impl CondOp {
    pub(crate) fn from_kind(k: SyntaxKind) -> Option<CondOp> {
        Some(match k {
            LT => CondOp::Lt,
            GT => CondOp::Gt,
            LTEQ => CondOp::Le,
            GTEQ => CondOp::Ge,
            EQ2 => CondOp::Eq,
            NEQ => CondOp::Ne,
            _ => return None,
        })
    }
    fn holds(self, ord: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            CondOp::Lt => ord == Less,
            CondOp::Gt => ord == Greater,
            CondOp::Le => ord != Greater,
            CondOp::Ge => ord != Less,
            CondOp::Eq => ord == Equal,
            CondOp::Ne => ord != Equal,
        }
    }
    fn is_equality(self) -> bool {
        matches!(self, CondOp::Eq | CondOp::Ne)
    }
}

/// `lhs op rhs`; `range` is the byte range in the file.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Comparison {
    pub lhs: Operand,
    pub op: CondOp,
    pub rhs: Operand,
    pub range: (u32, u32),
}

/// A condition: an OR of ANDs of comparisons.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Condition {
    pub disjuncts: Vec<Vec<Comparison>>,
}

impl Condition {
    /// The target facts the condition reads (`kernel_v`, `arch`,
    /// `CONFIG_X`, `$#`...): the narrower key of the preprocessed view.
    pub fn facts_read(&self) -> Vec<String> {
        let mut v = Vec::new();
        for c in self.disjuncts.iter().flatten() {
            for o in [&c.lhs, &c.rhs] {
                match o {
                    Operand::Ident(s) => v.push(s.clone()),
                    Operand::ArgCount | Operand::ArgCountStr => v.push("$#".into()),
                    _ => {}
                }
            }
        }
        v.sort();
        v.dedup();
        v
    }
}

/// What a condition may ask about the target and the session.
pub trait TargetFacts {
    /// Base kernel version, e.g. `6.1.0`.
    fn kernel_v(&self) -> &str;
    /// Full kernel release, e.g. `6.1.0-56-amd64`.
    fn kernel_vr(&self) -> &str;
    /// stap architecture name: `x86_64`, `arm64`, `i386`, ...
    fn arch(&self) -> &str;
    /// `kernel` (the only runtime xstap has).
    fn runtime(&self) -> &str {
        "kernel"
    }
    /// `stapdev`, `stapsys` or `stapusr`.
    fn privilege(&self) -> &str {
        "stapdev"
    }
    fn guru_mode(&self) -> bool;
    /// The language version being emulated (`--compatible`), e.g. `5.0`.
    fn systemtap_v(&self) -> &str;
    /// The value of a kernel config option (`y`, `m`, a number, a string);
    /// `None` when unset.
    fn config(&self, name: &str) -> Option<&str>;
    /// The number of command-line arguments after the script.
    fn arg_count(&self) -> usize {
        0
    }
}

/// A plain-data [`TargetFacts`], handy for tests and for the CLI.
#[derive(Clone, Debug, Default)]
pub struct SimpleFacts {
    pub kernel_v: String,
    pub kernel_vr: String,
    pub arch: String,
    pub guru_mode: bool,
    pub systemtap_v: String,
    pub config: HashMap<String, String>,
    pub arg_count: usize,
    pub privilege: Option<String>,
}

impl TargetFacts for SimpleFacts {
    fn kernel_v(&self) -> &str {
        &self.kernel_v
    }
    fn kernel_vr(&self) -> &str {
        &self.kernel_vr
    }
    fn arch(&self) -> &str {
        &self.arch
    }
    fn privilege(&self) -> &str {
        self.privilege.as_deref().unwrap_or("stapdev")
    }
    fn guru_mode(&self) -> bool {
        self.guru_mode
    }
    fn systemtap_v(&self) -> &str {
        &self.systemtap_v
    }
    fn config(&self, name: &str) -> Option<&str> {
        self.config.get(name).map(|s| s.as_str())
    }
    fn arg_count(&self) -> usize {
        self.arg_count
    }
}

fn cond_error(c: &Comparison, msg: impl Into<String>) -> Diagnostic {
    Diagnostic::error(codes::PP_BAD_CONDITION, msg)
        .with_primary(span(c.range.0, c.range.1), "in this condition")
        .with_help("see `xstap --explain E0203` for the forms a condition may take")
}

/// Evaluate a condition against a target, with stap's rules: versions
/// compare with `strverscmp`, `==`/`!=` with a wildcard pattern use
/// `fnmatch`, `CONFIG_` options compare as strings or numbers.
pub fn eval_condition(c: &Condition, f: &dyn TargetFacts) -> Result<bool, Diagnostic> {
    let mut result = false;
    for conj in &c.disjuncts {
        let mut all = true;
        for cmp in conj {
            // Evaluate every comparison so that errors are never hidden.
            all &= eval_comparison(cmp, f)?;
        }
        result |= all;
    }
    Ok(result)
}

fn strip_str(o: &Operand, f: &dyn TargetFacts) -> Option<String> {
    match o {
        Operand::Str(s) => Some(s.clone()),
        Operand::ArgCountStr => Some(f.arg_count().to_string()),
        _ => None,
    }
}
fn num(o: &Operand, f: &dyn TargetFacts) -> Option<i64> {
    match o {
        Operand::Number(n) => Some(*n),
        Operand::ArgCount => Some(f.arg_count() as i64),
        _ => None,
    }
}

fn parse_c_number(s: &str) -> Option<i64> {
    let (neg, s) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let v = crate::parse_number(s)? as i64;
    Some(if neg { -v } else { v })
}

/// One comparison (see [`eval_condition`]).
pub fn eval_comparison(c: &Comparison, f: &dyn TargetFacts) -> Result<bool, Diagnostic> {
    if let Operand::Ident(l) = &c.lhs {
        let eq_match = |pattern: &str, value: &str| -> Result<bool, Diagnostic> {
            if !c.op.is_equality() {
                return Err(cond_error(
                    c,
                    format!("`{l}` can only be compared with `==` or `!=`"),
                ));
            }
            let m = fnmatch(pattern, value);
            Ok(if c.op == CondOp::Eq { m } else { !m })
        };
        match l.as_str() {
            "kernel_v" | "kernel_vr" | "systemtap_v" => {
                let Some(q) = strip_str(&c.rhs, f) else {
                    return Err(cond_error(
                        c,
                        "expected a string literal (a version) on the right",
                    ));
                };
                let target = match l.as_str() {
                    "kernel_v" => f.kernel_v(),
                    "kernel_vr" => f.kernel_vr(),
                    _ => f.systemtap_v(),
                };
                if q.contains(['*', '?', '[']) {
                    if !c.op.is_equality() {
                        return Err(cond_error(
                            c,
                            "wildcards are not allowed with order comparison operators",
                        ));
                    }
                    return eq_match(&q, target);
                }
                return Ok(c.op.holds(strverscmp(target, &q)));
            }
            "systemtap_privilege" => {
                let Some(q) = strip_str(&c.rhs, f) else {
                    return Err(cond_error(c, "expected a string literal on the right"));
                };
                if !c.op.is_equality() {
                    return Err(cond_error(c, "expected `==` or `!=`"));
                }
                let same = f.privilege() == q;
                return Ok(if c.op == CondOp::Eq { same } else { !same });
            }
            "guru_mode" => {
                let Some(n) = num(&c.rhs, f) else {
                    return Err(cond_error(c, "expected a number (0 or 1) on the right"));
                };
                if n != 0 && n != 1 {
                    return Err(cond_error(c, "expected 0 or 1"));
                }
                if !c.op.is_equality() {
                    return Err(cond_error(c, "expected `==` or `!=`"));
                }
                return Ok(c.op.holds((f.guru_mode() as i64).cmp(&n)));
            }
            "arch" | "runtime" => {
                let Some(q) = strip_str(&c.rhs, f) else {
                    return Err(cond_error(c, "expected a string literal on the right"));
                };
                let v = if l == "arch" { f.arch() } else { f.runtime() };
                return eq_match(&q, v);
            }
            _ if l.starts_with("CONFIG_") => {
                let lv = f.config(l).unwrap_or("");
                if let Some(q) = strip_str(&c.rhs, f) {
                    return eq_match(&q, lv);
                }
                if let Some(n) = num(&c.rhs, f) {
                    // An unset option compares equal to 0 (and to ""), like stap.
                    let lnum = if f.config(l).is_none() {
                        Some(0)
                    } else {
                        parse_c_number(lv)
                    };
                    let Some(lnum) = lnum else {
                        return Err(cond_error(
                            c,
                            format!("config option `{l}` value `{lv}` is not a number"),
                        ));
                    };
                    return Ok(c.op.holds(lnum.cmp(&n)));
                }
                if let Operand::Ident(r) = &c.rhs {
                    if r.starts_with("CONFIG_") {
                        let rv = f.config(r).unwrap_or("");
                        if let (Some(a), Some(b)) = (parse_c_number(lv), parse_c_number(rv)) {
                            return Ok(c.op.holds(a.cmp(&b)));
                        }
                        return Ok(c.op.holds(lv.cmp(rv)));
                    }
                }
                return Err(cond_error(
                    c,
                    "expected a string, a number or another CONFIG_ option on the right",
                ));
            }
            _ => {}
        }
        return Err(cond_error(
            c,
            "expected `arch`, `kernel_v`, `kernel_vr`, `systemtap_v`, `runtime`, `systemtap_privilege`, `guru_mode`, `CONFIG_...`, or a comparison between strings or numbers",
        ));
    }
    if let (Some(a), Some(b)) = (strip_str(&c.lhs, f), strip_str(&c.rhs, f)) {
        return Ok(c.op.holds(a.cmp(&b)));
    }
    if let (Some(a), Some(b)) = (num(&c.lhs, f), num(&c.rhs, f)) {
        return Ok(c.op.holds(a.cmp(&b)));
    }
    if matches!(c.lhs, Operand::Arg(_)) || matches!(c.rhs, Operand::Arg(_)) {
        return Err(Diagnostic::error(
            codes::ARG_OUT_OF_RANGE,
            "command-line argument in a condition was not substituted",
        )
        .with_primary(span(c.range.0, c.range.1), "in this condition")
        .with_help("pass the argument on the command line"));
    }
    if strip_str(&c.lhs, f).is_some() {
        return Err(cond_error(c, "expected a string literal as right value"));
    }
    Err(cond_error(c, "expected a number literal as right value"))
}

/// GNU `strverscmp`: compares digit runs as numbers (runs with leading
/// zeros as fractional parts), other bytes as bytes.
pub fn strverscmp(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i].is_ascii_digit() && b[j].is_ascii_digit() {
            let si = i;
            while i < a.len() && a[i].is_ascii_digit() {
                i += 1;
            }
            let sj = j;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            let (ra, rb) = (&a[si..i], &b[sj..j]);
            let frac = (ra[0] == b'0' && ra.len() > 1) || (rb[0] == b'0' && rb.len() > 1);
            let ord = if frac {
                ra.cmp(rb)
            } else {
                let ta = trim_zeros(ra);
                let tb = trim_zeros(rb);
                ta.len().cmp(&tb.len()).then_with(|| ta.cmp(tb))
            };
            if ord != Ordering::Equal {
                return ord;
            }
        } else {
            if a[i] != b[j] {
                return a[i].cmp(&b[j]);
            }
            i += 1;
            j += 1;
        }
    }
    (a.len() - i).cmp(&(b.len() - j))
}

fn trim_zeros(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|&&c| c == b'0').count();
    &s[n.min(s.len().saturating_sub(1))..]
}

/// `fnmatch(pattern, s, FNM_NOESCAPE)`: `*`, `?`, `[...]` (with `!`/`^`
/// negation and ranges).
pub fn fnmatch(pattern: &str, s: &str) -> bool {
    fn go(p: &[u8], s: &[u8]) -> bool {
        let (mut pi, mut si) = (0, 0);
        let (mut star_p, mut star_s) = (usize::MAX, 0);
        while si < s.len() {
            if pi < p.len() {
                match p[pi] {
                    b'*' => {
                        star_p = pi;
                        star_s = si;
                        pi += 1;
                        continue;
                    }
                    b'?' => {
                        pi += 1;
                        si += 1;
                        continue;
                    }
                    b'[' => {
                        if let Some((matched, next)) = class(&p[pi..], s[si]) {
                            if matched {
                                pi += next;
                                si += 1;
                                continue;
                            }
                        } else if s[si] == b'[' {
                            pi += 1;
                            si += 1;
                            continue;
                        }
                    }
                    c if c == s[si] => {
                        pi += 1;
                        si += 1;
                        continue;
                    }
                    _ => {}
                }
            }
            if star_p != usize::MAX {
                pi = star_p + 1;
                star_s += 1;
                si = star_s;
                continue;
            }
            return false;
        }
        while pi < p.len() && p[pi] == b'*' {
            pi += 1;
        }
        pi == p.len()
    }
    fn class(p: &[u8], c: u8) -> Option<(bool, usize)> {
        let mut i = 1;
        let neg = i < p.len() && (p[i] == b'!' || p[i] == b'^');
        if neg {
            i += 1;
        }
        let mut matched = false;
        let mut first = true;
        while i < p.len() && (p[i] != b']' || first) {
            first = false;
            if i + 2 < p.len() && p[i + 1] == b'-' && p[i + 2] != b']' {
                if p[i] <= c && c <= p[i + 2] {
                    matched = true;
                }
                i += 3;
            } else {
                if p[i] == c {
                    matched = true;
                }
                i += 1;
            }
        }
        if i >= p.len() {
            return None;
        }
        Some((matched != neg, i + 1))
    }
    go(pattern.as_bytes(), s.as_bytes())
}

// ------------------------------------------------------------- resolve

/// The text of a file for one target: dead arms, conditional markers and
/// conditions replaced by spaces (newlines kept), plus the errors found
/// while choosing arms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    pub text: String,
    pub errors: Vec<Diagnostic>,
}

/// Choose the live arms of every conditional in `text` for a target, at
/// the token level (exactly stap's second preprocessing pass), and report
/// command-line arguments left unsubstituted in live code (E0204).
/// Re-parse `Resolved::text` to get the target's view of a file whose
/// conditionals could not all be parsed in place.
pub fn resolve(text: &str, facts: &dyn TargetFacts) -> Resolved {
    let (tokens, _) = lex(text);
    let mut out: Vec<u8> = text.as_bytes().to_vec();
    let mut errors = Vec::new();
    let mut offs = Vec::with_capacity(tokens.len());
    let mut o = 0u32;
    for t in &tokens {
        offs.push(o);
        o += t.len;
    }
    let sig: Vec<usize> = (0..tokens.len())
        .filter(|&i| !tokens[i].kind.is_trivia())
        .collect();
    let blank = |out: &mut Vec<u8>, i: usize| {
        let (s, e) = (offs[i] as usize, (offs[i] + tokens[i].len) as usize);
        for b in &mut out[s..e] {
            if *b != b'\n' {
                *b = b' ';
            }
        }
    };
    let tok_text = |i: usize| &text[offs[i] as usize..(offs[i] + tokens[i].len) as usize];
    // Stack of (open token index, live now, then-arm was taken, seen else).
    struct Frame {
        open: usize,
        live: bool,
        parent_live: bool,
        cond_true: bool,
        in_else: bool,
    }
    let mut stack: Vec<Frame> = Vec::new();
    let mut k = 0usize;
    while k < sig.len() {
        let i = sig[k];
        let live = stack.last().is_none_or(|f| f.live);
        match tokens[i].kind {
            PP_OPEN => {
                blank(&mut out, i);
                // Condition tokens up to `%?`.
                let mut j = k + 1;
                let mut cond_toks = Vec::new();
                while j < sig.len()
                    && !matches!(tokens[sig[j]].kind, PP_THEN | PP_ELSE | PP_CLOSE | PP_OPEN)
                {
                    cond_toks.push(sig[j]);
                    j += 1;
                }
                for &ci in &cond_toks {
                    blank(&mut out, ci);
                }
                let mut value = false;
                if live {
                    match token_condition(&cond_toks, &tokens, &offs, text) {
                        Some(c) => match eval_condition(&c, facts) {
                            Ok(v) => value = v,
                            Err(d) => errors.push(d),
                        },
                        None => {
                            let r = (offs[i], offs[i] + tokens[i].len);
                            errors.push(
                                Diagnostic::error(codes::PP_BAD_CONDITION, "malformed condition")
                                    .with_primary(span(r.0, r.1), "in the conditional opened here")
                                    .with_help("see `xstap --explain E0203`"),
                            );
                        }
                    }
                }
                if j < sig.len() && tokens[sig[j]].kind == PP_THEN {
                    blank(&mut out, sig[j]);
                    j += 1;
                } else if live {
                    let r = (offs[i], offs[i] + tokens[i].len);
                    errors.push(
                        Diagnostic::error(
                            codes::PP_MALFORMED,
                            "expected `%?` marker for conditional",
                        )
                        .with_primary(span(r.0, r.1), "conditional opened here")
                        .with_help("write `%( CONDITION %? THEN %: ELSE %)`"),
                    );
                }
                stack.push(Frame {
                    open: i,
                    live: live && value,
                    parent_live: live,
                    cond_true: value,
                    in_else: false,
                });
                k = j;
                continue;
            }
            PP_ELSE => {
                blank(&mut out, i);
                match stack.last_mut() {
                    Some(f) if !f.in_else => {
                        f.in_else = true;
                        f.live = f.parent_live && !f.cond_true;
                    }
                    Some(_) => {
                        if live || stack.len() == 1 {
                            errors.push(pp_marker_error(
                                offs[i],
                                tokens[i].len,
                                "invalid conditional: duplicate `%:`",
                            ));
                        }
                    }
                    None => errors.push(pp_marker_error(
                        offs[i],
                        tokens[i].len,
                        "`%:` without an open `%(`",
                    )),
                }
            }
            PP_THEN => {
                blank(&mut out, i);
                if live {
                    errors.push(pp_marker_error(
                        offs[i],
                        tokens[i].len,
                        "`%?` without an open `%(` or duplicated",
                    ));
                }
            }
            PP_CLOSE => {
                blank(&mut out, i);
                if stack.pop().is_none() {
                    errors.push(pp_marker_error(
                        offs[i],
                        tokens[i].len,
                        "`%)` without an open `%(`",
                    ));
                }
            }
            CMDLINE_ARG if live => {
                let t = tok_text(i);
                if t != "$#" && t != "@#" {
                    let n = facts.arg_count();
                    errors.push(
                        Diagnostic::error(codes::ARG_OUT_OF_RANGE, format!("command line argument index {} out of range [1-{n}]", &t[1..]))
                            .with_primary(span(offs[i], offs[i] + tokens[i].len), "no such argument")
                            .with_help("pass more arguments after the script, or guard the use with `%( $# >= N %? ... %)`"),
                    );
                }
            }
            _ => {
                if !live {
                    blank(&mut out, i);
                }
            }
        }
        k += 1;
    }
    for f in stack {
        errors.push(
            Diagnostic::error(
                codes::PP_UNTERMINATED,
                "incomplete conditional at end of file",
            )
            .with_primary(
                span(offs[f.open], offs[f.open] + 2),
                "conditional opened here is never closed",
            )
            .with_help("close the conditional with `%)`"),
        );
    }
    diag::sort_and_dedup(&mut errors);
    // Blanking replaces whole tokens (always ASCII-delimited) by spaces, so
    // the bytes stay valid UTF-8 except inside blanked non-ASCII tokens,
    // where every byte became a space.
    let text = String::from_utf8(out)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    Resolved { text, errors }
}

fn pp_marker_error(off: u32, len: u32, msg: &str) -> Diagnostic {
    Diagnostic::error(codes::PP_MALFORMED, msg.to_string())
        .with_primary(span(off, off + len), "here")
        .with_help("a conditional is `%( CONDITION %? THEN %: ELSE %)`")
}

fn token_condition(
    toks: &[usize],
    tokens: &[crate::Token],
    offs: &[u32],
    text: &str,
) -> Option<Condition> {
    let tt = |i: usize| &text[offs[i] as usize..(offs[i] + tokens[i].len) as usize];
    let mut disjuncts = vec![Vec::new()];
    let mut k = 0;
    loop {
        if k + 3 > toks.len() {
            return None;
        }
        let (l, op, r) = (toks[k], toks[k + 1], toks[k + 2]);
        let op = CondOp::from_kind(tokens[op].kind)?;
        disjuncts.last_mut().unwrap().push(Comparison {
            lhs: Operand::from_token(tokens[l].kind, tt(l)),
            op,
            rhs: Operand::from_token(tokens[r].kind, tt(r)),
            range: (offs[l], offs[r] + tokens[r].len),
        });
        k += 3;
        if k == toks.len() {
            break;
        }
        match tokens[toks[k]].kind {
            AMP2 => {}
            PIPE2 => disjuncts.push(Vec::new()),
            _ => return None,
        }
        k += 1;
    }
    Some(Condition { disjuncts })
}

// --------------------------------------------------------------- macros

/// A macro definition as data.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MacroDefData {
    pub name: String,
    pub params: Vec<String>,
    /// The body's significant tokens (kind, text).
    pub body: Vec<(SyntaxKind, String)>,
    /// Byte range of the name in its file.
    pub range: (u32, u32),
}

/// Macros by name (without `@`).
pub type MacroTable = HashMap<String, MacroDefData>;

fn macro_data(d: &ast::MacroDef) -> Option<MacroDefData> {
    let name = d.name()?;
    let r = name.syntax().text_range();
    Some(MacroDefData {
        name: name.text_str(),
        params: d.params(),
        body: d
            .body_tokens()
            .into_iter()
            .map(|t| (t.kind(), t.text().to_string()))
            .collect(),
        range: (r.start().into(), r.end().into()),
    })
}

/// The macros a file defines (top level and inside conditional arms).
pub fn collect_macros(file: &ast::SourceFile) -> MacroTable {
    let mut t = MacroTable::new();
    for n in file.syntax().descendants() {
        if let Some(d) = ast::MacroDef::cast(n) {
            if let Some(m) = macro_data(&d) {
                t.entry(m.name.clone()).or_insert(m);
            }
        }
    }
    t
}

/// The macros of a library `.stpm` file, which may contain only
/// `@define`s (and conditionals around them): anything else is E0212.
pub fn library_macros(file: &ast::SourceFile) -> (MacroTable, Vec<Diagnostic>) {
    let mut errors = Vec::new();
    fn walk(n: &crate::SyntaxNode, errors: &mut Vec<Diagnostic>) {
        for c in n.children() {
            match c.kind() {
                MACRO_DEF => {}
                PP_COND => {
                    for a in c
                        .children()
                        .filter(|a| matches!(a.kind(), PP_THEN_ARM | PP_ELSE_ARM))
                    {
                        walk(&a, errors);
                    }
                }
                _ => {
                    let r = c.text_range();
                    errors.push(
                        Diagnostic::error(
                            codes::MACRO_LIBRARY,
                            "unexpected token in library macro file",
                        )
                        .with_primary(
                            span(r.start().into(), r.end().into()),
                            "not a macro definition",
                        )
                        .with_help("`.stpm` files may only contain `@define`s"),
                    );
                }
            }
        }
    }
    walk(file.syntax(), &mut errors);
    (collect_macros(file), errors)
}

/// A region of expanded text that came from a macro invocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpansionSite {
    /// Range in the expanded text.
    pub expanded: (u32, u32),
    /// Range of the invocation in the original text.
    pub original: (u32, u32),
}

/// The result of [`expand_macros`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expanded {
    pub text: String,
    pub sites: Vec<ExpansionSite>,
    pub errors: Vec<Diagnostic>,
}

impl Expanded {
    /// Maps an offset of the expanded text back to the original text
    /// (offsets inside an expansion map to the invocation's start).
    pub fn original_offset(&self, off: u32) -> u32 {
        let mut delta: i64 = 0;
        for s in &self.sites {
            if off < s.expanded.0 {
                break;
            }
            if off < s.expanded.1 {
                return s.original.0;
            }
            delta = s.original.1 as i64 - s.expanded.1 as i64;
        }
        (off as i64 + delta).max(0) as u32
    }
}

const MAX_EXPANSION_DEPTH: u32 = 64;

/// Expand `@define`d macros on tokens, like stap's first preprocessing
/// pass: the file's own definitions (in text order) and `library` macros.
/// Definitions are blanked (offsets before the first expansion are kept);
/// invocations are replaced by their expansion, tokens joined by spaces.
/// Unknown `@words` that are not built-in operators are E0209.
pub fn expand_macros(text: &str, library: &MacroTable) -> Expanded {
    let (tokens, _) = lex(text);
    let mut offs = Vec::with_capacity(tokens.len() + 1);
    let mut o = 0u32;
    for t in &tokens {
        offs.push(o);
        o += t.len;
    }
    offs.push(o);
    let tt = |i: usize| &text[offs[i] as usize..offs[i + 1] as usize];
    let mut local = MacroTable::new();
    let mut out = String::with_capacity(text.len());
    let mut sites = Vec::new();
    let mut errors = Vec::new();
    let sig: Vec<usize> = (0..tokens.len())
        .filter(|&i| !tokens[i].kind.is_trivia())
        .collect();
    let mut copied_to = 0usize; // next raw token index to copy
    let mut k = 0usize;
    let copy_until = |out: &mut String, from: &mut usize, to: usize| {
        while *from < to {
            out.push_str(tt(*from));
            *from += 1;
        }
    };
    while k < sig.len() {
        let i = sig[k];
        if tokens[i].kind == AT_IDENT && tt(i) == "@define" {
            // Find the end of the definition: `%(` ... matching `%)`.
            let mut j = k + 1;
            let name = sig.get(j).map(|&n| tt(n).to_string()).unwrap_or_default();
            let name_range = sig
                .get(j)
                .map(|&n| (offs[n], offs[n + 1]))
                .unwrap_or((offs[i], offs[i + 1]));
            j += 1;
            let mut params = Vec::new();
            if sig.get(j).is_some_and(|&n| tokens[n].kind == L_PAREN) {
                j += 1;
                while let Some(&n) = sig.get(j) {
                    match tokens[n].kind {
                        R_PAREN => {
                            j += 1;
                            break;
                        }
                        IDENT => params.push(tt(n).to_string()),
                        _ => {}
                    }
                    j += 1;
                }
            }
            let mut body = Vec::new();
            if sig.get(j).is_some_and(|&n| tokens[n].kind == PP_OPEN) {
                j += 1;
                let mut level = 0u32;
                while let Some(&n) = sig.get(j) {
                    match tokens[n].kind {
                        PP_OPEN => level += 1,
                        PP_CLOSE if level == 0 => {
                            j += 1;
                            break;
                        }
                        PP_CLOSE => level -= 1,
                        _ => {}
                    }
                    body.push((tokens[n].kind, tt(n).to_string()));
                    j += 1;
                }
            }
            local.insert(
                name.clone(),
                MacroDefData {
                    name,
                    params,
                    body,
                    range: name_range,
                },
            );
            // Blank the definition.
            let end = sig.get(j).copied().unwrap_or(tokens.len());
            copy_until(&mut out, &mut copied_to, i);
            let last = if j > 0 {
                sig[(j - 1).min(sig.len() - 1)]
            } else {
                i
            };
            for r in i..=last.min(tokens.len() - 1) {
                let t = tt(r);
                out.extend(t.chars().map(|c| if c == '\n' { '\n' } else { ' ' }));
            }
            copied_to = (last + 1).max(copied_to);
            let _ = end;
            k = j;
            continue;
        }
        if tokens[i].kind == AT_IDENT && !crate::grammar::is_at_operator(tt(i)) {
            let name = &tt(i)[1..];
            let def = local.get(name).or_else(|| library.get(name)).cloned();
            match def {
                Some(def) => {
                    let toks: Vec<(SyntaxKind, String)> = sig[k..]
                        .iter()
                        .map(|&n| (tokens[n].kind, tt(n).to_string()))
                        .collect();
                    let mut ex = Expander {
                        local: &local,
                        library,
                        errors: Vec::new(),
                        origin: (offs[i], offs[i + 1]),
                    };
                    let (expansion, used) = ex.invoke(&def, &toks, 0, &HashMap::new());
                    errors.append(&mut ex.errors);
                    copy_until(&mut out, &mut copied_to, i);
                    let start = out.len() as u32;
                    out.push_str(&join_tokens(&expansion));
                    let last = sig[k + used.max(1) - 1];
                    sites.push(ExpansionSite {
                        expanded: (start, out.len() as u32),
                        original: (offs[i], offs[last + 1]),
                    });
                    copied_to = last + 1;
                    k += used.max(1);
                    continue;
                }
                None => {
                    errors.push(unknown_macro(name, (offs[i], offs[i + 1])));
                }
            }
        }
        k += 1;
    }
    copy_until(&mut out, &mut copied_to, tokens.len());
    diag::sort_and_dedup(&mut errors);
    Expanded {
        text: out,
        sites,
        errors,
    }
}

fn unknown_macro(name: &str, r: (u32, u32)) -> Diagnostic {
    Diagnostic::error(
        codes::MACRO_UNKNOWN,
        format!("unknown macro or operator `@{name}`"),
    )
    .with_primary(
        span(r.0, r.1),
        "not a built-in operator nor a defined macro",
    )
    .with_help("define it with `@define`, or correct the operator's name")
}

/// Joins tokens with single spaces, except that `@`-parameter pastes keep
/// their own spacing (a space is always safe between stap tokens except
/// inside glued probe-point names, which macros rarely build).
fn join_tokens(toks: &[(SyntaxKind, String)]) -> String {
    let mut s = String::new();
    for (i, (_, t)) in toks.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(t);
    }
    s
}

struct Expander<'a> {
    local: &'a MacroTable,
    library: &'a MacroTable,
    errors: Vec<Diagnostic>,
    origin: (u32, u32),
}

type Toks = Vec<(SyntaxKind, String)>;

impl Expander<'_> {
    /// Expands the invocation at `toks[0]`; returns the expansion and how
    /// many tokens of `toks` the invocation used.
    fn invoke(
        &mut self,
        def: &MacroDefData,
        toks: &[(SyntaxKind, String)],
        depth: u32,
        scope: &HashMap<String, Toks>,
    ) -> (Toks, usize) {
        if depth > MAX_EXPANSION_DEPTH {
            self.errors.push(
                Diagnostic::error(
                    codes::MACRO_TOO_DEEP,
                    format!("macro expansion of `@{}` nested too deeply", def.name),
                )
                .with_primary(span(self.origin.0, self.origin.1), "expanded from here")
                .with_help("a macro probably invokes itself"),
            );
            return (Vec::new(), 1);
        }
        let mut used = 1;
        let mut bindings: HashMap<String, Toks> = HashMap::new();
        if !def.params.is_empty() {
            if toks.get(1).map(|t| t.0) != Some(L_PAREN) {
                self.errors.push(
                    Diagnostic::error(
                        codes::MACRO_ARITY,
                        format!(
                            "expected `(` in invocation of macro `@{}` taking {} parameter(s)",
                            def.name,
                            def.params.len()
                        ),
                    )
                    .with_primary(span(self.origin.0, self.origin.1), "invoked here")
                    .with_help("pass the arguments in parentheses"),
                );
                return (Vec::new(), 1);
            }
            let mut args: Vec<Toks> = vec![Vec::new()];
            let mut level = 0u32;
            let mut i = 2;
            let mut closed = false;
            while i < toks.len() {
                let (k, _) = &toks[i];
                match k {
                    L_PAREN | L_BRACK => level += 1,
                    R_PAREN | R_BRACK if level > 0 => level -= 1,
                    R_PAREN => {
                        closed = true;
                        i += 1;
                        break;
                    }
                    COMMA if level == 0 => {
                        args.push(Vec::new());
                        i += 1;
                        continue;
                    }
                    _ => {}
                }
                args.last_mut().unwrap().push(toks[i].clone());
                i += 1;
            }
            used = i;
            if !closed {
                self.errors.push(
                    Diagnostic::error(
                        codes::MACRO_ARITY,
                        format!(
                            "could not find the end of the invocation of `@{}`",
                            def.name
                        ),
                    )
                    .with_primary(span(self.origin.0, self.origin.1), "invoked here")
                    .with_help("close the argument list with `)`"),
                );
                return (Vec::new(), used);
            }
            if args.len() != def.params.len() {
                let which = if args.len() > def.params.len() {
                    "too many"
                } else {
                    "too few"
                };
                self.errors.push(
                    Diagnostic::error(
                        codes::MACRO_ARITY,
                        format!(
                            "{which} parameters for macro `@{}` (expected {})",
                            def.name,
                            def.params.len()
                        ),
                    )
                    .with_primary(span(self.origin.0, self.origin.1), "invoked here")
                    .with_secondary(span(def.range.0, def.range.1), "macro defined here")
                    .with_help("pass one argument per parameter"),
                );
                return (Vec::new(), used);
            }
            for (p, a) in def.params.iter().zip(args) {
                // Arguments are expanded in the caller's scope.
                let a = self.expand_seq(&a, depth + 1, scope);
                bindings.insert(p.clone(), a);
            }
        }
        let body = self.substitute(&def.body, &bindings);
        (self.expand_seq(&body, depth + 1, &HashMap::new()), used)
    }

    fn substitute(&self, body: &Toks, bindings: &HashMap<String, Toks>) -> Toks {
        let mut out = Vec::new();
        for t in body {
            if t.0 == AT_IDENT {
                if let Some(b) = bindings.get(&t.1[1..]) {
                    out.extend(b.iter().cloned());
                    continue;
                }
            }
            out.push(t.clone());
        }
        out
    }

    fn expand_seq(&mut self, toks: &Toks, depth: u32, scope: &HashMap<String, Toks>) -> Toks {
        let mut out = Vec::new();
        let mut i = 0;
        while i < toks.len() {
            let t = &toks[i];
            if t.0 == AT_IDENT && !crate::grammar::is_at_operator(&t.1) && t.1 != "@define" {
                let name = &t.1[1..];
                if let Some(b) = scope.get(name) {
                    out.extend(b.iter().cloned());
                    i += 1;
                    continue;
                }
                let def = self
                    .local
                    .get(name)
                    .or_else(|| self.library.get(name))
                    .cloned();
                match def {
                    Some(def) => {
                        let (ex, used) = self.invoke(&def, &toks[i..], depth, scope);
                        out.extend(ex);
                        i += used.max(1);
                        continue;
                    }
                    None => self.errors.push(unknown_macro(name, self.origin)),
                }
            }
            out.push(t.clone());
            i += 1;
        }
        out
    }
}

/// Token kinds, re-exported for callers matching on macro bodies.
pub use crate::syntax_kind::SyntaxKind as TokenKind;
