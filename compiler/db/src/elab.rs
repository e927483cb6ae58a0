//! Whole-program elaboration over the db's HIR: pulling in tapset files on
//! demand, probe alias expansion, name resolution, and the collection of
//! what is reachable. Type inference, checks and the `ir` emission follow in
//! [`crate::typeck`].
//!
//! Plain code over plain data: the salsa query `elaborate` (lib.rs) hands it
//! the preprocessed items of every file, the tapset index and a cached probe
//! point resolver, so this module knows nothing of salsa.
//!
//! Invariants: stap's rules are kept where they are observable: a tapset
//! file is included as a whole when one of its public functions, globals or
//! aliases is first referenced (its probes then run too); the user's own
//! definitions win over the library's; a plain name is a global when one is
//! visible, else a local.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use diag::{Diagnostic, FileId, Span};

use crate::hir::*;
use crate::points::{PointCtx, ResolvedPoint};

/// Which file defines which public name (tapset files only).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct TapsetIndex {
    pub functions: BTreeMap<String, Vec<FileId>>,
    pub globals: BTreeMap<String, Vec<FileId>>,
    /// Alias names (component names joined with `.`) with their files.
    pub aliases: BTreeMap<String, Vec<FileId>>,
}

impl TapsetIndex {
    /// Build the index from the preprocessed items of each tapset file.
    pub fn build(files: &[(FileId, Arc<FileItems>)]) -> TapsetIndex {
        let mut ix = TapsetIndex::default();
        for (fid, items) in files {
            for it in &items.items {
                match it {
                    Item::Function(f) if !f.private => {
                        ix.functions.entry(f.name.clone()).or_default().push(*fid)
                    }
                    Item::Global(g) if !g.private => {
                        ix.globals.entry(g.name.clone()).or_default().push(*fid)
                    }
                    Item::Alias(a) => {
                        for n in &a.names {
                            ix.aliases.entry(alias_key(n)).or_default().push(*fid)
                        }
                    }
                    _ => {}
                }
            }
        }
        for v in ix
            .functions
            .values_mut()
            .chain(ix.globals.values_mut())
            .chain(ix.aliases.values_mut())
        {
            v.dedup();
        }
        ix
    }
}

fn alias_key(p: &PointSpec) -> String {
    p.text()
}

/// What elaboration needs from its caller.
pub struct Env<'a> {
    pub script: FileId,
    /// The preprocessed items of a file (script or tapset).
    pub items: &'a dyn Fn(FileId) -> Arc<FileItems>,
    pub index: &'a TapsetIndex,
    /// Resolve one built-in point (cached by the caller).
    pub resolve: &'a dyn Fn(&[Component]) -> crate::PointResult,
    /// Release of the target, for messages.
    pub release: &'a str,
}

/// A function known to the program.
#[derive(Clone, Debug)]
pub struct FuncSym {
    pub decl: FuncDecl,
    pub file: FileId,
}

#[derive(Clone, Debug)]
pub struct GlobalSym {
    pub decl: GlobalDecl,
    pub file: FileId,
}

/// One probe after alias expansion: its resolved points and the bodies
/// (alias prologues, the user's body, epilogues) in execution order.
#[derive(Clone, Debug)]
pub struct Derived {
    pub points: Vec<DerivedPoint>,
    pub bodies: Vec<Stmt>,
    pub span: Span,
    pub file: FileId,
}

#[derive(Clone, Debug)]
pub struct DerivedPoint {
    pub resolved: ResolvedPoint,
    /// The point as written by the user and each alias step (`vfs.read <- ...`).
    pub derivation: String,
    pub optional: bool,
    pub condition: Option<Expr>,
}

