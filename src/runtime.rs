//! The runtime of the `no_std` signing-only wasm (no `client` feature): an allocator and a panic
//! handler that traps without formatting anything, so no `core::fmt` is linked. The library
//! never panics by design (clippy denies unwrap/expect/panic/indexing); a trap would only come
//! from an allocation failure.

#[global_allocator]
static ALLOCATOR: lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::FreeListAllocator::new());

#[cfg(not(test))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}
