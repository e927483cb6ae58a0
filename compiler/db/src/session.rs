//! [`Session`]: the entry point the CLI uses. It owns the database, the
//! `path -> SourceFile` side table (a setter is called only when the blake3
//! of a file's content changed, because salsa setters never compare), the
//! tapset search path, and the current [`Program`].
//!
//! Tapset files are found like stap finds them: for each root (the built-in
//! `tapsets/` directory first, then each `-I DIR`), the version- and
//! arch-specific subdirectories come before the root itself, in this order
//! for release `6.1.0-56-amd64` on `x86_64`:
//! `linux/6.1.0/x86_64`, `linux/6.1.0`, `linux/6.1/x86_64`, `linux/6.1`,
//! `linux/6/x86_64`, `linux/6`, `linux/x86_64`, `linux`, then the same list
//! without the `linux/` prefix, and finally the root. A file whose name was
//! already found in a more specific directory of the same root is skipped.
//!
//! This module does the file-system reads of pass 2 (the tapset
//! directories); nothing else in the crate touches the disk.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use diag::{Diagnostic, FileId};
use salsa::{Durability, Setter};

use crate::points::PointCtx;
use crate::*;

/// The options of a session (the same data the salsa input holds).
pub type SessionOptions = OptionsData;

pub struct Session {
    db: Database,
    files: HashMap<String, (SourceFile, blake3::Hash)>,
    by_id: Vec<SourceFile>,
    script: SourceFile,
    target: TargetKernel,
    options: Options,
    program: Program,
    roots: Vec<PathBuf>,
    /// The library macros shared by every file.
    macros: MacroLib,
    /// In-memory tapset files (tests, `--tapset-text`), after the roots.
    extra: Vec<(String, String)>,
    release: String,
    arch: String,
    /// The content hash of the profile whose tables are set.
    target_hash: String,
    /// Programs added by [`Session::add_target`] (the fan-out of `xstap
    /// build`), each with its own target input.
    added: Vec<Program>,
    /// Macro libraries of added targets whose `.stpm` files differ from the
    /// primary's, and their copies of the script and tapset files.
    other_libs: Vec<MacroLib>,
    lib_files: HashMap<(String, MacroLib), SourceFile>,
}

impl Default for Session {
    fn default() -> Self {
        Session::new()
    }
}

impl Session {
    pub fn new() -> Session {
        Session::with_db(Database::default())
    }

    /// A session over a given database (e.g. [`Database::with_query_log`]).
    pub fn with_db(db: Database) -> Session {
        let macros = MacroLib::builder(Arc::new(Vec::new()))
            .durability(Durability::HIGH)
            .new(&db);
        let script = SourceFile::builder(
            FileId(0),
            "<input>".to_string(),
            Arc::from(""),
            FileKind::Script,
            macros,
        )
        .new(&db);
        let target = TargetKernel::builder(
            String::new(),
            kernel::Arch::host().name().to_string(),
            String::new(),
            Arc::new(BTreeMap::new()),
            Arc::new(kernel::Tables::default()),
        )
        .durability(Durability::HIGH)
        .new(&db);
        let options = Options::builder(OptionsData::default())
            .durability(Durability::MEDIUM)
            .new(&db);
        let program = Program::builder(script, Arc::new(Vec::new()), target, options).new(&db);
        Session {
            db,
            macros,
            files: HashMap::new(),
            by_id: vec![script],
            script,
            target,
            options,
            program,
            roots: Vec::new(),
            extra: Vec::new(),
            release: String::new(),
            arch: kernel::Arch::host().name().to_string(),
            target_hash: String::new(),
            added: Vec::new(),
            other_libs: Vec::new(),
            lib_files: HashMap::new(),
        }
    }

    pub fn db(&self) -> &Database {
        &self.db
    }

    pub fn program(&self) -> Program {
        self.program
    }

    /// Set the user's script (path as the user gave it, or `<input>` for -e).
    pub fn set_script(&mut self, path: &str, text: &str) {
        let hash = blake3::hash(text.as_bytes());
        let sf = self.script;
        if sf.path(&self.db) != path {
            sf.set_path(&mut self.db).to(path.to_string());
        }
        let old = blake3::hash(sf.text(&self.db).as_bytes());
        if old != hash {
            sf.set_text(&mut self.db)
                .with_durability(Durability::LOW)
                .to(Arc::from(text));
        }
        // The script's copies for other macro libraries follow it.
        let copies: Vec<SourceFile> = self
            .lib_files
            .values()
            .copied()
            .filter(|f| f.kind(&self.db) == FileKind::Script)
            .collect();
        for f in copies {
            if f.path(&self.db) != path {
                f.set_path(&mut self.db).to(path.to_string());
            }
            if blake3::hash(f.text(&self.db).as_bytes()) != hash {
                f.set_text(&mut self.db)
                    .with_durability(Durability::LOW)
                    .to(Arc::from(text));
            }
        }
    }

