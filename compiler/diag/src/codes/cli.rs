//! Diagnostic codes of the command line (E00xx): options, script inputs and
//! the environment the `xstap` front end checks before any pass runs.

use super::Code;

pub const CODES: &[Code] = &[
    Code {
        code: "E0001",
        title: "unknown or malformed command-line option",
        explanation: "xstap did not recognise an option, or an option that needs a value \
was given without one.\n\nxstap accepts SystemTap's options: short options may be \
clustered (`-gp1`, `-vvv`) and their values attached (`-p1`, `-e'probe begin {}'`) or \
separate (`-p 1`). Long options take `--name=value` or `--name value`.\n\nRun `xstap -h` \
for the list of options.",
    },
    Code {
        code: "E0002",
        title: "invalid option value",
        explanation: "An option was given a value it cannot take, for example `-p0` (passes \
are numbered 1 to 5), `-m x^y` (a module name is made of `[_a-zA-Z0-9]`), \
`--rlimit-cpu=12X` (limits are numbers) or `--compatible=abc` (a version is \
`MAJOR[.MINOR]`).\n\nFix the value as the message says.",
    },
    Code {
        code: "E0003",
        title: "conflicting command-line options",
        explanation: "Two options were given that cannot be used together, for example two \
`-e SCRIPT` options, `-c CMD` with `-x PID`, or the interactive or monitor mode with \
the listing options `-l`/`-L`.\n\nKeep one of them.",
    },
    Code {
        code: "E0004",
        title: "cannot read the script",
        explanation: "The script file named on the command line (or a tapset file in an \
`-I` directory) could not be read: it does not exist, is a directory, or is not \
readable.\n\nCheck the path. To read the script from standard input, name it `-`; to \
give it inline, use `-e 'probe begin { ... }'`.",
    },
    Code {
        code: "E0005",
        title: "script is not valid UTF-8",
        explanation: "xstap reads scripts as UTF-8 text. The script contains a byte \
sequence that is not UTF-8 (a binary file, or text in another encoding).\n\nConvert \
the file to UTF-8 (for example with `iconv -t UTF-8`), or check that the right file was \
named. Inside string literals, write other bytes with escapes such as `\\x80`.",
    },
    Code {
        code: "E0006",
        title: "no script given",
        explanation: "xstap needs a script: a file name, `-` for standard input, or \
`-e 'SCRIPT'`. Only `-l`/`-L` (listing probe points), `-V`, `-h` and `--explain` work \
without one.",
    },
    Code {
        code: "E0007",
        title: "pass not available in this build",
        explanation: "The requested pass (`-p N`, or the default of running every pass) \
or mode is not part of this build of xstap yet.\n\nUse a pass that is available, for \
example `-p1` to parse and print the script.",
    },
    Code {
        code: "E0008",
        title: "unusable temporary directory",
        explanation: "The directory named by `TMPDIR` has characters that break the \
kernel build (kbuild and make cannot handle spaces, quotes, `$`, `:` and similar \
characters in paths).\n\nSet `TMPDIR` to a directory whose path uses only letters, \
digits, `/`, `.`, `_`, `-` and `+`, or unset it.",
    },
    Code {
        code: "E0009",
        title: "unknown diagnostic code",
        explanation: "`xstap --explain CODE` was given a code that no layer of xstap \
registers. Codes look like `E0103`: the letter E and four digits.\n\nCheck the code in \
the diagnostic you saw; the book's diagnostics index lists every code.",
    },
    Code {
        code: "E0010",
        title: "empty script",
        explanation: "The script has nothing in it but white space: there is no probe, \
function or global to compile. An empty file or an empty `-e ''` is most often a \
mistake in the command line (a shell variable that expanded to nothing, a heredoc that \
was not fed).\n\nGive a script with at least one probe, for example \
`xstap -e 'probe begin { println(\"hello\"); exit() }'`.",
    },
];
