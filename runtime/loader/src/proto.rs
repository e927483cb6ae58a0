//! The loader's half of the wire format of `runtime/c/transport.h`, version 1:
//! the status line read from `ctl`, the commands written to it, and the
//! records read from `data`. Pure: parsing only.

pub const VERSION: u32 = 1;
pub const REC_HDR: usize = 16;
pub const REC_STDOUT: u16 = 1;
pub const REC_STDERR: u16 = 2;
/// Read size for `data`; must hold the largest record (8 KiB + header).
pub const READ_SIZE: usize = 256 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Loaded,
    Starting,
    Running,
    Stopping,
    Done,
    Failed,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    pub version: u32,
    pub state: State,
    pub exit_requested: bool,
    pub dropped: u64,
    pub start_rc: i64,
}

#[derive(Debug, PartialEq, Eq)]
pub enum StatusError {
    /// Not an xstap status line at all.
    Garbled(String),
    /// An xstap module speaking another protocol version.
    Version(u32),
}

pub fn parse_status(line: &str) -> Result<Status, StatusError> {
    let line = line.trim_end_matches(['\n', '\0']);
    let mut words = line.split(' ');
    let first = words.next().unwrap_or("");
    let version: u32 = first
        .strip_prefix("XSTAP")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| StatusError::Garbled(line.chars().take(80).collect()))?;
    if version != VERSION {
        return Err(StatusError::Version(version));
    }
    let mut st = Status {
        version,
        state: State::Loaded,
        exit_requested: false,
        dropped: 0,
        start_rc: 0,
    };
    let mut have_state = false;
    for w in words {
        let Some((k, v)) = w.split_once('=') else {
            continue;
        };
        match k {
            "state" => {
                st.state = match v {
                    "loaded" => State::Loaded,
                    "starting" => State::Starting,
                    "running" => State::Running,
                    "stopping" => State::Stopping,
                    "done" => State::Done,
                    "failed" => State::Failed,
                    _ => return Err(StatusError::Garbled(line.to_string())),
                };
                have_state = true;
            }
            "exit" => st.exit_requested = v == "1",
            "dropped" => st.dropped = v.parse().unwrap_or(0),
            "start_rc" => st.start_rc = v.parse().unwrap_or(0),
            _ => {} // Unknown keys are for newer loaders.
        }
    }
    if !have_state {
        return Err(StatusError::Garbled(line.to_string()));
    }
    Ok(st)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    pub kind: u16,
    pub cpu: u16,
    pub seq: u64,
    pub payload: &'a [u8],
}

/// Split one read of `data` into records. A read holds whole records only;
/// a short tail means a broken module and is returned as `Err(offset)`.
pub fn parse_records(buf: &[u8]) -> Result<Vec<Record<'_>>, usize> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < buf.len() {
        let Some(h) = buf.get(at..at + REC_HDR) else {
            return Err(at);
        };
        let len = u32::from_ne_bytes(h[0..4].try_into().unwrap()) as usize;
        let kind = u16::from_ne_bytes(h[4..6].try_into().unwrap());
        let cpu = u16::from_ne_bytes(h[6..8].try_into().unwrap());
        let seq = u64::from_ne_bytes(h[8..16].try_into().unwrap());
        let Some(payload) = buf.get(at + REC_HDR..at + REC_HDR + len) else {
            return Err(at);
        };
        out.push(Record {
            kind,
            cpu,
            seq,
            payload,
        });
        at += REC_HDR + len;
    }
    Ok(out)
}

/// Counts lines of the script's stderr that start with "ERROR:" or
/// "WARNING:", across record boundaries.
#[derive(Debug, Default)]
pub struct LineCounter {
    prefix: Vec<u8>,
    decided: bool,
    pub errors: u64,
    pub warnings: u64,
}

impl LineCounter {
    pub fn feed(&mut self, text: &[u8]) {
        for &c in text {
            if c == b'\n' {
                self.prefix.clear();
                self.decided = false;
                continue;
            }
            if self.decided {
                continue;
            }
            self.prefix.push(c);
            if self.prefix == b"ERROR:" {
                self.errors += 1;
                self.decided = true;
            } else if self.prefix == b"WARNING:" {
                self.warnings += 1;
                self.decided = true;
            } else if !b"ERROR:".starts_with(&self.prefix) && !b"WARNING:".starts_with(&self.prefix)
            {
                self.decided = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines() {
        let s = parse_status(
            "XSTAP1 state=running exit=1 dropped=7 start_rc=0 bufsize=1048576 cpus=2 future=x\n",
        )
        .unwrap();
        assert_eq!(
            (s.state, s.exit_requested, s.dropped),
            (State::Running, true, 7)
        );
        let s = parse_status("XSTAP1 state=failed exit=0 dropped=0 start_rc=-22").unwrap();
        assert_eq!((s.state, s.start_rc), (State::Failed, -22));
        assert_eq!(
            parse_status("XSTAP2 state=running"),
            Err(StatusError::Version(2))
        );
        assert!(matches!(
            parse_status("hello"),
            Err(StatusError::Garbled(_))
        ));
        assert!(matches!(
            parse_status("XSTAP1 exit=0"),
            Err(StatusError::Garbled(_))
        ));
        assert!(matches!(
            parse_status("XSTAP1 state=weird"),
            Err(StatusError::Garbled(_))
        ));
    }

    fn rec(kind: u16, seq: u64, text: &str) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&(text.len() as u32).to_ne_bytes());
        v.extend_from_slice(&kind.to_ne_bytes());
        v.extend_from_slice(&3u16.to_ne_bytes());
        v.extend_from_slice(&seq.to_ne_bytes());
        v.extend_from_slice(text.as_bytes());
        v
    }

    #[test]
    fn records() {
        let mut buf = rec(REC_STDOUT, 1, "hello\n");
        buf.extend(rec(REC_STDERR, 2, "ERROR: x\n"));
        buf.extend(rec(REC_STDOUT, 3, ""));
        let r = parse_records(&buf).unwrap();
        assert_eq!(r.len(), 3);
        assert_eq!(
            (r[1].kind, r[1].cpu, r[1].seq, r[1].payload),
            (REC_STDERR, 3, 2, &b"ERROR: x\n"[..])
        );
        assert_eq!(
            parse_records(&buf[..buf.len() - 1]),
            Err(buf.len() - REC_HDR)
        );
        assert_eq!(parse_records(&buf[..5]), Err(0));
    }

    #[test]
    fn counts_error_lines_across_records() {
        let mut c = LineCounter::default();
        for chunk in [
            "ERR",
            "OR: division by zero\nWARNING: x\nnot an ERROR: line\n",
            "E",
            "RROR",
            ":",
            " y\nERRORS\n",
            "WARN",
        ] {
            c.feed(chunk.as_bytes());
        }
        assert_eq!((c.errors, c.warnings), (2, 1));
    }
}
