//! Reading build trees and images, the store, selection, and bad input: each
//! failure is a diagnostic with the right code and a help line.

use std::fs;
use std::path::{Path, PathBuf};

use kernel::store::{NewProfile, Store};
use kernel::{image, select, tree, Arch};

fn fixture_tree() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/trees/tiny-amd64")
}

/// A fresh scratch directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("xstap-kernel-test-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

/// Copy a directory tree (the fixture tree, to break it).
fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        let t = to.join(e.file_name());
        if p.is_dir() {
            copy_tree(&p, &t);
        } else {
            fs::copy(&p, &t).unwrap();
        }
    }
}

#[test]
fn fixture_tree_reads() {
    let r = tree::read(&fixture_tree(), None).unwrap();
    let m = &r.profile.meta;
    assert_eq!(m.release, "6.1.0-tiny-amd64");
    assert_eq!(m.arch, Arch::X86_64);
    assert_eq!(m.version.as_deref(), Some("6.1.192"));
    assert_eq!(m.cc.as_deref(), Some("$(CROSS_COMPILE)gcc-12"));
    assert_eq!(m.compiler_for(&Arch::Arm64), "x86_64-linux-gnu-gcc-12");
    assert_eq!(m.config("CONFIG_HZ").unwrap().as_str(), "250");
    assert_eq!(
        m.config("CONFIG_DEFAULT_HOSTNAME").unwrap().as_str(),
        "(none)"
    );
    assert!(m.config("CONFIG_MODULE_SIG_FORCE").is_none());
    assert_eq!(m.counts.exports, 4);
    assert_eq!(m.btf_source, kernel::BtfSource::None);
    // No BTF and no image: one warning that says how to get BTF.
    assert_eq!(r.warnings.len(), 1);
    assert_eq!(r.warnings[0].code, "E0307");
    assert!(r.warnings[0]
        .help
        .as_deref()
        .unwrap()
        .contains("linux-image-6.1.0-tiny-amd64"));
}

#[test]
fn symvers_fields() {
    let text = fs::read_to_string(fixture_tree().join("Module.symvers")).unwrap();
    let s = tree::parse_symvers(&text, Path::new("Module.symvers")).unwrap();
    let names: Vec<&str> = s.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "ext4_bread",
            "init_uts_ns",
            "kernel_read",
            "register_kprobe"
        ]
    );
    assert!(s[3].gpl_only && !s[2].gpl_only);
    assert_eq!(s[0].crc, 0xdeadbeef);
    assert_eq!(s[0].module, "fs/ext4/ext4");
    assert_eq!(s[0].namespace.as_deref(), Some("EXT4"));
    let bad = tree::parse_symvers("0xzz\tfoo\tvmlinux\tEXPORT_SYMBOL\n", Path::new("M"));
    assert_eq!(bad.unwrap_err().code, "E0312");
    let short = tree::parse_symvers("0x1 foo\n", Path::new("M"));
    assert_eq!(short.unwrap_err().code, "E0312");
}

#[test]
fn system_map_placeholder_and_real() {
    let ph = "ffffffffffffffff B The real System.map is in the linux-image-<version>-dbg package\n";
    assert_eq!(tree::parse_system_map(ph, Path::new("S")).unwrap(), None);
    let real = "ffffffff81000000 T _text\nffffffff81367550 T ksys_read\n";
    let syms = tree::parse_system_map(real, Path::new("S"))
        .unwrap()
        .unwrap();
    assert_eq!(syms[1].addr, 0xffffffff81367550);
    assert_eq!((syms[1].kind, syms[1].name.as_str()), ('T', "ksys_read"));
    assert_eq!(
        tree::parse_system_map("nothex T x\n", Path::new("S"))
            .unwrap_err()
            .code,
        "E0312"
    );
}

