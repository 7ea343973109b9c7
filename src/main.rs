//! The kcross binary: everything is in the library (`kcross::cli` is the command line).

fn main() {
    std::process::exit(kcross::cli::main());
}
