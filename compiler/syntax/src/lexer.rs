//! The lexer: text to a flat list of tokens, trivia included.
//!
//! It follows stap's lexer: identifiers may continue with `$`; `$N`, `@N`,
//! `$#`, `@#` are command-line argument references; numbers swallow every
//! following alphanumeric character (the parser validates them); `%{ %}`
//! is one token. Every byte of the input belongs to exactly one token, so
//! concatenating token texts gives back the input. Unterminated strings,
//! comments and embedded code are diagnosed at their start.

use crate::syntax_kind::SyntaxKind::{self, *};
use crate::{codes, span};
use diag::Diagnostic;

/// One lexed token: its kind and its length in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub kind: SyntaxKind,
    pub len: u32,
}

/// Lex `text` into tokens; lexical errors are returned beside.
pub fn lex(text: &str) -> (Vec<Token>, Vec<Diagnostic>) {
    let mut lx = Lexer {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        tokens: Vec::with_capacity(text.len() / 3),
        errors: Vec::new(),
    };
    while lx.pos < lx.bytes.len() {
        let start = lx.pos;
        let kind = lx.next_token();
        debug_assert!(lx.pos > start);
        lx.tokens.push(Token {
            kind,
            len: (lx.pos - start) as u32,
        });
    }
    (lx.tokens, lx.errors)
}

struct Lexer<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    tokens: Vec<Token>,
    errors: Vec<Diagnostic>,
}

fn is_ident_continue(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$'
}