#[test]
fn trace_header_scan() {
    let text = fs::read_to_string(fixture_tree().join("include/trace/events/sched.h")).unwrap();
    let known = ["sched_switch", "sched_wakeup", "pelt_cfs_tp"]
        .into_iter()
        .collect();
    let (mut out, mut loose) = Default::default();
    tree::scan_trace_header(&text, &known, &mut out, &mut loose);
    assert_eq!(
        out["sched_switch"],
        ("sched".to_string(), "sched_switch".to_string())
    );
    assert_eq!(
        out["sched_wakeup"],
        ("sched".to_string(), "sched_wakeup_template".to_string())
    );
    assert_eq!(loose["pelt_cfs_tp"].0, "sched");
}

#[test]
fn bad_trees() {
    let d = scratch("bad-trees");
    // Not a directory at all.
    let e = tree::read(&d.join("nope"), None).unwrap_err();
    assert_eq!(e.code, "E0301");
    assert!(e.help.unwrap().contains("xstap target fetch debian:"));
    // An empty directory.
    assert_eq!(tree::read(&d, None).unwrap_err().code, "E0301");
    // A Makefile but nothing that names the release.
    let t = d.join("norelease");
    fs::create_dir_all(&t).unwrap();
    fs::write(t.join("Makefile"), "all:\n").unwrap();
    let e = tree::read(&t, None).unwrap_err();
    assert_eq!(e.code, "E0301");
    assert!(e.message.contains("utsrelease.h"), "{}", e.message);
    // Missing .config.
    let t = d.join("noconfig");
    copy_tree(&fixture_tree(), &t);
    fs::remove_file(t.join(".config")).unwrap();
    let e = tree::read(&t, None).unwrap_err();
    assert_eq!(e.code, "E0302");
    assert!(e.help.unwrap().contains("linux-headers-6.1.0-tiny-amd64"));
    // Missing Module.symvers.
    let t = d.join("nosymvers");
    copy_tree(&fixture_tree(), &t);
    fs::remove_file(t.join("Module.symvers")).unwrap();
    let e = tree::read(&t, None).unwrap_err();
    assert_eq!(e.code, "E0303");
    assert!(e
        .help
        .unwrap()
        .contains("xstap target fetch debian:6.1.0-tiny-amd64"));
    let _ = fs::remove_dir_all(&d);
}

/// A minimal arm64 `Image`: the header magic at 0x38, then a BTF blob.
fn fake_arm64_image(btf: &[u8]) -> Vec<u8> {
    let mut img = vec![0u8; 4096];
    img[0x38..0x3c].copy_from_slice(b"ARM\x64");
    img.extend_from_slice(btf);
    img.extend_from_slice(&[0u8; 64]);
    img
}

/// The smallest valid BTF: one `int`.
fn int_btf() -> Vec<u8> {
    let mut b = vec![0x9f, 0xeb, 1, 0];
    let types: Vec<u32> = vec![1, 1 << 24, 4, (1 << 24) | 32];
    let strings = b"\0int\0";
    for v in [24u32, 0, 16, 16, strings.len() as u32] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    for v in types {
        b.extend_from_slice(&v.to_le_bytes());
    }
    b.extend_from_slice(strings);
    b
}