    /// Set the target profile. Loading its tables may fail: the failure is
    /// returned and the target is used without tables.
    pub fn set_target(&mut self, profile: &kernel::Profile) -> Vec<Diagnostic> {
        let meta = &profile.meta;
        let (
            TargetData {
                release,
                arch,
                version,
                config,
                tables,
            },
            mut diags,
        ) = TargetData::of(profile);
        let t = self.target;
        if t.release(&self.db) != &release {
            t.set_release(&mut self.db)
                .with_durability(Durability::HIGH)
                .to(release.clone());
        }
        if t.arch(&self.db) != &arch {
            t.set_arch(&mut self.db)
                .with_durability(Durability::HIGH)
                .to(arch.clone());
        }
        if t.version(&self.db) != &version {
            t.set_version(&mut self.db)
                .with_durability(Durability::HIGH)
                .to(version);
        }
        if t.config(&self.db) != &config {
            t.set_config(&mut self.db)
                .with_durability(Durability::HIGH)
                .to(config);
        }
        // The profile's content hash says whether the tables changed; a
        // profile without one is compared by identity.
        let same = if meta.hash.is_empty() {
            Arc::ptr_eq(t.tables(&self.db), &tables)
        } else {
            self.target_hash == meta.hash
        };
        if !same {
            t.set_tables(&mut self.db)
                .with_durability(Durability::HIGH)
                .to(tables);
            self.target_hash = meta.hash.clone();
        }
        let changed = self.release != release || self.arch != arch;
        self.release = release;
        self.arch = arch;
        if changed {
            diags.extend(self.rescan_tapsets());
        }
        diags
    }

    pub fn set_options(&mut self, o: SessionOptions) {
        if self.options.data(&self.db) != &o {
            self.options
                .set_data(&mut self.db)
                .with_durability(Durability::MEDIUM)
                .to(o);
        }
    }

    /// The tapset roots: the built-in directory (from the CLI) then `-I`
    /// directories, in order.
    pub fn set_tapset_roots(&mut self, roots: Vec<PathBuf>) -> Vec<Diagnostic> {
        self.roots = roots;
        self.rescan_tapsets()
    }

    /// Add an in-memory tapset file (tests; searched after the roots).
    pub fn add_tapset_text(&mut self, path: &str, text: &str) {
        self.extra.push((path.to_string(), text.to_string()));
        self.rescan_tapsets();
    }

    fn rescan_tapsets(&mut self) -> Vec<Diagnostic> {
        let (found, stpm, diags) = self.scan_tapsets(&self.release.clone(), &self.arch.clone());
        if self.macros.files(&self.db).as_slice() != stpm.as_slice() {
            self.macros
                .set_files(&mut self.db)
                .with_durability(Durability::HIGH)
                .to(Arc::new(stpm));
        }
        let files: Vec<SourceFile> = found
            .iter()
            .map(|(p, t)| self.file_for(p, t, FileKind::Tapset))
            .collect();
        if self.program.tapsets(&self.db).as_slice() != files.as_slice() {
            self.program
                .set_tapsets(&mut self.db)
                .with_durability(Durability::HIGH)
                .to(Arc::new(files));
        }
        diags
    }

