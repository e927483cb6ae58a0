//! Codegen tests: expected C beside hand-built programs (`test_data/*.c`,
//! refreshed with `UPDATE_EXPECT=1`), runs in the user-space shim compared
//! with `test_data/shim/*.out`, and real kbuild builds against Debian 6.1
//! headers for x86_64 and arm64 (skipped with a note when absent).

mod b;
mod progs;

use std::path::{Path, PathBuf};
use std::process::Command;

use codegen::{generate, shim_units, CModule, RUNTIME};

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("test_data")
        .join(rel)
}

fn gen(case: &progs::Case) -> CModule {
    let (m, diags) = generate(&case.program);
    assert!(
        diags.iter().all(|d| !d.is_error()),
        "{}: {diags:#?}",
        case.name
    );
    m.unwrap_or_else(|| panic!("{}: no module", case.name))
}

fn write_units(dir: &Path, units: &[codegen::CUnit]) {
    for u in units {
        let p = dir.join(&u.file_name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        // Rewrite only changed files, like the build driver (keeps make fast).
        if std::fs::read_to_string(&p).ok().as_deref() != Some(u.contents.as_str()) {
            std::fs::write(&p, &u.contents).unwrap();
        }
    }
}

fn scratch(what: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("codegen")
        .join(what);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn generated_c_matches_expectations() {
    let runtime: Vec<&str> = RUNTIME.iter().map(|(n, _, _)| *n).collect();
    for case in progs::cases() {
        let m = gen(&case);
        let mut text = String::new();
        for u in &m.units {
            if runtime.contains(&u.file_name.as_str()) {
                continue;
            }
            text.push_str(&format!(
                "/* ==== {} (compile: {}) ==== */\n",
                u.file_name, u.compile
            ));
            text.push_str(&u.contents);
        }
        text.push_str(&format!(
            "/* ==== required symbols ====\n{}\n*/\n",
            m.required_symbols.join("\n")
        ));
        expect_test::expect_file![data(&format!("{}.c", case.name))].assert_eq(&text);
    }
}

#[test]
fn generation_is_deterministic_and_probe_edits_touch_one_unit() {
    let cases = progs::cases();
    let case = cases.iter().find(|c| c.name == "funcs_timers").unwrap();
    let a = gen(case);
    assert_eq!(a, gen(case));
    let mut edited = case.program.clone();
    edited.probes[2]
        .body
        .stmts
        .push(b::println(vec![b::s("edited")]));
    let bm = gen(&progs::Case {
        name: "edited",
        program: edited,
        userspace: true,
    });
    let changed: Vec<&str> = a
        .units
        .iter()
        .zip(&bm.units)
        .filter(|(x, y)| x.contents != y.contents)
        .map(|(x, _)| x.file_name.as_str())
        .collect();
    assert_eq!(changed, vec!["xs_probe_2.c"]);
}

#[test]
fn kbuild_list_names_every_compiled_unit() {
    let m = gen(&progs::cases().remove(0));
    let kb = m.kbuild("hello");
    assert!(kb.contains("obj-m := hello.o"), "{kb}");
    assert!(
        kb.contains("transport.o") && kb.contains("xs_glue.o") && kb.contains("xs_probe_1.o"),
        "{kb}"
    );
    assert!(!kb.contains(".h"), "{kb}");
}

fn run_shim(case: &progs::Case) -> String {
    let m = gen(case);
    let dir = scratch(&format!("shim/{}", case.name));
    write_units(&dir, &m.units);
    write_units(&dir, &shim_units());
    let mut cmd = Command::new("gcc");
    cmd.args([
        "-DXS_USERSPACE",
        "-O1",
        "-g",
        "-Wall",
        "-Wextra",
        "-Wno-unused-parameter",
        "-Wno-sign-compare",
    ])
    .args([
        "-Wno-missing-field-initializers",
        "-Wdeclaration-after-statement",
        "-Werror",
    ])
    .arg("-I")
    .arg(&dir)
    .arg("-o")
    .arg(dir.join("prog"));
    for u in m.units.iter().chain(shim_units().iter()) {
        if u.compile && u.file_name != "transport.c" {
            cmd.arg(dir.join(&u.file_name));
        }
    }
    let out = cmd.output().expect("gcc runs");
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{}: gcc failed:\n{}",
        case.name,
        String::from_utf8_lossy(&out.stderr)
    );
    let run = Command::new(dir.join("prog")).output().unwrap();
    format!(
        "{}--- stderr ---\n{}--- exit: {}\n",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr),
        run.status.code().unwrap_or(-1)
    )
}

