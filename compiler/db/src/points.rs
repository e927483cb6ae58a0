//! Resolution of built-in probe points (after alias expansion) against a
//! target profile: `begin`/`end`/`error`/`never`, `timer.*`,
//! `kernel.function`/`kprobe.function` (with `.call`, `.return`,
//! `.maxactive(N)`, wildcards over the profile's functions) and
//! `kernel.trace` over its tracepoints; and the typing of target variables
//! (`$param`, `$return`, `$var->field`, `@cast`) from BTF into
//! [`ir::TargetExpr`]s.
//!
//! Plain functions over [`kernel::Tables`]; the salsa query in `lib.rs`
//! caches [`resolve_point`] per distinct point text. Errors are
//! [`PointError`] values without spans: the caller attaches the span of the
//! point as written.

use kernel::{Tables, Type as KType, TypeId};

use crate::hir::{Component, Lit};

/// One resolved point with what its body may read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedPoint {
    pub pp: String,
    pub kind: ir::PointKind,
    pub ctx: PointCtx,
}

/// What target variables a point offers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PointCtx {
    None,
    Function {
        name: String,
        params: Vec<kernel::Param>,
        ret: TypeId,
        is_return: bool,
    },
    Tracepoint {
        args: Vec<kernel::Param>,
    },
    /// A procfs file: `$value` is its data (a string).
    Procfs {
        write: bool,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PointError {
    pub code: &'static str,
    pub message: String,
    pub help: Option<String>,
}

fn err(code: &'static str, message: impl Into<String>, help: Option<&str>) -> PointError {
    PointError {
        code,
        message: message.into(),
        help: help.map(str::to_string),
    }
}

/// Facts about the target that point resolution needs.
pub struct TargetView<'a> {
    pub release: &'a str,
    pub arch: &'a str,
    pub tables: &'a Tables,
    pub hz: u64,
}

fn arg_long(c: &Component) -> Option<i64> {
    match &c.arg {
        Some(Lit::Long(n)) => Some(*n),
        _ => None,
    }
}

fn arg_str(c: &Component) -> Option<&str> {
    match &c.arg {
        Some(Lit::Str(s)) => Some(s),
        _ => None,
    }
}

fn text_of(comps: &[Component]) -> String {
    crate::hir::PointSpec {
        components: comps.to_vec(),
        optional: false,
        sufficient: false,
        condition: None,
        span: crate::NO_SPAN,
    }
    .text()
}

/// Resolve one built-in point. An empty `Ok` list means "matched nothing"
/// (the caller decides whether that is an error, given `?`).
pub fn resolve_point(
    comps: &[Component],
    t: &TargetView<'_>,
) -> Result<Vec<ResolvedPoint>, PointError> {
    if comps.iter().any(|c| kernel::glob::has_wildcard(&c.name)) {
        return resolve_wild_families(comps, t);
    }
    resolve_plain(comps, t)
}

/// The shapes of the built-in points, for wildcards in component names
/// (`kernel.func*("f").*`, `t**ile`).
const SHAPES: &[&[&str]] = &[
    &["begin"],
    &["end"],
    &["error"],
    &["never"],
    &["kernel", "function"],
    &["kernel", "function", "call"],
    &["kernel", "function", "return"],
    &["kprobe", "function"],
    &["kprobe", "function", "call"],
    &["kprobe", "function", "return"],
    &["kernel", "trace"],
    &["procfs", "read"],
    &["procfs", "write"],
    &["timer", "profile"],
    &["timer", "profile", "tick"],
    &["timer", "jiffies"],
    &["timer", "s"],
    &["timer", "sec"],
    &["timer", "ms"],
    &["timer", "msec"],
    &["timer", "us"],
    &["timer", "usec"],
    &["timer", "ns"],
    &["timer", "nsec"],
    &["timer", "hz"],
];

