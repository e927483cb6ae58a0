//! Constructors for the diagnostics of this crate (codes E03xx, registered in
//! `diag::codes::kernel`). Every one names what is missing and says how to
//! get it.

use std::path::Path;

use diag::Diagnostic;

pub fn not_a_tree(path: &Path, why: &str) -> Diagnostic {
    Diagnostic::error(
        "E0301",
        format!("{} is not a kernel build tree: {why}", path.display()),
    )
    .with_help(
        "give the kbuild tree of the kernel (`/lib/modules/KVER/build` or an unpacked \
             Debian `linux-headers-KVER`), or fetch one with `xstap target fetch debian:KVER`",
    )
}

pub fn missing_config(tree: &Path, release: &str) -> Diagnostic {
    Diagnostic::error("E0302", format!("the build tree {} has no .config", tree.display()))
        .with_help(format!(
            "Debian ships it in the `linux-headers-{release}` package (`xstap target fetch debian:{release}`); \
             in a source tree run `make olddefconfig`"
        ))
}

pub fn missing_symvers(tree: &Path, release: &str) -> Diagnostic {
    Diagnostic::error("E0303", format!("the build tree {} has no Module.symvers", tree.display()))
        .with_help(format!(
            "Debian ships it in the `linux-headers-{release}` package (`xstap target fetch debian:{release}`); \
             in a source tree it is written by `make modules`"
        ))
}

pub fn unknown_release(release: &str, known: &[String]) -> Diagnostic {
    let mut d = Diagnostic::error("E0304", format!("no target profile for kernel release `{release}`"))
        .with_help(format!(
            "add one with `xstap target add /lib/modules/{release}/build --image /boot/vmlinuz-{release}`, \
             or for a Debian kernel `xstap target fetch debian:{release}`"
        ));
    if known.is_empty() {
        d = d.with_note("no profiles are stored yet");
    } else {
        d = d.with_note(format!("stored profiles: {}", known.join(", ")));
    }
    d
}

pub fn bad_image(path: &Path, why: impl Into<String>) -> Diagnostic {
    Diagnostic::error("E0305", format!("cannot read kernel image {}: {}", path.display(), why.into())).with_help(
        "give the `vmlinuz` of the `linux-image-KVER` package (`/boot/vmlinuz-KVER`), an arm64 `Image`, \
         or an ELF `vmlinux`",
    )
}

pub fn bad_btf(what: &str, why: impl Into<String>) -> Diagnostic {
    Diagnostic::error("E0306", format!("corrupt BTF in {what}: {}", why.into())).with_help(
        "re-extract it from an intact kernel image (`xstap target add TREE --image /boot/vmlinuz-KVER`) \
         or fetch the kernel again (`xstap target fetch debian:KVER`)",
    )
}

pub fn no_btf(path: &Path) -> Diagnostic {
    Diagnostic::error("E0307", format!("no BTF found in {}", path.display())).with_help(
        "use a kernel built with CONFIG_DEBUG_INFO_BTF=y and give its image with `--image`; \
         without BTF, function parameters, struct layouts and tracepoint arguments are unknown",
    )
}

pub fn wrong_arch(image: &Path, image_arch: &str, tree_arch: &str) -> Diagnostic {
    Diagnostic::error(
        "E0308",
        format!(
            "kernel image {} is for {image_arch}, but the build tree is for {tree_arch}",
            image.display()
        ),
    )
    .with_help("give the image from the same `linux-image-KVER` package as the headers")
}

pub fn io(path: &Path, what: &str, err: &std::io::Error) -> Diagnostic {
    Diagnostic::error("E0309", format!("cannot {what} {}: {err}", path.display()))
        .with_help("check the permissions, or set XSTAP_HOME to a writable directory")
}

pub fn bad_store(path: &Path, why: impl Into<String>) -> Diagnostic {
    Diagnostic::error("E0310", format!("stored profile {} is unusable: {}", path.display(), why.into()))
        .with_help("remove it with `xstap target rm KVER` and add it again with `xstap target add` or `xstap target fetch`")
}

pub fn fetch(msg: impl Into<String>, help: impl Into<String>) -> Diagnostic {
    Diagnostic::error("E0311", msg).with_help(help)
}

pub fn bad_table(path: &Path, line: usize, why: &str) -> Diagnostic {
    Diagnostic::error("E0312", format!("{}:{line}: {why}", path.display()))
        .with_help("the file is damaged or not from a kernel build; get it again from the kernel's headers package")
}

pub fn unsupported_listing(pattern: &str) -> Diagnostic {
    Diagnostic::error("E0313", format!("cannot list `{pattern}` from a target profile"))
        .with_help("list `kernel.function(\"PATTERN\")` or `kernel.trace(\"PATTERN\")`, with PATTERN a glob like `vfs_*`")
}

pub fn arch_mismatch(release: &str, profile_arch: &str, wanted: &str) -> Diagnostic {
    Diagnostic::error("E0314", format!("kernel {release} is {profile_arch}, but -a asks for {wanted}"))
        .with_help("drop `-a`, or select a kernel of that architecture with `-r KVER` (see `xstap target list`)")
}
