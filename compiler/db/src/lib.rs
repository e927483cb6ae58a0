//! Pass 2 of xstap: the salsa database that turns a script, the tapset
//! library and a target profile into a checked [`ir::Program`].
//!
//! Depends on `diag`, `syntax` (parsing and the preprocessor's conditions),
//! `kernel` (profile data, no I/O of ours) and `ir` (the output contract).
//! Nothing here prints. The CLI drives it through [`Session`].
//!
//! Inputs (salsa): [`SourceFile`] (script LOW durability, tapsets HIGH),
//! [`TargetKernel`] (HIGH; split in fields so a query reading `release` is
//! not invalidated by new tables), [`Options`] and [`Program`] (which files,
//! which target, which options make one compile).
//!
//! Queries, narrowest key first:
//! - [`parse_file`]`(file)`: the lossless tree (a `GreenNode`) + diagnostics;
//!   shared by every target.
//! - [`file_facts`]`(file)`: which target facts the file's `%( %)`
//!   conditionals mention.
//! - [`preprocess`]`(file, facts)`: the live items of the file lowered to
//!   the db's [`hir`], keyed by the *values of the facts it mentions*, so
//!   two targets that agree on them share the result.
//! - [`file_items`]`(program, file)`: picks the facts for the program's
//!   target and calls `preprocess`.
//! - [`tapset_index`]`(program)`: which tapset file defines which function,
//!   global and alias.
//! - [`resolve_point`]`(target, point)`: one built-in probe point against
//!   the profile (wildcards over its functions and tracepoints).
//! - [`elaborate`]`(program)`: alias expansion, on-demand inclusion of
//!   tapset files, name resolution, whole-program type inference (one
//!   query with a worklist inside), checks, the `ir` and the `-p2` text.
//!
//! Invariants: no `SyntaxNode` is stored in salsa (only `GreenNode`s and
//! plain data); diagnostics are returned as values, sorted by (file,
//! offset); bad input never panics.
//!
//! # API boundary (what the CLI calls)
//!
//! ```text
//! let mut s = db::Session::new();                       // or Session::with_db(Database::with_query_log(log))
//! let d: Vec<Diagnostic> = s.set_target(&profile);      // kernel::Profile (tables loaded once)
//! let d: Vec<Diagnostic> = s.set_tapset_roots(dirs);    // built-in dir and -I dirs, in search order
//! s.set_options(db::SessionOptions { guru, module_name, defines, args, unoptimized, .. });
//! s.set_script("path.stp", &text);                      // text after $1/@1 substitution
//! let (p, d): (Option<Arc<ir::Program>>, Vec<Diagnostic>) = s.elaborate();
//! let text: String = s.dump_p2();                       // -p2 output ("" after errors)
//! let (lines, d) = s.list("syscall.*", /* -L */ true);  // -l / -L
//! let (path, text): (String, Arc<str>) = s.file(diag_file_id).unwrap();
//! ```
//!
//! Setters compare before writing (blake3 of texts, the profile's content
//! hash), so calling them again with the same values costs nothing and an
//! unchanged second compile executes no query. The [`Session`] is not
//! `Sync`; for parallel targets clone the [`Database`] at the top level.

pub mod dump;
pub mod elab;
pub mod hir;
pub mod lower;
pub mod points;
pub mod session;
pub mod typeck;

use std::collections::BTreeMap;
use std::sync::Arc;

use diag::{Diagnostic, FileId};

pub use session::{Session, SessionOptions};

/// A placeholder span for keys that must not depend on positions.
pub const NO_SPAN: diag::Span = diag::Span {
    file: FileId(u32::MAX),
    start: 0,
    end: 0,
};

/// What kind of source a file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FileKind {
    Script,
    Tapset,
}