#[test]
fn userspace_shim_runs_match_expectations() {
    if Command::new("gcc").arg("--version").output().is_err() {
        eprintln!("note: gcc not found; shim runs skipped");
        return;
    }
    for case in progs::cases().into_iter().filter(|c| c.userspace) {
        let out = run_shim(&case);
        expect_test::expect_file![data(&format!("shim/{}.out", case.name))].assert_eq(&out);
    }
}

/// Development shortcut: headers unpacked by the shared test-bed recipe.
const HEADERS: &str = "/var/tmp/testbed/headers";

/// The build tree of `kver`: fetched by `cargo xtask test` into
/// `$XSTAP_TEST_HOME/kernels` (what CI uses), else the test-bed's.
fn kdir(kver: &str) -> PathBuf {
    if let Some(home) = std::env::var_os("XSTAP_TEST_HOME").filter(|h| !h.is_empty()) {
        let d = Path::new(&home)
            .join("kernels")
            .join(kver)
            .join("root/usr/src")
            .join(format!("linux-headers-{kver}"));
        if d.join("Makefile").exists() {
            return d;
        }
    }
    Path::new(HEADERS)
        .join(kver)
        .join("usr/src")
        .join(format!("linux-headers-{kver}"))
}

/// Under CI the kernels of `XSTAP_TEST_KVERS` must be there: a missing one
/// is a failure, not a skip.
fn required(kver: &str) -> bool {
    std::env::var_os("CI").is_some()
        && std::env::var("XSTAP_TEST_KVERS").is_ok_and(|v| v.split_whitespace().any(|k| k == kver))
}

/// Build the test programs (all, or those named in `only`) as modules for
/// `kver` in one make run; fail on any gcc or modpost warning.
fn kbuild_all(kver: &str, arch: &str, cross: &str) {
    kbuild_some(kver, arch, cross, &[]);
}

fn kbuild_some(kver: &str, arch: &str, cross: &str, only: &[&str]) {
    let kd = kdir(kver);
    if !kd.join("Makefile").exists() {
        assert!(
            !required(kver),
            "{} absent under CI: `cargo xtask test` fetches {kver}",
            kd.display()
        );
        eprintln!(
            "note: {} absent; kbuild test for {kver} skipped",
            kd.display()
        );
        return;
    }
    if !cross.is_empty()
        && Command::new(format!("{cross}gcc"))
            .arg("--version")
            .output()
            .is_err()
    {
        eprintln!("note: {cross}gcc absent; kbuild test for {kver} skipped");
        return;
    }
    let dir = scratch(&format!("kbuild/{kver}"));
    let mut top = String::new();
    let cases: Vec<progs::Case> = progs::cases()
        .into_iter()
        .filter(|c| only.is_empty() || only.contains(&c.name))
        .collect();
    for case in &cases {
        let m = gen(case);
        let sub = dir.join(case.name);
        std::fs::create_dir_all(&sub).unwrap();
        write_units(&sub, &m.units);
        let kb = m.kbuild(&format!("xt_{}", case.name));
        if std::fs::read_to_string(sub.join("Kbuild")).ok() != Some(kb.clone()) {
            std::fs::write(sub.join("Kbuild"), kb).unwrap();
        }
        top.push_str(&format!("obj-m += {}/\n", case.name));
    }
    std::fs::write(dir.join("Kbuild"), top).unwrap();
    let out = Command::new("make")
        .arg("-j2")
        .arg("-C")
        .arg(&kd)
        .arg(format!("M={}", dir.display()))
        .arg(format!("ARCH={arch}"))
        .arg(format!("CROSS_COMPILE={cross}"))
        .arg("modules")
        .output()
        .expect("make runs");
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "kbuild for {kver} failed:\n{log}");
    let warnings: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("warning") && !l.contains("Skipping BTF"))
        .collect();
    assert!(warnings.is_empty(), "kbuild for {kver} warned:\n{log}");
    for case in &cases {
        let ko = dir.join(case.name).join(format!("xt_{}.ko", case.name));
        assert!(ko.exists(), "{} missing", ko.display());
    }
}

#[test]
fn modules_build_with_kbuild_for_6_1_amd64() {
    kbuild_all("6.1.0-56-amd64", "x86_64", "");
}

