//! Lowering of the rowan tree of one file into the db's [`crate::hir`], choosing
//! the live arm of every `%( %)` conditional for the given fact values.
//!
//! This is the only module that knows the tree's shape (node kinds from
//! `syntax::SyntaxKind`); it works on `SyntaxNode`s built on the fly from a
//! stored `GreenNode` and never stores them. Malformed subtrees (the parser
//! already reported them) lower to nothing or to an `Unsupported` node, so
//! lowering never panics.

use std::collections::BTreeMap;

use diag::{Diagnostic, FileId, Span};
use syntax::{SyntaxKind as K, SyntaxNode, SyntaxToken};

use crate::hir::*;

/// The `systemtap_v` xstap claims to implement.
pub const SYSTEMTAP_V: &str = "5.1";

/// The target facts a file's conditionals test, and the command-line
/// arguments (`$1`, `@2`, ...) it uses anywhere: both select what the file
/// lowers to.
pub fn mentioned_facts(green: &rowan::GreenNode) -> Vec<String> {
    let root = SyntaxNode::new_root(green.clone());
    let mut out = std::collections::BTreeSet::new();
    for n in root.descendants() {
        if n.kind() == K::PP_CONDITION {
            use syntax::ast::AstNode;
            if let Some(c) =
                syntax::ast::PpCondition::cast(n.clone()).and_then(|c| c.to_condition())
            {
                out.extend(c.facts_read());
            }
        }
    }
    for t in root
        .descendants_with_tokens()
        .filter_map(|e| e.into_token())
    {
        if t.kind() == K::CMDLINE_ARG {
            out.insert(t.text().to_string());
        }
    }
    out.into_iter().collect()
}

/// The fact values of one preprocess key, as syntax's evaluator wants them.
struct FactsView<'a>(&'a BTreeMap<String, String>);

impl syntax::preprocess::TargetFacts for FactsView<'_> {
    fn kernel_v(&self) -> &str {
        self.0.get("kernel_v").map(String::as_str).unwrap_or("")
    }
    fn kernel_vr(&self) -> &str {
        self.0.get("kernel_vr").map(String::as_str).unwrap_or("")
    }
    fn arch(&self) -> &str {
        self.0.get("arch").map(String::as_str).unwrap_or("")
    }
    fn privilege(&self) -> &str {
        self.0
            .get("systemtap_privilege")
            .map(String::as_str)
            .unwrap_or("stapdev")
    }
    fn guru_mode(&self) -> bool {
        self.0.get("guru_mode").is_some_and(|v| v == "1")
    }
    fn systemtap_v(&self) -> &str {
        self.0
            .get("systemtap_v")
            .map(String::as_str)
            .unwrap_or(SYSTEMTAP_V)
    }
    fn config(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
    fn arg_count(&self) -> usize {
        self.0.get("$#").and_then(|v| v.parse().ok()).unwrap_or(0)
    }
}

struct Lower<'a> {
    file: FileId,
    sites: &'a [syntax::preprocess::ExpansionSite],
    facts: &'a BTreeMap<String, String>,
    diags: Vec<Diagnostic>,
    tapset: bool,
}

/// Lower one file for the given fact values.
pub fn lower_file(
    file: FileId,
    green: &rowan::GreenNode,
    sites: &[syntax::preprocess::ExpansionSite],
    facts: &BTreeMap<String, String>,
    tapset: bool,
) -> FileItems {
    let root = SyntaxNode::new_root(green.clone());
    let mut l = Lower {
        file,
        sites,
        facts,
        diags: Vec::new(),
        tapset,
    };
    let mut items = Vec::new();
    l.items(&root, &mut items);
    FileItems {
        items,
        diags: l.diags,
    }
}

/// Lower a file whose tree holds token soups (conditionals or macro uses
/// that only parse once resolved): choose its live arms for `facts` at the
/// token level (offsets kept), parse the result and lower that. The
/// resolution's and the new parse's errors are the file's diagnostics
/// (with `FileId(0)` spans inside: the caller remaps them).
pub fn lower_resolved(
    file: FileId,
    text: &str,
    sites: &[syntax::preprocess::ExpansionSite],
    facts: &BTreeMap<String, String>,
    tapset: bool,
) -> FileItems {
    let r = syntax::preprocess::resolve(text, &FactsView(facts));
    let p = syntax::parse(&r.text);
    let mut items = lower_file(file, p.green(), sites, facts, tapset);
    let mut extra: Vec<Diagnostic> = r
        .errors
        .into_iter()
        .chain(p.errors().iter().cloned())
        .collect();
    for d in &mut extra {
        map_diag(d, sites);
    }
    items.diags.extend(extra);
    items
}

/// Parse `probe POINT {}` and return its point (for `-l`/`-L`).
pub fn parse_point_text(text: &str) -> Result<PointSpec, Vec<Diagnostic>> {
    let p = syntax::parse(text);
    let errs: Vec<Diagnostic> = p
        .errors()
        .iter()
        .filter(|d| d.is_error())
        .cloned()
        .collect();
    if !errs.is_empty() {
        return Err(errs);
    }
    let facts = BTreeMap::new();
    let items = lower_file(FileId(u32::MAX), p.green(), &[], &facts, false);
    for it in items.items {
        if let Item::Probe(pr) = it {
            if let Some(pt) = pr.points.into_iter().next() {
                return Ok(pt);
            }
        }
    }
    Err(vec![Diagnostic::error(
        "E0402",
        format!("`{text}` is not a probe point"),
    )
    .with_help(
        "write a probe point such as kernel.function(\"vfs_*\")",
    )])
}

/// Map an offset of macro-expanded text back to the original text.
pub fn original_offset(sites: &[syntax::preprocess::ExpansionSite], off: u32) -> u32 {
    let mut delta: i64 = 0;
    for s in sites {
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

/// Map a diagnostic's spans from expanded text back to the original.
pub fn map_diag(d: &mut Diagnostic, sites: &[syntax::preprocess::ExpansionSite]) {
    if sites.is_empty() {
        return;
    }
    for l in d.primary.iter_mut().chain(d.secondary.iter_mut()) {
        l.span.start = original_offset(sites, l.span.start);
        l.span.end = original_offset(sites, l.span.end).max(l.span.start);
    }
}

fn tokens(n: &SyntaxNode) -> impl Iterator<Item = SyntaxToken> + '_ {
    n.children_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| !t.kind().is_trivia())
}

