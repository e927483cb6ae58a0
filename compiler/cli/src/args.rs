//! The command line: SystemTap-compatible options, parsed by hand with
//! getopt's rules (clustered short options `-gp1 -vvv`, attached or separate
//! values `-p1`/`-p 1`/`-e'...'`, `--long=value`/`--long value`, options and
//! operands in any order until `--`).
//!
//! [`parse`] turns `argv[1..]` into an [`Action`]; errors are
//! [`diag::Diagnostic`]s with an E00xx code and a help line. Every option of
//! stap that a later pass needs is parsed and kept in [`Options`] even when
//! the pass that uses it is not built yet. Nothing here does I/O except
//! reading `TMPDIR` in [`check_environment`].

use std::ffi::OsString;
use std::path::PathBuf;

use diag::Diagnostic;

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Run the passes up to [`Options::pass`].
    Run(Box<Options>),
    /// `-V` / `--version`.
    Version,
    /// `-h` / `--help`.
    Help,
    /// `--explain CODE`.
    Explain(String),
}

/// Where the script text comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Script {
    /// `-e SCRIPT`.
    Inline(String),
    /// A file operand.
    File(PathBuf),
    /// The operand `-`.
    Stdin,
    /// No script: only valid with `-l`/`-L`.
    None,
}

/// How diagnostics are printed (`--diagnostics=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DiagFormat {
    /// codespan-reporting text on stderr (the default).
    #[default]
    Human,
    /// One JSON object per line per diagnostic on stderr.
    Json,
}

/// `-l PP` / `-L PP`: list matching probe points instead of running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listing {
    /// `-l PP`: probe points only.
    Probes(String),
    /// `-L PP`: probe points with their context variables.
    ProbesWithVars(String),
}

/// A `--compatible=MAJOR[.MINOR]` version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl Version {
    /// Parses `MAJOR[.MINOR[.PATCH...]]`; extra components are ignored, as stap does.
    pub fn parse(s: &str) -> Option<Version> {
        let mut it = s.split('.');
        let major = it.next()?.parse().ok()?;
        let minor = match it.next() {
            Some(m) => m.parse().ok()?,
            None => 0,
        };
        for rest in it {
            rest.parse::<u32>().ok()?;
        }
        Some(Version { major, minor })
    }
}

/// A resource limit given as `--rlimit-NAME=NUM`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rlimit {
    /// `as`, `cpu`, `nproc`, `stack` or `fsize`.
    pub name: &'static str,
    pub value: u64,
}

