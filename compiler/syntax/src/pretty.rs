//! The canonical printer (`-p1` output): one declaration per paragraph,
//! two-space indentation, every simple statement ended by `;`, comments
//! dropped. The output re-parses to the same structure and printing is
//! idempotent: `pretty(parse(pretty(x))) == pretty(x)`.
//!
//! Constructs the printer does not restructure (conditionals, macro
//! definitions and invocations, unparsed token runs, error nodes) are
//! printed as their source text, which keeps the output faithful.

use crate::ast::{self, AstNode, Expr, Item, Stmt};
use crate::syntax_kind::SyntaxKind::*;
use crate::SyntaxNode;

/// Print a parsed file canonically.
pub fn pretty(file: &ast::SourceFile) -> String {
    let mut p = Printer {
        out: String::new(),
        indent: 0,
    };
    for el in file.syntax().children() {
        match Item::cast(el.clone()) {
            // An item that does not parse cleanly on its own is printed as
            // its tokens: restructuring broken code could change it.
            Some(item) if crate::parse(&el.text().to_string()).errors().is_empty() => p.item(&item),
            Some(_) => p.verbatim_line(&el),
            None => {
                // ERROR nodes at the top level: keep the text.
                p.verbatim_line(&el);
            }
        }
    }
    p.out
}

/// A probe point as stap prints it, e.g. `kernel.function("f").return?`.
pub fn probe_point_text(pp: &ast::ProbePoint) -> String {
    let mut p = Printer {
        out: String::new(),
        indent: 0,
    };
    p.probe_point(pp);
    p.out
}

struct Printer {
    out: String,
    indent: usize,
}

/// Significant-token text of a node with single spaces where the source
/// had trivia (comments dropped, line comments turned into newlines so
/// the result still lexes the same way).
fn compact(n: &SyntaxNode) -> String {
    let mut s = String::new();
    let mut pending_space = false;
    let mut pending_newline = false;
    for t in n.descendants_with_tokens().filter_map(|e| e.into_token()) {
        match t.kind() {
            WHITESPACE => {
                if t.text().contains('\n') {
                    pending_newline = true;
                } else {
                    pending_space = true;
                }
            }
            COMMENT => {
                if t.text().starts_with('#') || t.text().starts_with("//") {
                    pending_newline = true;
                } else {
                    pending_space = true;
                }
            }
            _ => {
                if !s.is_empty() {
                    if pending_newline {
                        s.push('\n');
                    } else if pending_space {
                        s.push(' ');
                    }
                }
                pending_space = false;
                pending_newline = false;
                s.push_str(t.text());
            }
        }
    }
    s
}

impl Printer {
    fn nl(&mut self) {
        self.out.push('\n');
        for _ in 0..self.indent {
            self.out.push_str("  ");
        }
    }
    fn line_start(&mut self) {
        for _ in 0..self.indent {
            self.out.push_str("  ");
        }
    }
    fn verbatim_line(&mut self, n: &SyntaxNode) {
        // An unterminated token may end with a newline: trim so that
        // printing twice gives the same text.
        let text = compact(n).trim_end().to_string();
        if text.is_empty() {
            return;
        }
        self.line_start();
        self.push_multiline(&text);
        self.out.push('\n');
    }
    /// Pushes text whose continuation lines get the current indentation.
    fn push_multiline(&mut self, text: &str) {
        for (i, line) in text.split('\n').enumerate() {
            if i > 0 {
                self.nl();
            }
            self.out.push_str(line);
        }
    }

