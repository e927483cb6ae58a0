//! Prints how long loading a profile takes: the fixture, and the real
//! profiles in `$XSTAP_HOME` (cold = first load in this process, meta only +
//! tables; warm = second load). Run: `cargo bench -p kernel --bench load`.

use std::time::Instant;

fn main() {
    let t = Instant::now();
    let p = kernel::fixtures::tiny_x86();
    let _ = p.tables();
    println!("fixture tiny-x86: {:?}", t.elapsed());

    let home = kernel::store::home();
    let store = kernel::store::Store::new(&home);
    for rel in store.releases() {
        for round in ["first", "second"] {
            let t0 = Instant::now();
            let Ok(p) = store.load(&rel) else { continue };
            let meta = t0.elapsed();
            let t1 = Instant::now();
            let ok = p.tables().map(|t| {
                (
                    t.types.len(),
                    t.functions.len(),
                    t.tracepoints.len(),
                    t.symvers.len(),
                )
            });
            println!(
                "{rel} ({round} load): meta {meta:?}, tables {:?} -> {ok:?}",
                t1.elapsed()
            );
        }
        if let Ok(p) = store.load(&rel) {
            let t = Instant::now();
            let n = p.exports().map(|e| e.len());
            println!("  exports only (no BTF): {:?} ({n:?})", t.elapsed());
        }
        let dir = store.dir_of(&rel);
        if let Ok(blob) = std::fs::read(dir.join(kernel::store::BTF_FILE)) {
            let t = Instant::now();
            let n = kernel::btf::parse(&blob, "bench").map(|p| p.types.len());
            println!("  btf::parse alone: {:?} ({n:?} types)", t.elapsed());
        }
        if let Ok(text) = std::fs::read_to_string(dir.join(kernel::store::SYMVERS_FILE)) {
            let t = Instant::now();
            let n = kernel::tree::parse_symvers(&text, &dir).map(|s| s.len());
            println!("  parse_symvers alone: {:?} ({n:?} exports)", t.elapsed());
        }
        if let Ok(text) = std::fs::read(dir.join(kernel::store::TRACEPOINTS_FILE)) {
            let t = Instant::now();
            let n = serde_json::from_slice::<Vec<kernel::Tracepoint>>(&text).map(|s| s.len());
            println!("  tracepoints.json alone: {:?} ({:?})", t.elapsed(), n.ok());
        }
    }
}

/// Time the parts of a table load, for the first stored profile.
#[allow(dead_code)]
fn parts() {}
