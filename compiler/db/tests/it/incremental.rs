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
    assert!(first.get("parse_file").copied().unwrap_or(0) > 5, "{first:?}");
    // Setting the same inputs again must not change anything either.
    s.set_script("inc.stp", SCRIPT);
    s.set_target(&kernel::fixtures::tiny_x86());
    let _ = s.elaborate();
    let second = take(&log);
    assert!(second.is_empty(), "an unchanged compile executed {second:?}");
}

#[test]
fn editing_one_probe_body_reruns_only_the_script_and_the_program() {
    let (mut s, log) = logged_session();
    let _ = s.elaborate();
    take(&log);
    s.set_script("inc.stp", &SCRIPT.replace("println(\"start\")", "println(\"started\")"));
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
    assert_eq!(ran.get("parse_file"), None, "a target change re-parsed files: {ran:?}");
    assert_eq!(ran.get("file_facts"), None, "{ran:?}");
    // Only files whose conditionals read a fact that changed are lowered again.
    assert!(ran.get("preprocess").copied().unwrap_or(0) <= 1, "{ran:?}");
    assert_eq!(p.unwrap().target.arch, "arm64");
}

#[test]
fn targets_that_agree_on_a_files_facts_share_its_preprocessing() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut s = Session::with_db(Database::with_query_log(log.clone()));
    s.set_tapset_roots(vec![tapset_dir()]);
    s.set_script("facts.stp", "%( arch == \"x86_64\" %? probe begin { println(1) } %: probe end { println(2) } %)\n");
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
    assert_eq!(ran.get("preprocess"), None, "{ran:?}");
    assert_eq!(p.unwrap().probes[0].points[0].pp, "begin");
    // An arm64 kernel changes `arch`: the script is lowered again (only it).
    s.set_target(&kernel::fixtures::tiny_arm64());
    let (p, _) = s.elaborate();
    let ran = take(&log);
    assert_eq!(ran.get("preprocess"), Some(&1), "{ran:?}");
    assert_eq!(ran.get("parse_file"), None, "{ran:?}");
    assert_eq!(p.unwrap().probes[0].points[0].pp, "end");
}
