/// mimalloc: loading a repository allocates many small values on every core at once, where
/// it is markedly faster than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    adoptbot::runners::cli::main()
}