/// A source text: the user's script or one tapset file.
#[salsa::input(debug)]
pub struct SourceFile {
    #[returns(copy)]
    pub id: FileId,
    #[returns(ref)]
    pub path: String,
    #[returns(ref)]
    pub text: Arc<str>,
    #[returns(copy)]
    pub kind: FileKind,
    /// The library macros this file's `@name` invocations may use.
    #[returns(copy)]
    pub macros: MacroLib,
}

/// The library macros: the `.stpm` files of the tapset directories
/// (path, text), in search order; the first definition of a name wins.
#[salsa::input(debug)]
pub struct MacroLib {
    #[returns(ref)]
    pub files: Arc<Vec<(String, Arc<str>)>>,
}

/// The macro table of the library's `.stpm` files (their own errors are
/// ignored here: a bad library file defines what it can).
#[salsa::tracked(returns(ref))]
pub fn macro_table(db: &dyn Db, lib: MacroLib) -> Arc<syntax::preprocess::MacroTable> {
    let mut table = syntax::preprocess::MacroTable::new();
    for (_, text) in lib.files(db).iter() {
        let parsed = syntax::parse(text);
        let (defs, _) = syntax::preprocess::library_macros(&parsed.tree());
        for (name, m) in defs {
            table.entry(name).or_insert(m);
        }
    }
    Arc::new(table)
}

/// A target kernel, split in fields by how often they are read.
#[salsa::input(debug)]
pub struct TargetKernel {
    #[returns(ref)]
    pub release: String,
    #[returns(ref)]
    pub arch: String,
    /// Upstream version (`6.1.192`), or the numeric prefix of the release.
    #[returns(ref)]
    pub version: String,
    #[returns(ref)]
    pub config: Arc<BTreeMap<String, String>>,
    #[returns(ref)]
    pub tables: Arc<kernel::Tables>,
}

/// Compile options that change elaboration.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct OptionsData {
    /// `-m NAME`.
    pub module_name: String,
    /// `-g`.
    pub guru: bool,
    /// `-D NAME=VALUE`.
    pub defines: Vec<(String, String)>,
    /// `-w`: no warnings.
    pub suppress_warnings: bool,
    /// `--privilege`: `stapdev` (default), `stapsys`, `stapusr`.
    pub privilege: String,
    /// Command-line arguments `$1`, `@1`, ...
    pub args: Vec<String>,
    /// `-W`: warnings are errors.
    pub warnings_as_errors: bool,
    /// `-u`: no elision of side-effect-free code (its errors are reported).
    pub unoptimized: bool,
}

#[salsa::input(debug)]
pub struct Options {
    #[returns(ref)]
    pub data: OptionsData,
}

/// One compile: a script, the tapset library, a target and options.
#[salsa::input(debug)]
pub struct Program {
    #[returns(copy)]
    pub script: SourceFile,
    #[returns(ref)]
    pub tapsets: Arc<Vec<SourceFile>>,
    #[returns(copy)]
    pub target: TargetKernel,
    #[returns(copy)]
    pub options: Options,
}

#[salsa::db]
pub trait Db: salsa::Database {}

/// The database. Cheap to clone (for parallel targets: drop clones before
/// calling a setter).
#[salsa::db]
#[derive(Clone, Default)]
pub struct Database {
    storage: salsa::Storage<Self>,
}

#[salsa::db]
impl salsa::Database for Database {}

#[salsa::db]
impl Db for Database {}

impl Database {
    /// A database that reports the name of every query it executes to
    /// `log` (for incrementality tests and `--trace-queries`).
    pub fn with_query_log(log: Arc<std::sync::Mutex<Vec<String>>>) -> Database {
        let storage = salsa::Storage::new(Some(Box::new(move |event: salsa::Event| {
            if let salsa::EventKind::WillExecute { database_key } = event.kind {
                let text = format!("{database_key:?}");
                let name = text.split('(').next().unwrap_or(&text).to_string();
                log.lock().unwrap_or_else(|e| e.into_inner()).push(name);
            }
        })));
        Database { storage }
    }
}

