//! Pass 4: turn generated C into a `.ko` for any target kernel.
//!
//! The crate writes C units and a `Kbuild` file into a build directory,
//! runs `make -C KDIR M=DIR ARCH=.. CROSS_COMPILE=.. modules` against the
//! target's build tree, explains failures as diagnostics, keeps finished
//! modules in a content-addressed cache, and builds many targets at once.
//!
//! It depends on `diag` only among our crates: its inputs are plain data
//! ([`Unit`], [`BuildTarget`], [`BuildOptions`]) that the CLI fills from the
//! codegen and kernel crates, so those can evolve independently. Nothing here
//! prints: progress goes through the [`Progress`] trait, results and
//! diagnostics are returned as values.
//!
//! Invariants:
//! - A unit's file is rewritten only when its bytes change, so kbuild
//!   recompiles only what changed ([`units`]).
//! - Nothing half-written is ever visible, neither in the cache nor in the
//!   output directory: files are written to a temporary name in the same
//!   directory and renamed into place ([`fsutil::write_atomic`]).
//! - One failing target never stops the others in [`build_many`].
//! - Diagnostics never carry pages of raw compiler output; the full log is
//!   `build.log` in the build directory (kept with `-k`).
//!
//! The cache is two-level (see [`cache`]): level 1 maps a key computable
//! from raw inputs (script text, tapsets, target profile, options) to a
//! level-2 key, which is the blake3 of the generated C units plus build
//! facts and names the `.ko`. The CLI consults level 1 before parsing.

// Diagnostics are the error type of every fallible step; they are built
// once per failure, so their size does not matter.

pub mod cache;
pub mod codes;
pub mod engine;
pub mod fsutil;
pub mod gccdiag;
pub mod modinfo;
pub mod preflight;
pub mod report;
pub mod toolchain;
pub mod units;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use diag::Diagnostic;
use serde::{Deserialize, Serialize};

pub use cache::{cache_key_for_inputs, Cache, CacheKey, Level1Inputs};
pub use engine::{build, build_many, compiler_for, fetch_level1};
pub use report::{
    manifest_json, summary_table, write_manifest, IndicatifProgress, NoProgress, Progress,
};

/// The version recorded in cache keys by default: a new xstap never reuses
/// modules built by an older one.
pub const XSTAP_VERSION: &str = env!("CARGO_PKG_VERSION");

/// One generated file. Units with `compile` become objects linked into the
/// module; the others (headers) are only written next to them.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Unit {
    pub file_name: String,
    pub contents: String,
    pub compile: bool,
}

/// Where exported symbols come from.
#[derive(Clone, Debug)]
pub enum Exports {
    /// Read `KDIR/Module.symvers`.
    FromBuildTree,
    /// Already loaded by the caller (for example from a target profile).
    Set(Arc<HashSet<String>>),
    /// Read this `Module.symvers`-format file.
    File(PathBuf),
}

/// A target kernel as far as pass 4 is concerned. The CLI fills it from a
/// kernel profile.
#[derive(Clone, Debug)]
pub struct BuildTarget {
    /// `uname -r` of the target, e.g. `6.1.0-56-arm64`.
    pub release: String,
    /// Kernel `ARCH`: `x86` or `arm64` (`x86_64`, `amd64`, `aarch64` are
    /// accepted and normalised).
    pub arch: String,
    /// The build tree (`/lib/modules/KVER/build`).
    pub kdir: PathBuf,
    /// `CROSS_COMPILE` prefix. `None`: chosen from the arch and the host
    /// (`aarch64-linux-gnu-` for arm64 on x86_64); `Some("")`: none.
    pub cross_compile: Option<String>,
    /// The C compiler command. `None`: the one the build tree names
    /// (`$(CROSS_COMPILE)gcc-12` in Debian's `.kernelvariables`), else
    /// `$(CROSS_COMPILE)gcc`. `Some` is passed to make as `CC=`.
    pub cc: Option<String>,
    /// Content hash of the target profile (config, symbols, headers).
    pub profile_hash: String,
    pub exports: Exports,
}