#[test]
fn images() {
    let d = scratch("images");
    let arm = d.join("Image");
    fs::write(&arm, fake_arm64_image(&int_btf())).unwrap();
    let info = image::read_image(&arm).unwrap();
    assert_eq!(info.arch, Some(Arch::Arm64));
    assert_eq!(info.btf.as_ref().unwrap().0, int_btf());
    assert!(info.directly_bootable);
    // The same Image gzip'ed.
    let gz = d.join("Image.gz");
    let mut enc = flate2_encode(&fake_arm64_image(&int_btf()));
    fs::write(&gz, &enc).unwrap();
    let info = image::read_image(&gz).unwrap();
    assert_eq!(info.btf.as_ref().unwrap().0, int_btf());
    let boot = d.join("Image.boot");
    assert_eq!(
        image::write_bootable(&gz, &boot).unwrap().arch,
        Some(Arch::Arm64)
    );
    assert_eq!(fs::read(&boot).unwrap(), fake_arm64_image(&int_btf()));
    // A truncated gzip is a diagnostic.
    enc.truncate(enc.len() / 2);
    fs::write(&gz, &enc).unwrap();
    assert_eq!(image::read_image(&gz).unwrap_err().code, "E0305");
    // Garbage, a short file, a missing file.
    let junk = d.join("junk");
    fs::write(&junk, vec![0x42u8; 1000]).unwrap();
    assert_eq!(image::read_image(&junk).unwrap_err().code, "E0305");
    fs::write(&junk, b"short").unwrap();
    assert_eq!(image::read_image(&junk).unwrap_err().code, "E0305");
    assert_eq!(
        image::read_image(&d.join("missing")).unwrap_err().code,
        "E0305"
    );
    // A bzImage whose payload lies outside the file.
    let mut bz = vec![0u8; 2048];
    bz[0x202..0x206].copy_from_slice(b"HdrS");
    bz[0x1f1] = 1;
    bz[0x248..0x24c].copy_from_slice(&100u32.to_le_bytes());
    bz[0x24c..0x250].copy_from_slice(&100_000u32.to_le_bytes());
    fs::write(&junk, &bz).unwrap();
    let e = image::read_image(&junk).unwrap_err();
    assert_eq!(e.code, "E0305");
    assert!(e.message.contains("outside the file"), "{}", e.message);
    // A bzImage with a truncated xz payload.
    bz[0x24c..0x250].copy_from_slice(&64u32.to_le_bytes());
    let start = 2 * 512 + 100;
    bz[start..start + 6].copy_from_slice(b"\xfd7zXZ\x00");
    fs::write(&junk, &bz).unwrap();
    let e = image::read_image(&junk).unwrap_err();
    assert_eq!(e.code, "E0305");
    assert!(e.message.contains("xz"), "{}", e.message);
    // A raw BTF blob is accepted as an "image" with no arch.
    let raw = d.join("vmlinux.btf");
    fs::write(&raw, int_btf()).unwrap();
    let info = image::read_image(&raw).unwrap();
    assert_eq!((info.arch, info.kind), (None, image::ImageKind::RawBtf));
    let _ = fs::remove_dir_all(&d);
}

fn flate2_encode(data: &[u8]) -> Vec<u8> {
    // Stored (uncompressed) deflate blocks inside a gzip member: enough for
    // the reader, and no encoder needed in the tests.
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
    let chunks: Vec<&[u8]> = data.chunks(65535).collect();
    for (i, c) in chunks.iter().enumerate() {
        out.push(u8::from(i + 1 == chunks.len()));
        let n = c.len() as u16;
        out.extend_from_slice(&n.to_le_bytes());
        out.extend_from_slice(&(!n).to_le_bytes());
        out.extend_from_slice(c);
    }
    out.extend_from_slice(&crc32(data).to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut c = 0xffff_ffffu32;
    for &b in data {
        c ^= b as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0xedb8_8320
            } else {
                c >> 1
            };
        }
    }
    !c
}

#[test]
fn image_of_another_arch() {
    let d = scratch("wrong-arch");
    let arm = d.join("Image");
    fs::write(&arm, fake_arm64_image(&int_btf())).unwrap();
    let e = tree::read(&fixture_tree(), Some(&arm)).unwrap_err();
    assert_eq!(e.code, "E0308");
    assert!(
        e.message.contains("arm64") && e.message.contains("x86_64"),
        "{}",
        e.message
    );
    let _ = fs::remove_dir_all(&d);
}

