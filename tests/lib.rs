//! Shared harness code for xstap's end-to-end and conformance tests, used by
//! the integration tests in `tests/it/` and by `cargo xtask`.
//!
//! [`conformance`] runs SystemTap's test corpus against the built binary and
//! reports; it depends on nothing of the compiler (it drives the `xstap`
//! executable), so it works whatever state the passes are in.
//!
//! [`output_conformance`] builds the printf/string/maps scripts and compares
//! their output in one qemu boot with what SystemTap prints.
//!
//! [`matrix`] is the project's own cross-build matrix (six Debian kernels,
//! one `xstap build` per script, qemu boots of the amd64/arm64 ones).
//!
//! [`vm`] boots Debian target kernels in qemu with a busybox initramfs and runs
//! snippets there (the end-to-end tests and `cargo xtask vm` use it).

pub mod conformance;
pub mod matrix;
pub mod output_conformance;
pub mod vm;