impl Lexer<'_> {
    fn peek(&self, n: usize) -> u8 {
        *self.bytes.get(self.pos + n).unwrap_or(&0)
    }

    fn next_token(&mut self) -> SyntaxKind {
        let c = self.bytes[self.pos];
        let c2 = self.peek(1);
        let start = self.pos;
        match c {
            b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c => {
                while matches!(self.peek(0), b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
                    self.pos += 1;
                }
                WHITESPACE
            }
            b'#' => {
                self.skip_line();
                COMMENT
            }
            b'/' if c2 == b'/' => {
                self.skip_line();
                COMMENT
            }
            b'/' if c2 == b'*' => {
                match find(&self.bytes[self.pos + 2..], b"*/") {
                    Some(i) => self.pos += 2 + i + 2,
                    None => {
                        self.pos = self.bytes.len();
                        self.errors.push(
                            Diagnostic::error(
                                codes::UNTERMINATED_COMMENT,
                                "unterminated block comment",
                            )
                            .with_primary(
                                span(start as u32, start as u32 + 2),
                                "comment opened here is never closed",
                            )
                            .with_help("close the comment with `*/`"),
                        );
                    }
                }
                COMMENT
            }
            b'%' if c2 == b'{' => {
                match find(&self.bytes[self.pos + 2..], b"%}") {
                    Some(i) => self.pos += 2 + i + 2,
                    None => {
                        self.pos = self.bytes.len();
                        self.errors.push(
                            Diagnostic::error(
                                codes::UNTERMINATED_EMBEDDED,
                                "unterminated embedded code block",
                            )
                            .with_primary(
                                span(start as u32, start as u32 + 2),
                                "`%{` opened here is never closed",
                            )
                            .with_help("close the embedded C code with `%}`"),
                        );
                    }
                }
                EMBEDDED_CODE
            }
            b'"' => {
                self.pos += 1;
                loop {
                    match self.peek(0) {
                        b'"' => {
                            self.pos += 1;
                            break;
                        }
                        b'\\' if self.pos + 1 < self.bytes.len() && self.peek(1) != b'\n' => {
                            self.pos += 1;
                            self.bump_char();
                        }
                        b'\n' | 0 if self.pos >= self.bytes.len() || self.peek(0) == b'\n' => {
                            self.errors.push(
                                Diagnostic::error(
                                    codes::UNTERMINATED_STRING,
                                    "unterminated string literal",
                                )
                                .with_primary(
                                    span(start as u32, start as u32 + 1),
                                    "string starts here and is not closed on this line",
                                )
                                .with_help("add the closing `\"`; a string cannot span lines"),
                            );
                            break;
                        }
                        _ => self.bump_char(),
                    }
                }
                STRING
            }
            b'$' | b'@' if c2 == b'#' => {
                self.pos += 2;
                CMDLINE_ARG
            }
            b'$' | b'@' if c2.is_ascii_digit() => {
                self.pos += 1;
                while self.peek(0).is_ascii_digit() {
                    self.pos += 1;
                }
                CMDLINE_ARG
            }
            b'$' | b'@' => {
                self.pos += 1;
                while is_ident_continue(self.peek(0)) {
                    self.pos += 1;
                }
                if c == b'$' {
                    DOLLAR_IDENT
                } else {
                    AT_IDENT
                }
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                self.pos += 1;
                while is_ident_continue(self.peek(0)) {
                    self.pos += 1;
                }
                SyntaxKind::from_keyword(&self.text[start..self.pos]).unwrap_or(IDENT)
            }
            b'0'..=b'9' => {
                self.pos += 1;
                while self.peek(0).is_ascii_alphanumeric() {
                    self.pos += 1;
                }
                NUMBER
            }
            _ if c.is_ascii_punctuation() => self.operator(c, c2),
            _ => {
                self.bump_char();
                let ch = self.text[start..self.pos].chars().next().unwrap_or('?');
                self.errors.push(
                    Diagnostic::error(
                        codes::INVALID_CHARACTER,
                        format!("invalid character {ch:?} in script"),
                    )
                    .with_primary(
                        span(start as u32, self.pos as u32),
                        "this character starts no token",
                    )
                    .with_help(
                        "remove it; SystemTap scripts use ASCII outside strings and comments",
                    ),
                );
                ERROR_TOKEN
            }
        }
    }

    fn bump_char(&mut self) {
        let b = self.bytes[self.pos];
        let n = if b < 0x80 {
            1
        } else if b >= 0xf0 {
            4
        } else if b >= 0xe0 {
            3
        } else {
            2
        };
        self.pos = (self.pos + n).min(self.bytes.len());
        while !self.text.is_char_boundary(self.pos) {
            self.pos += 1;
        }
    }

    fn skip_line(&mut self) {
        match self.bytes[self.pos..].iter().position(|&b| b == b'\n') {
            Some(i) => self.pos += i,
            None => self.pos = self.bytes.len(),
        }
    }

    fn operator(&mut self, c: u8, c2: u8) -> SyntaxKind {
        let c3 = self.peek(2);
        let three = match (c, c2, c3) {
            (b'<', b'<', b'<') => Some(SHL3),
            (b'>', b'>', b'>') => Some(SHR3),
            (b'<', b'<', b'=') => Some(SHLEQ),
            (b'>', b'>', b'=') => Some(SHREQ),
            _ => None,
        };
        if let Some(k) = three {
            self.pos += 3;
            return k;
        }
        let two = match (c, c2) {
            (b'=', b'=') => Some(EQ2),
            (b'!', b'=') => Some(NEQ),
            (b'<', b'=') => Some(LTEQ),
            (b'>', b'=') => Some(GTEQ),
            (b'=', b'~') => Some(REGEX_EQ),
            (b'!', b'~') => Some(REGEX_NE),
            (b'+', b'=') => Some(PLUSEQ),
            (b'-', b'=') => Some(MINUSEQ),
            (b'*', b'=') => Some(STAREQ),
            (b'/', b'=') => Some(SLASHEQ),
            (b'%', b'=') => Some(PERCENTEQ),
            (b'&', b'=') => Some(AMPEQ),
            (b'^', b'=') => Some(CARETEQ),
            (b'|', b'=') => Some(PIPEEQ),
            (b'.', b'=') => Some(DOTEQ),
            (b'&', b'&') => Some(AMP2),
            (b'|', b'|') => Some(PIPE2),
            (b'+', b'+') => Some(PLUS2),
            (b'-', b'-') => Some(MINUS2),
            (b'-', b'>') => Some(ARROW),
            (b'<', b'<') => Some(SHL),
            (b'>', b'>') => Some(SHR),
            (b'%', b'(') => Some(PP_OPEN),
            (b'%', b'?') => Some(PP_THEN),
            (b'%', b':') => Some(PP_ELSE),
            (b'%', b')') => Some(PP_CLOSE),
            _ => None,
        };
        if let Some(k) = two {
            self.pos += 2;
            return k;
        }
        self.pos += 1;
        match c {
            b'+' => PLUS,
            b'-' => MINUS,
            b'*' => STAR,
            b'/' => SLASH,
            b'%' => PERCENT,
            b'&' => AMP,
            b'|' => PIPE,
            b'^' => CARET,
            b'~' => TILDE,
            b'!' => BANG,
            b'<' => LT,
            b'>' => GT,
            b'=' => EQ,
            b'.' => DOT,
            b',' => COMMA,
            b';' => SEMICOLON,
            b':' => COLON,
            b'?' => QUESTION,
            b'(' => L_PAREN,
            b')' => R_PAREN,
            b'[' => L_BRACK,
            b']' => R_BRACK,
            b'{' => L_CURLY,
            b'}' => R_CURLY,
            _ => {
                self.errors.push(
                    Diagnostic::error(
                        codes::INVALID_CHARACTER,
                        format!("invalid character {:?} in script", c as char),
                    )
                    .with_primary(
                        span(self.pos as u32 - 1, self.pos as u32),
                        "this character starts no token",
                    )
                    .with_help("remove it, or put it inside a string literal"),
                );
                ERROR_TOKEN
            }
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
