//! Incrementality, proven by counting the queries salsa executes (a
//! database that logs `WillExecute` events).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use db::{Database, Session};

use crate::tapset_dir;

const SCRIPT: &str = r#"global n
probe begin { println("start") }
probe vfs.read { n++ }
probe timer.s(1) { printf("%d\n", n) }
probe end { println(execname()) }
"#;

fn logged_session() -> (Session, Arc<Mutex<Vec<String>>>) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut s = Session::with_db(Database::with_query_log(log.clone()));
    s.set_target(&kernel::fixtures::tiny_x86());
    s.set_tapset_roots(vec![tapset_dir()]);
    s.set_script("inc.stp", SCRIPT);
    (s, log)
}

/// How many of the program's files (script and tapsets) have conditionals
/// that read one of `facts`: the files a change of those facts lowers again.
fn files_reading(s: &Session, facts: &[&str]) -> usize {
    let db = s.db();
    let p = s.program();
    std::iter::once(p.script(db))
        .chain(p.tapsets(db).iter().copied())
        .filter(|f| {
            db::file_facts(db, *f)
                .iter()
                .any(|n| facts.contains(&n.as_str()))
        })
        .count()
}

/// Query name -> how many times it executed since the last call.
fn take(log: &Arc<Mutex<Vec<String>>>) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for q in log.lock().unwrap().drain(..) {
        *m.entry(q).or_insert(0) += 1;
    }
    m
}

#[test]
fn unchanged_second_compile_executes_nothing() {
    let (mut s, log) = logged_session();
    let (p, d) = s.elaborate();
    assert!(p.is_some(), "{d:?}");
    let first = take(&log);
    assert!(
        first.get("parse_file").copied().unwrap_or(0) > 5,
        "{first:?}"
    );
    // Setting the same inputs again must not change anything either.
    s.set_script("inc.stp", SCRIPT);
    s.set_target(&kernel::fixtures::tiny_x86());
    let _ = s.elaborate();
    let second = take(&log);
    assert!(
        second.is_empty(),
        "an unchanged compile executed {second:?}"
    );
}

#[test]
fn editing_one_probe_body_reruns_only_the_script_and_the_program() {
    let (mut s, log) = logged_session();
    let _ = s.elaborate();
    take(&log);
    s.set_script(
        "inc.stp",
        &SCRIPT.replace("println(\"start\")", "println(\"started\")"),
    );
    let (p, d) = s.elaborate();
    assert!(p.is_some(), "{d:?}");
    let ran = take(&log);
    eprintln!("after a one-probe edit: {ran:?}");
    // The script's own per-file queries and the whole-program query; no
    // tapset file is parsed or lowered again, the index is reused, and no
    // probe point is resolved again.
    let expected: BTreeMap<String, usize> = [
        ("elaborate", 1),
        ("file_facts", 1),
        ("file_items", 1),
        ("line_starts", 1),
        ("parse_file", 1),
        ("preprocess", 1),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(ran, expected);
}

#[test]
fn changing_the_target_never_reparses() {
    let (mut s, log) = logged_session();
    let _ = s.elaborate();
    take(&log);
    s.set_target(&kernel::fixtures::tiny_arm64());
    let (p, d) = s.elaborate();
    assert!(p.is_some(), "{d:?}");
    let ran = take(&log);
    eprintln!("after a target change: {ran:?}");
    assert_eq!(
        ran.get("parse_file"),
        None,
        "a target change re-parsed files: {ran:?}"
    );
    assert_eq!(ran.get("file_facts"), None, "{ran:?}");
    // Only files whose conditionals read a fact that changed are lowered again.
    let changed = files_reading(&s, &["arch", "kernel_vr", "CONFIG_X86_64", "CONFIG_ARM64"]);
    assert_eq!(
        ran.get("preprocess").copied().unwrap_or(0),
        changed,
        "{ran:?}"
    );
    assert_eq!(p.unwrap().target.arch, "arm64");
}

#[test]
fn targets_that_agree_on_a_files_facts_share_its_preprocessing() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut s = Session::with_db(Database::with_query_log(log.clone()));
    s.set_tapset_roots(vec![tapset_dir()]);
    s.set_script(
        "facts.stp",
        "%( arch == \"x86_64\" %? probe begin { println(1) } %: probe end { println(2) } %)\n",
    );
    let x86 = kernel::fixtures::tiny_x86();
    s.set_target(&x86);
    let _ = s.elaborate();
    take(&log);
    // Another x86_64 kernel: the script only asks about `arch`, so its
    // preprocessed view (keyed by the value of `arch`) is reused.
    let mut other = kernel::fixtures::tiny_x86();
    other.meta.release = "6.1.0-other-amd64".into();
    other.meta.version = Some("6.1.99".into());
    other.meta.hash = "other".into();
    s.set_target(&other);
    let (p, _) = s.elaborate();
    let ran = take(&log);
    // Only tapset files whose conditionals read the version are lowered
    // again; the script (it reads `arch` only) is not.
    let changed = files_reading(&s, &["kernel_v", "kernel_vr"]);
    assert_eq!(
        ran.get("preprocess").copied().unwrap_or(0),
        changed,
        "{ran:?}"
    );
    assert!(!db::file_facts(s.db(), s.program().script(s.db()))
        .iter()
        .any(|f| f.starts_with("kernel_v")));
    assert_eq!(p.unwrap().probes[0].points[0].pp, "begin");
    // An arm64 kernel changes `arch`: the script is lowered again (only it).
    s.set_target(&kernel::fixtures::tiny_arm64());
    let (p, _) = s.elaborate();
    let ran = take(&log);
    let changed = files_reading(&s, &["arch", "kernel_vr", "CONFIG_X86_64", "CONFIG_ARM64"]);
    assert!(changed >= 1, "the script reads `arch`");
    assert_eq!(
        ran.get("preprocess").copied().unwrap_or(0),
        changed,
        "{ran:?}"
    );
    assert_eq!(ran.get("parse_file"), None, "{ran:?}");
    assert_eq!(p.unwrap().probes[0].points[0].pp, "end");
}