#[test]
fn tree_with_raw_btf_and_store_round_trip() {
    let home = scratch("store");
    let blob = home.join("vmlinux.btf");
    fs::write(&blob, int_btf()).unwrap();
    let r = tree::read(&fixture_tree(), Some(&blob)).unwrap();
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    let store = Store::new(&home);
    let p = store.save(&r.profile).unwrap();
    assert_eq!(p.meta.hash.len(), 64);
    // Exports load without the BTF tables.
    assert!(p.export("register_kprobe").unwrap().unwrap().gpl_only);
    assert_eq!(p.export("vfs_read").unwrap(), None);
    assert!(!p.tables_loaded());
    assert_eq!(p.tables().unwrap().types.len(), 2);
    assert_eq!(
        p.tables()
            .unwrap()
            .export("register_kprobe")
            .map(|e| e.gpl_only),
        Some(true)
    );
    assert_eq!(fs::read(p.btf_path().unwrap()).unwrap(), int_btf());
    // Saving the same content again gives the same hash.
    let again = store.save(&r.profile).unwrap();
    assert_eq!(again.meta.hash, p.meta.hash);
    // list, load, select by release and by tree path, -a checks.
    assert_eq!(store.releases(), ["6.1.0-tiny-amd64"]);
    let sel = select::select(&home, Some("6.1.0-tiny-amd64"), Some("x86_64")).unwrap();
    assert_eq!(sel.meta.hash, p.meta.hash);
    let tree_path = fixture_tree().display().to_string();
    let by_tree = select::select(&home, Some(&tree_path), None).unwrap();
    assert_eq!(by_tree.meta.release, "6.1.0-tiny-amd64");
    let e = select::select(&home, Some("6.1.0-tiny-amd64"), Some("aarch64")).unwrap_err();
    assert_eq!(e.code, "E0314");
    // Unknown release: says which are stored and how to get one.
    let e = store.load("9.9.9-nope").unwrap_err();
    assert_eq!(e.code, "E0304");
    assert!(e.notes[0].contains("6.1.0-tiny-amd64"));
    assert!(e
        .help
        .unwrap()
        .contains("xstap target fetch debian:9.9.9-nope"));
    // A damaged profile.json is E0310, a damaged BTF file E0306 on first use.
    let dir = store.dir_of("6.1.0-tiny-amd64");
    fs::write(dir.join("vmlinux.btf"), &int_btf()[..30]).unwrap();
    let p2 = store.load("6.1.0-tiny-amd64").unwrap();
    assert_eq!(p2.tables().unwrap_err().code, "E0306");
    fs::write(dir.join("profile.json"), "{").unwrap();
    assert_eq!(store.load("6.1.0-tiny-amd64").unwrap_err().code, "E0310");
    let (metas, diags) = store.list();
    assert!(metas.is_empty());
    assert_eq!(diags[0].code, "E0310");
    store.remove("6.1.0-tiny-amd64").unwrap();
    assert_eq!(store.remove("6.1.0-tiny-amd64").unwrap_err().code, "E0304");
    let _ = fs::remove_dir_all(&home);
}

#[test]
fn fixture_profile_stores_as_tables_json() {
    let home = scratch("fixture-store");
    let f = kernel::fixtures::tiny_x86();
    let np = NewProfile {
        meta: f.meta.clone(),
        btf: None,
        tracepoints: vec![],
        symvers: None,
        system_map: None,
        tables: Some((**f.tables().unwrap()).clone()),
    };
    let store = Store::new(&home);
    let p = store.save(&np).unwrap();
    assert_eq!(**p.tables().unwrap(), **f.tables().unwrap());
    let lines = kernel::listing::list(&p, "kernel.function(\"vfs_read\")", true).unwrap();
    assert_eq!(lines, ["kernel.function(\"vfs_read\") $file:struct file* $buf:char* $count:size_t $pos:loff_t*"]);
    let _ = fs::remove_dir_all(&home);
}

