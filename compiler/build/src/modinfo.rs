//! Reading a built `.ko`: its ELF machine and the `.modinfo` section
//! (`vermagic=`, `name=`, `license=`), to check that kbuild produced a
//! module for the intended target and to record it in the manifest.

use object::{Object, ObjectSection};

/// What the `.ko` says about itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModInfo {
    /// Kernel `ARCH` of the ELF machine (`x86`, `arm64`, ...).
    pub arch: String,
    pub vermagic: String,
    pub name: Option<String>,
    pub license: Option<String>,
}

/// Parse a `.ko`.
pub fn read_modinfo(ko: &[u8]) -> Result<ModInfo, String> {
    let file = object::File::parse(ko).map_err(|e| format!("not an ELF object: {e}"))?;
    let arch = match file.architecture() {
        object::Architecture::X86_64 => "x86".to_string(),
        object::Architecture::Aarch64 => "arm64".to_string(),
        object::Architecture::Riscv64 => "riscv".to_string(),
        object::Architecture::PowerPc64 => "powerpc".to_string(),
        object::Architecture::S390x => "s390".to_string(),
        other => format!("{other:?}"),
    };
    let section = file
        .section_by_name(".modinfo")
        .ok_or("no .modinfo section")?;
    let data = section
        .data()
        .map_err(|e| format!("unreadable .modinfo: {e}"))?;
    let field = |key: &str| {
        data.split(|b| *b == 0)
            .filter_map(|f| std::str::from_utf8(f).ok())
            .find_map(|f| {
                f.strip_prefix(key)
                    .and_then(|r| r.strip_prefix('='))
                    .map(str::to_string)
            })
    };
    let vermagic = field("vermagic").ok_or("no vermagic in .modinfo")?;
    Ok(ModInfo {
        arch,
        vermagic,
        name: field("name"),
        license: field("license"),
    })
}

/// The release at the start of a vermagic string.
pub fn vermagic_release(vermagic: &str) -> &str {
    vermagic.split_whitespace().next().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(read_modinfo(b"not an elf").is_err());
        assert!(read_modinfo(&[]).is_err());
        assert_eq!(
            vermagic_release("6.1.0-56-arm64 SMP mod_unload modversions aarch64"),
            "6.1.0-56-arm64"
        );
    }
}
