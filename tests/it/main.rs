//! End-to-end and conformance tests of xstap, one binary; each area is a module.

mod book;
mod conformance;
mod e2e;
mod matrix;
mod output_conformance;