/// A tapset root with a library macro whose arm64 definition differs.
fn macro_root() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("xstap-db-fanout-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(d.join("linux/arm64")).unwrap();
    std::fs::write(d.join("m.stpm"), "@define width %( 32 %)\n").unwrap();
    std::fs::write(d.join("linux/arm64/m.stpm"), "@define width %( 64 %)\n").unwrap();
    d
}

const FANOUT: &str = r#"global n
probe begin { println(@width) }
probe vfs.read { n++ }
%( arch == "x86_64" %? probe timer.s(1) { println(n) } %: probe end { println(n) } %)
"#;

/// Pass 2 of FANOUT for one profile on a session of its own.
fn alone(root: &std::path::Path, p: &kernel::Profile) -> Arc<ir::Program> {
    let mut s = Session::new();
    s.set_tapset_roots(vec![tapset_dir(), root.to_path_buf()]);
    s.set_script("fan.stp", FANOUT);
    s.set_target(p);
    let (prog, d) = s.elaborate();
    prog.unwrap_or_else(|| panic!("{d:?}"))
}

#[test]
fn targets_fan_out_on_database_clones_and_share_the_parse() {
    let root = macro_root();
    let x86 = kernel::fixtures::tiny_x86();
    let mut x86b = kernel::fixtures::tiny_x86();
    x86b.meta.release = "6.1.0-other-amd64".into();
    x86b.meta.hash = "other".into();
    let arm = kernel::fixtures::tiny_arm64();

    let log = Arc::new(Mutex::new(Vec::new()));
    let mut s = Session::with_db(Database::with_query_log(log.clone()));
    s.set_tapset_roots(vec![tapset_dir(), root.clone()]);
    s.set_script("fan.stp", FANOUT);
    s.set_target(&x86);
    let mut programs = vec![s.program()];
    for p in [&x86b, &arm] {
        let (prog, d) = s.add_target(p);
        assert!(d.is_empty(), "{d:?}");
        programs.push(prog);
    }
    // One clone of the database per thread, reads only.
    let results: Vec<_> = std::thread::scope(|sc| {
        let hs: Vec<_> = programs
            .iter()
            .map(|&p| {
                let db = s.fork();
                sc.spawn(move || Session::elaborate_on(&db, p))
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let ran = take(&log);
    let got: Vec<Arc<ir::Program>> = results
        .into_iter()
        .map(|(p, d)| p.unwrap_or_else(|| panic!("{d:?}")))
        .collect();
    // The same programs as three sessions of one target each.
    assert_eq!(*got[0], *alone(&root, &x86));
    assert_eq!(*got[1], *alone(&root, &x86b));
    assert_eq!(*got[2], *alone(&root, &arm));
    assert_ne!(
        *got[0], *got[2],
        "arm64 has its own macro and arm of the conditional"
    );
    // The two x86 targets share every file (same macros): each is parsed
    // once; arm64's macro library differs, so the files it uses are parsed
    // again, under that library, and only those.
    let n = |p: db::Program| p.tapsets(s.db()).len() + 1;
    let (x86_files, arm_files) = (n(programs[0]), n(programs[2]));
    assert_eq!(n(programs[1]), x86_files);
    assert_eq!(
        ran.get("parse_file"),
        Some(&(x86_files + arm_files)),
        "{ran:?}"
    );
    assert_eq!(ran.get("macro_table"), Some(&2), "{ran:?}");
    assert_eq!(ran.get("elaborate"), Some(&3), "{ran:?}");
    // Setters still work once the clones are gone.
    s.set_script("fan.stp", "probe begin { println(@width + 1) }\n");
    assert!(s.elaborate().0.is_some());
    let _ = std::fs::remove_dir_all(&root);
}