fn has_token(n: &SyntaxNode, k: K) -> bool {
    tokens(n).any(|t| t.kind() == k)
}

fn child(n: &SyntaxNode, k: K) -> Option<SyntaxNode> {
    n.children().find(|c| c.kind() == k)
}

fn is_expr_kind(k: K) -> bool {
    matches!(
        k,
        K::LITERAL
            | K::NAME_REF
            | K::TARGET_VAR
            | K::CMDLINE_ARG_EXPR
            | K::EMBEDDED_EXPR
            | K::PAREN_EXPR
            | K::CALL_EXPR
            | K::INDEX_EXPR
            | K::AT_EXPR
            | K::MEMBER_EXPR
            | K::PRETTY_EXPR
            | K::PREFIX_EXPR
            | K::POSTFIX_EXPR
            | K::BIN_EXPR
            | K::ASSIGN_EXPR
            | K::TERNARY_EXPR
            | K::IN_EXPR
            | K::TUPLE
            | K::PP_COND
            | K::MACRO_CALL
    )
}

fn is_stmt_kind(k: K) -> bool {
    matches!(
        k,
        K::BLOCK
            | K::EMPTY_STMT
            | K::EXPR_STMT
            | K::IF_STMT
            | K::FOR_STMT
            | K::WHILE_STMT
            | K::FOREACH_STMT
            | K::TRY_STMT
            | K::DELETE_STMT
            | K::NEXT_STMT
            | K::BREAK_STMT
            | K::CONTINUE_STMT
            | K::RETURN_STMT
            | K::EMBEDDED_STMT
            | K::PP_COND
    )
}

/// Decode a string token's text (with quotes) as stap does.
pub fn unescape(tok: &str) -> String {
    let inner = tok.strip_prefix('"').unwrap_or(tok);
    let inner = inner.strip_suffix('"').unwrap_or(inner);
    let mut out = String::new();
    let mut it = inner.chars().peekable();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('a') => out.push('\x07'),
            Some('b') => out.push('\x08'),
            Some('f') => out.push('\x0c'),
            Some('v') => out.push('\x0b'),
            Some(d @ '0'..='7') => {
                let mut v = d.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    match it.peek().and_then(|c| c.to_digit(8)) {
                        Some(x) => {
                            v = v * 8 + x;
                            it.next();
                        }
                        None => break,
                    }
                }
                out.push(char::from_u32(v).unwrap_or('?'));
            }
            Some(o) => out.push(o),
            None => out.push('\\'),
        }
    }
    out
}