    fn item(&mut self, item: &Item) {
        match item {
            Item::Probe(p) => {
                self.line_start();
                self.out.push_str("probe ");
                if let Some(l) = p.point_list() {
                    self.point_list(&l);
                }
                self.out.push(' ');
                self.block_opt(p.body());
                self.out.push('\n');
            }
            Item::Alias(a) => {
                self.line_start();
                self.out.push_str("probe ");
                let op = if a.is_epilogue() { " += " } else { " = " };
                for name in a.alias_names() {
                    self.probe_point(&name);
                    self.out.push_str(op);
                }
                if let Some(l) = a.point_list() {
                    self.point_list(&l);
                }
                self.out.push(' ');
                self.block_opt(a.body());
                if let Some(e) = a.epilogue_body() {
                    self.out.push_str(", ");
                    self.block(&e);
                }
                self.out.push('\n');
            }
            Item::Function(f) => {
                self.line_start();
                if f.is_private() {
                    self.out.push_str("private ");
                }
                self.out.push_str("function ");
                self.out.push_str(&f.name_text().unwrap_or_default());
                if let Some(t) = f.ret_type() {
                    self.out.push(':');
                    self.out.push_str(ty(t));
                }
                self.out.push_str(" (");
                if let Some(l) = f.param_list() {
                    let entries: Vec<String> = l
                        .entries()
                        .iter()
                        .map(|e| match e {
                            ast::ParamEntry::Param(p) => param_text(p),
                            ast::ParamEntry::Cond(c) => compact(c.syntax()),
                        })
                        .collect();
                    self.out.push_str(&entries.join(", "));
                }
                self.out.push(')');
                if let Some(pr) = f
                    .syntax()
                    .children()
                    .find(|n| n.kind() == FUNCTION_PRIORITY)
                {
                    self.out.push(' ');
                    self.out.push_str(&compact(&pr));
                }
                self.out.push(' ');
                if let Some(code) = f.embedded_code() {
                    self.push_multiline(code.text());
                } else {
                    self.block_opt(f.body());
                }
                self.out.push('\n');
            }
            Item::Global(g) => {
                self.line_start();
                if g.is_private() {
                    self.out.push_str("private ");
                }
                self.out.push_str("global ");
                let mut parts = Vec::new();
                for c in g.syntax().children() {
                    match c.kind() {
                        GLOBAL_VAR => {
                            parts.push(global_var_text(&ast::GlobalVar::cast(c).unwrap()))
                        }
                        PP_COND => parts.push(compact(&c)),
                        _ => {}
                    }
                }
                self.push_multiline(&parts.join(", "));
                self.out.push('\n');
            }
            Item::Embedded(e) => {
                self.line_start();
                if let Some(code) = e.code() {
                    self.push_multiline(code.text());
                }
                self.out.push('\n');
            }
            Item::MacroDef(_) | Item::Soup(_) | Item::Cond(_) => self.verbatim_line(item.syntax()),
        }
    }

    fn point_list(&mut self, l: &ast::ProbePointList) {
        let mut first = true;
        for e in l.entries() {
            if !first {
                self.out.push_str(", ");
            }
            first = false;
            match e {
                ast::PointEntry::Point(p) => self.probe_point(&p),
                ast::PointEntry::Cond(c) => self.out.push_str(&compact(c.syntax())),
            }
        }
    }

    fn probe_point(&mut self, pp: &ast::ProbePoint) {
        let mut first = true;
        for c in pp.components() {
            if !first {
                self.out.push('.');
            }
            first = false;
            self.component(&c);
        }
        if pp.is_sufficient() {
            self.out.push('!');
        } else if pp.is_optional() {
            self.out.push('?');
        }
        if let Some(cond) = pp.syntax().children().find(|n| n.kind() == PROBE_COND) {
            self.out.push_str(" if (");
            if let Some(e) = cond.children().find_map(Expr::cast) {
                self.expr(&e);
            }
            self.out.push(')');
        }
    }

    fn component(&mut self, c: &ast::Component) {
        for n in c.syntax().children() {
            match n.kind() {
                COMPONENT_NAME => self.out.push_str(&compact(&n).replace(' ', "")),
                COMPONENT_ARG => match n.children().find_map(Expr::cast) {
                    Some(e) => {
                        self.out.push('(');
                        self.expr(&e);
                        self.out.push(')');
                    }
                    None => self.out.push_str(&compact(&n)),
                },
                BRACE_EXPANSION => {
                    self.out.push('{');
                    if let Some(l) = ast::BraceExpansion::cast(n.clone()).and_then(|b| b.list()) {
                        self.point_list(&l);
                    }
                    self.out.push('}');
                }
                _ => self.out.push_str(&compact(&n)),
            }
        }
    }

    fn block_opt(&mut self, b: Option<ast::Block>) {
        match b {
            Some(b) => self.block(&b),
            None => self.out.push_str("{\n}"),
        }
    }

    fn block(&mut self, b: &ast::Block) {
        self.out.push('{');
        self.indent += 1;
        for c in b.syntax().children() {
            self.nl();
            match Stmt::cast(c.clone()) {
                Some(s) => self.stmt(&s),
                None => self.push_multiline(&compact(&c)),
            }
        }
        self.indent -= 1;
        self.nl();
        self.out.push('}');
    }

