//! Diagnostic codes of the syntax layer (E01xx): lexing and parsing.

use super::Code;

pub const CODES: &[Code] = &[
    Code {
        code: "E0101",
        title: "unterminated string literal",
        explanation: "A string literal was opened with `\"` and not closed on the same line.\n\n\
Example:\n\n```stap\nprobe begin { print(\"hello) }\n```\n\n\
Fix: add the closing quote. A string cannot span lines; to build a long string use \
adjacent literals, which are joined: `\"part one \" \"part two\"`.",
    },
    Code {
        code: "E0102",
        title: "unterminated block comment",
        explanation: "A `/*` comment is never closed with `*/`, so the rest of the file is a comment.\n\n\
Example:\n\n```stap\n/* disabled\nprobe begin { exit() }\n```\n\nFix: add `*/` where the comment should end.",
    },
    Code {
        code: "E0103",
        title: "unterminated embedded code block",
        explanation: "A `%{` block of embedded C is never closed with `%}`.\n\n\
Example:\n\n```stap\nfunction f:long () %{ STAP_RETURN(1);\n```\n\nFix: close the block with `%}`.",
    },
    Code {
        code: "E0104",
        title: "invalid character",
        explanation: "The script contains a character that starts no SystemTap token, for example \
a backtick or a non-ASCII letter outside a string or comment.\n\n\
Example:\n\n```stap\nprobe begin { x = `date` }\n```\n\nFix: remove the character, or put it in a string literal.",
    },
    Code {
        code: "E0105",
        title: "invalid number literal",
        explanation: "A number is malformed or out of range. Numbers are decimal (`42`), hexadecimal \
(`0x2a`) or octal (`052`) and must fit in 64 bits (up to 18446744073709551615; a negated \
literal down to -9223372036854775808). Identifiers cannot start with a digit.\n\n\
Example:\n\n```stap\nprobe begin { 0var = 2; x = 0889 }\n```\n\n\
Fix: correct the digits (`8` and `9` are not octal digits), or rename the variable so it \
starts with a letter or `_`.",
    },
    Code {
        code: "E0110",
        title: "syntax error",
        explanation: "The parser expected one thing and found another. The message says what was \
expected; the label points at the unexpected token.\n\n\
Example:\n\n```stap\nprobe begin { if x == 1 print(x) }\n```\n\n\
Fix: follow the grammar named in the message; here `if` needs parentheses: `if (x == 1)`.",
    },
    Code {
        code: "E0111",
        title: "unclosed delimiter",
        explanation: "A `{`, `(` or `[` was opened and the file or the enclosing construct ended \
before the matching closer. The secondary label shows where it was opened.\n\n\
Example:\n\n```stap\nprobe begin {\n  print(1)\n```\n\nFix: add the missing closer.",
    },
    Code {
        code: "E0112",
        title: "expected a declaration",
        explanation: "At the top level of a script only declarations may appear: `probe`, \
`global`, `private`, `function`, a `%{ %}` block, `@define`, or a preprocessor conditional.\n\n\
Example:\n\n```stap\n\"not a probe\"\n```\n\n\
Fix: put statements inside a probe body, e.g. `probe begin { ... }`.",
    },
    Code {
        code: "E0113",
        title: "nesting too deep",
        explanation: "The script nests expressions, blocks or conditionals more deeply than xstap \
supports (a few hundred levels). The parser stops descending to protect itself and skips \
the deeply nested part.\n\n\
Fix: simplify the expression, for example with temporary variables.",
    },
    Code {
        code: "E0114",
        title: "invalid probe point",
        explanation: "A probe point is a dot-separated list of components such as \
`kernel.function(\"vfs_read\").return`. Each component is a name (letters, digits, `_`, \
wildcards `*` glued without spaces) with an optional literal parameter in parentheses; a \
component may be a brace expansion `{a,b}`. A point may end with `?` or `!` and with \
`if (condition)`; points are separated by commas.\n\n\
Examples of errors:\n\n```stap\nprobe foo bar {}            # two names without a dot or comma\nprobe a * b {}              # spaces inside a wildcard name\nprobe kernel.function(f()) {}   # parameter must be a literal\nprobe {a!}.b {}             # ? and ! only at the end of the point\n```\n\n\
Fix: write the probe point as in `stapprobes(3stap)`.",
    },
    Code {
        code: "E0115",
        title: "`return` outside a function",
        explanation: "`return` is only allowed in a function body; a probe handler ends with `next` \
or by falling off its end.\n\n\
Example:\n\n```stap\nprobe begin { return 1 }\n```\n\nFix: use `next` in probes, or move the code into a function.",
    },
    Code {
        code: "E0116",
        title: "duplicate parameter name",
        explanation: "Two parameters of one function have the same name.\n\n\
Example:\n\n```stap\nfunction f(x, x) { return x }\n```\n\nFix: rename one of them.",
    },
    Code {
        code: "E0117",
        title: "duplicate global declaration",
        explanation: "A global (or private) variable is declared twice in the same file, or \
declared both global and private.\n\n\
Example:\n\n```stap\nglobal foo\nglobal foo\n```\n\nFix: remove one declaration.",
    },
    Code {
        code: "E0118",
        title: "invalid global declaration",
        explanation: "A global's array size must be a number between 1 and 2147483647, and only \
scalar globals (without `[N]`) can have an initializer, which must be a literal.\n\n\
Example:\n\n```stap\nglobal a[0]\nglobal b[10] = 42\n```\n\n\
Fix: use a positive size; initialise arrays in `probe begin`.",
    },
    Code {
        code: "E0119",
        title: "invalid arguments to a print function",
        explanation: "The print family checks its arguments while parsing: `printf`, `sprintf` \
and friends need a literal format string first; `printd`/`printdln`/`sprintd`/`sprintdln` \
need a literal delimiter and at least two values; `print` and `sprint` need one value.\n\n\
Example:\n\n```stap\nprobe begin { printd(\", \", 1) }\n```\n\nFix: pass the arguments the function requires.",
    },
    Code {
        code: "E0120",
        title: "regular expression must be a string literal",
        explanation: "The right side of `=~` and `!~` is compiled when the script is translated, \
so it must be a literal string.\n\n\
Example:\n\n```stap\nprobe begin { r = \"a.*\"; if (s =~ r) print(1) }\n```\n\n\
Fix: write the pattern literally: `s =~ \"a.*\"`.",
    },
    Code {
        code: "E0121",
        title: "invalid use of an @-operator",
        explanation: "A built-in @-operator was called with arguments of the wrong form. \
`@cast(ptr, \"type\"[, \"module\"])` and `@var(\"name\"[, \"module\"])` need string \
literals; `@perf(\"name\")` and `@const(\"expr\")` need a non-empty string; \
`@kregister(N)` needs a number; `@kderef(size, addr)` needs a number first; \
`@hist_linear(v, start, stop, step)` needs three numbers; `@variance(v[, N])`; \
`@probewrite(var)` needs a name. A histogram is not a value by itself.\n\n\
Example:\n\n```stap\nprobe begin { y = @perf(1) }\n```\n\nFix: pass literals where the operator needs them.",
    },
    Code {
        code: "E0122",
        title: "construct needs guru mode",
        explanation: "Embedded C (`%{ %}` in a function, probe or expression), `@const`, \
`@kregister` and `@kderef` run unchecked code in the kernel and are only allowed in \
tapsets or with `-g` (guru mode).\n\n\
Fix: run with `-g` if you trust the code, or use a tapset function instead.",
    },
    Code {
        code: "E0123",
        title: "invalid foreach",
        explanation: "`foreach` has the form `foreach ([v =] KEYS in ARRAY[SLICE] [SORT] [limit N]) \
STMT` where KEYS is one name or a bracketed list `[a, b]`, a name may carry one sort \
suffix `+` or `-`, and SORT is `+`, `-`, or `@count`/`@sum`/`@min`/`@max`/`@avg`/`@variance` \
followed by `+` or `-`. Only one sort directive is allowed.\n\n\
Example:\n\n```stap\nforeach (key- in array-) print(key)\n```\n\nFix: keep a single sort directive.",
    },
    Code {
        code: "E0124",
        title: "script is empty",
        explanation: "The user script contains no probe, function or global after preprocessing \
(comments, `@define`s and conditionals whose arms are empty do not count).\n\n\
Fix: add at least one probe, e.g. `probe begin { println(\"hello\") exit() }`.",
    },
    Code {
        code: "E0125",
        title: "invalid probe alias",
        explanation: "An alias name (before `=` or `+=`) must be a single plain probe point without \
`?`, `!` or a condition, and cannot start with `@`. The combined prologue/epilogue form \
`probe a = b { } , { }` is only allowed with `=`.\n\n\
Example:\n\n```stap\nprobe @hello = begin { }\n```\n\nFix: use a plain dotted name for the alias.",
    },
    Code {
        code: "E0126",
        title: "invalid target-variable suffix",
        explanation: "After a pretty-printing suffix (`$` or `$$`) no `->field` or `[index]` may \
follow, and `&` cannot be applied twice.\n\n\
Example:\n\n```stap\nprobe begin { print($p$->x) }\n```\n\nFix: put the pretty-print suffix last.",
    },
    Code {
        code: "E0127",
        title: "syntax of a later SystemTap than `--compatible` allows",
        explanation: "With `--compatible=VERSION` a script is read as that SystemTap release \
read it. Before 2.6 there is no autocast: `->member`, `[index]`, `&` and the `$`/`$$` \
suffixes apply only to target variables (`$var`, `@cast`, `@var`), not to any \
expression. Before 2.0 a comment between two string literals keeps them apart (they \
are not glued into one).\n\n\
Example:\n\n```stap\n// xstap --compatible=2.5\nprobe begin { x = 0; print(x->member) }\n```\n\n\
Fix: raise `--compatible` (or drop it), or use `@cast(x, \"type\")->member`.",
    },
];
