//! Prints MD5 and CRC-64 throughput over a 256 MiB buffer (what bounds the emulator's PUT
//! throughput): `cargo run --release -p oss-emulator --example hash_throughput`.

use std::time::Instant;

fn main() {
    let buf: Vec<u8> = (0..256u32 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let mb = buf.len() as f64 / 1e6;
    let t = Instant::now();
    let mut h = oss_emulator::md5::Md5::new();
    for c in buf.chunks(1 << 20) {
        h.update(c);
    }
    let d = h.finalize();
    let s = t.elapsed().as_secs_f64();
    println!("md5   {:>8.0} MB/s  ({})", mb / s, hex::encode(d));
    let t = Instant::now();
    let mut c = oss_emulator::crc64::Crc64::new();
    for ch in buf.chunks(1 << 20) {
        c.update(ch);
    }
    let s = t.elapsed().as_secs_f64();
    println!("crc64 {:>8.0} MB/s  ({})", mb / s, c.value());
}
