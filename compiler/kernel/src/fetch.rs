//! `xstap target fetch debian:KVER`: download and unpack a Debian kernel's
//! headers and image with the host's apt, without installing anything, then
//! add its profile.
//!
//! Layout under the data directory (`$XSTAP_HOME`):
//! - `kernels/KVER/debs/`: the downloaded `.deb`s, removed once everything
//!   is unpacked (an interrupted fetch reuses them),
//! - `kernels/KVER/root/`: `linux-headers-KVER` + `linux-headers-*-common` +
//!   the host's `linux-kbuild-*` unpacked with `dpkg -x`; the build tree is
//!   `root/usr/src/linux-headers-KVER` with its one absolute path (the
//!   `include /usr/src/...-common/Makefile` line) pointed at its sibling
//!   in `root/` by a relative path (the home can move),
//! - `kernels/KVER/boot/`: the image package's `./boot` (`vmlinuz`, config),
//!   plus a bootable image: x86 `vmlinux-KVER` (the bzImage payload; qemu
//!   boots it via PVH), arm64 `Image-KVER`.
//!
//! Never `apt-get install` (for a foreign arch it would remove the host gcc):
//! only `apt-get download`, `dpkg -x` and `dpkg-deb --fsys-tarfile | tar`.
//! A foreign architecture is added with `dpkg --add-architecture` (root only).
//!
//! Invariant: a kernel directory is complete when its `.xstap-ready` marker
//! exists; an interrupted fetch is redone. Concurrent fetches of one release
//! serialise on a lock directory.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use diag::Diagnostic;

use crate::model::Arch;
use crate::store::Store;
use crate::{errors, image, tree, Profile};

/// A fetched Debian kernel, as the VM tooling and tests need it.
#[derive(Debug, Clone)]
pub struct FetchedKernel {
    pub release: String,
    pub arch: Arch,
    /// Debian architecture (`amd64`, `arm64`).
    pub deb_arch: String,
    /// The kbuild tree (`make -C KDIR M=...`).
    pub kdir: PathBuf,
    /// The image as packaged (`boot/vmlinuz-KVER`).
    pub vmlinuz: PathBuf,
    /// What qemu boots: x86 `boot/vmlinux-KVER` (PVH), arm64 `boot/Image-KVER`.
    pub bootable_image: PathBuf,
    /// The stored profile's directory; its BTF blob is [`FetchedKernel::btf`].
    pub profile_dir: PathBuf,
    /// The kernel's raw BTF blob (= `/sys/kernel/btf/vmlinux` when booted).
    pub btf: Option<PathBuf>,
    /// Wall time of this call, and whether everything was already there.
    pub elapsed: Duration,
    pub cached: bool,
}

/// The Debian architecture of a release, from its flavour suffix
/// (`6.1.0-56-amd64`, `-cloud-amd64`, `-rt-arm64`, `-686-pae`, ...).
pub fn deb_arch_of(kver: &str) -> Option<&'static str> {
    let last = kver.rsplit('-').next()?;
    Some(match last {
        "amd64" => "amd64",
        "arm64" | "16k" => "arm64",
        "686" | "pae" => "i386",
        "armmp" | "lpae" | "marvell" | "rpi" => {
            if kver.contains("-rpi") || kver.contains("-marvell") {
                "armel"
            } else {
                "armhf"
            }
        }
        "powerpc64le" | "64k" => "ppc64el",
        "s390x" => "s390x",
        "riscv64" => "riscv64",
        "loong64" | "loongson-3" => {
            if kver.ends_with("loongson-3") {
                "mips64el"
            } else {
                "loong64"
            }
        }
        _ => return None,
    })
}

/// Strip `debian:` from `debian:KVER`; `None` for other sources.
pub fn parse_spec(spec: &str) -> Option<&str> {
    spec.strip_prefix("debian:").filter(|k| !k.is_empty())
}

fn is_root() -> bool {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}

fn apt_opts() -> Vec<&'static str> {
    let mut v = vec!["-q", "-o", "DPkg::Lock::Timeout=600"];
    if is_root() {
        v.extend(["-o", "APT::Sandbox::User=root"]);
    }
    v
}

