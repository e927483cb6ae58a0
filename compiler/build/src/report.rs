//! Reporting many-target builds: a progress interface (with an indicatif
//! implementation the CLI may pass in: one line per running job and an
//! overall bar, drawn on stderr only when it is a terminal), the JSON
//! manifest, and a summary table returned as a string for the CLI to
//! print.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use crate::BuildOutcome;

/// Receives job events from [`crate::build_many`] (from several threads).
pub trait Progress: Send + Sync {
    fn start(&self, index: usize, label: &str);
    fn finish(&self, index: usize, outcome: &BuildOutcome);
}

/// Reports nothing.
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _: usize, _: &str) {}
    fn finish(&self, _: usize, _: &BuildOutcome) {}
}

/// Spinners for running jobs and an overall bar on stderr; hidden when
/// stderr is not a terminal.
pub struct IndicatifProgress {
    multi: MultiProgress,
    overall: ProgressBar,
    running: Mutex<HashMap<usize, ProgressBar>>,
}

impl IndicatifProgress {
    pub fn new(total: usize) -> Self {
        let target = if std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        Self::with_target(total, target)
    }

    pub fn with_target(total: usize, target: ProgressDrawTarget) -> Self {
        let multi = MultiProgress::with_draw_target(target);
        let overall = multi.add(ProgressBar::new(total as u64));
        if let Ok(style) =
            ProgressStyle::with_template("[{elapsed_precise}] {bar:30} {pos}/{len} targets {msg}")
        {
            overall.set_style(style);
        }
        IndicatifProgress {
            multi,
            overall,
            running: Mutex::new(HashMap::new()),
        }
    }

    /// Number of jobs finished so far.
    pub fn finished(&self) -> u64 {
        self.overall.position()
    }
}

impl Progress for IndicatifProgress {
    fn start(&self, index: usize, label: &str) {
        let bar = self
            .multi
            .insert_before(&self.overall, ProgressBar::new_spinner());
        if let Ok(style) = ProgressStyle::with_template("  {spinner} {msg} {elapsed}") {
            bar.set_style(style);
        }
        bar.set_message(label.to_string());
        bar.enable_steady_tick(Duration::from_millis(120));
        self.running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(index, bar);
    }

    fn finish(&self, index: usize, outcome: &BuildOutcome) {
        if let Some(bar) = self
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&index)
        {
            bar.finish_and_clear();
            self.multi.remove(&bar);
        }
        self.overall.inc(1);
        if !outcome.is_ok() {
            self.overall
                .set_message(format!("({} failed)", outcome.release));
        }
    }
}

impl Drop for IndicatifProgress {
    fn drop(&mut self) {
        self.overall.finish_and_clear();
    }
}

/// One line of the manifest.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ManifestEntry {
    pub name: String,
    pub target: String,
    pub arch: String,
    /// `built`, `cached` or `failed`.
    pub status: &'static str,
    pub ko: Option<String>,
    pub vermagic: Option<String>,
    pub ko_blake3: Option<String>,
    pub seconds: f64,
    /// `CODE: message` of each error, for failed targets.
    pub errors: Vec<String>,
}

pub fn manifest_entries(outcomes: &[BuildOutcome]) -> Vec<ManifestEntry> {
    outcomes
        .iter()
        .map(|o| {
            let seconds = (o.wall.as_secs_f64() * 1000.0).round() / 1000.0;
            match &o.result {
                Ok(b) => ManifestEntry {
                    name: o.name.clone(),
                    target: o.release.clone(),
                    arch: o.arch.clone(),
                    status: if b.cached { "cached" } else { "built" },
                    ko: Some(b.ko.display().to_string()),
                    vermagic: Some(b.vermagic.clone()),
                    ko_blake3: Some(b.ko_blake3.clone()),
                    seconds,
                    errors: Vec::new(),
                },
                Err(f) => ManifestEntry {
                    name: o.name.clone(),
                    target: o.release.clone(),
                    arch: o.arch.clone(),
                    status: "failed",
                    ko: None,
                    vermagic: None,
                    ko_blake3: None,
                    seconds,
                    errors: f
                        .diagnostics
                        .iter()
                        .filter(|d| d.diagnostic.is_error())
                        .map(|d| format!("{}: {}", d.diagnostic.code, d.diagnostic.message))
                        .collect(),
                },
            }
        })
        .collect()
}

