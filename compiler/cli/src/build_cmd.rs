//! `xstap build`: one script, many target kernels, one run (DESIGN "build
//! ... parallel builds").
//!
//! ```text
//! xstap build SCRIPT|-e TEXT (--target KVER)... | --all-targets
//!             [-m NAME] [-o DIR] [-j N] [--distcc] [--manifest FILE]
//!             [stap options: -I DIR -D N=V -B N=V -g -k --disable-cache ...]
//! ```
//!
//! First, per target, the level-1 cache: a key of the raw inputs (script
//! text, tapset files, options, the profile's hash, the compiler); a hit
//! places the module without loading the profile's tables or parsing
//! anything. For the other targets the script is parsed once: every target
//! is a program of its own in one salsa database, elaborated on its own
//! clone of it in parallel (rayon, at the top level only), so only
//! target-dependent queries run per kernel (probe resolution, `$var`
//! typing, conditionals on `kernel_v`/`arch`/`CONFIG_*`) while parsing is
//! shared. Then the kbuild jobs run in parallel under one job budget
//! ([`build::build_many`]),
//! each served from the cache when possible. Modules land in
//! `DIR/KVER/NAME.ko` with a JSON manifest beside them; a failing target
//! never stops the others, and the exit status says whether all succeeded.
//! A target that fails before kbuild (no or a broken profile, no build
//! tree, a front-end error such as a `$var` its kernel lacks) gets a row
//! in the summary table and the manifest with its first error, like one
//! whose build failed. A diagnostic that several targets share is reported
//! once, with the list of targets it applies to. Progress (a spinner per
//! running job, an overall bar) is drawn only when stderr is a terminal.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use diag::Diagnostic;
use rayon::prelude::*;

use crate::args::{self, Action};
use crate::pass2;
use crate::session::Session;

struct BuildArgs {
    targets: Vec<String>,
    all_targets: bool,
    out_dir: PathBuf,
    jobs: Option<usize>,
    distcc: bool,
    manifest: Option<PathBuf>,
    /// The rest: stap-compatible options and the script.
    rest: Vec<OsString>,
}

fn usage_error(msg: impl Into<String>) -> Diagnostic {
    Diagnostic::error("E0003", msg).with_help(
        "usage: xstap build SCRIPT (--target KVER)... | --all-targets [-m NAME] [-o DIR] [-j N] [--distcc] [--manifest FILE]",
    )
}

fn parse(argv: &[OsString]) -> Result<BuildArgs, Diagnostic> {
    let mut b = BuildArgs {
        targets: Vec::new(),
        all_targets: false,
        out_dir: PathBuf::from("."),
        jobs: None,
        distcc: false,
        manifest: None,
        rest: Vec::new(),
    };
    let mut it = argv.iter();
    while let Some(a) = it.next() {
        let s = a.to_string_lossy();
        let mut value = |flag: &str| -> Result<String, Diagnostic> {
            it.next()
                .map(|v| v.to_string_lossy().into_owned())
                .ok_or_else(|| usage_error(format!("`{flag}` needs a value")))
        };
        match s.as_ref() {
            "--target" | "-r" => b.targets.push(value("--target")?),
            "--all-targets" => b.all_targets = true,
            "-o" => b.out_dir = PathBuf::from(value("-o")?),
            "-j" => {
                let v = value("-j")?;
                b.jobs = Some(
                    v.parse()
                        .map_err(|_| usage_error(format!("`-j {v}`: not a number")))?,
                );
            }
            "--distcc" => b.distcc = true,
            "--manifest" => b.manifest = Some(PathBuf::from(value("--manifest")?)),
            _ if s.starts_with("--target=") => b.targets.push(s["--target=".len()..].to_string()),
            _ if s.starts_with("-j") && s[2..].parse::<usize>().is_ok() => {
                b.jobs = s[2..].parse().ok()
            }
            _ => b.rest.push(a.clone()),
        }
    }
    Ok(b)
}

