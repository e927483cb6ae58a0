//! The `codegen` crate (being built; see DESIGN.md).
