//! `-l` / `-L` listing of kernel probe points from a profile alone:
//! `kernel.function("PATTERN")[.call|.return|...]` and
//! `kernel.trace("[SYSTEM:]PATTERN")`, printed the way stap prints them
//! (`-L` adds ` $name:type` per parameter, `.return` adds `$return`).
//!
//! This is a plain function over a [`Profile`] so the CLI can use it today;
//! the elaborator will later route `-l`/`-L` through probe resolution and may
//! call [`function_lines`]/[`trace_lines`] itself.
//!
//! Limits (no DWARF): there is no `@file:line`; a `@file` part in the pattern
//! is ignored, and static functions that share a name are listed once.

use diag::Diagnostic;

use crate::glob;
use crate::model::{Function, Param, Tables, Tracepoint};
use crate::{errors, Profile};

/// A parsed kernel probe point for listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Point {
    /// `kernel.function("PATTERN")` with optional suffix (`return`, `call`).
    Function {
        pattern: String,
        suffix: Option<String>,
    },
    /// `kernel.trace("SYSTEM:PATTERN")`; `system` is `None` without `:`.
    Trace {
        system: Option<String>,
        pattern: String,
    },
}

/// Parse `kernel.function("vfs_*").return` or `kernel.trace("sched:*")`.
pub fn parse_point(text: &str) -> Result<Point, Diagnostic> {
    let t = text.trim();
    let bad = || errors::unsupported_listing(text);
    let (kind, rest) = if let Some(r) = t.strip_prefix("kernel.function(") {
        ("function", r)
    } else if let Some(r) = t.strip_prefix("kernel.trace(") {
        ("trace", r)
    } else {
        return Err(bad());
    };
    let rest = rest.strip_prefix('"').ok_or_else(bad)?;
    let close = rest.find("\")").ok_or_else(bad)?;
    let arg = &rest[..close];
    let tail = &rest[close + 2..];
    let suffix = match tail.strip_prefix('.') {
        Some(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') => {
            Some(s.to_string())
        }
        None if tail.is_empty() => None,
        _ => return Err(bad()),
    };
    Ok(match kind {
        "function" => {
            // FIXME: BTF has no file names; `@file` filters are ignored.
            let name = arg.split('@').next().unwrap_or(arg).to_string();
            Point::Function {
                pattern: name,
                suffix,
            }
        }
        _ => {
            if suffix.is_some() {
                return Err(bad());
            }
            match arg.split_once(':') {
                Some((s, n)) => Point::Trace {
                    system: Some(s.to_string()),
                    pattern: n.to_string(),
                },
                None => Point::Trace {
                    system: None,
                    pattern: arg.to_string(),
                },
            }
        }
    })
}

/// List the probe points matching `point` in `profile`, one line each, sorted
/// and deduplicated. `with_vars` is `-L`.
pub fn list(profile: &Profile, point: &str, with_vars: bool) -> Result<Vec<String>, Diagnostic> {
    let p = parse_point(point)?;
    let tables = profile.tables()?;
    Ok(match &p {
        Point::Function { pattern, suffix } => {
            function_lines(tables, pattern, suffix.as_deref(), with_vars)
        }
        Point::Trace { system, pattern } => {
            trace_lines(tables, system.as_deref(), pattern, with_vars)
        }
    })
}

/// The functions whose names match the glob `pattern`.
pub fn matching_functions<'a>(
    tables: &'a Tables,
    pattern: &'a str,
) -> impl Iterator<Item = &'a Function> + 'a {
    let exact: &[Function] = if glob::has_wildcard(pattern) {
        &[]
    } else {
        tables.functions_named(pattern)
    };
    let wild = glob::has_wildcard(pattern);
    exact.iter().chain(
        tables
            .functions
            .iter()
            .filter(move |f| wild && glob::matches(pattern, &f.name)),
    )
}

/// The tracepoints matching `system` (glob, `None` = any) and `pattern`.
pub fn matching_tracepoints<'a>(
    tables: &'a Tables,
    system: Option<&'a str>,
    pattern: &'a str,
) -> impl Iterator<Item = &'a Tracepoint> + 'a {
    tables.tracepoints.iter().filter(move |t| {
        glob::matches(pattern, &t.name) && system.is_none_or(|s| glob::matches(s, &t.system))
    })
}

fn vars(tables: &Tables, params: &[Param], out: &mut String) {
    for (i, p) in params.iter().enumerate() {
        let name = if p.name.is_empty() {
            format!("arg{}", i + 1)
        } else {
            p.name.clone()
        };
        out.push_str(&format!(" ${name}:{}", tables.types.type_name(p.ty)));
    }
}

pub fn function_lines(
    tables: &Tables,
    pattern: &str,
    suffix: Option<&str>,
    with_vars: bool,
) -> Vec<String> {
    let mut lines: Vec<String> = matching_functions(tables, pattern)
        .map(|f| {
            let mut s = format!("kernel.function(\"{}\")", f.name);
            if let Some(sfx) = suffix {
                s.push('.');
                s.push_str(sfx);
            }
            if with_vars {
                if suffix == Some("return") && f.ret.0 != 0 {
                    s.push_str(&format!(" $return:{}", tables.types.type_name(f.ret)));
                }
                vars(tables, &f.params, &mut s);
            }
            s
        })
        .collect();
    lines.sort();
    lines.dedup();
    lines
}

pub fn trace_lines(
    tables: &Tables,
    system: Option<&str>,
    pattern: &str,
    with_vars: bool,
) -> Vec<String> {
    let mut lines: Vec<String> = matching_tracepoints(tables, system, pattern)
        .map(|t| {
            let mut s = if t.system.is_empty() {
                format!("kernel.trace(\"{}\")", t.name)
            } else {
                format!("kernel.trace(\"{}:{}\")", t.system, t.name)
            };
            if with_vars {
                vars(tables, &t.args, &mut s);
            }
            s
        })
        .collect();
    lines.sort();
    lines.dedup();
    lines
}
