//! Reading a kbuild tree (`/lib/modules/KVER/build`, an unpacked Debian
//! `linux-headers-KVER`, a prepared source tree) plus an optional kernel
//! image into a [`NewProfile`]: release, arch, `.config`, `Module.symvers`,
//! the compiler the tree expects, `System.map` when real, BTF (from the
//! tree's own `vmlinux` on 6.12+ Debian headers, else from the image; with
//! no image given, `/sys/kernel/btf/vmlinux` when the tree is the running
//! kernel's, else `/boot/vmlinuz-KVER` when installed), and
//! tracepoint systems from the headers' `include/trace/events/*.h`.
//!
//! Invariant: every file is optional except what kbuild cannot do without
//! (a release, `.config`, `Module.symvers`); a missing optional part becomes a
//! warning beside the profile, never a failure.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use diag::Diagnostic;

use crate::model::{
    Arch, BtfSource, ConfigValue, Counts, ExportedSymbol, MapSymbol, ProfileMeta, Tracepoint, Type,
    FORMAT_VERSION,
};
use crate::store::NewProfile;
use crate::{btf, errors, image};

/// The result of reading a tree: the profile to store plus warnings (no BTF,
/// placeholder System.map, ...).
#[derive(Debug)]
pub struct ReadTree {
    pub profile: NewProfile,
    pub warnings: Vec<Diagnostic>,
}

fn read_opt(p: &Path) -> Option<String> {
    fs::read_to_string(p).ok()
}

/// Value of `#define NAME "value"` in a C header.
fn header_define(text: &str, name: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let rest = l.trim().strip_prefix("#define")?.trim_start();
        let rest = rest.strip_prefix(name)?;
        if !rest.starts_with([' ', '\t']) {
            return None;
        }
        let v = rest.trim();
        Some(
            v.strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(v)
                .to_string(),
        )
    })
}

/// Value of `[override] NAME = value` in a make fragment.
fn make_var(text: &str, name: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let l = l.trim();
        let l = l.strip_prefix("override ").unwrap_or(l).trim_start();
        let rest = l.strip_prefix(name)?.trim_start();
        let v = rest.strip_prefix(":=").or_else(|| rest.strip_prefix('='))?;
        Some(v.trim().to_string())
    })
}