/// Run a command, returning stdout, or an E0311 naming the command and its
/// stderr.
fn run(cmd: &mut Command, what: &str, help: &str) -> Result<String, Diagnostic> {
    let shown = format!("{cmd:?}");
    // `output()` gives the child a closed stdin unless the caller set one.
    let out = cmd.output().map_err(|e| {
        errors::fetch(
            format!("cannot run {what} ({shown}): {e}"),
            help.to_string(),
        )
    })?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = err
            .lines()
            .rev()
            .take(6)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        return Err(errors::fetch(
            format!("{what} failed ({}): {}", out.status, tail.join(" / ")),
            help.to_string(),
        )
        .with_note(shown));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn host_deb_arch() -> Result<String, Diagnostic> {
    run(
        Command::new("dpkg").arg("--print-architecture"),
        "dpkg --print-architecture",
        "xstap fetches Debian kernels with dpkg and apt-get; run it on Debian or Ubuntu",
    )
    .map(|s| s.trim().to_string())
}

/// Make sure apt knows packages of `deb_arch` (adding the architecture and
/// updating the index when needed; root only).
fn ensure_arch(deb_arch: &str, host: &str) -> Result<(), Diagnostic> {
    if deb_arch == host {
        return Ok(());
    }
    let foreign = run(
        Command::new("dpkg").arg("--print-foreign-architectures"),
        "dpkg --print-foreign-architectures",
        "",
    )?;
    if foreign.lines().any(|l| l.trim() == deb_arch) {
        return Ok(());
    }
    let help = format!("run as root: `dpkg --add-architecture {deb_arch} && apt-get update`");
    if !is_root() {
        return Err(errors::fetch(
            format!("apt does not know the {deb_arch} architecture"),
            help,
        ));
    }
    run(
        Command::new("dpkg").args(["--add-architecture", deb_arch]),
        "dpkg --add-architecture",
        &help,
    )?;
    apt_update()
}

fn apt_update() -> Result<(), Diagnostic> {
    run(
        Command::new("apt-get").args(apt_opts()).arg("update"),
        "apt-get update",
        "check the network and /etc/apt/sources.list",
    )
    .map(|_| ())
}

/// `Depends:` of a package from `apt-cache show`, or `None` if apt has no
/// such package.
fn depends_of(pkg: &str) -> Option<String> {
    let out = Command::new("apt-cache")
        .args(["show", pkg])
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let dep = text
        .lines()
        .find_map(|l| l.strip_prefix("Depends:"))
        .unwrap_or("")
        .trim()
        .to_string();
    // A package that apt only knows as virtual prints nothing.
    (!text.trim().is_empty()).then_some(dep)
}

/// Release names apt knows that look like `kver` (same flavour), for the
/// help of an unknown-release error.
fn similar_releases(kver: &str) -> Vec<String> {
    let flavour = kver.splitn(3, '-').nth(2).unwrap_or("");
    let Ok(out) = Command::new("apt-cache")
        .args(["pkgnames", "linux-headers-"])
        .stderr(Stdio::null())
        .output()
    else {
        return Vec::new();
    };
    let mut v: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("linux-headers-"))
        .filter(|r| {
            !flavour.is_empty()
                && r.ends_with(&format!("-{flavour}"))
                && r.starts_with(|c: char| c.is_ascii_digit())
        })
        .map(str::to_string)
        .collect();
    v.sort();
    v.dedup();
    v.into_iter().rev().take(5).collect()
}

/// The current release of a Debian flavour (`amd64`, `cloud-amd64`,
/// `arm64`, ...) from its `linux-headers-FLAVOUR` metapackage.
pub fn current_release(flavour: &str) -> Option<String> {
    let arch = deb_arch_of(&format!("0-0-{flavour}"))?;
    let dep = depends_of(&format!("linux-headers-{flavour}:{arch}"))?;
    dep.split([',', ' ', '|'])
        .find_map(|w| w.strip_prefix("linux-headers-"))
        .map(str::to_string)
}

