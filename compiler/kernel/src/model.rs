//! The public data model of a target kernel profile: plain serde data.
//!
//! A profile has two parts. [`ProfileMeta`] is small (release, arch, the
//! parsed `.config`, paths, counts, the content hash) and is read on every
//! compile. [`Tables`] is big (every BTF type, every function prototype,
//! tracepoints, exported symbols, System.map) and is read only when a query
//! needs it (see [`crate::Profile`]).
//!
//! Invariants:
//! - [`TypeId`] indexes [`TypeTable::types`]; id 0 is always [`Type::Void`],
//!   exactly as in BTF, so ids read from a BTF blob are used unchanged.
//! - [`Tables::functions`] and [`Tables::tracepoints`] are sorted by name
//!   (duplicates are possible: BTF keeps one `FUNC` per static function of the
//!   same name in different files); [`Tables::symvers`] is sorted by name.
//! - Nothing here does I/O.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Version of the stored profile format; bumped on incompatible changes.
pub const FORMAT_VERSION: u32 = 1;

/// A kernel architecture, normalised like stap's `-a` (`aarch64` is
/// [`Arch::Arm64`], `i686` is [`Arch::I386`], ...).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum Arch {
    X86_64,
    I386,
    Arm64,
    Arm,
    Powerpc,
    S390,
    Riscv,
    Mips,
    Sparc,
    Loongarch,
    /// A name xstap does not know; kept as normalised text.
    Other(String),
}

impl Arch {
    /// Normalise a machine or arch name the way stap does for `-a` and
    /// `uname -m`: `aarch64` -> `arm64`, `i?86` -> `i386`, `armv7l` -> `arm`,
    /// `ppc64le` -> `powerpc`, `s390x` -> `s390`, `riscv64` -> `riscv`,
    /// and the kbuild names `x86`/`x86_64`/`amd64` -> `x86_64`.
    pub fn normalize(name: &str) -> Arch {
        let n = name.trim().to_ascii_lowercase();
        let b = n.as_bytes();
        match n.as_str() {
            "x86_64" | "amd64" | "x86" | "x64" => Arch::X86_64,
            "aarch64" | "arm64" | "aarch64_be" => Arch::Arm64,
            "ppc" | "ppc64" | "ppc64le" | "powerpc" | "powerpc64" | "powerpc64le" | "ppc64el" => {
                Arch::Powerpc
            }
            "s390" | "s390x" => Arch::S390,
            "sparc" | "sparc64" | "sun4u" => Arch::Sparc,
            "loongarch" | "loongarch64" | "loong64" => Arch::Loongarch,
            "i386" | "x86_32" => Arch::I386,
            _ if b.len() == 4 && b[0] == b'i' && b[2..] == *b"86" => Arch::I386,
            _ if n.starts_with("riscv") => Arch::Riscv,
            _ if n.starts_with("mips") => Arch::Mips,
            _ if n.starts_with("arm") || n == "sa110" => Arch::Arm,
            _ => Arch::Other(n),
        }
    }

    /// The name stap uses (`-a`, `@arch`, `%( arch == "..." %)`).
    pub fn name(&self) -> &str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::I386 => "i386",
            Arch::Arm64 => "arm64",
            Arch::Arm => "arm",
            Arch::Powerpc => "powerpc",
            Arch::S390 => "s390",
            Arch::Riscv => "riscv",
            Arch::Mips => "mips",
            Arch::Sparc => "sparc",
            Arch::Loongarch => "loongarch",
            Arch::Other(s) => s,
        }
    }

    /// The `ARCH=` value for kbuild (`x86`, `arm64`, ...).
    pub fn kbuild_arch(&self) -> &str {
        match self {
            Arch::X86_64 | Arch::I386 => "x86",
            other => other.name(),
        }
    }

    /// The GNU triplet prefix of a Debian cross compiler for this arch
    /// (`aarch64-linux-gnu-`), used as `CROSS_COMPILE` when host and target
    /// differ.
    pub fn cross_prefix(&self) -> Option<&'static str> {
        Some(match self {
            Arch::X86_64 => "x86_64-linux-gnu-",
            Arch::I386 => "i686-linux-gnu-",
            Arch::Arm64 => "aarch64-linux-gnu-",
            Arch::Arm => "arm-linux-gnueabihf-",
            Arch::Powerpc => "powerpc64le-linux-gnu-",
            Arch::S390 => "s390x-linux-gnu-",
            Arch::Riscv => "riscv64-linux-gnu-",
            Arch::Mips => "mips64el-linux-gnuabi64-",
            Arch::Loongarch => "loongarch64-linux-gnu-",
            Arch::Sparc | Arch::Other(_) => return None,
        })
    }

    /// The Debian architecture name (`amd64`, `arm64`, ...).
    pub fn debian_arch(&self) -> Option<&'static str> {
        Some(match self {
            Arch::X86_64 => "amd64",
            Arch::I386 => "i386",
            Arch::Arm64 => "arm64",
            Arch::Arm => "armhf",
            Arch::Powerpc => "ppc64el",
            Arch::S390 => "s390x",
            Arch::Riscv => "riscv64",
            Arch::Mips => "mips64el",
            Arch::Loongarch => "loong64",
            Arch::Sparc | Arch::Other(_) => return None,
        })
    }

    /// Size of a pointer in bytes.
    pub fn pointer_size(&self) -> u32 {
        match self {
            Arch::I386 | Arch::Arm => 4,
            _ => 8,
        }
    }

    /// The architecture of the machine xstap runs on.
    pub fn host() -> Arch {
        Arch::normalize(std::env::consts::ARCH)
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl From<String> for Arch {
    fn from(s: String) -> Arch {
        Arch::normalize(&s)
    }
}

impl From<Arch> for String {
    fn from(a: Arch) -> String {
        a.name().to_string()
    }
}

/// A value of the kernel `.config`: `y`, `m`, a number or a string (kept
/// without quotes). `# CONFIG_FOO is not set` entries are absent.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ConfigValue {
    /// `y`, `m`, `n`, or a number exactly as written (`0x1000`, `-1`).
    Word(String),
    /// A quoted string, unquoted and unescaped.
    Str { s: String },
}

