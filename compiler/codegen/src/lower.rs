//! Lowering of statements and expressions to C, one function body at a time.
//!
//! A [`Fcx`] turns an `ir::Block` into C statements. Every intermediate value
//! lives in a temporary field of the per-CPU locals struct (`L->tN` in a probe,
//! `F->tN` in a function frame), never on the kernel stack; the C expression
//! an expression lowers to is always free of side effects (a literal, a
//! variable, a temporary, or pure arithmetic over those), so evaluation order
//! is the order in which statements are emitted: left to right, like stap.
//!
//! Errors: an operation that can fail is followed by
//! `if (unlikely(c->unwind)) goto LABEL;`, where LABEL is the innermost
//! `try`'s catch or the end of the body. `next` unwinds the same way.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use ir::{
    AssignOp, BinOp, CTypeKind, CmpOp, DeleteTarget, Expr, ExprKind, FormatPiece, GlobalId,
    GlobalKind, LValue, Literal, PrintFormat, PrintKind, SortBy, StatOp, Stmt, StmtKind,
    TargetBase, TargetConvert, TargetExpr, TargetStep, Type, UnOp,
};

use crate::Gen;

/// Where an expression is being lowered, for `@entry` and `.return` probes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum EntryMode {
    /// Ordinary code.
    None,
    /// The body of a `.return` probe: `@entry(e)` and function parameters read
    /// values saved by the entry handler.
    Return,
}

pub(crate) struct Fcx<'g> {
    pub g: &'g Gen<'g>,
    /// `L` (probe locals) or `F` (function frame).
    pub sp: &'static str,
    pub locals: &'g [ir::Local],
    /// Whether locals are named by their bare names (embedded-C frames).
    pub bare_names: bool,
    /// The C symbol prefix of this unit's statics (`xs_p3`, `xs_f`).
    pub prefix: String,
    pub out: String,
    ind: usize,
    /// Field declarations of the locals struct for temporaries.
    pub temps: Vec<String>,
    ntemp: usize,
    nlabel: usize,
    err: Vec<String>,
    used: BTreeSet<String>,
    loops: Vec<(String, String)>,
    /// The label that ends the body.
    pub out_label: String,
    /// The type a `return` in this function stores, if any.
    pub ret: Option<Type>,
    /// Foreach sites of this body: (static buffer name, array).
    pub fe_sites: Vec<(String, GlobalId)>,
    pub entry_mode: EntryMode,
    /// `@entry` expressions saved by the entry handler, in slot order.
    pub entries: Vec<Expr>,
    /// File-scope C this body needs (regex automata), emitted before it.
    pub statics: Vec<String>,
    /// The context's argument slots are places (a netfilter body's `$verdict`).
    pub ctx_args_writable: bool,
    /// A string local with a buffer larger than MAXSTRINGLEN: (local, C
    /// size expression). A procfs read probe's `$value` with `.maxsize(N)`;
    /// `=` and `.=` on it fill the whole buffer.
    pub big_local: Option<(u32, String)>,
}

fn cstr(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for b in s.bytes() {
        match b {
            b'"' => o.push_str("\\\""),
            b'\\' => o.push_str("\\\\"),
            b'\n' => o.push_str("\\n"),
            b'\t' => o.push_str("\\t"),
            b'\r' => o.push_str("\\r"),
            b'?' => o.push_str("\\?"),
            0x20..=0x7e => o.push(b as char),
            _ => {
                // Octal escapes never swallow a following digit (always 3 digits).
                let _ = write!(o, "\\{:03o}", b);
            }
        }
    }
    o.push('"');
    o
}

pub(crate) fn c_string(s: &str) -> String {
    cstr(s)
}

pub(crate) fn c_long(v: i64) -> String {
    if v == i64::MIN {
        "(-9223372036854775807LL - 1)".to_string()
    } else if v < 0 {
        format!("(-{}LL)", (v as i128).unsigned_abs())
    } else {
        format!("{v}LL")
    }
}

fn has_effects(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Literal(_) | ExprKind::Local(_) | ExprKind::Global(_) => false,
        ExprKind::Assign { .. }
        | ExprKind::IncDec { .. }
        | ExprKind::Aggregate { .. }
        | ExprKind::Call { .. }
        | ExprKind::Print { .. }
        | ExprKind::EmbeddedC { .. } => true,
        ExprKind::Element { keys, .. } => keys.iter().any(has_effects),
        ExprKind::In { keys, .. } => keys.iter().flatten().any(has_effects),
        ExprKind::Binary { lhs, rhs, .. }
        | ExprKind::Compare { lhs, rhs, .. }
        | ExprKind::Logical { lhs, rhs, .. }
        | ExprKind::Concat { lhs, rhs } => has_effects(lhs) || has_effects(rhs),
        ExprKind::Unary { operand, .. } => has_effects(operand),
        ExprKind::Regex { subject, .. } => has_effects(subject),
        ExprKind::Ternary { cond, then, els } => {
            has_effects(cond) || has_effects(then) || has_effects(els)
        }
        ExprKind::StatQuery { .. } | ExprKind::Hist { .. } => false,
        ExprKind::HistBucket { bucket, .. } => has_effects(bucket),
        ExprKind::Target(t) => match &t.base {
            TargetBase::Address(a) => has_effects(a),
            _ => false,
        },
        ExprKind::Entry(_) => false,
    }
}

fn stat_op_c(op: StatOp) -> &'static str {
    match op {
        StatOp::Count => "XS_COUNT",
        StatOp::Sum => "XS_SUM",
        StatOp::Min => "XS_MIN",
        StatOp::Max => "XS_MAX",
        StatOp::Avg => "XS_AVG",
        StatOp::Variance(_) => "XS_VARIANCE",
    }
}

fn binop_sym(op: BinOp) -> &'static str {
    match op {
        BinOp::Add => "+",
        BinOp::Sub => "-",
        BinOp::Mul => "*",
        BinOp::Div => "/",
        BinOp::Mod => "%",
        BinOp::Shl => "<<",
        BinOp::Shr => ">>",
        BinOp::Ushr => ">>>",
        BinOp::BitAnd => "&",
        BinOp::BitOr => "|",
        BinOp::BitXor => "^",
    }
}

impl<'g> Fcx<'g> {
    pub fn new(g: &'g Gen<'g>, sp: &'static str, locals: &'g [ir::Local], prefix: String) -> Self {
        Fcx {
            g,
            sp,
            locals,
            bare_names: false,
            prefix,
            out: String::new(),
            ind: 1,
            temps: Vec::new(),
            ntemp: 0,
            nlabel: 0,
            err: vec!["out".to_string()],
            used: BTreeSet::new(),
            loops: Vec::new(),
            out_label: "out".to_string(),
            ret: None,
            fe_sites: Vec::new(),
            entry_mode: EntryMode::None,
            entries: Vec::new(),
            statics: Vec::new(),
            ctx_args_writable: false,
            big_local: None,
        }
    }

