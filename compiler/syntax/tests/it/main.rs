//! Integration tests of the syntax crate: data-driven parse tests, the
//! conformance corpus, losslessness properties, robustness, preprocessor.

mod corpus;
mod data;
mod preprocess;
mod props;
mod robust;
