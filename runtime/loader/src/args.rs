//! The command line, staprun-compatible:
//! `xstap-run [-o FILE] [-c CMD] [-x PID] [-L] [-A] [-d] [-v] MODULE.ko [name=value ...]`.
//! Pure: parses a slice of strings, prints nothing.

use crate::msg::{codes, Msg};

pub const USAGE: &str = "\
usage: xstap-run [options] MODULE.ko [name=value ...]
       xstap-run -A|-d [options] MODULE_NAME

Load an xstap module, start it, print what the script prints, and unload it
when the script exits, on Ctrl-C (SIGINT) or SIGTERM, or when -c CMD ends.

options:
  -o FILE   write the script's output to FILE instead of stdout
  -c CMD    run CMD (with /bin/sh -c) once the script has started; the
            script ends when CMD exits; target() is CMD's pid
  -x PID    set target() to PID
  -L        load and start the module, then leave it running (detach)
  -A        attach to a module left running by -L, stream it, stop and unload
  -d        stop and unload a module left running by -L
  -v        say what the loader does, on stderr
  -h        this help
  name=value  module parameters (script globals), passed to the module

exit status: 0 when the script ran and reported no error, 1 otherwise
";

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Opts {
    pub output: Option<String>,
    pub command: Option<String>,
    pub target_pid: Option<i32>,
    pub detach: bool,
    pub attach: bool,
    pub delete: bool,
    pub verbose: u32,
    /// The .ko path, or the module name with -A / -d.
    pub module: String,
    pub params: Vec<String>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    Run(Opts),
    Help,
}

fn usage_err(message: impl Into<String>) -> Msg {
    Msg::error(codes::USAGE, message).help("run `xstap-run -h` for the usage")
}

pub fn parse(argv: &[String]) -> Result<Parsed, Msg> {
    let mut o = Opts::default();
    let mut i = 0;
    let mut positional = Vec::new();
    while i < argv.len() {
        let a = &argv[i];
        if !positional.is_empty() || !a.starts_with('-') || a == "-" {
            positional.push(a.clone());
            i += 1;
            continue;
        }
        if a == "--" {
            positional.extend(argv[i + 1..].iter().cloned());
            break;
        }
        if a == "--help" {
            return Ok(Parsed::Help);
        }
        // Flags may be grouped (-Lv); an option with a value takes the rest
        // of the word or the next word (-oFILE, -o FILE).
        let flags: Vec<char> = a[1..].chars().collect();
        let mut j = 0;
        while j < flags.len() {
            let c = flags[j];
            match c {
                'o' | 'c' | 'x' => {
                    let rest: String = flags[j + 1..].iter().collect();
                    let val = if !rest.is_empty() {
                        rest
                    } else {
                        i += 1;
                        argv.get(i)
                            .cloned()
                            .ok_or_else(|| usage_err(format!("option -{c} needs a value")))?
                    };
                    match c {
                        'o' => o.output = Some(val),
                        'c' => o.command = Some(val),
                        _ => {
                            let pid: i32 =
                                val.parse().ok().filter(|p| *p > 0).ok_or_else(|| {
                                    usage_err(format!("-x needs a process id, not `{val}`"))
                                })?;
                            o.target_pid = Some(pid);
                        }
                    }
                    j = flags.len();
                    continue;
                }
                'L' => o.detach = true,
                'A' => o.attach = true,
                'd' => o.delete = true,
                'v' => o.verbose += 1,
                'h' => return Ok(Parsed::Help),
                _ => return Err(usage_err(format!("unknown option -{c}"))),
            }
            j += 1;
        }
        i += 1;
    }
    let mut pos = positional.into_iter();
    o.module = pos.next().ok_or_else(|| usage_err("no module given"))?;
    o.params = pos.collect();
    for p in &o.params {
        let ok = p.split_once('=').is_some_and(|(n, _)| {
            !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
        if !ok {
            return Err(usage_err(format!(
                "module parameter `{p}` is not of the form name=value"
            )));
        }
        if p.starts_with("xs_target=") {
            return Err(usage_err(
                "xs_target is set by the loader; use -x PID or -c CMD",
            ));
        }
    }
    if o.command.is_some() && o.target_pid.is_some() {
        return Err(usage_err("-c and -x cannot be used together"));
    }
    if [o.detach, o.attach, o.delete]
        .iter()
        .filter(|b| **b)
        .count()
        > 1
    {
        return Err(usage_err("-L, -A and -d exclude each other"));
    }
    if (o.attach || o.delete)
        && (o.command.is_some() || o.target_pid.is_some() || !o.params.is_empty())
    {
        return Err(usage_err(
            "-A and -d take a module name only (the module is already loaded)",
        ));
    }
    if o.detach && o.command.is_some() {
        return Err(usage_err("-L cannot wait for a -c command; use -x PID"));
    }
    Ok(Parsed::Run(o))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Parsed, Msg> {
        let v: Vec<String> = s.split_whitespace().map(String::from).collect();
        parse(&v)
    }

    #[test]
    fn parses_staprun_forms() {
        let Ok(Parsed::Run(o)) = p("-v -o out.txt -x 42 m.ko a=1 b_c=x") else {
            panic!()
        };
        assert_eq!(o.output.as_deref(), Some("out.txt"));
        assert_eq!(o.target_pid, Some(42));
        assert_eq!(o.module, "m.ko");
        assert_eq!(o.params, ["a=1", "b_c=x"]);
        assert_eq!(o.verbose, 1);
        let Ok(Parsed::Run(o)) = p("-Lvv -x7 m.ko") else {
            panic!()
        };
        assert!(o.detach);
        assert_eq!(o.verbose, 2);
        assert!(p("-x l7 m.ko").is_err());
        let Ok(Parsed::Run(o)) = p("-ofile -A name") else {
            panic!()
        };
        assert!(o.attach && o.output.as_deref() == Some("file") && o.module == "name");
        assert_eq!(p("-h").unwrap(), Parsed::Help);
    }

    #[test]
    fn rejects_bad_command_lines() {
        for bad in [
            "",
            "-q m.ko",
            "-o",
            "-x 0 m.ko",
            "m.ko novalue",
            "m.ko xs_target=3",
            "-L -A m",
            "-A m a=1",
            "-c ls -x 3 m.ko",
        ] {
            let e = p(bad).expect_err(bad);
            assert_eq!(e.code, codes::USAGE, "{bad}");
        }
    }
}
