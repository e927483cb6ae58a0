//! Hostile inputs: deep nesting, huge inputs, binary noise. The parser
//! must answer with diagnostics, never a crash or a hang.

fn assert_deep_error(text: &str) {
    let p = syntax::parse(text);
    assert_eq!(p.syntax_node().text().len(), rowan::TextSize::of(text));
    assert!(
        p.errors().iter().any(|e| e.code == syntax::codes::TOO_DEEP),
        "no E0113 in {:?}",
        &p.errors()[..p.errors().len().min(3)]
    );
}

#[test]
fn ten_megabytes_of_open_parens() {
    let text = format!("probe begin {{ x = {} }}", "(".repeat(10 << 20));
    assert_deep_error(&text);
}

#[test]
fn deep_blocks_unary_and_conditionals() {
    assert_deep_error(&format!("probe begin {}", "{".repeat(100_000)));
    assert_deep_error(&format!("probe begin {{ x = {}1 }}", "- ".repeat(100_000)));
    assert_deep_error(&format!("probe begin {{ x = {}1 }}", "!".repeat(100_000)));
    // Deep conditionals end up as unparsed arms: still diagnosed.
    let t = "%( 1 == 1 %? ".repeat(50_000);
    let p = syntax::parse(&t);
    assert!(!p.errors().is_empty());
    assert_eq!(p.syntax_node().to_string(), t);
    assert_deep_error(&format!(
        "probe begin {{ x = {}1 }}",
        "a = ".repeat(100_000)
    ));
    assert_deep_error(&format!("probe begin {{ x = {}1 }}", "f(".repeat(100_000)));
    assert_deep_error(&format!("probe begin {{ x = {}1 }}", "[".repeat(100_000)));
    assert_deep_error(&format!(
        "probe begin {{ x = {}1 }}",
        "a ? b : ".repeat(100_000)
    ));
    assert_deep_error(&format!("probe begin {{ {} }}", "if (1) ".repeat(100_000)));
    assert_deep_error(&format!("probe {} {{}}", "{a,".repeat(100_000)));
}

#[test]
fn just_below_the_limit_is_fine() {
    let n = 100;
    let text = format!("probe begin {{ x = {}1{} }}", "(".repeat(n), ")".repeat(n));
    let p = syntax::parse(&text);
    assert!(p.errors().is_empty(), "{:?}", p.errors());
}

#[test]
fn binary_noise_and_unterminated_things() {
    let mut s = String::new();
    let mut x: u32 = 12345;
    for _ in 0..200_000 {
        x = x.wrapping_mul(1103515245).wrapping_add(12345);
        s.push(char::from_u32((x >> 16) % 0x2000).unwrap_or('?'));
    }
    let p = syntax::parse(&s);
    assert_eq!(p.syntax_node().to_string(), s);
    for t in [
        "\"abc",
        "/* abc",
        "%{ abc",
        "%( 1 == 1 %? probe begin {}",
        "probe begin {",
        "probe begin { f(",
        "probe begin { a[",
        "@define x %( y",
    ] {
        let p = syntax::parse(t);
        assert!(!p.errors().is_empty(), "{t}");
        assert_eq!(p.syntax_node().to_string(), t);
    }
}

#[test]
fn unterminated_constructs_are_reported_at_their_start() {
    for (t, code, at) in [
        ("probe begin { x = \"abc\n}", "E0101", 18),
        ("probe begin {}\n/* never closed", "E0102", 15),
        ("probe begin {}\n%{ never closed", "E0103", 15),
        ("probe begin {}\n%( 1 == 1 %? probe a {}", "E0201", 15),
    ] {
        let p = syntax::parse(t);
        let e = p
            .errors()
            .iter()
            .find(|e| e.code == code)
            .unwrap_or_else(|| panic!("{code} missing for {t:?}: {:?}", p.errors()));
        assert_eq!(e.primary.as_ref().unwrap().span.start, at, "{t:?}");
    }
    // An unclosed brace points back at its opener.
    let p = syntax::parse("probe begin {\n  x = 1\n");
    let e = p
        .errors()
        .iter()
        .find(|e| e.code == "E0111")
        .expect("E0111");
    assert_eq!(e.secondary[0].span.start, 12);
}

#[test]
fn every_emitted_code_is_registered() {
    for c in syntax::codes::ALL {
        let reg = diag::codes::lookup(c).unwrap_or_else(|| panic!("{c} not registered"));
        assert!(!reg.explanation.is_empty());
    }
}

#[test]
fn several_errors_and_resync_at_declarations() {
    let p = syntax::parse("probe a { x = }\nglobal 123\nfunction f( { }\nprobe ok { y = 1 }\n");
    assert!(p.errors().len() >= 3, "{:#?}", p.errors());
    // The last probe is intact.
    let probes = p.tree().probes();
    assert!(probes.iter().any(|pr| pr
        .points()
        .first()
        .and_then(|pt| pt.components().first().and_then(|c| c.name()))
        .as_deref()
        == Some("ok")));
}