/// Everything the passes need from the command line. Fields are public plain
/// data; later passes read what concerns them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// `-p N`: the last pass to run, 1 (parse) to 5 (run). Default 5.
    pub pass: u8,
    /// Whether `-p` was given explicitly.
    pub pass_given: bool,
    /// The script (`-e`, a file, or `-`).
    pub script: Script,
    /// Operands after the script: `$1`, `@1`, ... (`$#` is their count).
    pub script_args: Vec<String>,
    /// `-E SCRIPT`: extra script text added to the main script.
    pub extra_scripts: Vec<String>,
    /// `-g`: guru mode (embedded C, writes to kernel memory).
    pub guru: bool,
    /// `-I DIR`: extra tapset directories, in order.
    pub include_dirs: Vec<PathBuf>,
    /// `-D NAME[=VAL]`: C preprocessor macros for the module.
    pub defines: Vec<(String, Option<String>)>,
    /// `-v` count.
    pub verbose: u32,
    /// `-w`: suppress warnings.
    pub suppress_warnings: bool,
    /// `-W`: treat warnings as errors.
    pub warnings_as_errors: bool,
    /// `-u`: unoptimized (keep unused functions, globals and probes).
    pub unoptimized: bool,
    /// `--compatible=VER`: behave like this SystemTap version.
    pub compatible: Option<Version>,
    /// `-r KVER` (a release name or a build-tree path).
    pub kernel_release: Option<String>,
    /// `-a ARCH`.
    pub arch: Option<String>,
    /// `-m NAME`: module name (`[_a-zA-Z0-9]+`).
    pub module_name: Option<String>,
    /// `-k`: keep the temporary build directory.
    pub keep_temps: bool,
    /// `-o FILE`: output file for the run.
    pub output: Option<PathBuf>,
    /// `-B NAME[=VAL]`: kbuild make variables.
    pub kbuild_defs: Vec<(String, Option<String>)>,
    /// `-l PP` / `-L PP`.
    pub listing: Option<Listing>,
    /// `-x PID`: target process.
    pub target_pid: Option<u32>,
    /// `-c CMD`: command to run under the script.
    pub command: Option<String>,
    /// `-s NUM`: per-CPU buffer size in MB.
    pub buffer_mb: Option<u32>,
    /// `-R DIR`: runtime directory.
    pub runtime_dir: Option<PathBuf>,
    /// `-d OBJECT`: add symbol/unwind data for OBJECT.
    pub debug_objects: Vec<PathBuf>,
    /// `-S SIZE[,N]`: output file switching.
    pub output_switch: Option<String>,
    /// `-G NAME=VAL`: initial global values.
    pub globals: Vec<(String, String)>,
    /// `-T SECONDS`: stop after a timeout.
    pub timeout_s: Option<u64>,
    /// `-t`: collect probe timing.
    pub timing: bool,
    /// `-P`: prologue searching (same as `--prologue-searching=always`).
    pub prologue_searching: Option<String>,
    /// `-b`: bulk (per-CPU file) mode.
    pub bulk: bool,
    /// `-q`: quiet, no warnings from the runtime.
    pub quiet: bool,
    /// `-F`: flight recorder.
    pub flight_recorder: bool,
    /// `-i` / `--interactive`.
    pub interactive: bool,
    /// `--monitor[=SECONDS]`.
    pub monitor: Option<u32>,
    /// `--rlimit-*=NUM`.
    pub rlimits: Vec<Rlimit>,
    /// `--disable-cache`.
    pub disable_cache: bool,
    /// `--diagnostics=human|json`.
    pub diagnostics: DiagFormat,
    /// `--suppress-handler-errors`.
    pub suppress_handler_errors: bool,
    /// `--skip-badvars`.
    pub skip_badvars: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            pass: 5,
            pass_given: false,
            script: Script::None,
            script_args: Vec::new(),
            extra_scripts: Vec::new(),
            guru: false,
            include_dirs: Vec::new(),
            defines: Vec::new(),
            verbose: 0,
            suppress_warnings: false,
            warnings_as_errors: false,
            unoptimized: false,
            compatible: None,
            kernel_release: None,
            arch: None,
            module_name: None,
            keep_temps: false,
            output: None,
            kbuild_defs: Vec::new(),
            listing: None,
            target_pid: None,
            command: None,
            buffer_mb: None,
            runtime_dir: None,
            debug_objects: Vec::new(),
            output_switch: None,
            globals: Vec::new(),
            timeout_s: None,
            timing: false,
            prologue_searching: None,
            bulk: false,
            quiet: false,
            flight_recorder: false,
            interactive: false,
            monitor: None,
            rlimits: Vec::new(),
            disable_cache: false,
            diagnostics: DiagFormat::Human,
            suppress_handler_errors: false,
            skip_badvars: false,
        }
    }
}

/// Short options that take a value (getopt's `x:`).
const SHORT_WITH_VALUE: &str = "peIDrRamoBlLxcsdSGTE";
/// Short options without a value.
const SHORT_FLAGS: &str = "gvwWuVhkPtbqFi";

/// How a long option takes its value.
#[derive(Clone, Copy, PartialEq, Eq)]
enum LongArg {
    None,
    Required,
    Optional,
}

const LONG_OPTIONS: &[(&str, LongArg)] = &[
    ("help", LongArg::None),
    ("version", LongArg::None),
    ("compatible", LongArg::Required),
    ("disable-cache", LongArg::None),
    ("diagnostics", LongArg::Required),
    ("explain", LongArg::Required),
    ("interactive", LongArg::None),
    ("monitor", LongArg::Optional),
    ("prologue-searching", LongArg::Optional),
    ("rlimit-as", LongArg::Required),
    ("rlimit-cpu", LongArg::Required),
    ("rlimit-nproc", LongArg::Required),
    ("rlimit-stack", LongArg::Required),
    ("rlimit-fsize", LongArg::Required),
    ("suppress-handler-errors", LongArg::None),
    ("skip-badvars", LongArg::None),
];

fn usage_error(msg: impl Into<String>) -> Diagnostic {
    Diagnostic::error("E0001", msg).with_help("run `xstap -h` for the list of options")
}

fn value_error(msg: impl Into<String>, help: impl Into<String>) -> Diagnostic {
    Diagnostic::error("E0002", msg).with_help(help)
}

