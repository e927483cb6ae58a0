//! The `syntax` crate (being built; see DESIGN.md).
