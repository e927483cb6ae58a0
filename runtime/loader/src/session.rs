//! One run of the loader: check, load, start, stream, stop, drain, unload.
//! This is the only module that prints (to stderr for messages, to stdout
//! or `-o FILE` for the script's output). The protocol it follows is the one
//! documented in `runtime/c/transport.h`.
//!
//! Invariant: once `finit_module` succeeded, every path out of [`run`]
//! (errors, signals, a second Ctrl-C) goes through the unload, except `-L`,
//! which leaves the module running on purpose.

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::args::Opts;
use crate::elf;
use crate::explain::{self, Facts};
use crate::msg::{codes, Msg};
use crate::proto::{self, LineCounter, State, StatusError};
use crate::sys;

struct Ui {
    verbose: u32,
}

impl Ui {
    fn v(&self, s: impl AsRef<str>) {
        if self.verbose > 0 {
            eprintln!("xstap-run: {}", s.as_ref());
        }
    }
    fn msg(&self, m: &Msg) {
        eprint!("{m}");
    }
}

/// Entry point: returns the process exit status.
pub fn run(o: &Opts) -> i32 {
    sys::install_signal_handlers();
    let ui = Ui { verbose: o.verbose };
    let result = if o.attach || o.delete {
        attach(o, &ui)
    } else {
        load_and_run(o, &ui)
    };
    match result {
        Ok(code) => code,
        Err(m) => {
            ui.msg(&m);
            1
        }
    }
}

fn open_output(o: &Opts) -> Result<Box<dyn Write>, Msg> {
    match &o.output {
        None => Ok(Box::new(std::io::stdout())),
        Some(p) => File::create(p)
            .map(|f| Box::new(f) as Box<dyn Write>)
            .map_err(|e| {
                Msg::error(
                    codes::OUTPUT,
                    format!("cannot write the output file `{p}`: {e}"),
                )
                .help("give -o a path in a writable directory")
            }),
    }
}

fn load_and_run(o: &Opts, ui: &Ui) -> Result<i32, Msg> {
    let path = o.module.as_str();
    let bytes = std::fs::read(path).map_err(|e| {
        Msg::error(codes::READ_KO, format!("cannot read `{path}`: {e}"))
            .help("give the path of a .ko built by `xstap -p4`")
    })?;
    let info = elf::inspect(path, &bytes)?;
    drop(bytes);
    let name = elf::module_name(path, &info);
    let (release, machine) = sys::uname();
    let mut facts = Facts {
        path: path.to_string(),
        name: name.clone(),
        release,
        machine,
        built_for: info.release().map(str::to_string),
        kernel_log: Vec::new(),
    };
    explain::precheck(&info, &facts)?;
    ui.v(format!(
        "module `{name}` built for {} ({}), this kernel {} ({})",
        info.release().unwrap_or("?"),
        elf::machine_name(info.machine),
        facts.release,
        facts.machine
    ));
    let mut out = open_output(o)?;

    // The target process: -x PID, or the -c child, held before its exec.
    let mut child = None;
    let mut params: Vec<String> = Vec::new();
    if let Some(pid) = o.target_pid {
        if !sys::process_exists(pid) {
            return Err(
                Msg::error(codes::COMMAND, format!("-x {pid}: no such process"))
                    .help("give the pid of a running process"),
            );
        }
        params.push(format!("xs_target={pid}"));
    }
    if let Some(cmd) = &o.command {
        let c = sys::Child::spawn(cmd).map_err(|e| {
            Msg::error(
                codes::COMMAND,
                format!(
                    "cannot start `{cmd}`: {}",
                    std::io::Error::from_raw_os_error(e)
                ),
            )
        })?;
        params.push(format!("xs_target={}", c.pid));
        child = Some(c);
    }
    params.extend(o.params.iter().map(|p| quote_param(p)));
    let params = params.join(" ");

    let file = File::open(path)
        .map_err(|e| Msg::error(codes::READ_KO, format!("cannot open `{path}`: {e}")))?;
    let mut klog = sys::KernelLog::open();
    ui.v(format!("finit_module({path}, \"{params}\")"));
    if let Err(e) = sys::finit_module(&file, &params) {
        facts.kernel_log = relevant_log(klog.new_lines(), &name);
        if let Some(c) = &mut child {
            c.finish();
        }
        return Err(explain::load_error(e, &facts));
    }
    drop(file);
    ui.v(format!("loaded `{name}`"));

    let result = match Transport::find(&name, ui) {
        Ok(t) => stream(&t, ui, &mut out, child.as_mut(), o.detach),
        Err(m) => Err(m),
    };
    if let Some(c) = &mut child {
        c.finish();
    }
    let code = match result {
        Ok(Outcome::Detached) => {
            eprintln!("xstap-run: `{name}` is running; attach with `xstap-run -A {name}`, stop with `xstap-run -d {name}`");
            return Ok(0);
        }
        Ok(Outcome::Finished { failed }) => i32::from(failed),
        Err(m) => {
            ui.msg(&m);
            1
        }
    };
    let unload = unload(&name, ui);
    let late = relevant_log(klog.new_lines(), &name);
    if let Err(m) = unload {
        ui.msg(&if late.is_empty() {
            m
        } else {
            m.note(format!("the kernel said:\n{}", late.join("\n")))
        });
        return Ok(1);
    }
    Ok(code)
}

