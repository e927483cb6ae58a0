//! Small hand-written profiles for unit tests of this and other crates
//! (pass 2 resolves probes and `$var`s against them without a real kernel).
//!
//! `tiny_x86()` has `vfs_read(struct file *file, char *buf, size_t count,
//! loff_t *pos)` and a few more functions, `struct file` (with `f_pos`, two
//! bitfields and an anonymous union), `struct task_struct`, the tracepoints
//! `sched:sched_switch` and `sched:sched_process_exit`, and a few exports
//! (`register_kprobe` GPL-only). The JSON is `fixtures/tiny-x86.json`.

use std::path::Path;

use crate::Profile;

/// The text of `fixtures/tiny-x86.json`.
pub const TINY_X86_JSON: &str = include_str!("../fixtures/tiny-x86.json");

/// The tiny x86_64 fixture profile (tables in memory).
pub fn tiny_x86() -> Profile {
    Profile::from_json(TINY_X86_JSON, Path::new("fixtures/tiny-x86.json"))
        .expect("the committed fixture parses (checked by a test)")
}

/// The same tables presented as an arm64 kernel, for cross-arch tests.
pub fn tiny_arm64() -> Profile {
    let mut p = tiny_x86();
    p.meta.release = "6.1.0-tiny-arm64".to_string();
    p.meta.arch = crate::Arch::Arm64;
    p.meta.config.remove("CONFIG_X86_64");
    p.meta.config.insert(
        "CONFIG_ARM64".to_string(),
        crate::ConfigValue::Word("y".to_string()),
    );
    p.meta.hash = blake3::hash(format!("{}arm64", p.meta.hash).as_bytes())
        .to_hex()
        .to_string();
    p
}
