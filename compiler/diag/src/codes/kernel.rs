//! Diagnostic codes of the kernel layer (E03xx): reading build trees, kernel
//! images, BTF, the profile store, and fetching Debian kernels.

use super::Code;

pub const CODES: &[Code] = &[
    Code {
        code: "E0301",
        title: "not a kernel build tree",
        explanation: "The directory given to `xstap target add` (or `-r PATH`) is not a kbuild \
tree: it has no `Makefile` or none of `include/generated/utsrelease.h`, \
`include/config/kernel.release` or `.kernelvariables` that tell its release.\n\n\
A build tree is `/lib/modules/KVER/build` on a machine with the kernel headers \
installed, an unpacked Debian `linux-headers-KVER` package, or a kernel source tree \
after `make modules_prepare`.\n\nTo get one for a Debian kernel: `xstap target fetch debian:KVER`.",
    },
    Code {
        code: "E0302",
        title: "the build tree has no .config",
        explanation: "A kernel build tree must contain the kernel's `.config`; xstap reads it \
for `%( CONFIG_X == \"y\" %)` conditionals and kbuild needs it to build modules.\n\n\
Debian ships it in `linux-headers-KVER`; a source tree gets it from `make olddefconfig` \
or from `/boot/config-KVER`.",
    },
    Code {
        code: "E0303",
        title: "the build tree has no Module.symvers",
        explanation: "`Module.symvers` lists the symbols the kernel exports, with their CRCs \
and whether they are GPL-only. xstap checks every symbol a module uses against it, and \
modpost needs it to build a module that loads on a MODVERSIONS kernel.\n\nDebian ships it in \
`linux-headers-KVER` (`xstap target fetch debian:KVER`); in a source tree it is written by \
`make modules`.",
    },
    Code {
        code: "E0304",
        title: "no target profile for this kernel",
        explanation: "`-r KVER` (or `$XSTAP_RELEASE`, `$SYSTEMTAP_RELEASE`, `uname -r`) names a \
kernel release for which no profile is stored under the xstap data directory.\n\nAdd one \
from a build tree with `xstap target add /lib/modules/KVER/build --image /boot/vmlinuz-KVER`, \
or fetch a Debian kernel with `xstap target fetch debian:KVER`. `xstap target list` shows \
the stored profiles.",
    },
    Code {
        code: "E0305",
        title: "unreadable kernel image",
        explanation: "The kernel image given with `--image` could not be read or decoded: it is \
neither an ELF `vmlinux`, an x86 bzImage, an arm64 `Image` (raw, gzip'ed or EFI zboot), \
nor a raw BTF blob, or its compressed payload is corrupt.\n\nGive the `vmlinuz` from the \
`linux-image-KVER` package (`/boot/vmlinuz-KVER`) or the `vmlinux` of a kernel build.",
    },
    Code {
        code: "E0306",
        title: "corrupt BTF",
        explanation: "The kernel's BTF type information is truncated or malformed, so \
function prototypes, struct layouts and tracepoint arguments cannot be read.\n\nRe-extract \
it from an intact image (`xstap target add TREE --image /boot/vmlinuz-KVER`), or fetch the \
kernel again.",
    },
    Code {
        code: "E0307",
        title: "the kernel image has no BTF",
        explanation: "No `.BTF` section or BTF blob was found in the kernel image. Kernels built \
without `CONFIG_DEBUG_INFO_BTF=y` have none. Without BTF xstap knows the kernel's \
exported symbols and config but not function parameters (`$var`), struct layouts or \
tracepoint arguments.\n\nUse a kernel with `CONFIG_DEBUG_INFO_BTF=y` (every Debian kernel \
since 5.10), or give `--image` the matching `vmlinuz`.",
    },
    Code {
        code: "E0308",
        title: "kernel image of another architecture",
        explanation: "The image given with `--image` is for a different architecture than the \
build tree (for example an arm64 `Image` with amd64 headers). Profiles must describe one \
kernel: give the image from the same `linux-image-KVER` package as the headers.",
    },
    Code {
        code: "E0309",
        title: "cannot read or write the profile store",
        explanation: "xstap keeps target profiles under `$XSTAP_HOME/targets` (default \
`$XDG_DATA_HOME/xstap` or `~/.local/share/xstap`). A file there could not be read or \
written. Check the permissions, or point `XSTAP_HOME` at a writable directory.",
    },
    Code {
        code: "E0310",
        title: "corrupt or incompatible stored profile",
        explanation: "A stored profile could not be decoded: it was written by another \
version of xstap, or a file in it was damaged. Remove it with `xstap target rm KVER` and \
add it again (`xstap target add` or `xstap target fetch`).",
    },
    Code {
        code: "E0311",
        title: "fetching a Debian kernel failed",
        explanation: "`xstap target fetch debian:KVER` downloads `linux-headers-KVER`, its \
`-common` package, the host's `linux-kbuild-*` and `linux-image-KVER` with \
`apt-get download` and unpacks them with `dpkg -x`. One of these steps failed.\n\n\
Check the release name (`apt-cache search linux-headers-` lists what the configured \
mirrors have), that `apt-get update` works, and for a foreign architecture that it was \
added (`dpkg --add-architecture arm64`; xstap does this itself when run as root).",
    },
    Code {
        code: "E0312",
        title: "malformed Module.symvers or System.map",
        explanation: "A line of `Module.symvers` (`CRC<TAB>symbol<TAB>module<TAB>export type`) \
or `System.map` (`address type name`) could not be parsed. The file is damaged or not \
from a kernel build; get it again from the kernel's headers package.",
    },
    Code {
        code: "E0313",
        title: "unsupported probe point for listing",
        explanation: "`-l` and `-L` list probe points that the target profile can answer \
alone: `kernel.function(\"PATTERN\")` and `kernel.trace(\"PATTERN\")`, where PATTERN is a \
glob (`*`, `?`, `[...]`). Other probe points are listed once the script is elaborated.",
    },
    Code {
        code: "E0314",
        title: "the target kernel is of another architecture than -a",
        explanation: "`-a ARCH` names the architecture the module is for, and the kernel \
selected with `-r` (or the default release) is of another one. Either drop `-a` (the \
profile knows its arch) or select a kernel of that architecture with `-r KVER` \
(`xstap target list` shows each profile's arch).",
    },
];