/// -A (stream a running module, then stop and unload) and -d (stop and unload).
fn attach(o: &Opts, ui: &Ui) -> Result<i32, Msg> {
    let name = o
        .module
        .trim_end_matches(".ko")
        .rsplit('/')
        .next()
        .unwrap_or("")
        .replace('-', "_");
    if !Path::new("/sys/module").join(&name).exists() {
        return Err(Msg::error(
            codes::NO_TRANSPORT,
            format!("no module named `{name}` is loaded"),
        )
        .help("load it with `xstap-run -L MODULE.ko` first"));
    }
    let mut out = open_output(o)?;
    let t = Transport::find(&name, ui)?;
    if o.delete {
        t.command("stop")?;
    }
    let r = stream(&t, ui, &mut out, None, false);
    drop(t);
    let code = match r {
        Ok(Outcome::Finished { failed }) => i32::from(failed),
        Ok(Outcome::Detached) => 0,
        Err(m) => {
            ui.msg(&m);
            1
        }
    };
    unload(&name, ui).map(|()| code).or_else(|m| {
        ui.msg(&m);
        Ok(1)
    })
}

/// Kernel log lines worth showing after a failed load: everything the
/// kernel printed during the attempt except the taint notices.
fn relevant_log(lines: Vec<String>, _name: &str) -> Vec<String> {
    let mut v: Vec<String> = lines
        .into_iter()
        .filter(|l| {
            !l.contains("taints kernel")
                && !l.contains("module verification failed")
                && !l.contains("kernel tainted")
        })
        .collect();
    v.dedup();
    if v.len() > 12 {
        v.drain(..v.len() - 12);
    }
    v
}

/// Module parameter values with blanks are quoted for the kernel's parser.
fn quote_param(p: &str) -> String {
    match p.split_once('=') {
        Some((n, v)) if v.contains([' ', '\t']) && !v.starts_with('"') => format!("{n}=\"{v}\""),
        _ => p.to_string(),
    }
}

fn unload(name: &str, ui: &Ui) -> Result<(), Msg> {
    for attempt in 0.. {
        match sys::delete_module(name) {
            Ok(()) => {
                ui.v(format!("unloaded `{name}`"));
                return Ok(());
            }
            Err(libc::ENOENT) => return Ok(()),
            Err(e) if (e == libc::EBUSY || e == libc::EAGAIN) && attempt < 50 => sys::sleep_ms(100),
            Err(e) => {
                return Err(Msg::error(codes::UNLOAD, format!("cannot unload `{name}`: {} ({})", explain::errno_name(e), std::io::Error::from_raw_os_error(e)))
                    .note("the module may still be in use (an open file of it, another module that depends on it)")
                    .help(format!("retry with `xstap-run -d {name}` (or `rmmod {name}`) once nothing uses it")));
            }
        }
    }
    unreachable!()
}

/// The two transport files of a loaded module.
struct Transport {
    ctl: File,
    data: File,
    dir: PathBuf,
}

fn debugfs_mountpoint() -> Option<String> {
    let mounts = std::fs::read_to_string("/proc/mounts").ok()?;
    mounts.lines().find_map(|l| {
        let mut w = l.split_whitespace();
        let (_dev, dir, fstype) = (w.next()?, w.next()?, w.next()?);
        (fstype == "debugfs").then(|| dir.to_string())
    })
}