fn resolve_wild_families(
    comps: &[Component],
    t: &TargetView<'_>,
) -> Result<Vec<ResolvedPoint>, PointError> {
    let mut out = Vec::new();
    let mut first_err = None;
    for shape in SHAPES {
        let names: Vec<Component> = shape
            .iter()
            .map(|n| Component {
                name: n.to_string(),
                arg: None,
                span: crate::NO_SPAN,
            })
            .collect();
        let user: Vec<Component> = comps
            .iter()
            .map(|c| Component {
                name: c.name.clone(),
                arg: None,
                span: crate::NO_SPAN,
            })
            .collect();
        if !crate::elab::match_components(&user, &names).contains(&user.len()) {
            continue;
        }
        if user.len() != names.len() && !user.iter().any(|c| c.name.contains("**")) {
            continue;
        }
        // Put the user's arguments on the shape's components, in order.
        let mut concrete: Vec<Component> = names.clone();
        let args: Vec<Option<Lit>> = comps.iter().map(|c| c.arg.clone()).collect();
        if comps.len() == concrete.len() {
            for (c, a) in concrete.iter_mut().zip(args) {
                c.arg = a;
            }
        } else {
            // `**` consumed several components: keep the arguments by position
            // from the end (the shapes carry at most one argument).
            let with_arg: Vec<Lit> = args.into_iter().flatten().collect();
            if with_arg.len() > 1 {
                continue;
            }
            if let Some(a) = with_arg.into_iter().next() {
                let idx = if shape.len() >= 2 && matches!(shape[0], "kernel" | "kprobe" | "timer") {
                    1
                } else {
                    0
                };
                concrete[idx].arg = Some(a);
            }
        }
        match resolve_plain(&concrete, t) {
            Ok(v) => out.extend(v),
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    if out.is_empty() {
        if let Some(e) = first_err {
            return Err(e);
        }
    }
    Ok(out)
}

fn resolve_plain(
    comps: &[Component],
    t: &TargetView<'_>,
) -> Result<Vec<ResolvedPoint>, PointError> {
    let none = |pp: String, kind| {
        Ok(vec![ResolvedPoint {
            pp,
            kind,
            ctx: PointCtx::None,
        }])
    };
    let first = comps.first().map(|c| c.name.as_str()).unwrap_or("");
    let seq = comps.first().and_then(arg_long).unwrap_or(0);
    match (first, comps.len()) {
        ("begin", 1) => return none(text_of(comps), ir::PointKind::Begin { seq }),
        ("end", 1) => return none(text_of(comps), ir::PointKind::End { seq }),
        ("error", 1) => return none(text_of(comps), ir::PointKind::Error { seq }),
        ("never", 1) => return none(text_of(comps), ir::PointKind::Never),
        _ => {}
    }
    match first {
        "timer" => resolve_timer(comps),
        "kernel" | "kprobe" => resolve_kernel(comps, t),
        "procfs" => resolve_procfs(comps),
        "netfilter" => resolve_netfilter(comps, t),
        "module" => resolve_module(comps, t),
        "process" => resolve_process(comps),
        "perf" | "java" | "python2" | "python3" | "input"
        | "hw_breakpoint" | "kprobe_module" | "nd_syscall" => Err(err(
            "E0411",
            format!("probe point family `{first}` is not supported by xstap yet"),
            Some("xstap supports begin, end, error, never, timer.*, kernel.function, kprobe.function and kernel.trace"),
        )),
        _ => Err(err(
            "E0402",
            format!("unknown probe point `{}`", text_of(comps)),
            Some("run `xstap -l 'PATTERN'` to list the probe points and aliases that exist"),
        )),
    }
}

/// `procfs[("path")][.umask(N)].read[.maxsize(N)]` and `...write`.
fn resolve_procfs(comps: &[Component]) -> Result<Vec<ResolvedPoint>, PointError> {
    let pp = text_of(comps);
    let bad = |why: &str| {
        err(
            "E0402",
            format!("unknown procfs probe point `{pp}`: {why}"),
            Some("use procfs(\"PATH\").read, procfs(\"PATH\").write, with .umask(N) before and .maxsize(N) after .read"),
        )
    };
    let path = match &comps[0].arg {
        None => "command".to_string(),
        Some(Lit::Str(s)) => s.clone(),
        Some(_) => return Err(bad("the path must be a string")),
    };
    if path.is_empty()
        || path.starts_with('/')
        || path.ends_with('/')
        || path
            .split('/')
            .any(|p| p.is_empty() || p == "." || p == "..")
    {
        return Err(bad(
            "the path must be relative, without empty, `.` or `..` parts",
        ));
    }
    let mut umask = None;
    let mut maxsize = None;
    let mut write = None;
    for c in &comps[1..] {
        match (c.name.as_str(), &c.arg) {
            ("umask", Some(Lit::Long(n)))
                if write.is_none() && umask.is_none() && (0..=0o777).contains(n) =>
            {
                umask = Some(*n as u32)
            }
            ("read", None) if write.is_none() => write = Some(false),
            ("write", None) if write.is_none() => write = Some(true),
            ("maxsize", Some(Lit::Long(n)))
                if write == Some(false) && maxsize.is_none() && *n > 0 =>
            {
                maxsize = Some(*n as u64)
            }
            _ => return Err(bad(&format!("unexpected `.{}` here", c.name))),
        }
    }
    let Some(write) = write else {
        return Err(bad("`.read` or `.write` is missing"));
    };
    Ok(vec![ResolvedPoint {
        pp,
        kind: ir::PointKind::Procfs {
            path,
            write,
            umask,
            maxsize,
        },
        ctx: PointCtx::Procfs { write },
    }])
}

/// The netfilter hooks and protocol families by name, with their values.
const NF_HOOKS: &[(&str, i64)] = &[
    ("NF_INET_PRE_ROUTING", 0),
    ("NF_INET_LOCAL_IN", 1),
    ("NF_INET_FORWARD", 2),
    ("NF_INET_LOCAL_OUT", 3),
    ("NF_INET_POST_ROUTING", 4),
    ("NF_IP_PRE_ROUTING", 0),
    ("NF_IP_LOCAL_IN", 1),
    ("NF_IP_FORWARD", 2),
    ("NF_IP_LOCAL_OUT", 3),
    ("NF_IP_POST_ROUTING", 4),
    ("NF_ARP_IN", 0),
    ("NF_ARP_OUT", 1),
    ("NF_ARP_FORWARD", 2),
];
const NF_PFS: &[(&str, i64)] = &[
    ("NFPROTO_IPV4", 2),
    ("NFPROTO_IPV6", 10),
    ("NFPROTO_ARP", 3),
    ("NFPROTO_BRIDGE", 7),
    ("PF_INET", 2),
    ("PF_INET6", 10),
];

/// `netfilter.hook("HOOK").pf("FAMILY")[.priority("N")]` (also
/// `netfilter.pf("FAMILY").hook("HOOK")`). Names outside the known sets are
/// accepted in guru mode only (the caller checks privilege; here they are
/// kept as written), like stap which passes them to the C compiler.
fn resolve_netfilter(
    comps: &[Component],
    t: &TargetView<'_>,
) -> Result<Vec<ResolvedPoint>, PointError> {
    let pp = text_of(comps);
    let bad = |why: String| {
        err(
            "E0402",
            format!("unknown netfilter probe point `{pp}`: {why}"),
            Some("use netfilter.hook(\"NF_INET_PRE_ROUTING\").pf(\"NFPROTO_IPV4\"), optionally with .priority(\"N\")"),
        )
    };
    let (mut hook, mut pf, mut priority) = (None, None, None);
    for c in &comps[1..] {
        let a = match &c.arg {
            Some(Lit::Str(s)) => s.clone(),
            Some(Lit::Long(n)) => n.to_string(),
            None => return Err(bad(format!("`.{}` needs an argument", c.name))),
        };
        match c.name.as_str() {
            "hook" if hook.is_none() => hook = Some(a),
            "pf" if pf.is_none() => pf = Some(a),
            "priority" if priority.is_none() => {
                priority = Some(
                    a.trim()
                        .parse::<i64>()
                        .map_err(|_| bad(format!("priority `{a}` is not a number")))?,
                )
            }
            other => return Err(bad(format!("unexpected `.{other}` here"))),
        }
    }
    let (Some(hook), Some(pf)) = (hook, pf) else {
        return Err(bad("both `.hook(...)` and `.pf(...)` are needed".into()));
    };
    let _ = t;
    Ok(vec![ResolvedPoint {
        pp,
        kind: ir::PointKind::Netfilter {
            hook,
            pf,
            priority: priority.unwrap_or(0),
        },
        ctx: PointCtx::None,
    }])
}

/// The target variables of a netfilter probe (the hook function's
/// arguments and its verdict), as [`ir::TargetBase::TracepointArg`] slots
/// (see [`ir::PointKind::Netfilter`]): `(base, type, the value points to
/// the type)`. `None` for an unknown name or a type missing from BTF.
pub fn netfilter_var(tables: &Tables, name: &str) -> Option<(ir::TargetBase, TypeId, bool)> {
    let int = || tables.types.find_typedef("u32");
    let netdev = || tables.types.find_composite("net_device", false);
    Some(match name {
        "hooknum" => (ir::TargetBase::TracepointArg(0), int()?, false),
        "skb" => (
            ir::TargetBase::TracepointArg(1),
            tables.types.find_composite("sk_buff", false)?,
            true,
        ),
        "in" => (ir::TargetBase::TracepointArg(2), netdev()?, true),
        "out" => (ir::TargetBase::TracepointArg(3), netdev()?, true),
        "verdict" => (ir::TargetBase::TracepointArg(4), int()?, false),
        _ => return None,
    })
}

/// The names [`netfilter_var`] knows, for help lines.
pub const NETFILTER_VARS: &str = "$hooknum $skb $in $out $verdict";

/// Whether a netfilter hook or family name is a known one (or a number).
pub fn netfilter_name_known(name: &str, hook: bool) -> bool {
    let table = if hook { NF_HOOKS } else { NF_PFS };
    name.trim().parse::<i64>().is_ok() || table.iter().any(|(n, _)| *n == name)
}

fn resolve_timer(comps: &[Component]) -> Result<Vec<ResolvedPoint>, PointError> {
    let pp = text_of(comps);
    let bad = || {
        err("E0402", format!("unknown timer probe point `{pp}`"), Some("use timer.s(N), timer.ms(N), timer.us(N), timer.ns(N), timer.hz(N), timer.jiffies(N) or timer.profile"))
    };
    let c = comps.get(1).ok_or_else(bad)?;
    if c.name == "profile"
        && (comps.len() == 2
            || (comps.len() == 3 && comps[2].name == "tick" && comps[2].arg.is_none()))
    {
        return Ok(vec![ResolvedPoint {
            pp,
            kind: ir::PointKind::Profile,
            ctx: PointCtx::None,
        }]);
    }
    let unit = match c.name.as_str() {
        "jiffies" => ir::TimerUnit::Jiffies,
        "s" | "sec" => ir::TimerUnit::S,
        "ms" | "msec" => ir::TimerUnit::Ms,
        "us" | "usec" => ir::TimerUnit::Us,
        "ns" | "nsec" => ir::TimerUnit::Ns,
        "hz" => ir::TimerUnit::Hz,
        _ => return Err(bad()),
    };
    let interval = arg_long(c).ok_or_else(bad)?;
    if interval <= 0 {
        return Err(err(
            "E0403",
            format!("timer interval must be positive in `{pp}`"),
            None,
        ));
    }
    let mut randomize = 0;
    match comps.get(2) {
        None => {}
        Some(r) if r.name == "randomize" && comps.len() == 3 => {
            randomize = arg_long(r).ok_or_else(bad)?.max(0) as u64
        }
        _ => return Err(bad()),
    }
    Ok(vec![ResolvedPoint {
        pp,
        kind: ir::PointKind::Timer {
            unit,
            interval: interval as u64,
            randomize,
        },
        ctx: PointCtx::None,
    }])
}

fn resolve_kernel(
    comps: &[Component],
    t: &TargetView<'_>,
) -> Result<Vec<ResolvedPoint>, PointError> {
    let pp = text_of(comps);
    let bad = || {
        err(
            "E0402",
            format!("unknown probe point `{pp}`"),
            Some("run `xstap -l 'kernel.function(\"PATTERN\")'` to list what the target offers"),
        )
    };
    let second = comps.get(1).ok_or_else(bad)?;
    let first = comps[0].name.as_str();
    match second.name.as_str() {
        "trace" if first == "kernel" && comps.len() == 2 => {
            let arg = arg_str(second).ok_or_else(bad)?;
            let (sys, name) = match arg.split_once(':') {
                Some((s, n)) => (Some(s), n),
                None => (None, arg),
            };
            let mut out = Vec::new();
            for tp in kernel::listing::matching_tracepoints(t.tables, sys, name) {
                out.push(ResolvedPoint {
                    pp: format!("kernel.trace(\"{}:{}\")", tp.system, tp.name),
                    kind: ir::PointKind::Tracepoint {
                        system: tp.system.clone(),
                        name: tp.name.clone(),
                        args: tp
                            .args
                            .iter()
                            .map(|p| ctype(t.tables, p.ty, ptr_size(t)))
                            .collect(),
                    },
                    ctx: PointCtx::Tracepoint {
                        args: tp.args.clone(),
                    },
                });
            }
            Ok(out)
        }
        "function" => {
            let arg = arg_str(second).ok_or_else(bad)?;
            if arg.contains(':') {
                return Err(err(
                    "E0412",
                    format!("`{pp}` names a source line, which needs DWARF debug information"),
                    Some("xstap resolves probes from BTF; probe the function instead, e.g. kernel.function(\"NAME\")"),
                ));
            }
            let pattern = arg.split('@').next().unwrap_or(arg);
            if arg.contains('@') && kernel::glob::has_wildcard(pattern) {
                return Err(err(
                    "E0412",
                    format!("`{pp}` selects functions by source file, which needs DWARF debug information"),
                    Some("BTF has no source files: name the functions (wildcards allowed) without `@FILE`"),
                ));
            }
            let mut is_return = false;
            let mut maxactive = None;
            for c in &comps[2..] {
                match c.name.as_str() {
                    "call" | "exported" => {}
                    "return" => is_return = true,
                    "maxactive" if is_return => match arg_long(c) {
                        Some(n) if n > 0 => maxactive = Some(n.min(u32::MAX as i64) as u32),
                        _ => {
                            return Err(err(
                                "E0403",
                                format!("`.maxactive` needs a positive number in `{pp}`"),
                                Some("write .maxactive(N) with N > 0"),
                            ))
                        }
                    },
                    "inline" | "statement" | "label" | "callee" | "callees" => {
                        return Err(err(
                            "E0412",
                            format!("`.{}` probes need DWARF debug information", c.name),
                            Some("xstap resolves probes from BTF, which has no inline or statement information"),
                        ))
                    }
                    _ => return Err(bad()),
                }
            }
            let mut seen = std::collections::BTreeSet::new();
            let mut out = Vec::new();
            if !kernel::glob::has_wildcard(pattern)
                && t.tables.functions_named(pattern).is_empty()
                && !t.tables.functions.is_empty()
            {
                let mut help = format!(
                    "run `xstap -r {} -l 'kernel.function(\"PATTERN\")'` to see what the target offers, or add `?` to make the point optional",
                    t.release
                );
                if let Some(s) = crate::elab::best_match(
                    pattern,
                    t.tables.functions.iter().map(|f| f.name.clone()),
                ) {
                    help = format!("did you mean `{s}`? {help}");
                }
                return Err(err(
                    "E0403",
                    format!("target kernel {} has no function `{pattern}`", t.release),
                    Some(&help),
                ));
            }
            for f in kernel::listing::matching_functions(t.tables, pattern) {
                if !seen.insert(f.name.clone()) {
                    continue;
                }
                let base = format!("{first}.function(\"{}\")", f.name);
                let (pp, kind) = if is_return {
                    (
                        format!("{base}.return"),
                        ir::PointKind::Kretprobe {
                            symbol: f.name.clone(),
                            maxactive,
                        },
                    )
                } else if comps.iter().any(|c| c.name == "call") {
                    (
                        format!("{base}.call"),
                        ir::PointKind::Kprobe {
                            symbol: f.name.clone(),
                            offset: 0,
                        },
                    )
                } else {
                    (
                        base,
                        ir::PointKind::Kprobe {
                            symbol: f.name.clone(),
                            offset: 0,
                        },
                    )
                };
                out.push(ResolvedPoint {
                    pp,
                    kind,
                    ctx: PointCtx::Function {
                        name: f.name.clone(),
                        params: f.params.clone(),
                        ret: f.ret,
                        is_return,
                    },
                });
            }
            Ok(out)
        }
        _ => Err(bad()),
    }
}

/// `module("M").function("F")` (`.call`, `.return`): the profile knows a
/// module's functions only from its exports (Module.symvers), without
/// types, so the points offer no target variables. `M` and `F` may be
/// globs; `-` and `_` are the same in module names, like the kernel's.
fn resolve_module(
    comps: &[Component],
    t: &TargetView<'_>,
) -> Result<Vec<ResolvedPoint>, PointError> {
    let pp = text_of(comps);
    let bad = || {
        err(
            "E0402",
            format!("unknown probe point `{pp}`"),
            Some("write module(\"NAME\").function(\"FUNC\"), with .call or .return"),
        )
    };
    let Some(module) = arg_str(&comps[0]) else {
        return Err(bad());
    };
    let Some(second) = comps.get(1).filter(|c| c.name == "function") else {
        return Err(err(
            "E0412",
            format!("`{pp}` needs the module's debug information"),
            Some("xstap knows a module's exported functions only: probe module(\"NAME\").function(\"FUNC\")"),
        ));
    };
    let Some(func) = arg_str(second) else {
        return Err(bad());
    };
    if func.contains(['@', ':']) {
        return Err(err(
            "E0412",
            format!("`{pp}` names a source file or line, which needs the module's DWARF debug information"),
            Some("name the function without `@FILE` or `:LINE`"),
        ));
    }
    let mut is_return = false;
    for c in &comps[2..] {
        match (c.name.as_str(), &c.arg) {
            ("call" | "exported", None) => {}
            ("return", None) => is_return = true,
            _ => return Err(bad()),
        }
    }
    let norm = |s: &str| s.replace('-', "_");
    let module_glob = norm(module);
    let mut out = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for e in &t.tables.symvers {
        if e.module == "vmlinux" {
            continue;
        }
        let name = norm(e.module.rsplit('/').next().unwrap_or(&e.module));
        if !kernel::glob::matches(&module_glob, &name)
            || !kernel::glob::matches(func, &e.name)
            || !seen.insert((name.clone(), e.name.clone()))
        {
            continue;
        }
        let symbol = format!("{name}:{}", e.name);
        let base = format!("module(\"{name}\").function(\"{}\")", e.name);
        let (pp, kind) = if is_return {
            (
                format!("{base}.return"),
                ir::PointKind::Kretprobe {
                    symbol,
                    maxactive: None,
                },
            )
        } else {
            (base, ir::PointKind::Kprobe { symbol, offset: 0 })
        };
        out.push(ResolvedPoint {
            pp,
            kind,
            ctx: PointCtx::None,
        });
    }
    Ok(out)
}

/// The executable a `process("NAME")` names: an absolute path as is, a
/// name with a `/` relative to the current directory, else the first
/// match on `PATH` (like stap). Symlinks are kept as written.
fn find_executable(name: &str) -> Option<std::path::PathBuf> {
    let p = std::path::Path::new(name);
    if name.contains('/') {
        let abs = if p.is_absolute() {
            p.to_path_buf()
        } else {
            std::env::current_dir().ok()?.join(p)
        };
        return abs.is_file().then_some(abs);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|c| c.is_file())
}

/// The file offset of `symbol`'s code in the ELF file at `path` (from its
/// symbol table, else its dynamic symbols), or why there is none.
fn elf_symbol_offsets(path: &std::path::Path, pattern: &str) -> Result<Vec<(String, u64)>, String> {
    use object::{Object, ObjectSection, ObjectSymbol};
    let data = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let file = object::File::parse(&*data)
        .map_err(|e| format!("{} is not an ELF file: {e}", path.display()))?;
    let mut out = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for sym in file.symbols().chain(file.dynamic_symbols()) {
        if sym.kind() != object::SymbolKind::Text || !sym.is_definition() {
            continue;
        }
        let Ok(name) = sym.name() else { continue };
        if !kernel::glob::matches(pattern, name) || !seen.insert(name.to_string()) {
            continue;
        }
        let Some(sec) = sym
            .section_index()
            .and_then(|i| file.section_by_index(i).ok())
        else {
            continue;
        };
        let Some((off, _)) = sec.file_range() else {
            continue;
        };
        out.push((name.to_string(), sym.address() - sec.address() + off));
    }
    Ok(out)
}

/// User-space points: `process[("PATH")|(PID)]` with `.begin`, `.end`,
/// `.thread.begin`, `.thread.end`, `.syscall`, `.syscall.return`, and
/// `process("PATH").function("NAME")[.call|.return]` resolved from the
/// executable's ELF symbols (no debug information: no target variables).
/// The executable is looked up on this machine at compile time, like stap.
fn resolve_process(comps: &[Component]) -> Result<Vec<ResolvedPoint>, PointError> {
    let pp = text_of(comps);
    let bad = |why: &str| {
        err(
            "E0402",
            format!("unknown process probe point `{pp}`: {why}"),
            Some("use process(\"PATH\").begin/.end/.thread.begin/.thread.end/.syscall/.syscall.return or process(\"PATH\").function(\"NAME\")"),
        )
    };
    let (mut path, mut pid) = (None, None);
    match &comps[0].arg {
        None => {}
        Some(Lit::Long(n)) if *n > 0 => pid = Some(*n),
        Some(Lit::Long(_)) => return Err(bad("a process id must be positive")),
        Some(Lit::Str(s)) => {
            let exe = find_executable(s).ok_or_else(|| {
                err(
                    "E0403",
                    format!("no executable `{s}` for `{pp}`"),
                    Some("give an absolute path, or a name found on PATH"),
                )
            })?;
            path = Some(exe.display().to_string());
        }
    }
    let rest: Vec<(&str, &Option<Lit>)> = comps[1..]
        .iter()
        .map(|c| (c.name.as_str(), &c.arg))
        .collect();
    let event = match rest.as_slice() {
        [("begin", None)] => ir::ProcessEvent::Begin,
        [("end", None)] => ir::ProcessEvent::End,
        [("thread", None), ("begin", None)] => ir::ProcessEvent::ThreadBegin,
        [("thread", None), ("end", None)] => ir::ProcessEvent::ThreadEnd,
        [("syscall", None)] => ir::ProcessEvent::Syscall,
        [("syscall", None), ("return", None)] => ir::ProcessEvent::SyscallReturn,
        [("function", Some(Lit::Str(f))), tail @ ..] => {
            let is_return = match tail {
                [] | [("call", None)] => false,
                [("return", None)] => true,
                _ => return Err(bad("expected .call or .return after .function")),
            };
            let Some(path) = path else {
                return Err(bad("function probes need the executable's path"));
            };
            if f.contains(['@', ':']) {
                return Err(err(
                    "E0412",
                    format!("`{pp}` names a source file or line, which needs the executable's DWARF debug information"),
                    Some("name the function without `@FILE` or `:LINE`"),
                ));
            }
            if is_return && f == "_start" {
                return Err(err(
                    "E0425",
                    format!("`{pp}`: `_start` never returns normally (its stack is not a normal frame), so it cannot be return-probed"),
                    Some("probe process(\"PATH\").function(\"_start\") (the entry) instead"),
                ));
            }
            let syms = elf_symbol_offsets(std::path::Path::new(&path), f)
                .map_err(|e| err("E0403", format!("cannot resolve `{pp}`: {e}"), None))?;
            let quoted = comps[0]
                .arg
                .as_ref()
                .map(|_| format!("process(\"{path}\")"))
                .unwrap_or_default();
            return Ok(syms
                .into_iter()
                .map(|(symbol, offset)| {
                    let base = format!("{quoted}.function(\"{symbol}\")");
                    ResolvedPoint {
                        pp: if is_return {
                            format!("{base}.return")
                        } else {
                            base
                        },
                        kind: ir::PointKind::Uprobe {
                            path: path.clone(),
                            symbol,
                            offset,
                            is_return,
                        },
                        ctx: PointCtx::None,
                    }
                })
                .collect());
        }
        _ => return Err(bad("unknown event")),
    };
    if path.is_none() && pid.is_none() {
        return Err(err(
            "E0425",
            format!("`{pp}` names no process"),
            Some("write process(\"PATH\") or process(PID) to say which process the event is about"),
        ));
    }
    let head = match (&path, pid) {
        (Some(p), _) => format!("process(\"{p}\")"),
        (None, Some(n)) => format!("process({n})"),
        (None, None) => "process".to_string(),
    };
    let tail: Vec<&str> = rest.iter().map(|(n, _)| *n).collect();
    Ok(vec![ResolvedPoint {
        pp: format!("{head}.{}", tail.join(".")),
        kind: ir::PointKind::Process { path, pid, event },
        ctx: PointCtx::None,
    }])
}

/// Pointer size of the target in bytes.
pub fn ptr_size(t: &TargetView<'_>) -> u32 {
    kernel::Arch::normalize(t.arch).pointer_size()
}

/// The [`ir::CType`] of a BTF type.
pub fn ctype(tables: &Tables, id: TypeId, ptr: u32) -> ir::CType {
    let types = &tables.types;
    let r = types.resolve(id);
    let spelling = types.type_name(id);
    let size = types.size_of(id, ptr).unwrap_or(0);
    let (kind, signed) = match types.get(r) {
        KType::Int {
            signed, bool: true, ..
        } => (ir::CTypeKind::Bool, *signed),
        KType::Int { signed, .. } => (ir::CTypeKind::Integer, *signed),
        KType::Enum { signed, .. } => (ir::CTypeKind::Enum, *signed),
        KType::Ptr { to } => {
            let to = types.resolve(*to);
            let is_char = matches!(types.get(to), KType::Int { char: true, .. })
                || matches!(types.get(to), KType::Int { name, size: 1, .. } if name.contains("char"));
            (
                if is_char {
                    ir::CTypeKind::CharPointer
                } else {
                    ir::CTypeKind::Pointer
                },
                false,
            )
        }
        KType::Array { .. } => (ir::CTypeKind::Array, false),
        KType::Struct(_) | KType::Union(_) | KType::Fwd { .. } => (ir::CTypeKind::Struct, false),
        _ => (ir::CTypeKind::Integer, true),
    };
    ir::CType {
        spelling,
        size,
        signed,
        kind,
    }
}

/// A failed target-variable lookup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetError {
    pub message: String,
    pub help: Option<String>,
}

/// One step of a member path as written.
pub enum PathStep<'e> {
    Field(&'e str),
    Index(ir::Expr),
}

/// Walk `path` from a value of type `start` and produce the access steps,
/// the final type and how to convert it.
pub fn walk_path(
    tables: &Tables,
    ptr: u32,
    start: TypeId,
    path: Vec<PathStep<'_>>,
    pretty: Option<bool>,
    address_of: bool,
) -> Result<(Vec<ir::TargetStep>, TypeId, ir::TargetConvert), TargetError> {
    let types = &tables.types;
    let mut steps = Vec::new();
    let mut cur = start;
    for step in path {
        let r = types.resolve(cur);
        match step {
            PathStep::Field(name) => {
                // `->` through a pointer dereferences; `.` on a struct offsets.
                let (base, deref) = match types.get(r) {
                    KType::Ptr { to } => (*to, true),
                    _ => (r, false),
                };
                let Some(found) = types.member(base, name) else {
                    let tn = types.type_name(base);
                    let avail: Vec<String> = types
                        .composite(base)
                        .map(|c| {
                            c.members
                                .iter()
                                .filter_map(|m| m.name.clone())
                                .take(12)
                                .collect()
                        })
                        .unwrap_or_default();
                    return Err(TargetError {
                        message: format!("`{tn}` has no member `{name}`"),
                        help: (!avail.is_empty())
                            .then(|| format!("members include: {}", avail.join(", "))),
                    });
                };
                let off = (found.bit_offset / 8) as u64;
                steps.push(if deref {
                    ir::TargetStep::Deref { offset: off }
                } else {
                    ir::TargetStep::Offset { offset: off }
                });
                if let Some(bits) = found.member.bitfield_size {
                    steps.push(ir::TargetStep::Bits {
                        shift: found.bit_offset % 8,
                        bits,
                    });
                }
                cur = found.member.ty;
            }
            PathStep::Index(index) => match types.get(r) {
                KType::Ptr { to } => {
                    let elem_size = types.size_of(*to, ptr).unwrap_or(1) as u64;
                    steps.push(ir::TargetStep::Index {
                        index: Box::new(index),
                        elem_size,
                        deref: true,
                    });
                    cur = *to;
                }
                KType::Array { elem, .. } => {
                    let elem_size = types.size_of(*elem, ptr).unwrap_or(1) as u64;
                    steps.push(ir::TargetStep::Index {
                        index: Box::new(index),
                        elem_size,
                        deref: false,
                    });
                    cur = *elem;
                }
                _ => {
                    return Err(TargetError {
                        message: format!("cannot index a value of type `{}`", types.type_name(cur)),
                        help: None,
                    })
                }
            },
        }
    }
    let r = types.resolve(cur);
    let convert = if address_of {
        ir::TargetConvert::Address
    } else if let Some(deep) = pretty {
        ir::TargetConvert::Pretty { deep }
    } else {
        match types.get(r) {
            KType::Int { .. } | KType::Enum { .. } | KType::Ptr { .. } => ir::TargetConvert::Long,
            KType::Struct(_) | KType::Union(_) | KType::Array { .. } => ir::TargetConvert::Address,
            KType::Void => {
                return Err(TargetError {
                    message: "the value has type `void`".into(),
                    help: None,
                });
            }
            _ => {
                return Err(TargetError {
                    message: format!("values of type `{}` cannot be read", types.type_name(cur)),
                    help: None,
                })
            }
        }
    };
    Ok((steps, cur, convert))
}

/// Find a struct/union/typedef by the name written in `@cast` (`"task_struct"`,
/// `"struct file"`, `"union foo"`, `"struct file *"`): the id of the type
/// the address points to.
pub fn find_cast_type(tables: &Tables, name: &str) -> Option<TypeId> {
    let n = name.trim().trim_end_matches('*').trim();
    if let Some(s) = n.strip_prefix("struct ") {
        return tables.types.find_composite(s.trim(), false);
    }
    if let Some(s) = n.strip_prefix("union ") {
        return tables.types.find_composite(s.trim(), true);
    }
    tables
        .types
        .find_composite(n, false)
        .or_else(|| tables.types.find_typedef(n))
        .or_else(|| tables.types.find_composite(n, true))
}
