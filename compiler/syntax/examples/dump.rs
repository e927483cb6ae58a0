//! Prints the tree and errors of a file: `cargo run -p syntax --example dump FILE`.
fn main() {
    let path = std::env::args().nth(1).expect("usage: dump FILE");
    let bytes = std::fs::read(&path).expect("read");
    let text = String::from_utf8_lossy(&bytes);
    let p = syntax::parse(&text);
    print!("{}", p.debug_dump());
    println!("---- pretty");
    print!("{}", syntax::pretty(&p.tree()));
}
