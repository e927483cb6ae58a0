//! `cargo xtask demo`.

pub fn run(_args: &[String]) -> Result<(), String> {
    Err("`demo` is not implemented yet".into())
}
