//! The kinds of tokens and nodes in the lossless tree.
//!
//! Token kinds come first (they are produced by the lexer), node kinds
//! after `__LAST_TOKEN`. The numeric values are not stable across
//! versions: never store them, store green nodes.

/// Every token and node kind of the SystemTap grammar.
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u16)]
pub enum SyntaxKind {
    // Trivia.
    WHITESPACE = 0,
    COMMENT,
    // Atoms.
    /// `foo`, also `a$b` (stap lets `$` continue an identifier).
    IDENT,
    /// `$foo`, `$$vars`, `$$return`, `$foo$`, and the bare pretty-print
    /// suffixes `$` and `$$`.
    DOLLAR_IDENT,
    /// `@count`, `@define`, `@my_macro`.
    AT_IDENT,
    /// `$1`, `@1`, `$#`, `@#`: a command-line argument reference.
    CMDLINE_ARG,
    NUMBER,
    STRING,
    /// `%{ ... %}`, delimiters included.
    EMBEDDED_CODE,
    // Preprocessor markers.
    /// `%(`
    PP_OPEN,
    /// `%?`
    PP_THEN,
    /// `%:`
    PP_ELSE,
    /// `%)`
    PP_CLOSE,
    // Keywords.
    PROBE_KW,
    GLOBAL_KW,
    PRIVATE_KW,
    FUNCTION_KW,
    IF_KW,
    ELSE_KW,
    FOR_KW,
    FOREACH_KW,
    IN_KW,
    LIMIT_KW,
    RETURN_KW,
    DELETE_KW,
    WHILE_KW,
    BREAK_KW,
    CONTINUE_KW,
    NEXT_KW,
    STRING_KW,
    LONG_KW,
    TRY_KW,
    CATCH_KW,
    // Punctuation and operators, longest first where prefixes overlap.
    SHL3,      // <<<
    SHR3,      // >>>
    SHLEQ,     // <<=
    SHREQ,     // >>=
    EQ2,       // ==
    NEQ,       // !=
    LTEQ,      // <=
    GTEQ,      // >=
    REGEX_EQ,  // =~
    REGEX_NE,  // !~
    PLUSEQ,    // +=
    MINUSEQ,   // -=
    STAREQ,    // *=
    SLASHEQ,   // /=
    PERCENTEQ, // %=
    AMPEQ,     // &=
    CARETEQ,   // ^=
    PIPEEQ,    // |=
    DOTEQ,     // .=
    AMP2,      // &&
    PIPE2,     // ||
    PLUS2,     // ++
    MINUS2,    // --
    ARROW,     // ->
    SHL,       // <<
    SHR,       // >>
    PLUS,
    MINUS,
    STAR,
    SLASH,
    PERCENT,
    AMP,
    PIPE,
    CARET,
    TILDE,
    BANG,
    LT,
    GT,
    EQ,
    DOT,
    COMMA,
    SEMICOLON,
    COLON,
    QUESTION,
    L_PAREN,
    R_PAREN,
    L_BRACK,
    R_BRACK,
    L_CURLY,
    R_CURLY,
    /// A character that starts no token (or an unterminated construct's
    /// leftover): kept in the tree, reported by the lexer.
    ERROR_TOKEN,
    #[doc(hidden)]
    __LAST_TOKEN,

