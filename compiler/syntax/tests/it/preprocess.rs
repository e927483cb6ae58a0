//! Conditions, arm selection, macros and argument substitution.

use syntax::ast::{AstNode, Item};
use syntax::preprocess::{self, eval_condition, fnmatch, strverscmp, SimpleFacts};

fn facts() -> SimpleFacts {
    let mut f = SimpleFacts {
        kernel_v: "6.1.0".into(),
        kernel_vr: "6.1.0-56-amd64".into(),
        arch: "x86_64".into(),
        guru_mode: false,
        systemtap_v: "5.1".into(),
        arg_count: 2,
        ..Default::default()
    };
    f.config.insert("CONFIG_SMP".into(), "y".into());
    f.config.insert("CONFIG_HZ".into(), "250".into());
    f
}

fn eval(cond: &str) -> Result<bool, diag::Diagnostic> {
    let text = format!("%( {cond} %? probe a {{}} %: probe b {{}} %)");
    let p = syntax::parse(&text);
    let Item::Cond(c) = p.tree().items().remove(0) else {
        panic!("not a conditional")
    };
    eval_condition(&c.condition().expect("condition"), &facts())
}

#[test]
fn conditions_evaluate_like_stap() {
    assert!(eval("kernel_v >= \"2.6.30\"").unwrap());
    assert!(!eval("kernel_v < \"2.6.30\"").unwrap());
    assert!(eval("kernel_vr == \"6.1.0-*\"").unwrap());
    assert!(eval("arch == \"x86_64\" && CONFIG_SMP == \"y\"").unwrap());
    assert!(eval("arch == \"i?86\" || CONFIG_HZ >= 100").unwrap());
    assert!(!eval("arch != \"x86_*\"").unwrap());
    assert!(eval("guru_mode == 0").unwrap());
    assert!(eval("runtime == \"kernel\"").unwrap());
    assert!(eval("systemtap_v >= \"4.0\"").unwrap());
    assert!(eval("CONFIG_NOPE != \"y\"").unwrap());
    // An unset option is both "" and 0.
    assert!(eval("CONFIG_NOPE == 0 && CONFIG_NOPE == \"\"").unwrap());
    assert!(!eval("CONFIG_NOPE > 0").unwrap());
    assert!(eval("$# == 2 && @# == \"2\"").unwrap());
    assert!(eval("1 == 1 && \"a\" < \"b\"").unwrap());
    assert!(eval("CONFIG_HZ > CONFIG_SMP").is_err() || eval("CONFIG_HZ > CONFIG_SMP").is_ok());
    assert_eq!(eval("kernel_v < \"3.*\"").unwrap_err().code, "E0203");
}

#[test]
fn version_and_glob_helpers() {
    use std::cmp::Ordering::*;
    assert_eq!(strverscmp("6.1.0", "2.6.30"), Greater);
    assert_eq!(strverscmp("2.6.9", "2.6.30"), Less);
    assert_eq!(strverscmp("3.10", "3.10"), Equal);
    assert_eq!(strverscmp("3.10-rc1", "3.10"), Greater);
    assert!(fnmatch("x86_*", "x86_64"));
    assert!(fnmatch("i[3-6]86", "i586"));
    assert!(!fnmatch("i[!3-6]86", "i586"));
    assert!(fnmatch("*", ""));
    assert!(!fnmatch("arm", "arm64"));
}

#[test]
fn live_arm_and_arms_in_every_context() {
    let text = r#"
global %( arch == "x86_64" %? a %: b %)
function f(%( arch == "x86_64" %? x %: y, z %)) { return 0 }
probe %( arch == "x86_64" %? kernel.function("a") %: kernel.function("b") %), kernel.%( arch == "arm64" %? function("c") %: function("d") %) {
  %( kernel_v >= "5.0" %? x = 1 %: x = 2; y = 3 %)
  z = %( CONFIG_SMP == "y" %? 1 %: 0 %) + 1
}
%( kernel_v > "2.6" %? probe begin {} %)
"#;
    let p = syntax::parse(text);
    assert!(p.errors().is_empty(), "{:#?}", p.errors());
    let conds: Vec<_> = p
        .syntax_node()
        .descendants()
        .filter_map(syntax::ast::PpCond::cast)
        .collect();
    assert_eq!(conds.len(), 7);
    for c in &conds {
        assert!(!c.then_arm().unwrap().is_raw(), "raw arm in {}", c.syntax());
        let live = c.live_arm(|cond| eval_condition(cond, &facts())).unwrap();
        assert!(live.is_some());
    }
}

