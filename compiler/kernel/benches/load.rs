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
            let ok = p.tables().map(|t| (t.types.len(), t.functions.len(), t.tracepoints.len(), t.symvers.len()));
            println!(
                "{rel} ({round} load): meta {meta:?}, tables {:?} -> {ok:?}",
                t1.elapsed()
            );
        }
    }
}