impl ConfigValue {
    pub fn as_str(&self) -> &str {
        match self {
            ConfigValue::Word(w) => w,
            ConfigValue::Str { s } => s,
        }
    }
    pub fn is_enabled(&self) -> bool {
        matches!(self, ConfigValue::Word(w) if w == "y" || w == "m")
    }
    /// Render as it appears in `.config` (strings quoted).
    pub fn to_config_text(&self) -> String {
        match self {
            ConfigValue::Word(w) => w.clone(),
            ConfigValue::Str { s } => {
                format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
            }
        }
    }
}

/// Where the BTF of a profile came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BtfSource {
    /// The ELF `vmlinux` in the headers (Debian 6.12+) or given as image.
    Vmlinux { path: PathBuf },
    /// Extracted from a compressed or raw kernel image.
    Image { path: PathBuf, method: String },
    /// A raw `.btf` blob (e.g. a copy of `/sys/kernel/btf/vmlinux`).
    Blob { path: PathBuf },
    /// Test fixtures: the tables were written by hand.
    Fixture,
    /// No BTF: function prototypes, types and tracepoints are unknown.
    None,
}

/// Counts of the big tables, kept in the meta so `target list/show` need not
/// load them.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Counts {
    pub types: u32,
    pub functions: u32,
    pub structs: u32,
    pub unions: u32,
    pub tracepoints: u32,
    pub exports: u32,
    pub system_map: u32,
    /// Size of the raw BTF blob in bytes (0 when absent).
    pub btf_bytes: u64,
}

/// The small, always-loaded part of a profile (`profile.json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileMeta {
    /// [`FORMAT_VERSION`] of the writer.
    pub format: u32,
    /// `uname -r` of the target (`6.1.0-56-arm64`).
    pub release: String,
    pub arch: Arch,
    /// The upstream version (`6.1.192`) when known.
    pub version: Option<String>,
    /// Parsed `.config`, keys with their `CONFIG_` prefix.
    pub config: BTreeMap<String, ConfigValue>,
    /// The kbuild tree (`KDIR`) that modules are built against.
    pub build_tree: Option<PathBuf>,
    /// The kernel image the profile was read from (`vmlinuz`, `Image`).
    pub image: Option<PathBuf>,
    /// An image qemu can boot directly (x86: the uncompressed `vmlinux` via
    /// PVH; arm64: the `Image`), when one was written.
    pub bootable_image: Option<PathBuf>,
    /// The `CC` the tree expects, as written in `.kernelvariables` or the
    /// Makefile (e.g. `$(CROSS_COMPILE)gcc-12`), with ccache wrappers removed.
    pub cc: Option<String>,
    /// The compiler the kernel was built with (`CONFIG_CC_VERSION_TEXT`).
    pub cc_version_text: Option<String>,
    pub btf_source: BtfSource,
    /// `System.map` was real (not Debian's placeholder) and is stored.
    pub has_system_map: bool,
    pub counts: Counts,
    /// blake3 of the profile's content (hex); the cache key of everything
    /// derived from the target. Empty until the profile is stored.
    pub hash: String,
}

