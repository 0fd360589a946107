//! Fan-out benchmark (filled in below).
fn main() {}
