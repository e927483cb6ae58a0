//! Typed views over the lossless tree, rust-analyzer style: each wrapper
//! holds a `SyntaxNode` of one kind and offers accessors that return
//! `Option`s (the tree may be incomplete after errors).
//!
//! Wrappers are cheap to clone and never own data beyond the node. Keep
//! `GreenNode`s, not these, in long-lived storage.

use crate::grammar::parse_number;
use crate::preprocess::{Comparison, CondOp, Condition, Operand};
use crate::syntax_kind::SyntaxKind::{self, *};
use crate::{SyntaxNode, SyntaxToken};
use rowan::NodeOrToken;

/// A typed node.
pub trait AstNode: Sized {
    fn can_cast(kind: SyntaxKind) -> bool;
    fn cast(node: SyntaxNode) -> Option<Self>;
    fn syntax(&self) -> &SyntaxNode;
    /// The node's text (with inner trivia).
    fn text(&self) -> String {
        self.syntax().text().to_string()
    }
}

macro_rules! ast_node {
    ($(#[$m:meta])* $name:ident, $kind:ident) => {
        $(#[$m])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub struct $name {
            pub(crate) syntax: SyntaxNode,
        }
        impl AstNode for $name {
            fn can_cast(kind: SyntaxKind) -> bool {
                kind == $kind
            }
            fn cast(node: SyntaxNode) -> Option<Self> {
                if node.kind() == $kind {
                    Some($name { syntax: node })
                } else {
                    None
                }
            }
            fn syntax(&self) -> &SyntaxNode {
                &self.syntax
            }
        }
    };
}

fn child<N: AstNode>(n: &SyntaxNode) -> Option<N> {
    n.children().find_map(N::cast)
}
fn children<N: AstNode>(n: &SyntaxNode) -> Vec<N> {
    n.children().filter_map(N::cast).collect()
}
fn token(n: &SyntaxNode, k: SyntaxKind) -> Option<SyntaxToken> {
    n.children_with_tokens()
        .filter_map(|e| e.into_token())
        .find(|t| t.kind() == k)
}
fn first_sig_token(n: &SyntaxNode) -> Option<SyntaxToken> {
    n.children_with_tokens()
        .filter_map(|e| e.into_token())
        .find(|t| !t.kind().is_trivia())
}
fn exprs(n: &SyntaxNode) -> Vec<Expr> {
    n.children().filter_map(Expr::cast).collect()
}
/// Text of the significant tokens of a node, glued without trivia.
fn glued_text(n: &SyntaxNode) -> String {
    n.descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| !t.kind().is_trivia())
        .map(|t| t.text().to_string())
        .collect()
}

// ------------------------------------------------------------- file level

ast_node!(
    /// The root of every parsed file.
    SourceFile,
    SOURCE_FILE
);
ast_node!(ProbeDecl, PROBE_DECL);
ast_node!(
    /// `probe name = points { }`, `probe name += points { }`, and the
    /// combined `probe name = points { prologue } , { epilogue }`.
    ProbeAliasDecl,
    PROBE_ALIAS_DECL
);
ast_node!(AliasName, ALIAS_NAME);
ast_node!(ProbePointList, PROBE_POINT_LIST);
ast_node!(ProbePoint, PROBE_POINT);
ast_node!(Component, COMPONENT);
ast_node!(ComponentArg, COMPONENT_ARG);
ast_node!(BraceExpansion, BRACE_EXPANSION);
ast_node!(FunctionDecl, FUNCTION_DECL);
ast_node!(TypeAnnot, TYPE_ANNOT);
ast_node!(ParamList, PARAM_LIST);
ast_node!(Param, PARAM);
ast_node!(GlobalDecl, GLOBAL_DECL);
ast_node!(GlobalVar, GLOBAL_VAR);
ast_node!(EmbeddedDecl, EMBEDDED_DECL);
ast_node!(MacroDef, MACRO_DEF);
ast_node!(MacroCall, MACRO_CALL);
ast_node!(
    /// Tokens kept unparsed (a top-level macro invocation or a conditional
    /// arm that does not parse where it stands).
    TokenSoup,
    TOKEN_SOUP
);
ast_node!(Name, NAME);
ast_node!(PpCond, PP_COND);
ast_node!(PpCondition, PP_CONDITION);
ast_node!(PpComparison, PP_COMPARISON);

/// A top-level item.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Item {
    Probe(ProbeDecl),
    Alias(ProbeAliasDecl),
    Function(FunctionDecl),
    Global(GlobalDecl),
    Embedded(EmbeddedDecl),
    MacroDef(MacroDef),
    Cond(PpCond),
    Soup(TokenSoup),
}

impl Item {
    pub fn cast(n: SyntaxNode) -> Option<Item> {
        Some(match n.kind() {
            PROBE_DECL => Item::Probe(ProbeDecl { syntax: n }),
            PROBE_ALIAS_DECL => Item::Alias(ProbeAliasDecl { syntax: n }),
            FUNCTION_DECL => Item::Function(FunctionDecl { syntax: n }),
            GLOBAL_DECL => Item::Global(GlobalDecl { syntax: n }),
            EMBEDDED_DECL => Item::Embedded(EmbeddedDecl { syntax: n }),
            MACRO_DEF => Item::MacroDef(MacroDef { syntax: n }),
            PP_COND => Item::Cond(PpCond { syntax: n }),
            TOKEN_SOUP => Item::Soup(TokenSoup { syntax: n }),
            _ => return None,
        })
    }
    pub fn syntax(&self) -> &SyntaxNode {
        match self {
            Item::Probe(x) => &x.syntax,
            Item::Alias(x) => &x.syntax,
            Item::Function(x) => &x.syntax,
            Item::Global(x) => &x.syntax,
            Item::Embedded(x) => &x.syntax,
            Item::MacroDef(x) => &x.syntax,
            Item::Cond(x) => &x.syntax,
            Item::Soup(x) => &x.syntax,
        }
    }
}

