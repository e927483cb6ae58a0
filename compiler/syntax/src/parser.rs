//! The event-based recursive-descent parser core.
//!
//! The parser reads the significant (non-trivia) tokens and emits a flat
//! list of [`Event`]s; [`build_tree`] turns them into a rowan green tree,
//! putting the trivia back so that the tree is lossless. Markers follow
//! rust-analyzer's design (`start`/`complete`/`precede`).
//!
//! Invariants:
//! - Every loop in the grammar either consumes a token or stops; the
//!   `fuel` counter turns a violation into an internal error instead of a
//!   hang.
//! - Recursion is bounded by `depth` (see [`MAX_DEPTH`]); past it the parser
//!   skips the nested region as a flat error node and reports E0113.
//! - Speculation (used for conditional arms) is done with
//!   [`Parser::checkpoint`] / [`Parser::rewind`], which truncate events and
//!   errors.

use crate::lexer::Token;
use crate::syntax_kind::SyntaxKind::{self, *};
use crate::{codes, span};
use diag::Diagnostic;
use rowan::{GreenNode, GreenNodeBuilder};

/// Deepest nesting of expressions, statements, blocks and conditionals.
pub(crate) const MAX_DEPTH: u32 = 128;

/// Peeks allowed without consuming a token before the parser declares
/// that it is stuck.
const FUEL: u32 = 100_000;

#[derive(Debug, Clone, Copy)]
pub(crate) enum Event {
    Start {
        kind: SyntaxKind,
        forward_parent: Option<u32>,
    },
    Finish,
    Token,
    Tombstone,
}

pub(crate) struct Parser<'t> {
    pub(crate) text: &'t str,
    pub(crate) tokens: &'t [Token],
    /// Byte offset of every token (trivia included), plus the text length.
    pub(crate) offsets: Vec<u32>,
    /// Indices into `tokens` of the significant tokens.
    pub(crate) sig: Vec<u32>,
    pub(crate) pos: usize,
    pub(crate) events: Vec<Event>,
    pub(crate) errors: Vec<Diagnostic>,
    pub(crate) depth: u32,
    pub(crate) deep_reported: bool,
    fuel: u32,
    /// Whether `return` is allowed (inside a function body).
    pub(crate) in_function: bool,
    /// How many conditional arms enclose the current position.
    pub(crate) arm_depth: u32,
    /// Position (significant-token index) where a bare histogram operator
    /// is allowed: the first argument of `print` & co.
    pub(crate) hist_ok_at: Option<usize>,
}

#[derive(Clone, Copy)]
pub(crate) struct Checkpoint {
    pos: usize,
    events: usize,
    errors: usize,
    deep_reported: bool,
}

pub(crate) struct Marker {
    pub(crate) pos: u32,
}

#[derive(Clone, Copy)]
pub(crate) struct CompletedMarker {
    pos: u32,
    pub(crate) kind: SyntaxKind,
}

impl Marker {
    pub(crate) fn complete(self, p: &mut Parser<'_>, kind: SyntaxKind) -> CompletedMarker {
        match &mut p.events[self.pos as usize] {
            Event::Start { kind: k, .. } => *k = kind,
            _ => unreachable!(),
        }
        p.events.push(Event::Finish);
        CompletedMarker {
            pos: self.pos,
            kind,
        }
    }
    #[allow(dead_code)]
    pub(crate) fn abandon(self, p: &mut Parser<'_>) {
        if self.pos as usize == p.events.len() - 1 {
            p.events.pop();
        } else {
            p.events[self.pos as usize] = Event::Tombstone;
        }
    }
}