#[test]
fn modules_build_with_kbuild_for_6_1_arm64() {
    kbuild_all("6.1.0-56-arm64", "arm64", "aarch64-linux-gnu-");
}

/// The kernel-only programs also build for 6.12 (newer kbuild, stricter
/// default warnings such as -Wmissing-prototypes).
const KERNEL_CASES: &[&str] = &[
    "vfs_read_count",
    "target_vars",
    "sched_switch",
    "procfs",
    "netfilter",
    "target_writes",
];

#[test]
fn kernel_modules_build_with_kbuild_for_6_12_amd64() {
    kbuild_some("6.12.117+deb12-amd64", "x86_64", "", KERNEL_CASES);
}

#[test]
fn kernel_modules_build_with_kbuild_for_6_12_arm64() {
    kbuild_some(
        "6.12.117+deb12-arm64",
        "arm64",
        "aarch64-linux-gnu-",
        KERNEL_CASES,
    );
}

#[test]
fn required_symbols_are_exported_by_6_1_and_6_12() {
    let Ok(rd) = std::fs::read_dir(HEADERS) else {
        eprintln!("note: {HEADERS} absent; symbol check skipped");
        return;
    };
    let mut checked = 0;
    for ent in rd.flatten() {
        let kver = ent.file_name().to_string_lossy().to_string();
        let symvers = kdir(&kver).join("Module.symvers");
        let Ok(text) = std::fs::read_to_string(&symvers) else {
            continue;
        };
        let exported: std::collections::HashSet<&str> =
            text.lines().filter_map(|l| l.split('\t').nth(1)).collect();
        for case in progs::cases() {
            for s in gen(&case).required_symbols {
                assert!(
                    exported.contains(s.as_str()),
                    "{s} (needed by {}) not exported by {kver}",
                    case.name
                );
            }
        }
        checked += 1;
    }
    if checked == 0 {
        eprintln!("note: no Module.symvers under {HEADERS}; symbol check skipped");
    }
}

#[test]
fn unsupported_constructs_are_diagnosed_not_generated() {
    use ir::*;
    let mut p = b::program("bad", "bad.stp");
    let re = b::e(
        ExprKind::Regex {
            subject: Box::new(b::s("abc")),
            regex: "(a.c".into(),
            negate: false,
        },
        Type::Long,
    );
    p.probes
        .push(b::begin(vec![], vec![b::println(vec![b::at(re, 3, 9)])]));
    p.defines.push(("MAX ACTION".into(), "5".into()));
    let (m, diags) = generate(&p);
    assert!(m.is_none());
    let codes: Vec<&str> = diags.iter().map(|d| d.code).collect();
    assert_eq!(codes, vec!["E0603", "E0605"], "{diags:#?}");
    assert_eq!(diags[1].notes, vec!["at bad.stp:3:9".to_string()]);
    for d in &diags {
        assert!(
            diag::codes::lookup(d.code).is_some(),
            "{} is not registered",
            d.code
        );
        assert!(d.help.is_some());
    }
}

#[test]
fn out_of_range_ids_are_bugs_not_panics() {
    use ir::*;
    let mut p = b::program("bad", "bad.stp");
    p.probes.push(b::begin(
        vec![],
        vec![b::ex(b::call(42, vec![], Type::Long))],
    ));
    let (m, diags) = generate(&p);
    assert!(m.is_none());
    assert!(
        diags.iter().any(|d| d.severity == diag::Severity::Bug),
        "{diags:#?}"
    );
}

