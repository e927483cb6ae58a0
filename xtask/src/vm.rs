//! `cargo xtask vm`.

pub fn run(_args: &[String]) -> Result<(), String> {
    Err("`vm` is not implemented yet".into())
}