/// The result of the resolution phase: what typeck works on.
pub struct Resolved {
    pub files: Vec<FileId>,
    pub globals: Vec<GlobalSym>,
    pub functions: Vec<FuncSym>,
    pub probes: Vec<Derived>,
    pub embedded: Vec<String>,
    pub diags: Vec<Diagnostic>,
    /// (calling file, [`call_key`] of a call) -> index into `functions`,
    /// for every call the program makes.
    pub func_by_name: HashMap<(FileId, String), usize>,
    pub global_by_name: HashMap<(FileId, String), usize>,
    /// Every function name the script could call (for "did you mean").
    pub known_functions: Vec<String>,
}

struct Elab<'a> {
    env: &'a Env<'a>,
    included: BTreeSet<FileId>,
    files: Vec<FileId>,
    /// Public functions and globals by name; private ones by (file, name).
    funcs: Vec<FuncSym>,
    pub_funcs: HashMap<String, usize>,
    priv_funcs: HashMap<(FileId, String), usize>,
    globals: Vec<GlobalSym>,
    pub_globals: HashMap<String, usize>,
    priv_globals: HashMap<(FileId, String), usize>,
    /// Aliases of the script and of every tapset file.
    aliases: Vec<(AliasDecl, FileId)>,
    pending: Vec<(ProbeDecl, FileId)>,
    probes: Vec<Derived>,
    embedded: Vec<String>,
    diags: Vec<Diagnostic>,
    func_by_name: HashMap<(FileId, String), usize>,
    global_by_name: HashMap<(FileId, String), usize>,
    scanned_funcs: BTreeSet<usize>,
}

/// Run the resolution phase.
pub fn resolve(env: &Env<'_>) -> Resolved {
    let mut e = Elab {
        env,
        included: BTreeSet::new(),
        files: Vec::new(),
        funcs: Vec::new(),
        pub_funcs: HashMap::new(),
        priv_funcs: HashMap::new(),
        globals: Vec::new(),
        pub_globals: HashMap::new(),
        priv_globals: HashMap::new(),
        aliases: Vec::new(),
        pending: Vec::new(),
        probes: Vec::new(),
        embedded: Vec::new(),
        diags: Vec::new(),
        func_by_name: HashMap::new(),
        global_by_name: HashMap::new(),
        scanned_funcs: BTreeSet::new(),
    };
    // Every alias of the library is matchable; its file is included on use.
    let mut alias_files: BTreeSet<FileId> = env.index.aliases.values().flatten().copied().collect();
    alias_files.remove(&env.script);
    for f in std::iter::once(env.script).chain(alias_files) {
        for it in &(env.items)(f).items {
            if let Item::Alias(a) = it {
                e.aliases.push((a.clone(), f));
            }
        }
    }
    e.include(env.script);
    let mut next_probe = 0;
    loop {
        if next_probe < e.pending.len() {
            let (p, f) = e.pending[next_probe].clone();
            next_probe += 1;
            let start = e.probes.len();
            e.expand_probe(&p, f);
            for i in start..e.probes.len() {
                let d = e.probes[i].clone();
                for b in &d.bodies {
                    e.scan_stmt(b, d.file_of_stmt(b), &[]);
                }
                for p in &d.points {
                    if let Some(c) = &p.condition {
                        e.scan_expr(c, c.span.file, &[]);
                    }
                }
            }
            continue;
        }
        break;
    }
    Resolved {
        files: e.files,
        globals: e.globals,
        functions: e.funcs,
        probes: e.probes,
        embedded: e.embedded,
        diags: e.diags,
        known_functions: e
            .pub_funcs
            .keys()
            .filter(|k| !k.contains('/'))
            .chain(env.index.functions.keys())
            .cloned()
            .collect(),
        func_by_name: e.func_by_name,
        global_by_name: e.global_by_name,
    }
}

impl Derived {
    fn file_of_stmt(&self, s: &Stmt) -> FileId {
        s.span.file
    }
}