impl ProfileMeta {
    pub fn config(&self, key: &str) -> Option<&ConfigValue> {
        self.config.get(key)
    }
    /// `CONFIG_X=y` or `=m`.
    pub fn config_enabled(&self, key: &str) -> bool {
        self.config.get(key).is_some_and(|v| v.is_enabled())
    }
    /// The `CROSS_COMPILE` prefix to pass to kbuild when building on `host`:
    /// `None` when host and target arch are the same.
    pub fn cross_compile_for(&self, host: &Arch) -> Option<&'static str> {
        if &self.arch == host {
            None
        } else {
            self.arch.cross_prefix()
        }
    }
    /// The compiler command kbuild will run: `CC` with `$(CROSS_COMPILE)`
    /// substituted (`aarch64-linux-gnu-gcc-12`). Defaults to `gcc`.
    pub fn compiler_for(&self, host: &Arch) -> String {
        let cc = self.cc.as_deref().unwrap_or("$(CROSS_COMPILE)gcc");
        let cross = self.cross_compile_for(host).unwrap_or("");
        cc.replace("$(CROSS_COMPILE)", cross)
    }
}

/// Index of a type in [`TypeTable::types`] (the BTF type id).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
#[serde(transparent)]
pub struct TypeId(pub u32);

impl TypeId {
    pub const VOID: TypeId = TypeId(0);
}

/// A member of a struct or union.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// `None` for anonymous struct/union members.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub ty: TypeId,
    /// Offset from the start of the containing type, in bits.
    pub bit_offset: u32,
    /// Width of a bitfield in bits; `None` for ordinary members.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bitfield_size: Option<u32>,
}

impl Member {
    /// Byte offset (bitfields: the byte holding the first bit).
    pub fn byte_offset(&self) -> u32 {
        self.bit_offset / 8
    }
}

/// A struct or union layout.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Composite {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Size in bytes.
    pub size: u32,
    pub members: Vec<Member>,
}

/// A function or tracepoint parameter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Param {
    /// Empty when BTF has no name for it (prototypes of typedefs).
    #[serde(default)]
    pub name: String,
    pub ty: TypeId,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enumerator {
    pub name: String,
    pub value: i64,
}

/// One type, as BTF describes it (qualifiers and typedefs are kept, so
/// types print as the kernel source spells them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Type {
    Void,
    /// An integer (`int`, `unsigned long`, `_Bool`, `char`).
    Int {
        name: String,
        size: u32,
        signed: bool,
        #[serde(default)]
        char: bool,
        #[serde(default)]
        bool: bool,
    },
    Float {
        name: String,
        size: u32,
    },
    Ptr {
        to: TypeId,
    },
    Array {
        elem: TypeId,
        len: u32,
    },
    Struct(Composite),
    Union(Composite),
    Enum {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        size: u32,
        signed: bool,
        values: Vec<Enumerator>,
    },
    /// A forward declaration (`struct foo;`) with no layout in BTF.
    Fwd {
        name: String,
        union: bool,
    },
    Typedef {
        name: String,
        ty: TypeId,
    },
    Const {
        ty: TypeId,
    },
    Volatile {
        ty: TypeId,
    },
    Restrict {
        ty: TypeId,
    },
    /// `btf_type_tag` (e.g. `__user`), transparent for layout.
    TypeTag {
        name: String,
        ty: TypeId,
    },
    FuncProto {
        ret: TypeId,
        params: Vec<Param>,
        variadic: bool,
    },
    /// A kind xstap does not model (`DECL_TAG`, `VAR`, `DATASEC`, ...);
    /// kept so ids stay aligned with BTF.
    Other {
        kind: u8,
    },
}

/// All types of a kernel, indexed by [`TypeId`].
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TypeTable {
    pub types: Vec<Type>,
}

/// How visible a function is (BTF `FUNC` linkage).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Linkage {
    Static,
    Global,
    Extern,
}

/// A kernel function with its prototype.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Function {
    pub name: String,
    pub ret: TypeId,
    pub params: Vec<Param>,
    #[serde(default)]
    pub variadic: bool,
    pub linkage: Linkage,
}

/// A static tracepoint (`kernel.trace("system:name")`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tracepoint {
    /// `TRACE_SYSTEM` (`sched`); empty when the headers did not say.
    pub system: String,
    /// Event name without the system (`sched_switch`).
    pub name: String,
    /// Arguments after the hidden `void *__data`, with names where BTF has
    /// them (from `__bpf_trace_NAME`), else `arg1`, `arg2`, ...
    pub args: Vec<Param>,
}

/// One line of `Module.symvers`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportedSymbol {
    pub name: String,
    pub crc: u32,
    /// `vmlinux` or the module path (`drivers/net/foo`).
    pub module: String,
    /// Exported with `EXPORT_SYMBOL_GPL`.
    pub gpl_only: bool,
    /// Symbol namespace (`EXPORT_SYMBOL_NS`), when any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

/// One line of a real `System.map`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MapSymbol {
    pub addr: u64,
    /// The `nm` type letter (`T`, `t`, `D`, ...).
    pub kind: char,
    pub name: String,
}

/// The big, lazily loaded tables of a profile.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Tables {
    pub types: TypeTable,
    pub functions: Vec<Function>,
    pub tracepoints: Vec<Tracepoint>,
    pub symvers: Vec<ExportedSymbol>,
    #[serde(default)]
    pub system_map: Vec<MapSymbol>,
}
