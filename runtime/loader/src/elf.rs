//! Just enough ELF to check a `.ko` before the kernel sees it: the header
//! (class, byte order, type, machine), the section table (every section
//! must lie inside the file: this catches truncated files), and `.modinfo`
//! (`name=`, `vermagic=`). Pure: works on a byte slice, never panics on bad
//! input (every offset is bounds-checked).

use crate::msg::{codes, Msg};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KoInfo {
    pub machine: u16,
    pub is64: bool,
    pub little_endian: bool,
    /// `name=` from .modinfo (the name the kernel will give the module).
    pub name: Option<String>,
    /// `vermagic=` from .modinfo, e.g. "6.1.0-56-amd64 SMP preempt mod_unload modversions ".
    pub vermagic: Option<String>,
    /// Every `key=value` of .modinfo, in file order.
    pub modinfo: Vec<(String, String)>,
}

impl KoInfo {
    /// The kernel release the module was built for: the first word of vermagic.
    pub fn release(&self) -> Option<&str> {
        self.vermagic
            .as_deref()
            .and_then(|v| v.split_whitespace().next())
    }
}

pub const EM_386: u16 = 3;
pub const EM_ARM: u16 = 40;
pub const EM_X86_64: u16 = 62;
pub const EM_AARCH64: u16 = 183;
pub const EM_RISCV: u16 = 243;
pub const EM_PPC64: u16 = 21;
pub const EM_S390: u16 = 22;

/// A readable name of an ELF machine, as `uname -m` would say it.
pub fn machine_name(m: u16) -> String {
    match m {
        EM_386 => "i386".into(),
        EM_ARM => "arm".into(),
        EM_X86_64 => "x86_64".into(),
        EM_AARCH64 => "aarch64".into(),
        EM_RISCV => "riscv".into(),
        EM_PPC64 => "ppc64".into(),
        EM_S390 => "s390".into(),
        8 => "mips".into(),
        258 => "loongarch".into(),
        other => format!("ELF machine {other}"),
    }
}

/// Whether a module for ELF machine `m` can run on a kernel whose
/// `uname -m` is `uname_m`.
pub fn machine_matches(m: u16, uname_m: &str) -> bool {
    match m {
        EM_X86_64 => uname_m == "x86_64",
        EM_AARCH64 => uname_m == "aarch64" || uname_m == "arm64",
        EM_386 => matches!(uname_m, "i386" | "i486" | "i586" | "i686"),
        EM_ARM => uname_m.starts_with("arm"),
        EM_RISCV => uname_m.starts_with("riscv"),
        EM_PPC64 => uname_m.starts_with("ppc64"),
        EM_S390 => uname_m.starts_with("s390"),
        8 => uname_m.starts_with("mips"),
        258 => uname_m.starts_with("loongarch"),
        _ => false,
    }
}

/// The ELF machine a kernel with this `uname -m` expects, if known.
pub fn machine_of_uname(uname_m: &str) -> Option<u16> {
    [
        EM_X86_64, EM_AARCH64, EM_386, EM_ARM, EM_RISCV, EM_PPC64, EM_S390, 8, 258,
    ]
    .into_iter()
    .find(|m| machine_matches(*m, uname_m))
}

struct Reader<'a> {
    b: &'a [u8],
    le: bool,
}

impl Reader<'_> {
    fn bytes<const N: usize>(&self, off: u64) -> Option<[u8; N]> {
        let off = usize::try_from(off).ok()?;
        self.b.get(off..off.checked_add(N)?)?.try_into().ok()
    }
    fn u16(&self, off: u64) -> Option<u16> {
        let a = self.bytes::<2>(off)?;
        Some(if self.le {
            u16::from_le_bytes(a)
        } else {
            u16::from_be_bytes(a)
        })
    }
    fn u32(&self, off: u64) -> Option<u32> {
        let a = self.bytes::<4>(off)?;
        Some(if self.le {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        })
    }
    fn u64(&self, off: u64) -> Option<u64> {
        let a = self.bytes::<8>(off)?;
        Some(if self.le {
            u64::from_le_bytes(a)
        } else {
            u64::from_be_bytes(a)
        })
    }
}

fn not_a_module(path: &str, why: impl Into<String>) -> Msg {
    Msg::error(codes::NOT_A_MODULE, format!("`{path}` is not a loadable kernel module"))
        .note(why)
        .help("give the .ko that `xstap -p4` (or kbuild) produced; if it was copied, copy it again (a partial copy is truncated)")
}

