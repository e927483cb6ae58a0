//! Integration tests of the kernel crate: fixture profiles, the store, bad
//! input, and (with real Debian kernels) BTF facts. One test binary.

mod btf;
mod fixture;
mod real;
mod tree;
