//! `xstap cache clean` and `xstap cache usage`: the module cache under
//! `$XSTAP_HOME/cache` (see the `build` crate's `cache` module for its
//! layout and guarantees).

use std::ffi::OsString;
use std::process::ExitCode;

use diag::Diagnostic;

fn usage_error(msg: impl Into<String>) -> Diagnostic {
    Diagnostic::error("E0003", msg).with_help("usage: xstap cache clean | xstap cache usage")
}

pub fn main(argv: &[OsString]) -> ExitCode {
    let Some(dir) = build::cache::default_dir() else {
        crate::emit_alone(
            &Diagnostic::error(
                "E0711",
                "no cache directory: neither XSTAP_HOME, XDG_CACHE_HOME nor HOME is set",
            )
            .with_help("set XSTAP_HOME to a writable directory"),
        );
        return ExitCode::from(1);
    };
    let cache = match build::Cache::open(&dir) {
        Ok(c) => c,
        Err(e) => {
            crate::emit_alone(
                &Diagnostic::error(
                    "E0711",
                    format!("cannot open the cache `{}`: {e}", dir.display()),
                )
                .with_help("check the directory's permissions, or point XSTAP_HOME elsewhere"),
            );
            return ExitCode::from(1);
        }
    };
    match argv.first().and_then(|a| a.to_str()) {
        Some("clean") => match cache.clean() {
            Ok(u) => {
                println!(
                    "removed {} entries ({} bytes) from {}",
                    u.entries,
                    u.bytes,
                    dir.display()
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                crate::emit_alone(
                    &Diagnostic::error(
                        "E0711",
                        format!("cannot clean the cache `{}`: {e}", dir.display()),
                    )
                    .with_help("check the directory's permissions"),
                );
                ExitCode::from(1)
            }
        },
        Some("usage") | None => {
            let u = cache.usage();
            println!(
                "{}: {} modules, {} bytes (bound {} bytes)",
                dir.display(),
                u.entries,
                u.bytes,
                cache.max_bytes()
            );
            ExitCode::SUCCESS
        }
        Some(other) => {
            crate::emit_alone(&usage_error(format!("unknown cache command `{other}`")));
            ExitCode::from(1)
        }
    }
}