impl Transport {
    fn find(name: &str, ui: &Ui) -> Result<Transport, Msg> {
        let mut looked = Vec::new();
        let mut dbg = debugfs_mountpoint();
        if dbg.is_none() && Path::new("/sys/kernel/debug").is_dir() {
            match sys::mount_debugfs("/sys/kernel/debug") {
                Ok(()) => {
                    ui.v("mounted debugfs on /sys/kernel/debug");
                    dbg = Some("/sys/kernel/debug".into());
                }
                Err(e) => ui.v(format!(
                    "cannot mount debugfs: {}",
                    std::io::Error::from_raw_os_error(e)
                )),
            }
        }
        let mut dirs = Vec::new();
        if let Some(d) = &dbg {
            dirs.push(PathBuf::from(d).join("xstap").join(name));
        }
        dirs.push(PathBuf::from(format!("/proc/xstap_{name}")));
        for dir in dirs {
            let ctl = dir.join("ctl");
            looked.push(ctl.display().to_string());
            if !ctl.exists() {
                continue;
            }
            let open = |p: &Path, write: bool| {
                std::fs::OpenOptions::new()
                    .read(true)
                    .write(write)
                    .open(p)
                    .map_err(|e| {
                        Msg::error(
                            codes::NO_TRANSPORT,
                            format!("cannot open `{}`: {e}", p.display()),
                        )
                        .help("run xstap-run as root")
                    })
            };
            let t = Transport {
                ctl: open(&ctl, true)?,
                data: open(&dir.join("data"), false)?,
                dir: dir.clone(),
            };
            ui.v(format!("transport: {}", dir.display()));
            return Ok(t);
        }
        Err(Msg::error(
            codes::NO_TRANSPORT,
            format!("module `{name}` has no xstap transport files"),
        )
        .note(format!("looked for: {}", looked.join(", ")))
        .note(if dbg.is_none() {
            "debugfs is not mounted and could not be mounted"
        } else {
            "debugfs is mounted"
        })
        .help("only modules built by xstap can be run by xstap-run; use insmod for other modules"))
    }

    fn status(&self) -> Result<proto::Status, Msg> {
        let mut buf = [0u8; 512];
        let n = retry(|| self.ctl.read_at(&mut buf, 0)).map_err(|e| self.io_err("read", e))?;
        let line = String::from_utf8_lossy(&buf[..n]);
        proto::parse_status(&line).map_err(|e| match e {
            StatusError::Version(v) => Msg::error(
                codes::PROTOCOL,
                format!(
                    "the module speaks transport version {v}, this xstap-run speaks version {}",
                    proto::VERSION
                ),
            )
            .help(
                "use the xstap-run of the same xstap release as the compiler that built the module",
            ),
            StatusError::Garbled(l) => Msg::error(
                codes::PROTOCOL,
                format!(
                    "`{}` does not hold an xstap status line",
                    self.dir.join("ctl").display()
                ),
            )
            .note(format!("it reads: `{l}`"))
            .help("the module is not an xstap module, or it is broken"),
        })
    }

    fn command(&self, cmd: &str) -> Result<(), Msg> {
        retry(|| self.ctl.write_at(cmd.as_bytes(), 0))
            .map(|_| ())
            .map_err(|e| self.io_err(&format!("write \"{cmd}\" to"), e))
    }

    fn io_err(&self, what: &str, e: std::io::Error) -> Msg {
        Msg::error(
            codes::IO,
            format!("cannot {what} `{}`: {e}", self.dir.display()),
        )
        .help("the module may have been unloaded by someone else")
    }
}

/// Repeat a system call that a signal interrupted (the handlers are
/// installed without SA_RESTART so that sleeps end early).
fn retry<T>(mut f: impl FnMut() -> std::io::Result<T>) -> std::io::Result<T> {
    loop {
        match f() {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            r => return r,
        }
    }
}

enum Outcome {
    Detached,
    Finished { failed: bool },
}

/// Drain the records available now, at most `max_reads` reads (so that a
/// script printing without pause cannot keep the loader from looking at
/// the status and at signals); returns the number of bytes read.
fn drain(
    t: &Transport,
    buf: &mut [u8],
    out: &mut dyn Write,
    errs: &mut LineCounter,
    max_reads: usize,
) -> Result<usize, Msg> {
    use std::io::Read;
    let mut total = 0;
    for _ in 0..max_reads {
        let n = retry(|| (&t.data).read(buf)).map_err(|e| t.io_err("read", e))?;
        if n == 0 {
            return Ok(total);
        }
        total += n;
        let recs = proto::parse_records(&buf[..n]).map_err(|at| {
            Msg::error(
                codes::PROTOCOL,
                format!(
                    "a record in `{}` is cut at byte {at} of a {n}-byte read",
                    t.dir.join("data").display()
                ),
            )
            .help("this is a bug in the xstap runtime; please report it")
        })?;
        for r in recs {
            match r.kind {
                proto::REC_STDERR => {
                    let _ = out.flush();
                    errs.feed(r.payload);
                    let _ = std::io::stderr().write_all(r.payload);
                }
                _ => {
                    if let Err(e) = out.write_all(r.payload) {
                        return Err(Msg::error(
                            codes::OUTPUT,
                            format!("cannot write the script's output: {e}"),
                        ));
                    }
                }
            }
        }
        let _ = out.flush();
    }
    Ok(total)
}

