//! Type inference, semantic checks and the lowering to [`ir::Program`].
//!
//! Inference is whole-program and iterative, as in stap: every probe and
//! function body is walked again and again, each walk resolving more of the
//! unknown types of locals, globals (values and keys), function parameters
//! and returns, until a walk changes nothing. A final walk then reports
//! errors (with a note pointing at where each type was first inferred),
//! runs the checks and builds the `ir` with concrete types.
//!
//! The same walker does all three jobs so that what is checked is exactly
//! what is emitted. Diagnostics are only recorded during the final walk.

use std::collections::HashMap;
use std::sync::Arc;

use diag::{Diagnostic, FileId, Span};
use ir::{LocalId, Type};
use kernel::Tables;

use crate::elab::{DerivedPoint, Resolved};
use crate::hir::*;
use crate::points::{self, PathStep, PointCtx};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    Unknown,
    Long,
    Str,
    Stats,
}

impl Ty {
    pub fn name(self) -> &'static str {
        match self {
            Ty::Unknown => "unknown",
            Ty::Long => "long",
            Ty::Str => "string",
            Ty::Stats => "stats",
        }
    }
    fn ir(self) -> Type {
        match self {
            Ty::Long | Ty::Unknown => Type::Long,
            Ty::Str => Type::String,
            Ty::Stats => Type::Stats,
        }
    }
}

#[derive(Clone, Debug)]
struct VarT {
    name: String,
    ty: Ty,
    first: Option<Span>,
    decl: Span,
    read: bool,
    written: bool,
}

impl VarT {
    fn new(name: &str, decl: Span) -> VarT {
        VarT {
            name: name.to_string(),
            ty: Ty::Unknown,
            first: None,
            decl,
            read: false,
            written: false,
        }
    }
}

#[derive(Clone, Debug)]
struct GlobT {
    v: VarT,
    keys: Option<Vec<Ty>>,
    keys_first: Option<Span>,
    /// Where it was first used as an array / as a scalar (both is an error).
    array_use: Option<Span>,
    scalar_use: Option<Span>,
}

#[derive(Clone, Debug)]
struct FnT {
    locals: Vec<VarT>,
    nparams: usize,
    ret: Ty,
    ret_first: Option<Span>,
}

/// Everything the typechecker needs besides the resolved program.
pub struct TyEnv<'a> {
    pub script: FileId,
    pub tables: &'a Tables,
    pub arch: &'a str,
    pub guru: bool,
    /// Span -> run-time location.
    pub loc: &'a dyn Fn(Span) -> ir::Loc,
    pub name: String,
    pub release: String,
    pub defines: Vec<(String, String)>,
    /// `-u`: keep side-effect-free statements (and report their errors).
    pub unoptimized: bool,
}

/// The outcome: the program (when there are no errors) and diagnostics.
pub struct Checked {
    pub program: Option<ir::Program>,
    pub diags: Vec<Diagnostic>,
    /// For `-p2`: per ir probe, the derivation of each point.
    pub derivations: Vec<Vec<String>>,
}

struct Cx {
    /// `Some(i)`: inside function `i`; `None`: inside probe `probe`.
    func: Option<usize>,
    probe: usize,
    file: FileId,
    loops: u32,
    /// Arrays being iterated by enclosing foreach loops.
    iterating: Vec<usize>,
    /// The point whose context types target variables.
    point: Option<DerivedPoint>,
}

struct Tc<'a> {
    env: &'a TyEnv<'a>,
    r: &'a Resolved,
    globals: Vec<GlobT>,
    funcs: Vec<FnT>,
    probes: Vec<Vec<VarT>>,
    changed: bool,
    report: bool,
    diags: Vec<Diagnostic>,
    gid: HashMap<usize, ir::GlobalId>,
    fid: HashMap<usize, ir::FuncId>,
    /// Per function: the globals it writes, directly or through calls.
    writes: Vec<std::collections::BTreeSet<usize>>,
    /// Autocast: the C type a value points to, by expression span, by
    /// variable and by function return.
    cexpr: HashMap<Span, kernel::TypeId>,
    cvar: HashMap<VarRef, kernel::TypeId>,
    /// The @cast module each typed local got its C type from (`None`:
    /// the kernel), and the locals assigned C types that disagree (they
    /// have none).
    cvar_src: HashMap<VarRef, Option<String>>,
    cvar_bad: std::collections::HashSet<VarRef>,
    cret: HashMap<usize, kernel::TypeId>,
    /// The `@cast` module each typed return came from; functions whose
    /// returns disagree get no C type (like stap).
    cmod: HashMap<Span, Option<String>>,
    cret_src: HashMap<usize, Option<String>>,
    cret_bad: std::collections::HashSet<usize>,
}

pub fn check(r: &Resolved, env: &TyEnv<'_>) -> Checked {
    let mut tc = Tc {
        env,
        r,
        globals: r
            .globals
            .iter()
            .map(|g| {
                let mut v = VarT::new(&g.decl.name, g.decl.span);
                if let Some(init) = &g.decl.init {
                    v.ty = match init {
                        Lit::Long(_) => Ty::Long,
                        Lit::Str(_) => Ty::Str,
                    };
                    v.first = Some(g.decl.span);
                    v.written = true;
                }
                let declared_array = g.decl.size.is_some() || g.decl.wrap;
                let keys = declared_array.then(Vec::new);
                let array_use = declared_array.then_some(g.decl.span);
                let scalar_use = g.decl.init.is_some().then_some(g.decl.span);
                GlobT {
                    v,
                    keys,
                    keys_first: None,
                    array_use,
                    scalar_use,
                }
            })
            .collect(),
        funcs: r
            .functions
            .iter()
            .map(|f| {
                let locals = f
                    .decl
                    .params
                    .iter()
                    .map(|(n, ann, sp)| {
                        let mut v = VarT::new(n, *sp);
                        v.written = true;
                        if let Some(a) = ann {
                            v.ty = ann_ty(*a);
                            v.first = Some(*sp);
                        }
                        v
                    })
                    .collect();
                let (ret, ret_first) = match f.decl.ret {
                    Some(a) => (ann_ty(a), Some(f.decl.span)),
                    None => (Ty::Unknown, None),
                };
                FnT {
                    locals,
                    nparams: f.decl.params.len(),
                    ret,
                    ret_first,
                }
            })
            .collect(),
        probes: vec![Vec::new(); r.probes.len()],
        changed: true,
        report: false,
        diags: Vec::new(),
        gid: HashMap::new(),
        fid: HashMap::new(),
        writes: function_writes(r),
        cexpr: HashMap::new(),
        cvar: HashMap::new(),
        cvar_src: HashMap::new(),
        cvar_bad: std::collections::HashSet::new(),
        cret: HashMap::new(),
        cmod: HashMap::new(),
        cret_src: HashMap::new(),
        cret_bad: std::collections::HashSet::new(),
    };
    // Ids: reachable functions and referenced globals, in definition order.
    let mut used_g: Vec<usize> = r.global_by_name.values().copied().collect();
    used_g.sort();
    used_g.dedup();
    for (n, g) in used_g.iter().enumerate() {
        tc.gid.insert(*g, ir::GlobalId(n as u32));
    }
    let mut used_f: Vec<usize> = r.func_by_name.values().copied().collect();
    used_f.sort();
    used_f.dedup();
    for (n, f) in used_f.iter().enumerate() {
        tc.fid.insert(*f, ir::FuncId(n as u32));
    }
    let mut rounds = 0;
    while tc.changed && rounds < 50 {
        tc.changed = false;
        rounds += 1;
        tc.walk_all(false);
    }
    tc.report = true;
    let (functions, probes, derivations) = tc.walk_all(true);
    tc.final_checks(&used_g, &used_f);
    let globals = used_g
        .iter()
        .map(|&g| {
            let t = &tc.globals[g];
            let d = &r.globals[g].decl;
            let kind = match &t.keys {
                Some(keys) => ir::GlobalKind::Array {
                    keys: keys.iter().map(|k| k.ir()).collect(),
                    value: t.v.ty.ir(),
                    size: d.size,
                    wrap: d.wrap,
                },
                None => ir::GlobalKind::Scalar {
                    ty: t.v.ty.ir(),
                    init: d.init.as_ref().map(|l| match l {
                        Lit::Long(n) => ir::Literal::Long(*n),
                        Lit::Str(s) => ir::Literal::Str(s.clone()),
                    }),
                },
            };
            ir::Global {
                name: d.name.clone(),
                kind,
                loc: (env.loc)(d.span),
                dump_at_end: t.v.written && !t.v.read,
            }
        })
        .collect();
    // Without -u, stap elides probes whose bodies do nothing; when that
    // leaves no probe at all, there is nothing to run.
    if !env.unoptimized && !probes.is_empty() && probes.iter().all(|p| block_does_nothing(&p.body))
    {
        if let Some(first) = r
            .probes
            .iter()
            .find(|p| p.file == env.script)
            .or(r.probes.first())
        {
            tc.err(
                Diagnostic::error("E0426", "every probe of the script does nothing, so no probe is left")
                    .with_primary(first.span, "this probe's body has no effect")
                    .with_help("give a probe something to do (e.g. print), or run with -u to keep empty probes"),
            );
        }
    }
    let mut diags = std::mem::take(&mut tc.diags);
    diag::sort_and_dedup(&mut diags);
    let ok = !diags.iter().any(|d| d.is_error());
    let program = ok.then(|| ir::Program {
        name: env.name.clone(),
        files: Vec::new(),
        globals,
        functions,
        probes,
        embedded: r.embedded.clone(),
        defines: env.defines.clone(),
        guru: env.guru,
        target: ir::TargetInfo {
            release: env.release.clone(),
            arch: kernel::Arch::normalize(env.arch).kbuild_arch().to_string(),
        },
    });
    Checked {
        program,
        diags,
        derivations,
    }
}

/// Whether a probe body has no effect: empty blocks and `if`s on a
/// constant whose taken branch has no effect (what `@defined` folds to).
fn block_does_nothing(b: &ir::Block) -> bool {
    b.stmts.iter().all(stmt_does_nothing)
}

fn stmt_does_nothing(s: &ir::Stmt) -> bool {
    match &s.kind {
        ir::StmtKind::Block(b) => block_does_nothing(b),
        ir::StmtKind::If { cond, then, els } => match &cond.kind {
            ir::ExprKind::Literal(ir::Literal::Long(0)) => {
                els.as_deref().is_none_or(stmt_does_nothing)
            }
            ir::ExprKind::Literal(ir::Literal::Long(_)) => stmt_does_nothing(then),
            _ => false,
        },
        _ => false,
    }
}

fn ann_ty(a: TypeAnn) -> Ty {
    match a {
        TypeAnn::Long => Ty::Long,
        TypeAnn::String => Ty::Str,
    }
}

fn uses_target(stmts: &[Stmt]) -> bool {
    let mut any = false;
    for s in stmts {
        walk_stmt_exprs(s, &mut |e| {
            if matches!(
                e.kind,
                ExprKind::Target(_) | ExprKind::Entry(_) | ExprKind::Defined(_)
            ) {
                any = true;
            }
        });
    }
    any
}