    pub fn line(&mut self, s: impl AsRef<str>) {
        for _ in 0..self.ind {
            self.out.push('\t');
        }
        self.out.push_str(s.as_ref());
        self.out.push('\n');
    }

    /// Whether the body jumped to its end label.
    pub fn out_used(&self) -> bool {
        self.used.contains(&self.out_label)
    }

    fn label(&mut self, what: &str) -> String {
        self.nlabel += 1;
        format!("{what}{}", self.nlabel)
    }

    fn goto(&mut self, label: &str) -> String {
        self.used.insert(label.to_string());
        format!("goto {label};")
    }

    fn place_label(&mut self, label: &str) {
        if self.used.contains(label) {
            let ind = self.ind.saturating_sub(1);
            for _ in 0..ind {
                self.out.push('\t');
            }
            let _ = writeln!(self.out, "{label}: ;");
        }
    }

    fn check(&mut self) {
        let l = self
            .err
            .last()
            .cloned()
            .unwrap_or_else(|| self.out_label.clone());
        let g = self.goto(&l);
        self.line(format!("if (unlikely(c->unwind)) {g}"));
    }

    fn check_call(&mut self, loc: &str) {
        let l = self
            .err
            .last()
            .cloned()
            .unwrap_or_else(|| self.out_label.clone());
        let g = self.goto(&l);
        self.line(format!(
            "if (unlikely(c->unwind)) {{ xs_note_loc(c, {loc}); {g} }}"
        ));
    }

    fn act(&mut self, loc: &ir::Loc) {
        let l = self
            .err
            .last()
            .cloned()
            .unwrap_or_else(|| self.out_label.clone());
        self.used.insert(l.clone());
        let locs = self.g.loc(loc, "statement");
        self.line(format!("XS_ACT(c, 1, {locs}, {l});"));
    }

    fn temp(&mut self, decl_ty: &str, suffix: &str) -> String {
        self.ntemp += 1;
        let name = format!("t{}", self.ntemp);
        self.temps.push(format!("{decl_ty} {name}{suffix};"));
        format!("{}->{name}", self.sp)
    }

    pub fn temp_long(&mut self) -> String {
        self.temp("int64_t", "")
    }
    pub fn temp_str(&mut self) -> String {
        self.temp("char", "[MAXSTRINGLEN]")
    }
    fn temp_ptr(&mut self) -> String {
        self.temp("void *", "")
    }
    fn temp_keys(&mut self, n: usize) -> String {
        self.temp("struct xs_key", &format!("[{}]", n.max(1)))
    }

    pub fn local_field(&self, i: u32) -> String {
        match self.locals.get(i as usize) {
            Some(l) if self.bare_names => l.name.clone(),
            Some(l) => format!("l{i}_{}", sanitize(&l.name)),
            None => format!("l{i}_invalid"),
        }
    }

    pub fn local(&self, i: u32) -> String {
        format!("{}->{}", self.sp, self.local_field(i))
    }

    fn local_ty(&self, i: u32) -> Type {
        self.locals
            .get(i as usize)
            .map(|l| l.ty)
            .unwrap_or(Type::Long)
    }

    fn materialize(&mut self, v: String, ty: Type) -> String {
        match ty {
            Type::String => {
                let t = self.temp_str();
                self.line(format!("xs_strlcpy({t}, {v});"));
                t
            }
            _ => {
                let t = self.temp_long();
                self.line(format!("{t} = {v};"));
                t
            }
        }
    }

    // ---- statements ----

    pub fn block(&mut self, b: &ir::Block) {
        for s in &b.stmts {
            self.stmt(s);
        }
    }

    pub fn stmt(&mut self, s: &Stmt) {
        match &s.kind {
            StmtKind::Block(b) => self.block(b),
            StmtKind::Expr(e) => {
                self.act(&s.loc);
                let _ = self.expr(e);
            }
            StmtKind::If { cond, then, els } => {
                self.act(&s.loc);
                let c = self.expr(cond);
                self.line(format!("if ({c}) {{"));
                self.ind += 1;
                self.stmt(then);
                self.ind -= 1;
                if let Some(e) = els {
                    self.line("} else {");
                    self.ind += 1;
                    self.stmt(e);
                    self.ind -= 1;
                }
                self.line("}");
            }
            StmtKind::While { cond, body } => {
                let (brk, cont) = (self.label("brk"), self.label("cont"));
                self.line("for (;;) {");
                self.ind += 1;
                self.act(&s.loc);
                let c = self.expr(cond);
                let g = self.goto(&brk);
                self.line(format!("if (!({c})) {g}"));
                self.loops.push((brk.clone(), cont.clone()));
                self.stmt(body);
                self.loops.pop();
                self.ind += 1;
                self.place_label(&cont);
                self.ind -= 1;
                self.ind -= 1;
                self.line("}");
                self.ind += 1;
                self.place_label(&brk);
                self.ind -= 1;
            }
            StmtKind::For {
                init,
                cond,
                step,
                body,
            } => {
                self.act(&s.loc);
                if let Some(i) = init {
                    let _ = self.expr(i);
                }
                let (brk, cont) = (self.label("brk"), self.label("cont"));
                self.line("for (;;) {");
                self.ind += 1;
                self.act(&s.loc);
                if let Some(c) = cond {
                    let c = self.expr(c);
                    let g = self.goto(&brk);
                    self.line(format!("if (!({c})) {g}"));
                }
                self.loops.push((brk.clone(), cont.clone()));
                self.stmt(body);
                self.loops.pop();
                self.ind += 1;
                self.place_label(&cont);
                self.ind -= 1;
                if let Some(st) = step {
                    let _ = self.expr(st);
                }
                self.ind -= 1;
                self.line("}");
                self.ind += 1;
                self.place_label(&brk);
                self.ind -= 1;
            }
            StmtKind::Foreach(f) => {
                self.act(&s.loc);
                self.foreach(f, &s.loc);
            }
            StmtKind::Delete(t) => {
                self.act(&s.loc);
                self.delete(t);
            }
            StmtKind::Next => {
                self.line("c->unwind = 2;");
                let l = self
                    .err
                    .last()
                    .cloned()
                    .unwrap_or_else(|| self.out_label.clone());
                let g = self.goto(&l);
                self.line(g);
            }
            StmtKind::Break => {
                if let Some((b, _)) = self.loops.last().cloned() {
                    let g = self.goto(&b);
                    self.line(g);
                }
            }
            StmtKind::Continue => {
                if let Some((_, cn)) = self.loops.last().cloned() {
                    let g = self.goto(&cn);
                    self.line(g);
                }
            }
            StmtKind::Return(v) => {
                self.act(&s.loc);
                if let (Some(v), Some(rt)) = (v, self.ret) {
                    let x = self.expr(v);
                    match rt {
                        Type::String => {
                            self.line(format!("xs_strlcpy({}->__retvalue, {x});", self.sp))
                        }
                        _ => self.line(format!("{}->__retvalue = {x};", self.sp)),
                    }
                }
                let l = self.out_label.clone();
                let g = self.goto(&l);
                self.line(g);
            }
            StmtKind::Try {
                body,
                catch_var,
                handler,
            } => {
                let catch = self.label("catch");
                let end = self.label("tryend");
                self.err.push(catch.clone());
                self.line("{");
                self.ind += 1;
                self.block(body);
                self.ind -= 1;
                self.line("}");
                self.err.pop();
                if self.used.contains(&catch) {
                    let g = self.goto(&end);
                    self.line(g);
                    self.ind += 1;
                    self.place_label(&catch);
                    self.ind -= 1;
                    let outer = self
                        .err
                        .last()
                        .cloned()
                        .unwrap_or_else(|| self.out_label.clone());
                    let g = self.goto(&outer);
                    self.line(format!("if (!c->last_error) {g}"));
                    if let Some(v) = catch_var {
                        let dst = self.local(v.0);
                        self.line(format!("xs_strlcpy({dst}, c->last_error);"));
                    }
                    self.line("c->last_error = NULL;");
                    self.line("c->last_loc = NULL;");
                    self.line("c->unwind = 0;");
                    self.line("{");
                    self.ind += 1;
                    self.block(handler);
                    self.ind -= 1;
                    self.line("}");
                    self.ind += 1;
                    self.place_label(&end);
                    self.ind -= 1;
                }
            }
        }
    }

