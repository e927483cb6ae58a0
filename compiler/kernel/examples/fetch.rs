//! Development helper: `fetch KVER` into $XSTAP_HOME and print the result.
fn main() {
    let kver = std::env::args().nth(1).unwrap_or_default();
    match kernel::fetch::fetch_debian(&kver, &kernel::store::home()) {
        Ok(k) => println!("{k:#?}"),
        Err(d) => println!("error: {d:#?}"),
    }
}
