//! End-to-end and conformance tests of xstap; the test binaries live in `tests/it/`.