impl CompletedMarker {
    pub(crate) fn precede(self, p: &mut Parser<'_>) -> Marker {
        let m = p.start();
        match &mut p.events[self.pos as usize] {
            Event::Start { forward_parent, .. } => *forward_parent = Some(m.pos - self.pos),
            _ => unreachable!(),
        }
        m
    }
    pub(crate) fn change_kind(&mut self, p: &mut Parser<'_>, kind: SyntaxKind) {
        match &mut p.events[self.pos as usize] {
            Event::Start { kind: k, .. } => *k = kind,
            _ => unreachable!(),
        }
        self.kind = kind;
    }
}

impl<'t> Parser<'t> {
    pub(crate) fn new(text: &'t str, tokens: &'t [Token]) -> Self {
        let mut offsets = Vec::with_capacity(tokens.len() + 1);
        let mut sig = Vec::with_capacity(tokens.len() / 2 + 1);
        let mut off = 0u32;
        for (i, t) in tokens.iter().enumerate() {
            offsets.push(off);
            off += t.len;
            if !t.kind.is_trivia() {
                sig.push(i as u32);
            }
        }
        offsets.push(off);
        Parser {
            text,
            tokens,
            offsets,
            sig,
            pos: 0,
            events: Vec::with_capacity(tokens.len() * 2),
            errors: Vec::new(),
            depth: 0,
            deep_reported: false,
            fuel: FUEL,
            in_function: false,
            arm_depth: 0,
            hist_ok_at: None,
        }
    }

    // ---- token access ----