/// Check `bytes` (the content of the file at `path`) as a kernel module.
pub fn inspect(path: &str, bytes: &[u8]) -> Result<KoInfo, Msg> {
    if bytes.len() < 4 || &bytes[..4] != b"\x7fELF" {
        let what = if bytes.is_empty() {
            "the file is empty".to_string()
        } else {
            "it does not start with the ELF magic bytes 7f 45 4c 46".to_string()
        };
        return Err(not_a_module(path, what));
    }
    let is64 = match bytes.get(4) {
        Some(1) => false,
        Some(2) => true,
        _ => {
            return Err(not_a_module(
                path,
                "the ELF header is cut short or has an unknown class",
            ))
        }
    };
    let le = match bytes.get(5) {
        Some(1) => true,
        Some(2) => false,
        _ => {
            return Err(not_a_module(
                path,
                "the ELF header is cut short or has an unknown byte order",
            ))
        }
    };
    let r = Reader { b: bytes, le };
    let ehsize: u64 = if is64 { 64 } else { 52 };
    if (bytes.len() as u64) < ehsize {
        return Err(not_a_module(
            path,
            format!(
                "the file is truncated: {} bytes, shorter than an ELF header",
                bytes.len()
            ),
        ));
    }
    let e_type = r.u16(16).unwrap_or(0);
    let machine = r.u16(18).unwrap_or(0);
    if e_type != 1 {
        return Err(not_a_module(path, format!("it is an ELF file of type {e_type} ({}), a module is a relocatable object (type 1)", match e_type { 2 => "an executable", 3 => "a shared object or PIE", 4 => "a core dump", _ => "unknown" })));
    }
    let (shoff, shentsize, shnum, shstrndx) = if is64 {
        (
            r.u64(0x28).unwrap_or(0),
            r.u16(0x3a).unwrap_or(0),
            r.u16(0x3c).unwrap_or(0),
            r.u16(0x3e).unwrap_or(0),
        )
    } else {
        (
            r.u32(0x20).unwrap_or(0) as u64,
            r.u16(0x2e).unwrap_or(0),
            r.u16(0x30).unwrap_or(0),
            r.u16(0x32).unwrap_or(0),
        )
    };
    let len = bytes.len() as u64;
    let need_ent: u16 = if is64 { 64 } else { 40 };
    if shnum == 0 || shentsize < need_ent {
        return Err(not_a_module(path, "it has no section table"));
    }
    let table_end = shoff.saturating_add(shnum as u64 * shentsize as u64);
    if table_end > len {
        return Err(not_a_module(path, format!("the file is truncated: it has {len} bytes, its section table ends at byte {table_end}")));
    }
    struct Sec {
        name: u32,
        kind: u32,
        off: u64,
        size: u64,
    }
    let mut secs = Vec::with_capacity(shnum as usize);
    for i in 0..shnum as u64 {
        let h = shoff + i * shentsize as u64;
        let s = if is64 {
            Sec {
                name: r.u32(h).unwrap_or(0),
                kind: r.u32(h + 4).unwrap_or(0),
                off: r.u64(h + 0x18).unwrap_or(0),
                size: r.u64(h + 0x20).unwrap_or(0),
            }
        } else {
            Sec {
                name: r.u32(h).unwrap_or(0),
                kind: r.u32(h + 4).unwrap_or(0),
                off: r.u32(h + 0x10).unwrap_or(0) as u64,
                size: r.u32(h + 0x14).unwrap_or(0) as u64,
            }
        };
        const SHT_NOBITS: u32 = 8;
        if s.kind != SHT_NOBITS && s.kind != 0 && s.off.saturating_add(s.size) > len {
            return Err(not_a_module(
                path,
                format!(
                    "the file is truncated: it has {len} bytes, section {i} ends at byte {}",
                    s.off.saturating_add(s.size)
                ),
            ));
        }
        secs.push(s);
    }
    let strtab = secs
        .get(shstrndx as usize)
        .ok_or_else(|| not_a_module(path, "its section-name table index is out of range"))?;
    let (str_off, str_size) = (strtab.off, strtab.size);
    let sec_name = |s: &Sec| -> &[u8] {
        let start = str_off.saturating_add(s.name as u64);
        if s.name as u64 >= str_size {
            return b"";
        }
        let rest = &bytes[start as usize..(str_off + str_size) as usize];
        &rest[..rest.iter().position(|c| *c == 0).unwrap_or(rest.len())]
    };
    let find = |n: &[u8]| secs.iter().find(|s| sec_name(s) == n);
    let Some(modinfo) = find(b".modinfo") else {
        return Err(not_a_module(
            path,
            "it has no .modinfo section (an object file, not a linked .ko?)",
        ));
    };
    if find(b".gnu.linkonce.this_module").is_none() {
        return Err(not_a_module(
            path,
            "it has no .gnu.linkonce.this_module section (an object file, not a linked .ko?)",
        ));
    }
    let data = &bytes[modinfo.off as usize..(modinfo.off + modinfo.size) as usize];
    let mut info = KoInfo {
        machine,
        is64,
        little_endian: le,
        name: None,
        vermagic: None,
        modinfo: Vec::new(),
    };
    for entry in data.split(|c| *c == 0) {
        let Ok(text) = std::str::from_utf8(entry) else {
            continue;
        };
        if let Some((k, v)) = text.split_once('=') {
            match k {
                "name" => info.name = Some(v.to_string()),
                "vermagic" => info.vermagic = Some(v.to_string()),
                _ => {}
            }
            info.modinfo.push((k.to_string(), v.to_string()));
        }
    }
    if info.vermagic.is_none() {
        return Err(not_a_module(
            path,
            "its .modinfo has no vermagic= entry (it was not built by kbuild)",
        ));
    }
    Ok(info)
}

