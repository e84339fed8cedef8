//! `cargo run -p xtask -- idl`: writes `idl/ballast.json` with Anchor's IDL builder (no SBF
//! toolchain needed: it runs the program's `__anchor_private_print_idl` tests natively).
//! `cargo run -p xtask -- idl --check`: fails if the committed IDL differs from the code.
//!
//! Both fail if an account that lives at a Ballast PDA (a market, a reserve, an obligation or a
//! vault, by the program's naming) has no `pda` in the IDL: a client could not derive it, and
//! anchor-syn drops every seed of an account silently when it cannot parse one of them.

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

/// The program's PDA accounts, by name: `market`, `reserve`, `obligation` and the vaults, alone
/// or as the suffix of a role (`repay_reserve`, `liquidator_obligation`, …).
fn is_pda_account(name: &str) -> bool {
    const PDAS: [&str; 5] = [
        "market",
        "reserve",
        "obligation",
        "liquidity_vault",
        "fund_vault",
    ];
    PDAS.iter()
        .any(|pda| name == *pda || name.ends_with(&format!("_{pda}")))
}

/// `instruction.account` for every PDA account of `idl` that has no `pda`.
fn missing_pdas(idl: &str) -> Vec<String> {
    let idl: serde_json::Value = serde_json::from_str(idl).expect("the IDL is JSON");
    let mut missing = vec![];
    for instruction in idl["instructions"].as_array().expect("instructions") {
        for account in instruction["accounts"].as_array().expect("accounts") {
            let name = account["name"].as_str().unwrap_or_default();
            if is_pda_account(name) && account.get("pda").is_none() {
                missing.push(format!(
                    "{}.{name}",
                    instruction["name"].as_str().unwrap_or("?")
                ));
            }
        }
    }
    missing
}

/// Fails when a PDA account has no seeds in the IDL.
fn require_every_pda(idl: &str) -> Result<(), ExitCode> {
    let missing = missing_pdas(idl);
    if missing.is_empty() {
        return Ok(());
    }
    eprintln!("PDA accounts without `pda` in the IDL (give each a `seeds` constraint anchor-syn can parse):");
    for account in missing {
        eprintln!("  {account}");
    }
    Err(ExitCode::FAILURE)
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
            let idl = build_idl();
            std::fs::write(&path, &idl).expect("write idl/ballast.json");
            println!("wrote {}", path.display());
            match require_every_pda(&idl) {
                Ok(()) => ExitCode::SUCCESS,
                Err(code) => code,
            }
        }
        ["idl", "--check"] => {
            let path = workspace_root().join("idl/ballast.json");
            let committed = std::fs::read_to_string(&path).unwrap_or_default();
            let idl = build_idl();
            if let Err(code) = require_every_pda(&idl) {
                return code;
            }
            if committed == idl {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pda_account_without_seeds_is_reported() {
        let idl = r#"{"instructions": [
            {"name": "deposit", "accounts": [
                {"name": "owner"},
                {"name": "market", "pda": {"seeds": []}},
                {"name": "reserve"},
                {"name": "liquidity_vault", "pda": {"seeds": []}},
                {"name": "source"}
            ]},
            {"name": "liquidate", "accounts": [
                {"name": "repay_reserve", "pda": {"seeds": []}},
                {"name": "liquidator_obligation"},
                {"name": "collateral_destination"}
            ]}
        ]}"#;
        assert_eq!(
            missing_pdas(idl),
            ["deposit.reserve", "liquidate.liquidator_obligation"]
        );
    }

    #[test]
    fn the_committed_idl_has_every_pda() {
        let committed = std::fs::read_to_string(workspace_root().join("idl/ballast.json")).unwrap();
        assert_eq!(missing_pdas(&committed), Vec::<String>::new());
    }
}
