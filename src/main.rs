fn main() -> std::process::ExitCode {
    adoptbot::runners::cli::main()
}