impl Lower<'_> {
    fn span(&self, n: &SyntaxNode) -> Span {
        let r = n.text_range();
        Span::new(
            self.file,
            original_offset(self.sites, r.start().into()),
            original_offset(self.sites, r.end().into()),
        )
    }

    fn tspan(&self, t: &SyntaxToken) -> Span {
        let r = t.text_range();
        Span::new(
            self.file,
            original_offset(self.sites, r.start().into()),
            original_offset(self.sites, r.end().into()),
        )
    }

    // ---- conditionals ----

    /// The live arm of a `PP_COND` node (`None`: no arm is live).
    fn live_arm(&mut self, n: &SyntaxNode) -> Option<SyntaxNode> {
        let cond = child(n, K::PP_CONDITION)?;
        let v = self.eval_condition(&cond);
        let arm = child(n, if v { K::PP_THEN_ARM } else { K::PP_ELSE_ARM })?;
        if let Some(soup) = child(&arm, K::TOKEN_SOUP) {
            self.diags.push(
                Diagnostic::error(
                    "E0211",
                    "the selected arm of this conditional does not parse",
                )
                .with_primary(self.span(&soup), "not valid in this position")
                .with_help("fix the code in the arm the target selects"),
            );
            return None;
        }
        Some(arm)
    }

    fn eval_condition(&mut self, cond: &SyntaxNode) -> bool {
        use syntax::ast::AstNode;
        let Some(c) = syntax::ast::PpCondition::cast(cond.clone()).and_then(|c| c.to_condition())
        else {
            return false;
        };
        match syntax::preprocess::eval_condition(&c, &FactsView(self.facts)) {
            Ok(b) => b,
            Err(mut d) => {
                crate::remap_file(&mut d, self.file);
                self.diags.push(d);
                false
            }
        }
    }

    // ---- items ----

    fn items(&mut self, n: &SyntaxNode, out: &mut Vec<Item>) {
        for c in n.children() {
            match c.kind() {
                K::PROBE_DECL => {
                    if let Some(p) = self.probe(&c) {
                        out.push(Item::Probe(p));
                    }
                }
                K::PROBE_ALIAS_DECL => self.alias(&c, out),
                K::FUNCTION_DECL => {
                    if let Some(f) = self.function(&c) {
                        out.push(Item::Function(f));
                    }
                }
                K::GLOBAL_DECL => {
                    let private = has_token(&c, K::PRIVATE_KW);
                    self.globals(&c, private, out);
                }
                K::EMBEDDED_DECL => {
                    if let Some(t) = tokens(&c).find(|t| t.kind() == K::EMBEDDED_CODE) {
                        out.push(Item::Embedded {
                            code: embedded_body(t.text()),
                            span: self.tspan(&t),
                        });
                    }
                }
                K::PP_COND => {
                    if let Some(arm) = self.live_arm(&c) {
                        self.items(&arm, out);
                    }
                }
                _ => {}
            }
        }
        // A top-level `%{ %}` may also appear as a bare token.
        for t in tokens(n) {
            if t.kind() == K::EMBEDDED_CODE {
                out.push(Item::Embedded {
                    code: embedded_body(t.text()),
                    span: self.tspan(&t),
                });
            }
        }
    }

    fn globals(&mut self, n: &SyntaxNode, private: bool, out: &mut Vec<Item>) {
        for c in n.children() {
            match c.kind() {
                K::GLOBAL_VAR => {
                    let Some(name) = child(&c, K::NAME).and_then(|x| x.first_token()) else {
                        continue;
                    };
                    let size = child(&c, K::ARRAY_SIZE)
                        .and_then(|a| tokens(&a).find(|t| t.kind() == K::NUMBER))
                        .and_then(|t| syntax::parse_number(t.text()));
                    let init = child(&c, K::GLOBAL_INIT)
                        .and_then(|i| child(&i, K::LITERAL))
                        .and_then(|l| self.literal(&l));
                    out.push(Item::Global(GlobalDecl {
                        name: name.text().to_string(),
                        span: self.tspan(&name),
                        init,
                        size,
                        wrap: has_token(&c, K::PERCENT),
                        private,
                    }));
                }
                K::PP_COND => {
                    if let Some(arm) = self.live_arm(&c) {
                        self.globals(&arm, private, out);
                    }
                }
                _ => {}
            }
        }
    }

    fn literal(&mut self, l: &SyntaxNode) -> Option<Lit> {
        let toks: Vec<SyntaxToken> = tokens(l).collect();
        let first = toks.first()?;
        match first.kind() {
            K::STRING => Some(Lit::Str(
                toks.iter()
                    .filter(|t| t.kind() == K::STRING)
                    .map(|t| unescape(t.text()))
                    .collect(),
            )),
            K::MINUS => {
                let n = toks.iter().find(|t| t.kind() == K::NUMBER)?;
                let v = syntax::parse_number(n.text())?;
                Some(Lit::Long((v as i64).wrapping_neg()))
            }
            K::NUMBER => Some(Lit::Long(syntax::parse_number(first.text())? as i64)),
            _ => None,
        }
    }

    fn function(&mut self, n: &SyntaxNode) -> Option<FuncDecl> {
        let name = child(n, K::NAME)?.first_token()?;
        let ret = child(n, K::TYPE_ANNOT).and_then(|t| type_ann(&t));
        let mut params = Vec::new();
        if let Some(pl) = child(n, K::PARAM_LIST) {
            self.params(&pl, &mut params);
        }
        let body = if let Some(code) = tokens(n).find(|t| t.kind() == K::EMBEDDED_CODE) {
            let text = code.text();
            FuncBody::Embedded {
                code: embedded_body(text),
                pure: text.contains("/* pure */"),
            }
        } else {
            FuncBody::Script(self.stmt(&child(n, K::BLOCK)?))
        };
        Some(FuncDecl {
            name: name.text().to_string(),
            span: self.tspan(&name),
            params,
            ret,
            body,
            private: has_token(n, K::PRIVATE_KW),
        })
    }

    fn params(&mut self, pl: &SyntaxNode, out: &mut Vec<(String, Option<TypeAnn>, Span)>) {
        for p in pl.children() {
            match p.kind() {
                K::PARAM => {
                    if let Some(nm) = child(&p, K::NAME).and_then(|x| x.first_token()) {
                        out.push((
                            nm.text().to_string(),
                            child(&p, K::TYPE_ANNOT).and_then(|t| type_ann(&t)),
                            self.tspan(&nm),
                        ));
                    }
                }
                K::PP_COND => {
                    if let Some(arm) = self.live_arm(&p) {
                        self.params(&arm, out);
                    }
                }
                _ => {}
            }
        }
    }

    // ---- probes ----

    fn probe(&mut self, n: &SyntaxNode) -> Option<ProbeDecl> {
        let list = child(n, K::PROBE_POINT_LIST)?;
        let points = self.point_list(&list);
        let body = self.stmt(&child(n, K::BLOCK)?);
        Some(ProbeDecl {
            points,
            body,
            span: self.span(&list),
            private: false,
        })
    }

    fn alias(&mut self, n: &SyntaxNode, out: &mut Vec<Item>) {
        let names: Vec<PointSpec> = n
            .children()
            .filter(|c| c.kind() == K::ALIAS_NAME)
            .flat_map(|c| self.point_list(&c))
            .collect();
        for nm in &names {
            if nm.components.iter().any(|c| c.name.contains('*')) {
                self.diags.push(
                    Diagnostic::error("E0415", format!("probe alias name `{}` contains a wildcard", nm.text()))
                        .with_primary(nm.span, "alias names must be plain")
                        .with_help("name the alias with plain identifiers; wildcards belong in the probes that use it"),
                );
                return;
            }
        }
        let Some(list) = child(n, K::PROBE_POINT_LIST) else {
            return;
        };
        let targets = self.point_list(&list);
        let blocks: Vec<SyntaxNode> = n.children().filter(|c| c.kind() == K::BLOCK).collect();
        let epilogue = has_token(n, K::PLUSEQ);
        let Some(first) = blocks.first() else { return };
        let body = self.stmt(first);
        out.push(Item::Alias(AliasDecl {
            names: names.clone(),
            epilogue,
            targets: targets.clone(),
            body,
            span: self.span(n),
        }));
        if let Some(second) = blocks.get(1) {
            // `probe a = b { prologue } , { epilogue }`.
            let body = self.stmt(second);
            out.push(Item::Alias(AliasDecl {
                names,
                epilogue: true,
                targets,
                body,
                span: self.span(n),
            }));
        }
    }

    fn point_list(&mut self, list: &SyntaxNode) -> Vec<PointSpec> {
        let mut out = Vec::new();
        for c in list.children() {
            match c.kind() {
                K::PROBE_POINT => out.extend(self.point(&c)),
                K::PP_COND => {
                    if let Some(arm) = self.live_arm(&c) {
                        out.extend(self.point_list(&arm));
                    }
                }
                _ => {}
            }
        }
        out
    }

    /// One probe point; brace expansions give several.
    fn point(&mut self, p: &SyntaxNode) -> Vec<PointSpec> {
        let mut alts: Vec<Vec<Component>> = vec![Vec::new()];
        self.components_into(p, &mut alts);
        let optional = has_token(p, K::QUESTION);
        let sufficient = has_token(p, K::BANG);
        let condition = child(p, K::PROBE_COND)
            .and_then(|c| c.children().find(|x| is_expr_kind(x.kind())))
            .map(|e| Box::new(self.expr(&e)));
        let span = self.span(p);
        alts.into_iter()
            .filter(|c| !c.is_empty())
            .map(|components| PointSpec {
                components,
                optional,
                sufficient,
                condition: condition.clone(),
                span,
            })
            .collect()
    }

    fn components_into(&mut self, p: &SyntaxNode, alts: &mut Vec<Vec<Component>>) {
        for c in p.children() {
            match c.kind() {
                K::COMPONENT => self.component(&c, alts),
                K::PP_COND => {
                    if let Some(arm) = self.live_arm(&c) {
                        self.components_into(&arm, alts);
                    }
                }
                _ => {}
            }
        }
    }

    fn component(&mut self, c: &SyntaxNode, alts: &mut Vec<Vec<Component>>) {
        if let Some(name) = child(c, K::COMPONENT_NAME) {
            let arg = child(c, K::COMPONENT_ARG).and_then(|a| {
                if let Some(l) = child(&a, K::LITERAL) {
                    self.literal(&l)
                } else if let Some(x) = child(&a, K::CMDLINE_ARG_EXPR) {
                    self.cmdline(&x)
                } else {
                    None
                }
            });
            let comp = Component {
                name: name.text().to_string(),
                arg,
                span: self.span(c),
            };
            for a in alts.iter_mut() {
                a.push(comp.clone());
            }
        } else if let Some(b) = child(c, K::BRACE_EXPANSION) {
            let inner = child(&b, K::PROBE_POINT_LIST)
                .map(|l| self.point_list(&l))
                .unwrap_or_default();
            let mut next = Vec::new();
            for a in alts.iter() {
                for alt in &inner {
                    let mut v = a.clone();
                    v.extend(alt.components.iter().cloned());
                    next.push(v);
                }
            }
            *alts = next;
        } else if let Some(pc) = child(c, K::PP_COND) {
            if let Some(arm) = self.live_arm(&pc) {
                self.components_into(&arm, alts);
            }
        } else if child(c, K::MACRO_CALL).is_some() {
            self.unsupported_macro(c);
        }
    }

    fn unsupported_macro(&mut self, n: &SyntaxNode) {
        self.diags.push(
            Diagnostic::error(
                "E0599",
                "macro invocations are not supported by xstap's elaboration yet",
            )
            .with_primary(self.span(n), "macro used here")
            .with_help("write the expansion out by hand"),
        );
    }

    fn cmdline(&mut self, n: &SyntaxNode) -> Option<Lit> {
        let t = n.first_token()?;
        let name = t.text();
        if name == "$#" || name == "@#" {
            let count = self.facts.get("$#").cloned().unwrap_or_else(|| "0".into());
            return Some(if name == "@#" {
                Lit::Str(count)
            } else {
                Lit::Long(count.parse().unwrap_or(0))
            });
        }
        let v = self.facts.get(name).cloned().unwrap_or_default();
        let missing = v.is_empty() && !self.facts.contains_key(name);
        if missing || (v.is_empty() && name.starts_with('$')) {
            self.diags.push(
                Diagnostic::error(
                    "E0204",
                    format!("command-line argument `{name}` was not given"),
                )
                .with_primary(self.tspan(&t), "no such argument")
                .with_help("pass the argument after the script (`xstap script.stp ARG1 ARG2`)"),
            );
            return Some(Lit::Long(0));
        }
        if name.starts_with('@') {
            return Some(Lit::Str(v));
        }
        match v
            .parse::<i64>()
            .ok()
            .or_else(|| syntax::parse_number(&v).map(|x| x as i64))
        {
            Some(n) => Some(Lit::Long(n)),
            None => Some(Lit::Str(v)),
        }
    }

    // ---- statements ----

    fn stmt(&mut self, n: &SyntaxNode) -> Stmt {
        let span = self.span(n);
        let kind = match n.kind() {
            K::BLOCK => StmtKind::Block(self.stmts(n)),
            K::EMPTY_STMT => StmtKind::Empty,
            K::EXPR_STMT => match n.children().find(|c| is_expr_kind(c.kind())) {
                Some(e) => StmtKind::Expr(self.expr(&e)),
                None => StmtKind::Empty,
            },
            K::IF_STMT => {
                let cond = n
                    .children()
                    .find(|c| is_expr_kind(c.kind()))
                    .map(|e| self.expr(&e));
                let then = n
                    .children()
                    .find(|c| is_stmt_kind(c.kind()))
                    .map(|s| self.stmt(&s));
                let els = child(n, K::ELSE_CLAUSE)
                    .and_then(|e| e.children().find(|c| is_stmt_kind(c.kind())))
                    .map(|s| Box::new(self.stmt(&s)));
                match (cond, then) {
                    (Some(cond), Some(then)) => StmtKind::If {
                        cond,
                        then: Box::new(then),
                        els,
                    },
                    _ => StmtKind::Empty,
                }
            }
            K::WHILE_STMT => {
                let cond = n
                    .children()
                    .find(|c| is_expr_kind(c.kind()))
                    .map(|e| self.expr(&e));
                let body = n
                    .children()
                    .find(|c| is_stmt_kind(c.kind()))
                    .map(|s| self.stmt(&s));
                match (cond, body) {
                    (Some(cond), Some(body)) => StmtKind::While {
                        cond,
                        body: Box::new(body),
                    },
                    _ => StmtKind::Empty,
                }
            }
            K::FOR_STMT => {
                let part = |l: &mut Self, k: K| {
                    child(n, k)
                        .and_then(|c| c.children().find(|x| is_expr_kind(x.kind())))
                        .map(|e| l.expr(&e))
                };
                let init = part(self, K::FOR_INIT);
                let cond = part(self, K::FOR_COND);
                let step = part(self, K::FOR_STEP);
                match n.children().find(|c| is_stmt_kind(c.kind())) {
                    Some(b) => StmtKind::For {
                        init,
                        cond,
                        step,
                        body: Box::new(self.stmt(&b)),
                    },
                    None => StmtKind::Empty,
                }
            }
            K::FOREACH_STMT => self.foreach(n),
            K::TRY_STMT => {
                let body = child(n, K::BLOCK).map(|b| self.stmt(&b));
                let cc = child(n, K::CATCH_CLAUSE);
                let catch_var = cc
                    .as_ref()
                    .and_then(|c| child(c, K::NAME))
                    .and_then(|x| x.first_token())
                    .map(|t| (t.text().to_string(), self.tspan(&t)));
                let handler = cc
                    .as_ref()
                    .and_then(|c| child(c, K::BLOCK))
                    .map(|b| self.stmt(&b));
                match (body, handler) {
                    (Some(b), Some(h)) => StmtKind::Try {
                        body: Box::new(b),
                        catch_var,
                        handler: Box::new(h),
                    },
                    _ => StmtKind::Empty,
                }
            }
            K::DELETE_STMT => match n.children().find(|c| is_expr_kind(c.kind())) {
                Some(e) => StmtKind::Delete(self.expr(&e)),
                None => StmtKind::Empty,
            },
            K::NEXT_STMT => StmtKind::Next,
            K::BREAK_STMT => StmtKind::Break,
            K::CONTINUE_STMT => StmtKind::Continue,
            K::RETURN_STMT => StmtKind::Return(
                n.children()
                    .find(|c| is_expr_kind(c.kind()))
                    .map(|e| self.expr(&e)),
            ),
            K::PP_COND => match self.live_arm(n) {
                Some(arm) => StmtKind::Block(self.stmts(&arm)),
                None => StmtKind::Empty,
            },
            K::EMBEDDED_STMT => {
                self.diags.push(
                    Diagnostic::error(
                        "E0599",
                        "embedded-C statements are not supported by xstap yet",
                    )
                    .with_primary(span, "here")
                    .with_help("move the C into a function with a %{ %} body"),
                );
                StmtKind::Empty
            }
            _ => StmtKind::Empty,
        };
        Stmt { kind, span }
    }

    fn stmts(&mut self, n: &SyntaxNode) -> Vec<Stmt> {
        n.children()
            .filter(|c| is_stmt_kind(c.kind()))
            .map(|c| self.stmt(&c))
            .collect()
    }

    fn foreach(&mut self, n: &SyntaxNode) -> StmtKind {
        let mut sort: Option<(u32, bool)> = None;
        let sort_of = |x: &SyntaxNode| -> Option<bool> {
            tokens(x).find_map(|t| match t.kind() {
                K::PLUS => Some(false),
                K::MINUS => Some(true),
                _ => None,
            })
        };
        let value = child(n, K::FOREACH_VALUE).and_then(|v| {
            if let Some(d) = sort_of(&v) {
                sort = Some((0, d));
            }
            child(&v, K::NAME)
                .and_then(|x| x.first_token())
                .map(|t| (t.text().to_string(), self.tspan(&t)))
        });
        let mut keys = Vec::new();
        if let Some(ks) = child(n, K::FOREACH_KEYS) {
            for (i, k) in ks
                .children()
                .filter(|c| c.kind() == K::FOREACH_KEY)
                .enumerate()
            {
                if let Some(d) = sort_of(&k) {
                    sort = Some((i as u32 + 1, d));
                }
                if let Some(t) = child(&k, K::NAME).and_then(|x| x.first_token()) {
                    keys.push((t.text().to_string(), self.tspan(&t)));
                }
            }
        }
        let mut sort_agg = None;
        if let Some(s) = child(n, K::FOREACH_SORT) {
            if let Some(d) = sort_of(&s) {
                sort = Some((0, d));
            }
            if let Some(t) = tokens(&s).find(|t| t.kind() == K::AT_IDENT) {
                let op = match t.text() {
                    "@count" => Some(ir::StatOp::Count),
                    "@sum" => Some(ir::StatOp::Sum),
                    "@min" => Some(ir::StatOp::Min),
                    "@max" => Some(ir::StatOp::Max),
                    "@avg" => Some(ir::StatOp::Avg),
                    "@variance" => Some(ir::StatOp::Variance(0)),
                    _ => None,
                };
                sort_agg = op.map(|o| (o, self.tspan(&t)));
            }
        }
        // The array: a NAME_REF, or INDEX_EXPR(NAME_REF, INDEX_LIST) for a slice.
        let mut array = None;
        let mut slice = None;
        let mut hist = None;
        for c in n.children() {
            match c.kind() {
                k if k != K::NAME_REF && k != K::INDEX_EXPR && is_expr_kind(k) => {
                    let e = self.expr(&c);
                    if matches!(e.kind, ExprKind::Hist { bucket: None, .. }) {
                        hist = Some(e);
                    }
                    break;
                }
                K::NAME_REF => {
                    if let Some(t) = c.first_token() {
                        array = Some((t.text().to_string(), self.tspan(&t)));
                    }
                    break;
                }
                K::INDEX_EXPR => {
                    if let Some(t) = child(&c, K::NAME_REF).and_then(|x| x.first_token()) {
                        array = Some((t.text().to_string(), self.tspan(&t)));
                    }
                    slice = child(&c, K::INDEX_LIST).map(|l| self.index_list(&l));
                    break;
                }
                _ => {}
            }
        }
        let limit = child(n, K::FOREACH_LIMIT)
            .and_then(|l| l.children().find(|c| is_expr_kind(c.kind())))
            .map(|e| self.expr(&e));
        let body = n
            .children()
            .filter(|c| is_stmt_kind(c.kind()))
            .last()
            .map(|b| self.stmt(&b));
        if let (Some(h), Some(body), [key]) = (hist, body.clone(), keys.as_slice()) {
            return hist_foreach(key, h, body);
        }
        match (array, body) {
            (Some(array), Some(body)) => StmtKind::Foreach(Box::new(ForeachHir {
                keys,
                value,
                array,
                slice,
                sort,
                sort_agg,
                limit,
                body,
            })),
            _ => StmtKind::Empty,
        }
    }

    fn index_list(&mut self, l: &SyntaxNode) -> Vec<Option<Expr>> {
        l.children()
            .filter(|c| c.kind() == K::WILDCARD || is_expr_kind(c.kind()))
            .map(|c| {
                if c.kind() == K::WILDCARD {
                    None
                } else {
                    Some(self.expr(&c))
                }
            })
            .collect()
    }

    // ---- expressions ----

    fn expr(&mut self, n: &SyntaxNode) -> Expr {
        let span = self.span(n);
        let kind = self.expr_kind(n, span);
        Expr { kind, span }
    }

    fn sub_exprs(&mut self, n: &SyntaxNode) -> Vec<Expr> {
        n.children()
            .filter(|c| is_expr_kind(c.kind()))
            .map(|c| self.expr(&c))
            .collect()
    }

    fn expr_kind(&mut self, n: &SyntaxNode, span: Span) -> ExprKind {
        match n.kind() {
            K::LITERAL => match self.literal(n) {
                Some(l) => ExprKind::Lit(l),
                None => ExprKind::Lit(Lit::Long(0)),
            },
            K::NAME_REF => ExprKind::Name(
                n.first_token()
                    .map(|t| t.text().to_string())
                    .unwrap_or_default(),
            ),
            K::PAREN_EXPR => match n.children().find(|c| is_expr_kind(c.kind())) {
                Some(e) => self.expr(&e).kind,
                None => ExprKind::Lit(Lit::Long(0)),
            },
            K::CMDLINE_ARG_EXPR => ExprKind::Lit(self.cmdline(n).unwrap_or(Lit::Long(0))),
            K::EMBEDDED_EXPR => match tokens(n).find(|t| t.kind() == K::EMBEDDED_CODE) {
                Some(code) => ExprKind::Embedded(embedded_body(code.text())),
                None => ExprKind::Unsupported("an embedded-C expression".into()),
            },
            K::MACRO_CALL => {
                self.unsupported_macro(n);
                ExprKind::Lit(Lit::Long(0))
            }
            K::PP_COND => match self
                .live_arm(n)
                .and_then(|a| a.children().find(|c| is_expr_kind(c.kind())))
            {
                Some(e) => self.expr(&e).kind,
                None => ExprKind::Lit(Lit::Long(0)),
            },
            K::CALL_EXPR => {
                let name_tok = tokens(n).find(|t| t.kind() == K::IDENT);
                let name = name_tok
                    .as_ref()
                    .map(|t| t.text().to_string())
                    .unwrap_or_default();
                let name_span = name_tok.as_ref().map(|t| self.tspan(t)).unwrap_or(span);
                let args = child(n, K::ARG_LIST)
                    .map(|a| self.sub_exprs(&a))
                    .unwrap_or_default();
                if syntax::PRINT_FUNCTIONS.contains(&name.as_str()) {
                    ExprKind::Print { name, args }
                } else {
                    ExprKind::Call {
                        name,
                        name_span,
                        args,
                    }
                }
            }
            K::TARGET_VAR => {
                let t = n
                    .first_token()
                    .map(|t| t.text().to_string())
                    .unwrap_or_default();
                let (base, pretty) = split_pretty(&t[1..]);
                ExprKind::Target(Box::new(TargetHir {
                    base: TargetBaseH::Var(base),
                    path: Vec::new(),
                    pretty,
                    address_of: false,
                }))
            }
            K::MEMBER_EXPR | K::PRETTY_EXPR => self.target_chain(n, span),
            K::INDEX_EXPR => {
                let base = n.children().find(|c| is_expr_kind(c.kind()));
                let list = child(n, K::INDEX_LIST)
                    .map(|l| self.index_list(&l))
                    .unwrap_or_default();
                match base {
                    Some(b) if b.kind() == K::NAME_REF => {
                        let t = b.first_token();
                        ExprKind::Index {
                            array: t.as_ref().map(|t| t.text().to_string()).unwrap_or_default(),
                            array_span: self.span(&b),
                            keys: list,
                        }
                    }
                    Some(b) if b.kind() == K::AT_EXPR && at_name(&b).starts_with("@hist") => {
                        let h = self.expr(&b);
                        match (h.kind, list.into_iter().next().flatten()) {
                            (ExprKind::Hist { kind, of, .. }, Some(k)) => ExprKind::Hist {
                                kind,
                                of,
                                bucket: Some(Box::new(k)),
                            },
                            (k, _) => k,
                        }
                    }
                    Some(_) => self.target_chain(n, span),
                    None => ExprKind::Lit(Lit::Long(0)),
                }
            }
            K::AT_EXPR => self.at_expr(n, span),
            K::PREFIX_EXPR => {
                let op = tokens(n).next().map(|t| t.kind());
                let Some(inner) = n.children().find(|c| is_expr_kind(c.kind())) else {
                    return ExprKind::Lit(Lit::Long(0));
                };
                match op {
                    Some(K::AMP) => {
                        let e = self.expr(&inner);
                        match e.kind {
                            ExprKind::Target(mut t) => {
                                t.address_of = true;
                                ExprKind::Target(t)
                            }
                            _ => ExprKind::Unsupported(
                                "`&` on something that is not a target variable".into(),
                            ),
                        }
                    }
                    Some(K::PLUS2) | Some(K::MINUS2) => ExprKind::IncDec {
                        target: Box::new(self.expr(&inner)),
                        increment: op == Some(K::PLUS2),
                        prefix: true,
                    },
                    Some(K::MINUS) => {
                        let e = self.expr(&inner);
                        // Fold `-NUMBER` so the most negative long is representable.
                        if let ExprKind::Lit(Lit::Long(v)) = e.kind {
                            return ExprKind::Lit(Lit::Long(v.wrapping_neg()));
                        }
                        ExprKind::Unary {
                            op: ir::UnOp::Neg,
                            operand: Box::new(e),
                        }
                    }
                    Some(K::PLUS) => ExprKind::Unary {
                        op: ir::UnOp::Plus,
                        operand: Box::new(self.expr(&inner)),
                    },
                    Some(K::BANG) => ExprKind::Unary {
                        op: ir::UnOp::Not,
                        operand: Box::new(self.expr(&inner)),
                    },
                    Some(K::TILDE) => ExprKind::Unary {
                        op: ir::UnOp::BitNot,
                        operand: Box::new(self.expr(&inner)),
                    },
                    _ => ExprKind::Lit(Lit::Long(0)),
                }
            }
            K::POSTFIX_EXPR => {
                let op = tokens(n).last().map(|t| t.kind());
                match n.children().find(|c| is_expr_kind(c.kind())) {
                    Some(inner) => ExprKind::IncDec {
                        target: Box::new(self.expr(&inner)),
                        increment: op == Some(K::PLUS2),
                        prefix: false,
                    },
                    None => ExprKind::Lit(Lit::Long(0)),
                }
            }
            K::BIN_EXPR => {
                let subs = self.sub_exprs(n);
                let op = tokens(n)
                    .find(|t| binop_of(t.kind()).is_some())
                    .and_then(|t| binop_of(t.kind()));
                let (Some(op), [l, r]) = (op, &subs[..]) else {
                    return ExprKind::Lit(Lit::Long(0));
                };
                ExprKind::Binary {
                    op,
                    lhs: Box::new(l.clone()),
                    rhs: Box::new(r.clone()),
                }
            }
            K::ASSIGN_EXPR => {
                let subs = self.sub_exprs(n);
                let Some(op) = tokens(n).next().map(|t| t.kind()) else {
                    return ExprKind::Lit(Lit::Long(0));
                };
                let [l, r] = &subs[..] else {
                    return ExprKind::Lit(Lit::Long(0));
                };
                let (l, r) = (Box::new(l.clone()), Box::new(r.clone()));
                let aop = match op {
                    K::SHL3 => {
                        return ExprKind::Aggregate {
                            target: l,
                            value: r,
                        }
                    }
                    K::EQ => AssignOpH::Set,
                    K::DOTEQ => AssignOpH::Concat,
                    K::PLUSEQ => AssignOpH::Bin(ir::BinOp::Add),
                    K::MINUSEQ => AssignOpH::Bin(ir::BinOp::Sub),
                    K::STAREQ => AssignOpH::Bin(ir::BinOp::Mul),
                    K::SLASHEQ => AssignOpH::Bin(ir::BinOp::Div),
                    K::PERCENTEQ => AssignOpH::Bin(ir::BinOp::Mod),
                    K::SHLEQ => AssignOpH::Bin(ir::BinOp::Shl),
                    K::SHREQ => AssignOpH::Bin(ir::BinOp::Shr),
                    K::AMPEQ => AssignOpH::Bin(ir::BinOp::BitAnd),
                    K::CARETEQ => AssignOpH::Bin(ir::BinOp::BitXor),
                    K::PIPEEQ => AssignOpH::Bin(ir::BinOp::BitOr),
                    _ => return ExprKind::Lit(Lit::Long(0)),
                };
                ExprKind::Assign {
                    op: aop,
                    target: l,
                    value: r,
                }
            }
            K::TERNARY_EXPR => {
                let subs = self.sub_exprs(n);
                let [c, a, b] = &subs[..] else {
                    return ExprKind::Lit(Lit::Long(0));
                };
                ExprKind::Ternary {
                    cond: Box::new(c.clone()),
                    then: Box::new(a.clone()),
                    els: Box::new(b.clone()),
                }
            }
            K::IN_EXPR => {
                let kids: Vec<SyntaxNode> =
                    n.children().filter(|c| is_expr_kind(c.kind())).collect();
                let (Some(lhs), Some(arr)) = (kids.first(), kids.get(1)) else {
                    return ExprKind::Lit(Lit::Long(0));
                };
                let keys = if lhs.kind() == K::TUPLE {
                    lhs.children()
                        .filter(|c| c.kind() == K::WILDCARD || is_expr_kind(c.kind()))
                        .map(|c| {
                            if c.kind() == K::WILDCARD {
                                None
                            } else {
                                Some(self.expr(&c))
                            }
                        })
                        .collect()
                } else {
                    vec![Some(self.expr(lhs))]
                };
                let array = arr
                    .first_token()
                    .map(|t| t.text().to_string())
                    .unwrap_or_default();
                ExprKind::In {
                    keys,
                    array,
                    array_span: self.span(arr),
                }
            }
            K::TUPLE => ExprKind::Unsupported("a bracketed list outside of `in`".into()),
            _ => ExprKind::Lit(Lit::Long(0)),
        }
    }

    /// `$a->b[i]->c$`, `@cast(...)->f`: collect the chain from the base.
    fn target_chain(&mut self, n: &SyntaxNode, span: Span) -> ExprKind {
        let mut steps_rev: Vec<TargetStepH> = Vec::new();
        let mut pretty: Option<bool> = None;
        let mut cur = n.clone();
        loop {
            match cur.kind() {
                K::MEMBER_EXPR => {
                    let field = tokens(&cur).filter(|t| t.kind() != K::ARROW).last();
                    if let Some(f) = field {
                        let text = f.text().to_string();
                        let (name, p) = split_pretty(&text);
                        if p.is_some() && pretty.is_none() {
                            pretty = p;
                        }
                        if !name.is_empty() {
                            steps_rev.push(TargetStepH::Field(name, self.tspan(&f)));
                        }
                    }
                }
                K::PRETTY_EXPR => {
                    let t = tokens(&cur)
                        .last()
                        .map(|t| t.text().to_string())
                        .unwrap_or_default();
                    pretty = Some(t.len() > 1);
                }
                K::INDEX_EXPR => {
                    let idx = child(&cur, K::INDEX_LIST)
                        .map(|l| self.index_list(&l))
                        .unwrap_or_default();
                    match idx.into_iter().next().flatten() {
                        Some(i) => steps_rev.push(TargetStepH::Index(Box::new(i))),
                        None => return ExprKind::Unsupported("`*` as a target index".into()),
                    }
                }
                _ => break,
            }
            match cur.children().find(|c| is_expr_kind(c.kind())) {
                Some(c) => cur = c,
                None => return ExprKind::Lit(Lit::Long(0)),
            }
        }
        steps_rev.reverse();
        let base = match cur.kind() {
            K::TARGET_VAR => {
                let t = cur
                    .first_token()
                    .map(|t| t.text().to_string())
                    .unwrap_or_default();
                let (b, p) = split_pretty(&t[1..]);
                if p.is_some() {
                    pretty = p;
                }
                TargetBaseH::Var(b)
            }
            K::AT_EXPR => match self.at_expr(&cur, span) {
                ExprKind::Target(t) => t.base,
                other => return other,
            },
            // Autocast: the value's C type comes from where it was computed.
            K::PAREN_EXPR | K::NAME_REF | K::CALL_EXPR => {
                TargetBaseH::Expr(Box::new(self.expr(&cur)))
            }
            _ => {
                return ExprKind::Unsupported(
                    "a member access on something that is not a target value".into(),
                )
            }
        };
        ExprKind::Target(Box::new(TargetHir {
            base,
            path: steps_rev,
            pretty,
            address_of: false,
        }))
    }

    fn at_expr(&mut self, n: &SyntaxNode, span: Span) -> ExprKind {
        let name = at_name(n);
        let args = child(n, K::ARG_LIST)
            .map(|a| self.sub_exprs(&a))
            .unwrap_or_default();
        let arg0 = args.first().cloned();
        let str_arg = |i: usize| match args.get(i).map(|a| &a.kind) {
            Some(ExprKind::Lit(Lit::Str(s))) => Some(s.clone()),
            _ => None,
        };
        let stat = |op| match &arg0 {
            Some(a) => ExprKind::StatOp {
                op,
                of: Box::new(a.clone()),
            },
            None => ExprKind::Lit(Lit::Long(0)),
        };
        match name.as_str() {
            "@count" => stat(ir::StatOp::Count),
            "@sum" => stat(ir::StatOp::Sum),
            "@min" => stat(ir::StatOp::Min),
            "@max" => stat(ir::StatOp::Max),
            "@avg" => stat(ir::StatOp::Avg),
            "@variance" => {
                let shift = match args.get(1).map(|a| &a.kind) {
                    Some(ExprKind::Lit(Lit::Long(n))) => *n as u32,
                    _ => 0,
                };
                stat(ir::StatOp::Variance(shift))
            }
            "@hist_log" => match arg0 {
                Some(a) => ExprKind::Hist {
                    kind: HistKindH::Log,
                    of: Box::new(a),
                    bucket: None,
                },
                None => ExprKind::Lit(Lit::Long(0)),
            },
            "@hist_linear" => match &args[..] {
                [a, b, c, d] => ExprKind::Hist {
                    kind: HistKindH::Linear(
                        Box::new(b.clone()),
                        Box::new(c.clone()),
                        Box::new(d.clone()),
                    ),
                    of: Box::new(a.clone()),
                    bucket: None,
                },
                _ => ExprKind::Lit(Lit::Long(0)),
            },
            "@cast" => match (arg0, str_arg(1)) {
                (Some(e), Some(ty)) => ExprKind::Target(Box::new(TargetHir {
                    base: TargetBaseH::Cast {
                        expr: Box::new(e),
                        ty,
                        module: str_arg(2),
                    },
                    path: Vec::new(),
                    pretty: None,
                    address_of: false,
                })),
                _ => ExprKind::Lit(Lit::Long(0)),
            },
            "@var" => match str_arg(0) {
                Some(v) => ExprKind::Target(Box::new(TargetHir {
                    base: TargetBaseH::AtVar(v),
                    path: Vec::new(),
                    pretty: None,
                    address_of: false,
                })),
                None => ExprKind::Lit(Lit::Long(0)),
            },
            "@entry" => match arg0 {
                Some(a) => ExprKind::Entry(Box::new(a)),
                None => ExprKind::Lit(Lit::Long(0)),
            },
            "@defined" => match arg0 {
                Some(a) => ExprKind::Defined(Box::new(a)),
                None => ExprKind::Lit(Lit::Long(0)),
            },
            other => {
                let _ = span;
                let _ = self.tapset;
                ExprKind::Unsupported(format!("`{other}`"))
            }
        }
    }
}

