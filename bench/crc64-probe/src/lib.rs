//! Exposes `crc64::update` from the library's src/crc64.rs (the exact file) to JavaScript:
//! `buf(len)` returns a pointer to a buffer of `len` bytes in this module's memory, which the
//! caller fills; `crc(seed, len)` returns the CRC-64/ECMA-182 of its first `len` bytes.

#[path = "../../../src/crc64.rs"]
#[allow(dead_code, missing_docs)]
mod crc64;

use std::cell::RefCell;

thread_local! {
    static BUF: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// A buffer of `len` bytes (zeroed when it grows); its address in linear memory.
#[no_mangle]
pub extern "C" fn buf(len: usize) -> *mut u8 {
    BUF.with(|b| {
        let mut b = b.borrow_mut();
        b.resize(len, 0);
        b.as_mut_ptr()
    })
}

/// The CRC of the buffer's first `len` bytes, continued from `seed`.
#[no_mangle]
pub extern "C" fn crc(seed: u64, len: usize) -> u64 {
    BUF.with(|b| {
        let b = b.borrow();
        crc64::update(seed, b.get(..len).unwrap_or(&b[..]))
    })
}
