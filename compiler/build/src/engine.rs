//! Building: one job ([`build`]) and many at once ([`build_many`]).
//!
//! A job goes: resolve the compiler, compute the level-2 cache key and
//! serve a hit without make; otherwise check the build tree, the tools and
//! the exports, write the units, run kbuild with its output in
//! `build.log`, turn failures into diagnostics, check the `.ko` (ELF
//! machine, vermagic), place it atomically at the output path and store it
//! in the cache.
//!
//! [`build_many`] runs jobs on a dedicated thread pool whose size, times
//! the `-j` each make gets, never exceeds the parallelism asked for (`-j`,
//! default: the number of CPUs), so targets do not oversubscribe the
//! cores. Each job is independent: one failure never stops the others.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use diag::Diagnostic;
use rayon::prelude::*;

use crate::cache::{self, EntryMeta, Level2Inputs};
use crate::gccdiag::{self, LogContext};
use crate::report::Progress;
use crate::{codes, fsutil, modinfo, preflight, toolchain, units};
use crate::{BuildJob, BuildOptions, BuildOutcome, Built, Failed, Located};

/// The log of the last make run, in the build directory.
pub const BUILD_LOG: &str = "build.log";

/// `DIR/KVER/NAME.ko`: where many-target builds place modules.
pub fn output_path(dir: &Path, release: &str, name: &str) -> PathBuf {
    dir.join(release).join(format!("{name}.ko"))
}

/// Remove build directories left under `tmp_root` (default: the system
/// temporary directory) by runs killed more than an hour ago. The CLI may
/// call this at start-up.
pub fn remove_stale_build_dirs(tmp_root: Option<&Path>) -> usize {
    let root = tmp_root
        .map(Path::to_path_buf)
        .unwrap_or_else(std::env::temp_dir);
    fsutil::remove_stale_temp_dirs(&root, "build-", std::time::Duration::from_secs(3600))
}

/// The parallelism to use when the user gave none.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// The level-2 key of a job (needs the compiler, to ask its identity).
pub fn cache_key_for_job(
    job: &BuildJob,
    opts: &BuildOptions,
) -> Result<cache::CacheKey, Diagnostic> {
    let tc = toolchain::resolve_with(&job.target, &opts.make_vars);
    let identity = identity_of(&tc.cc, &job.target.release, &tc)?;
    Ok(key_of(job, opts, &tc, &identity))
}

/// The toolchain of a target and its compiler identity: what the CLI
/// needs for a [`cache::Level1Inputs`] before parsing anything.
pub fn compiler_for(
    target: &crate::BuildTarget,
    opts: &BuildOptions,
) -> Result<(toolchain::Toolchain, String), Diagnostic> {
    let tc = toolchain::resolve_with(target, &opts.make_vars);
    let identity = identity_of(&tc.cc, &target.release, &tc)?;
    Ok((tc, identity))
}

/// A level-1 hit: the module recorded for raw-input key `l1`, placed at
/// `output` atomically. `None` on a miss (or when `output` cannot be
/// written; the full pipeline then runs and reports that).
pub fn fetch_level1(cache: &cache::Cache, l1: &cache::CacheKey, output: &Path) -> Option<Built> {
    let l2 = cache.lookup_level1(l1)?;
    let meta = cache.fetch_to(&l2, output).ok()??;
    Some(Built {
        ko: output.to_path_buf(),
        ko_blake3: meta.ko_blake3,
        vermagic: meta.vermagic,
        cached: true,
        cache_key: l2.to_hex(),
        recompiled: Vec::new(),
        build_dir: None,
        warnings: Vec::new(),
    })
}

fn key_of(
    job: &BuildJob,
    opts: &BuildOptions,
    tc: &toolchain::Toolchain,
    identity: &str,
) -> cache::CacheKey {
    cache::level2_key(&Level2Inputs {
        module_name: &job.name,
        units: &job.units,
        release: &job.target.release,
        arch: &tc.arch,
        profile_hash: &job.target.profile_hash,
        cross_compile: &tc.cross_compile,
        compiler_identity: identity,
        make_vars: &opts.make_vars,
        xstap_version: &opts.xstap_version,
    })
}