fn conflict(msg: impl Into<String>, help: impl Into<String>) -> Diagnostic {
    Diagnostic::error("E0003", msg).with_help(help)
}

/// Parses `args` (without the program name). Options that exit at once
/// (`-h`, `-V`, `--explain`) win over errors in later arguments only when
/// they come first, as with getopt.
pub fn parse(args: &[OsString]) -> Result<Action, Diagnostic> {
    let args: Vec<String> = args
        .iter()
        .map(|a| {
            a.to_str().map(str::to_owned).ok_or_else(|| {
                value_error(
                    format!("argument `{}` is not valid UTF-8", a.to_string_lossy()),
                    "pass arguments as UTF-8 text",
                )
            })
        })
        .collect::<Result<_, _>>()?;

    let mut o = Options::default();
    let mut operands: Vec<String> = Vec::new();
    let mut inline: Vec<String> = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        if arg == "--" {
            operands.extend(args[i..].iter().cloned());
            break;
        }
        if let Some(long) = arg.strip_prefix("--") {
            let (name, attached) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v.to_owned())),
                None => (long, None),
            };
            let Some(&(name, kind)) = LONG_OPTIONS.iter().find(|(n, _)| *n == name) else {
                return Err(usage_error(format!("unknown option `--{name}`")));
            };
            let value = match kind {
                LongArg::None => {
                    if attached.is_some() {
                        return Err(usage_error(format!("option `--{name}` takes no value")));
                    }
                    None
                }
                LongArg::Optional => attached,
                LongArg::Required => match attached {
                    Some(v) => Some(v),
                    None if i < args.len() => {
                        i += 1;
                        Some(args[i - 1].clone())
                    }
                    None => return Err(usage_error(format!("option `--{name}` needs a value"))),
                },
            };
            if let Some(action) = long_option(&mut o, name, value)? {
                return Ok(action);
            }
            continue;
        }
        if arg.len() > 1 && arg.starts_with('-') {
            let body = &arg[1..];
            for (pos, c) in body.char_indices() {
                if SHORT_FLAGS.contains(c) {
                    if let Some(action) = short_flag(&mut o, c) {
                        return Ok(action);
                    }
                    continue;
                }
                if SHORT_WITH_VALUE.contains(c) {
                    let rest = &body[pos + c.len_utf8()..];
                    let value = if !rest.is_empty() {
                        rest.to_owned()
                    } else if i < args.len() {
                        i += 1;
                        args[i - 1].clone()
                    } else {
                        return Err(usage_error(format!("option `-{c}` needs a value")));
                    };
                    short_value(&mut o, c, value, &mut inline)?;
                    break;
                }
                return Err(usage_error(format!("unknown option `-{c}`")));
            }
            continue;
        }
        operands.push(arg.clone());
    }

    if inline.len() > 1 {
        return Err(conflict(
            "more than one script was given with `-e`",
            "give the whole script in one `-e`; statements and probes can follow each other in it",
        ));
    }
    let mut operands = operands.into_iter();
    o.script = match inline.pop() {
        Some(text) => Script::Inline(text),
        None => match operands.next() {
            Some(f) if f == "-" => Script::Stdin,
            Some(f) => Script::File(PathBuf::from(f)),
            None => Script::None,
        },
    };
    o.script_args = operands.collect();
    check_combinations(&o)?;
    Ok(Action::Run(Box::new(o)))
}

fn short_flag(o: &mut Options, c: char) -> Option<Action> {
    match c {
        'g' => o.guru = true,
        'v' => o.verbose += 1,
        'w' => o.suppress_warnings = true,
        'W' => o.warnings_as_errors = true,
        'u' => o.unoptimized = true,
        'k' => o.keep_temps = true,
        'P' => o.prologue_searching = Some("always".into()),
        't' => o.timing = true,
        'b' => o.bulk = true,
        'q' => o.quiet = true,
        'F' => o.flight_recorder = true,
        'i' => o.interactive = true,
        'V' => return Some(Action::Version),
        'h' => return Some(Action::Help),
        _ => unreachable!("SHORT_FLAGS and short_flag disagree on `-{c}`"),
    }
    None
}

fn number<T: std::str::FromStr>(opt: &str, v: &str, what: &str) -> Result<T, Diagnostic> {
    v.parse().map_err(|_| {
        value_error(
            format!("invalid value `{v}` for `{opt}`: expected {what}"),
            format!("give `{opt}` {what}"),
        )
    })
}