/// Find the `.deb` of `pkg` in `dir` (apt names it `NAME_VERSION_ARCH.deb`).
fn find_deb(dir: &Path, pkg: &str) -> Option<PathBuf> {
    let name = pkg.split(':').next().unwrap_or(pkg);
    let mut hits: Vec<PathBuf> = fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let f = p
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            f.starts_with(&format!("{name}_")) && f.ends_with(".deb")
        })
        .collect();
    hits.sort();
    hits.pop()
}

fn download(dir: &Path, pkg: &str) -> Result<PathBuf, Diagnostic> {
    if let Some(p) = find_deb(dir, pkg) {
        return Ok(p);
    }
    run(
        Command::new("apt-get")
            .args(apt_opts())
            .arg("download")
            .arg(pkg)
            .current_dir(dir),
        &format!("apt-get download {pkg}"),
        "check the network and that apt's index is current (`apt-get update`)",
    )?;
    find_deb(dir, pkg).ok_or_else(|| {
        errors::fetch(
            format!("apt-get download {pkg} left no .deb in {}", dir.display()),
            "check apt's configuration",
        )
    })
}

/// A lock directory serialising fetches of one release across processes.
struct Lock(PathBuf);

impl Lock {
    fn take(path: PathBuf) -> Result<Lock, Diagnostic> {
        let start = Instant::now();
        loop {
            match fs::create_dir(&path) {
                Ok(()) => return Ok(Lock(path)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let stale = fs::metadata(&path)
                        .and_then(|m| m.modified())
                        .map(|t| {
                            SystemTime::now().duration_since(t).unwrap_or_default()
                                > Duration::from_secs(1800)
                        })
                        .unwrap_or(false);
                    if stale {
                        let _ = fs::remove_dir(&path);
                    } else if start.elapsed() > Duration::from_secs(1200) {
                        return Err(errors::fetch(
                            format!("another fetch holds {} for 20 minutes", path.display()),
                            "remove the directory if no other xstap is running",
                        ));
                    }
                    std::thread::sleep(Duration::from_millis(250));
                }
                Err(e) => return Err(errors::io(&path, "create", &e)),
            }
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = fs::remove_dir(&self.0);
    }
}

fn fetch_headers(
    kver: &str,
    deb_arch: &str,
    host: &str,
    base: &Path,
    debs: &Path,
) -> Result<PathBuf, Diagnostic> {
    let root = base.join("root");
    let kdir = root.join(format!("usr/src/linux-headers-{kver}"));
    if root.join(".xstap-ready").is_file() {
        return Ok(kdir);
    }
    let hpkg = format!("linux-headers-{kver}:{deb_arch}");
    let deps = match depends_of(&hpkg) {
        Some(d) => d,
        None => {
            // The index may be old: update once (as root) and ask again.
            if is_root() {
                apt_update()?;
            }
            depends_of(&hpkg).ok_or_else(|| {
                let sim = similar_releases(kver);
                let mut d = errors::fetch(
                    format!("apt knows no package linux-headers-{kver} for {deb_arch}"),
                    "check the release (`apt-cache search linux-headers-` lists what the mirrors have)",
                );
                if !sim.is_empty() {
                    d = d.with_note(format!("releases apt has for this flavour: {}", sim.join(", ")));
                }
                d
            })?
        }
    };
    // `-common` (or `-common-rt` for the rt flavour) and the kbuild tools.
    let word = |prefix: &str, infix: &str| {
        deps.split([',', ' ', '|', '(', ')'])
            .find(|w| w.starts_with(prefix) && w.contains(infix))
            .map(|w| w.split(':').next().unwrap_or(w).to_string())
    };
    let common = word("linux-headers-", "-common");
    let kbuild = word("linux-kbuild-", "");
    let (Some(common), Some(kbuild)) = (common, kbuild) else {
        return Err(errors::fetch(
            format!("cannot find the -common and linux-kbuild packages in the dependencies of {hpkg}: {deps}"),
            "this release is packaged differently from what xstap knows; add its tree with `xstap target add`",
        ));
    };
    let debs_list = [
        download(debs, &hpkg)?,
        download(debs, &common)?,
        download(debs, &format!("{kbuild}:{host}"))?,
    ];
    let _ = fs::remove_dir_all(&root);
    fs::create_dir_all(&root).map_err(|e| errors::io(&root, "create", &e))?;
    for (d, pkg) in debs_list
        .iter()
        .zip([hpkg.clone(), common.clone(), format!("{kbuild}:{host}")])
    {
        let unpack = |deb: &Path| {
            run(
                Command::new("dpkg").arg("-x").arg(deb).arg(&root),
                "dpkg -x",
                "the .deb may be damaged; remove it and retry",
            )
        };
        if unpack(d).is_err() {
            // A cached .deb from an interrupted download: fetch it again once.
            let _ = fs::remove_file(d);
            unpack(&download(debs, &pkg)?)?;
        }
    }
    // `include /usr/src/linux-headers-X-common/Makefile`: point it at the
    // sibling directory, relative (make runs in the tree, `make -C KDIR`),
    // so the unpacked kernel still builds after the home is moved.
    let mk = kdir.join("Makefile");
    let text = fs::read_to_string(&mk).map_err(|_| errors::missing_config(&kdir, kver))?;
    let fixed: String = text
        .lines()
        .map(|l| match l.strip_prefix("include /usr/src/") {
            Some(rest) => format!("include ../{rest}\n"),
            None => format!("{l}\n"),
        })
        .collect();
    fs::write(&mk, fixed).map_err(|e| errors::io(&mk, "write", &e))?;
    if !kdir.join("scripts/basic/fixdep").exists() {
        return Err(errors::fetch(
            format!("kbuild host tools missing under {}/scripts", kdir.display()),
            format!("the host package {kbuild}:{host} did not provide scripts/basic/fixdep"),
        ));
    }
    fs::write(root.join(".xstap-ready"), b"").map_err(|e| errors::io(&root, "write", &e))?;
    Ok(kdir)
}

/// The image package's `./boot`, and the bootable image; returns the image
/// as read when it was read here (so the profile need not decompress again).
fn fetch_image(
    kver: &str,
    deb_arch: &str,
    base: &Path,
    debs: &Path,
) -> Result<(PathBuf, PathBuf, Option<image::ImageInfo>), Diagnostic> {
    let boot = base.join("boot");
    let vmlinuz = boot.join(format!("vmlinuz-{kver}"));
    let bootable = if deb_arch == "amd64" || deb_arch == "i386" {
        boot.join(format!("vmlinux-{kver}"))
    } else {
        boot.join(format!("Image-{kver}"))
    };
    if base.join(".xstap-boot-ready").is_file() {
        return Ok((vmlinuz, bootable, None));
    }
    let ipkg = format!("linux-image-{kver}:{deb_arch}");
    let deb = download(debs, &ipkg)?;
    let _ = fs::remove_dir_all(&boot);
    // Only ./boot: the modules (300-400 MB unpacked) are not needed.
    if unpack_boot(&deb, base).is_err() {
        // A cached .deb from an interrupted download: fetch it again once.
        let _ = fs::remove_file(&deb);
        let _ = fs::remove_dir_all(&boot);
        unpack_boot(&download(debs, &ipkg)?, base)?;
    }
    if !vmlinuz.is_file() {
        return Err(errors::fetch(
            format!("linux-image-{kver} has no boot/vmlinuz-{kver}"),
            "this package does not look like a Debian kernel image",
        ));
    }
    // An arm64 Image that is not compressed is bootable as is: link it.
    let raw_arm64 = fs::read(&vmlinuz)
        .ok()
        .is_some_and(|d| d.get(0x38..0x3c) == Some(b"ARM\x64"));
    let info = if raw_arm64 {
        let _ = fs::remove_file(&bootable);
        std::os::unix::fs::symlink(format!("vmlinuz-{kver}"), &bootable)
            .map_err(|e| errors::io(&bootable, "create", &e))?;
        None
    } else {
        Some(image::write_bootable(&vmlinuz, &bootable)?)
    };
    fs::write(base.join(".xstap-boot-ready"), b"").map_err(|e| errors::io(base, "write", &e))?;
    Ok((vmlinuz, bootable, info))
}

/// `dpkg-deb --fsys-tarfile DEB | tar -x -C BASE ./boot`.
fn unpack_boot(deb: &Path, base: &Path) -> Result<(), Diagnostic> {
    let help = "the .deb may be damaged; remove it and retry";
    let mut dpkg = Command::new("dpkg-deb")
        .arg("--fsys-tarfile")
        .arg(deb)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| errors::fetch(format!("cannot run dpkg-deb: {e}"), help))?;
    let Some(pipe) = dpkg.stdout.take() else {
        return Err(Diagnostic::bug("dpkg-deb has no stdout pipe"));
    };
    let tar = run(
        Command::new("tar")
            .arg("-x")
            .arg("-C")
            .arg(base)
            .arg("./boot")
            .stdin(pipe),
        "tar -x ./boot",
        help,
    );
    let status = dpkg
        .wait()
        .map_err(|e| errors::fetch(format!("dpkg-deb: {e}"), help))?;
    tar?;
    if !status.success() {
        return Err(errors::fetch(
            format!(
                "dpkg-deb --fsys-tarfile {} failed ({status})",
                deb.display()
            ),
            help,
        ));
    }
    Ok(())
}

