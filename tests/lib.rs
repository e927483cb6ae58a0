//! Shared harness code for xstap's end-to-end and conformance tests, used by
//! the integration tests in `tests/it/` and by `cargo xtask`.
//!
//! [`conformance`] runs SystemTap's test corpus against the built binary and
//! reports; it depends on nothing of the compiler (it drives the `xstap`
//! executable), so it works whatever state the passes are in.

pub mod conformance;