/// Records that `d` applies to target `kver`.
fn note(d: Diagnostic, kver: &str, map: &mut BTreeMap<String, (Diagnostic, Vec<String>)>) {
    map.entry(diag_key(&d))
        .or_insert_with(|| (d, Vec::new()))
        .1
        .push(kver.to_string());
}

/// A diagnostic's identity across targets: same code, message and place.
fn diag_key(d: &Diagnostic) -> String {
    format!(
        "{}|{:?}|{}|{:?}",
        d.code,
        d.severity,
        d.message,
        d.primary.as_ref().map(|l| l.span)
    )
}

pub fn main(argv: &[OsString]) -> ExitCode {
    let b = match parse(argv) {
        Ok(b) => b,
        Err(d) => return fail(d),
    };
    let opts = match args::parse(&b.rest) {
        Ok(Action::Run(o)) => *o,
        Ok(_) => {
            return fail(usage_error(
                "`xstap build` takes a script and build options",
            ))
        }
        Err(d) => return fail(d),
    };
    let mut sess = Session::new(opts);
    let home = kernel::store::home();
    let store = kernel::store::Store::new(&home);
    let mut targets = b.targets.clone();
    if b.all_targets {
        targets.extend(store.releases());
    }
    targets.dedup();
    if targets.is_empty() {
        sess.report(usage_error("no target kernels: give `--target KVER` (repeatable) or `--all-targets`").with_note(
            "`xstap target list` shows the profiles on this host; `xstap target fetch debian:KVER` adds one",
        ));
        return sess.finish();
    }
    let name = sess
        .opts
        .module_name
        .clone()
        .unwrap_or_else(|| "stap_module".to_string());
    sess.opts.module_name = Some(name.clone());
    let script_text = match crate::pass34::peek_script_text(&mut sess) {
        Ok(t) => t,
        Err(d) => {
            sess.report(d);
            return sess.finish();
        }
    };
    let cache = if sess.opts.disable_cache {
        None
    } else {
        build::cache::default_dir().and_then(|d| build::Cache::open(d).ok())
    };
    let bopts = build::BuildOptions {
        jobs: b.jobs,
        make_vars: sess
            .opts
            .kbuild_defs
            .iter()
            .map(|(k, v)| (k.clone(), v.clone().unwrap_or_default()))
            .collect(),
        keep: sess.opts.keep_temps,
        cache,
        distcc: b.distcc,
        ..Default::default()
    };

    // Level 1 first: for each target, a key of the raw inputs (script,
    // tapsets, options, profile hash, compiler); a hit places the module
    // without loading the profile's tables or parsing anything.
    let t0 = std::time::Instant::now();
    let metas: Vec<Result<kernel::Profile, Diagnostic>> = targets
        .par_iter()
        .map(|kver| kernel::select::select(&home, Some(kver), None))
        .collect();
    let thash = crate::pass34::tapsets_hash(&crate::tapsets::dirs(&sess.opts));
    let level1: Vec<(Option<build::CacheKey>, Option<build::BuildOutcome>)> = metas
        .par_iter()
        .map(|p| {
            let (Ok(p), Some(cache)) = (p, &bopts.cache) else {
                return (None, None);
            };
            let Some(kdir) = p.meta.build_tree.clone() else {
                return (None, None);
            };
            let t = std::time::Instant::now();
            let target = crate::pass34::build_target_of(p, kdir);
            let Some(key) =
                crate::pass34::level1_key(&sess, &script_text, &thash, &name, &target, &bopts)
            else {
                return (None, None);
            };
            let out = build::engine::output_path(&b.out_dir, &p.meta.release, &name);
            let hit = build::fetch_level1(cache, &key, &out).map(|built| build::BuildOutcome {
                name: name.clone(),
                release: p.meta.release.clone(),
                arch: target.arch.clone(),
                wall: t.elapsed(),
                result: Ok(built),
            });
            (Some(key), hit)
        })
        .collect();

    // The front end for the rest: their tables load in parallel; the
    // script and tapsets are set once, on a session whose primary program
    // is the first such target; every other target is a program of its
    // own in the same database (`add_target`). Then each program is
    // elaborated and generated on its own clone of the database, in
    // parallel: parsing and preprocessing are shared through the database,
    // only target-dependent queries run per target.
    let mut per_target_diags: BTreeMap<String, (Diagnostic, Vec<String>)> = BTreeMap::new();
    let mut failed_front: Vec<(String, String, Diagnostic)> = Vec::new();
    let mut hits: Vec<build::BuildOutcome> = Vec::new();
    let mut keys: BTreeMap<String, build::CacheKey> = BTreeMap::new();
    let mut todo: Vec<(String, kernel::Profile)> = Vec::new();
    for ((kver, p), (key, hit)) in targets.iter().zip(metas).zip(level1) {
        match (p, hit) {
            (_, Some(h)) => {
                if sess.opts.verbose > 0 {
                    eprintln!("{kver}: level-1 cache hit, nothing parsed");
                }
                hits.push(h)
            }
            (Ok(p), None) => {
                if let Some(k) = key {
                    keys.insert(kver.clone(), k);
                }
                todo.push((kver.clone(), p));
            }
            (Err(d), None) => {
                note(d.clone(), kver, &mut per_target_diags);
                failed_front.push((kver.clone(), String::new(), d));
            }
        }
    }
    let tables: Vec<Option<Diagnostic>> = todo.par_iter().map(|(_, p)| p.tables().err()).collect();
    let mut loaded: Vec<(String, kernel::Profile)> = Vec::new();
    for ((kver, p), err) in todo.into_iter().zip(tables) {
        match err {
            None => loaded.push((kver, p)),
            Some(d) => {
                note(d.clone(), &kver, &mut per_target_diags);
                failed_front.push((kver, p.meta.arch.kbuild_arch().to_string(), d));
            }
        }
    }
    // With nothing left to elaborate, the script is not elaborated: every
    // row of the table says how its target ended.
    let primary = loaded.first().map(|(_, p)| Ok(p.clone()));
    let Some((mut dbs, script)) = pass2::setup_with(&mut sess, true, primary) else {
        return sess.finish();
    };
    let mut fronts: Vec<(String, kernel::Profile, db::Program, Vec<Diagnostic>)> = Vec::new();
    for (i, (kver, profile)) in loaded.into_iter().enumerate() {
        let (program, diags) = if i == 0 {
            (dbs.program(), Vec::new())
        } else {
            dbs.add_target(&profile)
        };
        fronts.push((kver, profile, program, diags));
    }
    type Front = (Option<codegen::CModule>, Vec<Diagnostic>);
    let generated: Vec<Front> = fronts
        .par_iter()
        .map_with(dbs.fork(), |db, (_, _, program, _)| {
            let (program, mut diags) = db::Session::elaborate_on(db, *program);
            let mut module = None;
            if let Some(p) = &program {
                if !diags.iter().any(Diagnostic::is_error) {
                    let (m, d) = codegen::generate(p);
                    diags.extend(d);
                    module = m;
                }
            }
            (module, diags)
        })
        .collect();
    // Every clone is dropped here (map_with's copies die with the iterator).
    let mut jobs = Vec::new();
    for ((kver, profile, _, mut diags), (module, d)) in fronts.into_iter().zip(generated) {
        diags.extend(d);
        let first_error = diags.iter().find(|d| d.is_error()).cloned();
        let arch = profile.meta.arch.kbuild_arch().to_string();
        for d in diags {
            note(d, &kver, &mut per_target_diags);
        }
        if let Some(e) = first_error {
            failed_front.push((kver.clone(), arch, e));
            continue;
        }
        let Some(module) = module else {
            let d = Diagnostic::bug(format!(
                "code generation gave no module for {kver} and no error"
            ));
            failed_front.push((kver.clone(), arch, d));
            continue;
        };
        let Some(kdir) = profile
            .meta
            .build_tree
            .clone()
            .filter(|k| k.join("Makefile").is_file())
        else {
            let d = Diagnostic::error("E0702", format!("the profile of {kver} has no usable build tree"))
                .with_help(format!("fetch the kernel again (`xstap target fetch debian:{kver}`) or point its profile at the headers"));
            note(d.clone(), &kver, &mut per_target_diags);
            failed_front.push((kver.clone(), arch, d));
            continue;
        };
        jobs.push(build::BuildJob {
            name: name.clone(),
            units: crate::pass34::units_of(&module),
            required_symbols: module.required_symbols.clone(),
            target: crate::pass34::build_target_of(&profile, kdir),
            output: build::engine::output_path(&b.out_dir, &profile.meta.release, &name),
            build_dir: None,
        });
    }
    let front_time = t0.elapsed();

    // Diagnostics: once each, with the targets they apply to when not all.
    let all = targets.len();
    let mut grouped: Vec<Diagnostic> = per_target_diags
        .into_values()
        .map(|(mut d, ts)| {
            if ts.len() < all {
                d.notes.push(format!(
                    "for target{} {}",
                    if ts.len() == 1 { "" } else { "s" },
                    ts.join(", ")
                ));
            }
            d
        })
        .collect();
    diag::sort_and_dedup(&mut grouped);
    pass2::refile(&mut sess, &dbs, script, grouped);

    let t1 = std::time::Instant::now();
    let mut outcomes = if jobs.is_empty() {
        Vec::new()
    } else if std::io::stderr().is_terminal() {
        build::build_many(jobs, &bopts, &build::IndicatifProgress::new(targets.len()))
    } else {
        build::build_many(jobs, &bopts, &build::NoProgress)
    };
    let build_time = t1.elapsed();
    // What was built is found by its raw inputs next time.
    if let Some(cache) = &bopts.cache {
        for o in &outcomes {
            let (Ok(built), Some(l1)) = (&o.result, keys.get(&o.release)) else {
                continue;
            };
            if let Some(l2) = build::CacheKey::from_hex(&built.cache_key) {
                let _ = cache.record_level1(l1, &l2);
            }
        }
    }
    outcomes.extend(hits);
    for o in &outcomes {
        if let Err(f) = &o.result {
            for l in &f.diagnostics {
                let mut d = l.diagnostic.clone();
                d.notes.push(format!("for target {}", o.release));
                sess.report(d);
            }
        }
    }
    // Targets that failed before kbuild join the table and the manifest,
    // in the order they were asked for, with their first error.
    let mut all_outcomes = outcomes.clone();
    for (k, arch, d) in &failed_front {
        all_outcomes.push(build::BuildOutcome {
            name: name.clone(),
            release: k.clone(),
            arch: arch.clone(),
            wall: std::time::Duration::ZERO,
            result: Err(build::Failed {
                diagnostics: vec![d.clone().into()],
                build_dir: None,
            }),
        });
    }
    all_outcomes.sort_by_key(|o| {
        targets
            .iter()
            .position(|t| *t == o.release)
            .unwrap_or(usize::MAX)
    });
    let manifest = b
        .manifest
        .clone()
        .unwrap_or_else(|| b.out_dir.join("manifest.json"));
    if let Err(e) = build::write_manifest(&manifest, &all_outcomes) {
        sess.report(
            Diagnostic::error(
                "E0712",
                format!("cannot write the manifest `{}`: {e}", manifest.display()),
            )
            .with_help("check that the output directory (`-o DIR`) is writable"),
        );
    }
    print!("{}", build::summary_table(&all_outcomes));
    let ok = outcomes.iter().filter(|o| o.is_ok()).count();
    println!(
        "{ok}/{} targets built; front end {:.2}s, builds {:.2}s; manifest {}",
        targets.len(),
        front_time.as_secs_f64(),
        build_time.as_secs_f64(),
        manifest.display()
    );
    let all_ok = ok == targets.len();
    let code = sess.finish();
    if all_ok {
        code
    } else {
        ExitCode::from(1)
    }
}

fn fail(d: Diagnostic) -> ExitCode {
    crate::emit_alone(&d);
    ExitCode::from(1)
}