/// The release of a tree: `UTS_RELEASE`, else `.kernelvariables`'
/// `KERNELRELEASE`, else `include/config/kernel.release`.
pub fn release_of(tree: &Path) -> Option<String> {
    if let Some(r) = read_opt(&tree.join("include/generated/utsrelease.h"))
        .and_then(|t| header_define(&t, "UTS_RELEASE"))
    {
        return Some(r);
    }
    if let Some(r) =
        read_opt(&tree.join(".kernelvariables")).and_then(|t| make_var(&t, "KERNELRELEASE"))
    {
        return Some(r);
    }
    read_opt(&tree.join("include/config/kernel.release"))
        .map(|t| t.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// Parse a `.config`: `CONFIG_X=y|m|number|"string"`; `# ... is not set`
/// lines and comments are skipped.
pub fn parse_config(text: &str) -> BTreeMap<String, ConfigValue> {
    let mut out = BTreeMap::new();
    for l in text.lines() {
        let l = l.trim();
        if l.starts_with('#') || l.is_empty() {
            continue;
        }
        let Some((k, v)) = l.split_once('=') else {
            continue;
        };
        let v = if let Some(s) = v.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
            let mut u = String::with_capacity(s.len());
            let mut esc = false;
            for c in s.chars() {
                if esc || c != '\\' {
                    u.push(c);
                    esc = false;
                } else {
                    esc = true;
                }
            }
            ConfigValue::Str { s: u }
        } else {
            ConfigValue::Word(v.to_string())
        };
        out.insert(k.to_string(), v);
    }
    out
}

/// The `Linux/ARCH VERSION Kernel Configuration` header line of a `.config`.
fn config_header(text: &str) -> Option<(String, String)> {
    text.lines().take(6).find_map(|l| {
        let rest = l.strip_prefix("# Linux/")?;
        let mut it = rest.split_whitespace();
        Some((it.next()?.to_string(), it.next()?.to_string()))
    })
}

/// Parse `Module.symvers` (`0xCRC\tname\tmodule\tEXPORT_SYMBOL[_GPL]\tnamespace`).
pub fn parse_symvers(text: &str, path: &Path) -> Result<Vec<ExportedSymbol>, Diagnostic> {
    let mut out = Vec::with_capacity(text.len() / 60);
    for (i, l) in text.lines().enumerate() {
        if l.trim().is_empty() {
            continue;
        }
        let mut f = l.split('\t');
        let (Some(crc), Some(name), Some(module)) = (f.next(), f.next(), f.next()) else {
            return Err(errors::bad_table(
                path,
                i + 1,
                "expected CRC, symbol and module separated by tabs",
            ));
        };
        let crc = u64::from_str_radix(crc.trim_start_matches("0x"), 16)
            .map_err(|_| errors::bad_table(path, i + 1, &format!("bad CRC `{crc}`")))?
            as u32;
        let kind = f.next().unwrap_or("EXPORT_SYMBOL");
        let namespace = f
            .next()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        out.push(ExportedSymbol {
            name: name.to_string(),
            crc,
            module: module.to_string(),
            gpl_only: kind.ends_with("_GPL") || kind.contains("_GPL_"),
            namespace,
        });
    }
    out.sort_unstable_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Parse a `System.map`. `Ok(None)` for Debian's one-line placeholder
/// (`... The real System.map is in the linux-image-<version>-dbg package`).
pub fn parse_system_map(text: &str, path: &Path) -> Result<Option<Vec<MapSymbol>>, Diagnostic> {
    if text.len() < 512 && text.contains("The real System.map") {
        return Ok(None);
    }
    let mut out = Vec::with_capacity(text.len() / 40);
    for (i, l) in text.lines().enumerate() {
        if l.trim().is_empty() {
            continue;
        }
        let mut f = l.split_whitespace();
        let (Some(a), Some(k), Some(n)) = (f.next(), f.next(), f.next()) else {
            return Err(errors::bad_table(
                path,
                i + 1,
                "expected `address type name`",
            ));
        };
        let addr = u64::from_str_radix(a, 16)
            .map_err(|_| errors::bad_table(path, i + 1, "bad address"))?;
        out.push(MapSymbol {
            addr,
            kind: k.chars().next().unwrap_or('?'),
            name: n.to_string(),
        });
    }
    Ok(Some(out))
}

/// The tree's arch from `.kernelvariables`, the `.config` header, or
/// `UTS_MACHINE`; `ARCH=x86` is split by `CONFIG_X86_64`.
fn arch_of(tree: &Path, config_text: &str, config: &BTreeMap<String, ConfigValue>) -> Option<Arch> {
    let kbuild = read_opt(&tree.join(".kernelvariables"))
        .and_then(|t| make_var(&t, "ARCH"))
        .or_else(|| config_header(config_text).map(|h| h.0))
        .or_else(|| {
            read_opt(&tree.join("include/generated/compile.h"))
                .and_then(|t| header_define(&t, "UTS_MACHINE"))
        })?;
    let a = Arch::normalize(&kbuild);
    Some(match a {
        Arch::X86_64 | Arch::I386 => {
            if config.get("CONFIG_X86_64").is_some_and(|v| v.is_enabled()) {
                Arch::X86_64
            } else if config.contains_key("CONFIG_X86_32") {
                Arch::I386
            } else {
                a
            }
        }
        other => other,
    })
}

/// `CC` from `.kernelvariables` with Debian's ccache wrapper removed.
fn cc_of(tree: &Path) -> Option<String> {
    let t = read_opt(&tree.join(".kernelvariables"))?;
    let cc = make_var(&t, "CC")?;
    let cc = match cc.find("$(CCACHE))") {
        Some(i) => cc[i + "$(CCACHE))".len()..].trim().to_string(),
        None => cc,
    };
    (!cc.is_empty()).then_some(cc)
}

/// Directories whose `include/trace/events` may hold tracepoint headers: the
/// tree itself and, for Debian headers, the `-common` tree its Makefile
/// includes.
fn header_roots(tree: &Path) -> Vec<PathBuf> {
    let mut roots = vec![tree.to_path_buf()];
    if let Some(t) = read_opt(&tree.join("Makefile")) {
        for l in t.lines() {
            if let Some(p) = l.trim().strip_prefix("include ") {
                let p = Path::new(p.trim());
                if let Some(parent) = p.parent() {
                    let parent = if parent.is_absolute() {
                        parent.to_path_buf()
                    } else {
                        tree.join(parent)
                    };
                    if parent.join("include").is_dir() && parent != tree {
                        roots.push(parent);
                    }
                }
            }
        }
    }
    roots
}

/// Event name -> (system, class) from the trace headers of the tree (and
/// its `-common` tree): every `*.h` under `include/` and
/// `arch/ARCH/include/` that defines `TRACE_SYSTEM`. `known` are the
/// tracepoint names from BTF; events made by a header's own macros are
/// matched when their name appears as an identifier in the header.
pub fn trace_systems(
    tree: &Path,
    arch: &Arch,
    known: &HashSet<&str>,
) -> HashMap<String, (String, String)> {
    let mut out = HashMap::new();
    let mut loose = HashMap::new();
    for root in header_roots(tree) {
        let dirs = [
            root.join("include"),
            root.join(format!("arch/{}/include", arch.kbuild_arch())),
        ];
        for d in dirs {
            let mut files = Vec::new();
            headers_under(&d, &mut files, 0);
            files.sort();
            for f in files {
                let Ok(bytes) = fs::read(&f) else { continue };
                if !bytes.windows(12).any(|w| w == b"TRACE_SYSTEM") {
                    continue;
                }
                let text = String::from_utf8_lossy(&bytes);
                scan_trace_header(&text, known, &mut out, &mut loose);
            }
        }
    }
    for (k, v) in loose {
        out.entry(k).or_insert(v);
    }
    out
}

fn headers_under(dir: &Path, out: &mut Vec<PathBuf>, depth: u32) {
    if depth > 12 {
        return;
    }
    let Ok(rd) = fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let Ok(ft) = e.file_type() else { continue };
        let p = e.path();
        if ft.is_dir() {
            headers_under(&p, out, depth + 1);
        } else if ft.is_file() && p.extension().is_some_and(|x| x == "h") {
            out.push(p);
        }
    }
}

/// Scan one trace header (see [`trace_systems`]). Standard macros go to
/// `out` with their class; other identifiers naming a known tracepoint go
/// to `loose` (used only where no standard macro named the event).
pub fn scan_trace_header(
    text: &str,
    known: &HashSet<&str>,
    out: &mut HashMap<String, (String, String)>,
    loose: &mut HashMap<String, (String, String)>,
) {
    let Some(system) = header_define(text, "TRACE_SYSTEM") else {
        return;
    };
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let ident = |s: &str| -> Option<String> {
        let s = s.trim();
        (!s.is_empty() && s.bytes().all(is_ident)).then(|| s.to_string())
    };
    let bytes = text.as_bytes();
    let generated_pairs = text.contains("##_entry");
    let mut i = 0;
    while i < bytes.len() {
        if !is_ident(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && is_ident(bytes[i]) {
            i += 1;
        }
        let word = &text[start..i];
        let rest = &text[i..];
        if let Some(args) = rest.strip_prefix('(') {
            let mut parts = args.splitn(3, ',');
            let a = parts.next().and_then(ident);
            let b = parts.next().and_then(ident);
            let pair = match word {
                "TRACE_EVENT"
                | "TRACE_EVENT_FN"
                | "TRACE_EVENT_CONDITION"
                | "TRACE_EVENT_FN_COND" => a.map(|a| (a.clone(), a)),
                "DEFINE_EVENT"
                | "DEFINE_EVENT_FN"
                | "DEFINE_EVENT_PRINT"
                | "DEFINE_EVENT_CONDITION" => a.zip(b),
                _ => None,
            };
            if let Some((class, name)) = pair {
                out.entry(name).or_insert_with(|| (system.clone(), class));
                continue;
            }
        }
        if known.contains(word) {
            loose
                .entry(word.to_string())
                .or_insert_with(|| (system.clone(), word.to_string()));
        }
        if generated_pairs {
            for sfx in ["_entry", "_exit"] {
                let n = format!("{word}{sfx}");
                if known.contains(n.as_str()) {
                    loose
                        .entry(n.clone())
                        .or_insert_with(|| (system.clone(), n));
                }
            }
        }
    }
}

/// Read `tree` (and `image`, if given) into a profile ready to store.
pub fn read(tree: &Path, image_path: Option<&Path>) -> Result<ReadTree, Diagnostic> {
    read_with(tree, image_path, None)
}

/// [`read`] with the image already read by the caller (fetch decompresses
/// it once for both the bootable image and the BTF).
pub fn read_with(
    tree: &Path,
    image_path: Option<&Path>,
    image_info: Option<image::ImageInfo>,
) -> Result<ReadTree, Diagnostic> {
    let mut warnings = Vec::new();
    if !tree.is_dir() {
        return Err(errors::not_a_tree(tree, "no such directory"));
    }
    let tree = fs::canonicalize(tree).map_err(|e| errors::io(tree, "resolve", &e))?;
    let tree = tree.as_path();
    if !tree.join("Makefile").is_file() {
        return Err(errors::not_a_tree(tree, "it has no Makefile"));
    }
    let release = release_of(tree).ok_or_else(|| {
        errors::not_a_tree(
            tree,
            "no include/generated/utsrelease.h, .kernelvariables or include/config/kernel.release",
        )
    })?;
    let config_text =
        read_opt(&tree.join(".config")).ok_or_else(|| errors::missing_config(tree, &release))?;
    let config = parse_config(&config_text);
    let symvers_path = tree.join("Module.symvers");
    let symvers_text =
        read_opt(&symvers_path).ok_or_else(|| errors::missing_symvers(tree, &release))?;
    let symvers = parse_symvers(&symvers_text, &symvers_path)?;
    let arch = arch_of(tree, &config_text, &config).ok_or_else(|| {
        errors::not_a_tree(
            tree,
            "cannot tell its architecture (.kernelvariables, .config header)",
        )
    })?;
    let version = config_header(&config_text).map(|h| h.1);
    let cc_version_text = config
        .get("CONFIG_CC_VERSION_TEXT")
        .map(|v| v.as_str().to_string());

    // BTF: the tree's own vmlinux (Debian 6.12+ headers), else the image.
    let mut btf_blob = None;
    let mut btf_source = BtfSource::None;
    let mut bootable = None;
    let tree_vmlinux = tree.join("vmlinux");
    if tree_vmlinux.is_file() {
        match image::read_image(&tree_vmlinux) {
            Ok(img) => {
                if let Some((b, _)) = img.btf {
                    btf_blob = Some(b);
                    btf_source = BtfSource::Vmlinux {
                        path: tree_vmlinux.clone(),
                    };
                }
            }
            Err(d) => warnings.push(d),
        }
    }
    // No image given: the running kernel's own BTF, or the installed image.
    let mut image_path: Option<PathBuf> = image_path.map(Path::to_path_buf);
    if btf_blob.is_none() && image_path.is_none() {
        let sys = Path::new("/sys/kernel/btf/vmlinux");
        let boot = Path::new("/boot").join(format!("vmlinuz-{release}"));
        if crate::select::running_release().as_deref() == Some(release.as_str()) && sys.is_file() {
            if let Ok(b) = fs::read(sys) {
                btf_blob = Some(b);
                btf_source = BtfSource::Blob {
                    path: sys.to_path_buf(),
                };
            }
        } else if boot.is_file() {
            image_path = Some(boot);
        }
    }
    let image_path = image_path.as_deref();
    if let Some(ip) = image_path {
        let ip = fs::canonicalize(ip).map_err(|e| errors::bad_image(ip, e.to_string()))?;
        let img = match image_info {
            Some(i) => i,
            None => image::read_image(&ip)?,
        };
        if let Some(ia) = &img.arch {
            if ia.kbuild_arch() != arch.kbuild_arch() {
                return Err(errors::wrong_arch(&ip, ia.name(), arch.name()));
            }
        }
        if img.directly_bootable {
            bootable = Some(ip.clone());
        }
        if btf_blob.is_none() {
            match img.btf {
                Some((b, method)) => {
                    btf_blob = Some(b);
                    btf_source = if img.kind == image::ImageKind::RawBtf {
                        BtfSource::Blob { path: ip.clone() }
                    } else {
                        BtfSource::Image {
                            path: ip.clone(),
                            method,
                        }
                    };
                }
                None => warnings.push(errors::no_btf(&ip).into_warning()),
            }
        }
    }
    if btf_blob.is_none() && image_path.is_none() {
        // Nothing found: say how to get BTF.
        warnings.push(
            Diagnostic::warning("E0307", format!("no BTF for {release}: the tree has no vmlinux and no --image was given"))
                .with_help(format!(
                    "add `--image /boot/vmlinuz-{release}` (package `linux-image-{release}`) so that function \
                     parameters, struct layouts and tracepoints are known"
                )),
        );
    }

    // Parse the BTF now: a corrupt blob is an error at add time, not later.
    let parsed = match &btf_blob {
        Some(b) => btf::parse(b, &format!("the BTF of {release}"))?,
        None => btf::Parsed::default(),
    };
    let mut tracepoints: Vec<Tracepoint> = parsed.tracepoints.clone();
    let known: HashSet<&str> = parsed.tracepoints.iter().map(|t| t.name.as_str()).collect();
    let systems = trace_systems(tree, &arch, &known);
    for tp in &mut tracepoints {
        if let Some((sys, class)) = systems.get(&tp.name) {
            tp.system = sys.clone();
            if class != &tp.name {
                let name = format!("__bpf_trace_{class}");
                if let Ok(f) = parsed
                    .functions
                    .binary_search_by(|f| f.name.as_str().cmp(&name))
                {
                    btf::rename_from_class(tp, &parsed.functions[f]);
                }
            }
        }
    }

    // System.map: in the tree (source trees) or beside the image.
    let mut system_map = None;
    let mut map_candidates = vec![tree.join("System.map")];
    if let Some(dir) = image_path.and_then(|p| p.parent()) {
        map_candidates.push(dir.join(format!("System.map-{release}")));
    }
    let mut map_count = 0;
    for mp in map_candidates {
        if let Some(t) = read_opt(&mp) {
            match parse_system_map(&t, &mp)? {
                Some(syms) => {
                    map_count = syms.len() as u32;
                    system_map = Some(t);
                    break;
                }
                None => continue,
            }
        }
    }

    let mut counts = Counts {
        types: parsed.types.types.len() as u32,
        functions: parsed.functions.len() as u32,
        tracepoints: tracepoints.len() as u32,
        exports: symvers.len() as u32,
        system_map: map_count,
        btf_bytes: btf_blob.as_ref().map_or(0, |b| b.len() as u64),
        ..Counts::default()
    };
    for t in &parsed.types.types {
        match t {
            Type::Struct(_) => counts.structs += 1,
            Type::Union(_) => counts.unions += 1,
            _ => {}
        }
    }
    // Without Debian's .kernelvariables, kbuild's default is gcc unless the
    // kernel was configured for clang.
    let cc = cc_of(tree).or_else(|| {
        config
            .get("CONFIG_CC_IS_CLANG")
            .filter(|v| v.is_enabled())
            .map(|_| "clang".to_string())
    });
    let meta = ProfileMeta {
        format: FORMAT_VERSION,
        release,
        arch,
        version,
        config,
        build_tree: Some(tree.to_path_buf()),
        image: image_path.map(|p| fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())),
        bootable_image: bootable,
        cc,
        cc_version_text,
        btf_source,
        has_system_map: system_map.is_some(),
        counts,
        hash: String::new(),
    };
    Ok(ReadTree {
        profile: NewProfile {
            meta,
            btf: btf_blob,
            tracepoints,
            symvers: Some(symvers_text),
            system_map,
            tables: None,
        },
        warnings,
    })
}

/// Turn an error diagnostic into a warning (same code and text).
trait IntoWarning {
    fn into_warning(self) -> Diagnostic;
}

impl IntoWarning for Diagnostic {
    fn into_warning(mut self) -> Diagnostic {
        self.severity = diag::Severity::Warning;
        self
    }
}