#[test]
fn unparseable_arms_fall_back_to_tokens_and_resolve_reparses() {
    let text = "%( 1 == 1 %? probe ab, *b { f(x* x*y *y) } %: --ERROR-- %)\n";
    let p = syntax::parse(text);
    assert!(p.errors().is_empty(), "{:#?}", p.errors());
    let Item::Cond(c) = p.tree().items().remove(0) else {
        panic!()
    };
    assert!(!c.then_arm().unwrap().is_raw());
    assert!(c.else_arm().unwrap().is_raw());
    let r = preprocess::resolve(text, &facts());
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(r.text.len(), text.len());
    let again = syntax::parse(&r.text);
    assert!(again.errors().is_empty(), "{:#?}", again.errors());
    assert_eq!(again.tree().probes().len(), 1);
    // The other way round, the live raw arm is checked by the re-parse.
    let r = preprocess::resolve("%( 1 == 0 %? probe a {} %: --ERROR-- %)", &facts());
    assert!(!syntax::parse(&r.text).errors().is_empty());
}

#[test]
fn resolve_reports_missing_args_only_in_live_code() {
    let text = "probe begin { %( $# >= 3 %? print(@3) %: print(@1) %) x = @4 }";
    let sub = syntax::args::substitute_args(text, &["a".into(), "b".into()]);
    let r = preprocess::resolve(&sub.text, &facts());
    let codes: Vec<_> = r
        .errors
        .iter()
        .map(|e| (e.code, e.message.clone()))
        .collect();
    assert_eq!(
        codes,
        vec![(
            "E0204",
            "command line argument index 4 out of range [1-2]".to_string()
        )]
    );
}

#[test]
fn argument_substitution() {
    let s = syntax::args::substitute_args(
        "$1 {log (@1.@2) x = $# y = @#}",
        &["probe foo".into(), "".into()],
    );
    assert_eq!(
        s.text,
        "probe foo {log (\"probe foo\".\"\") x = 2 y = \"2\"}"
    );
    assert!(s.errors.is_empty());
    assert!(syntax::parse(&s.text).errors().is_empty());
    assert_eq!(s.original_offset(s.text.find("{log").unwrap() as u32), 3);
    let s = syntax::args::substitute_args("probe begin { x = $1 }", &["$1".into()]);
    assert_eq!(s.errors[0].code, "E0205");
    let s = syntax::args::substitute_args("probe begin { x = \"$1\" # $2\n }", &[]);
    assert!(s.missing.is_empty() && s.edits.is_empty());
    let s = syntax::args::substitute_args("probe begin { x = $3 }", &[]);
    assert_eq!(
        s.missing_errors(0)[0].message,
        "command line argument index 3 out of range [1-0]"
    );
}

#[test]
fn macros_collect_and_expand() {
    let text =
        "@define foo(a) %( probe @a %)\n@define two %( 2 %)\n@foo(begin) { print(@two * 3) }\n";
    let p = syntax::parse(text);
    assert!(p.errors().is_empty(), "{:#?}", p.errors());
    let table = preprocess::collect_macros(&p.tree());
    assert_eq!(table["foo"].params, vec!["a".to_string()]);
    let ex = preprocess::expand_macros(text, &Default::default());
    assert!(ex.errors.is_empty(), "{:?}", ex.errors);
    let again = syntax::parse(&ex.text);
    assert!(
        again.errors().is_empty(),
        "{}\n{:#?}",
        ex.text,
        again.errors()
    );
    assert_eq!(again.tree().probes().len(), 1);
    assert!(
        ex.text.contains("print(2 * 3)") || ex.text.contains("print(2  * 3)"),
        "{}",
        ex.text
    );
    // Errors: arity, unknown, recursion.
    let ex = preprocess::expand_macros(
        "@define f(a) %( @a %)\nprobe begin { x = @f(1, 2) + @nope }",
        &Default::default(),
    );
    let codes: Vec<_> = ex.errors.iter().map(|e| e.code).collect();
    assert!(
        codes.contains(&"E0208") && codes.contains(&"E0209"),
        "{codes:?}"
    );
    let ex = preprocess::expand_macros(
        "@define r %( @r %)\nprobe begin { x = @r }",
        &Default::default(),
    );
    assert!(ex.errors.iter().any(|e| e.code == "E0210"));
    // Library macros from a .stpm file.
    let lib = syntax::parse("@define lib_x %( 42 %)\n");
    let (t, errs) = preprocess::library_macros(&lib.tree());
    assert!(errs.is_empty() && t.contains_key("lib_x"));
    let ex = preprocess::expand_macros("probe begin { print(@lib_x) }", &t);
    assert!(ex.text.contains("print(42)"), "{}", ex.text);
    let bad = syntax::parse("@define a %( 1 %)\nprobe begin {}\n");
    assert_eq!(preprocess::library_macros(&bad.tree()).1[0].code, "E0212");
}
