//! The registry of diagnostic codes. Each layer keeps its table in its own
//! module so that work on different layers does not collide; [`ALL`] joins
//! them. `xstap --explain` and the book's diagnostics index read [`lookup`].

mod build;
mod cli;
mod codegen;
mod internal;
mod kernel;
mod loader;
mod preprocess;
mod sema;
mod syntax;

/// One registered code.
#[derive(Debug, Clone, Copy)]
pub struct Code {
    pub code: &'static str,
    /// One line: what went wrong.
    pub title: &'static str,
    /// Markdown: why it happens, an example, how to fix it.
    pub explanation: &'static str,
}

pub const INTERNAL: &str = "E0901";

/// Every registered code, in code order per layer.
pub fn all() -> impl Iterator<Item = &'static Code> {
    [
        cli::CODES,
        syntax::CODES,
        preprocess::CODES,
        kernel::CODES,
        sema::CODES,
        codegen::CODES,
        build::CODES,
        loader::CODES,
        internal::CODES,
    ]
    .into_iter()
    .flatten()
}

pub fn lookup(code: &str) -> Option<&'static Code> {
    all().find(|c| c.code.eq_ignore_ascii_case(code))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn codes_are_unique_and_well_formed() {
        let mut seen = std::collections::BTreeSet::new();
        for c in all() {
            assert!(seen.insert(c.code), "duplicate code {}", c.code);
            assert!(
                c.code.len() == 5 && c.code.starts_with('E'),
                "bad code {}",
                c.code
            );
            assert!(
                !c.title.is_empty() && !c.explanation.trim().is_empty(),
                "{} lacks text",
                c.code
            );
        }
    }
}
