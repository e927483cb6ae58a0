//! Development helper: read a tree (+ image) and print the counts and warnings.
use std::time::Instant;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let t = Instant::now();
    let r = kernel::tree::read(std::path::Path::new(&args[1]), args.get(2).map(std::path::Path::new));
    match r {
        Ok(r) => {
            println!("{:?} in {:?}", r.profile.meta.counts, t.elapsed());
            println!("{} {} cc={:?} btf={:?}", r.profile.meta.release, r.profile.meta.arch, r.profile.meta.cc, r.profile.meta.btf_source);
            let nsys = r.profile.tracepoints.iter().filter(|t| !t.system.is_empty()).count();
            println!("tracepoints with system: {nsys}/{}", r.profile.tracepoints.len());
            let miss: Vec<&str> = r.profile.tracepoints.iter().filter(|t| t.system.is_empty()).map(|t| t.name.as_str()).collect(); println!("no system: {}", miss.join(" "));
            for w in r.warnings { println!("warning: {w:?}"); }
        }
        Err(d) => println!("error: {d:?}"),
    }
}