    // Nodes.
    SOURCE_FILE,
    /// Tokens the parser could not place.
    ERROR,
    // Declarations.
    PROBE_DECL,
    PROBE_ALIAS_DECL,
    /// The name of an alias (one probe point) before `=` or `+=`.
    ALIAS_NAME,
    PROBE_POINT_LIST,
    PROBE_POINT,
    COMPONENT,
    /// The glued name of a component: identifiers, keywords and `*`.
    COMPONENT_NAME,
    /// `(literal)` after a component name.
    COMPONENT_ARG,
    /// `{a, b.c}` inside a probe point.
    BRACE_EXPANSION,
    /// `if (expr)` after a probe point.
    PROBE_COND,
    FUNCTION_DECL,
    /// `:string` / `:long` after a function name or parameter.
    TYPE_ANNOT,
    PARAM_LIST,
    PARAM,
    /// `:N` before a function body.
    FUNCTION_PRIORITY,
    GLOBAL_DECL,
    GLOBAL_VAR,
    /// `[N]` after a global name.
    ARRAY_SIZE,
    /// `= literal` after a global name.
    GLOBAL_INIT,
    /// Top-level `%{ ... %}`.
    EMBEDDED_DECL,
    /// `@define name(params) %( body %)`.
    MACRO_DEF,
    MACRO_PARAM_LIST,
    MACRO_BODY,
    /// `@name` or `@name(args)` where `name` is not a built-in operator.
    MACRO_CALL,
    MACRO_ARG_LIST,
    MACRO_ARG,
    /// A run of tokens kept unparsed: the fallback for a macro call or a
    /// conditional arm that cannot be parsed where it stands.
    TOKEN_SOUP,
    // Preprocessor conditionals.
    /// `%( cond %? then %: else %)`.
    PP_COND,
    /// The condition between `%(` and `%?`.
    PP_CONDITION,
    /// One `lhs op rhs` comparison of a condition.
    PP_COMPARISON,
    /// One operand of a comparison (a single token).
    PP_OPERAND,
    PP_THEN_ARM,
    PP_ELSE_ARM,
    // Statements.
    BLOCK,
    EMPTY_STMT,
    EXPR_STMT,
    IF_STMT,
    ELSE_CLAUSE,
    FOR_STMT,
    FOR_INIT,
    FOR_COND,
    FOR_STEP,
    WHILE_STMT,
    FOREACH_STMT,
    /// `v =` (optionally `v+ =`) before the keys of a foreach.
    FOREACH_VALUE,
    /// One key variable of a foreach, optionally with a sort suffix.
    FOREACH_KEY,
    /// The bracketed or single key list of a foreach.
    FOREACH_KEYS,
    /// `@sum+`, `-` after the array of a foreach.
    FOREACH_SORT,
    FOREACH_LIMIT,
    TRY_STMT,
    CATCH_CLAUSE,
    DELETE_STMT,
    NEXT_STMT,
    BREAK_STMT,
    CONTINUE_STMT,
    RETURN_STMT,
    /// A statement-position `%{ ... %}` is an expression statement; this is
    /// not used for it. Reserved.
    EMBEDDED_STMT,
    // Expressions.
    LITERAL,
    NAME_REF,
    /// A name being defined: function, parameter, global, foreach key.
    NAME,
    TARGET_VAR,
    CMDLINE_ARG_EXPR,
    EMBEDDED_EXPR,
    PAREN_EXPR,
    CALL_EXPR,
    ARG_LIST,
    INDEX_EXPR,
    INDEX_LIST,
    WILDCARD,
    AT_EXPR,
    MEMBER_EXPR,
    PRETTY_EXPR,
    PREFIX_EXPR,
    POSTFIX_EXPR,
    BIN_EXPR,
    ASSIGN_EXPR,
    TERNARY_EXPR,
    IN_EXPR,
    TUPLE,
    #[doc(hidden)]
    __LAST,
}

use SyntaxKind::*;