    pub(crate) fn nth(&mut self, n: usize) -> SyntaxKind {
        if n == 0 {
            // A loop that keeps peeking without consuming eventually runs
            // out of fuel; report it instead of hanging.
            if self.fuel == 0 {
                if self.pos < self.sig.len() {
                    self.errors
                        .push(Diagnostic::bug("the parser stopped making progress"));
                }
                self.pos = self.sig.len();
                return __LAST_TOKEN; // end of input: every loop stops there
            }
            self.fuel -= 1;
        }
        self.sig
            .get(self.pos + n)
            .map(|&i| self.tokens[i as usize].kind)
            .unwrap_or(__LAST_TOKEN)
    }
    pub(crate) fn current(&mut self) -> SyntaxKind {
        self.nth(0)
    }
    /// The kind of the current token without touching fuel.
    pub(crate) fn peek_kind(&self) -> SyntaxKind {
        self.sig
            .get(self.pos)
            .map(|&i| self.tokens[i as usize].kind)
            .unwrap_or(__LAST_TOKEN)
    }
    pub(crate) fn at(&mut self, k: SyntaxKind) -> bool {
        self.current() == k
    }
    pub(crate) fn at_eof(&self) -> bool {
        self.pos >= self.sig.len()
    }
    pub(crate) fn nth_text(&self, n: usize) -> &'t str {
        match self.sig.get(self.pos + n) {
            Some(&i) => {
                let i = i as usize;
                &self.text[self.offsets[i] as usize..self.offsets[i + 1] as usize]
            }
            None => "",
        }
    }
    pub(crate) fn current_text(&self) -> &'t str {
        self.nth_text(0)
    }
    /// Byte range of the significant token `n` ahead (empty at EOF).
    pub(crate) fn nth_range(&self, n: usize) -> (u32, u32) {
        match self.sig.get(self.pos + n) {
            Some(&i) => (self.offsets[i as usize], self.offsets[i as usize + 1]),
            None => {
                let end = *self.offsets.last().unwrap();
                (end, end)
            }
        }
    }
    pub(crate) fn current_range(&self) -> (u32, u32) {
        self.nth_range(0)
    }
    /// Range of the previous significant token.
    pub(crate) fn prev_range(&self) -> (u32, u32) {
        if self.pos == 0 {
            return (0, 0);
        }
        let i = self.sig[self.pos - 1] as usize;
        (self.offsets[i], self.offsets[i + 1])
    }
    /// Whether trivia (whitespace or a comment) precedes the current token.
    pub(crate) fn trivia_before(&self) -> bool {
        match self.sig.get(self.pos) {
            Some(&i) => {
                if self.pos == 0 {
                    i > 0
                } else {
                    i > self.sig[self.pos - 1] + 1
                }
            }
            None => true,
        }
    }

    pub(crate) fn bump(&mut self) {
        if self.pos < self.sig.len() {
            self.pos += 1;
            self.fuel = FUEL;
            self.events.push(Event::Token);
        }
    }
    pub(crate) fn eat(&mut self, k: SyntaxKind) -> bool {
        if self.at(k) {
            self.bump();
            true
        } else {
            false
        }
    }
    pub(crate) fn start(&mut self) -> Marker {
        let pos = self.events.len() as u32;
        self.events.push(Event::Start {
            kind: TOMBSTONE_KIND,
            forward_parent: None,
        });
        Marker { pos }
    }

    pub(crate) fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            pos: self.pos,
            events: self.events.len(),
            errors: self.errors.len(),
            deep_reported: self.deep_reported,
        }
    }
    pub(crate) fn rewind(&mut self, cp: Checkpoint) {
        self.pos = cp.pos;
        self.events.truncate(cp.events);
        self.errors.truncate(cp.errors);
        self.deep_reported = cp.deep_reported;
        self.fuel = FUEL;
    }
    pub(crate) fn errors_since(&self, cp: &Checkpoint) -> bool {
        self.errors.len() > cp.errors
    }

    // ---- errors ----

    pub(crate) fn push_error(&mut self, d: Diagnostic) {
        self.errors.push(d);
    }
    /// "expected X, found Y" at the current token.
    pub(crate) fn error_expected(&mut self, what: &str) {
        let (s, e) = self.current_range();
        let found = if self.at_eof() {
            "end of file".to_string()
        } else {
            self.peek_kind().describe()
        };
        self.errors.push(
            Diagnostic::error(codes::SYNTAX, format!("expected {what}, found {found}"))
                .with_primary(span(s, e), format!("expected {what}"))
                .with_help(format!("insert {what} here or remove the unexpected token")),
        );
    }
    pub(crate) fn error_at(
        &mut self,
        code: &'static str,
        range: (u32, u32),
        msg: impl Into<String>,
        label: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.errors.push(
            Diagnostic::error(code, msg)
                .with_primary(span(range.0, range.1), label)
                .with_help(help),
        );
    }
    pub(crate) fn expect(&mut self, k: SyntaxKind) -> bool {
        if self.eat(k) {
            true
        } else {
            self.error_expected(&k.describe());
            false
        }
    }
    /// Expects a closing delimiter; if it is missing, points at the opener.
    pub(crate) fn expect_closing(&mut self, k: SyntaxKind, open: (u32, u32)) -> bool {
        if self.eat(k) {
            return true;
        }
        let (s, e) = self.current_range();
        let found = if self.at_eof() {
            "end of file".to_string()
        } else {
            self.peek_kind().describe()
        };
        let opener = match k {
            R_PAREN => "(",
            R_BRACK => "[",
            R_CURLY => "{",
            PP_CLOSE => "%(",
            _ => "",
        };
        let code = if self.at_eof() {
            codes::UNCLOSED
        } else {
            codes::SYNTAX
        };
        self.errors.push(
            Diagnostic::error(code, format!("expected {}, found {found}", k.describe()))
                .with_primary(span(s, e), format!("expected {}", k.describe()))
                .with_secondary(
                    span(open.0, open.1),
                    format!("unclosed `{opener}` opened here"),
                )
                .with_help(format!("add the missing {}", k.describe())),
        );
        false
    }
    /// Wraps the current token in an ERROR node after reporting.
    pub(crate) fn err_and_bump(&mut self, what: &str) {
        self.error_expected(what);
        let m = self.start();
        self.bump();
        m.complete(self, ERROR);
    }

    // ---- depth ----

    /// Enters one level of nesting; false (after reporting once) when the
    /// limit is reached. The caller must then call [`Parser::skip_deep`].
    pub(crate) fn enter(&mut self) -> bool {
        if self.depth >= MAX_DEPTH {
            return false;
        }
        self.depth += 1;
        true
    }
    pub(crate) fn leave(&mut self) {
        self.depth -= 1;
    }
    /// Too deep: report once, then consume a balanced region flatly.
    pub(crate) fn skip_deep(&mut self) {
        if !self.deep_reported {
            self.deep_reported = true;
            let r = self.current_range();
            self.error_at(
                codes::TOO_DEEP,
                r,
                format!("nesting deeper than {MAX_DEPTH} levels"),
                "nesting limit reached here",
                "simplify the code: split deep expressions with temporary variables",
            );
        }
        // Skip the rest of the construct: everything up to a terminator
        // at nesting level 0, so that no caller keeps building nodes on
        // top of the deep region.
        let m = self.start();
        let mut level: u64 = 0;
        loop {
            let k = self.peek_kind();
            match k {
                __LAST_TOKEN => break,
                L_PAREN | L_BRACK | L_CURLY | PP_OPEN => level += 1,
                R_PAREN | R_BRACK | R_CURLY | PP_CLOSE if level == 0 => break,
                R_PAREN | R_BRACK | R_CURLY | PP_CLOSE => level -= 1,
                SEMICOLON | COMMA | PP_THEN | PP_ELSE if level == 0 => break,
                PROBE_KW | FUNCTION_KW | GLOBAL_KW | PRIVATE_KW if level == 0 => break,
                _ => {}
            }
            self.bump();
        }
        m.complete(self, ERROR);
    }
}

