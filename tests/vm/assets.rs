//! What a boot needs, found or fetched: kernel images and build trees,
//! busybox-static, the static `xstap-run`, and modules built with kbuild.
//!
//! Kernels come from the `kernel` crate's fetcher (see [`kernel()`]); busybox
//! from `apt-get download busybox-static:ARCH` + `dpkg -x` into the vm home,
//! `$XSTAP_TEST_HOME/vm`, else `<workspace>/target/xstap-home/vm`.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{Arch, Kernel};

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is in the workspace")
        .to_path_buf()
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
    let d = vm_home().join("tmp").join(format!(
        "{what}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).map_err(|e| format!("cannot create {}: {e}", d.display()))?;
    Ok(d)
}

fn run(cmd: &mut Command) -> Result<String, String> {
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{cmd:?} failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

const APT: &[&str] = &[
    "-o",
    "DPkg::Lock::Timeout=600",
    "-o",
    "APT::Sandbox::User=root",
    "-qq",
];

/// `apt-get download PKG` into `dir` (cached: an existing PKG_*.deb is reused).
fn apt_download(pkg: &str, dir: &Path) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let (name, arch) = pkg.split_once(':').unwrap_or((pkg, ""));
    let find = || -> Option<PathBuf> {
        std::fs::read_dir(dir)
            .ok()?
            .flatten()
            .map(|e| e.path())
            .find(|p| {
                let f = p.file_name().and_then(|f| f.to_str()).unwrap_or("");
                f.starts_with(&format!("{name}_"))
                    && f.ends_with(".deb")
                    && (arch.is_empty()
                        || f.ends_with(&format!("_{arch}.deb"))
                        || f.ends_with("_all.deb"))
            })
    };
    if let Some(p) = find() {
        return Ok(p);
    }
    run(Command::new("apt-get")
        .args(APT)
        .arg("download")
        .arg(pkg)
        .current_dir(dir))?;
    find().ok_or_else(|| format!("apt-get download {pkg} left no .deb in {}", dir.display()))
}

fn dpkg_x(deb: &Path, dest: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dest).map_err(|e| e.to_string())?;
    run(Command::new("dpkg").arg("-x").arg(deb).arg(dest)).map(|_| ())
}

/// Whether the shared test-bed's downloads in /var/tmp/testbed may be used
/// (a development shortcut; `XSTAP_VM_NO_TESTBED=1` turns it off to
/// exercise the fetchers as CI on a fresh machine does).
fn use_testbed() -> bool {
    std::env::var_os("XSTAP_VM_NO_TESTBED").is_none()
}

/// busybox-static for `arch` (a static binary for the guest).
pub fn busybox(arch: Arch) -> Result<PathBuf, String> {
    let cached = vm_home().join("busybox").join(arch.deb()).join("busybox");
    if cached.is_file() {
        return Ok(cached);
    }
    let testbed = PathBuf::from(format!(
        "/var/tmp/testbed/busybox/{}/bin/busybox",
        arch.deb()
    ));
    if testbed.is_file() && use_testbed() {
        return Ok(testbed);
    }
    let deb = apt_download(&format!("busybox-static:{}", arch.deb()), &vm_home().join("debs"))
        .map_err(|e| format!("{e}\n(for arm64 the host needs `dpkg --add-architecture arm64 && apt-get update`: .ci/setup-deps.sh)"))?;
    let tmp = scratch_dir("busybox")?;
    dpkg_x(&deb, &tmp)?;
    std::fs::create_dir_all(cached.parent().unwrap()).map_err(|e| e.to_string())?;
    std::fs::copy(tmp.join("bin/busybox"), &cached)
        .map_err(|e| format!("busybox-static has no bin/busybox: {e}"))?;
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
    let kdir = root
        .join("headers")
        .join(release)
        .join("usr/src")
        .join(format!("linux-headers-{release}"));
    let btf = boot.join(format!("vmlinux-{release}.btf"));
    Some(Kernel {
        release: release.to_string(),
        arch,
        image,
        kdir: kdir.join("Makefile").is_file().then_some(kdir),
        btf: btf.is_file().then_some(btf),
    })
}

/// The data directory tests share with `xstap` (`XSTAP_HOME` layout):
/// `$XSTAP_TEST_HOME`, else `<workspace>/target/xstap-home` (what `cargo xtask test` uses).
pub fn test_home() -> PathBuf {
    crate::conformance::test_home()
}

fn from_fetched(f: kernel::fetch::FetchedKernel, arch: Arch) -> Kernel {
    Kernel {
        release: f.release,
        arch,
        image: f.bootable_image,
        kdir: Some(f.kdir),
        btf: f.btf,
    }
}

/// A kernel release ready to boot (image) and to build for (headers).
///
/// Looked up in `$XSTAP_VM_KERNELS` (test-bed layout), then among the
/// kernels already fetched into [`test_home`], then in `/var/tmp/testbed`
/// (the shared test-bed's downloads, for development), and otherwise
/// fetched into [`test_home`] with `kernel::fetch::fetch_debian` (apt-get
/// download + dpkg -x; for arm64 the host needs `dpkg --add-architecture arm64`).
pub fn kernel(release: &str) -> Result<Kernel, String> {
    let arch = Arch::from_release(release)
        .ok_or_else(|| format!("`{release}` is not a Debian amd64/arm64 kernel release"))?;
    if let Some(d) = std::env::var_os("XSTAP_VM_KERNELS").filter(|v| !v.is_empty()) {
        if let Some(k) = kernel_in(Path::new(&d), release, arch).filter(|k| k.kdir.is_some()) {
            return Ok(k);
        }
    }
    let home = test_home();
    let base = home.join("kernels").join(release);
    let fetched =
        base.join("root/.xstap-ready").is_file() && base.join(".xstap-boot-ready").is_file();
    if !fetched && use_testbed() {
        if let Some(k) =
            kernel_in(Path::new("/var/tmp/testbed"), release, arch).filter(|k| k.kdir.is_some())
        {
            return Ok(k);
        }
    }
    let f = kernel::fetch::fetch_debian(release, &home).map_err(|d| {
        format!(
            "cannot fetch {release}: {}{}",
            d.message,
            d.help.map(|h| format!(" (help: {h})")).unwrap_or_default()
        )
    })?;
    Ok(from_fetched(f, arch))
}

