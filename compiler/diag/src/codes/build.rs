//! Diagnostic codes of the build layer (pass 4: kbuild, the module cache,
//! parallel builds for many targets). Add a [`Code`] for every code the
//! layer emits; `build::codes` names them.

use super::Code;

pub const CODES: &[Code] = &[
    Code {
        code: "E0701",
        title: "the target kernel does not export a symbol the module needs",
        explanation: "Before running kbuild, xstap checks every kernel symbol the generated \
module calls against the target kernel's `Module.symvers` (the list of symbols the kernel \
exports to modules). A module that uses a symbol missing from that list would fail at \
modpost time, or fail to load with `Unknown symbol`.\n\nThis usually means a probe or a \
tapset function needs a kernel facility that this kernel version or configuration lacks \
(for example `register_kprobe` on a kernel built without `CONFIG_KPROBES`, or a function \
that was renamed or unexported in a newer release).\n\nFix: remove the probe or function \
that needs the symbol for this target (use `%( kernel_v >= \"...\" %? ... %)` or \
`%( CONFIG_... == \"y\" %? ... %)` conditionals), or build for a kernel that exports it. \
`xstap target show KVER` lists the target's profile.",
    },
    Code {
        code: "E0702",
        title: "the target kernel's build tree is incomplete",
        explanation: "Building a module needs the target kernel's build tree (the \
`linux-headers-KVER` package on Debian): its `Makefile`, `.config`, `Module.symvers` and \
the host tools under `scripts/` (`scripts/basic/fixdep`, `scripts/mod/modpost`, shipped \
by `linux-kbuild-*`). One of them is missing.\n\nOn Debian the `scripts` and `tools` \
entries of the headers are relative symlinks into `linux-kbuild-*`; when the packages \
were unpacked by hand (`dpkg -x`), unpack `linux-headers-KVER`, \
`linux-headers-VER-common` and the host's `linux-kbuild-VER` into one root.\n\nFix: \
reinstall or re-fetch the headers (`xstap target fetch KVER`), or point the target at \
a complete build tree.",
    },
    Code {
        code: "E0703",
        title: "the C compiler for the target is not installed",
        explanation: "kbuild compiles the module with the compiler the target kernel was \
built with: on Debian `gcc-12` for x86, and `aarch64-linux-gnu-gcc-12` (a cross \
compiler) for arm64 targets on an x86 host. That program was not found on `PATH`.\n\n\
Fix: install it, e.g. `apt-get install gcc-12` or `apt-get install \
gcc-aarch64-linux-gnu` (which pulls `gcc-12-aarch64-linux-gnu`), or pass another prefix \
with `CROSS_COMPILE` / another compiler with `-B CC=...`.",
    },
    Code {
        code: "E0704",
        title: "pahole is needed to build modules for this kernel",
        explanation: "The target kernel has `CONFIG_DEBUG_INFO_BTF_MODULES=y` and its build \
tree ships a `vmlinux` (Debian 6.12 and later), so kbuild generates BTF for every module \
with `pahole`. Without it the build fails late with `pahole: not found`.\n\nFix: \
`apt-get install pahole` (package `dwarves` on older releases), or skip module BTF \
with `-B CONFIG_DEBUG_INFO_BTF_MODULES=`.",
    },
    Code {
        code: "E0705",
        title: "the C compiler rejected code written in the script",
        explanation: "gcc reported an error at a line of the script itself. This happens \
with embedded C (`%{ ... %}` blocks and `function f() %{ ... %}` in guru mode), whose \
text is passed to the compiler unchanged; the generated code carries `#line` directives \
so that gcc points at the script.\n\nFix the C code at the reported line. The full \
compiler output is kept in the build directory when `-k` is given.",
    },
    Code {
        code: "E0706",
        title: "modpost: the module uses a symbol the kernel does not provide",
        explanation: "After compiling, kbuild's `modpost` step checks every undefined symbol \
of the module against `Module.symvers`. A symbol that is neither exported by the kernel \
nor by the module itself was found.\n\nIf the symbol comes from embedded C in the \
script, use an exported kernel function instead. If it comes from generated code, this \
is a bug in xstap (the pre-build export check should have caught it).",
    },
    Code {
        code: "E0707",
        title: "modpost: a GPL-only symbol is used by a module without a GPL license",
        explanation: "Symbols exported with `EXPORT_SYMBOL_GPL` (such as `register_kprobe`) \
may only be used by modules whose `MODULE_LICENSE` is GPL-compatible. modpost refuses the \
module even with `KBUILD_MODPOST_WARN=1`.\n\nGenerated modules always declare \
`MODULE_LICENSE(\"GPL\")`; if embedded C changed the license, remove that line.",
    },
    Code {
        code: "E0708",
        title: "the kernel build (kbuild) failed",
        explanation: "`make -C KDIR M=DIR modules` failed in a way xstap could not attribute \
to a script line or a known cause. The end of the build log is attached as a note; the \
whole log is `build.log` in the build directory, which is kept when `-k` is given.\n\n\
Fix: read the log. If the failure is in code xstap generated, please report it.",
    },
    Code {
        code: "E0709",
        title: "`make` could not be started",
        explanation: "Building a module runs GNU make. The program could not be started, \
usually because it is not installed.\n\nFix: `apt-get install make`.",
    },
    Code {
        code: "E0710",
        title: "invalid module name",
        explanation: "A kernel module name may contain only ASCII letters, digits and \
underscores, must not start with a digit, and must be shorter than 56 bytes \
(`MODULE_NAME_LEN`).\n\nFix: pick another name with `-m NAME`.",
    },
    Code {
        code: "E0711",
        title: "the module cache could not be used",
        explanation: "Reading or writing the module cache (`$XSTAP_HOME/cache`) failed, \
for example because the disk is full or the directory is not writable. The build \
itself is not affected: the module is built without the cache, and nothing partial is \
ever left in the cache.\n\nFix: free space, fix permissions, run `xstap cache clean`, or \
pass `--disable-cache`.",
    },
    Code {
        code: "E0712",
        title: "the build directory could not be written",
        explanation: "xstap writes the generated C and a `Kbuild` file into a build \
directory (a temporary one, or the one kept by `-k`) and places the finished `.ko` in \
the output directory. Creating, writing or renaming a file there failed.\n\nFix: check \
free space and permissions of the temporary directory (`TMPDIR`) and the output \
directory.",
    },
    Code {
        code: "E0713",
        title: "the C compiler warned about code written in the script",
        explanation: "gcc reported a warning at a line of the script (embedded C with \
`#line` directives). The module was built; the warning may point at a real bug.",
    },
    Code {
        code: "E0714",
        title: "the built module is unreadable",
        explanation: "kbuild reported success but the `.ko` is missing, is not an ELF file \
for the target architecture, or lacks a `vermagic` in its `.modinfo` section. This \
points at a broken toolchain or build tree (for example a compiler for the wrong \
architecture).\n\nFix: check `CROSS_COMPILE` and the build tree; keep the build \
directory with `-k` and inspect it.",
    },
    Code {
        code: "E0715",
        title: "the build was interrupted",
        explanation: "make was killed by a signal (Ctrl-C, the OOM killer, a timeout). \
Nothing was written to the cache or to the output directory.",
    },
    Code {
        code: "E0716",
        title: "the compiler differs from the one the kernel was built with",
        explanation: "The target's `.config` records the compiler that built the kernel \
(`CONFIG_CC_VERSION_TEXT`), and the compiler found here reports another version. \
Modules built with another gcc usually load, but compiler-dependent options (stack \
protector, CFI, plugins) may disagree.\n\nFix: install the same compiler version, or \
ignore this warning if the module loads and runs.",
    },
    Code {
        code: "E0717",
        title: "the build tree is for another kernel than the target",
        explanation: "The build tree's `UTS_RELEASE` (`include/generated/utsrelease.h`) names \
another kernel than the target profile. A module built there would carry that kernel's \
vermagic and symbol versions, and the target kernel would refuse it.\n\nThis happens \
when a profile points at a tree that was later replaced (headers upgraded in place), or \
when `-r` names one kernel and the tree is another's.\n\nFix: fetch or add the target \
again (`xstap target fetch debian:KVER`, `xstap target add /lib/modules/KVER/build`), so \
its profile and its build tree agree.",
    },
];