#[test]
fn arch_names() {
    let cases = [
        ("x86_64", "x86_64", "x86"),
        ("amd64", "x86_64", "x86"),
        ("i686", "i386", "x86"),
        ("i386", "i386", "x86"),
        ("aarch64", "arm64", "arm64"),
        ("arm64", "arm64", "arm64"),
        ("armv7l", "arm", "arm"),
        ("ppc64le", "powerpc", "powerpc"),
        ("s390x", "s390", "s390"),
        ("riscv64", "riscv", "riscv"),
        ("mips64el", "mips", "mips"),
        ("sparc64", "sparc", "sparc"),
        ("ia64", "ia64", "ia64"),
    ];
    for (input, name, kbuild) in cases {
        let a = Arch::normalize(input);
        assert_eq!((a.name(), a.kbuild_arch()), (name, kbuild), "{input}");
    }
}

#[test]
fn debian_release_arches() {
    use kernel::fetch::{deb_arch_of, fetch_debian, parse_spec};
    let cases = [
        ("6.1.0-56-amd64", Some("amd64")),
        ("6.1.0-56-cloud-amd64", Some("amd64")),
        ("6.1.0-56-rt-amd64", Some("amd64")),
        ("6.1.0-56-arm64", Some("arm64")),
        ("6.12.117+deb12-amd64", Some("amd64")),
        ("6.1.0-56-686-pae", Some("i386")),
        ("6.12.117+deb12-arm64-16k", Some("arm64")),
        ("6.12.117+deb12-rt-arm64", Some("arm64")),
        ("6.1.0-56-armmp-lpae", Some("armhf")),
        ("6.1.0-56-nosuch", None),
    ];
    for (k, want) in cases {
        assert_eq!(deb_arch_of(k), want, "{k}");
    }
    assert_eq!(parse_spec("debian:6.1.0-56-arm64"), Some("6.1.0-56-arm64"));
    assert_eq!(parse_spec("6.1.0-56-arm64"), None);
    // An unknown flavour fails before any download, naming the flavours.
    let home = scratch("fetch-bad");
    let e = fetch_debian("6.1.0-56-nosuch", &home).unwrap_err();
    assert_eq!(e.code, "E0311");
    assert!(e.help.unwrap().contains("-arm64"));
    assert_eq!(fetch_debian("../x", &home).unwrap_err().code, "E0311");
    let _ = fs::remove_dir_all(&home);
}

#[test]
fn a_home_moves_with_its_kernels() {
    // A tree unpacked inside the home (as `xstap target fetch` does) is
    // stored relative to it: the moved home still finds it, same hash.
    let home = scratch("move-a");
    let kernels = home.join("kernels");
    fs::create_dir_all(&kernels).unwrap();
    let ok = std::process::Command::new("cp")
        .arg("-r")
        .arg(fixture_tree())
        .arg(kernels.join("tree"))
        .status()
        .unwrap();
    assert!(ok.success());
    let blob = home.join("kernels/vmlinux.btf");
    fs::write(&blob, int_btf()).unwrap();
    let r = tree::read(&kernels.join("tree"), Some(&blob)).unwrap();
    let p = Store::new(&home).save(&r.profile).unwrap();
    assert_eq!(
        p.meta.build_tree.as_deref(),
        Some(kernels.join("tree").as_path())
    );
    let text = fs::read_to_string(
        Store::new(&home)
            .dir_of(&p.meta.release)
            .join("profile.json"),
    )
    .unwrap();
    assert!(!text.contains(&home.display().to_string()), "{text}");
    let moved = scratch("move-b");
    fs::remove_dir_all(&moved).unwrap();
    fs::rename(&home, &moved).unwrap();
    let q = Store::new(&moved).load(&p.meta.release).unwrap();
    assert_eq!(
        q.meta.build_tree.as_deref(),
        Some(moved.join("kernels/tree").as_path())
    );
    assert!(q
        .meta
        .build_tree
        .as_ref()
        .unwrap()
        .join("Makefile")
        .is_file());
    assert_eq!(q.meta.hash, p.meta.hash);
    let _ = fs::remove_dir_all(&moved);
}