fn name_value(opt: &str, v: String) -> Result<(String, Option<String>), Diagnostic> {
    let (n, val) = match v.split_once('=') {
        Some((n, val)) => (n.to_owned(), Some(val.to_owned())),
        None => (v, None),
    };
    if n.is_empty() {
        return Err(value_error(
            format!("`{opt}` needs a NAME"),
            format!("write `{opt} NAME=VALUE`"),
        ));
    }
    Ok((n, val))
}

fn short_value(
    o: &mut Options,
    c: char,
    v: String,
    inline: &mut Vec<String>,
) -> Result<(), Diagnostic> {
    match c {
        'p' => {
            let p: u8 = v.parse().unwrap_or(0);
            if !(1..=5).contains(&p) {
                return Err(value_error(
                    format!("invalid pass number `{v}`"),
                    "passes are numbered 1 to 5: parse, elaborate, translate, build, run",
                ));
            }
            o.pass = p;
            o.pass_given = true;
        }
        'e' => inline.push(v),
        'E' => o.extra_scripts.push(v),
        'I' => o.include_dirs.push(PathBuf::from(v)),
        'D' => o.defines.push(name_value("-D", v)?),
        'B' => o.kbuild_defs.push(name_value("-B", v)?),
        'r' => o.kernel_release = Some(v),
        'R' => o.runtime_dir = Some(PathBuf::from(v)),
        'a' => o.arch = Some(v),
        'm' => {
            if v.is_empty() || !v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                return Err(value_error(
                    format!("invalid module name `{v}`"),
                    "a module name is one or more of the characters `[_a-zA-Z0-9]`",
                ));
            }
            o.module_name = Some(v);
        }
        'o' => o.output = Some(PathBuf::from(v)),
        'l' => o.listing = Some(Listing::Probes(v)),
        'L' => o.listing = Some(Listing::ProbesWithVars(v)),
        'x' => o.target_pid = Some(number("-x", &v, "a process id")?),
        'c' => o.command = Some(v),
        's' => {
            let n: u32 = number("-s", &v, "a buffer size in MB from 1 to 4095")?;
            if !(1..=4095).contains(&n) {
                return Err(value_error(
                    format!("invalid buffer size `{v}`"),
                    "give `-s` a size in MB from 1 to 4095",
                ));
            }
            o.buffer_mb = Some(n);
        }
        'd' => o.debug_objects.push(PathBuf::from(v)),
        'S' => o.output_switch = Some(v),
        'G' => match v.split_once('=') {
            Some((n, val)) if !n.is_empty() => o.globals.push((n.to_owned(), val.to_owned())),
            _ => {
                return Err(value_error(
                    format!("invalid `-G {v}`"),
                    "write `-G NAME=VALUE`",
                ))
            }
        },
        'T' => o.timeout_s = Some(number("-T", &v, "a number of seconds")?),
        _ => unreachable!("SHORT_WITH_VALUE and short_value disagree on `-{c}`"),
    }
    Ok(())
}

fn long_option(
    o: &mut Options,
    name: &str,
    v: Option<String>,
) -> Result<Option<Action>, Diagnostic> {
    let value = || v.clone().unwrap_or_default();
    match name {
        "help" => return Ok(Some(Action::Help)),
        "version" => return Ok(Some(Action::Version)),
        "explain" => return Ok(Some(Action::Explain(value()))),
        "compatible" => {
            o.compatible = Some(Version::parse(&value()).ok_or_else(|| {
                value_error(
                    format!("invalid version `{}` for `--compatible`", value()),
                    "write a SystemTap version such as `--compatible=4.0`",
                )
            })?);
        }
        "disable-cache" => o.disable_cache = true,
        "diagnostics" => {
            o.diagnostics = match value().as_str() {
                "human" => DiagFormat::Human,
                "json" => DiagFormat::Json,
                other => {
                    return Err(value_error(
                        format!("invalid value `{other}` for `--diagnostics`"),
                        "use `--diagnostics=human` or `--diagnostics=json`",
                    ))
                }
            }
        }
        "interactive" => o.interactive = true,
        "monitor" => {
            o.monitor = Some(match &v {
                Some(s) => number("--monitor", s, "an interval in seconds")?,
                None => 1,
            })
        }
        "prologue-searching" => {
            let when = v.clone().unwrap_or_else(|| "always".into());
            if !matches!(when.as_str(), "always" | "never") {
                return Err(value_error(
                    format!("invalid value `{when}` for `--prologue-searching`"),
                    "use `--prologue-searching`, `--prologue-searching=always` or `--prologue-searching=never`",
                ));
            }
            o.prologue_searching = Some(when);
        }
        "suppress-handler-errors" => o.suppress_handler_errors = true,
        "skip-badvars" => o.skip_badvars = true,
        rl if rl.starts_with("rlimit-") => {
            let n = &rl["rlimit-".len()..];
            let name = ["as", "cpu", "nproc", "stack", "fsize"]
                .into_iter()
                .find(|k| *k == n)
                .unwrap_or("as");
            let value = number(&format!("--{rl}"), &value(), "a number")?;
            o.rlimits.push(Rlimit { name, value });
        }
        _ => unreachable!("LONG_OPTIONS and long_option disagree on `--{name}`"),
    }
    Ok(None)
}

