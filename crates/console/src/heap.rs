//! Giving the heap's freed memory back to the system after a large, short-lived build or a sync.

/// Returns the heap's free pages to the system. glibc keeps what millions of small allocations
/// freed (the search index's input: every cached entity's terms; a sync's responses, spread over
/// the arenas of the threads that read them) for later allocations, so the process stays at its
/// peak size long after; elsewhere this does nothing.
pub fn give_back_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases memory the allocator holds free; no live allocation is
    // touched, and it may be called from any thread.
    unsafe {
        libc::malloc_trim(0);
    }
}