const TOMBSTONE_KIND: SyntaxKind = ERROR;

/// Build the green tree from the events, re-inserting trivia.
pub(crate) fn build_tree(p: &Parser<'_>) -> GreenNode {
    let mut builder = GreenNodeBuilder::new();
    let mut events: Vec<Event> = p.events.clone();
    let mut raw = 0usize; // next raw token index
    let mut sig = 0usize; // next significant token
    let mut depth = 0usize;
    let text = p.text;
    let token_text = |i: usize| &text[p.offsets[i] as usize..p.offsets[i + 1] as usize];
    let mut forward: Vec<SyntaxKind> = Vec::new();

    for idx in 0..events.len() {
        match std::mem::replace(&mut events[idx], Event::Tombstone) {
            Event::Start {
                kind,
                forward_parent,
            } => {
                forward.clear();
                forward.push(kind);
                let mut fp = forward_parent;
                let mut cur = idx;
                while let Some(d) = fp {
                    cur += d as usize;
                    fp = match std::mem::replace(&mut events[cur], Event::Tombstone) {
                        Event::Start {
                            kind,
                            forward_parent,
                        } => {
                            forward.push(kind);
                            forward_parent
                        }
                        _ => unreachable!(),
                    };
                }
                // Leading trivia belongs to the enclosing node, except at the
                // root.
                if depth > 0 {
                    let target = p
                        .sig
                        .get(sig)
                        .map(|&i| i as usize)
                        .unwrap_or(p.tokens.len());
                    while raw < target {
                        builder.token(p.tokens[raw].kind.into(), token_text(raw));
                        raw += 1;
                    }
                }
                for &k in forward.iter().rev() {
                    builder.start_node(k.into());
                    depth += 1;
                }
            }
            Event::Finish => {
                depth -= 1;
                if depth == 0 {
                    // Trailing trivia of the file goes into the root.
                    while raw < p.tokens.len() {
                        builder.token(p.tokens[raw].kind.into(), token_text(raw));
                        raw += 1;
                    }
                }
                builder.finish_node();
            }
            Event::Token => {
                let target = p.sig[sig] as usize;
                while raw <= target {
                    builder.token(p.tokens[raw].kind.into(), token_text(raw));
                    raw += 1;
                }
                sig += 1;
            }
            Event::Tombstone => {}
        }
    }
    builder.finish()
}