/// A parsed file: the green tree and the parse diagnostics.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedFile {
    pub green: rowan::GreenNode,
    pub diags: Vec<Diagnostic>,
    /// Where `@define` macros were expanded (the tree is of the expanded
    /// text; spans are mapped back to the original with these).
    pub sites: Vec<syntax::preprocess::ExpansionSite>,
}

#[salsa::tracked(returns(ref))]
pub fn parse_file(db: &dyn Db, file: SourceFile) -> ParsedFile {
    let text = file.text(db);
    let id = file.id(db);
    // The file's own `@define` macros are expanded before parsing, like stap.
    let library = macro_table(db, file.macros(db));
    let uses_library =
        !library.is_empty() && library.keys().any(|k| text.contains(&format!("@{k}")));
    let (green, mut diags, sites) = if text.contains("@define") || uses_library {
        let ex = syntax::preprocess::expand_macros(text, library);
        let (green, mut diags) = syntax::parse(&ex.text).into_parts();
        diags.extend(ex.errors.iter().cloned());
        for d in &mut diags {
            lower::map_diag(d, &ex.sites);
        }
        (green, diags, ex.sites)
    } else {
        let (green, diags) = syntax::parse(text).into_parts();
        (green, diags, Vec::new())
    };
    for d in &mut diags {
        remap_file(d, id);
    }
    ParsedFile {
        green,
        diags,
        sites,
    }
}

/// Point a diagnostic of the syntax layer (which uses `FileId(0)`) at `id`.
pub fn remap_file(d: &mut Diagnostic, id: FileId) {
    if let Some(l) = &mut d.primary {
        l.span.file = id;
    }
    for l in &mut d.secondary {
        l.span.file = id;
    }
}

/// The names of the target facts (`kernel_v`, `arch`, `CONFIG_FOO`, ...)
/// the file's conditionals test.
#[salsa::tracked(returns(ref))]
pub fn file_facts(db: &dyn Db, file: SourceFile) -> Arc<Vec<String>> {
    let parsed = parse_file(db, file);
    Arc::new(lower::mentioned_facts(&parsed.green))
}

/// The values of some target facts, interned so equal sets share an id.
#[salsa::interned(debug)]
pub struct Facts<'db> {
    #[returns(ref)]
    pub values: Vec<(String, String)>,
}

/// The file's live items for one set of fact values.
#[salsa::tracked(returns(ref))]
pub fn preprocess<'db>(
    db: &'db dyn Db,
    file: SourceFile,
    facts: Facts<'db>,
) -> Arc<hir::FileItems> {
    let parsed = parse_file(db, file);
    let values: BTreeMap<String, String> = facts.values(db).iter().cloned().collect();
    let tapset = file.kind(db) == FileKind::Tapset;
    let root = syntax::SyntaxNode::new_root(parsed.green.clone());
    if root
        .descendants()
        .any(|n| n.kind() == syntax::SyntaxKind::TOKEN_SOUP)
    {
        // Conditionals (or macro uses) that only parse once resolved, such
        // as `%(` inside a probe point's literal: choose the live arms on
        // the (macro-expanded) text and parse that for this target.
        let text = file.text(db);
        let library = macro_table(db, file.macros(db));
        let expanded = if parsed.sites.is_empty() {
            text.to_string()
        } else {
            syntax::preprocess::expand_macros(text, library).text
        };
        let mut items =
            lower::lower_resolved(file.id(db), &expanded, &parsed.sites, &values, tapset);
        for d in &mut items.diags {
            remap_file(d, file.id(db));
        }
        return Arc::new(items);
    }
    Arc::new(lower::lower_file(
        file.id(db),
        &parsed.green,
        &parsed.sites,
        &values,
        tapset,
    ))
}