/// Fetch `kver` (`6.1.0-56-arm64`, no `debian:` prefix) into `home` and add
/// its profile. Idempotent: what is already there is reused.
pub fn fetch_debian(kver: &str, home: &Path) -> Result<FetchedKernel, Diagnostic> {
    let t0 = Instant::now();
    if !crate::store::valid_release(kver) {
        return Err(errors::fetch(
            format!("`{kver}` is not a kernel release"),
            "give e.g. `debian:6.1.0-56-amd64`",
        ));
    }
    let deb_arch = deb_arch_of(kver).ok_or_else(|| {
        errors::fetch(
            format!("cannot tell the architecture of `{kver}`"),
            "Debian releases end in a flavour: -amd64, -cloud-amd64, -rt-amd64, -arm64, -686-pae, ...",
        )
    })?;
    let base = home.join("kernels").join(kver);
    let debs = base.join("debs");
    fs::create_dir_all(&debs).map_err(|e| errors::io(&debs, "create", &e))?;
    let _lock = Lock::take(home.join("kernels").join(format!(".{kver}.lock")))?;
    let cached =
        base.join("root/.xstap-ready").is_file() && base.join(".xstap-boot-ready").is_file();
    if !cached {
        let host = host_deb_arch()?;
        ensure_arch(deb_arch, &host)?;
        fetch_headers(kver, deb_arch, &host, &base, &debs)?;
    }
    let kdir = base.join(format!("root/usr/src/linux-headers-{kver}"));
    let (vmlinuz, bootable, info) = fetch_image(kver, deb_arch, &base, &debs)?;
    let store = Store::new(home);
    let profile = match store.load(kver) {
        Ok(p)
            if cached
                && p.meta.build_tree.as_deref() == fs::canonicalize(&kdir).ok().as_deref() =>
        {
            p
        }
        _ => add_fetched(&store, &kdir, &vmlinuz, &bootable, info)?,
    };
    if !cached {
        // Everything is unpacked: the .debs (80-110 MB) are not needed again.
        let _ = fs::remove_dir_all(&debs);
    }
    let arch = profile.meta.arch.clone();
    Ok(FetchedKernel {
        release: kver.to_string(),
        arch,
        deb_arch: deb_arch.to_string(),
        kdir,
        vmlinuz,
        bootable_image: bootable,
        profile_dir: profile.dir().map(Path::to_path_buf).unwrap_or_default(),
        btf: profile.btf_path(),
        elapsed: t0.elapsed(),
        cached,
    })
}

fn add_fetched(
    store: &Store,
    kdir: &Path,
    vmlinuz: &Path,
    bootable: &Path,
    info: Option<image::ImageInfo>,
) -> Result<Profile, Diagnostic> {
    let mut read = tree::read_with(kdir, Some(vmlinuz), info)?;
    read.profile.meta.bootable_image = Some(bootable.to_path_buf());
    store.save(&read.profile)
}