    /// The tapset files (`.stp`, then the in-memory ones) and library
    /// macro files (`.stpm`) for a release and arch, in search order.
    #[allow(clippy::type_complexity)]
    fn scan_tapsets(
        &self,
        release: &str,
        arch: &str,
    ) -> (
        Vec<(String, String)>,
        Vec<(String, Arc<str>)>,
        Vec<Diagnostic>,
    ) {
        let mut diags = Vec::new();
        let mut found: Vec<(String, String)> = Vec::new();
        let mut stpm: Vec<(String, Arc<str>)> = Vec::new();
        for root in self.roots.clone() {
            if !root.is_dir() {
                diags.push(
                    Diagnostic::error(
                        "E0420",
                        format!("tapset directory `{}` does not exist", root.display()),
                    )
                    .with_help("check the -I option or the installation of xstap's tapsets"),
                );
                continue;
            }
            let mut seen = std::collections::BTreeSet::new();
            for sub in tapset_subdirs(release, arch) {
                let dir = if sub.is_empty() {
                    root.clone()
                } else {
                    root.join(&sub)
                };
                let Ok(rd) = std::fs::read_dir(&dir) else {
                    continue;
                };
                let mut names: Vec<PathBuf> = rd
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| {
                        p.extension().is_some_and(|e| e == "stp" || e == "stpm") && p.is_file()
                    })
                    .collect();
                names.sort();
                for p in names {
                    let base = p
                        .file_name()
                        .map(|b| b.to_string_lossy().to_string())
                        .unwrap_or_default();
                    if !seen.insert(base) {
                        continue;
                    }
                    let is_stpm = p.extension().is_some_and(|e| e == "stpm");
                    match std::fs::read_to_string(&p) {
                        Ok(t) if is_stpm => stpm.push((p.display().to_string(), Arc::from(t))),
                        Ok(t) => found.push((p.display().to_string(), t)),
                        Err(e) => diags.push(
                            Diagnostic::error(
                                "E0420",
                                format!("cannot read tapset `{}`: {e}", p.display()),
                            )
                            .with_help("check the file's permissions"),
                        ),
                    }
                }
            }
        }
        found.extend(self.extra.iter().cloned());
        (found, stpm, diags)
    }

    /// Another target for the same script, options and tapset roots: a new
    /// [`Program`] with its own [`TargetKernel`] input and the tapset files
    /// of its release and arch. Files it shares with the primary program
    /// (the usual case: same text, same library macros) are the same
    /// inputs, so they are parsed once for every target.
    ///
    /// This is the fan-out of `xstap build`: set the session up (roots,
    /// options, script, primary target), add the other targets, then
    /// elaborate each program on its own clone of the database
    /// ([`Session::fork`]), in parallel; drop the clones before any setter.
    /// Added programs keep the tapset files and target they were given; a
    /// later [`Session::set_target`] or [`Session::set_tapset_roots`]
    /// changes the primary program only.
    pub fn add_target(&mut self, profile: &kernel::Profile) -> (Program, Vec<Diagnostic>) {
        let (data, mut diags) = TargetData::of(profile);
        let target = TargetKernel::builder(
            data.release.clone(),
            data.arch.clone(),
            data.version,
            data.config,
            data.tables,
        )
        .durability(Durability::HIGH)
        .new(&self.db);
        let (found, stpm, d) = self.scan_tapsets(&data.release, &data.arch);
        diags.extend(d);
        let (script, files) = if self.macros.files(&self.db).as_slice() == stpm.as_slice() {
            let files = found
                .iter()
                .map(|(p, t)| self.file_for(p, t, FileKind::Tapset))
                .collect();
            (self.script, files)
        } else {
            let lib = match self
                .other_libs
                .iter()
                .find(|l| l.files(&self.db).as_slice() == stpm.as_slice())
            {
                Some(l) => *l,
                None => {
                    let l = MacroLib::builder(Arc::new(stpm))
                        .durability(Durability::HIGH)
                        .new(&self.db);
                    self.other_libs.push(l);
                    l
                }
            };
            let (sp, st) = (
                self.script.path(&self.db).clone(),
                self.script.text(&self.db).clone(),
            );
            let script = self.file_in_lib(&sp, &st, FileKind::Script, lib);
            let files = found
                .iter()
                .map(|(p, t)| self.file_in_lib(p, &Arc::from(t.as_str()), FileKind::Tapset, lib))
                .collect();
            (script, files)
        };
        let program = Program::builder(script, Arc::new(files), target, self.options).new(&self.db);
        self.added.push(program);
        (program, diags)
    }

    /// A copy of a file for another macro library: same [`FileId`] (the
    /// same path and text, so diagnostics render alike), its own input.
    fn file_in_lib(
        &mut self,
        path: &str,
        text: &Arc<str>,
        kind: FileKind,
        lib: MacroLib,
    ) -> SourceFile {
        let key = (path.to_string(), lib);
        if let Some(f) = self.lib_files.get(&key) {
            if f.text(&self.db) != text {
                f.set_text(&mut self.db).to(text.clone());
            }
            return *f;
        }
        let id = match kind {
            FileKind::Script => self.script.id(&self.db),
            FileKind::Tapset => self.file_for(path, text, kind).id(&self.db),
        };
        let sf = SourceFile::builder(id, path.to_string(), text.clone(), kind, lib)
            .durability(Durability::HIGH)
            .new(&self.db);
        self.lib_files.insert(key, sf);
        sf
    }

    /// A clone of the database for one parallel job (reads only).
    pub fn fork(&self) -> Database {
        self.db.clone()
    }

    /// The SourceFile for `path`, created or updated only if its hash changed.
    fn file_for(&mut self, path: &str, text: &str, kind: FileKind) -> SourceFile {
        let hash = blake3::hash(text.as_bytes());
        if let Some((sf, h)) = self.files.get(path).cloned() {
            if h != hash {
                let d = if kind == FileKind::Tapset {
                    Durability::HIGH
                } else {
                    Durability::LOW
                };
                sf.set_text(&mut self.db)
                    .with_durability(d)
                    .to(Arc::from(text));
                self.files.insert(path.to_string(), (sf, hash));
            }
            return sf;
        }
        let id = FileId(self.by_id.len() as u32);
        let sf = SourceFile::builder(id, path.to_string(), Arc::from(text), kind, self.macros)
            .durability(Durability::HIGH)
            .new(&self.db);
        self.by_id.push(sf);
        self.files.insert(path.to_string(), (sf, hash));
        sf
    }

    /// Pass 2: the checked program (when there are no errors) and every
    /// diagnostic, sorted by (file, offset).
    pub fn elaborate(&self) -> (Option<Arc<ir::Program>>, Vec<Diagnostic>) {
        let e = elaborate(&self.db, self.program);
        (e.program.clone(), e.diags.clone())
    }

    /// Pass 2 for a program of this session (one added by
    /// [`Session::add_target`]) on a database: the session's own or a
    /// [`Session::fork`] of it, from any thread.
    pub fn elaborate_on(
        db: &Database,
        program: Program,
    ) -> (Option<Arc<ir::Program>>, Vec<Diagnostic>) {
        let e = elaborate(db, program);
        (e.program.clone(), e.diags.clone())
    }

    /// The `-p2` text (empty when elaboration failed).
    pub fn dump_p2(&self) -> String {
        elaborate(&self.db, self.program).dump.clone()
    }

    /// `-l PATTERN` / `-L PATTERN`.
    pub fn list(&self, pattern: &str, verbose: bool) -> (Vec<String>, Vec<Diagnostic>) {
        list_points(&self.db, self.program, pattern, verbose)
    }

    /// The path and text of a file, for rendering diagnostics.
    pub fn file(&self, id: FileId) -> Option<(String, Arc<str>)> {
        let sf = self.by_id.get(id.0 as usize)?;
        Some((sf.path(&self.db).clone(), sf.text(&self.db).clone()))
    }
}