impl SourceFile {
    /// Top-level items in order (conditionals are items; look inside their
    /// arms with [`PpCond::then_arm`] / [`PpArm::items`]).
    pub fn items(&self) -> Vec<Item> {
        self.syntax.children().filter_map(Item::cast).collect()
    }
    pub fn probes(&self) -> Vec<ProbeDecl> {
        children(&self.syntax)
    }
    pub fn aliases(&self) -> Vec<ProbeAliasDecl> {
        children(&self.syntax)
    }
    pub fn functions(&self) -> Vec<FunctionDecl> {
        children(&self.syntax)
    }
    pub fn globals(&self) -> Vec<GlobalDecl> {
        children(&self.syntax)
    }
    pub fn macro_defs(&self) -> Vec<MacroDef> {
        children(&self.syntax)
    }
    pub fn embedded(&self) -> Vec<EmbeddedDecl> {
        children(&self.syntax)
    }
}

impl ProbeDecl {
    pub fn probe_kw(&self) -> Option<SyntaxToken> {
        token(&self.syntax, PROBE_KW)
    }
    pub fn point_list(&self) -> Option<ProbePointList> {
        child(&self.syntax)
    }
    /// The probe points written directly in the list (not those inside
    /// conditionals; see [`ProbePointList::entries`]).
    pub fn points(&self) -> Vec<ProbePoint> {
        self.point_list().map(|l| l.points()).unwrap_or_default()
    }
    pub fn body(&self) -> Option<Block> {
        child(&self.syntax)
    }
}

impl ProbeAliasDecl {
    /// The alias names (more than one for `probe a = b = points`).
    pub fn alias_names(&self) -> Vec<ProbePoint> {
        children::<AliasName>(&self.syntax)
            .into_iter()
            .filter_map(|a| child(&a.syntax))
            .collect()
    }
    /// `+=`: the body runs after the probe's own handler.
    pub fn is_epilogue(&self) -> bool {
        token(&self.syntax, PLUSEQ).is_some()
    }
    pub fn point_list(&self) -> Option<ProbePointList> {
        child(&self.syntax)
    }
    pub fn points(&self) -> Vec<ProbePoint> {
        self.point_list().map(|l| l.points()).unwrap_or_default()
    }
    /// The (prologue, or epilogue with `+=`) body.
    pub fn body(&self) -> Option<Block> {
        child(&self.syntax)
    }
    /// The epilogue of the combined form `= points { prologue } , { epilogue }`.
    pub fn epilogue_body(&self) -> Option<Block> {
        children::<Block>(&self.syntax).into_iter().nth(1)
    }
}

/// An entry of a probe-point list: a point or a conditional.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PointEntry {
    Point(ProbePoint),
    Cond(PpCond),
}

impl ProbePointList {
    pub fn points(&self) -> Vec<ProbePoint> {
        children(&self.syntax)
    }
    pub fn entries(&self) -> Vec<PointEntry> {
        self.syntax
            .children()
            .filter_map(|n| match n.kind() {
                PROBE_POINT => Some(PointEntry::Point(ProbePoint { syntax: n })),
                PP_COND => Some(PointEntry::Cond(PpCond { syntax: n })),
                _ => None,
            })
            .collect()
    }
}

impl ProbePoint {
    pub fn components(&self) -> Vec<Component> {
        children(&self.syntax)
    }
    /// `?` or `!` after the point.
    pub fn is_optional(&self) -> bool {
        token(&self.syntax, QUESTION).is_some() || self.is_sufficient()
    }
    /// `!`: optional, and stop trying further points when this one resolves.
    pub fn is_sufficient(&self) -> bool {
        token(&self.syntax, BANG).is_some()
    }
    /// The expression of `if (expr)`.
    pub fn condition(&self) -> Option<Expr> {
        self.syntax
            .children()
            .find(|n| n.kind() == PROBE_COND)
            .and_then(|c| c.children().find_map(Expr::cast))
    }
    /// The point as stap prints it, e.g. `kernel.function("vfs_read").return?`.
    pub fn to_canonical(&self) -> String {
        crate::pretty::probe_point_text(self)
    }
}

impl Component {
    /// The glued name, e.g. `function`, `sys_*`, `*` (None for a brace
    /// expansion, a macro invocation or a conditional).
    pub fn name(&self) -> Option<String> {
        self.syntax
            .children()
            .find(|n| n.kind() == COMPONENT_NAME)
            .map(|n| glued_text(&n))
    }
    pub fn has_wildcard(&self) -> bool {
        self.name().is_some_and(|n| n.contains('*'))
    }
    pub fn arg_node(&self) -> Option<ComponentArg> {
        child(&self.syntax)
    }
    /// The literal parameter, e.g. `"vfs_read"` in `function("vfs_read")`.
    pub fn arg(&self) -> Option<Literal> {
        self.arg_node().and_then(|a| child(&a.syntax))
    }
    /// Any parameter expression (a literal, an unsubstituted `$1`, a macro).
    pub fn arg_expr(&self) -> Option<Expr> {
        self.arg_node()
            .and_then(|a| a.syntax.children().find_map(Expr::cast))
    }
    pub fn brace_expansion(&self) -> Option<BraceExpansion> {
        child(&self.syntax)
    }
    pub fn macro_call(&self) -> Option<MacroCall> {
        child(&self.syntax)
    }
    pub fn cond(&self) -> Option<PpCond> {
        child(&self.syntax)
    }
}

impl BraceExpansion {
    /// The alternatives `{a, b.c}` → `[a, b.c]`.
    pub fn alternatives(&self) -> Vec<ProbePoint> {
        child::<ProbePointList>(&self.syntax)
            .map(|l| l.points())
            .unwrap_or_default()
    }
    pub fn list(&self) -> Option<ProbePointList> {
        child(&self.syntax)
    }
}

/// `long` or `string`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    Long,
    String,
}

impl TypeAnnot {
    pub fn ty(&self) -> Option<Type> {
        if token(&self.syntax, LONG_KW).is_some() {
            Some(Type::Long)
        } else if token(&self.syntax, STRING_KW).is_some() {
            Some(Type::String)
        } else {
            None
        }
    }
}

impl Name {
    pub fn text_str(&self) -> String {
        first_sig_token(&self.syntax)
            .map(|t| t.text().to_string())
            .unwrap_or_default()
    }
    pub fn token(&self) -> Option<SyntaxToken> {
        first_sig_token(&self.syntax)
    }
}

