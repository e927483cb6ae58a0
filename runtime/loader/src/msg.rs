//! Loader messages: a code, a severity, one line, notes and a help line,
//! rendered like the compiler's diagnostics (without source spans: the
//! loader's errors are about files and kernels, not script text).

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Msg {
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    pub notes: Vec<String>,
    pub help: Option<String>,
}

impl Msg {
    pub fn error(code: &'static str, message: impl Into<String>) -> Msg {
        Msg {
            code,
            severity: Severity::Error,
            message: message.into(),
            notes: Vec::new(),
            help: None,
        }
    }
    pub fn warning(code: &'static str, message: impl Into<String>) -> Msg {
        Msg {
            severity: Severity::Warning,
            ..Msg::error(code, message)
        }
    }
    pub fn note(mut self, note: impl Into<String>) -> Msg {
        self.notes.push(note.into());
        self
    }
    pub fn help(mut self, help: impl Into<String>) -> Msg {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        writeln!(f, "xstap-run: {sev}[{}]: {}", self.code, self.message)?;
        for n in &self.notes {
            for (i, line) in n.lines().enumerate() {
                if i == 0 {
                    writeln!(f, "  = note: {line}")?;
                } else {
                    writeln!(f, "          {line}")?;
                }
            }
        }
        if let Some(h) = &self.help {
            writeln!(f, "  = help: {h}")?;
        }
        Ok(())
    }
}

/// Every code the loader emits; a test checks each is registered in diag.
pub const CODES: &[&str] = &[
    codes::USAGE,
    codes::READ_KO,
    codes::NOT_A_MODULE,
    codes::WRONG_ARCH,
    codes::WRONG_KERNEL,
    codes::KERNEL_REJECTED_FORMAT,
    codes::ALREADY_LOADED,
    codes::UNKNOWN_SYMBOL,
    codes::SIGNATURE,
    codes::NOT_PERMITTED,
    codes::NO_MODULES,
    codes::INIT_FAILED,
    codes::NO_TRANSPORT,
    codes::PROTOCOL,
    codes::START_FAILED,
    codes::SCRIPT_ERRORS,
    codes::DROPPED,
    codes::UNLOAD,
    codes::COMMAND,
    codes::OUTPUT,
    codes::IO,
];

/// The E08xx codes, named.
pub mod codes {
    pub const USAGE: &str = "E0801";
    pub const READ_KO: &str = "E0802";
    pub const NOT_A_MODULE: &str = "E0803";
    pub const WRONG_ARCH: &str = "E0804";
    pub const WRONG_KERNEL: &str = "E0805";
    pub const KERNEL_REJECTED_FORMAT: &str = "E0806";
    pub const ALREADY_LOADED: &str = "E0807";
    pub const UNKNOWN_SYMBOL: &str = "E0808";
    pub const SIGNATURE: &str = "E0809";
    pub const NOT_PERMITTED: &str = "E0810";
    pub const NO_MODULES: &str = "E0811";
    pub const INIT_FAILED: &str = "E0812";
    pub const NO_TRANSPORT: &str = "E0813";
    pub const PROTOCOL: &str = "E0814";
    pub const START_FAILED: &str = "E0815";
    pub const SCRIPT_ERRORS: &str = "E0816";
    pub const DROPPED: &str = "E0817";
    pub const UNLOAD: &str = "E0818";
    pub const COMMAND: &str = "E0819";
    pub const OUTPUT: &str = "E0820";
    pub const IO: &str = "E0821";
}