    fn foreach(&mut self, f: &ir::Foreach, loc: &ir::Loc) {
        let gi = self.g.global(f.array);
        let m = gi.cname.clone();
        let site = format!("{}_fe{}", self.prefix, self.fe_sites.len());
        self.fe_sites.push((site.clone(), f.array));
        let (ktypes, vtype) = match &self.g.decl(f.array).kind {
            GlobalKind::Array { keys, value, .. } => (keys.clone(), *value),
            GlobalKind::Scalar { ty, .. } => (vec![], *ty),
        };
        let limit = f.limit.as_ref().map(|l| {
            let v = self.expr(l);
            self.materialize(v, Type::Long)
        });
        let (slice, mask) = match &f.slice {
            Some(keys) => {
                let k = self.temp_keys(keys.len());
                let mut mask = 0u32;
                for (i, key) in keys.iter().enumerate() {
                    if let Some(e) = key {
                        mask |= 1 << i;
                        let v = self.expr(e);
                        let field = if e.ty == Type::String { "s" } else { "l" };
                        self.line(format!("{k}[{i}].{field} = {v};"));
                    }
                }
                (k, mask)
            }
            None => ("NULL".to_string(), 0),
        };
        let n = self.temp_long();
        let i = self.temp_long();
        let e = self.temp_long();
        self.line(format!(
            "{n} = xs_map_collect(&{m}, {site}, {slice}, {mask}u);"
        ));
        if let Some(s) = &f.sort {
            let (by, op) = match s.by {
                SortBy::Key(k) => (k as i64, "XS_COUNT"),
                SortBy::Value(op) => (-1, op.map(stat_op_c).unwrap_or("XS_COUNT")),
            };
            self.line(format!(
                "xs_map_sort(&{m}, {site}, {site} + {m}.cap, (unsigned){n}, {by}, {op}, {});",
                s.descending as i32
            ));
        }
        if let Some(l) = limit {
            self.line(format!("if ({n} > {l}) {n} = {l} < 0 ? 0 : {l};"));
        }
        let (brk, cont) = (self.label("brk"), self.label("cont"));
        self.line(format!("for ({i} = 0; {i} < {n}; {i}++) {{"));
        self.ind += 1;
        self.act(loc);
        self.line(format!("{e} = {site}[{i}];"));
        for (k, lid) in f.keys.iter().enumerate() {
            let dst = self.local(lid.0);
            match ktypes.get(k) {
                Some(Type::String) => self.line(format!(
                    "xs_strlcpy({dst}, xs_map_key_str(&{m}, (uint32_t){e}, {k}));"
                )),
                _ => self.line(format!(
                    "{dst} = xs_map_key_long(&{m}, (uint32_t){e}, {k});"
                )),
            }
        }
        if let Some(v) = f.value {
            let dst = self.local(v.0);
            match vtype {
                Type::String => self.line(format!(
                    "xs_strlcpy({dst}, (const char *)xs_map_val(&{m}, (uint32_t){e}));"
                )),
                Type::Stats => self.line(format!(
                    "{dst} = ((struct xs_stat *)xs_map_val(&{m}, (uint32_t){e}))->count;"
                )),
                _ => self.line(format!(
                    "{dst} = *(int64_t *)xs_map_val(&{m}, (uint32_t){e});"
                )),
            }
        }
        self.loops.push((brk.clone(), cont.clone()));
        self.stmt(&f.body);
        self.loops.pop();
        self.ind += 1;
        self.place_label(&cont);
        self.ind -= 1;
        self.ind -= 1;
        self.line("}");
        self.ind += 1;
        self.place_label(&brk);
        self.ind -= 1;
    }

    fn delete(&mut self, t: &DeleteTarget) {
        match t {
            DeleteTarget::Global(g) => {
                let gi = self.g.global(*g);
                let n = gi.cname.clone();
                match &self.g.decl(*g).kind {
                    GlobalKind::Array { .. } => self.line(format!("xs_map_clear(&{n});")),
                    GlobalKind::Scalar {
                        ty: Type::String, ..
                    } => self.line(format!("{n}[0] = '\\0';")),
                    GlobalKind::Scalar {
                        ty: Type::Stats, ..
                    } => self.line(format!("memset({n}, 0, xs_stat_size(&{}));", gi.desc)),
                    GlobalKind::Scalar { .. } => self.line(format!("{n} = 0;")),
                }
            }
            DeleteTarget::Local(l) => {
                let n = self.local(l.0);
                match self.local_ty(l.0) {
                    Type::String => self.line(format!("{n}[0] = '\\0';")),
                    _ => self.line(format!("{n} = 0;")),
                }
            }
            DeleteTarget::Element { array, keys } => {
                let m = self.g.global(*array).cname.clone();
                let k = self.temp_keys(keys.len());
                let mut wild = 0u32;
                for (i, key) in keys.iter().enumerate() {
                    match key {
                        Some(e) => {
                            let v = self.expr(e);
                            let field = if e.ty == Type::String { "s" } else { "l" };
                            self.line(format!("{k}[{i}].{field} = {v};"));
                        }
                        None => wild |= 1 << i,
                    }
                }
                if wild == 0 {
                    self.line(format!("xs_map_delete(&{m}, {k});"));
                } else {
                    self.line(format!("xs_map_delete_wild(&{m}, {k}, {wild}u);"));
                }
            }
        }
    }

