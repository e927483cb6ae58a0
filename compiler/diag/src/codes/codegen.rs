//! Diagnostic codes of the codegen layer (E06xx): lowering the checked
//! program to C. Add a [`Code`] for every code the layer emits.

use super::Code;

pub const CODES: &[Code] = &[
    Code {
        code: "E0601",
        title: "language feature not supported by the code generator yet",
        explanation: "The script uses a construct that passed the checks but that xstap cannot \
translate to C yet, for example regular expression matching (`=~`), writing to a target \
variable in guru mode, or a tracepoint argument passed by value as a struct.\n\n\
Example:\n\n```stap\nprobe begin { if (\"abc\" =~ \"a.c\") println(\"match\") }\n```\n\n\
Fix: rewrite that part of the script without the construct (string functions such as \
`isinstr` often replace a simple regular expression), or ask the xstap developers for it.",
    },
    Code {
        code: "E0602",
        title: "statistics printed with different histogram kinds",
        explanation: "One statistics variable is printed both with `@hist_log` and with \
`@hist_linear`, or with `@hist_linear` using different ranges. The module keeps one histogram \
per variable, so the first form is used for all of them (a warning).\n\n\
Example:\n\n```stap\nglobal s\nprobe end { print(@hist_log(s)); print(@hist_linear(s, 0, 100, 10)) }\n```\n\n\
Fix: use one histogram form per variable; to see both, feed a second variable \
(`s <<< v; t <<< v`).",
    },
    Code {
        code: "E0603",
        title: "invalid -D definition",
        explanation: "A `-D NAME=VALUE` option does not name a C identifier, or its value spans \
several lines. Definitions become `#define` lines at the top of the generated C, before the \
runtime (that is how `-D MAXACTION=10000` raises a limit).\n\n\
Example: `xstap -D 'MAX ACTION=5' script.stp`\n\n\
Fix: write `-D NAME` or `-D NAME=VALUE` with a name made of letters, digits and `_` that does \
not start with a digit, and a one-line value.",
    },
    Code {
        code: "E0604",
        title: "array with too many keys",
        explanation: "An associative array is indexed by more than 9 keys; the runtime's arrays \
support up to 9 (as SystemTap's).\n\n\
Example:\n\n```stap\nglobal a\nprobe begin { a[1,2,3,4,5,6,7,8,9,10] = 1 }\n```\n\n\
Fix: combine some keys into one string key (`sprintf(\"%d/%d\", x, y)`), or split the array.",
    },
    Code {
        code: "E0605",
        title: "invalid regular expression",
        explanation: "The right side of `=~` / `!~` is not a regular expression xstap can compile. \
xstap compiles regular expressions to an automaton when it translates the script; the dialect \
is POSIX extended regular expressions (`|`, `*`, `+`, `?`, `{m,n}`, groups, bracket expressions \
with `[:class:]`, `^`, `$`) plus `\\d \\w \\s`. Repetition counts are limited to 255 and the \
automaton to 2000 states.\n\n\
Example:\n\n```stap\nprobe begin { if (\"abc\" =~ \"(ab\") println(\"?\") }\n```\n\n\
Fix: balance the parentheses and brackets, or simplify the expression.",
    },
    Code {
        code: "E0606",
        title: "netfilter hook or family that C cannot name",
        explanation: "A `netfilter.hook(\"H\").pf(\"F\")` probe (guru mode accepts names \
outside the known sets) names a hook or protocol family that is neither a known name, a number, \
nor a C identifier, so the generated registration could not spell it.\n\n\
Example:\n\n```stap\nprobe netfilter.hook(\"PRE ROUTING\").pf(\"NFPROTO_IPV4\") { }\n```\n\n\
Fix: use NF_INET_PRE_ROUTING, NF_INET_LOCAL_IN, NF_INET_FORWARD, NF_INET_LOCAL_OUT, \
NF_INET_POST_ROUTING (or NF_ARP_*) and NFPROTO_IPV4, NFPROTO_IPV6, NFPROTO_ARP, NFPROTO_BRIDGE, \
or their numbers.",
    },
    Code {
        code: "E0607",
        title: "two procfs probes of the same kind for one file",
        explanation: "Two `procfs(\"PATH\").read` probes (or two `.write` probes) name the same \
file under /proc/systemtap/MODULE/. A file has one read handler and one write handler; which \
probe should answer a reader would be ambiguous.\n\n\
Example:\n\n```stap\nprobe procfs(\"x\").read { $value = \"a\" }\nprobe procfs(\"x\").read { $value = \"b\" }\n```\n\n\
Fix: merge the two bodies into one probe, or use two file names.",
    },
];
