//! `cargo xtask book`.

pub fn run(_args: &[String]) -> Result<(), String> {
    Err("`book` is not implemented yet".into())
}