    // ---- expressions ----

    fn keys(&mut self, keys: &[Expr]) -> String {
        let k = self.temp_keys(keys.len());
        for (i, key) in keys.iter().enumerate() {
            let v = self.expr(key);
            let field = if key.ty == Type::String { "s" } else { "l" };
            self.line(format!("{k}[{i}].{field} = {v};"));
        }
        k
    }

    /// Lower an expression; the returned C expression has no side effects.
    pub fn expr(&mut self, e: &Expr) -> String {
        match &e.kind {
            ExprKind::Literal(Literal::Long(v)) => c_long(*v),
            ExprKind::Literal(Literal::Str(s)) => cstr(s),
            ExprKind::Local(l) => self.local(l.0),
            ExprKind::Global(g) => {
                let gi = self.g.global(*g);
                gi.cname.clone()
            }
            ExprKind::Element { array, keys } => {
                let m = self.g.global(*array).cname.clone();
                let k = self.keys(keys);
                let p = self.temp_ptr();
                self.line(format!("{p} = xs_map_get(&{m}, {k});"));
                match e.ty {
                    Type::String => {
                        let t = self.temp_str();
                        self.line(format!("xs_strlcpy({t}, {p} ? (const char *){p} : \"\");"));
                        t
                    }
                    _ => {
                        let t = self.temp_long();
                        self.line(format!("{t} = {p} ? *(int64_t *){p} : 0;"));
                        t
                    }
                }
            }
            ExprKind::In { array, keys } => {
                let m = self.g.global(*array).cname.clone();
                let k = self.temp_keys(keys.len());
                let mut wild = 0u32;
                for (i, key) in keys.iter().enumerate() {
                    match key {
                        Some(ke) => {
                            let v = self.expr(ke);
                            let field = if ke.ty == Type::String { "s" } else { "l" };
                            self.line(format!("{k}[{i}].{field} = {v};"));
                        }
                        None => wild |= 1 << i,
                    }
                }
                let t = self.temp_long();
                self.line(format!("{t} = xs_map_exists(&{m}, {k}, {wild}u);"));
                t
            }
            ExprKind::Binary { op, lhs, rhs } => {
                let mut a = self.expr(lhs);
                if has_effects(rhs) {
                    a = self.materialize(a, Type::Long);
                }
                let b = self.expr(rhs);
                self.binop(*op, &a, &b, &e.loc)
            }
            ExprKind::Compare { op, lhs, rhs } => {
                let mut a = self.expr(lhs);
                if has_effects(rhs) {
                    a = self.materialize(a, lhs.ty);
                }
                let b = self.expr(rhs);
                let sym = match op {
                    CmpOp::Lt => "<",
                    CmpOp::Le => "<=",
                    CmpOp::Gt => ">",
                    CmpOp::Ge => ">=",
                    CmpOp::Eq => "==",
                    CmpOp::Ne => "!=",
                };
                if lhs.ty == Type::String || rhs.ty == Type::String {
                    format!("(int64_t)(xs_strcmp({a}, {b}) {sym} 0)")
                } else {
                    format!("(int64_t)({a} {sym} {b})")
                }
            }
            ExprKind::Logical { and, lhs, rhs } => {
                let t = self.temp_long();
                let a = self.expr(lhs);
                if *and {
                    self.line(format!("{t} = 0;"));
                    self.line(format!("if ({a}) {{"));
                } else {
                    self.line(format!("{t} = 1;"));
                    self.line(format!("if (!({a})) {{"));
                }
                self.ind += 1;
                let b = self.expr(rhs);
                self.line(format!("{t} = ({b}) != 0;"));
                self.ind -= 1;
                self.line("}");
                t
            }
            ExprKind::Unary { op, operand } => {
                let a = self.expr(operand);
                match op {
                    UnOp::Neg => format!("(int64_t)(0 - (uint64_t){a})"),
                    UnOp::Not => format!("(int64_t)!({a})"),
                    UnOp::BitNot => format!("(int64_t)~({a})"),
                    UnOp::Plus => a,
                }
            }
            ExprKind::Concat { lhs, rhs } => {
                let a = self.expr(lhs);
                let a = if has_effects(rhs) {
                    self.materialize(a, Type::String)
                } else {
                    a
                };
                let b = self.expr(rhs);
                let t = self.temp_str();
                self.line(format!("xs_concat({t}, {a}, {b});"));
                t
            }
            ExprKind::Regex {
                subject,
                regex,
                negate,
            } => {
                let v = self.expr(subject);
                match crate::regex::compile(regex) {
                    Ok(d) => {
                        let name = format!("{}_re{}", self.prefix, self.statics.len());
                        self.statics.push(crate::regex::to_c(&d, &name, regex));
                        let t = self.temp_long();
                        let neg = if *negate { "!" } else { "" };
                        self.line(format!("{t} = {neg}xs_regex_match(&{name}, {v});"));
                        t
                    }
                    Err(msg) => {
                        self.g.error_at(
                            "E0605",
                            e.loc,
                            format!("invalid regular expression {}: {msg}", cstr(regex)),
                            "write a POSIX extended regular expression (`|`, `*`, `+`, `?`, `{m,n}`, `()`, `[]`, `^`, `$`)",
                        );
                        "0LL".to_string()
                    }
                }
            }
            ExprKind::Ternary { cond, then, els } => {
                let t = match e.ty {
                    Type::String => self.temp_str(),
                    Type::Long => self.temp_long(),
                    _ => String::new(),
                };
                let c = self.expr(cond);
                self.line(format!("if ({c}) {{"));
                self.ind += 1;
                let a = self.expr(then);
                if !t.is_empty() {
                    self.assign_to(&t, &a, e.ty);
                }
                self.ind -= 1;
                self.line("} else {");
                self.ind += 1;
                let b = self.expr(els);
                if !t.is_empty() {
                    self.assign_to(&t, &b, e.ty);
                }
                self.ind -= 1;
                self.line("}");
                t
            }
            ExprKind::Assign { target, op, value } => self.assign(target, *op, value, e),
            ExprKind::IncDec {
                target,
                increment,
                prefix,
            } => self.incdec(target, *increment, *prefix, e),
            ExprKind::Aggregate { target, value } => {
                let v = self.expr(value);
                let v = self.materialize(v, Type::Long);
                let (st, desc) = self.stat_lvalue(target, true, &e.loc);
                self.line(format!(
                    "if ({st}) xs_stat_add(&{desc}, (struct xs_stat *){st}, {v});"
                ));
                v
            }
            ExprKind::StatQuery { op, of } => {
                let (st, desc) = self.stat_lvalue(of, false, &e.loc);
                let t = self.temp_long();
                let loc = self.g.loc(&e.loc, "operator '@'");
                self.line(format!(
                    "{t} = xs_stat_get(c, &{desc}, (const struct xs_stat *){st}, {}, {loc});",
                    stat_op_c(*op)
                ));
                if !matches!(op, StatOp::Count | StatOp::Sum) {
                    self.check();
                }
                t
            }
            ExprKind::Hist { of, .. } => {
                // Outside print: print the histogram to the output.
                let (st, desc) = self.stat_lvalue(of, false, &e.loc);
                self.line("{");
                self.ind += 1;
                self.line("struct xs_sink S;");
                self.line("xs_sink_out(&S, c);");
                self.line(format!(
                    "xs_stat_print_hist(&S, &{desc}, (const struct xs_stat *){st});"
                ));
                self.line("xs_sink_end(&S);");
                self.ind -= 1;
                self.line("}");
                String::new()
            }
            ExprKind::HistBucket { of, bucket, .. } => {
                let b = self.expr(bucket);
                let b = self.materialize(b, Type::Long);
                let (st, desc) = self.stat_lvalue(of, false, &e.loc);
                let t = self.temp_long();
                let loc = self.g.loc(&e.loc, "operator '@hist'");
                self.line(format!(
                    "{t} = xs_stat_bucket(c, &{desc}, (const struct xs_stat *){st}, {b}, {loc});"
                ));
                self.check();
                t
            }
            ExprKind::Call { func, args } => self.call(*func, args, e),
            ExprKind::EmbeddedC { code } => {
                // Guru embedded C in a probe or function body: evaluated once,
                // here, under a `#line` of the script, so that the C
                // compiler's errors in it point at the user's code.
                let t = self.temp_long();
                let file = self
                    .g
                    .p
                    .files
                    .get(e.loc.file as usize)
                    .map(String::as_str)
                    .unwrap_or("<input>");
                self.out
                    .push_str(&format!("#line {} {}\n", e.loc.line.max(1), c_string(file)));
                self.line(format!("{t} = (xs_long)({});", code.trim()));
                self.out.push_str("#line XS_RESET_LINE\n");
                t
            }
            ExprKind::Print { kind, format, args } => self.print(*kind, format, args, e),
            ExprKind::Target(t) => {
                if self.entry_mode == EntryMode::Return && matches!(t.base, TargetBase::Param(_)) {
                    return self.entry_slot(e);
                }
                self.target(t, e)
            }
            ExprKind::Entry(inner) => {
                if self.entry_mode == EntryMode::Return {
                    self.entry_slot(inner)
                } else {
                    self.expr(inner)
                }
            }
        }
    }

