//! `cargo run -p xtask -- idl`: writes `idl/ballast.json` with Anchor's IDL builder (no SBF
//! toolchain needed: it runs the program's `__anchor_private_print_idl` tests natively).
//! `cargo run -p xtask -- idl --check`: fails if the committed IDL differs from the code.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

fn build_idl() -> String {
    // Anchor's builder re-invokes cargo with a literal `+{toolchain}` when RUSTUP_TOOLCHAIN is
    // set (it is, inside every `cargo run`); without it the ambient toolchain is used.
    std::env::remove_var("RUSTUP_TOOLCHAIN");
    let program = workspace_root().join("programs/ballast");
    let idl = anchor_lang_idl::build::IdlBuilder::new()
        .program_path(program)
        .skip_lint(true)
        .build()
        .unwrap_or_else(|error| panic!("building the IDL failed: {error}"));
    serde_json::to_string_pretty(&idl).expect("the IDL serializes") + "\n"
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["idl"] => {
            let path = workspace_root().join("idl/ballast.json");
            std::fs::write(&path, build_idl()).expect("write idl/ballast.json");
            println!("wrote {}", path.display());
            ExitCode::SUCCESS
        }
        ["idl", "--check"] => {
            let path = workspace_root().join("idl/ballast.json");
            let committed = std::fs::read_to_string(&path).unwrap_or_default();
            if committed == build_idl() {
                println!("idl/ballast.json matches the program");
                ExitCode::SUCCESS
            } else {
                eprintln!("idl/ballast.json is out of date: run `cargo run -p xtask -- idl` and commit it");
                ExitCode::FAILURE
            }
        }
        _ => {
            eprintln!("usage: cargo run -p xtask -- idl [--check]");
            ExitCode::from(2)
        }
    }
}
