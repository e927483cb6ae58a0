//! Explanations of everything that can stop a module from loading: the
//! pre-load checks (architecture, kernel release) and each errno that
//! `finit_module` returns, as measured on Debian 6.1 and 6.12 kernels (see
//! the loader chapter of the book). Pure: builds [`Msg`]s from facts.

use crate::elf::{machine_name, KoInfo};
use crate::msg::{codes, Msg};

/// What the loader knows when it explains a failure.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    pub path: String,
    pub name: String,
    /// `uname -r` and `uname -m` of this machine.
    pub release: String,
    pub machine: String,
    /// The release the module was built for (first word of its vermagic).
    pub built_for: Option<String>,
    /// Kernel log lines printed during the load attempt.
    pub kernel_log: Vec<String>,
}

fn rebuild_help(f: &Facts) -> String {
    format!(
        "rebuild the module for this kernel on the build host: `xstap -r {} -m {} SCRIPT -p4`",
        f.release, f.name
    )
}

/// Checks before loading: refuse a module for another arch or kernel.
pub fn precheck(info: &KoInfo, f: &Facts) -> Result<(), Msg> {
    if !crate::elf::machine_matches(info.machine, &f.machine) {
        return Err(Msg::error(
            codes::WRONG_ARCH,
            format!(
                "`{}` was built for {}, but this machine is {}",
                f.path,
                machine_name(info.machine),
                f.machine
            ),
        )
        .note(format!(
            "the module was built for kernel {}",
            info.release().unwrap_or("?")
        ))
        .help(rebuild_help(f)));
    }
    let built = info.release().unwrap_or("");
    if built != f.release {
        return Err(Msg::error(
            codes::WRONG_KERNEL,
            format!("`{}` was built for kernel {built}, but this kernel is {}", f.path, f.release),
        )
        .note(format!("module vermagic: `{}`", info.vermagic.as_deref().unwrap_or("").trim_end()))
        .note("a module only loads on the kernel release (`uname -r`) it was built for: the unit of compatibility is the ABI name, e.g. 6.1.0-47-amd64 and 6.1.0-56-amd64 differ; xstap-run never force-loads")
        .help(rebuild_help(f)));
    }
    Ok(())
}

fn with_log(mut m: Msg, f: &Facts) -> Msg {
    if !f.kernel_log.is_empty() {
        m = m.note(format!("the kernel said:\n{}", f.kernel_log.join("\n")));
    }
    m
}

