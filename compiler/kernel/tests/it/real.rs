//! Real Debian kernels (amd64 and arm64), fetched with `fetch_debian` into
//! `$XSTAP_TEST_KERNELS` (default `target/xstap-test-kernels`; the first run
//! downloads about 150 MB, later runs reuse it). The preferred release is
//! 6.1.0-56, whose BTF sizes were measured by the test bed; if the mirror no
//! longer has it, the current 6.1 release of the flavour is used and only
//! the facts that hold for every 6.1 kernel are checked.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use kernel::fetch::{current_release, fetch_debian, FetchedKernel};
use kernel::store::Store;
use kernel::{listing, Arch, Profile};

const PREFERRED: &str = "6.1.0-56";

fn home() -> PathBuf {
    match std::env::var_os("XSTAP_TEST_KERNELS").filter(|v| !v.is_empty()) {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/xstap-test-kernels"),
    }
}

fn fetch(flavour: &str) -> FetchedKernel {
    let preferred = format!("{PREFERRED}-{flavour}");
    match fetch_debian(&preferred, &home()) {
        Ok(k) => k,
        Err(first) => {
            let cur = current_release(flavour)
                .unwrap_or_else(|| panic!("cannot fetch {preferred} ({first:?}) and apt names no current {flavour} kernel"));
            fetch_debian(&cur, &home()).unwrap_or_else(|e| panic!("fetching {cur}: {e:?}"))
        }
    }
}

fn amd64() -> &'static FetchedKernel {
    static K: OnceLock<FetchedKernel> = OnceLock::new();
    K.get_or_init(|| fetch("amd64"))
}

fn arm64() -> &'static FetchedKernel {
    static K: OnceLock<FetchedKernel> = OnceLock::new();
    K.get_or_init(|| fetch("arm64"))
}

fn profile(k: &FetchedKernel) -> Profile {
    Store::new(&home()).load(&k.release).unwrap()
}

