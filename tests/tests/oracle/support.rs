//! What the matrix and the scenarios share: outcomes named by error, token amounts by value,
//! and remaining accounts with one reserve's price account swapped.

use anchor_lang::prelude::{AccountMeta, Pubkey};
use anchor_lang::solana_program::instruction::error::InstructionError;
use anchor_lang::solana_program::program_pack::Pack;
use anchor_lang::solana_program::system_instruction;
use anchor_spl::token::spl_token;
use anchor_spl::token_2022::spl_token_2022;
use ballast::errors::BallastError;
use ballast::state::Obligation;
use ballast_client::{self as client, OracleKeys};
use ballast_tests::fixture::{Harness, TxResult, User};
use solana_sdk::signature::{Keypair, Signer};
use solana_sdk::transaction::TransactionError;

/// How one instruction ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Succeeded.
    Ok,
    /// Rejected by Ballast with this error code.
    Rejected(u32),
    /// Failed some other way (a framework or runtime error): always a finding.
    Other(String),
}

impl Outcome {
    pub fn rejected(error: BallastError) -> Outcome {
        Outcome::Rejected(error.into())
    }

    /// The program's instruction is index 1 (index 0 sets the compute budget).
    pub fn of(result: &TxResult) -> Outcome {
        match result {
            Ok(()) => Outcome::Ok,
            Err(TransactionError::InstructionError(1, InstructionError::Custom(code))) => {
                Outcome::Rejected(*code)
            }
            Err(other) => Outcome::Other(format!("{other:?}")),
        }
    }

    /// `ok`, the error's name, or the raw failure.
    pub fn name(&self) -> String {
        match self {
            Outcome::Ok => "ok".to_string(),
            Outcome::Rejected(code) => error_name(*code),
            Outcome::Other(text) => text.clone(),
        }
    }
}

/// Errors a price read or the checks that follow it can end in.
const NAMED_ERRORS: [BallastError; 19] = [
    BallastError::OracleStale,
    BallastError::OracleFuture,
    BallastError::OracleNonPositive,
    BallastError::OracleConfidence,
    BallastError::OracleNotTrading,
    BallastError::OracleWrongAccount,
    BallastError::OracleWrongOwner,
    BallastError::OracleUnparsable,
    BallastError::OracleExponentOutOfRange,
    BallastError::OracleFeedMismatch,
    BallastError::OracleInsufficientVerification,
    BallastError::OracleOlderThanLastUsed,
    BallastError::OracleTooFewResponses,
    BallastError::OracleSourcesDisagree,
    BallastError::BorrowLimitExceeded,
    BallastError::ObligationHealthy,
    BallastError::NotInsolvent,
    BallastError::InvalidRemainingAccounts,
    BallastError::MathOverflow,
];

/// The variant name of a Ballast error code (`Custom(n)` for one not listed above).
pub fn error_name(code: u32) -> String {
    NAMED_ERRORS
        .iter()
        .find(|error| u32::from(**error) == code)
        .map(|error| format!("{error:?}"))
        .unwrap_or_else(|| format!("Custom({code})"))
}

/// Base units of asset `index` worth `usd` at its listing price (rounded down).
pub fn worth(h: &Harness, index: usize, usd: u64) -> u64 {
    let spec = h.assets[index].spec;
    let price_cents = (spec.price * 100.0).round() as u128;
    let units = u128::from(usd) * 100 * 10u128.pow(u32::from(spec.decimals)) / price_cents;
    u64::try_from(units).expect("amount fits")
}

/// Base units of asset `index` worth `usd` at its primary feed's current price (rounded down).
pub fn worth_now(h: &Harness, index: usize, usd: u64) -> u64 {
    let (feed, decimals) = (h.assets[index].feed, h.assets[index].spec.decimals);
    let scale = 10u128.pow(u32::from(decimals)) * 10u128.pow(feed.expo.unsigned_abs());
    let units = u128::from(usd) * scale / u128::try_from(feed.price).expect("a positive price");
    u64::try_from(units).expect("amount fits")
}

/// Canonical `[reserve, oracle]` pairs for `obligation`, passing `oracle` instead of the
/// configured price account for the reserve of asset `index` when given.
pub fn remaining_with(
    h: &Harness,
    obligation: &Obligation,
    writable: bool,
    index: usize,
    oracle: Option<Pubkey>,
) -> Vec<AccountMeta> {
    let swapped = h.assets[index].keys.reserve;
    client::remaining_accounts(
        obligation,
        |reserve| match oracle {
            Some(account) if *reserve == swapped => OracleKeys {
                primary: account,
                ..h.oracle_of(reserve)
            },
            _ => h.oracle_of(reserve),
        },
        writable,
    )
}

/// A user holding `funds` (asset index, base units), in two transactions instead of the
/// fixture's one per account: the matrix creates hundreds of users.
pub async fn new_user(h: &mut Harness, funds: &[(usize, u64)]) -> User {
    let keypair = Keypair::new();
    let owner = keypair.pubkey();
    let payer = h.payer.pubkey();
    let rent = anchor_lang::solana_program::rent::Rent::default();
    let len = spl_token::state::Account::LEN;
    let token_accounts: Vec<Keypair> = h.assets.iter().map(|_| Keypair::new()).collect();
    let mut instructions = vec![system_instruction::transfer(&payer, &owner, 10_000_000_000)];
    for (asset, account) in h.assets.iter().zip(&token_accounts) {
        let keys = asset.keys;
        instructions.extend([
            system_instruction::create_account(
                &payer,
                &account.pubkey(),
                rent.minimum_balance(len),
                len as u64,
                &keys.token_program,
            ),
            spl_token_2022::instruction::initialize_account3(
                &keys.token_program,
                &account.pubkey(),
                &keys.mint,
                &owner,
            )
            .expect("account instruction"),
        ]);
    }
    let signers: Vec<&Keypair> = token_accounts.iter().collect();
    h.send(&instructions, &signers)
        .await
        .expect("token accounts");
    let tokens: Vec<Pubkey> = token_accounts.iter().map(|k| k.pubkey()).collect();
    let authority = h.mint_authority.insecure_clone();
    let mut instructions = vec![client::init_obligation(&owner, &h.market, 0)];
    for &(index, amount) in funds {
        let keys = h.assets[index].keys;
        instructions.push(
            spl_token_2022::instruction::mint_to(
                &keys.token_program,
                &keys.mint,
                &tokens[index],
                &authority.pubkey(),
                &[],
                amount,
            )
            .expect("mint_to instruction"),
        );
    }
    h.send(&instructions, &[&keypair, &authority])
        .await
        .expect("obligation and funds");
    User {
        obligation: client::obligation_address(&h.market, &owner, 0),
        keypair,
        tokens,
    }
}
