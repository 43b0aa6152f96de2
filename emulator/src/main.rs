//! Placeholder: the OSS + STS emulator (issue 3).
fn main() {}