fn identity_of(cc: &str, release: &str, tc: &toolchain::Toolchain) -> Result<String, Diagnostic> {
    let missing = || {
        Diagnostic::error(
            codes::COMPILER_MISSING,
            format!(
                "the compiler `{cc}` for {release} ({}) is not installed",
                tc.arch
            ),
        )
        .with_note(format!(
            "kbuild runs `{cc}` (CROSS_COMPILE=`{}`); it is not on PATH",
            tc.cross_compile
        ))
        .with_help(format!(
            "install it: `apt-get install {}`, or choose another compiler with -B CC=...",
            toolchain::debian_package_for(cc)
        ))
    };
    let path = toolchain::which(cc).ok_or_else(missing)?;
    toolchain::compiler_identity(&path).map_err(|_| missing())
}

/// A directory to build in, and whether to remove it afterwards.
struct BuildDir {
    path: PathBuf,
    remove: bool,
}

impl Drop for BuildDir {
    fn drop(&mut self) {
        if self.remove {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

/// Build one module for one target.
pub fn build(job: &BuildJob, opts: &BuildOptions) -> BuildOutcome {
    build_with(job, opts, None)
}

/// Build one job; with `slots`, make takes its job slots from that shared
/// jobserver instead of `-jN`.
fn build_with(
    job: &BuildJob,
    opts: &BuildOptions,
    slots: Option<&jobserver::Client>,
) -> BuildOutcome {
    let start = Instant::now();
    let mut kept = None;
    let result = build_inner(job, opts, slots, &mut kept);
    let result = result.map_err(|diagnostics| Failed {
        diagnostics,
        build_dir: kept,
    });
    BuildOutcome {
        name: job.name.clone(),
        release: job.target.release.clone(),
        arch: toolchain::kernel_arch(&job.target.arch),
        wall: start.elapsed(),
        result,
    }
}

fn fail(d: Diagnostic) -> Vec<Located> {
    vec![d.into()]
}

fn build_inner(
    job: &BuildJob,
    opts: &BuildOptions,
    slots: Option<&jobserver::Client>,
    kept: &mut Option<PathBuf>,
) -> Result<Built, Vec<Located>> {
    units::check_module_name(&job.name).map_err(fail)?;
    let target = &job.target;
    let tc = toolchain::resolve_with(target, &opts.make_vars);
    let mut warnings: Vec<Located> = Vec::new();

    // The cache first: a hit needs neither the build tree nor make.
    let identity = identity_of(&tc.cc, &target.release, &tc);
    let key = identity.as_ref().ok().map(|id| key_of(job, opts, &tc, id));
    if let (Some(cache), Some(key)) = (&opts.cache, &key) {
        match cache.fetch_to(key, &job.output) {
            Ok(Some(meta)) => {
                return Ok(Built {
                    ko: job.output.clone(),
                    ko_blake3: meta.ko_blake3,
                    vermagic: meta.vermagic,
                    cached: true,
                    cache_key: key.to_hex(),
                    recompiled: Vec::new(),
                    build_dir: None,
                    warnings,
                })
            }
            Ok(None) => {}
            Err(e) => warnings.push(cache_warning(
                cache,
                &format!(
                    "cannot place the cached module at {}: {e}",
                    job.output.display()
                ),
            )),
        }
    }

    // Preflight: the tree, the tools, the exports.
    let mut errors: Vec<Located> = preflight::check_build_tree(target, &tc)
        .into_iter()
        .map(Located::from)
        .collect();
    if !errors.is_empty() {
        return Err(errors);
    }
    let identity = identity.map_err(fail)?;
    let key = key.expect("the key exists when the compiler does");
    if let Some(w) = preflight::check_compiler_version(target, &identity) {
        warnings.push(w.into());
    }
    let exports = preflight::exports_of(target).map_err(fail)?;
    errors.extend(
        preflight::check_exports(&job.required_symbols, &exports, target)
            .into_iter()
            .map(Located::from),
    );
    if !errors.is_empty() {
        return Err(errors);
    }

    // The build directory.
    let dir = match &job.build_dir {
        Some(d) => BuildDir {
            path: d.clone(),
            remove: false,
        },
        None => {
            let root = opts.tmp_root.clone().unwrap_or_else(std::env::temp_dir);
            let path =
                fsutil::make_temp_dir(&root, &format!("build-{}", job.name)).map_err(|e| {
                    fail(
                        Diagnostic::error(
                            codes::BUILD_DIR_IO,
                            format!(
                                "cannot create a build directory under {}: {e}",
                                root.display()
                            ),
                        )
                        .with_help("check free space and permissions of TMPDIR"),
                    )
                })?;
            BuildDir {
                path,
                remove: !opts.keep,
            }
        }
    };
    if !dir.remove {
        *kept = Some(dir.path.clone());
    }
    if dir
        .path
        .to_string_lossy()
        .contains(|c: char| c.is_whitespace() || c == ':' || c == '#')
    {
        return Err(fail(
            Diagnostic::error(
                codes::BUILD_DIR_IO,
                format!(
                    "kbuild cannot build in {}: its path contains a space, `:` or `#`",
                    dir.path.display()
                ),
            )
            .with_help("use a build directory (or TMPDIR) whose path has no spaces"),
        ));
    }
    units::write_units(&dir.path, &job.name, &job.units).map_err(fail)?;

    // make.
    let log_path = dir.path.join(BUILD_LOG);
    let status = run_make(&dir.path, &log_path, job, opts, &tc, slots).map_err(fail)?;
    let log = fs::read_to_string(&log_path).unwrap_or_default();
    let unit_names: Vec<String> = job.units.iter().map(|u| u.file_name.clone()).collect();
    let ctx = LogContext {
        release: &target.release,
        arch: &tc.arch,
        module: &job.name,
        build_dir: &dir.path,
        units: &unit_names,
    };
    if !status.success() {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return Err(fail(
                Diagnostic::error(
                    codes::BUILD_INTERRUPTED,
                    format!(
                        "the build for {} was interrupted (signal {sig})",
                        target.release
                    ),
                )
                .with_help("nothing was written to the cache or the output; run the build again"),
            ));
        }
        return Err(gccdiag::diagnose_log(&log, &ctx, true));
    }
    warnings.extend(gccdiag::diagnose_log(&log, &ctx, false));

    // Check the module.
    let ko_built = dir.path.join(format!("{}.ko", job.name));
    let bytes = fs::read(&ko_built).map_err(|e| {
        fail(bad_output(
            target,
            &tc.arch,
            format!(
                "kbuild succeeded but {} is unreadable: {e}",
                ko_built.display()
            ),
        ))
    })?;
    let info = modinfo::read_modinfo(&bytes).map_err(|e| {
        fail(bad_output(
            target,
            &tc.arch,
            format!("{}: {e}", ko_built.display()),
        ))
    })?;
    if info.arch != tc.arch {
        return Err(fail(bad_output(
            target,
            &tc.arch,
            format!(
                "the module is an ELF for {}, not for {} (is CROSS_COMPILE `{}` right?)",
                info.arch, tc.arch, tc.cross_compile
            ),
        )));
    }
    if modinfo::vermagic_release(&info.vermagic) != target.release {
        return Err(fail(bad_output(
            target,
            &tc.arch,
            format!(
                "the build tree {} is for kernel `{}`, not `{}`",
                target.kdir.display(),
                modinfo::vermagic_release(&info.vermagic),
                target.release
            ),
        )));
    }

    // Place it, then cache it.
    place(&ko_built, &job.output).map_err(|e| {
        fail(
            Diagnostic::error(
                codes::BUILD_DIR_IO,
                format!("cannot write {}: {e}", job.output.display()),
            )
            .with_help("check free space and permissions of the output directory"),
        )
    })?;
    let ko_blake3 = blake3::hash(&bytes).to_hex().to_string();
    if let Some(cache) = &opts.cache {
        let meta = EntryMeta {
            name: job.name.clone(),
            release: target.release.clone(),
            arch: tc.arch.clone(),
            vermagic: info.vermagic.clone(),
            ko_len: bytes.len() as u64,
            ko_blake3: ko_blake3.clone(),
            created: cache::now_secs(),
            xstap_version: opts.xstap_version.clone(),
        };
        if let Err(e) = cache.put(&key, &bytes, &meta) {
            warnings.push(cache_warning(
                cache,
                &format!("cannot store the module: {e}"),
            ));
        }
    }
    Ok(Built {
        ko: job.output.clone(),
        ko_blake3,
        vermagic: info.vermagic,
        cached: false,
        cache_key: key.to_hex(),
        recompiled: recompiled_objects(&log),
        build_dir: kept.clone(),
        warnings,
    })
}

fn bad_output(target: &crate::BuildTarget, arch: &str, msg: String) -> Diagnostic {
    Diagnostic::error(
        codes::BAD_MODULE_OUTPUT,
        format!("bad module for {} ({arch}): {msg}", target.release),
    )
    .with_help(
        "check CROSS_COMPILE and the build tree; keep the build directory with -k to inspect it",
    )
}

fn cache_warning(cache: &cache::Cache, msg: &str) -> Located {
    Diagnostic::warning(
        codes::CACHE_IO,
        format!("module cache {}: {msg}", cache.root().display()),
    )
    .with_help("free space or fix permissions, run `xstap cache clean`, or pass --disable-cache")
    .into()
}

fn place(src: &Path, dest: &Path) -> std::io::Result<()> {
    if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir)?;
    }
    fsutil::copy_atomic(src, dest)
}