    fn entry_slot(&mut self, e: &Expr) -> String {
        let i = self.entries.len();
        self.entries.push(e.clone());
        format!("{}_entry(c)->e{i}", self.prefix)
    }

    fn assign_to(&mut self, dst: &str, v: &str, ty: Type) {
        if v.is_empty() || ty == Type::Void || ty == Type::Stats {
            return;
        }
        match ty {
            Type::String => self.line(format!("xs_strlcpy({dst}, {v});")),
            _ => self.line(format!("{dst} = {v};")),
        }
    }

    fn binop(&mut self, op: BinOp, a: &str, b: &str, loc: &ir::Loc) -> String {
        match op {
            BinOp::Add => format!("(int64_t)((uint64_t){a} + (uint64_t){b})"),
            BinOp::Sub => format!("(int64_t)((uint64_t){a} - (uint64_t){b})"),
            BinOp::Mul => format!("(int64_t)((uint64_t){a} * (uint64_t){b})"),
            BinOp::Div | BinOp::Mod => {
                let t = self.temp_long();
                let l = self.g.loc(loc, &format!("operator '{}'", binop_sym(op)));
                let f = if op == BinOp::Div { "xs_div" } else { "xs_mod" };
                self.line(format!("{t} = {f}(c, {a}, {b}, {l});"));
                self.check();
                t
            }
            BinOp::Shl => format!("xs_shl({a}, {b})"),
            BinOp::Shr => format!("xs_shr({a}, {b})"),
            BinOp::Ushr => format!("xs_ushr({a}, {b})"),
            BinOp::BitAnd => format!("({a} & {b})"),
            BinOp::BitOr => format!("({a} | {b})"),
            BinOp::BitXor => format!("({a} ^ {b})"),
        }
    }

    /// The address of a stats value and its descriptor; `create` inserts
    /// missing array elements.
    fn stat_lvalue(&mut self, lv: &LValue, create: bool, loc: &ir::Loc) -> (String, String) {
        match lv {
            LValue::Global(g) => {
                let gi = self.g.global(*g);
                (gi.cname.clone(), gi.desc.clone())
            }
            LValue::Element { array, keys } => {
                let gi = self.g.global(*array);
                let (m, desc) = (gi.cname.clone(), gi.desc.clone());
                let name = self.g.decl(*array).name.clone();
                let k = self.keys(keys);
                let p = self.temp_ptr();
                if create {
                    let l = self.g.loc(loc, &format!("identifier '{name}'"));
                    self.line(format!("{p} = xs_map_set(c, &{m}, {k}, {l});"));
                    self.check();
                } else {
                    self.line(format!("{p} = xs_map_get(&{m}, {k});"));
                }
                (p, desc)
            }
            _ => {
                self.g.unsupported(*loc, "statistics on a local variable");
                ("NULL".to_string(), "xs_no_desc".to_string())
            }
        }
    }

    fn combine(&mut self, op: AssignOp, old: &str, v: &str, loc: &ir::Loc) -> String {
        match op {
            AssignOp::Set => v.to_string(),
            AssignOp::Bin(b) => self.binop(b, old, v, loc),
            AssignOp::Concat => v.to_string(),
        }
    }

