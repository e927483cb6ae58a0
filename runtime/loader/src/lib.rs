//! `xstap-run`: the target-side loader of xstap modules.
//!
//! It checks a `.ko` before loading it (ELF, architecture, `.modinfo`
//! vermagic against this kernel), loads it with `finit_module`, drives the
//! module through the transport protocol of `runtime/c/transport.h`
//! ("start", stream the output, "stop", drain), and always unloads it.
//! Every failure is a [`msg::Msg`] with a stable E08xx code (registered in
//! `compiler/diag/src/codes/loader.rs`) and a help line.
//!
//! Dependencies: std and libc only, so the binary links statically with musl
//! for every target arch. The pure parts ([`elf`], [`proto`], [`explain`],
//! [`args`]) do no I/O and are unit-tested on the host; [`sys`] and
//! [`session`] talk to the kernel and are tested in qemu (tests/it/e2e.rs).

pub mod args;
pub mod elf;
pub mod explain;
pub mod msg;
pub mod proto;
pub mod session;
pub mod sys;

pub use msg::Msg;
