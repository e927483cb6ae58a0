//! What a boot needs, found or fetched: kernel images and build trees,
//! busybox-static, the static `xstap-run`, and modules built with kbuild.
//!
//! Kernels are looked up, in order: in `$XSTAP_VM_KERNELS` (a directory in
//! the test-bed layout: `kernels/REL/boot/*`, `headers/REL/usr/src/linux-headers-REL`),
//! in the vm cache (`<vm home>/kernels/REL`, filled by [`fetch_kernel`] with
//! `apt-get download` + `dpkg -x`, no root files touched), and in
//! `/var/tmp/testbed` (the shared test-bed's downloads, for development).
//! The vm home is `$XSTAP_TEST_HOME/vm`, else `<workspace>/target/xstap-home/vm`.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{Arch, Kernel};

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ is in the workspace").to_path_buf()
}

pub fn vm_home() -> PathBuf {
    match std::env::var_os("XSTAP_TEST_HOME").filter(|v| !v.is_empty()) {
        Some(h) => PathBuf::from(h).join("vm"),
        None => workspace_root().join("target/xstap-home/vm"),
    }
}

/// A fresh private directory under the vm home.
pub fn scratch_dir(what: &str) -> Result<PathBuf, String> {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let d = vm_home().join("tmp").join(format!("{what}-{}-{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst)));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).map_err(|e| format!("cannot create {}: {e}", d.display()))?;
    Ok(d)
}

fn run(cmd: &mut Command) -> Result<String, String> {
    let out = cmd.output().map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!("{cmd:?} failed ({}):\n{}{}", out.status, String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

const APT: &[&str] = &["-o", "DPkg::Lock::Timeout=600", "-o", "APT::Sandbox::User=root", "-qq"];

/// `apt-get download PKG` into `dir` (cached: an existing PKG_*.deb is reused).
fn apt_download(pkg: &str, dir: &Path) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let (name, arch) = pkg.split_once(':').unwrap_or((pkg, ""));
    let find = || -> Option<PathBuf> {
        std::fs::read_dir(dir).ok()?.flatten().map(|e| e.path()).find(|p| {
            let f = p.file_name().and_then(|f| f.to_str()).unwrap_or("");
            f.starts_with(&format!("{name}_")) && f.ends_with(".deb") && (arch.is_empty() || f.ends_with(&format!("_{arch}.deb")) || f.ends_with("_all.deb"))
        })
    };
    if let Some(p) = find() {
        return Ok(p);
    }
    run(Command::new("apt-get").args(APT).arg("download").arg(pkg).current_dir(dir))?;
    find().ok_or_else(|| format!("apt-get download {pkg} left no .deb in {}", dir.display()))
}

fn dpkg_x(deb: &Path, dest: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dest).map_err(|e| e.to_string())?;
    run(Command::new("dpkg").arg("-x").arg(deb).arg(dest)).map(|_| ())
}

/// busybox-static for `arch` (a static binary for the guest).
pub fn busybox(arch: Arch) -> Result<PathBuf, String> {
    let cached = vm_home().join("busybox").join(arch.deb()).join("busybox");
    if cached.is_file() {
        return Ok(cached);
    }
    let testbed = PathBuf::from(format!("/var/tmp/testbed/busybox/{}/bin/busybox", arch.deb()));
    if testbed.is_file() {
        return Ok(testbed);
    }
    let deb = apt_download(&format!("busybox-static:{}", arch.deb()), &vm_home().join("debs"))
        .map_err(|e| format!("{e}\n(for arm64 the host needs `dpkg --add-architecture arm64 && apt-get update`: .ci/setup-deps.sh)"))?;
    let tmp = scratch_dir("busybox")?;
    dpkg_x(&deb, &tmp)?;
    std::fs::create_dir_all(cached.parent().unwrap()).map_err(|e| e.to_string())?;
    std::fs::copy(tmp.join("bin/busybox"), &cached).map_err(|e| format!("busybox-static has no bin/busybox: {e}"))?;
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(cached)
}

fn kernel_in(root: &Path, release: &str, arch: Arch) -> Option<Kernel> {
    let boot = root.join("kernels").join(release).join("boot");
    let pvh = boot.join(format!("vmlinux-{release}"));
    let image = match arch {
        Arch::X86_64 if pvh.is_file() => pvh,
        Arch::X86_64 => boot.join(format!("vmlinuz-{release}")),
        Arch::Arm64 => boot.join(format!("Image-{release}")),
    };
    if !image.is_file() {
        return None;
    }
    let kdir = root.join("headers").join(release).join("usr/src").join(format!("linux-headers-{release}"));
    let btf = boot.join(format!("vmlinux-{release}.btf"));
    Some(Kernel {
        release: release.to_string(),
        arch,
        image,
        kdir: kdir.join("Makefile").is_file().then_some(kdir),
        btf: btf.is_file().then_some(btf),
    })
}

/// A kernel release ready to boot (image) and, when present, to build for.
pub fn kernel(release: &str) -> Result<Kernel, String> {
    let arch = Arch::from_release(release).ok_or_else(|| format!("`{release}` is not a Debian amd64/arm64 kernel release"))?;
    let mut roots = Vec::new();
    if let Some(d) = std::env::var_os("XSTAP_VM_KERNELS").filter(|v| !v.is_empty()) {
        roots.push(PathBuf::from(d));
    }
    roots.push(vm_home());
    roots.push(PathBuf::from("/var/tmp/testbed"));
    for r in &roots {
        if let Some(k) = kernel_in(r, release, arch) {
            if k.kdir.is_some() {
                return Ok(k);
            }
        }
    }
    fetch_kernel(release)
}

/// Fetch a Debian kernel into the vm cache: the image's `boot/` (plus the
/// x86 PVH `vmlinux` and the offline BTF) and the headers + kbuild tree.
// FIXME(integration): use kernel::fetch::fetch_debian once the kernel crate
// provides it, so tests and `xstap` share one download.
pub fn fetch_kernel(release: &str) -> Result<Kernel, String> {
    let arch = Arch::from_release(release).ok_or_else(|| format!("`{release}` is not a Debian amd64/arm64 kernel release"))?;
    let home = vm_home();
    let debs = home.join("debs");
    let kroot = home.join("kernels").join(release);
    let hroot = home.join("headers").join(release);
    let img = apt_download(&format!("linux-image-{release}:{}", arch.deb()), &debs)
        .or_else(|_| apt_download(&format!("linux-image-{release}-unsigned:{}", arch.deb()), &debs))?;
    let boot = kroot.join("boot");
    if !boot.join(format!("vmlinuz-{release}")).is_file() {
        // Unpack only ./boot of the 60-100 MB image package.
        let tmp = scratch_dir("image")?;
        run(Command::new("sh").arg("-c").arg(format!(
            "dpkg-deb --fsys-tarfile '{}' | tar -x -C '{}' ./boot",
            img.display(),
            tmp.display()
        )))?;
        std::fs::create_dir_all(&kroot).map_err(|e| e.to_string())?;
        let _ = std::fs::remove_dir_all(&boot);
        std::fs::rename(tmp.join("boot"), &boot).map_err(|e| e.to_string())?;
        let _ = std::fs::remove_dir_all(&tmp);
    }
    let vmlinuz = boot.join(format!("vmlinuz-{release}"));
    match arch {
        Arch::X86_64 => {
            let out = boot.join(format!("vmlinux-{release}"));
            if !out.is_file() {
                let config = std::fs::read_to_string(boot.join(format!("config-{release}"))).unwrap_or_default();
                if config.contains("CONFIG_PVH=y") {
                    if let Ok(elf) = decompress_bzimage(&vmlinuz) {
                        std::fs::write(&out, elf).map_err(|e| e.to_string())?;
                    }
                }
            }
        }
        Arch::Arm64 => {
            let out = boot.join(format!("Image-{release}"));
            if !out.is_file() {
                let data = std::fs::read(&vmlinuz).map_err(|e| e.to_string())?;
                if data.starts_with(&[0x1f, 0x8b]) {
                    let raw = run(Command::new("sh").arg("-c").arg(format!("gzip -dc '{}' > '{}'", vmlinuz.display(), out.display())));
                    raw?;
                } else {
                    std::fs::copy(&vmlinuz, &out).map_err(|e| e.to_string())?;
                }
            }
        }
    }
    let btf = boot.join(format!("vmlinux-{release}.btf"));
    if !btf.is_file() {
        let src = match arch {
            Arch::X86_64 => boot.join(format!("vmlinux-{release}")),
            Arch::Arm64 => boot.join(format!("Image-{release}")),
        };
        if let Some(blob) = std::fs::read(&src).ok().and_then(|d| extract_btf(&d).map(<[u8]>::to_vec)) {
            std::fs::write(&btf, blob).map_err(|e| e.to_string())?;
        }
    }
    // Headers: the arch package, -common, and the host's kbuild, in one root.
    let kdir = hroot.join("usr/src").join(format!("linux-headers-{release}"));
    if !kdir.join(".xs-ready").is_file() {
        let hdr = apt_download(&format!("linux-headers-{release}:{}", arch.deb()), &debs)?;
        let fields = run(Command::new("dpkg-deb").args(["-f"]).arg(&hdr).arg("Depends"))?;
        let mut pkgs = vec![hdr];
        for dep in fields.split(',').map(|d| d.split_whitespace().next().unwrap_or("")) {
            if dep.starts_with("linux-headers-") && dep.ends_with("-common") || dep.starts_with("linux-kbuild-") {
                pkgs.push(apt_download(dep, &debs)?);
            }
        }
        for p in &pkgs {
            dpkg_x(p, &hroot)?;
        }
        // The Makefile includes the -common tree by an absolute path; make it ours.
        let mk = kdir.join("Makefile");
        let text = std::fs::read_to_string(&mk).map_err(|e| format!("{}: {e}", mk.display()))?;
        let fixed = text.replace("include /usr/src/", &format!("include {}/usr/src/", hroot.display()));
        std::fs::write(&mk, fixed).map_err(|e| e.to_string())?;
        std::fs::write(kdir.join(".xs-ready"), "").map_err(|e| e.to_string())?;
    }
    kernel_in(&home, release, arch).ok_or_else(|| format!("fetched {release} but found no bootable image in {}", boot.display()))
}

/// The uncompressed ELF vmlinux inside an x86 bzImage (xz or zstd payload),
/// for qemu's PVH boot. Uses the xz / zstd tools.
pub fn decompress_bzimage(bz: &Path) -> Result<Vec<u8>, String> {
    let data = std::fs::read(bz).map_err(|e| e.to_string())?;
    let tools: [(&[u8], &str); 2] = [(b"\xfd7zXZ\x00", "xz -dc --single-stream"), (b"\x28\xb5\x2f\xfd", "zstd -dcq")];
    for (magic, tool) in tools {
        let Some(at) = data.windows(magic.len()).position(|w| w == magic) else { continue };
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(format!("{tool} 2>/dev/null"))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .map_err(|e| e.to_string())?;
        let mut stdin = child.stdin.take().unwrap();
        let payload = data[at..].to_vec();
        let feeder = std::thread::spawn(move || {
            use std::io::Write;
            let _ = stdin.write_all(&payload);
        });
        let out = child.wait_with_output().map_err(|e| e.to_string())?;
        let _ = feeder.join();
        if out.stdout.starts_with(b"\x7fELF") {
            return Ok(out.stdout);
        }
    }
    Err(format!("{}: no xz/zstd payload that decompresses to an ELF vmlinux", bz.display()))
}

/// The raw BTF blob of a kernel image: the `.BTF` section of an ELF vmlinux,
/// or (arm64 `Image`, no section table) the first self-consistent BTF header.
pub fn extract_btf(img: &[u8]) -> Option<&[u8]> {
    let u16le = |o: usize| img.get(o..o + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    let u32le = |o: usize| img.get(o..o + 4).map(|b| u32::from_le_bytes(b.try_into().unwrap()));
    let u64le = |o: usize| img.get(o..o + 8).map(|b| u64::from_le_bytes(b.try_into().unwrap()));
    if img.starts_with(b"\x7fELF\x02\x01") {
        let shoff = u64le(0x28)? as usize;
        let (shentsize, shnum, shstrndx) = (u16le(0x3a)? as usize, u16le(0x3c)? as usize, u16le(0x3e)? as usize);
        let sec = |i: usize| -> Option<(u32, usize, usize)> {
            let h = shoff + i * shentsize;
            Some((u32le(h)?, u64le(h + 0x18)? as usize, u64le(h + 0x20)? as usize))
        };
        let (_, stroff, _) = sec(shstrndx)?;
        for i in 0..shnum {
            let (name, off, size) = sec(i)?;
            let n = img.get(stroff + name as usize..)?;
            if n.starts_with(b".BTF\0") {
                return img.get(off..off + size);
            }
        }
        return None;
    }
    let mut at = 0;
    while let Some(p) = img[at..].windows(4).position(|w| w == [0x9f, 0xeb, 0x01, 0x00]) {
        let h = at + p;
        let ok = (|| {
            let hdr_len = u32le(h + 4)? as usize;
            let (toff, tlen, soff, slen) = (u32le(h + 8)? as usize, u32le(h + 12)? as usize, u32le(h + 16)? as usize, u32le(h + 20)? as usize);
            (hdr_len == 24 && toff == 0 && soff == tlen && tlen > 0 && slen > 0).then_some(h + 24 + soff + slen)
        })();
        if let Some(end) = ok {
            return img.get(h..end);
        }
        at = h + 1;
    }
    None
}

/// Build the out-of-tree module sources in `src` (a directory with a Kbuild
/// file) plus `extra` files for `k`, in a copy under `out`; returns the .ko paths.
pub fn kbuild(k: &Kernel, src: &Path, extra: &[PathBuf], out: &Path) -> Result<Vec<PathBuf>, String> {
    let kdir = k.kdir.as_ref().ok_or_else(|| format!("no build tree (headers) for {}", k.release))?;
    let _ = std::fs::remove_dir_all(out);
    std::fs::create_dir_all(out).map_err(|e| e.to_string())?;
    let entries = std::fs::read_dir(src).map_err(|e| format!("{}: {e}", src.display()))?;
    for p in entries.flatten().map(|e| e.path()).chain(extra.iter().cloned()) {
        if p.is_file() {
            std::fs::copy(&p, out.join(p.file_name().unwrap())).map_err(|e| format!("{}: {e}", p.display()))?;
        }
    }
    let mut cmd = Command::new("make");
    cmd.arg("-j2").arg("-C").arg(kdir).arg(format!("M={}", out.display())).arg(format!("ARCH={}", k.arch.karch()));
    if !k.arch.cross().is_empty() {
        cmd.arg(format!("CROSS_COMPILE={}", k.arch.cross()));
    }
    run(cmd.arg("modules"))?;
    let mut kos: Vec<PathBuf> = std::fs::read_dir(out).map_err(|e| e.to_string())?.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "ko")).collect();
    kos.sort();
    Ok(kos)
}

/// The static `xstap-run` for `arch` (built with cargo for the musl target,
/// in its own target directory so that a running `cargo test` does not
/// block it).
pub fn loader(arch: Arch) -> Result<PathBuf, String> {
    let root = workspace_root();
    let tdir = root.join("target/xstap-musl");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    run(Command::new(cargo)
        .args(["build", "--quiet", "--release", "-p", "xstap-run", "--target", arch.rust_target()])
        .env("CARGO_TARGET_DIR", &tdir)
        .current_dir(&root))
    .map_err(|e| format!("{e}\n(the musl targets come from `rustup target add {}`: .ci/setup-deps.sh)", arch.rust_target()))?;
    Ok(tdir.join(arch.rust_target()).join("release/xstap-run"))
}