fn at_name(n: &SyntaxNode) -> String {
    tokens(n)
        .find(|t| t.kind() == K::AT_IDENT)
        .map(|t| t.text().to_string())
        .unwrap_or_default()
}

/// `name$$` -> (`name`, Some(true)); `$vars` keeps its leading `$`.
fn split_pretty(s: &str) -> (String, Option<bool>) {
    // `$$vars$`: the name starts with `$`; strip trailing `$`s only.
    let lead = s.starts_with('$');
    let body = if lead { &s[1..] } else { s };
    let trimmed = body.trim_end_matches('$');
    let dollars = body.len() - trimmed.len();
    let name = if lead {
        format!("${trimmed}")
    } else {
        trimmed.to_string()
    };
    let pretty = match dollars {
        0 => None,
        1 => Some(false),
        _ => Some(true),
    };
    (name, pretty)
}

fn type_ann(t: &SyntaxNode) -> Option<TypeAnn> {
    tokens(t).find_map(|x| match x.kind() {
        K::LONG_KW => Some(TypeAnn::Long),
        K::STRING_KW => Some(TypeAnn::String),
        _ => None,
    })
}

fn binop_of(k: K) -> Option<BinOpH> {
    use ir::BinOp as B;
    use ir::CmpOp as C;
    Some(match k {
        K::PLUS => BinOpH::Arith(B::Add),
        K::MINUS => BinOpH::Arith(B::Sub),
        K::STAR => BinOpH::Arith(B::Mul),
        K::SLASH => BinOpH::Arith(B::Div),
        K::PERCENT => BinOpH::Arith(B::Mod),
        K::SHL => BinOpH::Arith(B::Shl),
        K::SHR => BinOpH::Arith(B::Shr),
        K::SHR3 => BinOpH::Arith(B::Ushr),
        K::AMP => BinOpH::Arith(B::BitAnd),
        K::PIPE => BinOpH::Arith(B::BitOr),
        K::CARET => BinOpH::Arith(B::BitXor),
        K::LT => BinOpH::Cmp(C::Lt),
        K::LTEQ => BinOpH::Cmp(C::Le),
        K::GT => BinOpH::Cmp(C::Gt),
        K::GTEQ => BinOpH::Cmp(C::Ge),
        K::EQ2 => BinOpH::Cmp(C::Eq),
        K::NEQ => BinOpH::Cmp(C::Ne),
        K::AMP2 => BinOpH::And,
        K::PIPE2 => BinOpH::Or,
        K::DOT => BinOpH::Concat,
        K::REGEX_EQ => BinOpH::RegexMatch,
        K::REGEX_NE => BinOpH::RegexNoMatch,
        _ => return None,
    })
}

