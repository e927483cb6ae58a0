//! Diagnostic codes of the preprocessor (E02xx): conditionals, macros,
//! command-line argument substitution.

use super::Code;

pub const CODES: &[Code] = &[
    Code {
        code: "E0201",
        title: "unterminated conditional",
        explanation: "A `%(` conditional is not closed with `%)` before the end of the file (or of \
the macro body it is in). The label points at the `%(`.\n\n\
Example:\n\n```stap\n%( arch == \"x86_64\" %? probe begin {}\n```\n\nFix: add `%)`.",
    },
    Code {
        code: "E0202",
        title: "malformed conditional",
        explanation: "A conditional has the form `%( CONDITION %? THEN %: ELSE %)` (the `%:` part \
is optional). This error is reported for a missing `%?`, a second `%?` or `%:`, or a \
`%?`, `%:` or `%)` without an opening `%(`.\n\n\
Example:\n\n```stap\n%( 1 == 0 %? print(1) %? print(2) %)\n```\n\nFix: use one `%?` and at most one `%:`.",
    },
    Code {
        code: "E0203",
        title: "invalid preprocessor condition",
        explanation: "A condition is one or more comparisons `LEFT OP RIGHT` joined by `&&` and \
`||`. LEFT is one of `kernel_v`, `kernel_vr`, `systemtap_v` (compared with a version \
string), `arch`, `runtime`, `systemtap_privilege` (compared with `==`/`!=` to a string, \
wildcards allowed), `guru_mode` (`==`/`!=` with 0 or 1), `CONFIG_...` (with a string, a \
number or another `CONFIG_...`), or a string or number compared with the same kind; \
`$#` and `@#` become a number and a string.\n\n\
Examples of errors:\n\n```stap\n%( kernel_v <= 2.6 %? ... %)        # version must be a string\n%( arch >= \"x86_64\" %? ... %)       # arch only with == or !=\n%( foo == \"2.6\" %? ... %)           # unknown left operand\n```\n\nFix: write the condition in one of the forms above.",
    },
    Code {
        code: "E0204",
        title: "command-line argument out of range",
        explanation: "The script uses `$N` or `@N` but fewer than N arguments were given after the \
script on the command line. Only code that survives preprocessing is checked, so a \
reference guarded by `%( $# >= N %? ... %)` is fine.\n\n\
Example:\n\n```sh\nstap -e 'probe begin { println(@1) }'\n```\n\nFix: pass the argument, or guard the use with `%( $# >= 1 %? ... %)`.",
    },
    Code {
        code: "E0205",
        title: "nested command-line argument substitution",
        explanation: "The text of a command-line argument substituted for `$N` itself contains \
`$N`, `@N`, `$#` or `@#`. Substitution is not recursive.\n\n\
Example:\n\n```sh\nstap -e '$1' '$1'\n```\n\nFix: pass the literal text you want instead.",
    },
    Code {
        code: "E0206",
        title: "malformed macro definition",
        explanation: "A macro is defined as `@define NAME %( BODY %)` or \
`@define NAME(a, b) %( BODY %)`; inside BODY the parameters are used as `@a`, `@b`. The \
body must be closed with `%)` and definitions cannot be nested in a macro body.\n\n\
Example:\n\n```stap\n@define foo %( cheese\n```\n\nFix: complete the definition.",
    },
    Code {
        code: "E0207",
        title: "macro redefinition",
        explanation: "A macro is defined twice in one file or in the library, or a definition \
tries to redefine `@define` itself.\n\n\
Example:\n\n```stap\n@define define %( x %)\n```\n\nFix: pick another name.",
    },
    Code {
        code: "E0208",
        title: "wrong number of macro arguments",
        explanation: "A macro with parameters was invoked with a different number of arguments, or \
without parentheses.\n\n\
Example:\n\n```stap\n@define foo(a) %( probe @a %)\n@foo(begin, end) { }\n```\n\nFix: pass one argument per parameter.",
    },
    Code {
        code: "E0209",
        title: "unknown macro or @-operator",
        explanation: "`@name` is neither a built-in operator (`@count`, `@cast`, `@defined`...) \
nor a macro defined in this file or in a library `.stpm` file.\n\n\
Example:\n\n```stap\nprobe begin { printf(\"%d\\n\", @foo(v)) }\n```\n\nFix: define the macro with `@define`, or fix the operator's name.",
    },
    Code {
        code: "E0210",
        title: "macro expansion too deep",
        explanation: "Expanding macros did not terminate within the nesting limit; most likely a \
macro invokes itself.\n\n\
Fix: remove the recursion.",
    },
    Code {
        code: "E0211",
        title: "preprocessed code does not parse",
        explanation: "After choosing conditional arms for the target (or expanding macros) the \
resulting code is not valid SystemTap. Arms that are not chosen are never parsed, like in \
stap, so this can depend on the target kernel.\n\n\
Fix: correct the code in the arm that was chosen; the message names the exact error.",
    },
    Code {
        code: "E0212",
        title: "empty library macro file problem",
        explanation: "A library macro file (`.stpm`) may only contain `@define`s (and \
conditionals around them); any other token is an error.\n\n\
Fix: move code into a `.stp` tapset and keep only macro definitions in `.stpm` files.",
    },
];