fn check_combinations(o: &Options) -> Result<(), Diagnostic> {
    if o.command.is_some() && o.target_pid.is_some() {
        return Err(conflict(
            "`-c CMD` and `-x PID` cannot be used together",
            "keep one of `-c` and `-x`",
        ));
    }
    if o.listing.is_some() && (o.interactive || o.monitor.is_some()) {
        let mode = if o.interactive {
            "interactive mode (`-i`)"
        } else {
            "monitor mode (`--monitor`)"
        };
        return Err(conflict(
            format!("{mode} cannot be used with `-l`/`-L`"),
            "list probe points without the interactive or monitor mode",
        ));
    }
    if o.script == Script::None && o.listing.is_none() && !o.interactive {
        return Err(Diagnostic::error("E0006", "no script given").with_help(
            "give a script file, `-` to read standard input, or `-e 'probe begin { ... }'`",
        ));
    }
    Ok(())
}

/// Checks the environment the passes rely on (for now `TMPDIR`, which the
/// build pass puts in make command lines).
pub fn check_environment(tmpdir: Option<&std::ffi::OsStr>) -> Result<(), Diagnostic> {
    let Some(t) = tmpdir else { return Ok(()) };
    let s = t.to_string_lossy();
    let bad = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "/._-+".contains(*c)));
    if let Some(c) = bad {
        return Err(Diagnostic::error(
            "E0008",
            format!("TMPDIR `{s}` contains the character {c:?}"),
        )
        .with_note("kbuild and make cannot handle such characters in paths")
        .with_help(
            "set TMPDIR to a path of letters, digits, `/`, `.`, `_`, `-` and `+`, or unset it",
        ));
    }
    Ok(())
}

/// The text of `xstap -h`.
pub const USAGE: &str = "\
xstap: SystemTap scripts compiled for other machines' kernels

usage: xstap [OPTIONS] FILE [ARGS...]
       xstap [OPTIONS] -        [ARGS...]    (script on standard input)
       xstap [OPTIONS] -e SCRIPT [ARGS...]
       xstap [OPTIONS] -l PROBE | -L PROBE
       xstap --explain CODE

options:
  -h, --help        show this help and exit
  -V, --version     show the version and exit
  -p NUM            stop after pass NUM: 1 parse, 2 elaborate, 3 translate, 4 build, 5 run
  -e SCRIPT         the script text (instead of FILE)
  -E SCRIPT         extra script text run along with the main script
  -g                guru mode: allow embedded C and kernel writes
  -I DIR            look for tapsets in DIR too
  -D NAME[=VAL]     define a C preprocessor macro for the module
  -B NAME[=VAL]     pass a make variable to kbuild
  -v                more verbose; repeat for more (-vvv)
  -w                suppress warnings
  -W                turn warnings into errors
  -u                unoptimized: keep unused functions, globals and probes
  -r KVER           target kernel: a release name or a build tree
  -a ARCH           target architecture
  -m NAME           module name ([_a-zA-Z0-9]+)
  -k                keep the temporary build directory
  -o FILE           write the run's output to FILE
  -l PROBE          list probe points matching PROBE
  -L PROBE          list probe points matching PROBE, with their variables
  -x PID            target process id
  -c CMD            run CMD under the script
  -s NUM, -d OBJ, -S SIZE[,N], -G NAME=VAL, -T SECS, -R DIR, -t, -P, -b, -q, -F, -i
                    accepted as in SystemTap, for the passes that use them
  --compatible=VER  behave like SystemTap version VER
  --disable-cache   do not use the build cache
  --diagnostics=human|json
                    how errors are printed (json: one object per line)
  --explain CODE    print the long explanation of a diagnostic code
  --monitor[=SECS], --prologue-searching[=always|never], --rlimit-{as,cpu,nproc,stack,fsize}=NUM,
  --suppress-handler-errors, --skip-badvars
                    accepted as in SystemTap

