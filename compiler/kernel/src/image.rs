//! Kernel images: find the architecture and the BTF blob of an ELF
//! `vmlinux`, an x86 bzImage (xz, zstd, gzip, lz4 or lzma payload, which is an ELF
//! `vmlinux`), an arm64 `Image` (raw, gzip'ed, or EFI zboot; it has no
//! section table, so the BTF blob is found by scanning for a
//! self-consistent BTF header), or a raw BTF blob; and write an image qemu
//! can boot directly (x86: the uncompressed `vmlinux`, via PVH; arm64: the
//! raw `Image`).
//!
//! Invariant: corrupt or truncated input gives `E0305`/`E0306`, never a
//! panic; all offsets read from headers are bounds checked.

use std::fs;
use std::io::Read;
use std::path::Path;

use diag::Diagnostic;
use object::{Object, ObjectSection};

use crate::model::Arch;
use crate::{btf, errors};

/// What an image is, as far as xstap cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    Elf,
    BzImage,
    Arm64Image,
    EfiZboot,
    Gzip,
    RawBtf,
}

/// An image read by [`read_image`].
#[derive(Debug)]
pub struct ImageInfo {
    pub kind: ImageKind,
    /// `None` for a raw BTF blob.
    pub arch: Option<Arch>,
    /// `xz`, `zstd`, `gzip` when the payload was compressed.
    pub compression: Option<&'static str>,
    /// The BTF blob and how it was found.
    pub btf: Option<(Vec<u8>, String)>,
    /// The image is bootable by qemu as is (ELF vmlinux, raw arm64 Image).
    pub directly_bootable: bool,
    /// The decompressed kernel (bzImage payload, gunzipped Image), when it
    /// differs from the file: what [`write_bootable`] writes.
    pub payload: Option<Vec<u8>>,
}

fn u32le(d: &[u8], o: usize) -> Option<u32> {
    d.get(o..o.checked_add(4)?)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn decompress(path: &Path, data: &[u8]) -> Result<(Vec<u8>, &'static str), Diagnostic> {
    let bad = |what: &str, e: String| errors::bad_image(path, format!("{what} payload: {e}"));
    let mut out = Vec::with_capacity(data.len() * 5);
    if data.starts_with(b"\xfd7zXZ\x00") {
        let out = crate::xz::decompress(data).map_err(|e| bad("xz", e))?;
        Ok((out, "xz"))
    } else if data.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        let mut src = data;
        let mut dec = ruzstd::decoding::StreamingDecoder::new(&mut src)
            .map_err(|e| bad("zstd", e.to_string()))?;
        dec.read_to_end(&mut out)
            .map_err(|e| bad("zstd", e.to_string()))?;
        Ok((out, "zstd"))
    } else if data.starts_with(&[0x1f, 0x8b]) {
        let mut dec = flate2::read::GzDecoder::new(data);
        dec.read_to_end(&mut out)
            .map_err(|e| bad("gzip", e.to_string()))?;
        Ok((out, "gzip"))
    } else if data.starts_with(&[0x02, 0x21, 0x4c, 0x18]) {
        let out = crate::lz4::decompress_legacy(data).map_err(|e| bad("lz4", e))?;
        Ok((out, "lz4"))
    } else if data.starts_with(&[0x5d, 0x00, 0x00]) {
        let mut r = std::io::BufReader::new(data);
        lzma_rs::lzma_decompress(&mut r, &mut out).map_err(|e| bad("lzma", e.to_string()))?;
        Ok((out, "lzma"))
    } else {
        let magic: Vec<String> = data.iter().take(6).map(|b| format!("{b:02x}")).collect();
        Err(errors::bad_image(
            path,
            format!(
                "unsupported compression (magic {}); xstap reads xz, zstd, gzip, lz4 and lzma",
                magic.join(" ")
            ),
        ))
    }
}

fn elf_arch(machine: object::Architecture) -> Arch {
    use object::Architecture as A;
    match machine {
        A::X86_64 | A::X86_64_X32 => Arch::X86_64,
        A::I386 => Arch::I386,
        A::Aarch64 | A::Aarch64_Ilp32 => Arch::Arm64,
        A::Arm => Arch::Arm,
        A::PowerPc | A::PowerPc64 => Arch::Powerpc,
        A::S390x => Arch::S390,
        A::Riscv32 | A::Riscv64 => Arch::Riscv,
        A::Mips | A::Mips64 => Arch::Mips,
        A::Sparc | A::Sparc64 => Arch::Sparc,
        A::LoongArch64 => Arch::Loongarch,
        other => Arch::Other(format!("{other:?}").to_ascii_lowercase()),
    }
}

/// Read an ELF file's arch and `.BTF` section.
/// A BTF blob and how it was found.
type FoundBtf = Option<(Vec<u8>, String)>;

fn read_elf(path: &Path, data: &[u8]) -> Result<(Arch, FoundBtf), Diagnostic> {
    let f =
        object::File::parse(data).map_err(|e| errors::bad_image(path, format!("bad ELF: {e}")))?;
    let arch = elf_arch(f.architecture());
    let btf = match f.section_by_name(".BTF") {
        Some(s) => {
            let d = s
                .data()
                .map_err(|e| errors::bad_btf(&path.display().to_string(), e.to_string()))?;
            Some((d.to_vec(), "ELF .BTF section".to_string()))
        }
        None => None,
    };
    Ok((arch, btf))
}

