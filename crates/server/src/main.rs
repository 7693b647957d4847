/// mimalloc: a server allocates and frees many small buffers per request from many threads,
/// where it spends markedly less time than the system allocator (see docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    limit_c_arenas();
    medvault::cli::main()
}

/// The C libraries underneath (libpq, SQLite) allocate with the C library's allocator, which gives
/// each thread that allocates while others do an arena of its own (up to eight per core) and keeps
/// what every arena once held. Under load that is tens of megabytes nothing uses; two arenas serve
/// what those libraries allocate.
fn limit_c_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: sets an allocator option before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}
