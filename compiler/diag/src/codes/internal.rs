//! Internal errors: bugs in xstap itself.

use super::Code;

pub const CODES: &[Code] = &[Code {
    code: "E0901",
    title: "internal compiler error",
    explanation: "xstap hit a state it should never reach, for example a gcc error in C \
that xstap generated itself, or an invariant broken between two passes. This is a bug \
in xstap, not in your script.\n\nPlease report it with the script, the command line and \
the target kernel release (`xstap target show KVER`).",
}];
