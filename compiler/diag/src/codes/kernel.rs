//! Diagnostic codes of the kernel layer. Add a [`Code`] for every code the layer emits.

use super::Code;

pub const CODES: &[Code] = &[];
