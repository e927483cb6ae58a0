//! The `kernel` crate (being built; see DESIGN.md).