/// Explain a `finit_module` failure.
pub fn load_error(errno: i32, f: &Facts) -> Msg {
    let log = f.kernel_log.join("\n");
    let m = match errno {
        libc::ENOEXEC => {
            let m = Msg::error(
                codes::KERNEL_REJECTED_FORMAT,
                format!("the kernel rejected `{}` as not matching it (ENOEXEC)", f.path),
            );
            let why = if log.contains("disagrees about version of symbol") {
                "the module was built against other kernel headers (a symbol's CRC differs: modversions), although its vermagic names this release; the build tree on the host is not the one of this kernel build"
            } else if log.contains("Invalid architecture") {
                "the module is for another CPU architecture"
            } else if log.contains("struct module size") {
                "the module was built for another kernel version (struct module differs)"
            } else if log.contains("version magic") {
                "the module's vermagic does not match this kernel's configuration"
            } else if log.contains("section header") || log.contains("Invalid ELF") {
                "the file is damaged (truncated or corrupt)"
            } else {
                "the module does not fit this kernel (vermagic, modversions or ELF layout)"
            };
            m.note(why).help(rebuild_help(f))
        }
        libc::EEXIST => Msg::error(codes::ALREADY_LOADED, format!("a module named `{}` is already loaded", f.name))
            .note("another xstap-run may be running it, or it was left running with -L")
            .help(format!("stop it with `xstap-run -d {}`, or give this build another name with `xstap -m NAME`", f.name)),
        libc::ENOENT if log.contains("Unknown symbol") => Msg::error(
            codes::UNKNOWN_SYMBOL,
            format!("`{}` needs a kernel symbol that this kernel does not export", f.path),
        )
        .help(rebuild_help(f)),
        libc::EKEYREJECTED | libc::ENOKEY | libc::EKEYEXPIRED | libc::EKEYREVOKED | libc::EBADMSG => Msg::error(
            codes::SIGNATURE,
            format!("the kernel refused `{}`: module signatures are enforced and it is not signed with a trusted key", f.path),
        )
        .note("this kernel runs with module.sig_enforce=1 (or CONFIG_MODULE_SIG_FORCE)")
        .help("sign the module with a key the kernel trusts: `KDIR/scripts/sign-file sha256 key.priv key.x509 MODULE.ko` (the key must be built in or enrolled as a MOK)"),
        libc::EPERM => {
            let m = Msg::error(codes::NOT_PERMITTED, format!("the kernel does not permit loading `{}` (EPERM)", f.path));
            if log.contains("Lockdown") || log.contains("lockdown") {
                m.note("the kernel is locked down (lockdown=integrity, usually because of UEFI Secure Boot): unsigned modules are refused")
                    .help("sign the module with a key enrolled as a MOK (mokutil --import), or disable Secure Boot")
            } else if unsafe { libc::geteuid() } != 0 {
                m.note("loading modules needs root (CAP_SYS_MODULE)").help("run xstap-run as root")
            } else {
                m.note("module loading is disabled (kernel.modules_disabled=1), or lockdown is active")
                    .help("module loading cannot be re-enabled until reboot; check /proc/sys/kernel/modules_disabled and /sys/kernel/security/lockdown")
            }
        }
        libc::ENOSYS => Msg::error(codes::NO_MODULES, "this kernel cannot load modules (ENOSYS: built without CONFIG_MODULES)")
            .help("run the script on a kernel with module support"),
        e => Msg::error(
            codes::INIT_FAILED,
            format!("the module's initialisation failed: {} ({})", errno_name(e), std::io::Error::from_raw_os_error(e)),
        )
        .note("the module was loaded, its init function returned an error, and the kernel unloaded it again")
        .help("read the kernel's message above; a probe point that this kernel cannot probe is the usual cause"),
    };
    with_log(m, f)
}