/// The manifest as pretty JSON (a list of [`ManifestEntry`]).
pub fn manifest_json(outcomes: &[BuildOutcome]) -> String {
    serde_json::to_string_pretty(&manifest_entries(outcomes)).unwrap_or_else(|_| "[]".into())
}

/// Write the manifest to `path` atomically.
pub fn write_manifest(path: &std::path::Path, outcomes: &[BuildOutcome]) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    crate::fsutil::write_atomic(path, manifest_json(outcomes).as_bytes())
}

/// A plain-text table, one row per target, then a totals line.
pub fn summary_table(outcomes: &[BuildOutcome]) -> String {
    let rows: Vec<[String; 5]> = manifest_entries(outcomes)
        .into_iter()
        .map(|e| {
            let detail = match (&e.vermagic, e.errors.first()) {
                (Some(v), _) => v.trim().to_string(),
                (None, Some(err)) => err.clone(),
                (None, None) => String::new(),
            };
            [
                e.target,
                e.arch,
                e.status.to_string(),
                format!("{:.2}s", e.seconds),
                detail,
            ]
        })
        .collect();
    let header = ["TARGET", "ARCH", "STATUS", "TIME", "VERMAGIC / ERROR"].map(String::from);
    let mut widths = [0usize; 4];
    for r in std::iter::once(&header).chain(&rows) {
        for (w, c) in widths.iter_mut().zip(r.iter()) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    for r in std::iter::once(&header).chain(&rows) {
        for (i, c) in r.iter().enumerate().take(4) {
            out.push_str(&format!("{c:<w$}  ", w = widths[i]));
        }
        out.push_str(&r[4]);
        out.push('\n');
    }
    let ok = outcomes.iter().filter(|o| o.is_ok()).count();
    let cached = outcomes
        .iter()
        .filter(|o| matches!(&o.result, Ok(b) if b.cached))
        .count();
    out.push_str(&format!(
        "{ok}/{} targets ok ({cached} from cache), {} failed\n",
        outcomes.len(),
        outcomes.len() - ok
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Built, Failed};
    use diag::Diagnostic;
    use std::path::PathBuf;

    fn outcomes() -> Vec<BuildOutcome> {
        vec![
            BuildOutcome {
                name: "m".into(),
                release: "6.1.0-56-amd64".into(),
                arch: "x86".into(),
                wall: Duration::from_millis(1500),
                result: Ok(Built {
                    ko: PathBuf::from("out/6.1.0-56-amd64/m.ko"),
                    ko_blake3: "ab".into(),
                    vermagic: "6.1.0-56-amd64 SMP preempt mod_unload modversions ".into(),
                    cached: true,
                    cache_key: "k".into(),
                    recompiled: vec![],
                    build_dir: None,
                    warnings: vec![],
                }),
            },
            BuildOutcome {
                name: "m".into(),
                release: "6.12.117+deb12-arm64".into(),
                arch: "arm64".into(),
                wall: Duration::from_millis(20),
                result: Err(Failed {
                    diagnostics: vec![Diagnostic::error("E0703", "no compiler").into()],
                    build_dir: None,
                }),
            },
        ]
    }

    #[test]
    fn table_and_manifest() {
        expect_test::expect![[r#"
            TARGET                ARCH   STATUS  TIME   VERMAGIC / ERROR
            6.1.0-56-amd64        x86    cached  1.50s  6.1.0-56-amd64 SMP preempt mod_unload modversions
            6.12.117+deb12-arm64  arm64  failed  0.02s  E0703: no compiler
            1/2 targets ok (1 from cache), 1 failed
        "#]]
        .assert_eq(&summary_table(&outcomes()));
        let dir = crate::fsutil::make_temp_dir(&std::env::temp_dir(), "report-test").unwrap();
        write_manifest(&dir.join("m/manifest.json"), &outcomes()).unwrap();
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("m/manifest.json")).unwrap())
                .unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(json[0]["status"], "cached");
        assert_eq!(json[0]["ko_blake3"], "ab");
        assert_eq!(json[1]["errors"][0], "E0703: no compiler");
    }

    #[test]
    fn hidden_progress_counts() {
        let p = IndicatifProgress::with_target(2, ProgressDrawTarget::hidden());
        let o = outcomes();
        p.start(0, "a");
        p.start(1, "b");
        p.finish(1, &o[1]);
        p.finish(0, &o[0]);
        assert_eq!(p.finished(), 2);
    }
}
