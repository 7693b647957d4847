fn main() -> std::process::ExitCode {
    medvault::cli::main()
}
