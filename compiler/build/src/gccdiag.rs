//! Turning a kbuild log into diagnostics.
//!
//! gcc reports `file:line:col: error: message`. Generated C carries `#line`
//! directives, so for code that came from the script (embedded C) gcc names
//! the script file: such errors become E0705 with a [`SourceLoc`] the CLI
//! maps to a span. An error in generated code (a `.c`/`.h` unit, the
//! runtime, kernel headers) is a bug in xstap: E0901 with gcc's words as a
//! note. modpost errors (undefined and GPL-only symbols) and a missing
//! `pahole` are recognised; anything else becomes E0708 with the end of
//! the log. Raw output is never dumped whole: at most [`MAX_RAW_NOTES`]
//! compiler lines are quoted.

use std::path::Path;

use diag::Diagnostic;

use crate::{codes, Located, SourceLoc};

/// How many generated-code compiler errors are quoted before summarising.
pub const MAX_RAW_NOTES: usize = 5;
/// How many lines of the log end an E0708 note.
pub const LOG_TAIL_LINES: usize = 12;

/// What the parser needs to know about the build.
pub struct LogContext<'a> {
    pub release: &'a str,
    pub arch: &'a str,
    pub module: &'a str,
    pub build_dir: &'a Path,
    /// File names of the generated units.
    pub units: &'a [String],
}

/// One `file:line[:col]: kind: message` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GccLine<'a> {
    pub file: &'a str,
    pub line: u32,
    pub col: u32,
    pub kind: &'a str,
    pub message: &'a str,
}

/// Parse one gcc diagnostic line.
pub fn parse_gcc_line(l: &str) -> Option<GccLine<'_>> {
    for kind in ["fatal error", "error", "warning", "note"] {
        let pat = format!(": {kind}: ");
        let Some(idx) = l.find(&pat) else { continue };
        let (loc, message) = (&l[..idx], &l[idx + pat.len()..]);
        let mut parts = loc.rsplitn(3, ':');
        let a = parts.next()?;
        let b = parts.next()?;
        let (file, line, col) = match (b.parse::<u32>(), a.parse::<u32>()) {
            (Ok(line), Ok(col)) => (parts.next()?, line, col),
            (Err(_), Ok(line)) => (loc.rsplit_once(':')?.0, line, 0),
            _ => continue,
        };
        if file.is_empty() || file.contains(' ') && !file.starts_with('/') {
            continue;
        }
        return Some(GccLine {
            file,
            line,
            col,
            kind: if kind == "fatal error" { "error" } else { kind },
            message,
        });
    }
    None
}

fn is_generated(file: &str, ctx: &LogContext<'_>) -> bool {
    let base = file.rsplit('/').next().unwrap_or(file);
    base.ends_with(".c")
        || base.ends_with(".h")
        || base.ends_with(".S")
        || ctx.units.iter().any(|u| u == base)
}