#[test]
fn gcc_errors_in_embedded_c_point_at_the_script() {
    use ir::*;
    if Command::new("gcc").arg("--version").output().is_err() {
        eprintln!("note: gcc not found; skipped");
        return;
    }
    let mut p = b::program("emb", "emb.stp");
    p.functions.push(Function {
        name: "broken".into(),
        params: 1,
        locals: vec![Local {
            name: "x".into(),
            ty: Type::Long,
        }],
        ret: Type::Long,
        body: FuncBody::EmbeddedC {
            code: "\tSTAP_RETURN(STAP_ARG_x + undefined_thing);".into(),
            pure: true,
        },
        loc: b::loc(7, 1),
    });
    p.probes.push(b::begin(
        vec![],
        vec![
            b::println(vec![b::call(1, vec![b::n(1)], Type::Long)]),
            b::exit(),
        ],
    ));
    let m = gen(&progs::Case {
        name: "emb",
        program: p,
        userspace: true,
    });
    let dir = scratch("emb");
    write_units(&dir, &m.units);
    write_units(&dir, &shim_units());
    let out = Command::new("gcc")
        .args(["-DXS_USERSPACE", "-fsyntax-only", "-I"])
        .arg(&dir)
        .arg(dir.join("xs_funcs.c"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("emb.stp:7:"),
        "gcc should name the script line:\n{err}"
    );
}

/// Benchmark (printed, never asserted): lowering time of a program with
/// many probes, and the bytes of C produced.
#[test]
fn bench_generate_many_probes() {
    let mut p = progs::cases()
        .into_iter()
        .find(|c| c.name == "maps")
        .unwrap()
        .program;
    let body = p.probes[0].clone();
    for _ in 0..200 {
        p.probes.push(body.clone());
    }
    let t = std::time::Instant::now();
    let (m, _) = generate(&p);
    let el = t.elapsed();
    let m = m.unwrap();
    let bytes: usize = m.units.iter().map(|u| u.contents.len()).sum();
    eprintln!(
        "bench: generate {} probes: {:.2} ms, {} units, {} KiB of C",
        p.probes.len(),
        el.as_secs_f64() * 1e3,
        m.units.len(),
        bytes / 1024
    );
}

#[test]
fn procfs_and_netfilter_conflicts_are_diagnosed() {
    use ir::*;
    let mut p = b::program("bad", "bad.stp");
    let read = |path: &str| {
        b::probe(
            vec![b::point(
                &format!("procfs(\"{path}\").read"),
                PointKind::Procfs {
                    path: path.into(),
                    write: false,
                    umask: None,
                    maxsize: None,
                },
            )],
            vec![("$value", Type::String)],
            vec![b::set_local(0, b::s("x"))],
        )
    };
    p.probes.push(read("f"));
    p.probes.push(b::at_probe(read("f"), 4, 1));
    p.probes.push(b::probe(
        vec![b::point(
            "netfilter.hook(\"PRE ROUTING\").pf(\"NFPROTO_IPV4\")",
            PointKind::Netfilter {
                hook: "PRE ROUTING".into(),
                pf: "NFPROTO_IPV4".into(),
                priority: 0,
            },
        )],
        vec![],
        vec![],
    ));
    let (m, diags) = generate(&p);
    assert!(m.is_none());
    let codes: Vec<&str> = diags.iter().map(|d| d.code).collect();
    assert_eq!(codes, vec!["E0606", "E0607"], "{diags:#?}");
    assert_eq!(diags[1].notes, vec!["at bad.stp:4:1".to_string()]);
    for d in &diags {
        assert!(
            diag::codes::lookup(d.code).is_some(),
            "{} is not registered",
            d.code
        );
        assert!(d.help.is_some());
    }
}

#[test]
fn target_writes_outside_registers_and_memory_are_diagnosed() {
    use ir::*;
    let mut p = b::program("bad", "bad.stp");
    p.guru = true;
    // A tracepoint argument is not a place; a string cannot be stored.
    let tp = TargetExpr {
        base: TargetBase::TracepointArg(0),
        path: vec![],
        ty: CType {
            spelling: "int".into(),
            size: 4,
            signed: true,
            kind: CTypeKind::Integer,
        },
        convert: TargetConvert::Long,
    };
    p.probes.push(b::probe(
        vec![b::point(
            "kernel.trace(\"sched:sched_process_exit\")",
            PointKind::Tracepoint {
                system: "sched".into(),
                name: "sched_process_exit".into(),
                args: vec![],
            },
        )],
        vec![],
        vec![
            b::ex(b::at(
                b::assign(LValue::Target(Box::new(tp.clone())), AssignOp::Set, b::n(1)),
                2,
                3,
            )),
            b::ex(b::at(
                b::assign(LValue::Target(Box::new(tp)), AssignOp::Set, b::s("x")),
                3,
                3,
            )),
        ],
    ));
    let (m, diags) = generate(&p);
    assert!(m.is_none());
    let msgs: Vec<String> = diags
        .iter()
        .map(|d| format!("{} {}", d.code, d.message))
        .collect();
    assert_eq!(
        msgs,
        vec![
            "E0601 writing a tracepoint argument is not supported by the code generator yet",
            "E0601 writing a string to a target variable is not supported by the code generator yet",
        ],
        "{diags:#?}"
    );
}