ARGS are the script's arguments: $1 (as a token) and @1 (as a string), $# and @# their count.
";

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Options, Diagnostic> {
        let v: Vec<OsString> = args.iter().map(OsString::from).collect();
        match parse(&v)? {
            Action::Run(o) => Ok(*o),
            other => panic!("expected Run, got {other:?}"),
        }
    }

    #[test]
    fn clustered_and_attached_values() {
        let o = run(&["-gp1", "-vvv", "-e'x'"]).unwrap();
        assert!(o.guru);
        assert_eq!(o.pass, 1);
        assert_eq!(o.verbose, 3);
        assert_eq!(o.script, Script::Inline("'x'".into()));
        let o = run(&["-p", "2", "f.stp", "a", "-v", "b"]).unwrap();
        assert_eq!(o.pass, 2);
        assert_eq!(o.script, Script::File("f.stp".into()));
        assert_eq!(o.script_args, vec!["a", "b"]);
        assert_eq!(o.verbose, 1);
    }

    #[test]
    fn operands_after_double_dash_and_inline() {
        let o = run(&["-e", "probe begin {}", "--", "-x", ""]).unwrap();
        assert_eq!(o.script_args, vec!["-x", ""]);
        let o = run(&["-p1", "-", "1", "2"]).unwrap();
        assert_eq!(o.script, Script::Stdin);
        assert_eq!(o.script_args, vec!["1", "2"]);
    }

    #[test]
    fn long_options() {
        let o = run(&["--compatible=1.8", "--diagnostics", "json", "-e", "x"]).unwrap();
        assert_eq!(o.compatible, Some(Version { major: 1, minor: 8 }));
        assert_eq!(o.diagnostics, DiagFormat::Json);
        assert_eq!(
            run(&["--rlimit-cpu=", "-l", "begin"]).unwrap_err().code,
            "E0002"
        );
        assert_eq!(
            run(&["--rlimit-as=12X", "-l", "begin"]).unwrap_err().code,
            "E0002"
        );
        assert_eq!(
            run(&["--prologue-searching=blah", "-e", "x"])
                .unwrap_err()
                .code,
            "E0002"
        );
        assert_eq!(run(&["--nope"]).unwrap_err().code, "E0001");
    }

    #[test]
    fn errors_have_codes() {
        assert_eq!(run(&["-p0", "-e", "x"]).unwrap_err().code, "E0002");
        assert_eq!(run(&["-e", "x", "-e", "y"]).unwrap_err().code, "E0003");
        assert_eq!(run(&["-m", "", "-e", "x"]).unwrap_err().code, "E0002");
        assert_eq!(run(&["-m", "x^y", "-e", "x"]).unwrap_err().code, "E0002");
        assert_eq!(run(&["-i", "-l", "x"]).unwrap_err().code, "E0003");
        assert_eq!(run(&["--monitor", "-l", "x"]).unwrap_err().code, "E0003");
        assert_eq!(run(&["-p1"]).unwrap_err().code, "E0006");
        assert_eq!(run(&["-p"]).unwrap_err().code, "E0001");
        assert_eq!(run(&["-Z"]).unwrap_err().code, "E0001");
    }

    #[test]
    fn exiting_actions() {
        let p = |a: &[&str]| parse(&a.iter().map(OsString::from).collect::<Vec<_>>()).unwrap();
        assert_eq!(p(&["-V"]), Action::Version);
        assert_eq!(p(&["-h"]), Action::Help);
        assert_eq!(p(&["--explain", "E0001"]), Action::Explain("E0001".into()));
    }

    #[test]
    fn tmpdir_with_spaces_is_refused() {
        assert!(check_environment(Some("/tmp/stap tmp here".as_ref())).is_err());
        assert!(check_environment(Some("/tmp/ok-dir_1.x".as_ref())).is_ok());
        assert!(check_environment(None).is_ok());
    }
}
