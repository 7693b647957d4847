/// mimalloc: a server allocates and frees many small buffers per request from many threads,
/// where it spends markedly less time than the system allocator (see docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    medvault::cli::main()
}