/// The value of one fact for a target and options.
fn fact_value(db: &dyn Db, target: TargetKernel, opts: &OptionsData, name: &str) -> String {
    match name {
        "kernel_v" => target.version(db).clone(),
        "kernel_vr" => target.release(db).clone(),
        "arch" => target.arch(db).clone(),
        "runtime" => "kernel".into(),
        "guru_mode" => if opts.guru { "1" } else { "0" }.into(),
        "systemtap_v" => lower::SYSTEMTAP_V.into(),
        "systemtap_privilege" => {
            if opts.privilege.is_empty() {
                "stapdev".into()
            } else {
                opts.privilege.clone()
            }
        }
        n if n.starts_with("CONFIG_") => target.config(db).get(n).cloned().unwrap_or_default(),
        // `$1`, `@1`, ... are facts too: command-line arguments.
        n if n.starts_with('$') || n.starts_with('@') => n[1..]
            .parse::<usize>()
            .ok()
            .and_then(|i| opts.args.get(i.wrapping_sub(1)))
            .cloned()
            .unwrap_or_default(),
        _ => String::new(),
    }
}

#[salsa::tracked(returns(ref))]
pub fn file_items(db: &dyn Db, program: Program, file: SourceFile) -> Arc<hir::FileItems> {
    let names = file_facts(db, file);
    let target = program.target(db);
    let opts = program.options(db).data(db);
    let values: Vec<(String, String)> = names
        .iter()
        .map(|n| (n.clone(), fact_value(db, target, opts, n)))
        .collect();
    let facts = Facts::new(db, values);
    preprocess(db, file, facts).clone()
}

#[salsa::tracked(returns(ref))]
pub fn tapset_index(db: &dyn Db, program: Program) -> Arc<elab::TapsetIndex> {
    let files: Vec<(FileId, Arc<hir::FileItems>)> = program
        .tapsets(db)
        .iter()
        .map(|f| (f.id(db), file_items(db, program, *f).clone()))
        .collect();
    Arc::new(elab::TapsetIndex::build(&files))
}

/// A built-in probe point as a query key (spans removed).
#[salsa::interned(debug)]
pub struct PointKey<'db> {
    #[returns(ref)]
    pub components: Vec<hir::Component>,
}

pub type PointResult = Result<Arc<Vec<points::ResolvedPoint>>, points::PointError>;

#[salsa::tracked(returns(ref))]
pub fn resolve_point<'db>(
    db: &'db dyn Db,
    target: TargetKernel,
    key: PointKey<'db>,
) -> PointResult {
    let tables = target.tables(db);
    let hz = target
        .config(db)
        .get("CONFIG_HZ")
        .and_then(|v| v.parse().ok())
        .unwrap_or(250);
    let view = points::TargetView {
        release: target.release(db),
        arch: target.arch(db),
        tables,
        hz,
    };
    points::resolve_point(key.components(db), &view).map(Arc::new)
}

/// The result of pass 2 for one program.
#[derive(Clone, Debug, PartialEq)]
pub struct Elaboration {
    /// `None` when there were errors.
    pub program: Option<Arc<ir::Program>>,
    /// Every diagnostic of the compile (parse, preprocess, elaboration),
    /// sorted by (file, offset).
    pub diags: Vec<Diagnostic>,
    /// The `-p2` text (empty when there were errors).
    pub dump: String,
}

/// Line starts of a file (for run-time locations).
#[salsa::tracked(returns(ref))]
pub fn line_starts(db: &dyn Db, file: SourceFile) -> Arc<Vec<u32>> {
    let text = file.text(db);
    let mut v = vec![0u32];
    for (i, b) in text.bytes().enumerate() {
        if b == b'\n' {
            v.push(i as u32 + 1);
        }
    }
    Arc::new(v)
}

