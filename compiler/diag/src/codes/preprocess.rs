//! Diagnostic codes of the preprocess layer. Add a [`Code`] for every code the layer emits.

use super::Code;

pub const CODES: &[Code] = &[];