/// The make command line for a job (without the program name).
pub fn make_args(
    dir: &Path,
    job: &BuildJob,
    opts: &BuildOptions,
    tc: &toolchain::Toolchain,
) -> Vec<String> {
    make_args_with(dir, job, opts, tc, true)
}

fn make_args_with(
    dir: &Path,
    job: &BuildJob,
    opts: &BuildOptions,
    tc: &toolchain::Toolchain,
    with_j: bool,
) -> Vec<String> {
    let mut args = vec![
        "-C".to_string(),
        job.target.kdir.display().to_string(),
        format!("M={}", dir.display()),
        format!("ARCH={}", tc.arch),
    ];
    let user_cross = opts.make_vars.iter().any(|(k, _)| k == "CROSS_COMPILE");
    if !tc.cross_compile.is_empty() && !user_cross {
        args.push(format!("CROSS_COMPILE={}", tc.cross_compile));
    }
    let user_cc = opts.make_vars.iter().any(|(k, _)| k == "CC");
    if opts.distcc && !user_cc {
        args.push(format!("CC=distcc {}", tc.cc));
    } else if tc.pass_cc && !user_cc {
        args.push(format!("CC={}", tc.cc));
    }
    for (k, v) in &opts.make_vars {
        args.push(format!("{k}={v}"));
    }
    let inherit_jobserver =
        opts.jobs.is_none() && std::env::var("MAKEFLAGS").is_ok_and(|f| f.contains("jobserver"));
    if with_j && !inherit_jobserver {
        args.push(format!(
            "-j{}",
            opts.jobs.unwrap_or_else(default_jobs).max(1)
        ));
    }
    args.push("modules".to_string());
    args
}