/// Explain a failed (or successful, for warnings) build from its log.
/// `failed` says whether make exited with an error: then at least one
/// error diagnostic is returned.
pub fn diagnose_log(log: &str, ctx: &LogContext<'_>, failed: bool) -> Vec<Located> {
    let mut out: Vec<Located> = Vec::new();
    let mut generated_errors: Vec<String> = Vec::new();
    // Index in `out` of the last script diagnostic, to attach gcc's notes.
    let mut last_script: Option<usize> = None;
    for l in log.lines() {
        if let Some(g) = parse_gcc_line(l) {
            let script = !is_generated(g.file, ctx);
            match (g.kind, script) {
                ("error", true) | ("warning", true) => {
                    let (code, sev) = if g.kind == "error" {
                        (codes::C_ERROR_IN_SCRIPT, diag::Severity::Error)
                    } else {
                        (codes::C_WARNING_IN_SCRIPT, diag::Severity::Warning)
                    };
                    let d = Diagnostic::new(sev, code, format!("C {}: {}", g.kind, g.message))
                        .with_note(format!(
                            "reported by the C compiler for {} ({})",
                            ctx.release, ctx.arch
                        ))
                        .with_help("fix the embedded C code at this line");
                    out.push(Located {
                        diagnostic: d,
                        at: Some(SourceLoc {
                            file: g.file.to_string(),
                            line: g.line,
                            col: g.col,
                        }),
                    });
                    last_script = Some(out.len() - 1);
                }
                ("note", true) => {
                    if let Some(i) = last_script {
                        out[i]
                            .diagnostic
                            .notes
                            .push(format!("{}:{}: {}", g.file, g.line, g.message));
                    }
                }
                ("error", false) => {
                    let base = g.file.rsplit('/').next().unwrap_or(g.file);
                    generated_errors.push(format!(
                        "gcc: {base}:{}:{}: error: {}",
                        g.line, g.col, g.message
                    ));
                    last_script = None;
                }
                _ => last_script = None,
            }
            continue;
        }
        if let Some(rest) = l.strip_prefix("ERROR: modpost: ") {
            out.push(modpost_error(rest, ctx).into());
        } else if l.contains("pahole: not found") || l.contains("pahole: command not found") {
            out.push(
                Diagnostic::error(codes::PAHOLE_MISSING, format!("building modules for {} needs `pahole`", ctx.release))
                    .with_help("install it: `apt-get install pahole`, or skip module BTF with -B CONFIG_DEBUG_INFO_BTF_MODULES=")
                    .into(),
            );
        }
    }
    if !generated_errors.is_empty() {
        let n = generated_errors.len();
        let mut d = Diagnostic::bug(format!(
            "the C compiler rejected code xstap generated for {} ({}): {n} error{}",
            ctx.release,
            ctx.arch,
            if n == 1 { "" } else { "s" }
        ));
        for e in generated_errors.iter().take(MAX_RAW_NOTES) {
            d = d.with_note(e.clone());
        }
        if n > MAX_RAW_NOTES {
            d = d.with_note(format!(
                "... and {} more; the full log is {}/build.log (kept with -k)",
                n - MAX_RAW_NOTES,
                ctx.build_dir.display()
            ));
        }
        out.push(d.into());
    }
    if failed && !out.iter().any(|l| l.diagnostic.is_error()) {
        let tail: Vec<&str> = log.lines().filter(|l| !l.trim().is_empty()).collect();
        let tail = &tail[tail.len().saturating_sub(LOG_TAIL_LINES)..];
        out.push(
            Diagnostic::error(
                codes::KBUILD_FAILED,
                format!("kbuild failed for {} ({})", ctx.release, ctx.arch),
            )
            .with_note(format!("end of the build log:\n{}", tail.join("\n")))
            .with_help(format!(
                "keep the build directory with -k and read {}/build.log",
                ctx.build_dir.display()
            ))
            .into(),
        );
    }
    out
}