    fn assign(&mut self, target: &LValue, op: AssignOp, value: &Expr, e: &Expr) -> String {
        let ty = value.ty;
        match target {
            LValue::Local(_) | LValue::Global(_) => {
                let dst = match target {
                    LValue::Local(l) => self.local(l.0),
                    LValue::Global(g) => self.g.global(*g).cname.clone(),
                    _ => unreachable!(),
                };
                let v = self.expr(value);
                let big = match (target, &self.big_local) {
                    (LValue::Local(l), Some((b, size))) if l.0 == *b => Some(size.clone()),
                    _ => None,
                };
                if let Some(size) = big.filter(|_| ty == Type::String) {
                    let v = if v == dst {
                        self.materialize(v, Type::String)
                    } else {
                        v
                    };
                    match op {
                        AssignOp::Concat => self.line(format!("xs_strcat_n({dst}, {v}, {size});")),
                        _ => self.line(format!("xs_strlcpy_n({dst}, {v}, {size});")),
                    }
                } else if ty == Type::String {
                    match op {
                        AssignOp::Concat => {
                            let v = if v == dst {
                                self.materialize(v, Type::String)
                            } else {
                                v
                            };
                            self.line(format!("xs_strcat({dst}, {v});"));
                        }
                        _ => self.line(format!("xs_strlcpy({dst}, {v});")),
                    }
                } else {
                    let nv = self.combine(op, &dst, &v, &e.loc);
                    self.line(format!("{dst} = {nv};"));
                }
                dst
            }
            LValue::Element { array, keys } => {
                let gi = self.g.global(*array);
                let m = gi.cname.clone();
                let name = self.g.decl(*array).name.clone();
                let k = self.keys(keys);
                let v = self.expr(value);
                let v = if ty == Type::String {
                    v
                } else {
                    self.materialize(v, Type::Long)
                };
                let p = self.temp_ptr();
                let l = self.g.loc(&e.loc, &format!("identifier '{name}'"));
                self.line(format!("{p} = xs_map_set(c, &{m}, {k}, {l});"));
                self.check();
                if ty == Type::String {
                    match op {
                        AssignOp::Concat => self.line(format!("xs_strcat((char *){p}, {v});")),
                        _ => self.line(format!("xs_strlcpy((char *){p}, {v});")),
                    }
                    let t = self.temp_str();
                    self.line(format!("xs_strlcpy({t}, (const char *){p});"));
                    t
                } else {
                    let old = format!("*(int64_t *){p}");
                    let nv = self.combine(op, &old, &v, &e.loc);
                    self.line(format!("*(int64_t *){p} = {nv};"));
                    let t = self.temp_long();
                    self.line(format!("{t} = *(int64_t *){p};"));
                    t
                }
            }
            LValue::Target(t) => {
                if ty != Type::Long || op == AssignOp::Concat {
                    self.g
                        .unsupported(e.loc, "writing a string to a target variable");
                    return "0LL".to_string();
                }
                let v = self.expr(value);
                let v = self.materialize(v, Type::Long);
                let nv = if op == AssignOp::Set {
                    v
                } else {
                    let old = self.target(t, e);
                    let nv = self.combine(op, &old, &v, &e.loc);
                    self.materialize(nv, Type::Long)
                };
                self.target_write(t, &nv, e);
                nv
            }
        }
    }

    /// Store a long into the place a target expression names (guru mode):
    /// a function argument or `$return` in the saved registers, or kernel
    /// memory (`$p->field`) with a fault-safe store.
    fn target_write(&mut self, t: &TargetExpr, v: &str, e: &Expr) {
        let loc = self.g.loc(&e.loc, "target variable");
        if t.path.iter().any(|s| matches!(s, TargetStep::Bits { .. })) {
            self.g.unsupported(e.loc, "writing to a bit field");
            return;
        }
        if !is_scalar(&t.ty) {
            self.g.unsupported(
                e.loc,
                &format!("writing a `{}` value to a target variable", t.ty.spelling),
            );
            return;
        }
        if t.path.is_empty() {
            match &t.base {
                TargetBase::Param(n) => {
                    if self.entry_mode == EntryMode::Return {
                        self.g
                            .unsupported(e.loc, "writing a function parameter in a .return probe");
                        return;
                    }
                    self.line(format!("xs_set_arg(c, {n}, {v}, {loc});"));
                    self.check();
                }
                TargetBase::Return => {
                    self.line(format!("xs_set_retval(c, {v}, {loc});"));
                    self.check();
                }
                TargetBase::TracepointArg(n) if self.ctx_args_writable => {
                    self.line(format!("if ({n} < c->tp_nargs) c->tp_args[{n}] = {v};"));
                }
                TargetBase::TracepointArg(_) => {
                    self.g.unsupported(e.loc, "writing a tracepoint argument");
                }
                TargetBase::Address(_) => {
                    self.g
                        .unsupported(e.loc, "writing to a @cast value without a member");
                }
            }
            return;
        }
        if self.entry_mode == EntryMode::Return && matches!(t.base, TargetBase::Param(_)) {
            self.g.unsupported(
                e.loc,
                "writing through a function parameter in a .return probe",
            );
            return;
        }
        let (cur, is_loc) = self.target_place(t, &loc);
        if !is_loc {
            self.g
                .unsupported(e.loc, "writing to a target value that is not in memory");
            return;
        }
        let size = t.ty.size.clamp(1, 8);
        self.line(format!("xs_kwrite(c, {cur}, {size}, {v}, {loc});"));
        self.check();
    }

    fn incdec(&mut self, target: &LValue, inc: bool, prefix: bool, e: &Expr) -> String {
        let delta = if inc { "+ 1" } else { "- 1" };
        match target {
            LValue::Local(_) | LValue::Global(_) => {
                let dst = match target {
                    LValue::Local(l) => self.local(l.0),
                    LValue::Global(g) => self.g.global(*g).cname.clone(),
                    _ => unreachable!(),
                };
                let t = self.temp_long();
                if prefix {
                    self.line(format!("{dst} = (int64_t)((uint64_t){dst} {delta});"));
                    self.line(format!("{t} = {dst};"));
                } else {
                    self.line(format!("{t} = {dst};"));
                    self.line(format!("{dst} = (int64_t)((uint64_t){dst} {delta});"));
                }
                t
            }
            LValue::Element { array, keys } => {
                let m = self.g.global(*array).cname.clone();
                let name = self.g.decl(*array).name.clone();
                let k = self.keys(keys);
                let p = self.temp_ptr();
                let l = self.g.loc(&e.loc, &format!("identifier '{name}'"));
                self.line(format!("{p} = xs_map_set(c, &{m}, {k}, {l});"));
                self.check();
                let t = self.temp_long();
                let cell = format!("*(int64_t *){p}");
                if prefix {
                    self.line(format!("{cell} = (int64_t)((uint64_t){cell} {delta});"));
                    self.line(format!("{t} = {cell};"));
                } else {
                    self.line(format!("{t} = {cell};"));
                    self.line(format!("{cell} = (int64_t)((uint64_t){cell} {delta});"));
                }
                t
            }
            LValue::Target(tg) => {
                let old = self.target(tg, e);
                let old = self.materialize(old, Type::Long);
                let nv = self.temp_long();
                self.line(format!("{nv} = (int64_t)((uint64_t){old} {delta});"));
                self.target_write(tg, &nv, e);
                if prefix {
                    nv
                } else {
                    old
                }
            }
        }
    }

