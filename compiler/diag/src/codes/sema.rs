//! Diagnostic codes of the sema layer (pass 2, `db`): E04xx names, probe
//! points and aliases; E05xx types and checks. Warnings use the same ranges.

use super::Code;

pub const CODES: &[Code] = &[
    Code {
        code: "E0401",
        title: "unknown function",
        explanation: "A function is called that is defined neither in the script nor in the tapset library.

Example:

```stap
probe begin { prnt(\"hi\") }
```

Fix: check the spelling (the message suggests the closest known name), define the function with `function NAME(...) { ... }`, or add the tapset directory that defines it with `-I DIR`.",
    },
    Code {
        code: "E0402",
        title: "unknown probe point",
        explanation: "The probe point names no built-in probe family and no probe alias of the tapset library.

Example:

```stap
probe kernel.fuction(\"vfs_read\") { }
```

Fix: check the spelling; `xstap -l 'PATTERN'` lists the points and aliases that exist.",
    },
    Code {
        code: "E0403",
        title: "probe point matches nothing in the target",
        explanation: "A probe point is valid but the target kernel has no function or tracepoint that matches it (the function may be inlined, renamed or absent in this kernel version).

Example:

```stap
probe kernel.function(\"no_such_function\") { }
```

Fix: run `xstap -r RELEASE -l 'kernel.function(\\\"PATTERN\\\")'` to see what the target offers, or mark the point optional with `?` so a target without it is not an error.",
    },
    Code {
        code: "E0404",
        title: "recursive probe alias",
        explanation: "A probe alias expands, directly or through other aliases, to itself, so its expansion would never end.

Example:

```stap
probe a = b { }
probe b = a { }
```

Fix: make the chain of aliases end in built-in probe points.",
    },
    Code {
        code: "E0405",
        title: "duplicate global",
        explanation: "The same global variable is declared twice in one file.

Example:

```stap
global count
global count
```

Fix: remove one of the declarations.",
    },
    Code {
        code: "E0406",
        title: "function defined twice",
        explanation: "Two functions with the same name are defined (in one file, or the script redefines a function it also defines elsewhere).

Example:

```stap
function f() { }
function f() { }
```

Fix: rename or remove one definition. (SystemTap has no overloading by argument count.)",
    },
    Code {
        code: "E0407",
        title: "array without a global declaration",
        explanation: "A name is used with `[keys]`, `in` or `foreach` but no global array of that name is declared. Arrays are always global in SystemTap.

Example:

```stap
probe begin { counts[\"a\"] = 1 }
```

Fix: declare it at the top level: `global counts`.",
    },
    Code {
        code: "E0408",
        title: "wrong number of arguments",
        explanation: "A function is called with a different number of arguments than it declares.

Example:

```stap
function add(a, b) { return a + b }
probe begin { println(add(1)) }
```

Fix: pass one value per parameter.",
    },
    Code {
        code: "E0409",
        title: "unknown target variable or member",
        explanation: "A `$variable`, `->member` or `$return` does not exist at this probe point in the target kernel's BTF.

Example:

```stap
probe kernel.function(\"vfs_read\") { println($no_such_param) }
```

Fix: `xstap -L 'kernel.function(\\\"vfs_read\\\")'` lists the parameters and their types. Members are checked against the struct layout of the target kernel.",
    },
    Code {
        code: "E0410",
        title: "target variable not available here",
        explanation: "Target variables (`$name`) exist only in probes on kernel functions and tracepoints. In `begin`, `end`, `timer` probes and in functions there is no kernel context to read them from.

Example:

```stap
probe begin { println($fd) }
```

Fix: read the variable in a kernel.function/kernel.trace probe, and pass values to functions as arguments.",
    },
    Code {
        code: "E0411",
        title: "unsupported probe point family",
        explanation: "The probe point family is part of SystemTap but not (yet) of xstap, e.g. `process(...)`, `module(...)`, `perf`, `procfs`.

Fix: use begin, end, error, never, timer.*, kernel.function, kprobe.function or kernel.trace; or report the need.",
    },
    Code {
        code: "E0412",
        title: "needs DWARF debug information",
        explanation: "The construct needs DWARF debug information, which xstap does not use: it resolves probes from the kernel's BTF. Statement and line probes (`kernel.function(\"f@file.c:10\")`, `.statement`, `.inline`, `.label`) and `@var(\"name\")` of variables fall in this class.

Fix: probe the function itself (`kernel.function(\"f\")`) and read its parameters (`$name`), or use `@cast` with a type name.",
    },
    Code {
        code: "E0413",
        title: "unknown type in @cast",
        explanation: "The type named in `@cast(addr, \"type\")` is not a struct, union or typedef of the target kernel's BTF.

Example:

```stap
probe begin { println(@cast(0, \"no_such_struct\")->x) }
```

Fix: name a type the kernel defines, e.g. `\"task_struct\"` or `\"struct file\"`.",
    },
    Code {
        code: "E0414",
        title: "@entry outside a .return probe",
        explanation: "`@entry(expr)` evaluates `expr` when the function is entered and makes the value available when it returns; it only has a meaning in a `.return` probe.

Fix: use the expression directly, or probe `kernel.function(\"f\").return`.",
    },
    Code {
        code: "E0420",
        title: "tapset directory problem",
        explanation: "A tapset directory given with `-I` (or the built-in one) does not exist, or a tapset file in it cannot be read.

Fix: check the path and the file permissions.",
    },
    Code {
        code: "E0501",
        title: "type mismatch",
        explanation: "An operator or function received a value of the wrong type, e.g. a string where a number is needed.

Example:

```stap
probe begin { x = \"a\" + 1 }
```

Fix: convert explicitly: `sprint(n)` / `sprintf(\"%d\", n)` turn numbers into strings, `strtol(s, 10)` turns strings into numbers; compare strings with `==`.",
    },
    Code {
        code: "E0502",
        title: "type clash",
        explanation: "A variable, array key, array value or function return was inferred to have one type and is used elsewhere with another. The secondary label shows where the first type was inferred.

Example:

```stap
global x
probe begin { x = 1 }
probe end { x = \"one\" }
```

Fix: a variable has one type for the whole program; use a second variable.",
    },
    Code {
        code: "E0503",
        title: "type cannot be inferred",
        explanation: "Nothing in the program determines whether the variable (or parameter) holds a number or a string.

Example:

```stap
probe begin { x = y }
```

Fix: assign it a literal or an expression of known type somewhere, or annotate function parameters (`function f(x:long)`).",
    },
    Code {
        code: "E0504",
        title: "not assignable",
        explanation: "The left side of an assignment, `++`/`--`, `<<<` or `delete` must be a variable or an array element (or, in guru mode, a target variable).

Example:

```stap
probe begin { 1 = 2 }
```

Fix: assign to a variable or an array element.",
    },
    Code {
        code: "E0505",
        title: "bad histogram arguments",
        explanation: "`@hist_linear(v, low, high, width)` needs literal numbers with low <= high and width > 0: the bucket layout is fixed when the module is built.

Fix: write the numbers themselves.",
    },
    Code {
        code: "E0506",
        title: "regular expression not literal",
        explanation: "The right side of `=~` / `!~` must be a literal string: regular expressions are compiled when the module is built.

Fix: write the pattern literally.",
    },
    Code {
        code: "E0507",
        title: "array modified inside foreach over it",
        explanation: "A `foreach` loop over an array may not add, change or delete elements of that same array: the iteration order would be undefined.

Example:

```stap
foreach (k in a) { delete a[k] }
```

Fix: collect the changes in another array and apply them after the loop, or `delete a` after it.",
    },
    Code {
        code: "E0508",
        title: "too many array keys",
        explanation: "An array can have at most 9 keys.

Fix: combine keys into one string key, or split the data over several arrays.",
    },
    Code {
        code: "E0509",
        title: "bad print or format arguments",
        explanation: "The format string of printf/sprintf is malformed, or the arguments do not match its conversions in number or type (`%d` wants a number, `%s` a string), or a print function's first argument is not a literal.

Example:

```stap
probe begin { printf(\"%d\\n\", \"text\") }
```

Fix: one argument per conversion, with matching types.",
    },
    Code {
        code: "E0510",
        title: "return outside a function",
        explanation: "`return` leaves a function; a probe handler is left with `next`.

Fix: use `next` in probes.",
    },
    Code {
        code: "E0511",
        title: "break or continue outside a loop",
        explanation: "`break` and `continue` are only valid inside `while`, `for` and `foreach`.

Fix: restructure the code, or use `next` to leave the probe.",
    },
    Code {
        code: "E0512",
        title: "foreach key names a global",
        explanation: "The loop variables of `foreach` are locals; a global of the same name would be overwritten.

Fix: rename the loop variable.",
    },
    Code {
        code: "E0513",
        title: "target write needs guru mode",
        explanation: "Assigning to a target variable changes kernel memory. xstap allows it only in guru mode (`-g`).

Fix: run with `-g` if you really mean it.",
    },
    Code {
        code: "E0515",
        title: "embedded C needs guru mode",
        explanation: "Functions with `%{ ... %}` bodies run arbitrary C in the kernel; a script may only contain them in guru mode (`-g`). Tapset files may always use them.

Fix: run with `-g`, or use a tapset function.",
    },
    Code {
        code: "E0523",
        title: "a guru-only tapset function",
        explanation: "Tapset functions whose embedded C is marked `/* guru */` change kernel state \
(`set_kernel_long`, `set_kernel_string`, ...); a script may call them only in guru mode \
(`-g`), like SystemTap.

Example:

```stap
probe begin { set_kernel_long(0, 0) }
```

Fix: run with `-g` if you mean it.",
    },
    Code {
        code: "E0520",
        title: "local assigned but never read",
        explanation: "Warning: a local variable is assigned but its value is never used. Often a spelling mistake.

Fix: remove the assignment, use the value, or make it a global if it should be printed at the end.",
    },
    Code {
        code: "E0521",
        title: "variable read but never assigned",
        explanation: "Warning: a variable is read but never assigned, so it is always 0 or \"\". Often a spelling mistake.

Fix: check the name; assign it; or declare it global if another probe sets it.",
    },
    Code {
        code: "E0599",
        title: "construct not supported yet",
        explanation: "The script uses a language construct that xstap's elaboration does not implement yet (for example macro invocations inside probe bodies, embedded-C expressions, autocast member access on plain values).

Fix: rewrite the script without it, or report the need.",
    },
    Code {
        code: "E0415",
        title: "bad probe alias definition",
        explanation: "An alias name must be plain identifiers: wildcards (`*`) belong in the probes that use aliases, not in their definitions.\n\nExample:\n\n```stap\nprobe my.* = begin { }\n```\n\nFix: name each alias explicitly.",
    },
    Code {
        code: "E0516",
        title: "statistics in a local variable",
        explanation: "Statistics (values added with `<<<` and read with `@count`, `@sum`, ...) must live in global variables or global arrays.\n\nExample:\n\n```stap\nprobe begin { a <<< 1; println(@count(a)) }\n```\n\nFix: declare `global a`.",
    },
    Code {
        code: "E0517",
        title: "probe condition reads a local",
        explanation: "A probe point condition (`probe p if (cond)`) is evaluated outside the handler, so it may only read globals.\n\nExample:\n\n```stap\nprobe kernel.function(\"vfs_read\") if (x > 1) { }\n```\n\nFix: declare the variable global and set it in another probe.",
    },
    Code {
        code: "E0522",
        title: "unused global",
        explanation: "Warning: a global variable of the script is declared but never used.\n\nFix: remove the declaration (or use it).",
    },
    Code {
        code: "E0418",
        title: "autocast on a value without a C type",
        explanation: "`value->member` on a plain value (a local, a parenthesized expression, a function result) works only when the value was computed from a target expression whose C type is known (autocast), e.g. `p = & @cast(addr, \"task_struct\")` then `p->pid`.\n\nFix: give the value a type with `@cast(value, \"struct_name\")->member`.",
    },
    Code {
        code: "E0426",
        title: "every probe does nothing",
        explanation: "Without `-u`, probes whose bodies have no effect are elided (SystemTap does the same); when every probe of the script is such a probe, nothing is left to run. A body has no effect when it is empty or only holds conditions that are constant (often `@defined(...)` tests that are false for this target).\n\nExample:\n\n```stap\nprobe begin { if (@defined($foo)) { print(\"never\") } }\n```\n\nFix: give a probe something to do, check why the `@defined` test is false for this target, or run with `-u` to keep empty probes.",
    },
    Code {
        code: "E0425",
        title: "probe point that cannot be used this way",
        explanation: "The probe point is well formed but what it asks for cannot work: a `.return` probe on a function that never returns normally (a program's `_start`), or a user-space process event without the process it applies to.\n\nExample:\n\n```stap\nprobe process(\"/bin/ls\").function(\"_start\").return { }\nprobe process.begin { }\n```\n\nFix: probe the entry instead of the return; name the executable (`process(\"PATH\")`) or the process id (`process(PID)`).",
    },
];