fn stream(
    t: &Transport,
    ui: &Ui,
    out: &mut dyn Write,
    mut child: Option<&mut sys::Child>,
    detach: bool,
) -> Result<Outcome, Msg> {
    let mut buf = vec![0u8; proto::READ_SIZE];
    let mut errs = LineCounter::default();
    let mut st = t.status()?;
    if st.state == State::Loaded {
        t.command("start")?;
        ui.v("start");
    }
    let mut stop_sent = matches!(st.state, State::Stopping | State::Done | State::Failed);
    let mut released = false;
    let mut idle_ms = 1;
    let mut hurried = false;
    loop {
        let got = drain(t, &mut buf, out, &mut errs, 16)?;
        st = t.status()?;
        if st.state == State::Running && !released {
            if let Some(c) = child.as_deref_mut() {
                c.release();
                ui.v(format!("started the -c command, pid {}", c.pid));
            }
            released = true;
            if detach {
                return Ok(Outcome::Detached);
            }
        }
        if matches!(st.state, State::Done | State::Failed) {
            drain(t, &mut buf, out, &mut errs, usize::MAX)?;
            break;
        }
        let sigs = sys::signals();
        let child_done = released && child.as_deref_mut().is_some_and(|c| c.exited());
        if !stop_sent && (st.exit_requested || sigs > 0 || child_done) {
            let why = if sigs > 0 {
                "signal"
            } else if child_done {
                "the -c command ended"
            } else {
                "the script asked to exit"
            };
            ui.v(format!("stop ({why})"));
            t.command("stop")?;
            stop_sent = true;
            continue;
        }
        if stop_sent && sigs >= 2 {
            // A second Ctrl-C: stop waiting; unloading still runs the end probes.
            eprintln!(
                "xstap-run: interrupted again: unloading without waiting for the end of the script"
            );
            hurried = true;
            break;
        }
        if got == 0 {
            sys::sleep_ms(idle_ms);
            idle_ms = (idle_ms * 2).min(20);
        } else {
            idle_ms = 1;
        }
    }
    let _ = out.flush();
    let mut failed = false;
    if st.state == State::Failed {
        ui.msg(
            &Msg::error(
                codes::START_FAILED,
                format!("the script failed to start ({})", explain_rc(st.start_rc)),
            )
            .help("see the script's error message above"),
        );
        failed = true;
    }
    if st.dropped > 0 {
        ui.msg(&Msg::warning(codes::DROPPED, format!("{} output record(s) were dropped", st.dropped))
            .note("the script printed faster than xstap-run could read, or printed from an NMI")
            .help("print less, or give the module bigger buffers: `xstap-run MODULE.ko xs_bufsize_kb=8192`"));
    }
    if errs.errors > 0 {
        ui.msg(
            &Msg::error(
                codes::SCRIPT_ERRORS,
                format!("the script reported {} error(s)", errs.errors),
            )
            .help("see the ERROR lines above; each names the script location"),
        );
        failed = true;
    }
    Ok(Outcome::Finished {
        failed: failed || hurried && errs.errors > 0,
    })
}

fn explain_rc(rc: i64) -> String {
    if rc < 0 && rc > -4096 {
        format!("{}", std::io::Error::from_raw_os_error(-rc as i32))
    } else {
        format!("code {rc}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_filter_keeps_what_explains() {
        let lines = vec![
            "m: loading out-of-tree module taints kernel.".to_string(),
            "m: disagrees about version of symbol module_layout".to_string(),
            "Lockdown: xstap-run: unsigned module loading is restricted".to_string(),
        ];
        assert_eq!(
            relevant_log(lines, "m"),
            [
                "m: disagrees about version of symbol module_layout",
                "Lockdown: xstap-run: unsigned module loading is restricted"
            ]
        );
        assert_eq!(quote_param("msg=a b"), "msg=\"a b\"");
        assert_eq!(quote_param("n=1"), "n=1");
    }
}