/// `%{ code %}` -> `code`.
fn embedded_body(t: &str) -> String {
    let s = t.strip_prefix("%{").unwrap_or(t);
    let s = s.strip_suffix("%}").unwrap_or(s);
    s.to_string()
}

/// `foreach (b in @hist_*(x)) body` as `for (b = 0; b < BUCKETS; ++b) body`:
/// SystemTap visits every bucket index, empty ones included. A log
/// histogram has 128 buckets (the runtime's `XS_HIST_LOG_BUCKETS`); a
/// linear one `(high - low) / width` plus the first, under- and overflow.
fn hist_foreach(key: &(String, Span), hist: Expr, body: Stmt) -> StmtKind {
    let sp = hist.span;
    let e = |kind: ExprKind| Expr { kind, span: sp };
    let num = |n: i64| e(ExprKind::Lit(Lit::Long(n)));
    let bin = |op: ir::BinOp, l: Expr, r: Expr| {
        e(ExprKind::Binary {
            op: BinOpH::Arith(op),
            lhs: Box::new(l),
            rhs: Box::new(r),
        })
    };
    let var = || Expr {
        kind: ExprKind::Name(key.0.clone()),
        span: key.1,
    };
    let buckets = match hist.kind {
        ExprKind::Hist {
            kind: HistKindH::Linear(lo, hi, w),
            ..
        } => bin(
            ir::BinOp::Add,
            bin(ir::BinOp::Div, bin(ir::BinOp::Sub, *hi, *lo), *w),
            num(3),
        ),
        _ => num(128),
    };
    StmtKind::For {
        init: Some(e(ExprKind::Assign {
            op: AssignOpH::Set,
            target: Box::new(var()),
            value: Box::new(num(0)),
        })),
        cond: Some(e(ExprKind::Binary {
            op: BinOpH::Cmp(ir::CmpOp::Lt),
            lhs: Box::new(var()),
            rhs: Box::new(buckets),
        })),
        step: Some(e(ExprKind::IncDec {
            target: Box::new(var()),
            increment: true,
            prefix: true,
        })),
        body: Box::new(body),
    }
}