/// One module to build for one target.
#[derive(Clone, Debug)]
pub struct BuildJob {
    /// Module name (`-m`): `[A-Za-z_][A-Za-z0-9_]*`.
    pub name: String,
    pub units: Vec<Unit>,
    /// Kernel symbols the generated code calls; checked against the
    /// target's exports before make runs.
    pub required_symbols: Vec<String>,
    pub target: BuildTarget,
    /// Where the finished `.ko` goes (`-o`); written atomically.
    pub output: PathBuf,
    /// A persistent build directory, reused between builds so that only
    /// changed units recompile. `None`: a fresh temporary directory, removed
    /// afterwards unless [`BuildOptions::keep`].
    pub build_dir: Option<PathBuf>,
}

/// Options shared by all jobs of one run.
#[derive(Clone, Debug)]
pub struct BuildOptions {
    /// Parallelism (`-j`). `None`: the number of CPUs, or the jobserver of
    /// a parent make when one is advertised in `MAKEFLAGS`.
    pub jobs: Option<usize>,
    /// Extra make variables (`-B NAME=VAL`), passed in order.
    pub make_vars: Vec<(String, String)>,
    /// Keep the build directory (`-k`).
    pub keep: bool,
    /// The cache, or `None` for `--disable-cache`.
    pub cache: Option<Cache>,
    /// Compile through distcc (`CC="distcc <cc>"`). Not part of cache keys:
    /// distcc runs the same compiler elsewhere.
    pub distcc: bool,
    /// Extra environment of make (e.g. `DISTCC_HOSTS`). Not part of cache
    /// keys.
    pub make_env: Vec<(String, String)>,
    /// Recorded in cache keys.
    pub xstap_version: String,
    /// Where temporary build directories are created (default: the
    /// system temporary directory).
    pub tmp_root: Option<PathBuf>,
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            jobs: None,
            make_vars: Vec::new(),
            keep: false,
            cache: None,
            distcc: false,
            make_env: Vec::new(),
            xstap_version: XSTAP_VERSION.to_string(),
            tmp_root: None,
        }
    }
}

/// A position in a script (or any non-generated file) that gcc reported
/// through a `#line` directive. The CLI maps it to a span.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SourceLoc {
    pub file: String,
    pub line: u32,
    pub col: u32,
}

/// A diagnostic plus, when it points into a script, where.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Located {
    pub diagnostic: Diagnostic,
    pub at: Option<SourceLoc>,
}

impl From<Diagnostic> for Located {
    fn from(diagnostic: Diagnostic) -> Self {
        Located {
            diagnostic,
            at: None,
        }
    }
}

/// A module that exists.
#[derive(Clone, Debug, Serialize)]
pub struct Built {
    pub ko: PathBuf,
    /// blake3 of the `.ko`, hex.
    pub ko_blake3: String,
    /// `vermagic=` from the module's `.modinfo`.
    pub vermagic: String,
    /// Served from the cache without running make.
    pub cached: bool,
    /// The level-2 cache key (hex), whether or not a cache was used.
    pub cache_key: String,
    /// Objects make recompiled (file names relative to the build dir).
    pub recompiled: Vec<String>,
    /// The kept build directory (with `-k` or a persistent `build_dir`).
    pub build_dir: Option<PathBuf>,
    /// Warnings: compiler warnings at script lines, cache problems.
    pub warnings: Vec<Located>,
}

/// A target that could not be built.
#[derive(Clone, Debug, Serialize)]
pub struct Failed {
    pub diagnostics: Vec<Located>,
    pub build_dir: Option<PathBuf>,
}

/// The result for one job.
#[derive(Clone, Debug, Serialize)]
pub struct BuildOutcome {
    pub name: String,
    pub release: String,
    pub arch: String,
    pub wall: Duration,
    pub result: Result<Built, Failed>,
}

impl BuildOutcome {
    pub fn is_ok(&self) -> bool {
        self.result.is_ok()
    }
}