    fn call(&mut self, func: ir::FuncId, args: &[Expr], e: &Expr) -> String {
        let Some(f) = self.g.p.functions.get(func.0 as usize) else {
            self.g
                .bug(format!("call to function id {} out of range", func.0));
            return "0LL".to_string();
        };
        let mut vals = Vec::new();
        for (i, a) in args.iter().enumerate() {
            let mut v = self.expr(a);
            if v.is_empty() {
                // A value-less expression (a call of a function without a
                // return type) as an argument: the checked program is
                // inconsistent; never emit `f(c, )`.
                self.g.bug(format!(
                    "argument {} of `{}` at {} has no value",
                    i + 1,
                    f.name,
                    self.g.pos(&a.loc)
                ));
                v = match f.locals.get(i).map(|l| l.ty) {
                    Some(Type::String) => "\"\"".to_string(),
                    _ => "0LL".to_string(),
                };
            }
            // Later arguments with effects may change variables read earlier.
            let later = args[i + 1..].iter().any(has_effects);
            let v = if later { self.materialize(v, a.ty) } else { v };
            vals.push(v);
        }
        let name = self.g.func_name(func);
        let loc = self.g.loc(&e.loc, &format!("identifier '{}'", f.name));
        let mut argl = String::from("c");
        let result = match f.ret {
            Type::String => {
                let t = self.temp_str();
                let _ = write!(argl, ", {t}");
                Some(t)
            }
            Type::Long => Some(self.temp_long()),
            _ => None,
        };
        for v in &vals {
            let _ = write!(argl, ", {v}");
        }
        match (f.ret, &result) {
            (Type::Long, Some(t)) => self.line(format!("{t} = {name}({argl});")),
            _ => self.line(format!("{name}({argl});")),
        }
        self.check_call(&loc);
        result.unwrap_or_default()
    }

    fn print(&mut self, kind: PrintKind, format: &PrintFormat, args: &[Expr], e: &Expr) -> String {
        // Evaluate every argument first, then write in one go.
        enum Arg {
            Val(String, Type),
            Hist(String, String),
        }
        let mut vals = Vec::new();
        for (i, a) in args.iter().enumerate() {
            if let ExprKind::Hist { of, .. } = &a.kind {
                let (st, desc) = self.stat_lvalue(of, false, &a.loc);
                vals.push(Arg::Hist(st, desc));
                continue;
            }
            let v = self.expr(a);
            let later = args[i + 1..].iter().any(has_effects);
            let v = if later { self.materialize(v, a.ty) } else { v };
            vals.push(Arg::Val(v, a.ty));
        }
        let result = match kind {
            PrintKind::Sprint => Some(self.temp_str()),
            PrintKind::Print => None,
        };
        self.line("{");
        self.ind += 1;
        self.line("struct xs_sink S;");
        match &result {
            Some(t) => self.line(format!("xs_sink_str(&S, {t});")),
            None => self.line("xs_sink_out(&S, c);"),
        }
        let put_plain = |me: &mut Self, a: &Arg| match a {
            Arg::Val(v, Type::String) => me.line(format!("xs_puts(&S, {v});")),
            Arg::Val(v, Type::Long) => me.line(format!("xs_put_long(&S, {v});")),
            Arg::Val(_, _) => {}
            Arg::Hist(st, desc) => me.line(format!(
                "xs_stat_print_hist(&S, &{desc}, (const struct xs_stat *){st});"
            )),
        };
        let mut need_check = false;
        match format {
            PrintFormat::Plain { newline } => {
                for a in &vals {
                    put_plain(self, a);
                }
                if *newline {
                    self.line("xs_putc(&S, '\\n');");
                }
            }
            PrintFormat::Delimited { delim, newline } => {
                let d = cstr(delim);
                for (i, a) in vals.iter().enumerate() {
                    if i > 0 {
                        self.line(format!("xs_puts(&S, {d});"));
                    }
                    put_plain(self, a);
                }
                if *newline {
                    self.line("xs_putc(&S, '\\n');");
                }
            }
            PrintFormat::Format(pieces) => {
                let mut it = vals.iter();
                for p in pieces {
                    match p {
                        FormatPiece::Text(t) => {
                            if !t.is_empty() {
                                self.line(format!("xs_put(&S, {}, {});", cstr(t), t.len()));
                            }
                        }
                        FormatPiece::Conv(spec) => {
                            if spec.conv == '%' {
                                self.line("xs_putc(&S, '%');");
                                continue;
                            }
                            let mut flags = Vec::new();
                            for ch in spec.flags.chars() {
                                let f = match ch {
                                    '-' => "XS_F_LEFT",
                                    '+' => "XS_F_PLUS",
                                    ' ' => "XS_F_SPACE",
                                    '#' => "XS_F_SPECIAL",
                                    '0' => "XS_F_ZEROPAD",
                                    _ => continue,
                                };
                                if !flags.contains(&f) {
                                    flags.push(f);
                                }
                            }
                            let flags = if flags.is_empty() {
                                "0".to_string()
                            } else {
                                flags.join(" | ")
                            };
                            let dynamic = |spec_v: Option<i64>,
                                           it: &mut std::slice::Iter<'_, Arg>|
                             -> String {
                                match spec_v {
                                    Some(-1) => match it.next() {
                                        Some(Arg::Val(v, _)) => format!("(int){v}"),
                                        _ => "-1".to_string(),
                                    },
                                    Some(n) => n.to_string(),
                                    None => "-1".to_string(),
                                }
                            };
                            let width = dynamic(spec.width, &mut it);
                            let prec = dynamic(spec.precision, &mut it);
                            let Some(arg) = it.next() else { continue };
                            match (arg, spec.conv) {
                                (Arg::Hist(st, desc), _) => self.line(format!(
                                    "xs_stat_print_hist(&S, &{desc}, (const struct xs_stat *){st});"
                                )),
                                (Arg::Val(v, Type::String), _) => self.line(format!(
                                    "xs_fmt_str(&S, {v}, {flags}, {width}, {prec});"
                                )),
                                (Arg::Val(v, _), 's') => {
                                    // A number printed with %s: as decimal.
                                    self.line(format!(
                                        "xs_fmt_long(&S, {v}, {flags}, {width}, {prec}, 'd');"
                                    ))
                                }
                                (Arg::Val(v, _), 'm' | 'M') => {
                                    let loc = self.g.loc(&e.loc, "identifier 'printf'");
                                    self.line(format!(
                                        "xs_fmt_mem(c, &S, {v}, {flags}, {width}, {prec}, '{}', {loc});",
                                        spec.conv
                                    ));
                                    need_check = true;
                                }
                                (Arg::Val(v, _), conv) => {
                                    let conv = if conv == '\'' { 'd' } else { conv };
                                    self.line(format!(
                                        "xs_fmt_long(&S, {v}, {flags}, {width}, {prec}, '{conv}');"
                                    ))
                                }
                            }
                        }
                    }
                }
            }
        }
        self.line("xs_sink_end(&S);");
        self.ind -= 1;
        self.line("}");
        if need_check {
            self.check();
        }
        result.unwrap_or_default()
    }