fn run_make(
    dir: &Path,
    log_path: &Path,
    job: &BuildJob,
    opts: &BuildOptions,
    tc: &toolchain::Toolchain,
    slots: Option<&jobserver::Client>,
) -> Result<std::process::ExitStatus, Diagnostic> {
    let io_err = |e: std::io::Error| {
        Diagnostic::error(
            codes::BUILD_DIR_IO,
            format!("cannot write {}: {e}", log_path.display()),
        )
        .with_help("check free space and permissions of the build directory")
    };
    let log = fs::File::create(log_path).map_err(io_err)?;
    let log2 = log.try_clone().map_err(io_err)?;
    let mut cmd = Command::new("make");
    cmd.env("LC_ALL", "C")
        .envs(opts.make_env.iter().map(|(k, v)| (k, v)));
    // With a shared jobserver, hold one slot for make's own first job (it
    // is released when `slot` drops, after make exits) and let make take
    // more from the jobserver; otherwise `-jN`.
    let slot = slots.and_then(|c| c.acquire().ok().map(|slot| (c, slot)));
    let args = match &slot {
        Some((client, _)) => {
            client.configure_make(&mut cmd);
            make_args_with(dir, job, opts, tc, false)
        }
        None => make_args(dir, job, opts, tc),
    };
    use std::io::Write;
    let mut header = &log;
    let jobserver_note = if slot.is_some() {
        " (job slots from a shared jobserver)"
    } else {
        ""
    };
    let _ = writeln!(header, "# make {}{jobserver_note}", args.join(" "));
    cmd.args(&args)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log2)
        .status()
        .map_err(|e| {
            Diagnostic::error(codes::MAKE_NOT_RUNNABLE, format!("cannot run `make`: {e}"))
                .with_help("install GNU make: `apt-get install make`")
        })
}