pub fn errno_name(e: i32) -> &'static str {
    match e {
        libc::EPERM => "EPERM",
        libc::ENOENT => "ENOENT",
        libc::ENOEXEC => "ENOEXEC",
        libc::EAGAIN => "EAGAIN",
        libc::ENOMEM => "ENOMEM",
        libc::EACCES => "EACCES",
        libc::EFAULT => "EFAULT",
        libc::EBUSY => "EBUSY",
        libc::EEXIST => "EEXIST",
        libc::ENODEV => "ENODEV",
        libc::EINVAL => "EINVAL",
        libc::ENOSPC => "ENOSPC",
        libc::ENOSYS => "ENOSYS",
        libc::EBADMSG => "EBADMSG",
        libc::EOPNOTSUPP => "EOPNOTSUPP",
        libc::ENOKEY => "ENOKEY",
        libc::EKEYEXPIRED => "EKEYEXPIRED",
        libc::EKEYREVOKED => "EKEYREVOKED",
        libc::EKEYREJECTED => "EKEYREJECTED",
        libc::EIO => "EIO",
        _ => "errno",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::expect;

    fn facts(log: &[&str]) -> Facts {
        Facts {
            path: "m.ko".into(),
            name: "m".into(),
            release: "6.1.0-56-amd64".into(),
            machine: "x86_64".into(),
            built_for: Some("6.1.0-47-amd64".into()),
            kernel_log: log.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// Every errno of the measured table, rendered.
    #[test]
    fn load_errors_render() {
        let cases: &[(i32, &[&str])] = &[
            (libc::ENOEXEC, &["m: disagrees about version of symbol module_layout"]),
            (libc::ENOEXEC, &["Invalid ELF section header overflow"]),
            (libc::EEXIST, &[]),
            (libc::ENOENT, &["m: Unknown symbol tb_no_such_export (err -2)"]),
            (libc::ENOENT, &["register_kprobe(no_such_function_xyz) failed: -2"]),
            (libc::EKEYREJECTED, &["Loading of unsigned module is rejected"]),
            (libc::EPERM, &["Lockdown: xstap-run: unsigned module loading is restricted; see man kernel_lockdown.7"]),
            (libc::ENOSYS, &[]),
            (libc::EINVAL, &["register_kprobe(notify_die) failed: -22"]),
        ];
        let mut out = String::new();
        for (e, log) in cases {
            out += &load_error(*e, &facts(log)).to_string();
        }
        expect![[r#"
            xstap-run: error[E0806]: the kernel rejected `m.ko` as not matching it (ENOEXEC)
              = note: the module was built against other kernel headers (a symbol's CRC differs: modversions), although its vermagic names this release; the build tree on the host is not the one of this kernel build
              = note: the kernel said:
                      m: disagrees about version of symbol module_layout
              = help: rebuild the module for this kernel on the build host: `xstap -r 6.1.0-56-amd64 -m m SCRIPT -p4`
            xstap-run: error[E0806]: the kernel rejected `m.ko` as not matching it (ENOEXEC)
              = note: the file is damaged (truncated or corrupt)
              = note: the kernel said:
                      Invalid ELF section header overflow
              = help: rebuild the module for this kernel on the build host: `xstap -r 6.1.0-56-amd64 -m m SCRIPT -p4`
            xstap-run: error[E0807]: a module named `m` is already loaded
              = note: another xstap-run may be running it, or it was left running with -L
              = help: stop it with `xstap-run -d m`, or give this build another name with `xstap -m NAME`
            xstap-run: error[E0808]: `m.ko` needs a kernel symbol that this kernel does not export
              = note: the kernel said:
                      m: Unknown symbol tb_no_such_export (err -2)
              = help: rebuild the module for this kernel on the build host: `xstap -r 6.1.0-56-amd64 -m m SCRIPT -p4`
            xstap-run: error[E0812]: the module's initialisation failed: ENOENT (No such file or directory (os error 2))
              = note: the module was loaded, its init function returned an error, and the kernel unloaded it again
              = note: the kernel said:
                      register_kprobe(no_such_function_xyz) failed: -2
              = help: read the kernel's message above; a probe point that this kernel cannot probe is the usual cause
            xstap-run: error[E0809]: the kernel refused `m.ko`: module signatures are enforced and it is not signed with a trusted key
              = note: this kernel runs with module.sig_enforce=1 (or CONFIG_MODULE_SIG_FORCE)
              = note: the kernel said:
                      Loading of unsigned module is rejected
              = help: sign the module with a key the kernel trusts: `KDIR/scripts/sign-file sha256 key.priv key.x509 MODULE.ko` (the key must be built in or enrolled as a MOK)
            xstap-run: error[E0810]: the kernel does not permit loading `m.ko` (EPERM)
              = note: the kernel is locked down (lockdown=integrity, usually because of UEFI Secure Boot): unsigned modules are refused
              = note: the kernel said:
                      Lockdown: xstap-run: unsigned module loading is restricted; see man kernel_lockdown.7
              = help: sign the module with a key enrolled as a MOK (mokutil --import), or disable Secure Boot
            xstap-run: error[E0811]: this kernel cannot load modules (ENOSYS: built without CONFIG_MODULES)
              = help: run the script on a kernel with module support
            xstap-run: error[E0812]: the module's initialisation failed: EINVAL (Invalid argument (os error 22))
              = note: the module was loaded, its init function returned an error, and the kernel unloaded it again
              = note: the kernel said:
                      register_kprobe(notify_die) failed: -22
              = help: read the kernel's message above; a probe point that this kernel cannot probe is the usual cause
        "#]]
        .assert_eq(&out);
    }

    #[test]
    fn prechecks() {
        let ko = crate::elf::tests::good_ko(
            crate::elf::EM_AARCH64,
            "6.1.0-56-arm64 SMP mod_unload modversions aarch64",
        );
        let info = crate::elf::inspect("m.ko", &ko).unwrap();
        let e = precheck(&info, &facts(&[])).unwrap_err();
        assert_eq!(e.code, codes::WRONG_ARCH);
        let mut f = facts(&[]);
        f.machine = "aarch64".into();
        let e = precheck(&info, &f).unwrap_err();
        assert_eq!(e.code, codes::WRONG_KERNEL);
        assert!(
            e.to_string()
                .contains("built for kernel 6.1.0-56-arm64, but this kernel is 6.1.0-56-amd64"),
            "{e}"
        );
        assert!(e.to_string().contains("xstap -r 6.1.0-56-amd64"), "{e}");
        f.release = "6.1.0-56-arm64".into();
        assert_eq!(precheck(&info, &f), Ok(()));
    }
}