    fn target(&mut self, t: &TargetExpr, e: &Expr) -> String {
        let loc = self.g.loc(&e.loc, "target variable");
        let (cur, is_loc) = self.target_place(t, &loc);
        self.target_value(t, cur, is_loc, &loc)
    }

    /// Evaluate a target expression's base and path: `(cur, is_loc)`, where
    /// `cur` holds the value itself or, when `is_loc`, its address.
    fn target_place(&mut self, t: &TargetExpr, loc: &str) -> (String, bool) {
        // The state: a value (in `cur`) or the address of a location.
        let cur = self.temp_long();
        let mut is_loc = false;
        match &t.base {
            TargetBase::Param(n) => self.line(format!("{cur} = xs_arg(c, {n}, {loc});")),
            TargetBase::Return => self.line(format!("{cur} = xs_retval(c, {loc});")),
            TargetBase::TracepointArg(n) => {
                self.line(format!("{cur} = {n} < c->tp_nargs ? c->tp_args[{n}] : 0;"))
            }
            TargetBase::Address(a) => {
                let v = self.expr(a);
                self.line(format!("{cur} = {v};"));
            }
        }
        if matches!(t.base, TargetBase::Param(_) | TargetBase::Return) {
            self.check();
        }
        for step in &t.path {
            match step {
                TargetStep::Deref { offset } => {
                    if is_loc {
                        self.line(format!("{cur} = xs_kread(c, {cur}, 8, 0, {loc});"));
                        self.check();
                    }
                    self.line(format!("{cur} = (int64_t)((uint64_t){cur} + {offset}ULL);"));
                    is_loc = true;
                }
                TargetStep::Offset { offset } => {
                    self.line(format!("{cur} = (int64_t)((uint64_t){cur} + {offset}ULL);"));
                }
                TargetStep::Index {
                    index,
                    elem_size,
                    deref,
                } => {
                    let i = self.expr(index);
                    if *deref && is_loc {
                        self.line(format!("{cur} = xs_kread(c, {cur}, 8, 0, {loc});"));
                        self.check();
                    }
                    self.line(format!(
                        "{cur} = (int64_t)((uint64_t){cur} + (uint64_t){i} * {elem_size}ULL);"
                    ));
                    is_loc = true;
                }
                TargetStep::Bits { shift, bits } => {
                    if is_loc {
                        let size = t.ty.size.clamp(1, 8);
                        self.line(format!("{cur} = xs_kread(c, {cur}, {size}, 0, {loc});"));
                        self.check();
                        is_loc = false;
                    }
                    let mask = if *bits >= 64 {
                        u64::MAX
                    } else {
                        (1u64 << bits) - 1
                    };
                    self.line(format!(
                        "{cur} = (int64_t)(((uint64_t){cur} >> {}) & {mask}ULL);",
                        shift & 63
                    ));
                }
            }
        }
        (cur, is_loc)
    }

    /// Turn the place of a target expression into its script value.
    fn target_value(&mut self, t: &TargetExpr, cur: String, is_loc: bool, loc: &str) -> String {
        let scalar = is_scalar(&t.ty);
        match t.convert {
            TargetConvert::Address => cur,
            TargetConvert::Long | TargetConvert::Pretty { .. } => {
                let size = if scalar { t.ty.size.clamp(1, 8) } else { 8 };
                if is_loc && scalar {
                    self.line(format!(
                        "{cur} = xs_kread(c, {cur}, {size}, {}, {loc});",
                        t.ty.signed as i32
                    ));
                    self.check();
                } else if scalar {
                    self.line(format!(
                        "{cur} = xs_extend({cur}, {size}, {});",
                        t.ty.signed as i32
                    ));
                }
                if let TargetConvert::Pretty { .. } = t.convert {
                    let s = self.temp_str();
                    let conv = if matches!(t.ty.kind, CTypeKind::Pointer | CTypeKind::CharPointer)
                        || !scalar
                    {
                        "XS_F_SPECIAL, -1, -1, 'x'"
                    } else {
                        "0, -1, -1, 'd'"
                    };
                    self.line("{");
                    self.ind += 1;
                    self.line("struct xs_sink S;");
                    self.line(format!("xs_sink_str(&S, {s});"));
                    self.line(format!("xs_fmt_long(&S, {cur}, {conv});"));
                    self.line("xs_sink_end(&S);");
                    self.ind -= 1;
                    self.line("}");
                    return s;
                }
                cur
            }
            TargetConvert::String => {
                if is_loc && t.ty.kind != CTypeKind::Array {
                    self.line(format!("{cur} = xs_kread(c, {cur}, 8, 0, {loc});"));
                    self.check();
                }
                let s = self.temp_str();
                self.line(format!("xs_kread_str(c, {s}, {cur}, {loc});"));
                self.check();
                s
            }
        }
    }
}

fn is_scalar(t: &ir::CType) -> bool {
    matches!(
        t.kind,
        CTypeKind::Integer
            | CTypeKind::Pointer
            | CTypeKind::CharPointer
            | CTypeKind::Enum
            | CTypeKind::Bool
    )
}

/// A script identifier as a C identifier fragment.
pub(crate) fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}
