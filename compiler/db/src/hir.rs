//! The db's own high-level IR: one file's live items after the preprocessor
//! has chosen the arms of its `%( %)` conditionals for one set of target
//! facts.
//!
//! Lowering from the rowan AST (see [`crate::lower`]) is the only code that
//! knows AST details; everything after it (the tapset index, name resolution,
//! alias expansion, inference, checks and the `ir` emission) works on these
//! plain values. They are `Eq + Hash` so salsa can backdate them: a file whose
//! items did not change does not invalidate its dependants.
//!
//! Invariants: every node carries the [`Span`] of its text in its own file;
//! names are unresolved strings (resolution happens per program).

use diag::Span;

/// The live items of one file.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct FileItems {
    pub items: Vec<Item>,
    /// Diagnostics of lowering (the file's parse diagnostics are kept apart).
    pub diags: Vec<diag::Diagnostic>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    Global(GlobalDecl),
    Function(FuncDecl),
    Probe(ProbeDecl),
    Alias(AliasDecl),
    /// A top-level `%{ ... %}` block.
    Embedded {
        code: String,
        span: Span,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GlobalDecl {
    pub name: String,
    pub span: Span,
    pub init: Option<Lit>,
    /// `global a[N]`: an array with a size.
    pub size: Option<u64>,
    /// `global a%`: a wrapping array.
    pub wrap: bool,
    pub private: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TypeAnn {
    Long,
    String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FuncDecl {
    pub name: String,
    pub span: Span,
    pub params: Vec<(String, Option<TypeAnn>, Span)>,
    pub ret: Option<TypeAnn>,
    pub body: FuncBody,
    pub private: bool,
}

// One per function, never in bulk: the size of an inline `Stmt` costs
// nothing worth a box.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FuncBody {
    Script(Stmt),
    Embedded { code: String, pure: bool },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeDecl {
    pub points: Vec<PointSpec>,
    pub body: Stmt,
    pub span: Span,
    pub private: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AliasDecl {
    /// The names being defined (`probe a.b = ...`, `probe x, y = ...`).
    pub names: Vec<PointSpec>,
    /// `+=`: the alias body runs after the user's (an epilogue).
    pub epilogue: bool,
    pub targets: Vec<PointSpec>,
    pub body: Stmt,
    pub span: Span,
}

/// A probe point as written: `kernel.function("vfs_*").return ?`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PointSpec {
    pub components: Vec<Component>,
    /// `?`: optional.
    pub optional: bool,
    /// `!`: optional and sufficient.
    pub sufficient: bool,
    pub condition: Option<Box<Expr>>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Component {
    pub name: String,
    pub arg: Option<Lit>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Lit {
    Long(i64),
    Str(String),
}

impl PointSpec {
    /// The point as stap prints it: `kernel.function("f").return`.
    pub fn text(&self) -> String {
        let mut s = String::new();
        for (i, c) in self.components.iter().enumerate() {
            if i > 0 {
                s.push('.');
            }
            s.push_str(&c.name);
            match &c.arg {
                Some(Lit::Long(n)) => s.push_str(&format!("({n})")),
                Some(Lit::Str(t)) => s.push_str(&format!("(\"{t}\")")),
                None => {}
            }
        }
        s
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StmtKind {
    Block(Vec<Stmt>),
    Expr(Expr),
    If {
        cond: Expr,
        then: Box<Stmt>,
        els: Option<Box<Stmt>>,
    },
    While {
        cond: Expr,
        body: Box<Stmt>,
    },
    For {
        init: Option<Expr>,
        cond: Option<Expr>,
        step: Option<Expr>,
        body: Box<Stmt>,
    },
    Foreach(Box<ForeachHir>),
    Delete(Expr),
    Next,
    Break,
    Continue,
    Return(Option<Expr>),
    Try {
        body: Box<Stmt>,
        catch_var: Option<(String, Span)>,
        handler: Box<Stmt>,
    },
    Empty,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForeachHir {
    pub keys: Vec<(String, Span)>,
    pub value: Option<(String, Span)>,
    /// The array name.
    pub array: (String, Span),
    /// `in a[*, k]`.
    pub slice: Option<Vec<Option<Expr>>>,
    /// Sort: `Some((which, descending))`, `which` = 0 for the value, i for key i (1-based).
    pub sort: Option<(u32, bool)>,
    /// `@sum+` and friends: sort by this aggregate of a statistics value.
    pub sort_agg: Option<(ir::StatOp, Span)>,
    pub limit: Option<Expr>,
    pub body: Stmt,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOpH {
    Arith(ir::BinOp),
    Cmp(ir::CmpOp),
    And,
    Or,
    Concat,
    RegexMatch,
    RegexNoMatch,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssignOpH {
    Set,
    Bin(ir::BinOp),
    Concat,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExprKind {
    Lit(Lit),
    /// A plain name: a local, a global, or (after `@`-less reference) an
    /// unknown identifier.
    Name(String),
    /// `a[k1, k2]` (`None` keys are `*`, only legal in `in`/`delete`/foreach).
    Index {
        array: String,
        array_span: Span,
        keys: Vec<Option<Expr>>,
    },
    /// `[k...] in a`.
    In {
        keys: Vec<Option<Expr>>,
        array: String,
        array_span: Span,
    },
    Binary {
        op: BinOpH,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    Unary {
        op: ir::UnOp,
        operand: Box<Expr>,
    },
    Ternary {
        cond: Box<Expr>,
        then: Box<Expr>,
        els: Box<Expr>,
    },
    Assign {
        op: AssignOpH,
        target: Box<Expr>,
        value: Box<Expr>,
    },
    IncDec {
        target: Box<Expr>,
        increment: bool,
        prefix: bool,
    },
    Aggregate {
        target: Box<Expr>,
        value: Box<Expr>,
    },
    /// `@count(x)` and friends; `Variance` carries its shift.
    StatOp {
        op: ir::StatOp,
        of: Box<Expr>,
    },
    Hist {
        kind: HistKindH,
        of: Box<Expr>,
        bucket: Option<Box<Expr>>,
    },
    Call {
        name: String,
        name_span: Span,
        args: Vec<Expr>,
    },
    /// The print family, with its name (`printf`, `sprintln`, ...).
    Print {
        name: String,
        args: Vec<Expr>,
    },
    Target(Box<TargetHir>),
    /// `@entry(e)`.
    Entry(Box<Expr>),
    /// `@defined(e)`.
    Defined(Box<Expr>),
    /// `%{ ... %}` as an expression (guru mode): the C text.
    Embedded(String),
    /// `@probewrite(v)` and other forms the checker does not know yet.
    Unsupported(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HistKindH {
    Log,
    Linear(Box<Expr>, Box<Expr>, Box<Expr>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetHir {
    pub base: TargetBaseH,
    pub path: Vec<TargetStepH>,
    /// `$`: pretty-printed; `$$`: deep.
    pub pretty: Option<bool>,
    /// `&$var...`: the address.
    pub address_of: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetBaseH {
    /// `$name` (including `$return`, `$$vars`, `$$parms`, `$$locals`, `$$return`).
    Var(String),
    /// `@var("name")`.
    AtVar(String),
    /// `@cast(e, "type", "module")`.
    Cast {
        expr: Box<Expr>,
        ty: String,
        module: Option<String>,
    },
    /// Autocast: `(e)->field`, `v->field`, `f()->field`: `e` must carry a
    /// C type (from a target expression it was computed from).
    Expr(Box<Expr>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetStepH {
    /// `->name` or `.name`.
    Field(String, Span),
    Index(Box<Expr>),
}

/// Walk every expression of a statement tree (pre-order).
pub fn walk_stmt_exprs<'a>(s: &'a Stmt, f: &mut dyn FnMut(&'a Expr)) {
    match &s.kind {
        StmtKind::Block(b) => b.iter().for_each(|s| walk_stmt_exprs(s, f)),
        StmtKind::Expr(e) | StmtKind::Delete(e) => walk_expr(e, f),
        StmtKind::If { cond, then, els } => {
            walk_expr(cond, f);
            walk_stmt_exprs(then, f);
            if let Some(e) = els {
                walk_stmt_exprs(e, f);
            }
        }
        StmtKind::While { cond, body } => {
            walk_expr(cond, f);
            walk_stmt_exprs(body, f);
        }
        StmtKind::For {
            init,
            cond,
            step,
            body,
        } => {
            for e in [init, cond, step].into_iter().flatten() {
                walk_expr(e, f);
            }
            walk_stmt_exprs(body, f);
        }
        StmtKind::Foreach(fe) => {
            for e in fe.slice.iter().flatten().flatten() {
                walk_expr(e, f);
            }
            if let Some(l) = &fe.limit {
                walk_expr(l, f);
            }
            walk_stmt_exprs(&fe.body, f);
        }
        StmtKind::Return(Some(e)) => walk_expr(e, f),
        StmtKind::Try { body, handler, .. } => {
            walk_stmt_exprs(body, f);
            walk_stmt_exprs(handler, f);
        }
        _ => {}
    }
}

/// Walk an expression and its sub-expressions (pre-order).
pub fn walk_expr<'a>(e: &'a Expr, f: &mut dyn FnMut(&'a Expr)) {
    f(e);
    match &e.kind {
        ExprKind::Index { keys, .. } | ExprKind::In { keys, .. } => {
            keys.iter().flatten().for_each(|k| walk_expr(k, f))
        }
        ExprKind::Binary { lhs, rhs, .. } => {
            walk_expr(lhs, f);
            walk_expr(rhs, f);
        }
        ExprKind::Unary { operand, .. } => walk_expr(operand, f),
        ExprKind::Ternary { cond, then, els } => {
            walk_expr(cond, f);
            walk_expr(then, f);
            walk_expr(els, f);
        }
        ExprKind::Assign { target, value, .. } | ExprKind::Aggregate { target, value } => {
            walk_expr(target, f);
            walk_expr(value, f);
        }
        ExprKind::IncDec { target, .. } => walk_expr(target, f),
        ExprKind::StatOp { of, .. } => walk_expr(of, f),
        ExprKind::Hist { kind, of, bucket } => {
            walk_expr(of, f);
            if let HistKindH::Linear(a, b, c) = kind {
                walk_expr(a, f);
                walk_expr(b, f);
                walk_expr(c, f);
            }
            if let Some(b) = bucket {
                walk_expr(b, f);
            }
        }
        ExprKind::Call { args, .. } | ExprKind::Print { args, .. } => {
            args.iter().for_each(|a| walk_expr(a, f))
        }
        ExprKind::Target(t) => {
            if let TargetBaseH::Cast { expr, .. } | TargetBaseH::Expr(expr) = &t.base {
                walk_expr(expr, f);
            }
            for s in &t.path {
                if let TargetStepH::Index(i) = s {
                    walk_expr(i, f);
                }
            }
        }
        ExprKind::Entry(x) | ExprKind::Defined(x) => walk_expr(x, f),
        ExprKind::Lit(_) | ExprKind::Name(_) | ExprKind::Embedded(_) | ExprKind::Unsupported(_) => {
        }
    }
}
