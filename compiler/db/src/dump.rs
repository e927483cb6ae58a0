//! The `-p2` text of an elaborated program, in stap's layout: `# globals`
//! (`name:type`, arrays as `name:value [key, ...]`), `# functions`
//! (`name:ret (param:type, ...)` with locals and body) and `# probes`
//! (`pp /* <- derivation */` with locals and body).
//!
//! Pure formatting over [`ir::Program`]; bodies are printed with explicit
//! parentheses around every compound operand so the structure is visible.

use std::fmt::Write;

use ir::*;

fn ty(t: Type) -> &'static str {
    match t {
        Type::Long => "long",
        Type::String => "string",
        Type::Stats => "stats",
        Type::Void => "unknown",
    }
}

/// Render `p`; `derivations[i]` lists, for probe `i`, each point's chain.
pub fn dump(p: &Program, derivations: &[Vec<String>]) -> String {
    let mut out = String::new();
    if !p.globals.is_empty() {
        out.push_str("# globals\n");
        for g in &p.globals {
            match &g.kind {
                GlobalKind::Scalar { ty: t, init } => {
                    let _ = write!(out, "{}:{}", g.name, ty(*t));
                    match init {
                        Some(Literal::Long(n)) => {
                            let _ = write!(out, " = {n}");
                        }
                        Some(Literal::Str(s)) => {
                            let _ = write!(out, " = {}", quote(s));
                        }
                        None => {}
                    }
                    out.push('\n');
                }
                GlobalKind::Array {
                    keys,
                    value,
                    size,
                    wrap,
                } => {
                    let ks: Vec<&str> = keys.iter().map(|k| ty(*k)).collect();
                    let _ = write!(out, "{}:{} [{}]", g.name, ty(*value), ks.join(", "));
                    if let Some(n) = size {
                        let _ = write!(out, " size={n}");
                    }
                    if *wrap {
                        out.push('%');
                    }
                    out.push('\n');
                }
            }
        }
    }
    if !p.functions.is_empty() {
        out.push_str("# functions\n");
        for f in &p.functions {
            let params: Vec<String> = f.locals[..f.params as usize]
                .iter()
                .map(|l| format!("{}:{}", l.name, ty(l.ty)))
                .collect();
            let _ = writeln!(out, "{}:{} ({})", f.name, ty(f.ret), params.join(", "));
            locals(&mut out, &f.locals[f.params as usize..]);
            match &f.body {
                FuncBody::Script(b) => {
                    let pr = Printer {
                        p,
                        locals: &f.locals,
                    };
                    pr.block(&mut out, b, 0);
                    out.push('\n');
                }
                FuncBody::EmbeddedC { code, .. } => {
                    let _ = writeln!(out, "%{{{}%}}", code);
                }
            }
        }
    }
    if !p.probes.is_empty() {
        out.push_str("# probes\n");
        for (i, pr) in p.probes.iter().enumerate() {
            let pts: Vec<String> = pr
                .points
                .iter()
                .enumerate()
                .map(|(j, pt)| {
                    let d = derivations
                        .get(i)
                        .and_then(|d| d.get(j))
                        .cloned()
                        .unwrap_or_default();
                    let mut s = match &pt.kind {
                        // Where the uprobe goes, as stap shows it.
                        ir::PointKind::Uprobe { offset, .. } => {
                            format!("{} /* pc=.absolute+{offset:#x} */ /* <- {} */", pt.pp, d)
                        }
                        _ => format!("{} /* <- {} */", pt.pp, d),
                    };
                    if pt.optional {
                        s.push_str(" ?");
                    }
                    s
                })
                .collect();
            // User-space wildcards give thousands of points: one a line.
            let sep = if pr
                .points
                .iter()
                .any(|p| matches!(p.kind, ir::PointKind::Uprobe { .. }))
            {
                ",\n"
            } else {
                ", "
            };
            let _ = writeln!(out, "{}", pts.join(sep));
            locals(&mut out, &pr.locals);
            let printer = Printer {
                p,
                locals: &pr.locals,
            };
            printer.block(&mut out, &pr.body, 0);
            out.push('\n');
        }
    }
    out
}

