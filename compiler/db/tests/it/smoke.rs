//! A first end-to-end look at the elaborated program.

use crate::{render, session};

#[test]
fn hello_world_elaborates() {
    let s = session("probe begin { printf(\"%s %d\\n\", execname(), pid()); exit() }\n");
    let (p, diags) = s.elaborate();
    assert!(p.is_some(), "{}", render(&s, &diags));
    let p = p.unwrap();
    let names: Vec<&str> = p.functions.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["execname", "pid", "exit"]);
    expect_test::expect![[r#"
        # functions
        execname:string ()
        %{ /* pure */ /* unprivileged */
        	strscpy(STAP_RETVALUE, current->comm, MAXSTRINGLEN);
        %}
        pid:long ()
        %{ /* pure */ /* unprivileged */
        	STAP_RETURN(task_tgid_nr(current));
        %}
        exit:unknown ()
        %{ /* unprivileged */
        	/* xs_exit() moves the session to "stopping", then xs_request_exit(). */
        	xs_exit();
        %}
        # probes
        begin /* <- begin */
        {
          printf("%s %d\n", execname(), pid())
          exit()
        }
    "#]]
    .assert_eq(&s.dump_p2());
}

#[test]
fn a_broken_tapset_never_hides_the_users_errors() {
    let mut s = session("probe begin { helper(); nosuch() }\n");
    s.add_tapset_text(
        "/virtual/broken.stp",
        "function helper() { println(\"h\") }\nfunction broken( { \n",
    );
    let (p, diags) = s.elaborate();
    assert!(p.is_none());
    let text = render(&s, &diags);
    // The user's own error is there, and so is the tapset's parse error.
    assert!(
        text.contains("E0401 test.stp:1:25 unknown function `nosuch`"),
        "{text}"
    );
    assert!(text.contains("broken.stp:2:"), "{text}");
}

#[test]
fn list_expands_aliases_and_types_parameters() {
    let s = session("probe begin { }\n");
    let (lines, d) = s.list("vfs.*", false);
    assert!(d.is_empty(), "{d:?}");
    // Like stap, `*` is one component and `**` any number of them.
    let depth = |l: &str| l.split('.').count();
    assert!(
        lines.iter().any(|l| l == "vfs.read") && lines.iter().any(|l| l == "vfs.write"),
        "{lines:?}"
    );
    assert!(
        lines.iter().all(|l| l.starts_with("vfs.") && depth(l) == 2),
        "{lines:?}"
    );
    let (deep, _) = s.list("vfs.**", false);
    for l in [
        "vfs.read",
        "vfs.read.return",
        "vfs.write",
        "vfs.write.return",
    ] {
        assert!(deep.iter().any(|d| d == l), "{l} missing from {deep:?}");
    }
    assert!(deep.iter().any(|l| depth(l) == 3), "{deep:?}");
    assert!(lines.iter().all(|l| deep.contains(l)), "`**` covers `*`");
    let (lines, _) = s.list("kernel.function(\"vfs_*\").return", true);
    expect_test::expect![[r#"
        kernel.function("vfs_read").return $return:ssize_t $file:struct file* $buf:char* $count:size_t $pos:loff_t*
        kernel.function("vfs_write").return $return:ssize_t $file:struct file* $buf:char const* $count:size_t $pos:loff_t*"#]]
    .assert_eq(&lines.join("\n"));
    let (lines, _) = s.list("kernel.trace(\"sched:*\")", true);
    assert_eq!(lines.len(), 2, "{lines:?}");
    let (_, d) = s.list("nosuch.point", false);
    assert_eq!(d[0].code, "E0402");
}

#[test]
fn bad_input_gives_diagnostics_never_a_panic() {
    for text in [
        "",
        "probe",
        "probe begin {",
        "function f(",
        "global",
        "probe begin { x = }",
        "%( arch == %? %)",
        "probe a = a { } probe a { }",
        "probe begin { $$$ }",
        "probe begin { @cast(1, \"\")->x }",
        "probe kernel.function(\"*\").return { println($return->x->y) }",
        "probe begin { foreach ([a,b,c] in x) {} }",
        "global x[0]",
        "probe timer.ms(0) {}",
        "probe begin { printf(\"%\") }",
        "probe begin { printf(\"%q\", 1) }",
    ] {
        let s = session(text);
        let (_, diags) = s.elaborate();
        let _ = s.dump_p2();
        assert!(
            diags.iter().all(|d| d.severity != diag::Severity::Bug),
            "{text}: {diags:?}"
        );
    }
}

#[test]
fn tapset_embedded_blocks_come_with_their_file() {
    let s = session("probe begin { println(uid()) }\n");
    let (p, d) = s.elaborate();
    let p = p.unwrap_or_else(|| panic!("{d:?}"));
    assert!(
        p.embedded
            .iter()
            .any(|e| e.contains("#include <linux/cred.h>")),
        "{:?}",
        p.embedded
    );
    assert!(
        p.files.iter().any(|f| f.ends_with("context.stp")),
        "{:?}",
        p.files
    );
}

#[test]
fn every_code_the_db_emits_is_registered() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut missing = Vec::new();
    for e in std::fs::read_dir(dir).expect("src exists") {
        let path = e.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("readable source");
        for (i, _) in text.match_indices("\"E0") {
            let code = &text[i + 1..(i + 6).min(text.len())];
            if code.len() == 5
                && code[1..].bytes().all(|b| b.is_ascii_digit())
                && diag::codes::lookup(code).is_none()
            {
                missing.push(format!("{}: {code}", path.display()));
            }
        }
    }
    assert!(missing.is_empty(), "unregistered codes: {missing:?}");
}
