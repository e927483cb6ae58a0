//! The hand-written fixture profile answers the questions pass 2 asks.

use kernel::fixtures::tiny_x86;
use kernel::listing;

#[test]
fn vfs_read_prototype() {
    let p = tiny_x86();
    let t = p.tables().unwrap();
    let f = t.function("vfs_read").unwrap();
    let names: Vec<&str> = f.params.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["file", "buf", "count", "pos"]);
    let tys: Vec<String> = f.params.iter().map(|p| t.types.type_name(p.ty)).collect();
    assert_eq!(tys, ["struct file*", "char*", "size_t", "loff_t*"]);
    assert_eq!(t.types.type_name(f.ret), "ssize_t");
}

#[test]
fn struct_file_members() {
    let p = tiny_x86();
    let t = p.tables().unwrap();
    let id = t.types.find_composite("file", false).unwrap();
    let f_pos = t.types.member(id, "f_pos").unwrap();
    assert_eq!(f_pos.bit_offset, 64);
    assert_eq!(t.types.type_name(f_pos.member.ty), "loff_t");
    assert_eq!(t.types.size_of(f_pos.member.ty, 8), Some(8));
    let bf = t.types.member(id, "f_ra_mmap").unwrap();
    assert_eq!((bf.bit_offset, bf.member.bitfield_size), (195, Some(5)));
    // A member of the anonymous union is found through it.
    let anon = t.types.member(id, "f_rcuhead").unwrap();
    assert_eq!(anon.bit_offset, 256);
    assert!(t.types.member(id, "no_such").is_none());
}

#[test]
fn exports_and_config() {
    let p = tiny_x86();
    let t = p.tables().unwrap();
    assert!(t.export("register_kprobe").unwrap().gpl_only);
    assert!(!t.export("kfree").unwrap().gpl_only);
    assert!(t.export("vfs_read").is_none());
    assert!(p.export("register_kprobe").unwrap().unwrap().gpl_only);
    assert!(p.meta.config_enabled("CONFIG_KPROBES"));
    assert_eq!(p.meta.config("CONFIG_HZ").unwrap().as_str(), "250");
    assert_eq!(p.meta.compiler_for(&kernel::Arch::X86_64), "gcc-12");
    assert_eq!(
        p.meta.compiler_for(&kernel::Arch::Arm64),
        "x86_64-linux-gnu-gcc-12"
    );
    assert!(!p.hash().is_empty());
}

#[test]
fn listing_fixture() {
    let p = tiny_x86();
    let got = [
        listing::list(&p, r#"kernel.function("vfs_*")"#, false)
            .unwrap()
            .join("\n"),
        listing::list(&p, r#"kernel.function("vfs_*")"#, true)
            .unwrap()
            .join("\n"),
        listing::list(&p, r#"kernel.function("vfs_read").return"#, true)
            .unwrap()
            .join("\n"),
        listing::list(&p, r#"kernel.function("_printk")"#, true)
            .unwrap()
            .join("\n"),
        listing::list(&p, r#"kernel.trace("sched:*")"#, true)
            .unwrap()
            .join("\n"),
        listing::list(&p, r#"kernel.trace("*switch")"#, false)
            .unwrap()
            .join("\n"),
        listing::list(&p, r#"kernel.trace("net:*")"#, false)
            .unwrap()
            .join("\n"),
    ]
    .join("\n--\n");
    expect_test::expect![[r#"
        kernel.function("vfs_read")
        kernel.function("vfs_write")
        --
        kernel.function("vfs_read") $file:struct file* $buf:char* $count:size_t $pos:loff_t*
        kernel.function("vfs_write") $file:struct file* $buf:char const* $count:size_t $pos:loff_t*
        --
        kernel.function("vfs_read").return $return:ssize_t $file:struct file* $buf:char* $count:size_t $pos:loff_t*
        --
        kernel.function("_printk") $fmt:char const*
        --
        kernel.trace("sched:sched_process_exit") $p:struct task_struct*
        kernel.trace("sched:sched_switch") $preempt:bool $prev:struct task_struct* $next:struct task_struct* $prev_state:unsigned int
        --
        kernel.trace("sched:sched_switch")
        --

    "#]]
    .assert_eq(&(got + "\n"));
}

#[test]
fn listing_rejects_other_points() {
    let p = tiny_x86();
    for bad in [
        "process.function(\"x\")",
        "kernel.function(vfs_read)",
        "kernel.trace(\"a\").return",
        "begin",
    ] {
        let d = listing::list(&p, bad, false).unwrap_err();
        assert_eq!(d.code, "E0313", "{bad}");
    }
}

#[test]
fn type_classes() {
    use kernel::TypeClass;
    let p = tiny_x86();
    let t = p.tables().unwrap();
    let f = t.function("vfs_write").unwrap();
    let [file, buf, count, pos] = [0, 1, 2, 3].map(|i| f.params[i].ty);
    let st = t.types.pointee(file).unwrap();
    assert!(matches!(t.types.class(st), TypeClass::Struct { .. }));
    assert!(t.types.is_char_string(buf), "const char * is a string");
    assert!(!t.types.is_char_string(pos));
    assert_eq!(
        t.types.class(count),
        TypeClass::Integer {
            size: 8,
            signed: false,
            char: false
        }
    );
    let comm = t
        .types
        .member(
            t.types.find_composite("task_struct", false).unwrap(),
            "comm",
        )
        .unwrap();
    assert!(
        t.types.is_char_string(comm.member.ty),
        "char[16] is a string"
    );
    assert_eq!(t.types.type_name(comm.member.ty), "char[16]");
    assert_eq!(t.types.class(kernel::TypeId::VOID), TypeClass::Void);
}
