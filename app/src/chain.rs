//! One way to reach a chain: the keeper, the wallet commands, `migrate` and the demo are
//! written against [`Chain`], implemented by a Solana RPC cluster ([`crate::rpc::RpcChain`])
//! and by the embedded bank ([`crate::bank::BankChain`]).

use anchor_lang::prelude::Pubkey;
use solana_sdk::account::Account;
use solana_sdk::instruction::Instruction;
use solana_sdk::signature::{Keypair, Signature};
use solana_sdk::transaction::TransactionError;

use crate::errors::explain;

/// Why a chain call failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ChainError {
    /// The transaction ran (or was simulated) and failed.
    #[error("{}", explain(.0))]
    Rejected(TransactionError),
    /// The chain could not be reached or answered something unusable.
    #[error("rpc: {0}")]
    Transport(String),
}

impl ChainError {
    /// Whether the transaction failed with the program error `expected`.
    pub fn is(&self, expected: ballast::errors::BallastError) -> bool {
        match self {
            ChainError::Rejected(error) => crate::errors::is_program_error(error, expected),
            ChainError::Transport(_) => false,
        }
    }

    /// The program error's name, if the transaction failed with one.
    pub fn program_error_name(&self) -> Option<&'static str> {
        match self {
            ChainError::Rejected(error) => crate::errors::custom_code(error)
                .and_then(crate::errors::program_error)
                .map(|e| e.name.as_str()),
            ChainError::Transport(_) => None,
        }
    }
}

/// Result of a chain call.
pub type ChainResult<T> = Result<T, ChainError>;

/// Reading accounts and sending transactions, on a cluster or on the embedded bank.
#[allow(async_fn_in_trait)]
pub trait Chain {
    /// The wallet this session acts as (keeper, wallet commands, migrate).
    fn wallet(&self) -> &Keypair;

    /// The accounts at `keys` (`None` where there is none), in order.
    async fn accounts(&mut self, keys: &[Pubkey]) -> ChainResult<Vec<Option<Account>>>;

    /// Every Ballast account of `data_len` bytes whose market field (bytes 8..40) is `market`:
    /// `getProgramAccounts` with a data-size and a memcmp filter.
    async fn program_accounts(
        &mut self,
        data_len: usize,
        market: &Pubkey,
    ) -> ChainResult<Vec<(Pubkey, Account)>>;

    /// The cluster's clock (unix seconds), as the program would read it.
    async fn now(&mut self) -> ChainResult<i64>;

    /// Simulates `instructions` signed by `signers` (the wallet pays fees).
    async fn simulate(
        &mut self,
        instructions: &[Instruction],
        signers: &[&Keypair],
    ) -> ChainResult<()>;

    /// Sends `instructions` signed by `signers` (the wallet pays fees) and waits for it.
    async fn send(
        &mut self,
        instructions: &[Instruction],
        signers: &[&Keypair],
    ) -> ChainResult<Signature>;

    /// One account.
    async fn account(&mut self, key: &Pubkey) -> ChainResult<Option<Account>> {
        Ok(self.accounts(&[*key]).await?.pop().flatten())
    }
}

/// The token balance of an SPL Token / Token-2022 account's bytes (0 when not a token account).
pub fn token_amount(account: Option<&Account>) -> u64 {
    account
        .and_then(|a| a.data.get(64..72))
        .map(|bytes| u64::from_le_bytes(bytes.try_into().expect("8 bytes")))
        .unwrap_or(0)
}

/// The wallet's associated token account for `mint`.
pub fn ata(owner: &Pubkey, mint: &Pubkey, token_program: &Pubkey) -> Pubkey {
    anchor_spl::associated_token::get_associated_token_address_with_program_id(
        owner,
        mint,
        token_program,
    )
}

/// Creates `owner`'s associated token account for `mint` if it does not exist (paid by `payer`).
pub fn create_ata_idempotent(
    payer: &Pubkey,
    owner: &Pubkey,
    mint: &Pubkey,
    token_program: &Pubkey,
) -> Instruction {
    anchor_spl::associated_token::spl_associated_token_account::instruction::create_associated_token_account_idempotent(
        payer,
        owner,
        mint,
        token_program,
    )
}

/// Builds and signs a transaction paid by `payer` with those of `keypairs` the message needs
/// (extra keypairs are ignored, a missing signer is an error, never a panic).
pub fn sign(
    instructions: &[Instruction],
    payer: &Pubkey,
    keypairs: &[&Keypair],
    blockhash: solana_sdk::hash::Hash,
) -> ChainResult<solana_sdk::transaction::Transaction> {
    use solana_sdk::signature::Signer as _;
    let message = solana_sdk::message::Message::new(instructions, Some(payer));
    let required = &message.account_keys[..usize::from(message.header.num_required_signatures)];
    let signers: Vec<&Keypair> = keypairs
        .iter()
        .copied()
        .filter(|k| required.contains(&k.pubkey()))
        .collect();
    let mut tx = solana_sdk::transaction::Transaction::new_unsigned(message);
    tx.try_sign(&signers, blockhash)
        .map_err(|error| ChainError::Transport(format!("signing: {error}")))?;
    Ok(tx)
}