impl Elab<'_> {
    fn include(&mut self, f: FileId) {
        if !self.included.insert(f) {
            return;
        }
        self.files.push(f);
        let items = (self.env.items)(f);
        let user = f == self.env.script;
        for it in &items.items {
            match it {
                Item::Global(g) => {
                    let existing = if g.private {
                        self.priv_globals.get(&(f, g.name.clone()))
                    } else {
                        self.pub_globals.get(&g.name)
                    };
                    if let Some(&i) = existing {
                        if self.globals[i].file == f {
                            self.diags.push(
                                Diagnostic::error(
                                    "E0405",
                                    format!("duplicate global `{}`", g.name),
                                )
                                .with_primary(g.span, "declared again here")
                                .with_secondary(self.globals[i].decl.span, "first declared here")
                                .with_help("remove one of the declarations"),
                            );
                        }
                        continue;
                    }
                    let i = self.globals.len();
                    self.globals.push(GlobalSym {
                        decl: g.clone(),
                        file: f,
                    });
                    if g.private {
                        self.priv_globals.insert((f, g.name.clone()), i);
                    } else {
                        self.pub_globals.insert(g.name.clone(), i);
                    }
                }
                Item::Function(func) => {
                    // Functions overload by arity: each is known as NAME/ARITY,
                    // and the first of a name also as NAME.
                    let arity_key = call_key(&func.name, func.params.len());
                    let existing = if func.private {
                        self.priv_funcs.get(&(f, arity_key.clone()))
                    } else {
                        self.pub_funcs.get(&arity_key)
                    };
                    if let Some(&i) = existing {
                        if self.funcs[i].file == f || user {
                            self.diags.push(
                                Diagnostic::error(
                                    "E0406",
                                    format!("function `{}` is defined twice", func.name),
                                )
                                .with_primary(func.span, "defined again here")
                                .with_secondary(self.funcs[i].decl.span, "first defined here")
                                .with_help("rename or remove one of the definitions"),
                            );
                        }
                        continue;
                    }
                    let i = self.funcs.len();
                    self.funcs.push(FuncSym {
                        decl: func.clone(),
                        file: f,
                    });
                    if func.private {
                        self.priv_funcs.insert((f, arity_key), i);
                        self.priv_funcs.entry((f, func.name.clone())).or_insert(i);
                    } else {
                        self.pub_funcs.insert(arity_key, i);
                        self.pub_funcs.entry(func.name.clone()).or_insert(i);
                    }
                }
                Item::Probe(p) => self.pending.push((p.clone(), f)),
                Item::Alias(_) => {}
                Item::Embedded { code, .. } => self.embedded.push(code.clone()),
            }
        }
    }

    // ---- alias expansion ----

    fn expand_probe(&mut self, p: &ProbeDecl, file: FileId) {
        let mut derived: Vec<(Vec<DerivedPoint>, Vec<Stmt>, Vec<Stmt>)> = Vec::new();
        let mut any = false;
        let mut sufficient_done = false;
        for spec in &p.points {
            if sufficient_done {
                break;
            }
            for spec in expand_braces(spec) {
                let mut chain = Vec::new();
                let got = self.expand_point(&spec, &mut chain, spec.text());
                if !got.is_empty() {
                    any = true;
                    if spec.sufficient {
                        sufficient_done = true;
                    }
                }
                for (pts, pre, post) in got {
                    if let Some(d) = derived.iter_mut().find(|d| d.1 == pre && d.2 == post) {
                        d.0.extend(pts);
                    } else {
                        derived.push((pts, pre, post));
                    }
                }
            }
        }
        let _ = any;
        for (points, pre, post) in derived {
            if points.is_empty() {
                continue;
            }
            let mut bodies = pre;
            bodies.push(p.body.clone());
            bodies.extend(post);
            self.probes.push(Derived {
                points,
                bodies,
                span: p.span,
                file,
            });
        }
    }

    /// Expand one point (no braces left): aliases recursively, else a
    /// built-in point resolved against the target.
    fn expand_point(
        &mut self,
        spec: &PointSpec,
        chain: &mut Vec<usize>,
        derivation: String,
    ) -> Vec<(Vec<DerivedPoint>, Vec<Stmt>, Vec<Stmt>)> {
        let mut out = Vec::new();
        // Alias matches: (alias index, number of user components consumed).
        let mut matches = Vec::new();
        for (ai, (a, _)) in self.aliases.iter().enumerate() {
            for n in &a.names {
                for used in match_components(&spec.components, &n.components) {
                    matches.push((ai, used));
                }
            }
        }
        matches.sort();
        matches.dedup();
        // The longest alias match wins (`vfs.read.return` over `vfs.read` +
        // suffix `.return`); a match that leaves a suffix loses to a
        // built-in point that resolves the whole spec (`timer.profile.tick`).
        let longest = matches.iter().map(|m| m.1).max().unwrap_or(0);
        matches.retain(|m| m.1 == longest);
        if !matches.is_empty() && longest < spec.components.len() {
            if let Ok(p) = (self.env.resolve)(&spec.components) {
                if !p.is_empty() {
                    matches.clear();
                }
            }
        }
        if !matches.is_empty() {
            for (ai, used) in matches {
                if chain.contains(&ai) {
                    let (a, _) = &self.aliases[ai];
                    self.diags.push(
                        Diagnostic::error(
                            "E0404",
                            format!("probe alias `{}` expands to itself", a.names[0].text()),
                        )
                        .with_primary(spec.span, "recursion reached here")
                        .with_secondary(a.span, "alias defined here")
                        .with_help(
                            "an alias must not refer to itself, directly or through other aliases",
                        ),
                    );
                    continue;
                }
                let (alias, afile) = self.aliases[ai].clone();
                if afile != self.env.script {
                    self.include(afile);
                }
                let suffix: Vec<Component> = spec.components[used..].to_vec();
                chain.push(ai);
                // A target marked `!` that resolves ends the alias's list.
                let mut sufficient_done = false;
                for t in &alias.targets {
                    if sufficient_done {
                        break;
                    }
                    for t in expand_braces(t) {
                        let own_sufficient = t.sufficient;
                        let mut t2 = t.clone();
                        t2.components.extend(suffix.iter().cloned());
                        t2.optional |= spec.optional;
                        t2.sufficient |= spec.sufficient;
                        if t2.condition.is_none() {
                            t2.condition = spec.condition.clone();
                        }
                        let der = format!("{} <- {}", t2.text(), derivation);
                        let got = self.expand_point(&t2, chain, der);
                        if own_sufficient && got.iter().any(|g| !g.0.is_empty()) {
                            sufficient_done = true;
                        }
                        for (pts, mut pre, mut post) in got {
                            if alias.epilogue {
                                post.push(alias.body.clone());
                            } else {
                                pre.push(alias.body.clone());
                            }
                            if let Some(d) = out.iter_mut().find(
                                |d: &&mut (Vec<DerivedPoint>, Vec<Stmt>, Vec<Stmt>)| {
                                    d.1 == pre && d.2 == post
                                },
                            ) {
                                d.0.extend(pts);
                            } else {
                                out.push((pts, pre, post));
                            }
                        }
                    }
                }
                chain.pop();
            }
            return out;
        }
        match (self.env.resolve)(&spec.components) {
            Ok(points) if points.is_empty() => {
                if !spec.optional && !spec.sufficient {
                    self.diags.push(self.no_match(spec));
                }
            }
            Ok(points) => {
                let pts = points
                    .iter()
                    .map(|r| DerivedPoint {
                        resolved: r.clone(),
                        derivation: derivation.clone(),
                        optional: spec.optional || spec.sufficient,
                        condition: spec.condition.as_deref().cloned(),
                    })
                    .collect();
                out.push((pts, Vec::new(), Vec::new()));
            }
            Err(e) => {
                if !spec.optional && !spec.sufficient {
                    let mut d = Diagnostic::error(e.code, e.message)
                        .with_primary(spec.span, "in this probe point");
                    if e.code == "E0402" {
                        if let Some(s) = self.suggest_alias(spec) {
                            d = d.with_note(format!("did you mean `{s}`?"));
                        }
                    }
                    if let Some(h) = e.help {
                        d = d.with_help(h);
                    }
                    self.diags.push(d);
                }
            }
        }
        out
    }

    fn no_match(&self, spec: &PointSpec) -> Diagnostic {
        let target = if self.env.release.is_empty() {
            "(no target profile)".to_string()
        } else {
            self.env.release.to_string()
        };
        Diagnostic::error(
            "E0403",
            format!("probe point `{}` matches nothing in target kernel {target}", spec.text()),
        )
        .with_primary(spec.span, "no such function or tracepoint in this target")
        .with_help(format!(
            "run `xstap -r {} -l '{}'` to see what the target offers, or add `?` to make the point optional",
            self.env.release,
            spec.text()
        ))
    }

    fn suggest_alias(&self, spec: &PointSpec) -> Option<String> {
        let want = spec.text();
        let names = self
            .aliases
            .iter()
            .flat_map(|(a, _)| a.names.iter().map(|n| n.text()));
        best_match(&want, names)
    }

    // ---- name resolution (scan) ----

    /// The function a call of `name` with `nargs` arguments means: the
    /// overload of that arity, else (an arity error typeck reports) the
    /// first of the name.
    fn lookup_func(&mut self, file: FileId, name: &str, nargs: usize) -> Option<usize> {
        let key = call_key(name, nargs);
        let known = |s: &Self| {
            s.priv_funcs
                .get(&(file, key.clone()))
                .or_else(|| s.pub_funcs.get(&key))
                .or_else(|| s.priv_funcs.get(&(file, name.to_string())))
                .or_else(|| s.pub_funcs.get(name))
                .copied()
        };
        if let Some(i) = known(self).filter(|&i| self.funcs[i].decl.params.len() == nargs) {
            return Some(i);
        }
        // Another overload may live in a tapset file not read yet.
        if let Some(files) = self.env.index.functions.get(name).cloned() {
            for f in files {
                self.include(f);
            }
        }
        known(self)
    }

    fn lookup_global(&mut self, file: FileId, name: &str) -> Option<usize> {
        if let Some(&i) = self.priv_globals.get(&(file, name.to_string())) {
            return Some(i);
        }
        // The user's globals are the script's own: tapset code never sees
        // them, so a tapset function's local `i` stays local even when the
        // script declares a global `i` (as in SystemTap).
        let visible = |i: usize, globals: &[GlobalSym]| {
            file == self.env.script || globals[i].file != self.env.script
        };
        if let Some(&i) = self.pub_globals.get(name) {
            return visible(i, &self.globals).then_some(i);
        }
        let files = self.env.index.globals.get(name)?.clone();
        for f in files {
            self.include(f);
        }
        self.pub_globals
            .get(name)
            .copied()
            .filter(|&i| visible(i, &self.globals))
    }

    fn note_global(&mut self, file: FileId, name: &str, locals: &[String]) -> Option<usize> {
        if locals.iter().any(|l| l == name) {
            return None;
        }
        let g = self.lookup_global(file, name)?;
        self.global_by_name.insert((file, name.to_string()), g);
        Some(g)
    }

    fn scan_stmt(&mut self, s: &Stmt, file: FileId, params: &[String]) {
        let mut exprs = Vec::new();
        walk_stmt_exprs(s, &mut |e| exprs.push(e.clone()));
        for e in &exprs {
            self.scan_one(e, file, params);
        }
        let mut arrays = Vec::new();
        walk_stmts(s, &mut |st| {
            if let StmtKind::Foreach(fe) = &st.kind {
                arrays.push(fe.array.clone());
            }
        });
        for (a, _) in arrays {
            self.note_global(file, &a, params);
        }
    }

    fn scan_expr(&mut self, e: &Expr, file: FileId, params: &[String]) {
        let mut exprs = Vec::new();
        walk_expr(e, &mut |x| exprs.push(x.clone()));
        for x in &exprs {
            self.scan_one(x, file, params);
        }
    }

    /// Resolve the names one expression node mentions (not its children).
    fn scan_one(&mut self, e: &Expr, file: FileId, params: &[String]) {
        match &e.kind {
            ExprKind::Name(n) => {
                self.note_global(file, n, params);
            }
            ExprKind::Index { array, .. } | ExprKind::In { array, .. } => {
                self.note_global(file, array, params);
            }
            ExprKind::Call { name, args, .. } => {
                if let Some(i) = self.lookup_func(file, name, args.len()) {
                    self.func_by_name
                        .insert((file, call_key(name, args.len())), i);
                    if self.scanned_funcs.insert(i) {
                        let f = self.funcs[i].clone();
                        let ps: Vec<String> = f.decl.params.iter().map(|p| p.0.clone()).collect();
                        if let FuncBody::Script(b) = &f.decl.body {
                            self.scan_stmt(b, f.file, &ps);
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

/// Walk every statement of a tree (pre-order).
pub fn walk_stmts<'a>(s: &'a Stmt, f: &mut dyn FnMut(&'a Stmt)) {
    f(s);
    match &s.kind {
        StmtKind::Block(b) => b.iter().for_each(|s| walk_stmts(s, f)),
        StmtKind::If { then, els, .. } => {
            walk_stmts(then, f);
            if let Some(e) = els {
                walk_stmts(e, f);
            }
        }
        StmtKind::While { body, .. } | StmtKind::For { body, .. } => walk_stmts(body, f),
        StmtKind::Foreach(fe) => walk_stmts(&fe.body, f),
        StmtKind::Try { body, handler, .. } => {
            walk_stmts(body, f);
            walk_stmts(handler, f);
        }
        _ => {}
    }
}

/// Expand `{a,b}` braces in component names and string arguments.
pub fn expand_braces(spec: &PointSpec) -> Vec<PointSpec> {
    let mut out = vec![spec.clone()];
    for ci in 0..spec.components.len() {
        let mut next = Vec::new();
        for s in out {
            let c = &s.components[ci];
            let names = brace_alternatives(&c.name);
            let args = match &c.arg {
                Some(Lit::Str(a)) => brace_alternatives(a)
                    .into_iter()
                    .map(|a| Some(Lit::Str(a)))
                    .collect(),
                other => vec![other.clone()],
            };
            for n in &names {
                for a in &args {
                    let mut s2 = s.clone();
                    s2.components[ci].name = n.clone();
                    s2.components[ci].arg = a.clone();
                    next.push(s2);
                }
            }
        }
        out = next;
    }
    out
}

/// `a{b,c}d` -> `abd`, `acd` (nested braces supported, at most 1000 results).
pub fn brace_alternatives(s: &str) -> Vec<String> {
    let Some(open) = s.find('{') else {
        return vec![s.to_string()];
    };
    let bytes = s.as_bytes();
    let mut depth = 0;
    let mut close = None;
    let mut commas = Vec::new();
    for (i, &b) in bytes.iter().enumerate().skip(open) {
        match b {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    close = Some(i);
                    break;
                }
            }
            b',' if depth == 1 => commas.push(i),
            _ => {}
        }
    }
    let Some(close) = close else {
        return vec![s.to_string()];
    };
    let mut parts = Vec::new();
    let mut start = open + 1;
    for c in commas.iter().copied().chain(std::iter::once(close)) {
        parts.push(&s[start..c]);
        start = c + 1;
    }
    let mut out = Vec::new();
    for p in parts {
        for rest in brace_alternatives(&format!("{}{}{}", &s[..open], p, &s[close + 1..])) {
            if out.len() < 1000 {
                out.push(rest);
            }
        }
    }
    out
}

/// Match user components (with `*`/`**` globs) against an alias name; every
/// way it matches, returns how many user components the name consumed.
pub fn match_components(user: &[Component], name: &[Component]) -> Vec<usize> {
    let mut out = Vec::new();
    if user.iter().any(|c| c.name.contains("**") && c.name != "**") {
        // `**` inside a name crosses dots: match the whole dotted names.
        let u: Vec<&str> = user.iter().map(|c| c.name.as_str()).collect();
        let n: Vec<&str> = name.iter().map(|c| c.name.as_str()).collect();
        if dotted_glob(u.join(".").as_bytes(), n.join(".").as_bytes()) {
            out.push(user.len());
        }
        return out;
    }
    match_rec(user, name, 0, &mut out);
    out.sort();
    out.dedup();
    out
}

fn match_rec(user: &[Component], name: &[Component], used: usize, out: &mut Vec<usize>) {
    if name.is_empty() {
        out.push(used);
        return;
    }
    let Some(u) = user.first() else { return };
    if u.name == "**" {
        // `**` eats one or more name components; it may also stay for more.
        match_rec(&user[1..], &name[1..], used + 1, out);
        let mut extended = vec![u.clone()];
        extended.extend_from_slice(&user[1..]);
        match_rec(&extended, &name[1..], used, out);
        return;
    }
    let n = &name[0];
    let name_ok = if kernel::glob::has_wildcard(&u.name) {
        kernel::glob::matches(&u.name, &n.name)
    } else {
        u.name == n.name
    };
    if !name_ok {
        return;
    }
    let arg_ok = match (&u.arg, &n.arg) {
        (None, None) => true,
        (Some(a), Some(b)) => a == b,
        _ => false,
    };
    if arg_ok {
        match_rec(&user[1..], &name[1..], used + 1, out);
    }
}

/// Glob over dotted names: `**` matches anything, `*` anything but `.`,
/// `?` one character.
pub fn dotted_glob(pat: &[u8], text: &[u8]) -> bool {
    match pat.first() {
        None => text.is_empty(),
        Some(b'*') if pat.get(1) == Some(&b'*') => {
            (0..=text.len()).any(|i| dotted_glob(&pat[2..], &text[i..]))
        }
        Some(b'*') => {
            let mut i = 0;
            loop {
                if dotted_glob(&pat[1..], &text[i..]) {
                    return true;
                }
                if i >= text.len() || text[i] == b'.' {
                    return false;
                }
                i += 1;
            }
        }
        Some(b'?') => !text.is_empty() && text[0] != b'.' && dotted_glob(&pat[1..], &text[1..]),
        Some(c) => text.first() == Some(c) && dotted_glob(&pat[1..], &text[1..]),
    }
}

/// The candidate closest to `want` by edit distance, if reasonably close.
pub fn best_match(want: &str, candidates: impl Iterator<Item = String>) -> Option<String> {
    let mut best: Option<(usize, String)> = None;
    for c in candidates {
        let d = edit_distance(want, &c);
        let limit = (want.len().max(3)) / 3 + 1;
        if d <= limit && best.as_ref().is_none_or(|(bd, _)| d < *bd) {
            best = Some((d, c));
        }
    }
    best.map(|b| b.1)
}

pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Whether a point context offers target variables.
pub fn has_target_context(p: &DerivedPoint) -> bool {
    !matches!(p.resolved.ctx, PointCtx::None)
}

/// How a call is keyed in [`Resolved::func_by_name`]: `NAME/NARGS`
/// (functions overload by arity, as in SystemTap).
pub fn call_key(name: &str, nargs: usize) -> String {
    format!("{name}/{nargs}")
}