/// A kernel fetched into [`test_home`] by `kernel::fetch::fetch_debian`,
/// with its profile stored there (what `xstap -r RELEASE` needs, with
/// `XSTAP_HOME` set to [`test_home`]); never the test-bed shortcut.
pub fn fetch_kernel(release: &str) -> Result<Kernel, String> {
    let arch = Arch::from_release(release)
        .ok_or_else(|| format!("`{release}` is not a Debian amd64/arm64 kernel release"))?;
    let f = kernel::fetch::fetch_debian(release, &test_home()).map_err(|d| {
        format!(
            "cannot fetch {release}: {}{}",
            d.message,
            d.help.map(|h| format!(" (help: {h})")).unwrap_or_default()
        )
    })?;
    Ok(from_fetched(f, arch))
}

/// Build the out-of-tree module sources in `src` (a directory with a Kbuild
/// file) plus `extra` files for `k`, in a copy under `out`; returns the .ko paths.
pub fn kbuild(
    k: &Kernel,
    src: &Path,
    extra: &[PathBuf],
    out: &Path,
) -> Result<Vec<PathBuf>, String> {
    let _ = std::fs::remove_dir_all(out);
    std::fs::create_dir_all(out).map_err(|e| e.to_string())?;
    let entries = std::fs::read_dir(src).map_err(|e| format!("{}: {e}", src.display()))?;
    for p in entries
        .flatten()
        .map(|e| e.path())
        .chain(extra.iter().cloned())
    {
        if p.is_file() {
            std::fs::copy(&p, out.join(p.file_name().unwrap()))
                .map_err(|e| format!("{}: {e}", p.display()))?;
        }
    }
    make_modules(k, out)?;
    let mut kos: Vec<PathBuf> = std::fs::read_dir(out)
        .map_err(|e| e.to_string())?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "ko"))
        .collect();
    kos.sort();
    Ok(kos)
}

/// `make -C KDIR M=dir modules` for `k` (ARCH, CROSS_COMPILE), in a
/// directory that already holds its Kbuild file and sources.
pub fn make_modules(k: &Kernel, dir: &Path) -> Result<(), String> {
    let kdir = k
        .kdir
        .as_ref()
        .ok_or_else(|| format!("no build tree (headers) for {}", k.release))?;
    let mut cmd = Command::new("make");
    cmd.arg("-j2")
        .arg("-C")
        .arg(kdir)
        .arg(format!("M={}", dir.display()))
        .arg(format!("ARCH={}", k.arch.karch()));
    if !k.arch.cross().is_empty() {
        cmd.arg(format!("CROSS_COMPILE={}", k.arch.cross()));
    }
    run(cmd.arg("modules")).map(|_| ())
}

/// Build the transport test module `tests/data/e2e/xs_test` (with the real
/// `runtime/c/transport.c`) for `k` into `out`; returns the .ko.
pub fn xs_test_module(k: &Kernel, out: &Path) -> Result<PathBuf, String> {
    let root = workspace_root();
    let rt = root.join("runtime/c");
    let kos = kbuild(
        k,
        &root.join("tests/data/e2e/xs_test"),
        &[rt.join("transport.c"), rt.join("transport.h")],
        out,
    )?;
    kos.into_iter()
        .find(|p| p.ends_with("xs_test.ko"))
        .ok_or_else(|| "kbuild made no xs_test.ko".to_string())
}

/// The static `xstap-run` for `arch` (built with cargo for the musl target,
/// in its own target directory so that a running `cargo test` does not
/// block it). Without the x86_64 musl target, an x86_64 host builds a
/// static glibc binary instead (`+crt-static`); arm64 needs its musl target.
pub fn loader(arch: Arch) -> Result<PathBuf, String> {
    let root = workspace_root();
    let tdir = root.join("target/xstap-musl");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let build = |target: &str, rustflags: Option<&str>| {
        let mut cmd = Command::new(&cargo);
        cmd.args([
            "build",
            "--quiet",
            "--release",
            "-p",
            "xstap-run",
            "--target",
            target,
        ])
        .env("CARGO_TARGET_DIR", &tdir)
        .current_dir(&root);
        if let Some(f) = rustflags {
            cmd.env("RUSTFLAGS", f);
        }
        run(&mut cmd).map(|_| tdir.join(target).join("release/xstap-run"))
    };
    match build(arch.rust_target(), None) {
        Ok(p) => Ok(p),
        Err(e) if arch == Arch::X86_64 && cfg!(target_arch = "x86_64") => build(
            "x86_64-unknown-linux-gnu",
            Some("-C target-feature=+crt-static -C strip=symbols"),
        )
        .map_err(|e2| format!("{e}\n{e2}")),
        Err(e) => Err(format!(
            "{e}\n(the musl targets come from `rustup target add {}`: .ci/setup-deps.sh)",
            arch.rust_target()
        )),
    }
}
