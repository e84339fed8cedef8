//! Starting a bank with the Ballast program loaded, and the native entrypoint other hosts (a
//! local validator) register.

use anchor_lang::solana_program::account_info::AccountInfo;
use anchor_lang::solana_program::entrypoint::ProgramResult;
use anchor_lang::solana_program::pubkey::Pubkey;
use solana_program_test::{processor, ProgramTest};

/// Forwards to the program's entrypoint with the plain builtin signature.
///
/// Anchor's `entry` ties every lifetime to one `'info`; the bank's builtin signature has
/// independent ones. The accounts outlive the call, so extending them for its duration is
/// sound.
pub fn process_instruction(
    program_id: &Pubkey,
    accounts: &[AccountInfo],
    data: &[u8],
) -> ProgramResult {
    let accounts: &[AccountInfo] =
        unsafe { std::mem::transmute::<&[AccountInfo], &[AccountInfo]>(accounts) };
    ballast::entry(program_id, accounts, data)
}

/// Whether to load the SBF build (`target/deploy/ballast.so`, via `BPF_OUT_DIR`/`SBF_OUT_DIR`)
/// instead of running the program natively.
pub fn use_sbf() -> bool {
    std::env::var("BALLAST_SBF").is_ok_and(|value| value == "1")
}

/// A `ProgramTest` with Ballast registered, natively unless `BALLAST_SBF=1`.
pub fn program_test() -> ProgramTest {
    // The bank logs every instruction at debug level to stderr unless told otherwise, which
    // floods test output and slows runs; `RUST_LOG` set by the caller still wins.
    if std::env::var_os("RUST_LOG").is_none() {
        std::env::set_var("RUST_LOG", "error");
    }
    let mut test = ProgramTest::default();
    if use_sbf() {
        test.prefer_bpf(true);
        test.add_program("ballast", ballast::ID, None);
    } else {
        test.add_program("ballast", ballast::ID, processor!(process_instruction));
    }
    test
}
