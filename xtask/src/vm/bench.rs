//! `cargo xtask vm bench`: numbers printed, never asserted.

pub fn run(_args: &[String]) -> Result<(), String> {
    Err("`vm bench` is not implemented yet".into())
}