#[salsa::tracked(returns(ref))]
pub fn elaborate(db: &dyn Db, program: Program) -> Arc<Elaboration> {
    let script = program.script(db);
    let tapsets = program.tapsets(db).clone();
    let target = program.target(db);
    let opts = program.options(db).data(db).clone();
    let mut by_id: BTreeMap<FileId, SourceFile> = BTreeMap::new();
    by_id.insert(script.id(db), script);
    for t in tapsets.iter() {
        by_id.insert(t.id(db), *t);
    }
    let index = tapset_index(db, program).clone();
    let items = |f: FileId| -> Arc<hir::FileItems> {
        match by_id.get(&f) {
            Some(sf) => file_items(db, program, *sf).clone(),
            None => Arc::new(hir::FileItems::default()),
        }
    };
    let resolve = |comps: &[hir::Component]| -> PointResult {
        let stripped: Vec<hir::Component> = comps
            .iter()
            .map(|c| hir::Component {
                name: c.name.clone(),
                arg: c.arg.clone(),
                span: crate::NO_SPAN,
            })
            .collect();
        let key = PointKey::new(db, stripped);
        resolve_point(db, target, key).clone()
    };
    let env = elab::Env {
        script: script.id(db),
        items: &items,
        index: &index,
        resolve: &resolve,
        release: target.release(db),
    };
    let resolved = elab::resolve(&env);
    // Run-time locations: file index in `ir::Program::files`.
    let file_index: BTreeMap<FileId, u32> = resolved
        .files
        .iter()
        .enumerate()
        .map(|(i, f)| (*f, i as u32))
        .collect();
    let loc = |s: diag::Span| -> ir::Loc {
        let Some(sf) = by_id.get(&s.file) else {
            return ir::Loc::default();
        };
        let starts = line_starts(db, *sf);
        let line = starts.partition_point(|&x| x <= s.start);
        let col = s.start - starts[line.saturating_sub(1).min(starts.len() - 1)] + 1;
        ir::Loc {
            file: file_index.get(&s.file).copied().unwrap_or(0),
            line: line as u32,
            col,
        }
    };
    let tables = target.tables(db).clone();
    let tenv = typeck::TyEnv {
        script: script.id(db),
        tables: &tables,
        arch: target.arch(db),
        guru: opts.guru,
        loc: &loc,
        name: if opts.module_name.is_empty() {
            "stap".into()
        } else {
            opts.module_name.clone()
        },
        release: target.release(db).clone(),
        defines: opts.defines.clone(),
        unoptimized: opts.unoptimized,
    };
    let checked = typeck::check(&resolved, &tenv);
    let mut diags = resolved.diags.clone();
    diags.extend(checked.diags.iter().cloned());
    // Parse and preprocess diagnostics of every file that took part. A
    // broken tapset file reports its own errors but never hides the user's.
    for f in &resolved.files {
        if let Some(sf) = by_id.get(f) {
            diags.extend(parse_file(db, *sf).diags.iter().cloned());
            diags.extend(items(*f).diags.iter().cloned());
        }
    }
    if opts.suppress_warnings {
        diags.retain(|d| d.severity != diag::Severity::Warning);
    } else if opts.warnings_as_errors {
        for d in &mut diags {
            if d.severity == diag::Severity::Warning {
                d.severity = diag::Severity::Error;
                d.notes.push("warnings are errors (-W)".into());
            }
        }
    }
    diag::sort_and_dedup(&mut diags);
    let has_errors = diags.iter().any(|d| d.is_error());
    let program_ir = if has_errors {
        None
    } else {
        checked.program.map(|mut p| {
            p.files = resolved
                .files
                .iter()
                .map(|f| by_id.get(f).map(|s| s.path(db).clone()).unwrap_or_default())
                .collect();
            Arc::new(p)
        })
    };
    let dump = match &program_ir {
        Some(p) => dump::dump(p, &checked.derivations),
        None => String::new(),
    };
    Arc::new(Elaboration {
        program: program_ir,
        diags,
        dump,
    })
}

/// `-l`/`-L`: the probe points matching `pattern` (aliases expanded), one
/// line each; `verbose` adds `$name:type` for each target variable.
pub fn list_probe_points(
    db: &dyn Db,
    program: Program,
    pattern: &str,
    verbose: bool,
) -> (Vec<String>, Vec<Diagnostic>) {
    session::list_points(db, program, pattern, verbose)
}
