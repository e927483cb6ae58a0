//! Passes 3 and 4: the checked program from pass 2 goes through
//! [`codegen::generate`] (C units for the target), then [`build::build`]
//! (kbuild against the target's build tree, cross compiler chosen from the
//! target arch, content-addressed cache).
//!
//! A level-1 cache lookup runs *before* parsing: its key is the blake3 of
//! the raw inputs (script text, every tapset file, the target profile hash,
//! the options and the compiler identity). A hit places the `.ko` without
//! parsing, elaborating or generating anything (DESIGN principle 3).

use std::path::{Path, PathBuf};

use diag::{Diagnostic, Span};

use crate::args::Script;
use crate::input;
use crate::pass2;
use crate::render::SourceMap;
use crate::session::Session;
use crate::tapsets;

/// The default module name when `-m` is not given: stap's `stap_<hash>`
/// form, from the script text, so that repeated runs agree.
fn default_module_name(script_text: &str) -> String {
    let h = blake3::hash(script_text.as_bytes()).to_hex();
    format!("stap_{}", &h[..16])
}

/// Hash of the tapset library: every file's path and content, in order.
pub(crate) fn tapsets_hash(dirs: &[PathBuf]) -> String {
    let mut files = Vec::new();
    for d in dirs {
        collect_files(d, &mut files);
    }
    files.sort();
    let mut h = blake3::Hasher::new();
    for f in files {
        h.update(f.to_string_lossy().as_bytes());
        h.update(&[0]);
        if let Ok(bytes) = std::fs::read(&f) {
            h.update(&(bytes.len() as u64).to_le_bytes());
            h.update(&bytes);
        }
    }
    h.finalize().to_hex().to_string()
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect_files(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// The level-1 cache key of building `script_text` for `target`: a hash
/// of the raw inputs, computed before parsing. `None` when the target's
/// compiler cannot be identified (then there is no level-1 lookup and the
/// build itself reports the missing compiler).
pub(crate) fn level1_key(
    sess: &Session,
    script_text: &str,
    tapsets_hash: &str,
    name: &str,
    target: &build::BuildTarget,
    opts: &build::BuildOptions,
) -> Option<build::CacheKey> {
    let (tc, ident) = build::compiler_for(target, opts).ok()?;
    let words = option_words(sess);
    let scripts = [("script", script_text)];
    Some(build::cache_key_for_inputs(&build::Level1Inputs {
        scripts: &scripts,
        tapsets_hash,
        module_name: name,
        release: &target.release,
        arch: &target.arch,
        profile_hash: &target.profile_hash,
        options: &words,
        cross_compile: &tc.cross_compile,
        compiler_identity: &ident,
        make_vars: &opts.make_vars,
        xstap_version: build::XSTAP_VERSION,
    }))
}

/// Everything besides the sources that changes the generated module.
fn option_words(sess: &Session) -> Vec<String> {
    let o = &sess.opts;
    let mut w = vec![
        format!("guru={}", o.guru),
        format!("unopt={}", o.unoptimized),
    ];
    w.extend(
        o.defines
            .iter()
            .map(|(k, v)| format!("-D{k}={}", v.as_deref().unwrap_or(""))),
    );
    w.extend(
        o.kbuild_defs
            .iter()
            .map(|(k, v)| format!("-B{k}={}", v.as_deref().unwrap_or(""))),
    );
    w.extend(o.script_args.iter().map(|a| format!("arg={a}")));
    w.extend(o.extra_scripts.iter().map(|e| format!("-E={e}")));
    w.extend(o.include_dirs.iter().map(|d| format!("-I={}", d.display())));
    w
}

fn make_vars(sess: &Session) -> Vec<(String, String)> {
    sess.opts
        .kbuild_defs
        .iter()
        .map(|(k, v)| (k.clone(), v.clone().unwrap_or_default()))
        .collect()
}

/// The target of this run as pass 4 sees it.
fn build_target(sess: &mut Session) -> Option<(build::BuildTarget, kernel::Profile)> {
    let opts = &sess.opts;
    let profile = match kernel::select::select(
        &kernel::store::home(),
        opts.kernel_release.as_deref(),
        opts.arch.as_deref(),
    ) {
        Ok(p) => p,
        Err(d) => {
            sess.report(d);
            return None;
        }
    };
    let Some(kdir) = profile.meta.build_tree.clone() else {
        sess.report(
            Diagnostic::error("E0702", format!("the target profile of {} has no build tree", profile.meta.release))
                .with_help(format!(
                    "pass 4 needs the kernel's kbuild tree: `xstap target fetch debian:{}` or `xstap target add /lib/modules/{}/build`",
                    profile.meta.release, profile.meta.release
                )),
        );
        return None;
    };
    let target = build_target_of(&profile, kdir);
    Some((target, profile))
}

fn build_options(sess: &Session) -> build::BuildOptions {
    let cache = if sess.opts.disable_cache {
        None
    } else {
        build::cache::default_dir().and_then(|d| build::Cache::open(d).ok())
    };
    build::BuildOptions {
        make_vars: make_vars(sess),
        keep: sess.opts.keep_temps,
        cache,
        ..Default::default()
    }
}

/// Where `-p4` leaves the module: `-o FILE`, else `NAME.ko` in the cwd.
fn output_path(sess: &Session, name: &str) -> PathBuf {
    sess.opts
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{name}.ko")))
}

/// Report a build diagnostic; one that gcc placed in a script (via the
/// `#line` directives) gets a span there.
fn report_located(sess: &mut Session, l: build::Located) {
    let mut d = l.diagnostic;
    if let Some(at) = l.at {
        if d.primary.is_none() {
            if let Some((file, start)) = locate(&sess.sources, &at.file, at.line, at.col) {
                d.primary = Some(diag::Label {
                    span: Span::new(file, start, start + 1),
                    message: String::new(),
                });
            } else {
                d.notes
                    .push(format!("at {}:{}:{}", at.file, at.line, at.col));
            }
        }
    }
    sess.report(d);
}

pub fn run(sess: &mut Session) {
    // The raw script text, for the default module name and the level-1 key.
    let script_text = match peek_script_text(sess) {
        Ok(t) => t,
        Err(d) => {
            sess.report(d);
            return;
        }
    };
    let name = sess
        .opts
        .module_name
        .clone()
        .unwrap_or_else(|| default_module_name(&script_text));
    if !valid_module_name(&name) {
        sess.report(
            Diagnostic::error("E0710", format!("`{name}` is not a valid module name"))
                .with_help("use letters, digits and `_`, not starting with a digit, at most 55 characters: `-m my_probe`"),
        );
        return;
    }
    sess.opts.module_name = Some(name.clone());

    // Pass 4 needs the target before anything else: a level-1 cache hit
    // then skips parsing altogether.
    let mut level1 = None;
    let mut target = None;
    if sess.opts.pass >= 4 {
        // Build directories of runs killed more than an hour ago.
        build::engine::remove_stale_build_dirs(None);
        let Some((t, _profile)) = build_target(sess) else {
            return;
        };
        let opts = build_options(sess);
        if let Some(cache) = &opts.cache {
            let thash = tapsets_hash(&tapsets::dirs(&sess.opts));
            if let Some(key) = level1_key(sess, &script_text, &thash, &name, &t, &opts) {
                let out = output_path(sess, &name);
                if let Some(built) = build::fetch_level1(cache, &key, &out) {
                    if sess.opts.verbose > 0 {
                        eprintln!("Pass 4: cache hit ({}), no parsing needed", built.cache_key);
                    }
                    println!("{}", out.display());
                    return;
                }
                level1 = Some((cache.clone(), key));
            }
        }
        target = Some(t);
    }

    let Some((_dbs, program)) = pass2::elaborate(sess) else {
        return;
    };
    if sess.has_errors() {
        return;
    }
    let (module, diags) = codegen::generate(&program);
    sess.report_all(diags);
    let Some(module) = module else { return };
    if sess.has_errors() {
        return;
    }
    if sess.opts.pass == 3 {
        for u in &module.units {
            if codegen::RUNTIME.iter().any(|(n, _, _)| *n == u.file_name) {
                continue;
            }
            println!("/* ---- {} ---- */", u.file_name);
            print!("{}", u.contents);
        }
        return;
    }
    let Some(target) = target else { return };
    let out = output_path(sess, &name);
    // A persistent build directory per (target, module name), so kbuild
    // recompiles only the units whose bytes changed (DESIGN principle 4).
    // A concurrent run holding it builds in a temporary directory instead.
    let (build_dir, _lock) = persistent_build_dir(&target.release, &name);
    let job = build::BuildJob {
        name: name.clone(),
        units: units_of(&module),
        required_symbols: module.required_symbols.clone(),
        target,
        output: out.clone(),
        build_dir,
    };
    let opts = build_options(sess);
    let outcome = build::build(&job, &opts);
    match outcome.result {
        Ok(built) => {
            for w in built.warnings {
                report_located(sess, w);
            }
            if let Some((cache, l1)) = level1 {
                let l2 = build::CacheKey::from_hex(&built.cache_key);
                if let Some(l2) = l2 {
                    let _ = cache.record_level1(&l1, &l2);
                }
            }
            if let (Some(dir), true) = (&built.build_dir, sess.opts.keep_temps) {
                eprintln!("Keeping build directory \"{}\"", dir.display());
            }
            if sess.opts.verbose > 0 {
                eprintln!(
                    "Pass 4: {} ({}; recompiled: {})",
                    built.ko.display(),
                    if built.cached {
                        "from the cache"
                    } else {
                        "built"
                    },
                    if built.recompiled.is_empty() {
                        "nothing".to_string()
                    } else {
                        built.recompiled.join(" ")
                    }
                );
            }
            println!("{}", built.ko.display());
        }
        Err(failed) => {
            for l in failed.diagnostics {
                report_located(sess, l);
            }
            if let Some(dir) = &failed.build_dir {
                eprintln!("Keeping temporary directory \"{}\"", dir.display());
            }
        }
    }
}

fn valid_module_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 55
        && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !n.starts_with(|c: char| c.is_ascii_digit())
}

/// The script's text before pass 2 reads it. Standard input can be read
/// only once, so its text replaces the `-` operand.
pub(crate) fn peek_script_text(sess: &mut Session) -> Result<String, Diagnostic> {
    match &sess.opts.script {
        Script::Inline(t) => Ok(t.clone()),
        Script::File(p) => Ok(String::from_utf8_lossy(&input::read_file(p)?).into_owned()),
        Script::Stdin | Script::None => {
            let mut scratch = SourceMap::new();
            let id = input::read_script(&sess.opts.script, &mut scratch)?;
            let text = scratch.text(id).to_owned();
            sess.opts.script = Script::Inline(text.clone());
            Ok(text)
        }
    }
}

/// The file id and byte offset of `line:col` (1-based) in the source named
/// `name`, if it is loaded.
fn locate(sources: &SourceMap, name: &str, line: u32, col: u32) -> Option<(diag::FileId, u32)> {
    let mut id = 0u32;
    loop {
        let f = diag::FileId(id);
        let n = sources.name(f);
        if n == "<unknown>" {
            return None;
        }
        if n == name || Path::new(n).file_name() == Path::new(name).file_name() {
            let text = sources.text(f);
            let mut off = 0usize;
            for (i, l) in text.split_inclusive('\n').enumerate() {
                if i + 1 == line as usize {
                    let c = (col.max(1) as usize - 1).min(l.len());
                    return Some((f, (off + c) as u32));
                }
                off += l.len();
            }
            return Some((f, 0));
        }
        id += 1;
    }
}

/// `$XSTAP_HOME/builds/RELEASE/NAME`, locked for this run; `(None, None)`
/// when it cannot be created or another run holds it.
fn persistent_build_dir(release: &str, name: &str) -> (Option<PathBuf>, Option<std::fs::File>) {
    let dir = kernel::store::home()
        .join("builds")
        .join(release)
        .join(name);
    if std::fs::create_dir_all(&dir).is_err() {
        return (None, None);
    }
    let lock_path = dir.with_extension("lock");
    let Ok(lock) = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
    else {
        return (None, None);
    };
    match lock.try_lock() {
        Ok(()) => (Some(dir), Some(lock)),
        Err(_) => (None, None),
    }
}

/// The generated C as pass 4's input.
pub(crate) fn units_of(module: &codegen::CModule) -> Vec<build::Unit> {
    module
        .units
        .iter()
        .map(|u| build::Unit {
            file_name: u.file_name.clone(),
            contents: u.contents.clone(),
            compile: u.compile,
        })
        .collect()
}

/// A target profile as pass 4 sees it: the cross compiler and `CC` are
/// chosen by the build crate from the arch and the tree.
pub(crate) fn build_target_of(profile: &kernel::Profile, kdir: PathBuf) -> build::BuildTarget {
    build::BuildTarget {
        release: profile.meta.release.clone(),
        arch: profile.meta.arch.kbuild_arch().to_string(),
        kdir,
        cross_compile: None,
        cc: None,
        profile_hash: profile.meta.hash.clone(),
        exports: build::Exports::FromBuildTree,
    }
}