/// Objects make compiled, from its `CC [M]  DIR/x.o` lines (kbuild's own
/// `NAME.mod.o` and 6.12's `.module-common.o` excluded).
pub fn recompiled_objects(log: &str) -> Vec<String> {
    log.lines()
        .filter_map(|l| l.trim_start().strip_prefix("CC [M]"))
        .map(|p| p.trim().rsplit('/').next().unwrap_or("").to_string())
        .filter(|o| o.ends_with(".o") && !o.ends_with(".mod.o") && !o.starts_with('.'))
        .collect()
}

/// Build every job, in parallel without oversubscribing the cores, each
/// from the cache when possible. Outcomes are in job order.
///
/// Every make shares one jobserver holding `-j` slots (default: the
/// number of CPUs): a make needs a slot to start and takes more for
/// parallel units, so at most `-j` compilers run in total however the
/// work is spread over targets. Cache hits and preflight failures take no
/// slot. If no jobserver can be created, at most `-j` jobs run at once,
/// each make with its share of `-j`.
pub fn build_many(
    jobs: Vec<BuildJob>,
    opts: &BuildOptions,
    progress: &dyn Progress,
) -> Vec<BuildOutcome> {
    if jobs.is_empty() {
        return Vec::new();
    }
    let total = opts.jobs.unwrap_or_else(default_jobs).max(1);
    let slots = jobserver::Client::new(total).ok();
    let (threads, job_opts) = match &slots {
        // Threads only wait for slots; cap them anyway.
        Some(_) => (jobs.len().min(MAX_THREADS), opts.clone()),
        None => {
            let concurrent = total.min(jobs.len());
            let mut o = opts.clone();
            o.jobs = Some((total / concurrent).max(1));
            (concurrent, o)
        }
    };
    let run = |(i, job): (usize, &BuildJob)| {
        progress.start(
            i,
            &format!(
                "{} {} ({})",
                job.name,
                job.target.release,
                toolchain::kernel_arch(&job.target.arch)
            ),
        );
        let outcome = build_with(job, &job_opts, slots.as_ref());
        progress.finish(i, &outcome);
        outcome
    };
    match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
        Ok(pool) => pool.install(|| jobs.par_iter().enumerate().map(run).collect()),
        // No threads available: build one after the other.
        Err(_) => jobs.iter().enumerate().map(run).collect(),
    }
}

