//! `cargo xtask conformance`.

pub fn run(_args: &[String]) -> Result<(), String> {
    Err("`conformance` is not implemented yet".into())
}
