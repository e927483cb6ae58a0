//! Thin wrappers over the system calls the loader needs (libc only):
//! module load/unload, uname, debugfs mount, signals, the kernel log,
//! and the `-c` child. Errors are returned as raw errno values.

use std::ffi::{CStr, CString};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicUsize, Ordering};

pub fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

pub fn finit_module(file: &std::fs::File, params: &str) -> Result<(), i32> {
    let p = CString::new(params).map_err(|_| libc::EINVAL)?;
    let r = unsafe { libc::syscall(libc::SYS_finit_module, file.as_raw_fd(), p.as_ptr(), 0) };
    if r == 0 {
        Ok(())
    } else {
        Err(errno())
    }
}

pub fn delete_module(name: &str) -> Result<(), i32> {
    let n = CString::new(name).map_err(|_| libc::EINVAL)?;
    let r = unsafe { libc::syscall(libc::SYS_delete_module, n.as_ptr(), libc::O_NONBLOCK) };
    if r == 0 {
        Ok(())
    } else {
        Err(errno())
    }
}

/// (release, machine) of the running kernel.
pub fn uname() -> (String, String) {
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    unsafe { libc::uname(&mut u) };
    let s = |f: &[libc::c_char]| {
        unsafe { CStr::from_ptr(f.as_ptr()) }
            .to_string_lossy()
            .into_owned()
    };
    (s(&u.release[..]), s(&u.machine[..]))
}

const DEBUGFS_MAGIC: i64 = 0x6462_6720;

/// Whether `dir` is a mounted debugfs.
pub fn is_debugfs(dir: &str) -> bool {
    let Ok(c) = CString::new(dir) else {
        return false;
    };
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    (unsafe { libc::statfs(c.as_ptr(), &mut st) } == 0) && st.f_type as i64 == DEBUGFS_MAGIC
}

pub fn mount_debugfs(dir: &str) -> Result<(), i32> {
    let d = CString::new(dir).unwrap();
    let r = unsafe {
        libc::mount(
            c"debugfs".as_ptr(),
            d.as_ptr(),
            c"debugfs".as_ptr(),
            0,
            std::ptr::null(),
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(errno())
    }
}

/// SIGINT/SIGTERM/SIGHUP received so far.
pub static SIGNALS: AtomicUsize = AtomicUsize::new(0);

extern "C" fn on_signal(_: libc::c_int) {
    SIGNALS.fetch_add(1, Ordering::SeqCst);
}

/// Catch SIGINT, SIGTERM and SIGHUP (counted in [`SIGNALS`]; no SA_RESTART,
/// interrupted calls are retried by the caller); ignore SIGPIPE (write errors instead).
pub fn install_signal_handlers() {
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as usize;
        libc::sigemptyset(&mut sa.sa_mask);
        for s in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            libc::sigaction(s, &sa, std::ptr::null_mut());
        }
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
}

pub fn signals() -> usize {
    SIGNALS.load(Ordering::SeqCst)
}

/// Sleep (the loader's sleeps are at most 100 ms, so a signal needs no
/// early wake-up: it is seen at the next poll).
pub fn sleep_ms(ms: u64) {
    std::thread::sleep(std::time::Duration::from_millis(ms));
}

/// The kernel log from now on: open /dev/kmsg positioned at its end, so
/// that [`KernelLog::new_lines`] returns what the kernel printed since.
pub struct KernelLog(Option<std::fs::File>);

impl KernelLog {
    pub fn open() -> KernelLog {
        use std::os::unix::fs::OpenOptionsExt;
        let f = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open("/dev/kmsg")
            .ok();
        if let Some(f) = &f {
            unsafe { libc::lseek(f.as_raw_fd(), 0, libc::SEEK_END) };
        }
        KernelLog(f)
    }

    /// The message text of the records printed since `open` (or the last call).
    pub fn new_lines(&mut self) -> Vec<String> {
        let Some(f) = &self.0 else { return Vec::new() };
        let mut out = Vec::new();
        let mut buf = vec![0u8; 8192];
        loop {
            let n = unsafe { libc::read(f.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            if n < 0 && errno() == libc::EPIPE {
                continue; // Records were overwritten; go on with the next.
            }
            if n <= 0 {
                break;
            }
            let rec = String::from_utf8_lossy(&buf[..n as usize]);
            // "prio,seq,usec,flags;message\n continuation lines"
            if let Some((_, msg)) = rec.split_once(';') {
                if let Some(line) = msg.lines().next() {
                    out.push(line.to_string());
                }
            }
        }
        out
    }
}

/// A forked child for `-c CMD`, held before exec until [`Child::release`].
pub struct Child {
    pub pid: i32,
    gate: i32,
    pub status: Option<i32>,
}

impl Child {
    pub fn spawn(cmd: &str) -> Result<Child, i32> {
        let c_cmd = CString::new(cmd).map_err(|_| libc::EINVAL)?;
        let mut fds = [0i32; 2];
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
            return Err(errno());
        }
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            return Err(errno());
        }
        if pid == 0 {
            // The child: wait for the go byte, then exec the shell.
            unsafe {
                libc::close(fds[1]);
                let mut b = 0u8;
                let n = libc::read(fds[0], (&mut b as *mut u8).cast(), 1);
                if n != 1 || b != b'g' {
                    libc::_exit(127);
                }
                let argv = [
                    c"/bin/sh".as_ptr(),
                    c"-c".as_ptr(),
                    c_cmd.as_ptr(),
                    std::ptr::null(),
                ];
                libc::signal(libc::SIGPIPE, libc::SIG_DFL);
                libc::execv(c"/bin/sh".as_ptr(), argv.as_ptr());
                libc::_exit(127);
            }
        }
        unsafe { libc::close(fds[0]) };
        Ok(Child {
            pid,
            gate: fds[1],
            status: None,
        })
    }

    /// Let the child exec its command.
    pub fn release(&mut self) {
        if self.gate >= 0 {
            unsafe {
                libc::write(self.gate, b"g".as_ptr().cast(), 1);
                libc::close(self.gate);
            }
            self.gate = -1;
        }
    }

    /// Has the child exited? (Non-blocking.)
    pub fn exited(&mut self) -> bool {
        if self.status.is_some() {
            return true;
        }
        let mut st = 0;
        let r = unsafe { libc::waitpid(self.pid, &mut st, libc::WNOHANG) };
        if r == self.pid {
            self.status = Some(st);
            return true;
        }
        r < 0
    }

    /// Make sure the child is gone: cancel it if it never ran, else signal it.
    pub fn finish(&mut self) {
        if self.gate >= 0 {
            unsafe { libc::close(self.gate) };
            self.gate = -1;
        } else if !self.exited() {
            unsafe { libc::kill(self.pid, libc::SIGTERM) };
        }
        if self.status.is_none() {
            let mut st = 0;
            unsafe { libc::waitpid(self.pid, &mut st, 0) };
            self.status = Some(st);
        }
    }
}

pub fn process_exists(pid: i32) -> bool {
    unsafe { libc::kill(pid, 0) == 0 || errno() == libc::EPERM }
}
