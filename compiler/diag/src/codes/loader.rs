//! Diagnostic codes of the loader (`xstap-run`, runtime/loader): E08xx.
//! The loader names these codes in `runtime/loader/src/msg.rs`; a test there
//! checks that each one is registered here.

use super::Code;

pub const CODES: &[Code] = &[
    Code {
        code: "E0801",
        title: "bad xstap-run command line",
        explanation: "xstap-run takes `[-o FILE] [-c CMD] [-x PID] [-L|-A|-d] [-v] MODULE.ko [name=value ...]`, \
like staprun. Module parameters must be `name=value`; `xs_target` is set by the loader itself from `-x` or `-c`.\n\n\
Run `xstap-run -h` for the usage.",
    },
    Code {
        code: "E0802",
        title: "cannot read the module file",
        explanation: "The `.ko` given to xstap-run does not exist or cannot be read.\n\nGive the path of the \
module that `xstap ... -p4` wrote (by default `NAME.ko` in the current directory).",
    },
    Code {
        code: "E0803",
        title: "not a loadable kernel module",
        explanation: "xstap-run checks a module before the kernel sees it: it must be an ELF relocatable \
object whose section table and sections lie inside the file, with a `.modinfo` section holding `vermagic=` and \
a `.gnu.linkonce.this_module` section. A file that fails this is not a `.ko` (a script, an object file) or \
was cut short (an interrupted copy: the note says at which byte).\n\nCopy the module again, or rebuild it.",
    },
    Code {
        code: "E0804",
        title: "module built for another CPU architecture",
        explanation: "The module's ELF machine (for example aarch64) is not the one of this machine \
(`uname -m`, for example x86_64). The kernel would refuse it with ENOEXEC and `Invalid architecture in ELF \
header`.\n\nRebuild it for this kernel: `xstap -r $(uname -r) ... -p4` on the build host.",
    },
    Code {
        code: "E0805",
        title: "module built for another kernel release",
        explanation: "A module only loads on the kernel it was built for. xstap-run compares the first word \
of the module's `vermagic` with `uname -r` and refuses a mismatch before loading; it never force-loads (with \
the kernel's ignore flags a module for another kernel can load and corrupt memory).\n\nThe unit of \
compatibility is the ABI name: Debian's 6.1.0-47-amd64 and 6.1.0-56-amd64 are different kernels.\n\nRebuild: \
`xstap -r $(uname -r) -m NAME SCRIPT -p4` on the build host.",
    },
    Code {
        code: "E0806",
        title: "the kernel rejected the module's format (ENOEXEC)",
        explanation: "finit_module returned ENOEXEC although the release matched. The kernel's message tells \
which check failed: `disagrees about version of symbol module_layout` (modversions: built against other \
headers of the same release name), `struct module size must match` (another kernel version), `version magic` \
(configuration differs), `Invalid ELF section header overflow` (a damaged file).\n\nRebuild the module against \
this exact kernel's build tree.",
    },
    Code {
        code: "E0807",
        title: "a module of this name is already loaded",
        explanation: "finit_module returned EEXIST: a module with the same name runs already, for example one \
left running with `xstap-run -L`, or another xstap-run session.\n\nStop it with `xstap-run -d NAME`, or build \
this script under another name with `xstap -m NAME`.",
    },
    Code {
        code: "E0808",
        title: "the module needs a symbol this kernel does not export",
        explanation: "finit_module returned ENOENT and the kernel logged `Unknown symbol`. The module was \
built against headers whose Module.symvers does not match this kernel.\n\nRebuild it for this kernel.",
    },
    Code {
        code: "E0809",
        title: "module signature rejected",
        explanation: "The kernel enforces module signatures (`module.sig_enforce=1` or \
CONFIG_MODULE_SIG_FORCE) and the module is unsigned or signed with a key the kernel does not trust \
(EKEYREJECTED, ENOKEY).\n\nSign it with a trusted key: `KDIR/scripts/sign-file sha256 key.priv key.x509 \
MODULE.ko`, with the key built into the kernel or enrolled as a MOK.",
    },
    Code {
        code: "E0810",
        title: "loading modules is not permitted",
        explanation: "finit_module returned EPERM: xstap-run is not root, the kernel is locked down \
(`lockdown=integrity`, which UEFI Secure Boot turns on, refuses unsigned modules: `Lockdown: ... unsigned \
module loading is restricted`), or `kernel.modules_disabled=1`.\n\nRun as root; under Secure Boot sign the \
module with an enrolled key.",
    },
    Code {
        code: "E0811",
        title: "this kernel has no module support",
        explanation: "finit_module returned ENOSYS: the kernel was built without CONFIG_MODULES, so no module \
can be loaded, xstap's included.",
    },
    Code {
        code: "E0812",
        title: "the module's initialisation failed",
        explanation: "The kernel loaded the module and ran its init function, which returned an error (shown \
with its errno), and unloaded it again. The kernel's message usually names the cause, for example \
`register_kprobe(notify_die) failed: -22` for a function that cannot be probed.",
    },
    Code {
        code: "E0813",
        title: "no transport files for the module",
        explanation: "A loaded xstap module creates `xstap/NAME/{ctl,data}` in debugfs, or \
`/proc/xstap_NAME/{ctl,data}` when debugfs is not available. xstap-run mounts debugfs on /sys/kernel/debug \
when needed. Neither was found: the module was not built by xstap (use insmod for other modules), or no \
module of that name is loaded (for `-A`/`-d`). The module is unloaded.",
    },
    Code {
        code: "E0814",
        title: "transport protocol mismatch",
        explanation: "The module's control file did not hold a status line of the protocol version this \
xstap-run speaks (`XSTAP1 state=...`). Use the xstap-run of the same xstap release as the compiler that \
built the module.",
    },
    Code {
        code: "E0815",
        title: "the script failed to start",
        explanation: "The module's start (arming probes, running `begin` probes) failed; the script's own \
error message is printed above this one. The module is unloaded.",
    },
    Code {
        code: "E0816",
        title: "the script reported errors",
        explanation: "The script printed `ERROR:` lines (for example a division by zero, with its script \
location) and was stopped. xstap-run exits with status 1, like staprun.",
    },
    Code {
        code: "E0817",
        title: "output records were dropped",
        explanation: "The module's per-CPU output buffers were full (the script printed faster than \
xstap-run could read), or a probe printed while the same CPU was already printing (an NMI). The count is \
exact. Print less, or load with bigger buffers: `xstap-run MODULE.ko xs_bufsize_kb=8192`.",
    },
    Code {
        code: "E0818",
        title: "the module could not be unloaded",
        explanation: "delete_module failed, usually because something still uses the module. Retry with \
`xstap-run -d NAME` or `rmmod NAME` once nothing uses it.",
    },
    Code {
        code: "E0819",
        title: "the target process could not be set",
        explanation: "`-x PID` names a process that does not exist, or the `-c CMD` command could not be \
started.",
    },
    Code {
        code: "E0820",
        title: "cannot write the script's output",
        explanation: "The `-o FILE` output file could not be created, or writing the output failed.",
    },
    Code {
        code: "E0821",
        title: "transport I/O error",
        explanation: "Reading or writing the module's transport files failed, for example because the \
module was unloaded by someone else while xstap-run ran.",
    },
];