impl Tc<'_> {
    fn err(&mut self, d: Diagnostic) {
        if self.report {
            self.diags.push(d);
        }
    }

    fn loc(&self, s: Span) -> ir::Loc {
        (self.env.loc)(s)
    }

    fn walk_all(&mut self, emit: bool) -> (Vec<ir::Function>, Vec<ir::Probe>, Vec<Vec<String>>) {
        let mut functions = Vec::new();
        let mut used_f: Vec<(usize, ir::FuncId)> = self.fid.iter().map(|(a, b)| (*a, *b)).collect();
        used_f.sort_by_key(|x| x.1);
        for (fi, _) in used_f {
            let f = self.r.functions[fi].clone();
            let mut cx = Cx {
                func: Some(fi),
                probe: 0,
                file: f.file,
                loops: 0,
                iterating: Vec::new(),
                point: None,
            };
            let body = match &f.decl.body {
                FuncBody::Script(b) => ir::FuncBody::Script(ir::Block {
                    stmts: vec![self.stmt(&mut cx, b)],
                }),
                FuncBody::Embedded { code, pure } => {
                    if f.file == self.env.script && !self.env.guru {
                        self.err(
                            Diagnostic::error("E0515", "embedded C in a script requires guru mode")
                                .with_primary(f.decl.span, "this function has an embedded-C body")
                                .with_help("run with -g (guru mode) to allow embedded C"),
                        );
                    }
                    ir::FuncBody::EmbeddedC {
                        code: code.clone(),
                        pure: *pure,
                    }
                }
            };
            if emit {
                let t = &self.funcs[fi];
                let ret = if t.ret == Ty::Unknown {
                    Type::Void
                } else {
                    t.ret.ir()
                };
                functions.push(ir::Function {
                    name: f.decl.name.clone(),
                    params: t.nparams as u32,
                    locals: t
                        .locals
                        .iter()
                        .map(|l| ir::Local {
                            name: l.name.clone(),
                            ty: l.ty.ir(),
                        })
                        .collect(),
                    ret,
                    body,
                    loc: self.loc(f.decl.span),
                });
            }
        }
        let mut probes = Vec::new();
        let mut derivs = Vec::new();
        for (pi, d) in self.r.probes.iter().enumerate() {
            let per_point = uses_target(&d.bodies) && d.points.len() > 1;
            let groups: Vec<Vec<DerivedPoint>> = if per_point {
                d.points.iter().map(|p| vec![p.clone()]).collect()
            } else {
                vec![d.points.clone()]
            };
            let groups = if emit {
                groups
            } else {
                groups.into_iter().take(1).collect()
            };
            for g in groups {
                let mut cx = Cx {
                    func: None,
                    probe: pi,
                    file: d.file,
                    loops: 0,
                    iterating: Vec::new(),
                    point: g.first().cloned(),
                };
                let mut stmts = Vec::new();
                let diags_before = self.diags.len();
                for b in &d.bodies {
                    // Alias bodies resolve names in their own file.
                    cx.file = b.span.file;
                    stmts.push(self.stmt(&mut cx, b));
                }
                // Optional points (`?`, `!`) whose context offers no target
                // variables while the body reads some are dropped silently
                // (stap drops an optional point it cannot expand). Other
                // errors, such as a missing member, are still reported;
                // values computed from the missing variables have no C type
                // (E0418) as a consequence.
                let target_error =
                    |d: &Diagnostic| d.is_error() && matches!(d.code, "E0410" | "E0418");
                if !g.is_empty()
                    && g.iter().all(|p| p.optional)
                    && self.diags[diags_before..].iter().any(target_error)
                    && self.diags[diags_before..]
                        .iter()
                        .filter(|d| d.is_error())
                        .all(target_error)
                {
                    self.diags.truncate(diags_before);
                    continue;
                }
                cx.file = d.file;
                let mut pts = Vec::new();
                for p in &g {
                    let condition = p.condition.as_ref().map(|c| {
                        self.condition_uses_globals(c);
                        let e = self.expr(&mut cx, c, Ty::Long);
                        self.want(e.ty_of(), Ty::Long, c.span, "a probe condition");
                        e
                    });
                    if let ir::PointKind::Netfilter { hook, pf, .. } = &p.resolved.kind {
                        let unknown: Vec<&String> = [(hook, true), (pf, false)]
                            .into_iter()
                            .filter(|(n, is_hook)| !points::netfilter_name_known(n, *is_hook))
                            .map(|(n, _)| n)
                            .collect();
                        if !unknown.is_empty() && !self.env.guru {
                            self.err(
                                Diagnostic::error("E0402", format!("unknown netfilter hook or protocol family `{}` in `{}`", unknown[0], p.resolved.pp))
                                    .with_primary(d.span, "in this probe")
                                    .with_help("use NF_INET_PRE_ROUTING, NF_INET_LOCAL_IN, NF_INET_FORWARD, NF_INET_LOCAL_OUT, NF_INET_POST_ROUTING and NFPROTO_IPV4, NFPROTO_IPV6, NFPROTO_ARP, NFPROTO_BRIDGE (other names or numbers need guru mode, -g)"),
                            );
                        }
                    }
                    pts.push(ir::ProbePoint {
                        pp: p.resolved.pp.clone(),
                        kind: p.resolved.kind.clone(),
                        condition,
                        optional: p.optional,
                    });
                }
                if emit {
                    derivs.push(g.iter().map(|p| p.derivation.clone()).collect());
                    probes.push(ir::Probe {
                        points: pts,
                        locals: self.probes[pi]
                            .iter()
                            .map(|l| ir::Local {
                                name: l.name.clone(),
                                ty: l.ty.ir(),
                            })
                            .collect(),
                        body: ir::Block { stmts },
                        loc: self.loc(d.span),
                    });
                }
            }
        }
        (functions, probes, derivs)
    }

    fn final_checks(&mut self, used_g: &[usize], used_f: &[usize]) {
        for &g in used_g {
            let t = self.globals[g].clone();
            let d = &self.r.globals[g];
            if let (Some(a), Some(sc)) = (t.array_use, t.scalar_use) {
                self.err(
                    Diagnostic::error(
                        "E0502",
                        format!("`{}` is used both as an array and as a scalar", t.v.name),
                    )
                    .with_primary(sc, "used as a scalar here")
                    .with_secondary(a, "used as an array here")
                    .with_help("use one global for the array and another for the scalar"),
                );
            }
            if t.v.ty == Ty::Unknown && (t.v.read || t.v.written) {
                self.err(
                    Diagnostic::error(
                        "E0503",
                        format!("cannot infer the type of global `{}`", t.v.name),
                    )
                    .with_primary(d.decl.span, "declared here")
                    .with_help(
                        "assign it a number or a string somewhere, or give it an initial value",
                    ),
                );
            }
            if d.file == self.env.script && t.v.read && !t.v.written && d.decl.init.is_none() {
                self.err(
                    Diagnostic::warning(
                        "E0521",
                        format!("global `{}` is read but never assigned", t.v.name),
                    )
                    .with_primary(d.decl.span, "declared here")
                    .with_help("it always reads as 0 or \"\"; assign it somewhere or remove it"),
                );
            }
        }
        for (g, d) in self.r.globals.iter().enumerate() {
            if d.file == self.env.script && !used_g.contains(&g) {
                self.err(
                    Diagnostic::warning("E0522", format!("global `{}` is never used", d.decl.name))
                        .with_primary(d.decl.span, "declared here")
                        .with_help("remove the declaration"),
                );
            }
        }
        for &f in used_f {
            let t = self.funcs[f].clone();
            let d = &self.r.functions[f];
            for (i, p) in t.locals.iter().enumerate() {
                if p.ty == Ty::Unknown && (i < t.nparams || p.read) {
                    self.err(
                        Diagnostic::error("E0503", format!("cannot infer the type of `{}` in function `{}`", p.name, d.decl.name))
                            .with_primary(p.decl, "declared here")
                            .with_help("annotate it (`name:long`, `name:string`) or use it as a number or a string"),
                    );
                }
            }
            self.unused_locals(&t.locals[t.nparams..], d.file);
        }
        for pi in 0..self.probes.len() {
            let locals = self.probes[pi].clone();
            for l in &locals {
                if l.ty == Ty::Unknown && l.read {
                    self.err(
                        Diagnostic::error(
                            "E0503",
                            format!("cannot infer the type of `{}`", l.name),
                        )
                        .with_primary(l.decl, "first used here")
                        .with_help("assign it a number or a string before reading it"),
                    );
                }
            }
            self.unused_locals(&locals, self.r.probes[pi].file);
        }
    }

    fn unused_locals(&mut self, locals: &[VarT], _file: FileId) {
        for l in locals {
            if l.ty == Ty::Stats && l.read {
                self.err(
                    Diagnostic::error(
                        "E0516",
                        format!("local `{}` cannot hold statistics", l.name),
                    )
                    .with_primary(l.decl, "a local statistics variable")
                    .with_help(format!(
                        "statistics must be global: add `global {}`",
                        l.name
                    )),
                );
            }
        }
        // Only the script's own locals are worth a warning (alias
        // prologues set many variables a given script does not read).
        for l in locals.iter().filter(|l| l.decl.file == self.env.script) {
            if l.written && !l.read {
                self.err(
                    Diagnostic::warning(
                        "E0520",
                        format!("local `{}` is assigned but never read", l.name),
                    )
                    .with_primary(l.decl, "first assigned here")
                    .with_help("remove the assignment, or make it a global if it should be kept"),
                );
            } else if l.read && !l.written {
                self.err(
                    Diagnostic::warning(
                        "E0521",
                        format!("local `{}` is read but never assigned", l.name),
                    )
                    .with_primary(l.decl, "first read here")
                    .with_help(
                        "it always reads as 0 or \"\"; check the spelling or declare a global",
                    ),
                );
            }
        }
    }

    // ---- types ----

    fn want(&mut self, got: Ty, want: Ty, span: Span, what: &str) {
        if got != Ty::Unknown && want != Ty::Unknown && got != want {
            self.err(
                Diagnostic::error(
                    "E0501",
                    format!(
                        "type mismatch: {what} must be a {}, found a {}",
                        want.name(),
                        got.name()
                    ),
                )
                .with_primary(span, format!("this is a {}", got.name()))
                .with_help(match (want, got) {
                    (Ty::Str, Ty::Long) => "convert with sprint() or sprintf(\"%d\", ...)",
                    (Ty::Long, Ty::Str) => "convert with strtol(), or compare strings with ==",
                    _ => "use a value of the expected type",
                }),
            );
        }
    }

    fn var_mut(&mut self, v: VarRef) -> &mut VarT {
        match v {
            VarRef::Global(g) => &mut self.globals[g].v,
            VarRef::FnLocal(f, i) => &mut self.funcs[f].locals[i],
            VarRef::ProbeLocal(p, i) => &mut self.probes[p][i],
        }
    }

    /// Merge `got` into a variable's type; report a clash.
    fn unify_var(&mut self, v: VarRef, got: Ty, span: Span) {
        if got == Ty::Unknown {
            return;
        }
        let var = self.var_mut(v).clone();
        if var.ty == Ty::Unknown {
            let vm = self.var_mut(v);
            vm.ty = got;
            vm.first = Some(span);
            self.changed = true;
        } else if var.ty != got {
            let mut d = Diagnostic::error(
                "E0502",
                format!(
                    "type clash: `{}` is a {} but is used as a {}",
                    var.name,
                    var.ty.name(),
                    got.name()
                ),
            )
            .with_primary(span, format!("used as a {} here", got.name()));
            if let Some(f) = var.first {
                d = d.with_secondary(f, format!("type {} was first inferred here", var.ty.name()));
            }
            self.err(d.with_help(
                "a variable has one type: use a second variable for the other kind of value",
            ));
        }
    }

    fn var_ty(&self, v: VarRef) -> Ty {
        match v {
            VarRef::Global(g) => self.globals[g].v.ty,
            VarRef::FnLocal(f, i) => self.funcs[f].locals[i].ty,
            VarRef::ProbeLocal(p, i) => self.probes[p][i].ty,
        }
    }

    fn lookup_var(&mut self, cx: &Cx, name: &str, span: Span) -> VarRef {
        if let Some(f) = cx.func {
            if let Some(i) = self.funcs[f].locals[..self.funcs[f].nparams]
                .iter()
                .position(|l| l.name == name)
            {
                return VarRef::FnLocal(f, i);
            }
        }
        if let Some(&g) = self.r.global_by_name.get(&(cx.file, name.to_string())) {
            return VarRef::Global(g);
        }
        match cx.func {
            Some(f) => {
                let ls = &mut self.funcs[f].locals;
                match ls.iter().position(|l| l.name == name) {
                    Some(i) => VarRef::FnLocal(f, i),
                    None => {
                        ls.push(VarT::new(name, span));
                        VarRef::FnLocal(f, ls.len() - 1)
                    }
                }
            }
            None => {
                let ls = &mut self.probes[cx.probe];
                match ls.iter().position(|l| l.name == name) {
                    Some(i) => VarRef::ProbeLocal(cx.probe, i),
                    None => {
                        ls.push(VarT::new(name, span));
                        VarRef::ProbeLocal(cx.probe, ls.len() - 1)
                    }
                }
            }
        }
    }

    fn local_id(&self, v: VarRef) -> LocalId {
        match v {
            VarRef::FnLocal(_, i) | VarRef::ProbeLocal(_, i) => LocalId(i as u32),
            VarRef::Global(_) => LocalId(u32::MAX),
        }
    }

    fn gid(&self, g: usize) -> ir::GlobalId {
        self.gid.get(&g).copied().unwrap_or(ir::GlobalId(u32::MAX))
    }

    fn array_global(&mut self, cx: &Cx, name: &str, span: Span) -> Option<usize> {
        match self.r.global_by_name.get(&(cx.file, name.to_string())) {
            Some(&g) => Some(g),
            None => {
                self.err(
                    Diagnostic::error(
                        "E0407",
                        format!(
                            "`{name}` is used as an array but no global array `{name}` is declared"
                        ),
                    )
                    .with_primary(span, "used as an array here")
                    .with_help(format!(
                        "arrays must be global: add `global {name}` at the top level"
                    )),
                );
                None
            }
        }
    }

    /// Type the keys of an array access; fix the arity on first use.
    fn array_keys(
        &mut self,
        cx: &mut Cx,
        g: usize,
        keys: &[Option<Expr>],
        span: Span,
    ) -> Vec<Option<ir::Expr>> {
        self.globals[g].array_use.get_or_insert(span);
        if keys.len() > 9 {
            self.err(
                Diagnostic::error(
                    "E0508",
                    format!("arrays have at most 9 keys; this access has {}", keys.len()),
                )
                .with_primary(span, "too many keys")
                .with_help("combine keys into a string, or split the array"),
            );
        }
        let known = self.globals[g].keys.clone();
        match &known {
            Some(k) if !k.is_empty() && k.len() != keys.len() => {
                let mut d = Diagnostic::error(
                    "E0502",
                    format!(
                        "array `{}` has {} keys but is used with {}",
                        self.globals[g].v.name,
                        k.len(),
                        keys.len()
                    ),
                )
                .with_primary(span, "wrong number of keys");
                if let Some(f) = self.globals[g].keys_first {
                    d = d.with_secondary(f, "its keys were first inferred here");
                }
                self.err(d.with_help("use the same number of keys everywhere"));
            }
            _ => {}
        }
        let mut out = Vec::new();
        for (i, k) in keys.iter().enumerate() {
            let kt = self.globals[g]
                .keys
                .as_ref()
                .and_then(|v| v.get(i).copied())
                .unwrap_or(Ty::Unknown);
            match k {
                Some(k) => {
                    let e = self.expr(cx, k, kt);
                    let t = e.ty_of();
                    if t == Ty::Stats {
                        self.err(
                            Diagnostic::error("E0501", "array keys cannot be statistics")
                                .with_primary(k.span, "a stats value")
                                .with_help("use @count(...) or another extractor"),
                        );
                    }
                    self.set_key(g, i, keys.len(), t, k.span);
                    out.push(Some(e));
                }
                None => out.push(None),
            }
        }
        if self.globals[g].keys.as_ref().is_none_or(|k| k.is_empty()) {
            self.globals[g].keys = Some(vec![Ty::Unknown; keys.len()]);
            self.globals[g].keys_first.get_or_insert(span);
            self.changed = true;
        }
        out
    }

    fn set_key(&mut self, g: usize, i: usize, n: usize, t: Ty, span: Span) {
        let gl = &mut self.globals[g];
        let keys = gl.keys.get_or_insert_with(|| vec![Ty::Unknown; n]);
        if keys.is_empty() {
            *keys = vec![Ty::Unknown; n];
        }
        if i >= keys.len() || t == Ty::Unknown {
            return;
        }
        if keys[i] == Ty::Unknown {
            keys[i] = t;
            gl.keys_first.get_or_insert(span);
            self.changed = true;
        } else if keys[i] != t {
            let name = gl.v.name.clone();
            let kt = keys[i];
            let first = gl.keys_first;
            let mut d = Diagnostic::error(
                "E0502",
                format!(
                    "type clash: key {} of `{name}` is a {} but is used as a {}",
                    i + 1,
                    kt.name(),
                    t.name()
                ),
            )
            .with_primary(span, format!("a {} key", t.name()));
            if let Some(f) = first {
                d = d.with_secondary(f, "key types were first inferred here");
            }
            self.err(d.with_help("use the same key types everywhere"));
        }
    }

    // ---- statements ----

    fn stmt(&mut self, cx: &mut Cx, s: &Stmt) -> ir::Stmt {
        let loc = self.loc(s.span);
        let kind = match &s.kind {
            StmtKind::Block(b) => ir::StmtKind::Block(ir::Block {
                stmts: b.iter().map(|s| self.stmt(cx, s)).collect(),
            }),
            StmtKind::Expr(e)
                if self.report && !self.env.unoptimized && self.dead_library_store(cx, e) =>
            {
                // A tapset alias sets a local nobody reads: skip the work.
                ir::StmtKind::Block(ir::Block::default())
            }
            StmtKind::Expr(e) if !self.env.unoptimized && self.is_pure(cx, e) => {
                // stap elides side-effect-free expression statements.
                ir::StmtKind::Block(ir::Block::default())
            }
            StmtKind::Expr(e) => {
                let x = self.expr(cx, e, Ty::Unknown);
                ir::StmtKind::Expr(x)
            }
            StmtKind::If { cond, then, els } if self.defined_value(cx, cond).is_some() => {
                // `if (@defined(x))`: only the live branch is elaborated.
                let live = if self.defined_value(cx, cond) == Some(true) {
                    Some(then)
                } else {
                    els.as_ref()
                };
                match live {
                    Some(b) => return self.stmt(cx, b),
                    None => ir::StmtKind::Block(ir::Block::default()),
                }
            }
            StmtKind::If { cond, then, els } => {
                let c = self.cond(cx, cond);
                ir::StmtKind::If {
                    cond: c,
                    then: Box::new(self.stmt(cx, then)),
                    els: els.as_ref().map(|e| Box::new(self.stmt(cx, e))),
                }
            }
            StmtKind::While { cond, body } => {
                let c = self.cond(cx, cond);
                cx.loops += 1;
                let b = self.stmt(cx, body);
                cx.loops -= 1;
                ir::StmtKind::While {
                    cond: c,
                    body: Box::new(b),
                }
            }
            StmtKind::For {
                init,
                cond,
                step,
                body,
            } => {
                let i = init.as_ref().map(|e| self.expr(cx, e, Ty::Unknown));
                let c = cond.as_ref().map(|e| self.cond(cx, e));
                let st = step.as_ref().map(|e| self.expr(cx, e, Ty::Unknown));
                cx.loops += 1;
                let b = self.stmt(cx, body);
                cx.loops -= 1;
                ir::StmtKind::For {
                    init: i,
                    cond: c,
                    step: st,
                    body: Box::new(b),
                }
            }
            StmtKind::Foreach(fe) => return self.foreach(cx, fe, s.span, loc),
            StmtKind::Delete(e) => self.delete(cx, e),
            StmtKind::Next => ir::StmtKind::Next,
            StmtKind::Break | StmtKind::Continue => {
                if cx.loops == 0 {
                    self.err(
                        Diagnostic::error("E0511", "`break`/`continue` outside of a loop")
                            .with_primary(s.span, "not inside while, for or foreach")
                            .with_help(
                                "use `next` to leave a probe, or `return` to leave a function",
                            ),
                    );
                }
                if matches!(s.kind, StmtKind::Break) {
                    ir::StmtKind::Break
                } else {
                    ir::StmtKind::Continue
                }
            }
            StmtKind::Return(v) => {
                match cx.func {
                    None => {
                        self.err(
                            Diagnostic::error("E0510", "`return` outside of a function")
                                .with_primary(s.span, "in a probe body")
                                .with_help("use `next` to leave a probe handler early"),
                        );
                        ir::StmtKind::Return(None)
                    }
                    Some(f) => {
                        let want = self.funcs[f].ret;
                        let e = v.as_ref().map(|v| self.expr(cx, v, want));
                        let src = v
                            .as_ref()
                            .and_then(|v| self.cmod.get(&v.span))
                            .cloned()
                            .flatten();
                        if let Some(&c) = v.as_ref().and_then(|v| self.cexpr.get(&v.span)) {
                            let clash = self.cret.get(&f).is_some_and(|&p| p != c)
                                || self.cret_src.get(&f).is_some_and(|p| *p != src);
                            if clash || self.cret_bad.contains(&f) {
                                self.cret_bad.insert(f);
                                self.cret.remove(&f);
                            } else if self.cret.insert(f, c) != Some(c) {
                                self.cret_src.insert(f, src);
                                self.changed = true;
                            }
                        }
                        if let (Some(e), Some(v)) = (&e, v) {
                            let t = e.ty_of();
                            if t == Ty::Stats {
                                self.err(
                                    Diagnostic::error(
                                        "E0501",
                                        "functions cannot return statistics",
                                    )
                                    .with_primary(v.span, "a stats value")
                                    .with_help(
                                        "return @count(...), @sum(...) or another extractor",
                                    ),
                                );
                            } else if t != Ty::Unknown {
                                let ft = &mut self.funcs[f];
                                if ft.ret == Ty::Unknown {
                                    ft.ret = t;
                                    ft.ret_first = Some(v.span);
                                    self.changed = true;
                                } else if ft.ret != t {
                                    let (rt, first) = (ft.ret, ft.ret_first);
                                    let mut d = Diagnostic::error("E0502", format!("type clash: the function returns a {} but this is a {}", rt.name(), t.name()))
                                        .with_primary(v.span, format!("a {}", t.name()));
                                    if let Some(fs) = first {
                                        d = d.with_secondary(fs, "return type first inferred here");
                                    }
                                    self.err(d.with_help("return one kind of value"));
                                }
                            }
                        }
                        ir::StmtKind::Return(e)
                    }
                }
            }
            StmtKind::Try {
                body,
                catch_var,
                handler,
            } => {
                let b = self.stmt(cx, body);
                let cv = catch_var.as_ref().map(|(n, sp)| {
                    let v = self.lookup_var(cx, n, *sp);
                    self.unify_var(v, Ty::Str, *sp);
                    self.var_mut(v).written = true;
                    self.local_id(v)
                });
                let h = self.stmt(cx, handler);
                ir::StmtKind::Try {
                    body: block_of(b),
                    catch_var: cv,
                    handler: block_of(h),
                }
            }
            StmtKind::Empty => ir::StmtKind::Block(ir::Block::default()),
        };
        ir::Stmt { kind, loc }
    }

    fn cond(&mut self, cx: &mut Cx, e: &Expr) -> ir::Expr {
        let x = self.expr(cx, e, Ty::Long);
        self.want(x.ty_of(), Ty::Long, e.span, "a condition");
        x
    }

    fn foreach(&mut self, cx: &mut Cx, fe: &ForeachHir, span: Span, loc: ir::Loc) -> ir::Stmt {
        let Some(g) = self.array_global(cx, &fe.array.0, fe.array.1) else {
            return ir::Stmt {
                kind: ir::StmtKind::Block(ir::Block::default()),
                loc,
            };
        };
        self.globals[g].v.read = true;
        self.globals[g].array_use.get_or_insert(fe.array.1);
        let n = fe.keys.len();
        if self.globals[g].keys.as_ref().is_none_or(|k| k.is_empty()) {
            self.globals[g].keys = Some(vec![Ty::Unknown; n]);
            self.changed = true;
        }
        let arity = self.globals[g].keys.as_ref().map(|k| k.len()).unwrap_or(n);
        if arity != n {
            self.err(
                Diagnostic::error(
                    "E0502",
                    format!(
                        "array `{}` has {arity} keys but foreach names {n}",
                        fe.array.0
                    ),
                )
                .with_primary(span, "wrong number of keys")
                .with_help("name one variable per key: foreach ([a, b] in arr)"),
            );
        }
        let mut keys = Vec::new();
        for (i, (k, ks)) in fe.keys.iter().enumerate() {
            let v = self.lookup_var(cx, k, *ks);
            if matches!(v, VarRef::Global(_)) {
                self.err(Diagnostic::error("E0512", format!("foreach key `{k}` must be a local variable, but a global of that name exists")).with_primary(*ks, "a global").with_help("rename the loop variable"));
            }
            let kt = self.globals[g]
                .keys
                .as_ref()
                .and_then(|v| v.get(i).copied())
                .unwrap_or(Ty::Unknown);
            self.unify_var(v, kt, *ks);
            let lt = self.var_ty(v);
            self.set_key(g, i, n, lt, *ks);
            self.var_mut(v).written = true;
            keys.push(self.local_id(v));
        }
        let value = fe.value.as_ref().map(|(vn, vs)| {
            let v = self.lookup_var(cx, vn, *vs);
            let gt = self.globals[g].v.ty;
            self.unify_var(v, gt, *vs);
            let lt = self.var_ty(v);
            if gt == Ty::Unknown && lt != Ty::Unknown {
                self.unify_var(VarRef::Global(g), lt, *vs);
            }
            self.var_mut(v).written = true;
            self.local_id(v)
        });
        let slice = fe.slice.as_ref().map(|sl| self.array_keys(cx, g, sl, span));
        let limit = fe.limit.as_ref().map(|l| {
            let e = self.expr(cx, l, Ty::Long);
            self.want(e.ty_of(), Ty::Long, l.span, "a foreach limit");
            e
        });
        if let Some((_, agg_span)) = fe.sort_agg {
            let gt = self.globals[g].v.ty;
            if gt != Ty::Unknown && gt != Ty::Stats {
                self.err(
                    Diagnostic::error(
                        "E0501",
                        format!(
                            "sorting by an aggregate needs a statistics array, but `{}` holds {}s",
                            fe.array.0,
                            gt.name()
                        ),
                    )
                    .with_primary(agg_span, "an aggregate sort")
                    .with_help(
                        "sort by the value (`+`/`-` after the array) or fill the array with `<<<`",
                    ),
                );
            }
        }
        let agg = fe.sort_agg.map(|a| a.0);
        let sort = fe.sort.map(|(which, descending)| ir::ForeachSort {
            by: if which == 0 {
                ir::SortBy::Value(agg)
            } else {
                ir::SortBy::Key(which - 1)
            },
            descending,
        });
        cx.loops += 1;
        cx.iterating.push(g);
        let body = self.stmt(cx, &fe.body);
        cx.iterating.pop();
        cx.loops -= 1;
        ir::Stmt {
            kind: ir::StmtKind::Foreach(Box::new(ir::Foreach {
                array: self.gid(g),
                keys,
                value,
                sort,
                limit,
                slice,
                body: Box::new(body),
            })),
            loc,
        }
    }

    fn check_not_iterating(&mut self, cx: &Cx, g: usize, span: Span) {
        if cx.iterating.contains(&g) {
            self.err(
                Diagnostic::error(
                    "E0507",
                    format!(
                        "array `{}` is modified inside a foreach over it",
                        self.globals[g].v.name
                    ),
                )
                .with_primary(span, "modified here")
                .with_help("collect the changes in another array and apply them after the loop"),
            );
        }
    }

    fn delete(&mut self, cx: &mut Cx, e: &Expr) -> ir::StmtKind {
        match &e.kind {
            ExprKind::Name(n) => {
                let v = self.lookup_var(cx, n, e.span);
                self.var_mut(v).written = true;
                match v {
                    VarRef::Global(g) => {
                        self.check_not_iterating(cx, g, e.span);
                        ir::StmtKind::Delete(ir::DeleteTarget::Global(self.gid(g)))
                    }
                    _ => ir::StmtKind::Delete(ir::DeleteTarget::Local(self.local_id(v))),
                }
            }
            ExprKind::Index {
                array,
                array_span,
                keys,
            } => {
                let Some(g) = self.array_global(cx, array, *array_span) else {
                    return ir::StmtKind::Block(ir::Block::default());
                };
                self.check_not_iterating(cx, g, e.span);
                self.globals[g].v.written = true;
                let keys = self.array_keys(cx, g, keys, e.span);
                ir::StmtKind::Delete(ir::DeleteTarget::Element {
                    array: self.gid(g),
                    keys,
                })
            }
            _ => {
                self.err(
                    Diagnostic::error(
                        "E0504",
                        "`delete` needs a variable, an array or an array element",
                    )
                    .with_primary(e.span, "cannot delete this")
                    .with_help("write `delete arr`, `delete arr[k]` or `delete var`"),
                );
                ir::StmtKind::Block(ir::Block::default())
            }
        }
    }

    // ---- expressions ----

    fn lit_long(&self, n: i64, span: Span) -> ir::Expr {
        ir::Expr {
            kind: ir::ExprKind::Literal(ir::Literal::Long(n)),
            ty: Type::Long,
            loc: self.loc(span),
        }
    }

    fn mk(&self, kind: ir::ExprKind, ty: Ty, span: Span) -> ir::Expr {
        ir::Expr {
            kind,
            ty: ty_to_ir(ty),
            loc: self.loc(span),
        }
    }

    fn expr(&mut self, cx: &mut Cx, e: &Expr, expect: Ty) -> ir::Expr {
        let sp = e.span;
        match &e.kind {
            ExprKind::Lit(Lit::Long(n)) => self.lit_long(*n, sp),
            ExprKind::Lit(Lit::Str(s)) => self.mk(
                ir::ExprKind::Literal(ir::Literal::Str(s.clone())),
                Ty::Str,
                sp,
            ),
            ExprKind::Name(n) => {
                let v = self.lookup_var(cx, n, sp);
                if let VarRef::Global(g) = v {
                    self.globals[g].scalar_use.get_or_insert(sp);
                }
                self.var_mut(v).read = true;
                if expect != Ty::Unknown && expect != Ty::Stats {
                    self.unify_var(v, expect, sp);
                }
                let t = self.var_ty(v);
                if let Some(&c) = self.cvar.get(&v) {
                    self.cexpr.insert(sp, c);
                }
                let kind = match v {
                    VarRef::Global(g) => ir::ExprKind::Global(self.gid(g)),
                    _ => ir::ExprKind::Local(self.local_id(v)),
                };
                self.mk(kind, t, sp)
            }
            ExprKind::Index {
                array,
                array_span,
                keys,
            } => {
                let Some(g) = self.array_global(cx, array, *array_span) else {
                    return self.lit_long(0, sp);
                };
                self.globals[g].v.read = true;
                let keys = self.array_keys(cx, g, keys, sp);
                if expect != Ty::Unknown && expect != Ty::Stats {
                    self.unify_var(VarRef::Global(g), expect, sp);
                }
                let t = self.globals[g].v.ty;
                let keys = keys
                    .into_iter()
                    .map(|k| k.unwrap_or_else(|| self.lit_long(0, sp)))
                    .collect();
                self.mk(
                    ir::ExprKind::Element {
                        array: self.gid(g),
                        keys,
                    },
                    t,
                    sp,
                )
            }
            ExprKind::In {
                keys,
                array,
                array_span,
            } => {
                let Some(g) = self.array_global(cx, array, *array_span) else {
                    return self.lit_long(0, sp);
                };
                self.globals[g].v.read = true;
                let keys = self.array_keys(cx, g, keys, sp);
                self.mk(
                    ir::ExprKind::In {
                        array: self.gid(g),
                        keys,
                    },
                    Ty::Long,
                    sp,
                )
            }
            ExprKind::Binary { op, lhs, rhs } => self.binary(cx, *op, lhs, rhs, sp),
            ExprKind::Unary { op, operand } => {
                let x = self.expr(cx, operand, Ty::Long);
                self.want(
                    x.ty_of(),
                    Ty::Long,
                    operand.span,
                    "an operand of a unary operator",
                );
                self.mk(
                    ir::ExprKind::Unary {
                        op: *op,
                        operand: Box::new(x),
                    },
                    Ty::Long,
                    sp,
                )
            }
            ExprKind::Ternary { cond, then, els } => {
                if let Some(b) = self.defined_value(cx, cond) {
                    // `@defined(x) ? a : b`: only the live arm is elaborated.
                    return self.expr(cx, if b { then } else { els }, expect);
                }
                let c = self.cond(cx, cond);
                let mut t = self.expr(cx, then, expect);
                let mut f = self.expr(cx, els, expect);
                if t.ty_of() == Ty::Unknown && f.ty_of() != Ty::Unknown {
                    t = self.expr(cx, then, f.ty_of());
                } else if f.ty_of() == Ty::Unknown && t.ty_of() != Ty::Unknown {
                    f = self.expr(cx, els, t.ty_of());
                }
                let ty = if t.ty_of() != Ty::Unknown {
                    t.ty_of()
                } else {
                    f.ty_of()
                };
                if let Some(&c) = self
                    .cexpr
                    .get(&then.span)
                    .or_else(|| self.cexpr.get(&els.span))
                {
                    self.cexpr.insert(sp, c);
                }
                self.want(f.ty_of(), t.ty_of(), els.span, "both arms of `?:`");
                self.mk(
                    ir::ExprKind::Ternary {
                        cond: Box::new(c),
                        then: Box::new(t),
                        els: Box::new(f),
                    },
                    ty,
                    sp,
                )
            }
            ExprKind::Assign { op, target, value } => {
                self.assign(cx, *op, target, value, expect, sp)
            }
            ExprKind::IncDec {
                target,
                increment,
                prefix,
            } => {
                let lv = self.lvalue(cx, target, Ty::Long, false);
                self.mk(
                    ir::ExprKind::IncDec {
                        target: lv,
                        increment: *increment,
                        prefix: *prefix,
                    },
                    Ty::Long,
                    sp,
                )
            }
            ExprKind::Aggregate { target, value } => {
                let v = self.expr(cx, value, Ty::Long);
                self.want(v.ty_of(), Ty::Long, value.span, "a value added with <<<");
                let lv = self.lvalue(cx, target, Ty::Stats, false);
                self.mk(
                    ir::ExprKind::Aggregate {
                        target: lv,
                        value: Box::new(v),
                    },
                    Ty::Long,
                    sp,
                )
            }
            ExprKind::StatOp { op, of } => {
                let lv = self.stat_ref(cx, of);
                self.mk(ir::ExprKind::StatQuery { op: *op, of: lv }, Ty::Long, sp)
            }
            ExprKind::Hist { kind, of, bucket } => {
                let lv = self.stat_ref(cx, of);
                let kind = match kind {
                    HistKindH::Log => ir::HistKind::Log,
                    HistKindH::Linear(a, b, c) => {
                        let mut lit = |x: &Expr| match &x.kind {
                            ExprKind::Lit(Lit::Long(n)) => *n,
                            ExprKind::Unary {
                                op: ir::UnOp::Neg,
                                operand,
                            } => match &operand.kind {
                                ExprKind::Lit(Lit::Long(n)) => -*n,
                                _ => {
                                    self.hist_lit_err(x.span);
                                    0
                                }
                            },
                            _ => {
                                self.hist_lit_err(x.span);
                                0
                            }
                        };
                        let (low, high, width) = (lit(a), lit(b), lit(c));
                        // SystemTap accepts low == high: one interior bucket.
                        if width <= 0 || high < low {
                            self.err(
                                Diagnostic::error("E0505", "@hist_linear needs low <= high and a positive width")
                                    .with_primary(sp, "bad histogram bounds")
                                    .with_help("write @hist_linear(v, LOW, HIGH, WIDTH) with LOW <= HIGH and WIDTH > 0"),
                            );
                        }
                        ir::HistKind::Linear { low, high, width }
                    }
                };
                match bucket {
                    Some(b) => {
                        let be = self.expr(cx, b, Ty::Long);
                        self.want(be.ty_of(), Ty::Long, b.span, "a histogram bucket");
                        self.mk(
                            ir::ExprKind::HistBucket {
                                kind,
                                of: lv,
                                bucket: Box::new(be),
                            },
                            Ty::Long,
                            sp,
                        )
                    }
                    None => ir::Expr {
                        kind: ir::ExprKind::Hist { kind, of: lv },
                        ty: Type::Void,
                        loc: self.loc(sp),
                    },
                }
            }
            ExprKind::Call {
                name,
                name_span,
                args,
            } => self.call(cx, name, *name_span, args, sp, expect),
            ExprKind::Print { name, args } => self.print(cx, name, args, sp),
            ExprKind::Target(t) => self.target(cx, t, sp),
            ExprKind::Entry(x) => {
                let is_ret = matches!(&cx.point, Some(p) if matches!(p.resolved.ctx, PointCtx::Function { is_return: true, .. }));
                if !is_ret {
                    self.err(
                        Diagnostic::error("E0414", "@entry is only meaningful in a .return probe")
                            .with_primary(sp, "not in a .return probe")
                            .with_help(
                                "use the expression directly, or probe kernel.function(...).return",
                            ),
                    );
                }
                let inner = self.expr(cx, x, expect);
                let t = inner.ty_of();
                self.mk(ir::ExprKind::Entry(Box::new(inner)), t, sp)
            }
            ExprKind::Defined(x) => {
                let saved = (self.report, std::mem::take(&mut self.diags));
                self.report = true;
                let inner = self.expr(cx, x, Ty::Unknown);
                // A whole struct (`$p->rcu`, not `&$p->rcu`) is no value.
                let aggregate = matches!(&x.kind, ExprKind::Target(t) if !t.address_of && t.pretty.is_none())
                    && matches!(&inner.kind, ir::ExprKind::Target(te) if te.ty.kind == ir::CTypeKind::Struct && te.convert == ir::TargetConvert::Address);
                let bad = aggregate || self.diags.iter().any(|d| d.is_error());
                self.report = saved.0;
                self.diags = saved.1;
                self.lit_long(i64::from(!bad), sp)
            }
            ExprKind::Embedded(code) => {
                if cx.file == self.env.script && !self.env.guru {
                    self.err(
                        Diagnostic::error("E0515", "embedded C in a script requires guru mode")
                            .with_primary(sp, "an embedded-C expression")
                            .with_help("run with -g (guru mode) to allow embedded C"),
                    );
                }
                self.mk(ir::ExprKind::EmbeddedC { code: code.clone() }, Ty::Long, sp)
            }
            ExprKind::Unsupported(what) => {
                self.err(
                    Diagnostic::error("E0599", format!("{what} is not supported by xstap yet"))
                        .with_primary(sp, "not supported")
                        .with_help("rewrite the script without it, or report the need"),
                );
                self.lit_long(0, sp)
            }
        }
    }

    /// The constant value of `@defined(x)` / `!@defined(x)`, else `None`.
    fn defined_value(&mut self, cx: &mut Cx, e: &Expr) -> Option<bool> {
        match &e.kind {
            ExprKind::Defined(_) => match self.expr(cx, e, Ty::Long).kind {
                ir::ExprKind::Literal(ir::Literal::Long(v)) => Some(v != 0),
                _ => None,
            },
            ExprKind::Unary {
                op: ir::UnOp::Not,
                operand,
            } => self.defined_value(cx, operand).map(|b| !b),
            _ => None,
        }
    }

    /// `x = pure` in a library file where the probe never reads `x`.
    fn dead_library_store(&self, cx: &Cx, e: &Expr) -> bool {
        if e.span.file == self.env.script || cx.func.is_some() {
            return false;
        }
        let ExprKind::Assign {
            op: AssignOpH::Set,
            target,
            value,
        } = &e.kind
        else {
            return false;
        };
        let ExprKind::Name(n) = &target.kind else {
            return false;
        };
        if self.r.global_by_name.contains_key(&(cx.file, n.clone())) {
            return false;
        }
        let unread = self.probes[cx.probe]
            .iter()
            .any(|l| &l.name == n && !l.read);
        unread && self.is_pure(cx, value)
    }

    /// Whether an expression statement has no effect (and may be elided).
    fn is_pure(&self, cx: &Cx, e: &Expr) -> bool {
        let mut pure = true;
        walk_expr(e, &mut |x| match &x.kind {
            ExprKind::Assign { .. }
            | ExprKind::IncDec { .. }
            | ExprKind::Aggregate { .. }
            | ExprKind::Print { .. }
            | ExprKind::Embedded(_)
            | ExprKind::Unsupported(_) => pure = false,
            ExprKind::Call { name, args, .. } => {
                let p = self
                    .r
                    .func_by_name
                    .get(&(cx.file, crate::elab::call_key(name, args.len())))
                    .map(|&f| {
                        matches!(
                            self.r.functions[f].decl.body,
                            FuncBody::Embedded { pure: true, .. }
                        )
                    })
                    .unwrap_or(false);
                if !p {
                    pure = false;
                }
            }
            _ => {}
        });
        pure
    }

    /// Probe conditions may only read globals (they run before the handler).
    fn condition_uses_globals(&mut self, c: &Expr) {
        let mut bad = Vec::new();
        walk_expr(c, &mut |x| {
            if let ExprKind::Name(n) = &x.kind {
                if !self
                    .r
                    .global_by_name
                    .contains_key(&(x.span.file, n.clone()))
                {
                    bad.push((n.clone(), x.span));
                }
            }
        });
        for (n, sp) in bad {
            self.err(
                Diagnostic::error("E0517", format!("probe condition uses `{n}`, which is not a global"))
                    .with_primary(sp, "not a global")
                    .with_help(format!("conditions are evaluated outside the handler: declare `global {n}` and set it elsewhere")),
            );
        }
    }

    fn hist_lit_err(&mut self, span: Span) {
        self.err(
            Diagnostic::error("E0505", "@hist_linear bounds must be literal numbers")
                .with_primary(span, "not a literal")
                .with_help(
                    "the histogram layout is fixed at compile time: write the numbers themselves",
                ),
        );
    }

    fn stat_ref(&mut self, cx: &mut Cx, of: &Expr) -> ir::LValue {
        self.lvalue(cx, of, Ty::Stats, true)
    }

    fn binary(&mut self, cx: &mut Cx, op: BinOpH, lhs: &Expr, rhs: &Expr, sp: Span) -> ir::Expr {
        match op {
            BinOpH::Arith(o) => {
                let l = self.expr(cx, lhs, Ty::Long);
                let r = self.expr(cx, rhs, Ty::Long);
                self.want(l.ty_of(), Ty::Long, lhs.span, "an arithmetic operand");
                self.want(r.ty_of(), Ty::Long, rhs.span, "an arithmetic operand");
                self.mk(
                    ir::ExprKind::Binary {
                        op: o,
                        lhs: Box::new(l),
                        rhs: Box::new(r),
                    },
                    Ty::Long,
                    sp,
                )
            }
            BinOpH::Cmp(o) => {
                let mut l = self.expr(cx, lhs, Ty::Unknown);
                let r = self.expr(cx, rhs, l.ty_of());
                if l.ty_of() == Ty::Unknown && r.ty_of() != Ty::Unknown {
                    l = self.expr(cx, lhs, r.ty_of());
                }
                if l.ty_of() == Ty::Stats || r.ty_of() == Ty::Stats {
                    self.err(
                        Diagnostic::error("E0501", "statistics cannot be compared")
                            .with_primary(sp, "a stats value")
                            .with_help("compare @count(...) or another extractor"),
                    );
                }
                self.want(r.ty_of(), l.ty_of(), rhs.span, "both sides of a comparison");
                self.mk(
                    ir::ExprKind::Compare {
                        op: o,
                        lhs: Box::new(l),
                        rhs: Box::new(r),
                    },
                    Ty::Long,
                    sp,
                )
            }
            BinOpH::And | BinOpH::Or => {
                let l = self.cond(cx, lhs);
                let r = self.cond(cx, rhs);
                self.mk(
                    ir::ExprKind::Logical {
                        and: op == BinOpH::And,
                        lhs: Box::new(l),
                        rhs: Box::new(r),
                    },
                    Ty::Long,
                    sp,
                )
            }
            BinOpH::Concat => {
                let l = self.expr(cx, lhs, Ty::Str);
                let r = self.expr(cx, rhs, Ty::Str);
                self.want(l.ty_of(), Ty::Str, lhs.span, "an operand of `.`");
                self.want(r.ty_of(), Ty::Str, rhs.span, "an operand of `.`");
                self.mk(
                    ir::ExprKind::Concat {
                        lhs: Box::new(l),
                        rhs: Box::new(r),
                    },
                    Ty::Str,
                    sp,
                )
            }
            BinOpH::RegexMatch | BinOpH::RegexNoMatch => {
                let l = self.expr(cx, lhs, Ty::Str);
                self.want(l.ty_of(), Ty::Str, lhs.span, "the subject of =~");
                let regex = match &rhs.kind {
                    ExprKind::Lit(Lit::Str(s)) => s.clone(),
                    _ => {
                        self.err(
                            Diagnostic::error(
                                "E0506",
                                "the right side of =~ must be a literal string",
                            )
                            .with_primary(rhs.span, "not a literal")
                            .with_help("regular expressions are compiled at translation time"),
                        );
                        String::new()
                    }
                };
                self.mk(
                    ir::ExprKind::Regex {
                        subject: Box::new(l),
                        regex,
                        negate: op == BinOpH::RegexNoMatch,
                    },
                    Ty::Long,
                    sp,
                )
            }
        }
    }

    fn assign(
        &mut self,
        cx: &mut Cx,
        op: AssignOpH,
        target: &Expr,
        value: &Expr,
        expect: Ty,
        sp: Span,
    ) -> ir::Expr {
        let (want, irop) = match op {
            AssignOpH::Set => (Ty::Unknown, ir::AssignOp::Set),
            AssignOpH::Bin(b) => (Ty::Long, ir::AssignOp::Bin(b)),
            AssignOpH::Concat => (Ty::Str, ir::AssignOp::Concat),
        };
        // Peek at the target's current type to guide the value.
        let tt = self.peek_type(cx, target);
        let guide = if want != Ty::Unknown {
            want
        } else if tt != Ty::Unknown {
            tt
        } else {
            expect
        };
        let v = self.expr(cx, value, guide);
        let vt = v.ty_of();
        if vt == Ty::Stats {
            self.err(
                Diagnostic::error("E0501", "statistics cannot be assigned")
                    .with_primary(value.span, "a stats value")
                    .with_help(
                        "add values with `<<<`; read them with @count, @sum, @min, @max, @avg",
                    ),
            );
        }
        if want != Ty::Unknown {
            self.want(
                vt,
                want,
                value.span,
                "the value of this compound assignment",
            );
        }
        let ty = if want != Ty::Unknown { want } else { vt };
        if let (Some(&c), ExprKind::Name(n)) = (self.cexpr.get(&value.span), &target.kind) {
            let v = self.lookup_var(cx, n, target.span);
            // Like stap, a C type travels through locals only, never globals;
            // a local assigned different types (or the same type from
            // different @cast modules) has none.
            let src = self
                .cmod
                .get(&value.span)
                .cloned()
                .flatten()
                .filter(|m| m != "kernel");
            if !matches!(v, VarRef::Global(_)) {
                let clash = self.cvar.get(&v).is_some_and(|&p| p != c)
                    || self.cvar_src.get(&v).is_some_and(|p| *p != src);
                if clash || self.cvar_bad.contains(&v) {
                    self.cvar_bad.insert(v);
                    if self.cvar.remove(&v).is_some() {
                        self.changed = true;
                    }
                } else if self.cvar.insert(v, c) != Some(c) {
                    self.cvar_src.insert(v, src);
                    self.changed = true;
                }
            }
            self.cexpr.insert(sp, c);
        }
        let lv = self.lvalue(
            cx,
            target,
            if ty == Ty::Stats { Ty::Unknown } else { ty },
            false,
        );
        let res_ty = if ty == Ty::Unknown {
            self.peek_type(cx, target)
        } else {
            ty
        };
        self.mk(
            ir::ExprKind::Assign {
                target: lv,
                op: irop,
                value: Box::new(v),
            },
            res_ty,
            sp,
        )
    }

    fn peek_type(&mut self, cx: &Cx, target: &Expr) -> Ty {
        match &target.kind {
            ExprKind::Name(n) => {
                if let Some(f) = cx.func {
                    if let Some(l) = self.funcs[f].locals.iter().find(|l| &l.name == n) {
                        return l.ty;
                    }
                }
                if let Some(&g) = self.r.global_by_name.get(&(cx.file, n.clone())) {
                    return self.globals[g].v.ty;
                }
                if cx.func.is_none() {
                    if let Some(l) = self.probes[cx.probe].iter().find(|l| &l.name == n) {
                        return l.ty;
                    }
                }
                Ty::Unknown
            }
            ExprKind::Index { array, .. } => {
                match self.r.global_by_name.get(&(cx.file, array.clone())) {
                    Some(&g) => self.globals[g].v.ty,
                    None => Ty::Unknown,
                }
            }
            _ => Ty::Unknown,
        }
    }

    /// An assignable place; `ty` is merged into its type. `stat_read` is for
    /// `@count(x)` and histograms (a read of a stats value).
    fn lvalue(&mut self, cx: &mut Cx, target: &Expr, ty: Ty, stat_read: bool) -> ir::LValue {
        match &target.kind {
            ExprKind::Name(n) => {
                let v = self.lookup_var(cx, n, target.span);
                if stat_read {
                    self.var_mut(v).read = true;
                } else {
                    self.var_mut(v).written = true;
                }
                if let VarRef::Global(g) = v {
                    self.globals[g].scalar_use.get_or_insert(target.span);
                    if !stat_read {
                        self.check_not_iterating(cx, g, target.span);
                    }
                }
                self.unify_var(v, ty, target.span);
                match v {
                    VarRef::Global(g) => ir::LValue::Global(self.gid(g)),
                    _ => ir::LValue::Local(self.local_id(v)),
                }
            }
            ExprKind::Index {
                array,
                array_span,
                keys,
            } => {
                let Some(g) = self.array_global(cx, array, *array_span) else {
                    return ir::LValue::Local(LocalId(0));
                };
                if stat_read {
                    self.globals[g].v.read = true;
                } else {
                    self.globals[g].v.written = true;
                    self.check_not_iterating(cx, g, target.span);
                }
                let keys = self.array_keys(cx, g, keys, target.span);
                self.unify_var(VarRef::Global(g), ty, target.span);
                let keys = keys
                    .into_iter()
                    .map(|k| k.unwrap_or_else(|| self.lit_long(0, target.span)))
                    .collect();
                ir::LValue::Element {
                    array: self.gid(g),
                    keys,
                }
            }
            ExprKind::Target(t) if !stat_read => {
                if let Some(v) = self.procfs_value(cx, t, target.span) {
                    if matches!(&cx.point, Some(p) if matches!(p.resolved.ctx, PointCtx::Procfs { write: true }))
                    {
                        self.err(
                            Diagnostic::error("E0504", "`$value` cannot be assigned to in a procfs write probe")
                                .with_primary(target.span, "read-only here")
                                .with_help("a write probe reads what was written from `$value`; set `$value` in a `.read` probe"),
                        );
                    }
                    return ir::LValue::Local(self.local_id(v));
                }
                if t.pretty.is_some() || t.address_of {
                    self.err(
                        Diagnostic::error("E0504", "a pretty-printed or address-of target expression cannot be assigned to")
                            .with_primary(target.span, "not assignable")
                            .with_help("assign to the member itself, without `$`, `$$` or `&`"),
                    );
                    return ir::LValue::Local(LocalId(0));
                }
                if !self.env.guru {
                    self.err(
                        Diagnostic::error(
                            "E0513",
                            "writing to a target variable requires guru mode",
                        )
                        .with_primary(target.span, "assigned here")
                        .with_help(
                            "run with -g (guru mode) if you really mean to change kernel data",
                        ),
                    );
                }
                let e = self.target(cx, t, target.span);
                match e.kind {
                    // Of a netfilter hook's variables only the verdict is a
                    // place (slot 4); memory behind `$skb->...` is too.
                    ir::ExprKind::Target(te)
                        if matches!(te.base, ir::TargetBase::TracepointArg(n) if n != 4)
                            && te.path.is_empty()
                            && matches!(&cx.point, Some(p) if matches!(p.resolved.kind, ir::PointKind::Netfilter { .. })) =>
                    {
                        self.err(
                            Diagnostic::error("E0504", "only `$verdict` of a netfilter hook's variables can be assigned to")
                                .with_primary(target.span, "read-only here")
                                .with_help("set `$verdict` (e.g. 0 for NF_DROP, 1 for NF_ACCEPT), or write through a pointer (`$skb->mark = 1`)"),
                        );
                        ir::LValue::Local(LocalId(0))
                    }
                    ir::ExprKind::Target(te) => ir::LValue::Target(te),
                    _ => ir::LValue::Local(LocalId(0)),
                }
            }
            _ => {
                self.err(
                    Diagnostic::error(
                        "E0504",
                        if stat_read {
                            "statistics operators need a stats variable or array element"
                        } else {
                            "this expression cannot be assigned to"
                        },
                    )
                    .with_primary(target.span, "not a variable or array element")
                    .with_help(
                        "assign to a variable (`x = ...`) or an array element (`a[k] = ...`)",
                    ),
                );
                let _ = self.expr(cx, target, Ty::Unknown);
                ir::LValue::Local(LocalId(0))
            }
        }
    }

    /// `$value` in a procfs probe: the probe's string local `$value` (see
    /// [`ir::PointKind::Procfs`]), marked read and written so that neither
    /// a read probe (which only sets it) nor a write probe warns.
    fn procfs_value(&mut self, cx: &Cx, t: &crate::hir::TargetHir, sp: Span) -> Option<VarRef> {
        let is_procfs =
            matches!(&cx.point, Some(p) if matches!(p.resolved.ctx, PointCtx::Procfs { .. }));
        let plain = matches!(&t.base, TargetBaseH::Var(n) if n == "value")
            && t.path.is_empty()
            && t.pretty.is_none()
            && !t.address_of;
        if !is_procfs || !plain || cx.func.is_some() {
            return None;
        }
        let v = self.lookup_var(cx, "$value", sp);
        self.var_mut(v).read = true;
        self.var_mut(v).written = true;
        self.unify_var(v, Ty::Str, sp);
        Some(v)
    }

    fn call(
        &mut self,
        cx: &mut Cx,
        name: &str,
        name_span: Span,
        args: &[Expr],
        sp: Span,
        expect: Ty,
    ) -> ir::Expr {
        let Some(&fi) = self
            .r
            .func_by_name
            .get(&(cx.file, crate::elab::call_key(name, args.len())))
        else {
            let cands = self
                .r
                .func_by_name
                .keys()
                .map(|(_, n)| n.split('/').next().unwrap_or(n).to_string())
                .collect::<Vec<_>>();
            let mut d = Diagnostic::error("E0401", format!("unknown function `{name}`"))
                .with_primary(name_span, "not defined in the script or the tapset library");
            let known = self.r.known_functions.iter().cloned();
            // The print family is syntax, not functions, but a misspelt
            // `printlnn(...)` means one of them.
            let prints = syntax::PRINT_FUNCTIONS.iter().map(|p| p.to_string());
            if let Some(s) =
                crate::elab::best_match(name, cands.into_iter().chain(known).chain(prints))
            {
                d = d.with_note(format!("did you mean `{s}`?"));
            }
            self.err(d.with_help(
                "define it with `function NAME(...) { ... }`, or check the tapset reference",
            ));
            for a in args {
                let _ = self.expr(cx, a, Ty::Unknown);
            }
            return self.lit_long(0, sp);
        };
        for &g in &cx.iterating {
            if self.writes.get(fi).is_some_and(|w| w.contains(&g)) {
                self.err(
                    Diagnostic::error(
                        "E0507",
                        format!(
                            "`{name}` modifies array `{}`, which an enclosing foreach iterates",
                            self.globals[g].v.name
                        ),
                    )
                    .with_primary(sp, "called inside the loop")
                    .with_help("collect the changes and apply them after the loop"),
                );
            }
        }
        // A tapset function marked `/* guru */` (it writes kernel memory or
        // does something else only guru mode allows) may be called by the
        // user's script only with -g.
        if cx.file == self.env.script && !self.env.guru {
            if let FuncBody::Embedded { code, .. } = &self.r.functions[fi].decl.body {
                if code.contains("/* guru */") {
                    self.err(
                        Diagnostic::error("E0523", format!("`{name}` requires guru mode"))
                            .with_primary(name_span, "a guru-only tapset function")
                            .with_secondary(
                                self.r.functions[fi].decl.span,
                                "marked `/* guru */` here",
                            )
                            .with_help("run with -g (guru mode) if you trust what it does"),
                    );
                }
            }
        }
        let np = self.funcs[fi].nparams;
        if args.len() != np {
            self.err(
                Diagnostic::error(
                    "E0408",
                    format!(
                        "`{name}` takes {np} argument(s) but {} were given",
                        args.len()
                    ),
                )
                .with_primary(sp, "wrong number of arguments")
                .with_secondary(self.r.functions[fi].decl.span, "defined here")
                .with_help("pass one value per parameter"),
            );
        }
        let mut out = Vec::new();
        for (i, a) in args.iter().enumerate() {
            let pt = if i < np {
                self.funcs[fi].locals[i].ty
            } else {
                Ty::Unknown
            };
            let e = self.expr(cx, a, pt);
            let at = e.ty_of();
            if at == Ty::Stats {
                self.err(
                    Diagnostic::error("E0501", "statistics cannot be passed to functions")
                        .with_primary(a.span, "a stats value")
                        .with_help("pass @count(...) or another extractor"),
                );
            } else if i < np {
                self.unify_var(VarRef::FnLocal(fi, i), at, a.span);
            }
            out.push(e);
        }
        // Like stap, a function whose return type is still unknown takes the
        // type its call's context expects (an embedded-C function passed
        // as a string argument returns a string).
        if self.funcs[fi].ret == Ty::Unknown && matches!(expect, Ty::Long | Ty::Str) {
            let ft = &mut self.funcs[fi];
            ft.ret = expect;
            ft.ret_first = Some(sp);
            self.changed = true;
        }
        let ret = self.funcs[fi].ret;
        if let Some(&c) = self.cret.get(&fi).filter(|_| !self.cret_bad.contains(&fi)) {
            self.cexpr.insert(sp, c);
        }
        let fid = self.fid.get(&fi).copied().unwrap_or(ir::FuncId(u32::MAX));
        let ty = if ret == Ty::Unknown {
            Type::Void
        } else {
            ret.ir()
        };
        ir::Expr {
            kind: ir::ExprKind::Call {
                func: fid,
                args: out,
            },
            ty,
            loc: self.loc(sp),
        }
    }

    fn print(&mut self, cx: &mut Cx, name: &str, args: &[Expr], sp: Span) -> ir::Expr {
        let sprint = name.starts_with('s');
        let base = if sprint { &name[1..] } else { name };
        let kind = if sprint {
            ir::PrintKind::Sprint
        } else {
            ir::PrintKind::Print
        };
        let ty = if sprint { Type::String } else { Type::Void };
        let mut rest = args;
        let format = match base {
            "print" => ir::PrintFormat::Plain { newline: false },
            "println" => ir::PrintFormat::Plain { newline: true },
            "printf" | "printd" | "printdln" => {
                let Some((first, r)) = args.split_first() else {
                    self.err(
                        Diagnostic::error(
                            "E0509",
                            format!("{name} needs a format or delimiter string"),
                        )
                        .with_primary(sp, "no arguments")
                        .with_help(format!("write {name}(\"...\", ...)")),
                    );
                    return ir::Expr {
                        kind: ir::ExprKind::Literal(ir::Literal::Long(0)),
                        ty,
                        loc: self.loc(sp),
                    };
                };
                rest = r;
                let lit = match &first.kind {
                    ExprKind::Lit(Lit::Str(s)) => Some(s.clone()),
                    _ => None,
                };
                let Some(lit) = lit else {
                    self.err(
                        Diagnostic::error(
                            "E0509",
                            format!("the first argument of {name} must be a literal string"),
                        )
                        .with_primary(first.span, "not a literal")
                        .with_help("formats are checked at compile time: write the string itself"),
                    );
                    return ir::Expr {
                        kind: ir::ExprKind::Literal(ir::Literal::Long(0)),
                        ty,
                        loc: self.loc(sp),
                    };
                };
                if base == "printf" {
                    match parse_format(&lit) {
                        Ok(p) => ir::PrintFormat::Format(p),
                        Err(m) => {
                            self.err(Diagnostic::error("E0509", format!("bad format string: {m}")).with_primary(first.span, "in this format").with_help("see the printf reference: %d %s %x %p %c %%, with flags, width and precision"));
                            ir::PrintFormat::Format(Vec::new())
                        }
                    }
                } else {
                    ir::PrintFormat::Delimited {
                        delim: lit,
                        newline: base == "printdln",
                    }
                }
            }
            _ => ir::PrintFormat::Plain { newline: false },
        };
        let mut wants: Option<Vec<Ty>> = None;
        if let ir::PrintFormat::Format(pieces) = &format {
            let mut w = Vec::new();
            for p in pieces {
                if let ir::FormatPiece::Conv(c) = p {
                    if c.width == Some(-1) {
                        w.push(Ty::Long);
                    }
                    if c.precision == Some(-1) {
                        w.push(Ty::Long);
                    }
                    match c.conv {
                        '%' => {}
                        's' => w.push(Ty::Str),
                        'm' | 'M' => w.push(Ty::Unknown),
                        _ => w.push(Ty::Long),
                    }
                }
            }
            if w.len() != rest.len() {
                self.err(
                    Diagnostic::error(
                        "E0509",
                        format!(
                            "the format wants {} argument(s) but {} were given",
                            w.len(),
                            rest.len()
                        ),
                    )
                    .with_primary(sp, "argument count does not match the format")
                    .with_help("give one argument per conversion (and one per `*`)"),
                );
            }
            wants = Some(w);
        }
        let mut out = Vec::new();
        for (i, a) in rest.iter().enumerate() {
            let want = wants
                .as_ref()
                .and_then(|w| w.get(i).copied())
                .unwrap_or(Ty::Unknown);
            let e = self.expr(cx, a, want);
            let at = e.ty_of();
            let is_hist = matches!(e.kind, ir::ExprKind::Hist { .. });
            if at == Ty::Stats {
                self.err(
                    Diagnostic::error("E0501", "statistics cannot be printed directly")
                        .with_primary(a.span, "a stats value")
                        .with_help("print @count(x), @sum(x), ... or @hist_log(x)"),
                );
            }
            if is_hist && wants.is_some() {
                self.err(
                    Diagnostic::error("E0509", "histograms can only be printed with print/println")
                        .with_primary(a.span, "a histogram")
                        .with_help("write print(@hist_log(x))"),
                );
            }
            if let Some(w) = &wants {
                if let Some(&wt) = w.get(i) {
                    if wt != Ty::Unknown && at != Ty::Unknown && at != wt && !is_hist {
                        self.err(
                            Diagnostic::error(
                                "E0509",
                                format!(
                                    "format conversion wants a {} but the argument is a {}",
                                    wt.name(),
                                    at.name()
                                ),
                            )
                            .with_primary(a.span, format!("a {}", at.name()))
                            .with_help(if wt == Ty::Str {
                                "use %d for numbers"
                            } else {
                                "use %s for strings"
                            }),
                        );
                    }
                }
            }
            out.push(e);
        }
        ir::Expr {
            kind: ir::ExprKind::Print {
                kind,
                format,
                args: out,
            },
            ty,
            loc: self.loc(sp),
        }
    }

    // ---- target variables ----

    fn target(&mut self, cx: &mut Cx, t: &TargetHir, sp: Span) -> ir::Expr {
        let tables = self.env.tables;
        let ptr = kernel::Arch::normalize(self.env.arch).pointer_size();
        let mut path = Vec::new();
        for s in &t.path {
            match s {
                TargetStepH::Field(n, _) => path.push(PathStep::Field(n.as_str())),
                TargetStepH::Index(i) => {
                    let e = self.expr(cx, i, Ty::Long);
                    self.want(e.ty_of(), Ty::Long, i.span, "an index");
                    path.push(PathStep::Index(e));
                }
            }
        }
        let (base, start, start_is_pointee) = match &t.base {
            TargetBaseH::Cast { expr, ty, module } => {
                self.cmod.insert(sp, module.clone());
                let a = self.expr(cx, expr, Ty::Long);
                self.want(a.ty_of(), Ty::Long, expr.span, "the address given to @cast");
                match points::find_cast_type(tables, ty) {
                    Some(id) => (ir::TargetBase::Address(Box::new(a)), id, true),
                    None => {
                        self.err(
                            Diagnostic::error("E0413", format!("type `{ty}` is not in the target kernel's BTF"))
                                .with_primary(sp, "unknown type")
                                .with_help("name a struct, union or typedef the kernel defines, e.g. \"task_struct\""),
                        );
                        return self.lit_long(0, sp);
                    }
                }
            }
            TargetBaseH::Expr(e) => {
                let a = self.expr(cx, e, Ty::Long);
                self.want(a.ty_of(), Ty::Long, e.span, "an autocast value");
                match self.cexpr.get(&e.span).copied() {
                    Some(pointee) => (ir::TargetBase::Address(Box::new(a)), pointee, true),
                    None => {
                        // Known only after more inference rounds; a final
                        // walk without a type is an error.
                        self.err(
                            Diagnostic::error("E0418", "the C type of this value is unknown, so `->` cannot be resolved")
                                .with_primary(e.span, "a plain number here")
                                .with_help("use @cast(value, \"struct_name\")->member to give the value a type"),
                        );
                        return self.lit_long(0, sp);
                    }
                }
            }
            TargetBaseH::AtVar(n) => {
                self.err(
                    Diagnostic::error("E0412", format!("@var(\"{n}\") needs DWARF debug information"))
                        .with_primary(sp, "not available from BTF")
                        .with_help("BTF describes types and function parameters, not variables; use $param or @cast"),
                );
                return self.lit_long(0, sp);
            }
            TargetBaseH::Var(name) => {
                if let Some(v) = self.procfs_value(cx, t, sp) {
                    let id = self.local_id(v);
                    return self.mk(ir::ExprKind::Local(id), Ty::Str, sp);
                }
                let Some(point) = cx.point.clone() else {
                    self.err(
                        Diagnostic::error(
                            "E0410",
                            format!("target variable `${name}` used outside of a probe"),
                        )
                        .with_primary(sp, "in a function")
                        .with_help("pass the value from the probe as a function argument"),
                    );
                    return self.lit_long(0, sp);
                };
                let pp = point.resolved.pp.clone();
                match &point.resolved.ctx {
                    PointCtx::None
                        if matches!(point.resolved.kind, ir::PointKind::Netfilter { .. }) =>
                    {
                        match points::netfilter_var(tables, name) {
                            Some(v) => v,
                            None => {
                                self.err(
                                    Diagnostic::error(
                                        "E0409",
                                        format!("unknown target variable `${name}` in `{pp}`"),
                                    )
                                    .with_primary(sp, "not a netfilter hook variable")
                                    .with_help(format!("available: {}", points::NETFILTER_VARS)),
                                );
                                return self.lit_long(0, sp);
                            }
                        }
                    }
                    PointCtx::None | PointCtx::Procfs { .. } => {
                        self.err(
                            Diagnostic::error("E0410", format!("target variable `${name}` is not available in `{pp}`"))
                                .with_primary(sp, "no target variables here")
                                .with_help("target variables exist in kernel.function, kprobe.function and kernel.trace probes"),
                        );
                        return self.lit_long(0, sp);
                    }
                    PointCtx::Function {
                        params,
                        ret,
                        is_return,
                        ..
                    } => {
                        if name.starts_with('$') {
                            return self
                                .all_vars(cx, name, params, *ret, *is_return, t.pretty, sp, false);
                        }
                        if name == "return" {
                            if !*is_return || ret.0 == 0 {
                                self.err(
                                    Diagnostic::error("E0409", format!("`$return` is not available in `{pp}`"))
                                        .with_primary(sp, if *is_return { "the function returns void" } else { "not a .return probe" })
                                        .with_help("use kernel.function(\"NAME\").return to read the return value"),
                                );
                                return self.lit_long(0, sp);
                            }
                            (ir::TargetBase::Return, *ret, false)
                        } else {
                            match params.iter().position(|p| &p.name == name) {
                                Some(i) => (ir::TargetBase::Param(i as u32), params[i].ty, false),
                                None => {
                                    let names: Vec<String> =
                                        params.iter().map(|p| format!("${}", p.name)).collect();
                                    self.err(
                                        Diagnostic::error(
                                            "E0409",
                                            format!("unknown target variable `${name}` in `{pp}`"),
                                        )
                                        .with_primary(sp, "no such parameter")
                                        .with_help(
                                            if names.is_empty() {
                                                "this function has no parameters".to_string()
                                            } else {
                                                format!("available: {}", names.join(" "))
                                            },
                                        ),
                                    );
                                    return self.lit_long(0, sp);
                                }
                            }
                        }
                    }
                    PointCtx::Tracepoint { args } => {
                        if name.starts_with('$') {
                            return self.all_vars(
                                cx,
                                name,
                                args,
                                kernel::TypeId(0),
                                false,
                                t.pretty,
                                sp,
                                true,
                            );
                        }
                        match args.iter().position(|p| &p.name == name) {
                            Some(i) => (ir::TargetBase::TracepointArg(i as u32), args[i].ty, false),
                            None => {
                                let names: Vec<String> =
                                    args.iter().map(|p| format!("${}", p.name)).collect();
                                self.err(
                                    Diagnostic::error(
                                        "E0409",
                                        format!("unknown target variable `${name}` in `{pp}`"),
                                    )
                                    .with_primary(sp, "no such tracepoint argument")
                                    .with_help(format!("available: {}", names.join(" "))),
                                );
                                return self.lit_long(0, sp);
                            }
                        }
                    }
                }
            }
        };
        let res = if start_is_pointee {
            // The address points to `start`: model it as a pointer step.
            let mut steps_prefix = Vec::new();
            let mut p = path.into_iter();
            let mut cur = start;
            let mut rest = Vec::new();
            match p.next() {
                Some(PathStep::Field(f)) => match tables.types.member(start, f) {
                    Some(m) => {
                        steps_prefix.push(ir::TargetStep::Deref {
                            offset: (m.bit_offset / 8) as u64,
                        });
                        if let Some(bits) = m.member.bitfield_size {
                            steps_prefix.push(ir::TargetStep::Bits {
                                shift: m.bit_offset % 8,
                                bits,
                            });
                        }
                        cur = m.member.ty;
                    }
                    None => {
                        self.err(
                            Diagnostic::error(
                                "E0409",
                                format!("`{}` has no member `{f}`", tables.types.type_name(start)),
                            )
                            .with_primary(sp, "no such member")
                            .with_help("check the member name in the kernel headers"),
                        );
                        return self.lit_long(0, sp);
                    }
                },
                Some(PathStep::Index(i)) => {
                    let elem = tables.types.size_of(start, ptr).unwrap_or(1) as u64;
                    steps_prefix.push(ir::TargetStep::Index {
                        index: Box::new(i),
                        elem_size: elem,
                        deref: true,
                    });
                }
                None => {}
            }
            rest.extend(p);
            if steps_prefix.is_empty() {
                // `@cast(p, "T")` alone: the address, or its pretty form.
                let convert = match t.pretty {
                    Some(deep) => ir::TargetConvert::Pretty { deep },
                    None => ir::TargetConvert::Address,
                };
                Ok((steps_prefix, start, convert))
            } else {
                points::walk_path(tables, ptr, cur, rest, t.pretty, t.address_of).map(
                    |(mut s, ty, c)| {
                        steps_prefix.append(&mut s);
                        (steps_prefix, ty, c)
                    },
                )
            }
        } else {
            points::walk_path(tables, ptr, start, path, t.pretty, t.address_of)
        };
        if t.address_of && steps_empty(&res) && !matches!(base, ir::TargetBase::Address(_)) {
            self.err(
                Diagnostic::error(
                    "E0504",
                    "cannot take the address of a value held in a register",
                )
                .with_primary(sp, "a parameter or return value")
                .with_help("take the address of a member (`&$ptr->field`) instead"),
            );
            return self.lit_long(0, sp);
        }
        match res {
            Ok((steps, ty, convert)) => {
                let sty = match convert {
                    ir::TargetConvert::Pretty { .. } | ir::TargetConvert::String => Ty::Str,
                    _ => Ty::Long,
                };
                // Remember what the value points to, for autocast.
                let pointee = match convert {
                    ir::TargetConvert::Address => Some(ty),
                    ir::TargetConvert::Long => match tables.types.get(tables.types.resolve(ty)) {
                        kernel::Type::Ptr { to } => Some(*to),
                        _ => None,
                    },
                    _ => None,
                };
                if let Some(p) = pointee {
                    if self.cexpr.insert(sp, p) != Some(p) {
                        self.changed = true;
                    }
                }
                // A parameter read in a `.return` probe is the value it had at
                // entry (stap saves it then): make that explicit for codegen.
                let at_entry = matches!(base, ir::TargetBase::Param(_))
                    && matches!(&cx.point, Some(p) if matches!(p.resolved.ctx, PointCtx::Function { is_return: true, .. }));
                let te = ir::TargetExpr {
                    base,
                    path: steps,
                    ty: points::ctype(tables, ty, ptr),
                    convert,
                };
                let e = self.mk(ir::ExprKind::Target(Box::new(te)), sty, sp);
                if at_entry {
                    return self.mk(ir::ExprKind::Entry(Box::new(e)), sty, sp);
                }
                e
            }
            Err(e) => {
                let mut d = Diagnostic::error("E0409", e.message)
                    .with_primary(sp, "in this target expression");
                if let Some(h) = e.help {
                    d = d.with_help(h);
                }
                self.err(d);
                self.lit_long(0, sp)
            }
        }
    }

    /// `$$parms`, `$$vars`, `$$locals`, `$$return`: a string "a=0x.. b=0x..".
    #[allow(clippy::too_many_arguments)]
    fn all_vars(
        &mut self,
        _cx: &mut Cx,
        name: &str,
        params: &[kernel::Param],
        ret: kernel::TypeId,
        is_return: bool,
        pretty: Option<bool>,
        sp: Span,
        tracepoint: bool,
    ) -> ir::Expr {
        let tables = self.env.tables;
        let ptr = kernel::Arch::normalize(self.env.arch).pointer_size();
        let mut parts: Vec<(String, ir::TargetBase, kernel::TypeId)> = Vec::new();
        match name {
            "$parms" | "$vars" => {
                for (i, p) in params.iter().enumerate() {
                    let b = if tracepoint {
                        ir::TargetBase::TracepointArg(i as u32)
                    } else {
                        ir::TargetBase::Param(i as u32)
                    };
                    parts.push((p.name.clone(), b, p.ty));
                }
            }
            "$locals" => {}
            "$return" => {
                if is_return && ret.0 != 0 {
                    parts.push(("return".into(), ir::TargetBase::Return, ret));
                }
            }
            _ => {
                self.err(
                    Diagnostic::error("E0409", format!("unknown target variable `${name}`"))
                        .with_primary(sp, "not a known $$ form")
                        .with_help("use $$vars, $$parms, $$locals or $$return"),
                );
                return self.lit_long(0, sp);
            }
        }
        let mut acc: Option<ir::Expr> = None;
        for (i, (n, b, ty)) in parts.into_iter().enumerate() {
            let label = format!("{}{}=", if i > 0 { " " } else { "" }, n);
            let lit = self.mk(ir::ExprKind::Literal(ir::Literal::Str(label)), Ty::Str, sp);
            let convert = ir::TargetConvert::Pretty {
                deep: pretty == Some(true),
            };
            let te = ir::TargetExpr {
                base: b,
                path: Vec::new(),
                ty: points::ctype(tables, ty, ptr),
                convert,
            };
            let v = self.mk(ir::ExprKind::Target(Box::new(te)), Ty::Str, sp);
            let piece = self.mk(
                ir::ExprKind::Concat {
                    lhs: Box::new(lit),
                    rhs: Box::new(v),
                },
                Ty::Str,
                sp,
            );
            acc = Some(match acc {
                None => piece,
                Some(a) => self.mk(
                    ir::ExprKind::Concat {
                        lhs: Box::new(a),
                        rhs: Box::new(piece),
                    },
                    Ty::Str,
                    sp,
                ),
            });
        }
        acc.unwrap_or_else(|| {
            self.mk(
                ir::ExprKind::Literal(ir::Literal::Str(String::new())),
                Ty::Str,
                sp,
            )
        })
    }
}

