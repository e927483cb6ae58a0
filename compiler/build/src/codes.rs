//! Names for the E07xx codes this crate emits. Their titles and
//! explanations are registered in `diag::codes` (`compiler/diag/src/codes/build.rs`).

pub const MISSING_EXPORT: &str = "E0701";
pub const BUILD_TREE_UNUSABLE: &str = "E0702";
pub const COMPILER_MISSING: &str = "E0703";
pub const PAHOLE_MISSING: &str = "E0704";
pub const C_ERROR_IN_SCRIPT: &str = "E0705";
pub const MODPOST_UNDEFINED: &str = "E0706";
pub const MODPOST_GPL_ONLY: &str = "E0707";
pub const KBUILD_FAILED: &str = "E0708";
pub const MAKE_NOT_RUNNABLE: &str = "E0709";
pub const BAD_MODULE_NAME: &str = "E0710";
pub const CACHE_IO: &str = "E0711";
pub const BUILD_DIR_IO: &str = "E0712";
pub const C_WARNING_IN_SCRIPT: &str = "E0713";
pub const BAD_MODULE_OUTPUT: &str = "E0714";
pub const BUILD_INTERRUPTED: &str = "E0715";
pub const COMPILER_VERSION_DIFFERS: &str = "E0716";
pub const TREE_RELEASE_MISMATCH: &str = "E0717";
/// Internal error: a gcc error in generated code is a compiler bug.
pub const INTERNAL: &str = diag::codes::INTERNAL;

/// Every code above, for the registration test.
pub const ALL: &[&str] = &[
    MISSING_EXPORT,
    BUILD_TREE_UNUSABLE,
    COMPILER_MISSING,
    PAHOLE_MISSING,
    C_ERROR_IN_SCRIPT,
    MODPOST_UNDEFINED,
    MODPOST_GPL_ONLY,
    KBUILD_FAILED,
    MAKE_NOT_RUNNABLE,
    BAD_MODULE_NAME,
    CACHE_IO,
    BUILD_DIR_IO,
    C_WARNING_IN_SCRIPT,
    BAD_MODULE_OUTPUT,
    BUILD_INTERRUPTED,
    COMPILER_VERSION_DIFFERS,
    TREE_RELEASE_MISMATCH,
    INTERNAL,
];

#[cfg(test)]
mod tests {
    #[test]
    fn every_code_is_registered() {
        for c in super::ALL {
            assert!(
                diag::codes::lookup(c).is_some(),
                "{c} is not registered in diag::codes"
            );
        }
    }
}
