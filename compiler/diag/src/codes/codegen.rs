//! Diagnostic codes of the codegen layer. Add a [`Code`] for every code the layer emits.

use super::Code;

pub const CODES: &[Code] = &[];