fn modpost_error(rest: &str, ctx: &LogContext<'_>) -> Diagnostic {
    // `"sym" [/dir/m.ko] undefined!`
    if let Some(sym) = rest
        .strip_prefix('"')
        .and_then(|r| r.split_once('"'))
        .map(|(s, _)| s)
    {
        if rest.ends_with("undefined!") {
            return Diagnostic::error(
                codes::MODPOST_UNDEFINED,
                format!("module `{}` uses `{sym}`, which kernel {} does not export", ctx.module, ctx.release),
            )
            .with_note(format!("modpost: {rest}"))
            .with_help(format!(
                "if `{sym}` is called from embedded C, use an exported function instead; otherwise this is an xstap bug, please report it"
            ));
        }
    }
    // `GPL-incompatible module m.ko uses GPL-only symbol 'sym'`
    if rest.contains("uses GPL-only symbol") {
        let sym = rest.rsplit('\'').nth(1).unwrap_or("?");
        return Diagnostic::error(
            codes::MODPOST_GPL_ONLY,
            format!(
                "module `{}` is not GPL-licensed but uses the GPL-only symbol `{sym}`",
                ctx.module
            ),
        )
        .with_note(format!("modpost: {rest}"))
        .with_help("remove any MODULE_LICENSE line from embedded C: generated modules are GPL");
    }
    Diagnostic::error(
        codes::KBUILD_FAILED,
        format!("modpost failed for {} ({})", ctx.release, ctx.arch),
    )
    .with_note(format!("modpost: {rest}"))
    .with_help(format!(
        "keep the build directory with -k and read {}/build.log",
        ctx.build_dir.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx<'a>(units: &'a [String]) -> LogContext<'a> {
        LogContext {
            release: "6.1.0-56-amd64",
            arch: "x86",
            module: "m",
            build_dir: Path::new("/b"),
            units,
        }
    }

    #[test]
    fn gcc_lines() {
        let g =
            parse_gcc_line("/b/foo.stp:12:5: error: 'x' undeclared (first use in this function)")
                .unwrap();
        assert_eq!(
            (g.file, g.line, g.col, g.kind),
            ("/b/foo.stp", 12, 5, "error")
        );
        let g = parse_gcc_line("a.c:3: warning: unused").unwrap();
        assert_eq!((g.file, g.line, g.col), ("a.c", 3, 0));
        let g =
            parse_gcc_line("/b/rt.h:1:10: fatal error: x.h: No such file or directory").unwrap();
        assert_eq!(
            (g.kind, g.message),
            ("error", "x.h: No such file or directory")
        );
        assert!(parse_gcc_line("  CC [M]  /b/a.o").is_none());
        assert!(parse_gcc_line("make[1]: *** [Makefile:1: a] Error 1").is_none());
    }

    #[test]
    fn log_to_diagnostics() {
        let units = vec!["rt.c".to_string(), "p.c".to_string()];
        let log = "\
  CC [M]  /b/p.o
/b/foo.stp: In function 'probe_1':
/b/foo.stp:7:3: error: 'y' undeclared (first use in this function)
/b/foo.stp:7:3: note: each undeclared identifier is reported only once
/b/foo.stp:9:1: warning: unused variable 'z'
/b/rt.c:40:2: error: expected ';' before '}' token
ERROR: modpost: \"tb_no_such_export\" [/b/m.ko] undefined!
ERROR: modpost: GPL-incompatible module m.ko uses GPL-only symbol 'register_kprobe'
make[2]: *** [scripts/Makefile.build:250: /b/p.o] Error 1
";
        let d = diagnose_log(log, &ctx(&units), true);
        let summary: Vec<String> = d
            .iter()
            .map(|l| {
                format!(
                    "{} {:?} {}",
                    l.diagnostic.code,
                    l.at.as_ref().map(|a| (a.file.as_str(), a.line, a.col)),
                    l.diagnostic.message
                )
            })
            .collect();
        expect_test::expect![[r#"
            [
                "E0705 Some((\"/b/foo.stp\", 7, 3)) C error: 'y' undeclared (first use in this function)",
                "E0713 Some((\"/b/foo.stp\", 9, 1)) C warning: unused variable 'z'",
                "E0706 None module `m` uses `tb_no_such_export`, which kernel 6.1.0-56-amd64 does not export",
                "E0707 None module `m` is not GPL-licensed but uses the GPL-only symbol `register_kprobe`",
                "E0901 None the C compiler rejected code xstap generated for 6.1.0-56-amd64 (x86): 1 error",
            ]
        "#]]
        .assert_debug_eq(&summary);
        assert!(d[0]
            .diagnostic
            .notes
            .iter()
            .any(|n| n.contains("reported only once")));
        assert!(d[4]
            .diagnostic
            .notes
            .iter()
            .any(|n| n.contains("rt.c:40:2")));
    }

    #[test]
    fn unknown_failure_quotes_the_tail_only() {
        let log: String = (0..200).map(|i| format!("line {i}\n")).collect();
        let d = diagnose_log(&log, &ctx(&[]), true);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].diagnostic.code, codes::KBUILD_FAILED);
        let note = &d[0].diagnostic.notes[0];
        assert!(note.contains("line 199") && !note.contains("line 100\n"));
        assert!(diagnose_log(&log, &ctx(&[]), false).is_empty());
    }
}