/// Facts every Debian 6.1 kernel's profile has, whatever the arch.
fn common_facts(k: &FetchedKernel, p: &Profile) {
    let t = p.tables().unwrap();
    let c = &p.meta.counts;
    assert_eq!(c.functions as usize, t.functions.len());
    assert_eq!(c.types as usize, t.types.len());
    assert!(
        c.functions > 30_000 && c.structs > 5_000 && c.tracepoints > 400 && c.exports > 20_000,
        "{c:?}"
    );
    // vfs_read(struct file *file, char *buf, size_t count, loff_t *pos)
    let f = t.function("vfs_read").unwrap();
    let names: Vec<&str> = f.params.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["file", "buf", "count", "pos"]);
    let st = t.types.find_composite("file", false).unwrap();
    let f_pos = t.types.member(st, "f_pos").unwrap();
    assert_eq!(t.types.type_name(f_pos.member.ty), "loff_t");
    assert_eq!(t.types.size_of(f_pos.member.ty, 8), Some(8));
    // sched_switch with its argument names (from __bpf_trace_sched_switch).
    let tp = t.tracepoint("sched_switch").unwrap();
    assert_eq!(tp.system, "sched");
    let args: Vec<String> = tp
        .args
        .iter()
        .map(|a| format!("{}:{}", a.name, t.types.type_name(a.ty)))
        .collect();
    assert_eq!(
        args,
        [
            "preempt:bool",
            "prev:struct task_struct*",
            "next:struct task_struct*",
            "prev_state:unsigned int"
        ]
    );
    // A DEFINE_EVENT event gets its class's argument names.
    let wk = t.tracepoint("sched_wakeup").unwrap();
    assert_eq!(
        (wk.system.as_str(), wk.args[0].name.as_str()),
        ("sched", "p")
    );
    // Exports.
    assert!(t.export("register_kprobe").unwrap().gpl_only);
    assert!(!t.export("kfree").unwrap().gpl_only);
    assert_eq!(t.export("register_kprobe").unwrap().module, "vmlinux");
    // The build tree is usable by kbuild: config, symvers, host tools, and
    // the Makefile include points into the fetched root.
    for f in [".config", "Module.symvers", "scripts/basic/fixdep"] {
        assert!(k.kdir.join(f).exists(), "{} has no {f}", k.kdir.display());
    }
    let mk = std::fs::read_to_string(k.kdir.join("Makefile")).unwrap();
    assert!(!mk.contains("include /usr/src/"), "{mk}");
    assert_eq!(
        p.meta.build_tree.as_deref(),
        Some(std::fs::canonicalize(&k.kdir).unwrap().as_path())
    );
    assert!(p.meta.config_enabled("CONFIG_DEBUG_INFO_BTF"));
    assert!(
        !p.meta.has_system_map,
        "Debian ships a placeholder System.map"
    );
    // -L works offline from the profile.
    let l = listing::list(p, r#"kernel.function("vfs_read")"#, true).unwrap();
    assert_eq!(
        l,
        [r#"kernel.function("vfs_read") $file:struct file* $buf:char* $count:size_t $pos:loff_t*"#]
    );
    let l = listing::list(p, r#"kernel.trace("sched:sched_switch")"#, true).unwrap();
    assert_eq!(
        l,
        [
            r#"kernel.trace("sched:sched_switch") $preempt:bool $prev:struct task_struct* $next:struct task_struct* $prev_state:unsigned int"#
        ]
    );
    assert!(
        listing::list(p, r#"kernel.function("vfs_*")"#, false)
            .unwrap()
            .len()
            > 50
    );
    // The stored BTF blob is what the profile was read from.
    let blob = std::fs::read(k.btf.as_ref().unwrap()).unwrap();
    assert_eq!(blob.len() as u64, c.btf_bytes);
}

#[test]
fn debian_amd64() {
    let k = amd64();
    let p = profile(k);
    assert_eq!(p.meta.arch, Arch::X86_64);
    assert_eq!(k.deb_arch, "amd64");
    common_facts(k, &p);
    assert_eq!(p.meta.compiler_for(&Arch::X86_64), "gcc-12");
    // The bootable image is the uncompressed ELF vmlinux (PVH).
    let img = std::fs::read(&k.bootable_image).unwrap();
    assert_eq!(&img[..4], b"\x7fELF");
    assert_eq!(u16::from_le_bytes([img[18], img[19]]), 62, "EM_X86_64");
    if k.release == format!("{PREFERRED}-amd64") {
        assert_eq!(p.meta.counts.btf_bytes, 4_359_789);
    }
}

#[test]
fn debian_arm64_on_any_host() {
    let k = arm64();
    let p = profile(k);
    assert_eq!(p.meta.arch, Arch::Arm64);
    assert_eq!(p.meta.arch.kbuild_arch(), "arm64");
    common_facts(k, &p);
    assert_eq!(
        p.meta.compiler_for(&Arch::X86_64),
        "aarch64-linux-gnu-gcc-12"
    );
    assert_eq!(
        p.meta.cross_compile_for(&Arch::X86_64),
        Some("aarch64-linux-gnu-")
    );
    let img = std::fs::read(&k.bootable_image).unwrap();
    assert_eq!(&img[0x38..0x3c], b"ARM\x64");
    if k.release == format!("{PREFERRED}-arm64") {
        assert_eq!(p.meta.counts.btf_bytes, 4_831_546);
    }
}

#[test]
fn refetch_is_cached_and_arch_checks() {
    let k = amd64();
    let again = fetch_debian(&k.release, &home()).unwrap();
    assert!(again.cached);
    assert_eq!(again.kdir, k.kdir);
    // An arm64 image with amd64 headers is refused.
    let a = arm64();
    let e = kernel::tree::read(&k.kdir, Some(&a.vmlinuz)).unwrap_err();
    assert_eq!(e.code, "E0308");
    // A truncated real image is a diagnostic, not a panic.
    let data = std::fs::read(&k.vmlinuz).unwrap();
    let cut = &data[..data.len() / 3];
    let e = kernel::image::read_image_bytes(Path::new("cut-vmlinuz"), cut).unwrap_err();
    assert_eq!(e.code, "E0305");
    // Truncated real BTF.
    let blob = std::fs::read(k.btf.as_ref().unwrap()).unwrap();
    assert_eq!(
        kernel::btf::parse(&blob[..blob.len() - 1000], "cut")
            .unwrap_err()
            .code,
        "E0306"
    );
}