impl FunctionDecl {
    pub fn is_private(&self) -> bool {
        token(&self.syntax, PRIVATE_KW).is_some()
    }
    pub fn name(&self) -> Option<Name> {
        child(&self.syntax)
    }
    pub fn name_text(&self) -> Option<String> {
        self.name().map(|n| n.text_str())
    }
    /// `:long` / `:string` after the name.
    pub fn ret_type(&self) -> Option<Type> {
        child::<TypeAnnot>(&self.syntax).and_then(|t| t.ty())
    }
    pub fn param_list(&self) -> Option<ParamList> {
        child(&self.syntax)
    }
    /// Parameters written directly (see [`ParamList::entries`] for
    /// conditionals).
    pub fn params(&self) -> Vec<Param> {
        self.param_list()
            .map(|l| children(&l.syntax))
            .unwrap_or_default()
    }
    /// `:N` priority before the body.
    pub fn priority(&self) -> Option<i64> {
        let p = self
            .syntax
            .children()
            .find(|n| n.kind() == FUNCTION_PRIORITY)?;
        let t = p
            .children_with_tokens()
            .filter_map(|e| e.into_token())
            .find(|t| t.kind() == NUMBER)?;
        parse_number(t.text()).map(|v| v as i64)
    }
    pub fn body(&self) -> Option<Block> {
        child(&self.syntax)
    }
    /// The `%{ ... %}` body of an embedded-C function.
    pub fn embedded_code(&self) -> Option<SyntaxToken> {
        token(&self.syntax, EMBEDDED_CODE)
    }
}

/// A parameter or a conditional in a parameter list.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ParamEntry {
    Param(Param),
    Cond(PpCond),
}

impl ParamList {
    pub fn entries(&self) -> Vec<ParamEntry> {
        self.syntax
            .children()
            .filter_map(|n| match n.kind() {
                PARAM => Some(ParamEntry::Param(Param { syntax: n })),
                PP_COND => Some(ParamEntry::Cond(PpCond { syntax: n })),
                _ => None,
            })
            .collect()
    }
}

impl Param {
    pub fn name(&self) -> Option<Name> {
        child(&self.syntax)
    }
    pub fn name_text(&self) -> Option<String> {
        self.name().map(|n| n.text_str())
    }
    pub fn ty(&self) -> Option<Type> {
        child::<TypeAnnot>(&self.syntax).and_then(|t| t.ty())
    }
}

impl GlobalDecl {
    pub fn is_private(&self) -> bool {
        token(&self.syntax, PRIVATE_KW).is_some()
    }
    /// Variables written directly (conditionals: [`GlobalDecl::conds`]).
    pub fn vars(&self) -> Vec<GlobalVar> {
        children(&self.syntax)
    }
    pub fn conds(&self) -> Vec<PpCond> {
        children(&self.syntax)
    }
}

impl GlobalVar {
    pub fn name(&self) -> Option<Name> {
        child(&self.syntax)
    }
    pub fn name_text(&self) -> Option<String> {
        self.name().map(|n| n.text_str())
    }
    /// `%`: the array wraps around when full.
    pub fn wraps(&self) -> bool {
        token(&self.syntax, PERCENT).is_some()
    }
    /// `[N]`: maximum number of elements.
    pub fn size(&self) -> Option<u64> {
        let s = self.syntax.children().find(|n| n.kind() == ARRAY_SIZE)?;
        let t = s
            .children_with_tokens()
            .filter_map(|e| e.into_token())
            .find(|t| t.kind() == NUMBER)?;
        parse_number(t.text())
    }
    pub fn has_size(&self) -> bool {
        self.syntax.children().any(|n| n.kind() == ARRAY_SIZE)
    }
    /// `= literal`.
    pub fn init(&self) -> Option<Literal> {
        let i = self.syntax.children().find(|n| n.kind() == GLOBAL_INIT)?;
        child(&i)
    }
}

impl EmbeddedDecl {
    pub fn code(&self) -> Option<SyntaxToken> {
        token(&self.syntax, EMBEDDED_CODE)
    }
    /// The C code between `%{` and `%}`.
    pub fn code_text(&self) -> String {
        self.code()
            .map(|t| embedded_inner(t.text()).to_string())
            .unwrap_or_default()
    }
}

/// The text between `%{` and `%}` of an embedded-code token.
pub fn embedded_inner(text: &str) -> &str {
    let t = text.strip_prefix("%{").unwrap_or(text);
    t.strip_suffix("%}").unwrap_or(t)
}

