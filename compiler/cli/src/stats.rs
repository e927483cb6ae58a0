//! Process resource figures for `-v` ("Pass 1: ... using 1234virt/567res/...
//! kb, in 10usr/0sys/12real ms."), read from `/proc/self`. Where `/proc` is
//! missing the figures are 0.

use std::time::Instant;

/// Memory in kB and CPU time in ms, at one moment.
#[derive(Debug, Clone, Copy, Default)]
pub struct Usage {
    pub virt_kb: u64,
    pub res_kb: u64,
    pub shr_kb: u64,
    pub data_kb: u64,
    /// Peak resident set size (VmHWM).
    pub peak_kb: u64,
    pub user_ms: u64,
    pub sys_ms: u64,
}

impl Usage {
    pub fn now() -> Usage {
        let mut u = Usage::default();
        if let Ok(s) = std::fs::read_to_string("/proc/self/status") {
            for line in s.lines() {
                let Some((k, v)) = line.split_once(':') else {
                    continue;
                };
                let kb = v.trim().trim_end_matches(" kB").trim().parse().unwrap_or(0);
                match k {
                    "VmSize" => u.virt_kb = kb,
                    "VmRSS" => u.res_kb = kb,
                    "RssFile" | "RssShmem" => u.shr_kb += kb,
                    "VmData" => u.data_kb = kb,
                    "VmHWM" => u.peak_kb = kb,
                    _ => {}
                }
            }
        }
        if let Ok(s) = std::fs::read_to_string("/proc/self/stat") {
            // Fields after the parenthesised command name; utime and stime
            // are fields 14 and 15 (1-based), in clock ticks (100 per second
            // on Linux).
            if let Some((_, rest)) = s.rsplit_once(')') {
                let f: Vec<&str> = rest.split_whitespace().collect();
                let tick =
                    |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0) * 10;
                u.user_ms = tick(11);
                u.sys_ms = tick(12);
            }
        }
        u
    }
}

/// Measures one pass.
pub struct PassTimer {
    start: Instant,
    usage: Usage,
}

impl PassTimer {
    pub fn start() -> Self {
        PassTimer {
            start: Instant::now(),
            usage: Usage::now(),
        }
    }

    /// The stap-style " using ... kb, in ...ms." tail for the pass's `-v` line.
    pub fn summary(&self) -> String {
        let now = Usage::now();
        let real = self.start.elapsed().as_millis();
        format!(
            "using {}virt/{}res/{}shr/{}data/{}peak kb, in {}usr/{}sys/{}real ms.",
            now.virt_kb,
            now.res_kb,
            now.shr_kb,
            now.data_kb,
            now.peak_kb,
            now.user_ms.saturating_sub(self.usage.user_ms),
            now.sys_ms.saturating_sub(self.usage.sys_ms),
            real
        )
    }
}