/// Find the largest self-consistent BTF blob in a raw image (arm64 `Image`
/// has no section table).
pub fn scan_btf(data: &[u8]) -> Option<(usize, usize)> {
    let mut best: Option<(usize, usize)> = None;
    let mut pos = 0;
    while let Some(i) = data[pos..]
        .windows(4)
        .position(|w| w == [0x9f, 0xeb, 0x01, 0x00])
    {
        let at = pos + i;
        let d = &data[at..];
        if let Some(total) = btf::blob_len(d) {
            let hdr = u32le(d, 4).unwrap_or(0) as usize;
            let str_off = u32le(d, 16).unwrap_or(0) as usize;
            if total <= d.len()
                && d[hdr + str_off] == 0
                && d[total - 1] == 0
                && best.is_none_or(|b| total > b.1)
            {
                best = Some((at, total));
            }
        }
        pos = at + 1;
    }
    best
}

fn is_arm64_image(d: &[u8]) -> bool {
    d.get(0x38..0x3c) == Some(b"ARM\x64")
}

/// Read a kernel image (see the module doc for the formats).
pub fn read_image(path: &Path) -> Result<ImageInfo, Diagnostic> {
    let data = fs::read(path).map_err(|e| errors::bad_image(path, e.to_string()))?;
    read_image_bytes(path, &data)
}

/// [`read_image`] on bytes already in memory (`path` names them).
pub fn read_image_bytes(path: &Path, data: &[u8]) -> Result<ImageInfo, Diagnostic> {
    if btf::is_btf(data) {
        return Ok(ImageInfo {
            kind: ImageKind::RawBtf,
            arch: None,
            compression: None,
            btf: Some((data.to_vec(), "raw BTF blob".to_string())),
            directly_bootable: false,
            payload: None,
        });
    }
    if data.len() < 64 {
        return Err(errors::bad_image(
            path,
            format!("only {} bytes", data.len()),
        ));
    }
    if data.starts_with(b"\x7fELF") {
        let (arch, btf) = read_elf(path, data)?;
        return Ok(ImageInfo {
            kind: ImageKind::Elf,
            arch: Some(arch),
            compression: None,
            btf,
            directly_bootable: true,
            payload: None,
        });
    }
    let (kind, payload, compression) = if data.get(0x202..0x206) == Some(b"HdrS") {
        // x86 boot protocol: setup_sects at 0x1f1, payload_offset/length at 0x248.
        let setup_sects = match data[0x1f1] {
            0 => 4,
            n => n as usize,
        };
        let (Some(poff), Some(plen)) = (u32le(data, 0x248), u32le(data, 0x24c)) else {
            return Err(errors::bad_image(path, "truncated bzImage header"));
        };
        let start = (setup_sects + 1) * 512 + poff as usize;
        let Some(p) = data.get(start..start.saturating_add(plen as usize)) else {
            return Err(errors::bad_image(
                path,
                "bzImage payload lies outside the file (truncated?)",
            ));
        };
        let (out, c) = decompress(path, p)?;
        (ImageKind::BzImage, Some(out), Some(c))
    } else if data.starts_with(b"MZ") && data.get(4..8) == Some(b"zimg") {
        let (Some(poff), Some(plen)) = (u32le(data, 8), u32le(data, 12)) else {
            return Err(errors::bad_image(path, "truncated EFI zboot header"));
        };
        let Some(p) = data.get(poff as usize..(poff as usize).saturating_add(plen as usize)) else {
            return Err(errors::bad_image(
                path,
                "EFI zboot payload lies outside the file (truncated?)",
            ));
        };
        let (out, c) = decompress(path, p)?;
        (ImageKind::EfiZboot, Some(out), Some(c))
    } else if data.starts_with(&[0x1f, 0x8b]) {
        let (out, c) = decompress(path, data)?;
        (ImageKind::Gzip, Some(out), Some(c))
    } else if is_arm64_image(data) {
        (ImageKind::Arm64Image, None, None)
    } else {
        return Err(errors::bad_image(
            path,
            "not an ELF vmlinux, x86 bzImage, arm64 Image (raw, gzip or EFI zboot) or BTF blob",
        ));
    };
    let kernel: &[u8] = payload.as_deref().unwrap_or(data);
    let (arch, btf) = if kernel.starts_with(b"\x7fELF") {
        let (a, b) = read_elf(path, kernel)?;
        (Some(a), b)
    } else if is_arm64_image(kernel) {
        let b = scan_btf(kernel).map(|(o, n)| {
            (
                kernel[o..o + n].to_vec(),
                "raw scan for a BTF header".to_string(),
            )
        });
        (Some(Arch::Arm64), b)
    } else {
        return Err(errors::bad_image(
            path,
            "the decompressed payload is neither an ELF vmlinux nor an arm64 Image",
        ));
    };
    Ok(ImageInfo {
        kind,
        arch,
        compression,
        btf,
        directly_bootable: kind == ImageKind::Arm64Image,
        payload,
    })
}

/// Write an image qemu boots directly to `out`: the decompressed payload
/// (x86 `vmlinux` for PVH, gunzipped arm64 `Image`), or a copy of an image
/// that is already bootable. Returns what was read of the image (its arch,
/// BTF, ...), without the payload.
pub fn write_bootable(image: &Path, out: &Path) -> Result<ImageInfo, Diagnostic> {
    let data = fs::read(image).map_err(|e| errors::bad_image(image, e.to_string()))?;
    let mut info = read_image_bytes(image, &data)?;
    let bytes: &[u8] = match (&info.payload, info.directly_bootable) {
        (Some(p), _) => p,
        (None, true) => &data,
        (None, false) => return Err(errors::bad_image(image, "not a bootable kernel image")),
    };
    fs::write(out, bytes).map_err(|e| errors::io(out, "write", &e))?;
    info.payload = None;
    Ok(info)
}
