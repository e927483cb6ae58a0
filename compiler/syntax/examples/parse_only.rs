//! Parses files and prints error counts and timing:
//! `cargo run -p syntax --release --example parse_only FILE...`.
fn main() {
    for path in std::env::args().skip(1) {
        let bytes = std::fs::read(&path).expect("read");
        let text = String::from_utf8_lossy(&bytes);
        let t = std::time::Instant::now();
        let p = syntax::parse(&text);
        let dt = t.elapsed();
        let mb = text.len() as f64 / 1e6;
        println!(
            "{path}: {} bytes, {} errors, {:.1} ms, {:.1} MB/s",
            text.len(),
            p.errors().len(),
            dt.as_secs_f64() * 1e3,
            mb / dt.as_secs_f64()
        );
        if let Some(e) = p.errors().first() {
            println!("  first: {} {}", e.code, e.message);
        }
    }
}