impl SyntaxKind {
    pub fn is_trivia(self) -> bool {
        matches!(self, WHITESPACE | COMMENT)
    }
    pub fn is_token(self) -> bool {
        (self as u16) < (__LAST_TOKEN as u16)
    }
    pub fn is_keyword(self) -> bool {
        (PROBE_KW as u16..=CATCH_KW as u16).contains(&(self as u16))
    }
    /// The keyword kind for `text`, if it is one. `string` and `long` are
    /// keywords as in stap.
    pub fn from_keyword(text: &str) -> Option<SyntaxKind> {
        Some(match text {
            "probe" => PROBE_KW,
            "global" => GLOBAL_KW,
            "private" => PRIVATE_KW,
            "function" => FUNCTION_KW,
            "if" => IF_KW,
            "else" => ELSE_KW,
            "for" => FOR_KW,
            "foreach" => FOREACH_KW,
            "in" => IN_KW,
            "limit" => LIMIT_KW,
            "return" => RETURN_KW,
            "delete" => DELETE_KW,
            "while" => WHILE_KW,
            "break" => BREAK_KW,
            "continue" => CONTINUE_KW,
            "next" => NEXT_KW,
            "string" => STRING_KW,
            "long" => LONG_KW,
            "try" => TRY_KW,
            "catch" => CATCH_KW,
            _ => return None,
        })
    }
    /// Fixed text of punctuation and keyword tokens, for messages.
    pub fn text(self) -> Option<&'static str> {
        Some(match self {
            PP_OPEN => "%(",
            PP_THEN => "%?",
            PP_ELSE => "%:",
            PP_CLOSE => "%)",
            PROBE_KW => "probe",
            GLOBAL_KW => "global",
            PRIVATE_KW => "private",
            FUNCTION_KW => "function",
            IF_KW => "if",
            ELSE_KW => "else",
            FOR_KW => "for",
            FOREACH_KW => "foreach",
            IN_KW => "in",
            LIMIT_KW => "limit",
            RETURN_KW => "return",
            DELETE_KW => "delete",
            WHILE_KW => "while",
            BREAK_KW => "break",
            CONTINUE_KW => "continue",
            NEXT_KW => "next",
            STRING_KW => "string",
            LONG_KW => "long",
            TRY_KW => "try",
            CATCH_KW => "catch",
            SHL3 => "<<<",
            SHR3 => ">>>",
            SHLEQ => "<<=",
            SHREQ => ">>=",
            EQ2 => "==",
            NEQ => "!=",
            LTEQ => "<=",
            GTEQ => ">=",
            REGEX_EQ => "=~",
            REGEX_NE => "!~",
            PLUSEQ => "+=",
            MINUSEQ => "-=",
            STAREQ => "*=",
            SLASHEQ => "/=",
            PERCENTEQ => "%=",
            AMPEQ => "&=",
            CARETEQ => "^=",
            PIPEEQ => "|=",
            DOTEQ => ".=",
            AMP2 => "&&",
            PIPE2 => "||",
            PLUS2 => "++",
            MINUS2 => "--",
            ARROW => "->",
            SHL => "<<",
            SHR => ">>",
            PLUS => "+",
            MINUS => "-",
            STAR => "*",
            SLASH => "/",
            PERCENT => "%",
            AMP => "&",
            PIPE => "|",
            CARET => "^",
            TILDE => "~",
            BANG => "!",
            LT => "<",
            GT => ">",
            EQ => "=",
            DOT => ".",
            COMMA => ",",
            SEMICOLON => ";",
            COLON => ":",
            QUESTION => "?",
            L_PAREN => "(",
            R_PAREN => ")",
            L_BRACK => "[",
            R_BRACK => "]",
            L_CURLY => "{",
            R_CURLY => "}",
            _ => return None,
        })
    }
    /// A short human description for "expected X, found Y" messages.
    pub fn describe(self) -> String {
        match self {
            IDENT => "identifier".into(),
            DOLLAR_IDENT => "target variable".into(),
            AT_IDENT => "@-operator".into(),
            CMDLINE_ARG => "command-line argument".into(),
            NUMBER => "number".into(),
            STRING => "string literal".into(),
            EMBEDDED_CODE => "embedded code".into(),
            ERROR_TOKEN => "invalid character".into(),
            k => match k.text() {
                Some(t) => format!("`{t}`"),
                None => format!("{k:?}"),
            },
        }
    }

    pub(crate) fn from_raw(raw: u16) -> SyntaxKind {
        assert!(raw < __LAST as u16);
        // SAFETY: `SyntaxKind` is `repr(u16)` with contiguous discriminants
        // from 0 to `__LAST`, and `raw` was checked to be below `__LAST`.
        unsafe { std::mem::transmute::<u16, SyntaxKind>(raw) }
    }
}

impl From<SyntaxKind> for rowan::SyntaxKind {
    fn from(k: SyntaxKind) -> Self {
        rowan::SyntaxKind(k as u16)
    }
}

/// The rowan language tag of SystemTap trees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StapLanguage {}

impl rowan::Language for StapLanguage {
    type Kind = SyntaxKind;
    fn kind_from_raw(raw: rowan::SyntaxKind) -> SyntaxKind {
        SyntaxKind::from_raw(raw.0)
    }
    fn kind_to_raw(kind: SyntaxKind) -> rowan::SyntaxKind {
        kind.into()
    }
}

pub type SyntaxNode = rowan::SyntaxNode<StapLanguage>;
pub type SyntaxToken = rowan::SyntaxToken<StapLanguage>;
pub type SyntaxElement = rowan::SyntaxElement<StapLanguage>;