/// Upper bound of threads [`build_many`] starts.
const MAX_THREADS: usize = 64;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::{Cache, CacheKey};

    #[test]
    fn level1_hit_places_the_module() {
        let dir = fsutil::make_temp_dir(&std::env::temp_dir(), "engine-test").unwrap();
        let cache = Cache::open(dir.join("cache")).unwrap();
        let (l1, l2) = (CacheKey([1; 32]), CacheKey([2; 32]));
        let out = dir.join("out/6.1.0-56-amd64/m.ko");
        assert!(fetch_level1(&cache, &l1, &out).is_none());
        let meta = EntryMeta {
            name: "m".into(),
            release: "6.1.0-56-amd64".into(),
            arch: "x86".into(),
            vermagic: "6.1.0-56-amd64 SMP".into(),
            ko_len: 0,
            ko_blake3: String::new(),
            created: 0,
            xstap_version: "t".into(),
        };
        cache.put(&l2, b"module bytes", &meta).unwrap();
        cache.record_level1(&l1, &l2).unwrap();
        let b = fetch_level1(&cache, &l1, &out).unwrap();
        assert!(b.cached);
        assert_eq!(b.cache_key, l2.to_hex());
        assert_eq!(b.vermagic, "6.1.0-56-amd64 SMP");
        assert_eq!(fs::read(&out).unwrap(), b"module bytes");
        assert_eq!(b.ko_blake3, blake3::hash(b"module bytes").to_hex().as_str());
        fs::remove_dir_all(&dir).unwrap();
    }

    /// A fake build tree whose `modules` target runs two recipes, each
    /// logging `+` when it starts and `-` when it ends into `log`.
    fn fake_tree(root: &Path) -> PathBuf {
        let kdir = root.join("kdir");
        for d in ["scripts/basic", "scripts/mod"] {
            fs::create_dir_all(kdir.join(d)).unwrap();
        }
        for f in [
            ".config",
            "Module.symvers",
            "scripts/basic/fixdep",
            "scripts/mod/modpost",
        ] {
            fs::write(kdir.join(f), "").unwrap();
        }
        fs::write(
            kdir.join("Makefile"),
            ".PHONY: modules a b\nmodules: a b\na b:\n\t@echo + >> $(XS_LOG); sleep 0.4; echo - >> $(XS_LOG)\n",
        )
        .unwrap();
        kdir
    }

    /// The most `+` not yet matched by a `-`.
    fn max_concurrency(log: &Path) -> usize {
        let (mut now, mut max) = (0i32, 0i32);
        for l in fs::read_to_string(log).unwrap().lines() {
            now += if l == "+" { 1 } else { -1 };
            max = max.max(now);
        }
        max as usize
    }

    #[test]
    fn build_many_shares_job_slots_and_keeps_order() {
        let root = fsutil::make_temp_dir(&std::env::temp_dir(), "engine-jobs").unwrap();
        let kdir = fake_tree(&root);
        let job = |i: usize| BuildJob {
            name: format!("m{i}"),
            units: vec![crate::Unit {
                file_name: "m.c".into(),
                contents: String::new(),
                compile: true,
            }],
            required_symbols: vec![],
            target: crate::BuildTarget {
                release: format!("r{i}"),
                arch: "x86".into(),
                kdir: kdir.clone(),
                cross_compile: Some(String::new()),
                cc: Some("cc".into()),
                profile_hash: String::new(),
                exports: crate::Exports::FromBuildTree,
            },
            output: root.join(format!("out/m{i}.ko")),
            build_dir: None,
        };
        // (targets, -j, most recipes running at once)
        for (n, jobs, expected) in [(1, 2, 2), (3, 2, 2), (3, 1, 1)] {
            let log = root.join(format!("log-{n}-{jobs}"));
            let opts = BuildOptions {
                jobs: Some(jobs),
                make_vars: vec![("XS_LOG".into(), log.display().to_string())],
                tmp_root: Some(root.join("tmp")),
                ..Default::default()
            };
            let outcomes = build_many((0..n).map(job).collect(), &opts, &crate::NoProgress);
            let releases: Vec<_> = outcomes.iter().map(|o| o.release.clone()).collect();
            assert_eq!(
                releases,
                (0..n).map(|i| format!("r{i}")).collect::<Vec<_>>()
            );
            // The fake tree builds no module: every job fails, after make ran.
            for o in &outcomes {
                let f = o.result.as_ref().unwrap_err();
                assert_eq!(
                    f.diagnostics[0].diagnostic.code,
                    codes::BAD_MODULE_OUTPUT,
                    "{:#?}",
                    f.diagnostics
                );
            }
            assert_eq!(fs::read_to_string(&log).unwrap().lines().count(), 4 * n);
            assert_eq!(max_concurrency(&log), expected, "{n} targets with -j{jobs}");
        }
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn recompiled_objects_from_make_output() {
        let log = "  CC [M]  /b/a.o\n  MODPOST /b/Module.symvers\n  CC [M]  /b/m.mod.o\n  LD [M]  /b/m.ko\n";
        assert_eq!(recompiled_objects(log), ["a.o"]);
    }
}
