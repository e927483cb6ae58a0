//! A newc ("070701") cpio writer, so initramfs images are built without
//! root: device nodes such as /dev/console are just header fields here.
//! Pure: entries in, bytes out (uncompressed; the kernel accepts that).

use std::collections::BTreeSet;

#[derive(Clone, Debug)]
enum Kind {
    Dir,
    File(Vec<u8>),
    Symlink(String),
    CharDev(u32, u32),
}

#[derive(Clone, Debug)]
struct Entry {
    path: String,
    mode: u32,
    kind: Kind,
}

/// An initramfs under construction. Paths are relative to `/` (a leading
/// '/' is ignored); parent directories are added automatically.
#[derive(Clone, Debug, Default)]
pub struct Cpio {
    entries: Vec<Entry>,
    dirs: BTreeSet<String>,
}

fn norm(p: &str) -> String {
    p.trim_start_matches('/').trim_end_matches('/').to_string()
}

impl Cpio {
    pub fn new() -> Cpio {
        Cpio::default()
    }

    fn parents(&mut self, path: &str) {
        let mut acc = String::new();
        let parts: Vec<&str> = path.split('/').collect();
        for part in &parts[..parts.len().saturating_sub(1)] {
            if !acc.is_empty() {
                acc.push('/');
            }
            acc.push_str(part);
            if self.dirs.insert(acc.clone()) {
                self.entries.push(Entry {
                    path: acc.clone(),
                    mode: 0o755,
                    kind: Kind::Dir,
                });
            }
        }
    }

    pub fn dir(&mut self, path: &str) -> &mut Self {
        let p = norm(path);
        self.parents(&p);
        if self.dirs.insert(p.clone()) {
            self.entries.push(Entry {
                path: p,
                mode: 0o755,
                kind: Kind::Dir,
            });
        }
        self
    }

    pub fn file(&mut self, path: &str, data: impl Into<Vec<u8>>, mode: u32) -> &mut Self {
        let p = norm(path);
        self.parents(&p);
        self.entries.push(Entry {
            path: p,
            mode,
            kind: Kind::File(data.into()),
        });
        self
    }

    pub fn symlink(&mut self, path: &str, target: &str) -> &mut Self {
        let p = norm(path);
        self.parents(&p);
        self.entries.push(Entry {
            path: p,
            mode: 0o777,
            kind: Kind::Symlink(target.to_string()),
        });
        self
    }

    pub fn chardev(&mut self, path: &str, major: u32, minor: u32, mode: u32) -> &mut Self {
        let p = norm(path);
        self.parents(&p);
        self.entries.push(Entry {
            path: p,
            mode,
            kind: Kind::CharDev(major, minor),
        });
        self
    }

    /// The archive: every entry, then the TRAILER!!! entry.
    pub fn to_bytes(&self) -> Vec<u8> {
        let size: usize = self
            .entries
            .iter()
            .map(|e| {
                120 + e.path.len()
                    + match &e.kind {
                        Kind::File(d) => d.len(),
                        _ => 0,
                    }
            })
            .sum();
        let mut out = Vec::with_capacity(size + 512);
        for (i, e) in self.entries.iter().enumerate() {
            let (ftype, data, rdev): (u32, &[u8], (u32, u32)) = match &e.kind {
                Kind::Dir => (0o040000, &[], (0, 0)),
                Kind::File(d) => (0o100000, d, (0, 0)),
                Kind::Symlink(t) => (0o120000, t.as_bytes(), (0, 0)),
                Kind::CharDev(ma, mi) => (0o020000, &[], (*ma, *mi)),
            };
            let nlink = if matches!(e.kind, Kind::Dir) { 2 } else { 1 };
            header(
                &mut out,
                i as u32 + 1,
                ftype | (e.mode & 0o7777),
                nlink,
                data.len() as u32,
                rdev,
                &e.path,
            );
            out.extend_from_slice(data);
            pad4(&mut out);
        }
        header(&mut out, 0, 0, 1, 0, (0, 0), "TRAILER!!!");
        out
    }
}

fn header(
    out: &mut Vec<u8>,
    ino: u32,
    mode: u32,
    nlink: u32,
    filesize: u32,
    rdev: (u32, u32),
    name: &str,
) {
    let fields = [
        ino,
        mode,
        0,
        0,
        nlink,
        0,
        filesize,
        0,
        0,
        rdev.0,
        rdev.1,
        name.len() as u32 + 1,
        0,
    ];
    out.extend_from_slice(b"070701");
    for f in fields {
        out.extend_from_slice(format!("{f:08x}").as_bytes());
    }
    out.extend_from_slice(name.as_bytes());
    out.push(0);
    pad4(out);
}

fn pad4(out: &mut Vec<u8>) {
    while !out.len().is_multiple_of(4) {
        out.push(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newc_layout() {
        let mut c = Cpio::new();
        c.chardev("/dev/console", 5, 1, 0o600)
            .file("bin/x", b"hi".to_vec(), 0o755)
            .symlink("bin/sh", "busybox");
        let b = c.to_bytes();
        // dev (dir), dev/console, bin (dir), bin/x, bin/sh, trailer.
        let names: Vec<String> = b
            .windows(6)
            .enumerate()
            .filter(|(i, w)| *w == b"070701" && i % 4 == 0)
            .map(|(i, _)| {
                let namesize =
                    usize::from_str_radix(std::str::from_utf8(&b[i + 94..i + 102]).unwrap(), 16)
                        .unwrap();
                String::from_utf8(b[i + 110..i + 110 + namesize - 1].to_vec()).unwrap()
            })
            .collect();
        assert_eq!(
            names,
            ["dev", "dev/console", "bin", "bin/x", "bin/sh", "TRAILER!!!"]
        );
        assert_eq!(b.len() % 4, 0);
        // The console entry is a char device 5:1 with mode 0600.
        let i = b.windows(11).position(|w| w == b"dev/console").unwrap() - 110;
        let field = |n: usize| {
            u32::from_str_radix(
                std::str::from_utf8(&b[i + 6 + 8 * n..i + 14 + 8 * n]).unwrap(),
                16,
            )
            .unwrap()
        };
        assert_eq!((field(1), field(9), field(10)), (0o020600, 5, 1));
    }

    /// The host's cpio tool reads our archive back, device node included.
    #[test]
    fn cpio_tool_lists_it() {
        let Ok(out) = std::process::Command::new("cpio").arg("--version").output() else {
            return;
        };
        if !out.status.success() {
            return;
        }
        let mut c = Cpio::new();
        c.chardev("dev/console", 5, 1, 0o600)
            .file("init", b"#!/bin/sh\n".to_vec(), 0o755);
        let dir = std::env::temp_dir().join(format!("xs-cpio-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("a.cpio");
        std::fs::write(&f, c.to_bytes()).unwrap();
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("cpio -itv < {}", f.display()))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            text.contains("crw-------") && text.contains("5,   1") && text.contains("dev/console"),
            "{text}"
        );
        assert!(
            text.contains("-rwxr-xr-x") && text.contains("init"),
            "{text}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
