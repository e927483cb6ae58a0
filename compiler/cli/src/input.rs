//! Reading script and tapset sources: `-e` text, files, standard input and
//! `-I` directories. Any byte string is accepted: unreadable files and text
//! that is not UTF-8 become diagnostics (E0004, E0005), never panics.

use std::io::Read;
use std::path::{Path, PathBuf};

use diag::{Diagnostic, FileId, Span};

use crate::args::Script;
use crate::render::SourceMap;

/// The display name of a `-e` script, as stap prints it.
pub const INLINE_NAME: &str = "<input>";
/// The display name of a script read from standard input.
pub const STDIN_NAME: &str = "<stdin>";

/// Reads the script named by `script` into `sources`. Returns its file id,
/// or the diagnostic explaining why it cannot be used. Text that is not
/// UTF-8 is still added (lossily) so the diagnostic can point at the bad byte.
pub fn read_script(script: &Script, sources: &mut SourceMap) -> Result<FileId, Diagnostic> {
    let (name, bytes) = match script {
        Script::Inline(text) => (INLINE_NAME.to_owned(), text.clone().into_bytes()),
        Script::Stdin => {
            let mut buf = Vec::new();
            std::io::stdin().lock().read_to_end(&mut buf).map_err(|e| {
                Diagnostic::error(
                    "E0004",
                    format!("cannot read the script from standard input: {e}"),
                )
                .with_help("check what is piped into xstap, or name the script file instead of `-`")
            })?;
            (STDIN_NAME.to_owned(), buf)
        }
        Script::File(path) => (path.display().to_string(), read_file(path)?),
        Script::None => {
            return Err(Diagnostic::error("E0006", "no script given").with_help(
                "give a script file, `-` to read standard input, or `-e 'probe begin { ... }'`",
            ))
        }
    };
    into_source(name, bytes, sources)
}

/// Reads a file, turning I/O errors into E0004.
pub fn read_file(path: &Path) -> Result<Vec<u8>, Diagnostic> {
    if path.is_dir() {
        return Err(Diagnostic::error(
            "E0004",
            format!("`{}` is a directory, not a script", path.display()),
        )
        .with_help("name a script file (usually ending in `.stp`)"));
    }
    std::fs::read(path).map_err(|e| {
        let why = match e.kind() {
            std::io::ErrorKind::NotFound => "no such file".to_owned(),
            std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
            _ => e.to_string(),
        };
        Diagnostic::error("E0004", format!("cannot read script file `{}`: {why}", path.display())).with_help(
            "check the path; use `-` to read the script from standard input or `-e SCRIPT` to give it inline",
        )
    })
}

/// Adds `bytes` to `sources` as `name`; fails with E0005 (pointing at the
/// first bad byte) when they are not UTF-8.
pub fn into_source(
    name: String,
    bytes: Vec<u8>,
    sources: &mut SourceMap,
) -> Result<FileId, Diagnostic> {
    match String::from_utf8(bytes) {
        Ok(text) => Ok(sources.add(name, text)),
        Err(e) => {
            let at = e.utf8_error().valid_up_to() as u32;
            let byte = e.as_bytes()[at as usize];
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let id = sources.add(name.clone(), text);
            // In the lossy text the prefix is unchanged and the bad bytes
            // became one U+FFFD (3 bytes), so the span stays on them.
            Err(
                Diagnostic::error("E0005", format!("`{name}` is not valid UTF-8"))
                    .with_primary(
                        Span::new(id, at, at + 3),
                        format!("byte 0x{byte:02x} is not UTF-8"),
                    )
                    .with_help(
                        "convert the script to UTF-8, or check that this is the script you meant",
                    ),
            )
        }
    }
}

/// The `.stp` and `.stpm` files under `dir`, recursively, sorted by path so
/// the order does not depend on the file system.
pub fn library_files(dir: &Path) -> Result<Vec<PathBuf>, Diagnostic> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    let mut first = true;
    while let Some(d) = stack.pop() {
        let entries = match std::fs::read_dir(&d) {
            Ok(e) => e,
            Err(e) if first => {
                return Err(Diagnostic::error(
                    "E0004",
                    format!("cannot read tapset directory `{}`: {e}", d.display()),
                )
                .with_help("check the directory given to `-I`"))
            }
            Err(_) => continue,
        };
        first = false;
        for entry in entries.flatten() {
            let p = entry.path();
            let Ok(ft) = entry.file_type() else { continue };
            if ft.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "stp" || e == "stpm") {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}
