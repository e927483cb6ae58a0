//! Every code the loader emits is registered in diag with a title and an explanation.

#[test]
fn loader_codes_are_registered() {
    for code in xstap_run::msg::CODES {
        let c = diag::codes::lookup(code).unwrap_or_else(|| {
            panic!("{code} is not registered in compiler/diag/src/codes/loader.rs")
        });
        assert!(c.code.starts_with("E08"), "{code}");
    }
}