fn locals(out: &mut String, ls: &[Local]) {
    if ls.is_empty() {
        return;
    }
    out.push_str("  # locals\n");
    for l in ls {
        let _ = writeln!(out, "  {}:{}", l.name, ty(l.ty));
    }
}

fn quote(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\t' => o.push_str("\\t"),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

struct Printer<'a> {
    p: &'a Program,
    locals: &'a [Local],
}

impl Printer<'_> {
    fn indent(out: &mut String, n: usize) {
        for _ in 0..n {
            out.push_str("  ");
        }
    }

    fn block(&self, out: &mut String, b: &Block, ind: usize) {
        out.push_str("{\n");
        for s in &b.stmts {
            self.stmt(out, s, ind + 1);
        }
        Self::indent(out, ind);
        out.push('}');
    }

    fn stmt(&self, out: &mut String, s: &Stmt, ind: usize) {
        // Flatten the wrapper blocks alias expansion produces.
        if let StmtKind::Block(b) = &s.kind {
            for s in &b.stmts {
                self.stmt(out, s, ind);
            }
            return;
        }
        Self::indent(out, ind);
        self.stmt_inline(out, s, ind);
        out.push('\n');
    }

    fn body(&self, out: &mut String, s: &Stmt, ind: usize) {
        match &s.kind {
            StmtKind::Block(b) => self.block(out, b, ind),
            _ => {
                out.push_str("{\n");
                self.stmt(out, s, ind + 1);
                Self::indent(out, ind);
                out.push('}');
            }
        }
    }

    fn stmt_inline(&self, out: &mut String, s: &Stmt, ind: usize) {
        match &s.kind {
            StmtKind::Block(b) => self.block(out, b, ind),
            StmtKind::Expr(e) => out.push_str(&self.expr(e)),
            StmtKind::If { cond, then, els } => {
                let _ = write!(out, "if ({}) ", self.expr(cond));
                self.body(out, then, ind);
                if let Some(e) = els {
                    out.push_str(" else ");
                    self.body(out, e, ind);
                }
            }
            StmtKind::While { cond, body } => {
                let _ = write!(out, "while ({}) ", self.expr(cond));
                self.body(out, body, ind);
            }
            StmtKind::For {
                init,
                cond,
                step,
                body,
            } => {
                let o = |e: &Option<Expr>| e.as_ref().map(|e| self.expr(e)).unwrap_or_default();
                let _ = write!(out, "for ({}; {}; {}) ", o(init), o(cond), o(step));
                self.body(out, body, ind);
            }
            StmtKind::Foreach(f) => {
                let keys: Vec<String> = f.keys.iter().map(|k| self.local(*k)).collect();
                let v = f
                    .value
                    .map(|v| format!("{} = ", self.local(v)))
                    .unwrap_or_default();
                let _ = write!(
                    out,
                    "foreach ({}[{}] in {}",
                    v,
                    keys.join(", "),
                    self.global(f.array)
                );
                if let Some(l) = &f.limit {
                    let _ = write!(out, " limit {}", self.expr(l));
                }
                out.push_str(") ");
                self.body(out, &f.body, ind);
            }
            StmtKind::Delete(t) => {
                let _ = write!(
                    out,
                    "delete {}",
                    match t {
                        DeleteTarget::Global(g) => self.global(*g),
                        DeleteTarget::Local(l) => self.local(*l),
                        DeleteTarget::Element { array, keys } => format!(
                            "{}[{}]",
                            self.global(*array),
                            keys.iter()
                                .map(|k| k.as_ref().map(|k| self.expr(k)).unwrap_or("*".into()))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    }
                );
            }
            StmtKind::Next => out.push_str("next"),
            StmtKind::Break => out.push_str("break"),
            StmtKind::Continue => out.push_str("continue"),
            StmtKind::Return(e) => {
                out.push_str("return");
                if let Some(e) = e {
                    let _ = write!(out, " {}", self.expr(e));
                }
            }
            StmtKind::Try {
                body,
                catch_var,
                handler,
            } => {
                out.push_str("try ");
                self.block(out, body, ind);
                out.push_str(" catch");
                if let Some(v) = catch_var {
                    let _ = write!(out, "({})", self.local(*v));
                }
                out.push(' ');
                self.block(out, handler, ind);
            }
        }
    }

    fn local(&self, l: LocalId) -> String {
        self.locals
            .get(l.0 as usize)
            .map(|l| l.name.clone())
            .unwrap_or_else(|| format!("local{}", l.0))
    }

    fn global(&self, g: GlobalId) -> String {
        self.p
            .globals
            .get(g.0 as usize)
            .map(|g| g.name.clone())
            .unwrap_or_else(|| format!("global{}", g.0))
    }

    fn lvalue(&self, l: &LValue) -> String {
        match l {
            LValue::Local(x) => self.local(*x),
            LValue::Global(g) => self.global(*g),
            LValue::Element { array, keys } => {
                format!(
                    "{}[{}]",
                    self.global(*array),
                    keys.iter()
                        .map(|k| self.expr(k))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
            LValue::Target(t) => self.target(t),
        }
    }

    fn target(&self, t: &TargetExpr) -> String {
        let mut s = match &t.base {
            TargetBase::Param(i) => format!("$arg{}", i + 1),
            TargetBase::Return => "$return".into(),
            TargetBase::TracepointArg(i) => format!("$arg{}", i + 1),
            TargetBase::Address(e) => format!("@cast({})", self.expr(e)),
        };
        for st in &t.path {
            match st {
                TargetStep::Deref { offset } => {
                    let _ = write!(s, "->+{offset}");
                }
                TargetStep::Offset { offset } => {
                    let _ = write!(s, ".+{offset}");
                }
                TargetStep::Index { index, .. } => {
                    let _ = write!(s, "[{}]", self.expr(index));
                }
                TargetStep::Bits { shift, bits } => {
                    let _ = write!(s, ":{shift}:{bits}");
                }
            }
        }
        let _ = write!(s, ":({})", t.ty.spelling);
        s
    }

    fn expr(&self, e: &Expr) -> String {
        let p = |x: &Expr| {
            let s = self.expr(x);
            if matches!(
                x.kind,
                ExprKind::Binary { .. }
                    | ExprKind::Compare { .. }
                    | ExprKind::Logical { .. }
                    | ExprKind::Concat { .. }
                    | ExprKind::Ternary { .. }
                    | ExprKind::Assign { .. }
            ) {
                format!("({s})")
            } else {
                s
            }
        };
        match &e.kind {
            ExprKind::Literal(Literal::Long(n)) => n.to_string(),
            ExprKind::Literal(Literal::Str(s)) => quote(s),
            ExprKind::Local(l) => self.local(*l),
            ExprKind::Global(g) => self.global(*g),
            ExprKind::Element { array, keys } => {
                format!(
                    "{}[{}]",
                    self.global(*array),
                    keys.iter()
                        .map(|k| self.expr(k))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
            ExprKind::In { array, keys } => format!(
                "[{}] in {}",
                keys.iter()
                    .map(|k| k.as_ref().map(|k| self.expr(k)).unwrap_or("*".into()))
                    .collect::<Vec<_>>()
                    .join(", "),
                self.global(*array)
            ),
            ExprKind::Binary { op, lhs, rhs } => format!("{} {} {}", p(lhs), binop(*op), p(rhs)),
            ExprKind::Compare { op, lhs, rhs } => {
                let o = match op {
                    CmpOp::Lt => "<",
                    CmpOp::Le => "<=",
                    CmpOp::Gt => ">",
                    CmpOp::Ge => ">=",
                    CmpOp::Eq => "==",
                    CmpOp::Ne => "!=",
                };
                format!("{} {o} {}", p(lhs), p(rhs))
            }
            ExprKind::Logical { and, lhs, rhs } => {
                format!("{} {} {}", p(lhs), if *and { "&&" } else { "||" }, p(rhs))
            }
            ExprKind::Unary { op, operand } => {
                let o = match op {
                    UnOp::Neg => "-",
                    UnOp::Not => "!",
                    UnOp::BitNot => "~",
                    UnOp::Plus => "+",
                };
                format!("{o}{}", p(operand))
            }
            ExprKind::Concat { lhs, rhs } => format!("{} . {}", p(lhs), p(rhs)),
            ExprKind::Regex {
                subject,
                regex,
                negate,
            } => {
                format!(
                    "{} {} {}",
                    p(subject),
                    if *negate { "!~" } else { "=~" },
                    quote(regex)
                )
            }
            ExprKind::Ternary { cond, then, els } => {
                format!("{} ? {} : {}", p(cond), p(then), p(els))
            }
            ExprKind::Assign { target, op, value } => {
                let o = match op {
                    AssignOp::Set => "=".to_string(),
                    AssignOp::Concat => ".=".to_string(),
                    AssignOp::Bin(b) => format!("{}=", binop(*b)),
                };
                format!("{} {o} {}", self.lvalue(target), p(value))
            }
            ExprKind::IncDec {
                target,
                increment,
                prefix,
            } => {
                let o = if *increment { "++" } else { "--" };
                if *prefix {
                    format!("{o}{}", self.lvalue(target))
                } else {
                    format!("{}{o}", self.lvalue(target))
                }
            }
            ExprKind::Aggregate { target, value } => {
                format!("{} <<< {}", self.lvalue(target), p(value))
            }
            ExprKind::StatQuery { op, of } => {
                let o = match op {
                    StatOp::Count => "count".to_string(),
                    StatOp::Sum => "sum".to_string(),
                    StatOp::Min => "min".to_string(),
                    StatOp::Max => "max".to_string(),
                    StatOp::Avg => "avg".to_string(),
                    StatOp::Variance(_) => "variance".to_string(),
                };
                format!("@{o}({})", self.lvalue(of))
            }
            ExprKind::Hist { kind, of } => hist(kind, &self.lvalue(of)),
            ExprKind::HistBucket { kind, of, bucket } => {
                format!("{}[{}]", hist(kind, &self.lvalue(of)), self.expr(bucket))
            }
            ExprKind::EmbeddedC { code } => format!("%{{{code}%}}"),
            ExprKind::Call { func, args } => format!(
                "{}({})",
                self.p
                    .functions
                    .get(func.0 as usize)
                    .map(|f| f.name.as_str())
                    .unwrap_or("?"),
                args.iter()
                    .map(|a| self.expr(a))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            ExprKind::Print { kind, format, args } => {
                let s = if *kind == PrintKind::Sprint { "s" } else { "" };
                let mut all: Vec<String> = Vec::new();
                let name = match format {
                    PrintFormat::Format(pieces) => {
                        all.push(quote(&format_text(pieces)));
                        "printf"
                    }
                    PrintFormat::Plain { newline } => {
                        if *newline {
                            "println"
                        } else {
                            "print"
                        }
                    }
                    PrintFormat::Delimited { delim, newline } => {
                        all.push(quote(delim));
                        if *newline {
                            "printdln"
                        } else {
                            "printd"
                        }
                    }
                };
                all.extend(args.iter().map(|a| self.expr(a)));
                format!("{s}{name}({})", all.join(", "))
            }
            ExprKind::Target(t) => self.target(t),
            ExprKind::Entry(x) => format!("@entry({})", self.expr(x)),
        }
    }
}

fn hist(kind: &HistKind, of: &str) -> String {
    match kind {
        HistKind::Log => format!("@hist_log({of})"),
        HistKind::Linear { low, high, width } => {
            format!("@hist_linear({of}, {low}, {high}, {width})")
        }
    }
}

fn binop(b: BinOp) -> &'static str {
    match b {
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

/// A parsed format back to its text.
pub fn format_text(pieces: &[FormatPiece]) -> String {
    let mut s = String::new();
    for p in pieces {
        match p {
            FormatPiece::Text(t) => s.push_str(&t.replace('%', "%%")),
            FormatPiece::Conv(c) => {
                s.push('%');
                s.push_str(&c.flags);
                match c.width {
                    Some(-1) => s.push('*'),
                    Some(n) => s.push_str(&n.to_string()),
                    None => {}
                }
                match c.precision {
                    Some(-1) => s.push_str(".*"),
                    Some(n) => s.push_str(&format!(".{n}")),
                    None => {}
                }
                s.push(c.conv);
            }
        }
    }
    s
}
