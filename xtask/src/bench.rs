//! `cargo xtask bench`.

pub fn run(_args: &[String]) -> Result<(), String> {
    Err("`bench` is not implemented yet".into())
}
