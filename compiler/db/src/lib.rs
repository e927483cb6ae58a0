//! The `db` crate (being built; see DESIGN.md).