    /// A statement in a nested position (after `if (..)`, `else`, ...).
    fn sub_stmt(&mut self, s: Option<Stmt>) {
        match s {
            Some(Stmt::Block(b)) => {
                self.out.push(' ');
                self.block(&b);
            }
            Some(s) => {
                self.indent += 1;
                self.nl();
                self.stmt(&s);
                self.indent -= 1;
            }
            None => self.out.push_str(" ;"),
        }
    }

    fn stmt(&mut self, s: &Stmt) {
        match s {
            Stmt::Block(b) => self.block(b),
            Stmt::Empty(_) => self.out.push(';'),
            Stmt::Expr(e) => {
                if let Some(x) = e.expr() {
                    self.expr(&x);
                }
                self.out.push(';');
            }
            Stmt::If(i) => {
                self.out.push_str("if (");
                self.expr_opt(i.condition());
                self.out.push(')');
                self.sub_stmt(i.then_branch());
                if i.syntax().children().any(|n| n.kind() == ELSE_CLAUSE) {
                    self.nl();
                    self.out.push_str("else");
                    self.sub_stmt(i.else_branch());
                }
            }
            Stmt::For(f) => {
                self.out.push_str("for (");
                self.expr_opt(f.init());
                self.out.push_str("; ");
                self.expr_opt(f.cond());
                self.out.push_str("; ");
                self.expr_opt(f.step());
                self.out.push(')');
                self.sub_stmt(f.body());
            }
            Stmt::While(w) => {
                self.out.push_str("while (");
                self.expr_opt(w.condition());
                self.out.push(')');
                self.sub_stmt(w.body());
            }
            Stmt::Foreach(f) => {
                self.out.push_str("foreach (");
                let n = f.syntax().clone();
                for c in n.children() {
                    match c.kind() {
                        FOREACH_VALUE => {
                            self.out.push_str(&compact(&c));
                            self.out.push(' ');
                        }
                        FOREACH_KEYS => {
                            self.out.push_str(&compact(&c).replace(" ,", ","));
                            self.out.push_str(" in ");
                        }
                        FOREACH_SORT => self.out.push_str(&compact(&c).replace(' ', "")),
                        FOREACH_LIMIT => {
                            self.out.push_str(" limit ");
                            if let Some(e) = c.children().find_map(Expr::cast) {
                                self.expr(&e);
                            }
                        }
                        _ => {
                            if let Some(e) = Expr::cast(c.clone()) {
                                self.expr(&e);
                            }
                        }
                    }
                }
                self.out.push(')');
                self.sub_stmt(f.body());
            }
            Stmt::Try(t) => {
                self.out.push_str("try ");
                self.block_opt(t.body());
                self.out.push_str(" catch");
                if let Some(v) = t.catch_var() {
                    self.out.push_str(" (");
                    self.out.push_str(&v.text_str());
                    self.out.push(')');
                }
                self.out.push(' ');
                self.block_opt(t.catch_body());
            }
            Stmt::Delete(d) => {
                self.out.push_str("delete ");
                self.expr_opt(d.expr());
                self.out.push(';');
            }
            Stmt::Next(_) => self.out.push_str("next;"),
            Stmt::Break(_) => self.out.push_str("break;"),
            Stmt::Continue(_) => self.out.push_str("continue;"),
            Stmt::Return(r) => {
                self.out.push_str("return");
                if let Some(e) = r.expr() {
                    self.out.push(' ');
                    self.expr(&e);
                }
                self.out.push(';');
            }
            Stmt::Cond(c) => self.push_multiline(&compact(c.syntax())),
            Stmt::MacroDef(m) => self.push_multiline(&compact(m.syntax())),
        }
    }

    fn expr_opt(&mut self, e: Option<Expr>) {
        if let Some(e) = e {
            self.expr(&e);
        }
    }

    fn expr(&mut self, e: &Expr) {
        let s = expr_text(e);
        self.push_multiline(&s);
    }
}

fn ty(t: ast::Type) -> &'static str {
    match t {
        ast::Type::Long => "long",
        ast::Type::String => "string",
    }
}

fn param_text(p: &ast::Param) -> String {
    let mut s = p.name_text().unwrap_or_default();
    if let Some(t) = p.ty() {
        s.push(':');
        s.push_str(ty(t));
    }
    s
}