fn steps_empty(
    r: &Result<(Vec<ir::TargetStep>, kernel::TypeId, ir::TargetConvert), points::TargetError>,
) -> bool {
    matches!(r, Ok((s, _, _)) if s.is_empty())
}

/// Per function: the globals it writes, directly or through the functions
/// it calls (a fixpoint over the call graph).
fn function_writes(r: &Resolved) -> Vec<std::collections::BTreeSet<usize>> {
    let n = r.functions.len();
    let mut writes = vec![std::collections::BTreeSet::new(); n];
    let mut calls: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, f) in r.functions.iter().enumerate() {
        let FuncBody::Script(body) = &f.decl.body else {
            continue;
        };
        let params: Vec<&str> = f.decl.params.iter().map(|p| p.0.as_str()).collect();
        let global = |name: &str| -> Option<usize> {
            if params.contains(&name) {
                return None;
            }
            r.global_by_name.get(&(f.file, name.to_string())).copied()
        };
        let target_global = |t: &Expr| -> Option<usize> {
            match &t.kind {
                ExprKind::Name(n) => global(n),
                ExprKind::Index { array, .. } => global(array),
                _ => None,
            }
        };
        walk_stmt_exprs(body, &mut |e| match &e.kind {
            ExprKind::Assign { target, .. }
            | ExprKind::IncDec { target, .. }
            | ExprKind::Aggregate { target, .. } => {
                if let Some(g) = target_global(target) {
                    writes[i].insert(g);
                }
            }
            ExprKind::Call { name, args, .. } => {
                if let Some(&c) = r
                    .func_by_name
                    .get(&(f.file, crate::elab::call_key(name, args.len())))
                {
                    calls[i].push(c);
                }
            }
            _ => {}
        });
        crate::elab::walk_stmts(body, &mut |s| {
            if let StmtKind::Delete(t) = &s.kind {
                if let Some(g) = target_global(t) {
                    writes[i].insert(g);
                }
            }
        });
    }
    loop {
        let mut changed = false;
        for i in 0..n {
            for &c in &calls[i].clone() {
                if c < n {
                    let add: Vec<usize> = writes[c].difference(&writes[i]).copied().collect();
                    if !add.is_empty() {
                        writes[i].extend(add);
                        changed = true;
                    }
                }
            }
        }
        if !changed {
            return writes;
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum VarRef {
    Global(usize),
    FnLocal(usize, usize),
    ProbeLocal(usize, usize),
}

/// The type of an emitted expression: unknown reads as `Void` while
/// inference runs (a program with unknown types is never returned).
fn ty_to_ir(t: Ty) -> Type {
    match t {
        Ty::Unknown => Type::Void,
        _ => t.ir(),
    }
}

trait TyOf {
    fn ty_of(&self) -> Ty;
}

impl TyOf for ir::Expr {
    /// The script type of an emitted expression. `Void` reads as unknown so
    /// it never clashes; literal zeros produced after an error read as long.
    fn ty_of(&self) -> Ty {
        match self.ty {
            Type::Long => Ty::Long,
            Type::String => Ty::Str,
            Type::Stats => Ty::Stats,
            Type::Void => Ty::Unknown,
        }
    }
}

fn block_of(s: ir::Stmt) -> ir::Block {
    match s.kind {
        ir::StmtKind::Block(b) => b,
        _ => ir::Block { stmts: vec![s] },
    }
}

/// Parse a printf format into pieces.
pub fn parse_format(s: &str) -> Result<Vec<ir::FormatPiece>, String> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c != '%' {
            text.push(c);
            continue;
        }
        if it.peek() == Some(&'%') {
            it.next();
            text.push('%');
            continue;
        }
        if !text.is_empty() {
            out.push(ir::FormatPiece::Text(std::mem::take(&mut text)));
        }
        let mut flags = String::new();
        while let Some(&f) = it.peek() {
            if "-+ #0".contains(f) {
                flags.push(f);
                it.next();
            } else {
                break;
            }
        }
        let num = |it: &mut std::iter::Peekable<std::str::Chars<'_>>| -> Option<i64> {
            if it.peek() == Some(&'*') {
                it.next();
                return Some(-1);
            }
            let mut n: Option<i64> = None;
            while let Some(&d) = it.peek() {
                if let Some(v) = d.to_digit(10) {
                    n = Some(n.unwrap_or(0).saturating_mul(10).saturating_add(v as i64));
                    it.next();
                } else {
                    break;
                }
            }
            n
        };
        let width = num(&mut it);
        let precision = if it.peek() == Some(&'.') {
            it.next();
            Some(num(&mut it).unwrap_or(0))
        } else {
            None
        };
        // Length modifiers are accepted and ignored (stap does the same).
        while let Some(&l) = it.peek() {
            if "hlLqjzt".contains(l) {
                it.next();
            } else {
                break;
            }
        }
        let Some(conv) = it.next() else {
            return Err("the format ends inside a conversion".into());
        };
        if !"diuoxXcspbmM".contains(conv) {
            return Err(format!("unknown conversion `%{conv}`"));
        }
        out.push(ir::FormatPiece::Conv(ir::FormatSpec {
            flags,
            width,
            precision,
            conv,
        }));
    }
    if !text.is_empty() {
        out.push(ir::FormatPiece::Text(text));
    }
    Ok(out)
}

/// Shared handle used by lib.rs.
pub type CheckedArc = Arc<Checked>;