/// The module name the kernel will use: `name=` from .modinfo, else the
/// file's stem with '-' turned into '_' (as kbuild does).
pub fn module_name(path: &str, info: &KoInfo) -> String {
    if let Some(n) = &info.name {
        return n.clone();
    }
    let file = path.rsplit('/').next().unwrap_or(path);
    file.strip_suffix(".ko").unwrap_or(file).replace('-', "_")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A minimal ELF64 little-endian relocatable with the given sections.
    pub fn make_ko(machine: u16, sections: &[(&str, &[u8])]) -> Vec<u8> {
        let mut shstr = vec![0u8];
        let mut names = Vec::new();
        for (n, _) in sections.iter().copied().chain([(".shstrtab", &[][..])]) {
            names.push(shstr.len() as u32);
            shstr.extend_from_slice(n.as_bytes());
            shstr.push(0);
        }
        let mut out = vec![0u8; 64];
        let mut offs = Vec::new();
        for (_, d) in sections {
            offs.push(out.len() as u64);
            out.extend_from_slice(d);
        }
        let shstr_off = out.len() as u64;
        out.extend_from_slice(&shstr);
        while !out.len().is_multiple_of(8) {
            out.push(0);
        }
        let shoff = out.len() as u64;
        let nsec = sections.len() + 2; // null + sections + shstrtab
        out.extend_from_slice(&[0u8; 64]);
        for (i, (_, d)) in sections.iter().enumerate() {
            let mut h = [0u8; 64];
            h[0..4].copy_from_slice(&names[i].to_le_bytes());
            h[4..8].copy_from_slice(&1u32.to_le_bytes());
            h[0x18..0x20].copy_from_slice(&offs[i].to_le_bytes());
            h[0x20..0x28].copy_from_slice(&(d.len() as u64).to_le_bytes());
            out.extend_from_slice(&h);
        }
        let mut h = [0u8; 64];
        h[0..4].copy_from_slice(&names[sections.len()].to_le_bytes());
        h[4..8].copy_from_slice(&3u32.to_le_bytes());
        h[0x18..0x20].copy_from_slice(&shstr_off.to_le_bytes());
        h[0x20..0x28].copy_from_slice(&(shstr.len() as u64).to_le_bytes());
        out.extend_from_slice(&h);
        out[..4].copy_from_slice(b"\x7fELF");
        out[4] = 2;
        out[5] = 1;
        out[6] = 1;
        out[16..18].copy_from_slice(&1u16.to_le_bytes());
        out[18..20].copy_from_slice(&machine.to_le_bytes());
        out[0x28..0x30].copy_from_slice(&shoff.to_le_bytes());
        out[0x3a..0x3c].copy_from_slice(&64u16.to_le_bytes());
        out[0x3c..0x3e].copy_from_slice(&(nsec as u16).to_le_bytes());
        out[0x3e..0x40].copy_from_slice(&((nsec - 1) as u16).to_le_bytes());
        out
    }

    pub fn good_ko(machine: u16, vermagic: &str) -> Vec<u8> {
        let modinfo = format!("license=GPL\0name=xs_test\0vermagic={vermagic}\0");
        make_ko(
            machine,
            &[
                (".text", b"\xc3"),
                (".modinfo", modinfo.as_bytes()),
                (".gnu.linkonce.this_module", &[0u8; 32]),
            ],
        )
    }

    #[test]
    fn reads_modinfo() {
        let ko = good_ko(
            EM_AARCH64,
            "6.1.0-56-arm64 SMP mod_unload modversions aarch64",
        );
        let i = inspect("x.ko", &ko).unwrap();
        assert_eq!(i.machine, EM_AARCH64);
        assert_eq!(i.release(), Some("6.1.0-56-arm64"));
        assert_eq!(module_name("dir/x-y.ko", &i), "xs_test");
        assert!(machine_matches(i.machine, "aarch64") && !machine_matches(i.machine, "x86_64"));
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let ko = good_ko(
            EM_X86_64,
            "6.1.0-56-amd64 SMP preempt mod_unload modversions ",
        );
        for cut in 0..ko.len() {
            let e = inspect("x.ko", &ko[..cut]).expect_err("truncated file accepted");
            assert_eq!(e.code, codes::NOT_A_MODULE);
        }
        // Flipping any single byte never panics.
        for i in 0..ko.len() {
            let mut b = ko.clone();
            b[i] ^= 0xff;
            let _ = inspect("x.ko", &b);
        }
    }

    #[test]
    fn explains_what_is_wrong() {
        let e = inspect("x.ko", b"#!/bin/sh\necho hi\n").unwrap_err();
        assert!(e.notes[0].contains("ELF magic"), "{e}");
        let no_modinfo = make_ko(EM_X86_64, &[(".text", b"\xc3")]);
        assert!(inspect("x.o", &no_modinfo).unwrap_err().notes[0].contains(".modinfo"));
        let ko = good_ko(EM_X86_64, "6.1");
        let e = inspect("x.ko", &ko[..ko.len() - 10]).unwrap_err();
        assert!(e.notes[0].contains("truncated"), "{e}");
    }
}