fn global_var_text(g: &ast::GlobalVar) -> String {
    let mut s = g.name_text().unwrap_or_default();
    if g.wraps() {
        s.push('%');
    }
    if let Some(a) = g.syntax().children().find(|n| n.kind() == ARRAY_SIZE) {
        s.push_str(&compact(&a).replace(' ', ""));
    }
    if let Some(i) = g.syntax().children().find(|n| n.kind() == GLOBAL_INIT) {
        s.push_str(" = ");
        if let Some(l) = i.children().find(|n| n.kind() == LITERAL) {
            s.push_str(&compact(&l));
        }
    }
    s
}

fn list(exprs: &[Expr]) -> String {
    exprs.iter().map(expr_text).collect::<Vec<_>>().join(", ")
}

fn opt_list(exprs: &[Option<Expr>]) -> String {
    exprs
        .iter()
        .map(|e| e.as_ref().map(expr_text).unwrap_or_else(|| "*".into()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An expression's canonical text.
pub fn expr_text(e: &Expr) -> String {
    match e {
        Expr::Literal(_)
        | Expr::NameRef(_)
        | Expr::TargetVar(_)
        | Expr::CmdlineArg(_)
        | Expr::Embedded(_)
        | Expr::Wildcard(_) => compact(e.syntax()),
        Expr::MacroCall(_) | Expr::Cond(_) | Expr::Soup(_) => compact(e.syntax()),
        Expr::Paren(p) => format!("({})", p.expr().map(|x| expr_text(&x)).unwrap_or_default()),
        Expr::Call(c) => format!("{}({})", c.name(), list(&c.args())),
        Expr::At(a) => format!("{}({})", a.op(), list(&a.args())),
        Expr::Index(i) => format!(
            "{}[{}]",
            i.base().map(|b| expr_text(&b)).unwrap_or_default(),
            opt_list(&i.indexes())
        ),
        Expr::Member(m) => format!(
            "{}->{}",
            m.base().map(|b| expr_text(&b)).unwrap_or_default(),
            m.member().unwrap_or_default()
        ),
        Expr::Pretty(p) => format!(
            "{} {}",
            p.base().map(|b| expr_text(&b)).unwrap_or_default(),
            p.suffix()
        ),
        Expr::Prefix(p) => {
            let op = p.op().and_then(|k| k.text()).unwrap_or("");
            let operand = p.operand().map(|o| expr_text(&o)).unwrap_or_default();
            // `- -a` must not become `--a`.
            // `- -a` must not become `--a`, nor `! ~a` become `!~a`.
            let sep = match (op.chars().last(), operand.chars().next()) {
                (Some('+'), Some('+' | '='))
                | (Some('-'), Some('-' | '=' | '>'))
                | (Some('&'), Some('&' | '='))
                | (Some('!'), Some('~' | '=')) => " ",
                _ => "",
            };
            format!("{op}{sep}{operand}")
        }
        Expr::Postfix(p) => format!(
            "{}{}",
            p.operand().map(|o| expr_text(&o)).unwrap_or_default(),
            p.op().and_then(|k| k.text()).unwrap_or("")
        ),
        Expr::Bin(b) => format!(
            "{} {} {}",
            b.lhs().map(|x| expr_text(&x)).unwrap_or_default(),
            b.op_text(),
            b.rhs().map(|x| expr_text(&x)).unwrap_or_default()
        ),
        Expr::Assign(a) => format!(
            "{} {} {}",
            a.lhs().map(|x| expr_text(&x)).unwrap_or_default(),
            a.op().and_then(|k| k.text()).unwrap_or("="),
            a.rhs().map(|x| expr_text(&x)).unwrap_or_default()
        ),
        Expr::Ternary(t) => format!(
            "{} ? {} : {}",
            t.cond().map(|x| expr_text(&x)).unwrap_or_default(),
            t.then_expr().map(|x| expr_text(&x)).unwrap_or_default(),
            t.else_expr().map(|x| expr_text(&x)).unwrap_or_default()
        ),
        Expr::In(i) => {
            let keys = match i.syntax().children().find_map(Expr::cast) {
                Some(Expr::Tuple(t)) => format!("[{}]", opt_list(&t.elements())),
                Some(k) => expr_text(&k),
                None => String::new(),
            };
            format!(
                "{} in {}",
                keys,
                i.array().map(|x| expr_text(&x)).unwrap_or_default()
            )
        }
        Expr::Tuple(t) => format!("[{}]", opt_list(&t.elements())),
    }
}