impl MacroDef {
    pub fn name(&self) -> Option<Name> {
        child(&self.syntax)
    }
    pub fn name_text(&self) -> Option<String> {
        self.name().map(|n| n.text_str())
    }
    pub fn params(&self) -> Vec<String> {
        self.syntax
            .children()
            .find(|n| n.kind() == MACRO_PARAM_LIST)
            .map(|l| {
                l.children()
                    .filter_map(Name::cast)
                    .map(|n| n.text_str())
                    .collect()
            })
            .unwrap_or_default()
    }
    /// Whether the definition has a parameter list (even empty).
    pub fn has_param_list(&self) -> bool {
        self.syntax.children().any(|n| n.kind() == MACRO_PARAM_LIST)
    }
    pub fn body(&self) -> Option<SyntaxNode> {
        self.syntax.children().find(|n| n.kind() == MACRO_BODY)
    }
    /// The significant tokens of the body.
    pub fn body_tokens(&self) -> Vec<SyntaxToken> {
        self.body()
            .map(|b| {
                b.descendants_with_tokens()
                    .filter_map(|e| e.into_token())
                    .filter(|t| !t.kind().is_trivia())
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl MacroCall {
    /// The macro's name without `@`.
    pub fn name(&self) -> String {
        first_sig_token(&self.syntax)
            .map(|t| t.text().trim_start_matches('@').to_string())
            .unwrap_or_default()
    }
    pub fn has_args(&self) -> bool {
        self.syntax.children().any(|n| n.kind() == MACRO_ARG_LIST)
    }
    /// Each argument's source text, trimmed.
    pub fn args(&self) -> Vec<String> {
        self.syntax
            .children()
            .find(|n| n.kind() == MACRO_ARG_LIST)
            .map(|l| {
                l.children()
                    .filter(|n| n.kind() == MACRO_ARG)
                    .map(|a| a.text().to_string().trim().to_string())
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl TokenSoup {
    pub fn tokens(&self) -> Vec<SyntaxToken> {
        self.syntax
            .descendants_with_tokens()
            .filter_map(|e| e.into_token())
            .filter(|t| !t.kind().is_trivia())
            .collect()
    }
}

// --------------------------------------------------------- conditionals

/// One arm of a conditional.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PpArm {
    pub(crate) syntax: SyntaxNode,
}

impl AstNode for PpArm {
    fn can_cast(kind: SyntaxKind) -> bool {
        matches!(kind, PP_THEN_ARM | PP_ELSE_ARM)
    }
    fn cast(node: SyntaxNode) -> Option<Self> {
        if Self::can_cast(node.kind()) {
            Some(PpArm { syntax: node })
        } else {
            None
        }
    }
    fn syntax(&self) -> &SyntaxNode {
        &self.syntax
    }
}

impl PpArm {
    /// The arm could not be parsed in the conditional's context and is
    /// kept as tokens: a target that selects it must re-parse the
    /// preprocessed text (see `preprocess::resolve`).
    pub fn is_raw(&self) -> bool {
        self.syntax.children().any(|n| n.kind() == TOKEN_SOUP)
    }
    pub fn is_empty(&self) -> bool {
        first_sig_token_deep(&self.syntax).is_none()
    }
    pub fn items(&self) -> Vec<Item> {
        self.syntax.children().filter_map(Item::cast).collect()
    }
    pub fn statements(&self) -> Vec<Stmt> {
        self.syntax.children().filter_map(Stmt::cast).collect()
    }
    pub fn expr(&self) -> Option<Expr> {
        self.syntax.children().find_map(Expr::cast)
    }
    pub fn probe_points(&self) -> Vec<PointEntry> {
        self.syntax
            .children()
            .filter_map(|n| match n.kind() {
                PROBE_POINT => Some(PointEntry::Point(ProbePoint { syntax: n })),
                PP_COND => Some(PointEntry::Cond(PpCond { syntax: n })),
                _ => None,
            })
            .collect()
    }
    pub fn components(&self) -> Vec<Component> {
        children(&self.syntax)
    }
    pub fn global_vars(&self) -> Vec<GlobalVar> {
        children(&self.syntax)
    }
    pub fn params(&self) -> Vec<ParamEntry> {
        self.syntax
            .children()
            .filter_map(|n| match n.kind() {
                PARAM => Some(ParamEntry::Param(Param { syntax: n })),
                PP_COND => Some(ParamEntry::Cond(PpCond { syntax: n })),
                _ => None,
            })
            .collect()
    }
}

fn first_sig_token_deep(n: &SyntaxNode) -> Option<SyntaxToken> {
    n.descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .find(|t| !t.kind().is_trivia())
}

impl PpCond {
    pub fn condition_node(&self) -> Option<PpCondition> {
        child(&self.syntax)
    }
    /// The condition as data for an evaluator (None if it is malformed).
    pub fn condition(&self) -> Option<Condition> {
        self.condition_node()?.to_condition()
    }
    pub fn then_arm(&self) -> Option<PpArm> {
        self.syntax
            .children()
            .find(|n| n.kind() == PP_THEN_ARM)
            .map(|syntax| PpArm { syntax })
    }
    pub fn else_arm(&self) -> Option<PpArm> {
        self.syntax
            .children()
            .find(|n| n.kind() == PP_ELSE_ARM)
            .map(|syntax| PpArm { syntax })
    }
    /// Which arm is live, given an evaluator for conditions. `Ok(None)`
    /// when the condition is false and there is no `%:` arm; `Err` when the
    /// condition is malformed or the evaluator fails.
    pub fn live_arm<E>(
        &self,
        eval: impl FnOnce(&Condition) -> Result<bool, E>,
    ) -> Result<Option<PpArm>, Option<E>> {
        let c = self.condition().ok_or(None)?;
        let b = eval(&c).map_err(Some)?;
        Ok(if b { self.then_arm() } else { self.else_arm() })
    }
}

impl PpCondition {
    pub fn comparisons(&self) -> Vec<PpComparison> {
        children(&self.syntax)
    }
    /// Converts to the evaluator's form: an OR of ANDs of comparisons
    /// (`&&` binds tighter than `||`, as in stap).
    pub fn to_condition(&self) -> Option<Condition> {
        let mut disjuncts: Vec<Vec<Comparison>> = vec![Vec::new()];
        for el in self.syntax.children_with_tokens() {
            match el {
                NodeOrToken::Node(n) if n.kind() == PP_COMPARISON => {
                    disjuncts
                        .last_mut()
                        .unwrap()
                        .push(PpComparison { syntax: n }.to_comparison()?);
                }
                NodeOrToken::Token(t) if t.kind() == PIPE2 => disjuncts.push(Vec::new()),
                _ => {}
            }
        }
        if disjuncts.iter().any(|d| d.is_empty()) {
            return None;
        }
        Some(Condition { disjuncts })
    }
}

impl PpComparison {
    pub fn to_comparison(&self) -> Option<Comparison> {
        let ops: Vec<SyntaxNode> = self
            .syntax
            .children()
            .filter(|n| n.kind() == PP_OPERAND)
            .collect();
        if ops.len() != 2 {
            return None;
        }
        let operand =
            |n: &SyntaxNode| first_sig_token(n).map(|t| Operand::from_token(t.kind(), t.text()));
        let op_tok = self
            .syntax
            .children_with_tokens()
            .filter_map(|e| e.into_token())
            .find(|t| !t.kind().is_trivia())?;
        let op = CondOp::from_kind(op_tok.kind())?;
        let r = self.syntax.text_range();
        Some(Comparison {
            lhs: operand(&ops[0])?,
            op,
            rhs: operand(&ops[1])?,
            range: (r.start().into(), r.end().into()),
        })
    }
}

// ----------------------------------------------------------- statements

ast_node!(Block, BLOCK);
ast_node!(EmptyStmt, EMPTY_STMT);
ast_node!(ExprStmt, EXPR_STMT);
ast_node!(IfStmt, IF_STMT);
ast_node!(ForStmt, FOR_STMT);
ast_node!(WhileStmt, WHILE_STMT);
ast_node!(ForeachStmt, FOREACH_STMT);
ast_node!(ForeachKey, FOREACH_KEY);
ast_node!(TryStmt, TRY_STMT);
ast_node!(DeleteStmt, DELETE_STMT);
ast_node!(NextStmt, NEXT_STMT);
ast_node!(BreakStmt, BREAK_STMT);
ast_node!(ContinueStmt, CONTINUE_STMT);
ast_node!(ReturnStmt, RETURN_STMT);

/// A statement.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Stmt {
    Block(Block),
    Empty(EmptyStmt),
    Expr(ExprStmt),
    If(IfStmt),
    For(ForStmt),
    While(WhileStmt),
    Foreach(ForeachStmt),
    Try(TryStmt),
    Delete(DeleteStmt),
    Next(NextStmt),
    Break(BreakStmt),
    Continue(ContinueStmt),
    Return(ReturnStmt),
    Cond(PpCond),
    MacroDef(MacroDef),
}

impl Stmt {
    pub fn cast(n: SyntaxNode) -> Option<Stmt> {
        Some(match n.kind() {
            BLOCK => Stmt::Block(Block { syntax: n }),
            EMPTY_STMT => Stmt::Empty(EmptyStmt { syntax: n }),
            EXPR_STMT => Stmt::Expr(ExprStmt { syntax: n }),
            IF_STMT => Stmt::If(IfStmt { syntax: n }),
            FOR_STMT => Stmt::For(ForStmt { syntax: n }),
            WHILE_STMT => Stmt::While(WhileStmt { syntax: n }),
            FOREACH_STMT => Stmt::Foreach(ForeachStmt { syntax: n }),
            TRY_STMT => Stmt::Try(TryStmt { syntax: n }),
            DELETE_STMT => Stmt::Delete(DeleteStmt { syntax: n }),
            NEXT_STMT => Stmt::Next(NextStmt { syntax: n }),
            BREAK_STMT => Stmt::Break(BreakStmt { syntax: n }),
            CONTINUE_STMT => Stmt::Continue(ContinueStmt { syntax: n }),
            RETURN_STMT => Stmt::Return(ReturnStmt { syntax: n }),
            PP_COND => Stmt::Cond(PpCond { syntax: n }),
            MACRO_DEF => Stmt::MacroDef(MacroDef { syntax: n }),
            _ => return None,
        })
    }
    pub fn syntax(&self) -> &SyntaxNode {
        match self {
            Stmt::Block(x) => &x.syntax,
            Stmt::Empty(x) => &x.syntax,
            Stmt::Expr(x) => &x.syntax,
            Stmt::If(x) => &x.syntax,
            Stmt::For(x) => &x.syntax,
            Stmt::While(x) => &x.syntax,
            Stmt::Foreach(x) => &x.syntax,
            Stmt::Try(x) => &x.syntax,
            Stmt::Delete(x) => &x.syntax,
            Stmt::Next(x) => &x.syntax,
            Stmt::Break(x) => &x.syntax,
            Stmt::Continue(x) => &x.syntax,
            Stmt::Return(x) => &x.syntax,
            Stmt::Cond(x) => &x.syntax,
            Stmt::MacroDef(x) => &x.syntax,
        }
    }
}

fn stmts(n: &SyntaxNode) -> Vec<Stmt> {
    n.children().filter_map(Stmt::cast).collect()
}

impl Block {
    pub fn statements(&self) -> Vec<Stmt> {
        stmts(&self.syntax)
    }
}

impl ExprStmt {
    pub fn expr(&self) -> Option<Expr> {
        self.syntax.children().find_map(Expr::cast)
    }
}

impl IfStmt {
    pub fn condition(&self) -> Option<Expr> {
        self.syntax.children().find_map(Expr::cast)
    }
    pub fn then_branch(&self) -> Option<Stmt> {
        self.syntax.children().find_map(Stmt::cast)
    }
    pub fn else_branch(&self) -> Option<Stmt> {
        self.syntax
            .children()
            .find(|n| n.kind() == ELSE_CLAUSE)
            .and_then(|e| e.children().find_map(Stmt::cast))
    }
}

fn sub_expr(n: &SyntaxNode, kind: SyntaxKind) -> Option<Expr> {
    n.children()
        .find(|c| c.kind() == kind)
        .and_then(|c| c.children().find_map(Expr::cast))
}

impl ForStmt {
    pub fn init(&self) -> Option<Expr> {
        sub_expr(&self.syntax, FOR_INIT)
    }
    pub fn cond(&self) -> Option<Expr> {
        sub_expr(&self.syntax, FOR_COND)
    }
    pub fn step(&self) -> Option<Expr> {
        sub_expr(&self.syntax, FOR_STEP)
    }
    pub fn body(&self) -> Option<Stmt> {
        self.syntax.children().find_map(Stmt::cast)
    }
}

impl WhileStmt {
    pub fn condition(&self) -> Option<Expr> {
        self.syntax.children().find_map(Expr::cast)
    }
    pub fn body(&self) -> Option<Stmt> {
        self.syntax.children().find_map(Stmt::cast)
    }
}

/// Sort order of a foreach.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ForeachSort {
    pub by: SortBy,
    pub ascending: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SortBy {
    /// The array's value (`arr+`, `v+ = ...`).
    Value,
    /// Key column `i` (0-based), `[a, b-]`.
    Key(usize),
    /// A statistic of the value, `@sum-` (the text includes `@`).
    Stat(String),
}

impl ForeachStmt {
    /// `v` in `foreach (v = [k] in a)`.
    pub fn value_var(&self) -> Option<Name> {
        self.syntax
            .children()
            .find(|n| n.kind() == FOREACH_VALUE)
            .and_then(|v| child(&v))
    }
    pub fn keys(&self) -> Vec<ForeachKey> {
        self.syntax
            .children()
            .find(|n| n.kind() == FOREACH_KEYS)
            .map(|k| children(&k))
            .unwrap_or_default()
    }
    /// Whether the keys were bracketed (`[k]`).
    pub fn keys_bracketed(&self) -> bool {
        self.syntax
            .children()
            .find(|n| n.kind() == FOREACH_KEYS)
            .is_some_and(|k| token(&k, L_BRACK).is_some())
    }
    /// The array expression including any slice (`a`, `a[*, 1]`, `@hist_log(s)`).
    pub fn array_expr(&self) -> Option<Expr> {
        self.syntax.children().find_map(Expr::cast)
    }
    /// The array name or histogram, without a slice.
    pub fn array(&self) -> Option<Expr> {
        match self.array_expr()? {
            Expr::Index(i) => i.base(),
            e => Some(e),
        }
    }
    /// The slice, `None` elements for `*`.
    pub fn slice(&self) -> Option<Vec<Option<Expr>>> {
        match self.array_expr()? {
            Expr::Index(i) => Some(i.indexes()),
            _ => None,
        }
    }
    pub fn sort(&self) -> Option<ForeachSort> {
        if let Some(v) = self.syntax.children().find(|n| n.kind() == FOREACH_VALUE) {
            if let Some(t) = v
                .children_with_tokens()
                .filter_map(|e| e.into_token())
                .find(|t| matches!(t.kind(), PLUS | MINUS))
            {
                return Some(ForeachSort {
                    by: SortBy::Value,
                    ascending: t.kind() == PLUS,
                });
            }
        }
        for (i, k) in self.keys().iter().enumerate() {
            if let Some(asc) = k.sort_ascending() {
                return Some(ForeachSort {
                    by: SortBy::Key(i),
                    ascending: asc,
                });
            }
        }
        let s = self.syntax.children().find(|n| n.kind() == FOREACH_SORT)?;
        let toks: Vec<SyntaxToken> = s
            .children_with_tokens()
            .filter_map(|e| e.into_token())
            .filter(|t| !t.kind().is_trivia())
            .collect();
        let asc = toks
            .iter()
            .find(|t| matches!(t.kind(), PLUS | MINUS))
            .map(|t| t.kind() == PLUS)
            .unwrap_or(true);
        let by = match toks.iter().find(|t| t.kind() == AT_IDENT) {
            Some(t) => SortBy::Stat(t.text().to_string()),
            None => SortBy::Value,
        };
        Some(ForeachSort { by, ascending: asc })
    }
    pub fn limit(&self) -> Option<Expr> {
        sub_expr(&self.syntax, FOREACH_LIMIT)
    }
    pub fn body(&self) -> Option<Stmt> {
        self.syntax.children().find_map(Stmt::cast)
    }
}

impl ForeachKey {
    pub fn name(&self) -> Option<Name> {
        child(&self.syntax)
    }
    pub fn name_text(&self) -> Option<String> {
        self.name().map(|n| n.text_str())
    }
    /// `Some(true)` for `k+`, `Some(false)` for `k-`.
    pub fn sort_ascending(&self) -> Option<bool> {
        self.syntax
            .children_with_tokens()
            .filter_map(|e| e.into_token())
            .find(|t| matches!(t.kind(), PLUS | MINUS))
            .map(|t| t.kind() == PLUS)
    }
}

impl TryStmt {
    pub fn body(&self) -> Option<Block> {
        child(&self.syntax)
    }
    pub fn catch_var(&self) -> Option<Name> {
        self.syntax
            .children()
            .find(|n| n.kind() == CATCH_CLAUSE)
            .and_then(|c| child(&c))
    }
    pub fn catch_body(&self) -> Option<Block> {
        self.syntax
            .children()
            .find(|n| n.kind() == CATCH_CLAUSE)
            .and_then(|c| child(&c))
    }
}

impl DeleteStmt {
    pub fn expr(&self) -> Option<Expr> {
        self.syntax.children().find_map(Expr::cast)
    }
}

impl ReturnStmt {
    pub fn expr(&self) -> Option<Expr> {
        self.syntax.children().find_map(Expr::cast)
    }
}

// ---------------------------------------------------------- expressions

ast_node!(Literal, LITERAL);
ast_node!(NameRef, NAME_REF);
ast_node!(
    /// `$var`, `$$vars`, `$$parms`, `$$locals`, `$$return`, `$var$`.
    TargetVar,
    TARGET_VAR
);
ast_node!(CmdlineArgExpr, CMDLINE_ARG_EXPR);
ast_node!(EmbeddedExpr, EMBEDDED_EXPR);
ast_node!(ParenExpr, PAREN_EXPR);
ast_node!(
    /// A function call, including the print family.
    CallExpr,
    CALL_EXPR
);
ast_node!(IndexExpr, INDEX_EXPR);
ast_node!(
    /// A built-in @-operator: `@count(x)`, `@cast(p, "type")`, ...
    AtExpr,
    AT_EXPR
);
ast_node!(MemberExpr, MEMBER_EXPR);
ast_node!(PrettyExpr, PRETTY_EXPR);
ast_node!(PrefixExpr, PREFIX_EXPR);
ast_node!(PostfixExpr, POSTFIX_EXPR);
ast_node!(BinExpr, BIN_EXPR);
ast_node!(AssignExpr, ASSIGN_EXPR);
ast_node!(TernaryExpr, TERNARY_EXPR);
ast_node!(InExpr, IN_EXPR);
ast_node!(TupleExpr, TUPLE);
ast_node!(Wildcard, WILDCARD);

/// An expression.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Expr {
    Literal(Literal),
    NameRef(NameRef),
    TargetVar(TargetVar),
    CmdlineArg(CmdlineArgExpr),
    Embedded(EmbeddedExpr),
    Paren(ParenExpr),
    Call(CallExpr),
    Index(IndexExpr),
    At(AtExpr),
    Member(MemberExpr),
    Pretty(PrettyExpr),
    Prefix(PrefixExpr),
    Postfix(PostfixExpr),
    Bin(BinExpr),
    Assign(AssignExpr),
    Ternary(TernaryExpr),
    In(InExpr),
    Tuple(TupleExpr),
    MacroCall(MacroCall),
    Cond(PpCond),
    /// `*` in an index list or tuple (an array slice).
    Wildcard(Wildcard),
    /// An expression that only parses after preprocessing (a conditional
    /// whose arm is not a whole expression, or strings glued to one).
    Soup(TokenSoup),
}

impl Expr {
    pub fn cast(n: SyntaxNode) -> Option<Expr> {
        Some(match n.kind() {
            LITERAL => Expr::Literal(Literal { syntax: n }),
            NAME_REF => Expr::NameRef(NameRef { syntax: n }),
            TARGET_VAR => Expr::TargetVar(TargetVar { syntax: n }),
            CMDLINE_ARG_EXPR => Expr::CmdlineArg(CmdlineArgExpr { syntax: n }),
            EMBEDDED_EXPR => Expr::Embedded(EmbeddedExpr { syntax: n }),
            PAREN_EXPR => Expr::Paren(ParenExpr { syntax: n }),
            CALL_EXPR => Expr::Call(CallExpr { syntax: n }),
            INDEX_EXPR => Expr::Index(IndexExpr { syntax: n }),
            AT_EXPR => Expr::At(AtExpr { syntax: n }),
            MEMBER_EXPR => Expr::Member(MemberExpr { syntax: n }),
            PRETTY_EXPR => Expr::Pretty(PrettyExpr { syntax: n }),
            PREFIX_EXPR => Expr::Prefix(PrefixExpr { syntax: n }),
            POSTFIX_EXPR => Expr::Postfix(PostfixExpr { syntax: n }),
            BIN_EXPR => Expr::Bin(BinExpr { syntax: n }),
            ASSIGN_EXPR => Expr::Assign(AssignExpr { syntax: n }),
            TERNARY_EXPR => Expr::Ternary(TernaryExpr { syntax: n }),
            IN_EXPR => Expr::In(InExpr { syntax: n }),
            TUPLE => Expr::Tuple(TupleExpr { syntax: n }),
            MACRO_CALL => Expr::MacroCall(MacroCall { syntax: n }),
            PP_COND => Expr::Cond(PpCond { syntax: n }),
            WILDCARD => Expr::Wildcard(Wildcard { syntax: n }),
            TOKEN_SOUP => Expr::Soup(TokenSoup { syntax: n }),
            _ => return None,
        })
    }
    pub fn syntax(&self) -> &SyntaxNode {
        match self {
            Expr::Literal(x) => &x.syntax,
            Expr::NameRef(x) => &x.syntax,
            Expr::TargetVar(x) => &x.syntax,
            Expr::CmdlineArg(x) => &x.syntax,
            Expr::Embedded(x) => &x.syntax,
            Expr::Paren(x) => &x.syntax,
            Expr::Call(x) => &x.syntax,
            Expr::Index(x) => &x.syntax,
            Expr::At(x) => &x.syntax,
            Expr::Member(x) => &x.syntax,
            Expr::Pretty(x) => &x.syntax,
            Expr::Prefix(x) => &x.syntax,
            Expr::Postfix(x) => &x.syntax,
            Expr::Bin(x) => &x.syntax,
            Expr::Assign(x) => &x.syntax,
            Expr::Ternary(x) => &x.syntax,
            Expr::In(x) => &x.syntax,
            Expr::Tuple(x) => &x.syntax,
            Expr::MacroCall(x) => &x.syntax,
            Expr::Cond(x) => &x.syntax,
            Expr::Wildcard(x) => &x.syntax,
            Expr::Soup(x) => &x.syntax,
        }
    }
}

/// The value of a literal.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum LiteralValue {
    /// A number (negative only for `-N` literals in probe-point and global
    /// initializer positions).
    Number(i64),
    /// A string: adjacent literals joined, escape sequences kept as written
    /// (like stap, which passes them on to C).
    String(String),
}

impl Literal {
    pub fn value(&self) -> Option<LiteralValue> {
        let toks: Vec<SyntaxToken> = self
            .syntax
            .children_with_tokens()
            .filter_map(|e| e.into_token())
            .filter(|t| !t.kind().is_trivia())
            .collect();
        match toks.first()?.kind() {
            STRING => {
                let mut s = String::new();
                for t in &toks {
                    let txt = t.text();
                    let inner = txt.strip_prefix('"').unwrap_or(txt);
                    let inner = inner.strip_suffix('"').unwrap_or(inner);
                    s.push_str(inner);
                }
                Some(LiteralValue::String(s))
            }
            MINUS => {
                let v = parse_number(toks.get(1)?.text())?;
                Some(LiteralValue::Number((v as i64).wrapping_neg()))
            }
            NUMBER => Some(LiteralValue::Number(parse_number(toks[0].text())? as i64)),
            _ => None,
        }
    }
    pub fn is_string(&self) -> bool {
        first_sig_token(&self.syntax).is_some_and(|t| t.kind() == STRING)
    }
    pub fn string_value(&self) -> Option<String> {
        match self.value()? {
            LiteralValue::String(s) => Some(s),
            _ => None,
        }
    }
    pub fn number_value(&self) -> Option<i64> {
        match self.value()? {
            LiteralValue::Number(n) => Some(n),
            _ => None,
        }
    }
}

impl NameRef {
    pub fn name(&self) -> String {
        first_sig_token(&self.syntax)
            .map(|t| t.text().to_string())
            .unwrap_or_default()
    }
}

impl TargetVar {
    /// The full token text, e.g. `$var`, `$$parms`, `$p$`.
    pub fn token_text(&self) -> String {
        first_sig_token(&self.syntax)
            .map(|t| t.text().to_string())
            .unwrap_or_default()
    }
    /// The name without a trailing pretty-print suffix (`$p$$` → `$p`).
    pub fn name(&self) -> String {
        let t = self.token_text();
        let trimmed = t.trim_end_matches('$');
        if trimmed.len() > 1 {
            trimmed.to_string()
        } else {
            t
        }
    }
    /// The pretty-print suffix written in the token (`$` or `$$`), if any.
    pub fn pretty_suffix(&self) -> Option<String> {
        let t = self.token_text();
        let n = self.name();
        if n.len() < t.len() {
            Some(t[n.len()..].to_string())
        } else {
            None
        }
    }
}

impl CmdlineArgExpr {
    /// `$1`, `@1`, `$#`, `@#`.
    pub fn token_text(&self) -> String {
        first_sig_token(&self.syntax)
            .map(|t| t.text().to_string())
            .unwrap_or_default()
    }
}

impl EmbeddedExpr {
    pub fn code_text(&self) -> String {
        first_sig_token(&self.syntax)
            .map(|t| embedded_inner(t.text()).to_string())
            .unwrap_or_default()
    }
}

impl ParenExpr {
    pub fn expr(&self) -> Option<Expr> {
        self.syntax.children().find_map(Expr::cast)
    }
}

fn arg_list_exprs(n: &SyntaxNode) -> Vec<Expr> {
    n.children()
        .find(|c| c.kind() == ARG_LIST)
        .map(|l| exprs(&l))
        .unwrap_or_default()
}

impl CallExpr {
    pub fn name(&self) -> String {
        token(&self.syntax, IDENT)
            .map(|t| t.text().to_string())
            .unwrap_or_default()
    }
    pub fn args(&self) -> Vec<Expr> {
        arg_list_exprs(&self.syntax)
    }
    /// `print`, `printf`, `sprintd`, ...: parsed with stap's special rules.
    pub fn is_print_family(&self) -> bool {
        crate::PRINT_FUNCTIONS.contains(&self.name().as_str())
    }
}

impl IndexExpr {
    pub fn base(&self) -> Option<Expr> {
        self.syntax.children().find_map(Expr::cast)
    }
    /// The indexes, `None` for a `*` wildcard.
    pub fn indexes(&self) -> Vec<Option<Expr>> {
        self.syntax
            .children()
            .find(|c| c.kind() == INDEX_LIST)
            .map(|l| {
                l.children()
                    .filter_map(Expr::cast)
                    .map(|e| {
                        if matches!(e, Expr::Wildcard(_)) {
                            None
                        } else {
                            Some(e)
                        }
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl AtExpr {
    /// The operator with `@`, e.g. `@count`.
    pub fn op(&self) -> String {
        token(&self.syntax, AT_IDENT)
            .map(|t| t.text().to_string())
            .unwrap_or_default()
    }
    pub fn args(&self) -> Vec<Expr> {
        arg_list_exprs(&self.syntax)
    }
}

impl MemberExpr {
    pub fn base(&self) -> Option<Expr> {
        self.syntax.children().find_map(Expr::cast)
    }
    /// The member name after `->` (may end with a `$` pretty suffix).
    pub fn member(&self) -> Option<String> {
        let mut after_arrow = false;
        for t in self
            .syntax
            .children_with_tokens()
            .filter_map(|e| e.into_token())
        {
            if t.kind() == ARROW {
                after_arrow = true;
            } else if after_arrow && !t.kind().is_trivia() {
                return Some(t.text().to_string());
            }
        }
        None
    }
}

impl PrettyExpr {
    pub fn base(&self) -> Option<Expr> {
        self.syntax.children().find_map(Expr::cast)
    }
    /// `$` or `$$`.
    pub fn suffix(&self) -> String {
        self.syntax
            .children_with_tokens()
            .filter_map(|e| e.into_token())
            .filter(|t| t.kind() == DOLLAR_IDENT)
            .last()
            .map(|t| t.text().to_string())
            .unwrap_or_default()
    }
}

fn op_token(n: &SyntaxNode) -> Option<SyntaxToken> {
    n.children_with_tokens()
        .filter_map(|e| e.into_token())
        .find(|t| !t.kind().is_trivia())
}

impl PrefixExpr {
    /// `+ - ! ~ ++ -- &`.
    pub fn op(&self) -> Option<SyntaxKind> {
        op_token(&self.syntax).map(|t| t.kind())
    }
    pub fn operand(&self) -> Option<Expr> {
        self.syntax.children().find_map(Expr::cast)
    }
}

impl PostfixExpr {
    pub fn op(&self) -> Option<SyntaxKind> {
        op_token(&self.syntax).map(|t| t.kind())
    }
    pub fn operand(&self) -> Option<Expr> {
        self.syntax.children().find_map(Expr::cast)
    }
}

impl BinExpr {
    pub fn lhs(&self) -> Option<Expr> {
        self.syntax.children().find_map(Expr::cast)
    }
    pub fn rhs(&self) -> Option<Expr> {
        self.syntax.children().filter_map(Expr::cast).nth(1)
    }
    pub fn op(&self) -> Option<SyntaxKind> {
        op_token(&self.syntax).map(|t| t.kind())
    }
    pub fn op_text(&self) -> String {
        op_token(&self.syntax)
            .map(|t| t.text().to_string())
            .unwrap_or_default()
    }
}

impl AssignExpr {
    pub fn lhs(&self) -> Option<Expr> {
        self.syntax.children().find_map(Expr::cast)
    }
    pub fn rhs(&self) -> Option<Expr> {
        self.syntax.children().filter_map(Expr::cast).nth(1)
    }
    /// `=`, `<<<`, `+=`, `.=`, ...
    pub fn op(&self) -> Option<SyntaxKind> {
        op_token(&self.syntax).map(|t| t.kind())
    }
}

impl TernaryExpr {
    pub fn cond(&self) -> Option<Expr> {
        self.syntax.children().find_map(Expr::cast)
    }
    pub fn then_expr(&self) -> Option<Expr> {
        self.syntax.children().filter_map(Expr::cast).nth(1)
    }
    pub fn else_expr(&self) -> Option<Expr> {
        self.syntax.children().filter_map(Expr::cast).nth(2)
    }
}

impl InExpr {
    /// The keys: the tuple's elements (`None` for `*`) or the single key.
    pub fn keys(&self) -> Vec<Option<Expr>> {
        match self.syntax.children().find_map(Expr::cast) {
            Some(Expr::Tuple(t)) => t.elements(),
            Some(e) => vec![Some(e)],
            None => vec![],
        }
    }
    pub fn array(&self) -> Option<Expr> {
        self.syntax.children().filter_map(Expr::cast).nth(1)
    }
}

impl TupleExpr {
    pub fn elements(&self) -> Vec<Option<Expr>> {
        self.syntax
            .children()
            .filter_map(Expr::cast)
            .map(|e| {
                if matches!(e, Expr::Wildcard(_)) {
                    None
                } else {
                    Some(e)
                }
            })
            .collect()
    }
}
