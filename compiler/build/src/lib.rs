//! The `build` crate (being built; see DESIGN.md).