/// The values of a [`TargetKernel`] input, read off a profile. Loading
/// the tables may fail: the failure is returned and the target is used
/// without tables.
struct TargetData {
    release: String,
    arch: String,
    version: String,
    config: Arc<BTreeMap<String, String>>,
    tables: Arc<kernel::Tables>,
}

impl TargetData {
    fn of(profile: &kernel::Profile) -> (TargetData, Vec<Diagnostic>) {
        let mut diags = Vec::new();
        let meta = &profile.meta;
        let tables = match profile.tables() {
            Ok(t) => t.clone(),
            Err(d) => {
                diags.push(d);
                Arc::new(kernel::Tables::default())
            }
        };
        let release = meta.release.clone();
        let version = meta.version.clone().unwrap_or_else(|| version_of(&release));
        let config = meta
            .config
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().to_string()))
            .collect();
        let data = TargetData {
            arch: meta.arch.name().to_string(),
            release,
            version,
            config: Arc::new(config),
            tables,
        };
        (data, diags)
    }
}

/// `6.1.0-56-amd64` -> `6.1.0`.
pub fn version_of(release: &str) -> String {
    let v: String = release
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    v.trim_end_matches('.').to_string()
}

/// The subdirectories searched under each tapset root, most specific first
/// (`""` is the root itself).
pub fn tapset_subdirs(release: &str, arch: &str) -> Vec<String> {
    let v = version_of(release);
    let parts: Vec<&str> = v.split('.').filter(|s| !s.is_empty()).collect();
    let mut vers = Vec::new();
    for n in (1..=parts.len()).rev() {
        vers.push(parts[..n].join("."));
    }
    let mut out = Vec::new();
    for prefix in ["linux/", ""] {
        for ver in &vers {
            out.push(format!("{prefix}{ver}/{arch}"));
            out.push(format!("{prefix}{ver}"));
        }
        out.push(format!("{prefix}{arch}"));
        if !prefix.is_empty() {
            out.push(prefix.trim_end_matches('/').to_string());
        }
    }
    out.push(String::new());
    out
}

