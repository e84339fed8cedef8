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

/// A program that only exists in test banks: it relays its instruction to Ballast through CPI
/// (the hostile suite's "another program calling Ballast"). Its accounts are Ballast's
/// instruction accounts followed by the Ballast program account; its data is Ballast's.
pub const CPI_RELAY_ID: Pubkey = Pubkey::new_from_array([
    0x0c, 0x91, 0x5e, 0x1a, 0x70, 0x3d, 0x42, 0xb8, 0x11, 0x6f, 0x2a, 0x9e, 0x54, 0x07, 0xc3, 0x88,
    0x3b, 0x20, 0xe4, 0x61, 0x9a, 0x5c, 0x17, 0xd2, 0x4e, 0x80, 0x33, 0xa9, 0x6b, 0x05, 0xf1, 0x1d,
]);

/// The relay's processor: invokes Ballast with every account but the last (Ballast itself),
/// signer and writable flags as received.
pub fn cpi_relay(_program_id: &Pubkey, accounts: &[AccountInfo], data: &[u8]) -> ProgramResult {
    use anchor_lang::solana_program::instruction::{AccountMeta, Instruction};
    let relayed = &accounts[..accounts.len().saturating_sub(1)];
    let instruction = Instruction {
        program_id: ballast::ID,
        accounts: relayed
            .iter()
            .map(|a| AccountMeta {
                pubkey: *a.key,
                is_signer: a.is_signer,
                is_writable: a.is_writable,
            })
            .collect(),
        data: data.to_vec(),
    };
    anchor_lang::solana_program::program::invoke(&instruction, accounts)
}

/// A `ProgramTest` with Ballast registered, natively unless `BALLAST_SBF=1`.
pub fn program_test() -> ProgramTest {
    // The bank logs every instruction at debug level to stderr unless told otherwise, which
    // floods test output and slows runs; `RUST_LOG` set by the caller still wins.
    if std::env::var_os("RUST_LOG").is_none() {
        std::env::set_var("RUST_LOG", "error");
    }
    let mut test = ProgramTest::default();
    // Native either way: the relay has no SBF build (a builtin may call an SBF program).
    test.prefer_bpf(false);
    test.add_program("ballast_cpi_relay", CPI_RELAY_ID, processor!(cpi_relay));
    if use_sbf() {
        test.prefer_bpf(true);
        test.add_program("ballast", ballast::ID, None);
    } else {
        test.add_program("ballast", ballast::ID, processor!(process_instruction));
    }
    test
}
