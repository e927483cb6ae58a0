//! Development helper: read a tree (+ image) and store it under $XSTAP_HOME.
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let r = kernel::tree::read(std::path::Path::new(&args[1]), args.get(2).map(std::path::Path::new)).unwrap();
    let store = kernel::store::Store::new(&kernel::store::home());
    let p = store.save(&r.profile).unwrap();
    println!("{} {}", p.meta.release, p.meta.hash);
}