/// `-l`/`-L` over a program: expand `pattern` through aliases and resolve
/// it against the target.
pub fn list_points(
    db: &dyn Db,
    program: Program,
    pattern: &str,
    verbose: bool,
) -> (Vec<String>, Vec<Diagnostic>) {
    let text = format!("probe {pattern} {{}}");
    let spec = match lower::parse_point_text(&text) {
        Ok(s) => s,
        Err(d) => return (Vec::new(), d),
    };
    let index = tapset_index(db, program).clone();
    let target = program.target(db);
    let tables = target.tables(db).clone();
    let mut lines = Vec::new();
    // Aliases matching the pattern are listed by name.
    let mut alias_hit = false;
    for (name, files) in &index.aliases {
        for f in files {
            let Some(sf) = program.tapsets(db).iter().find(|s| s.id(db) == *f).copied() else {
                continue;
            };
            for it in &file_items(db, program, sf).items {
                let hir::Item::Alias(a) = it else { continue };
                for n in &a.names {
                    if &n.text() != name {
                        continue;
                    }
                    let used = elab::match_components(&spec.components, &n.components);
                    if !used.contains(&spec.components.len()) {
                        continue;
                    }
                    alias_hit = true;
                    let mut line = name.clone();
                    if verbose {
                        let mut vars = alias_locals(&a.body);
                        vars.sort();
                        vars.dedup();
                        for v in vars {
                            line.push_str(&format!(" {v}"));
                        }
                    }
                    lines.push(line);
                }
            }
        }
    }
    if !alias_hit {
        let key_comps: Vec<hir::Component> = spec
            .components
            .iter()
            .map(|c| hir::Component {
                name: c.name.clone(),
                arg: c.arg.clone(),
                span: crate::NO_SPAN,
            })
            .collect();
        let key = PointKey::new(db, key_comps);
        match resolve_point(db, target, key) {
            Ok(pts) => {
                for p in pts.iter() {
                    let mut line = p.pp.clone();
                    if verbose {
                        match &p.ctx {
                            PointCtx::Function {
                                params,
                                ret,
                                is_return,
                                ..
                            } => {
                                if *is_return && ret.0 != 0 {
                                    line.push_str(&format!(
                                        " $return:{}",
                                        tables.types.type_name(*ret)
                                    ));
                                }
                                for (i, prm) in params.iter().enumerate() {
                                    let n = if prm.name.is_empty() {
                                        format!("arg{}", i + 1)
                                    } else {
                                        prm.name.clone()
                                    };
                                    line.push_str(&format!(
                                        " ${n}:{}",
                                        tables.types.type_name(prm.ty)
                                    ));
                                }
                            }
                            PointCtx::Tracepoint { args } => {
                                for a in args {
                                    line.push_str(&format!(
                                        " ${}:{}",
                                        a.name,
                                        tables.types.type_name(a.ty)
                                    ));
                                }
                            }
                            PointCtx::Procfs { .. } => line.push_str(" $value:string"),
                            PointCtx::None if matches!(p.kind, ir::PointKind::Netfilter { .. }) => {
                                for v in crate::points::NETFILTER_VARS.split(' ') {
                                    if let Some((_, ty, ptr)) =
                                        crate::points::netfilter_var(&tables, &v[1..])
                                    {
                                        let star = if ptr { "*" } else { "" };
                                        line.push_str(&format!(
                                            " {v}:{}{star}",
                                            tables.types.type_name(ty)
                                        ));
                                    }
                                }
                            }
                            PointCtx::None => {}
                        }
                    }
                    lines.push(line);
                }
            }
            Err(e) => {
                let mut d = Diagnostic::error(e.code, e.message.clone());
                if let Some(h) = &e.help {
                    d = d.with_help(h.clone());
                }
                return (Vec::new(), vec![d]);
            }
        }
    }
    lines.sort();
    lines.dedup();
    (lines, Vec::new())
}

/// `name:type`-less list of the locals an alias body assigns (for `-L`).
fn alias_locals(body: &hir::Stmt) -> Vec<String> {
    let mut out = Vec::new();
    hir::walk_stmt_exprs(body, &mut |e| {
        if let hir::ExprKind::Assign { target, .. } = &e.kind {
            if let hir::ExprKind::Name(n) = &target.kind {
                out.push(n.clone());
            }
        }
    });
    out
}
