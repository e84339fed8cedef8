//! One way to reach a chain: the keeper, the wallet commands, `migrate` and the demo are
//! written against [`Chain`], implemented by a Solana RPC cluster ([`crate::rpc::RpcChain`])
//! and by the embedded bank ([`crate::bank::BankChain`]).

use anchor_lang::prelude::Pubkey;
use solana_sdk::account::Account;
use solana_sdk::instruction::Instruction;
pub use solana_sdk::message::AddressLookupTableAccount;
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

    /// Acts as `wallet` from now on.
    fn set_wallet(&mut self, wallet: Keypair);

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

    /// Sends `instructions` as one v0 transaction whose accounts resolve through
    /// `lookup_tables` (the wallet pays fees) and waits for it.
    async fn send_v0(
        &mut self,
        instructions: &[Instruction],
        signers: &[&Keypair],
        lookup_tables: &[AddressLookupTableAccount],
    ) -> ChainResult<Signature>;

    /// One account.
    async fn account(&mut self, key: &Pubkey) -> ChainResult<Option<Account>> {
        Ok(self.accounts(&[*key]).await?.pop().flatten())
    }
}

/// A chain one controls as well as reads: the embedded bank, or a local validator with
/// surfpool's cheatcodes. What the demo, the test fixture and the localnet use to write simulated
/// accounts (oracles, mints at fixed addresses), move the clock and fund wallets.
#[allow(async_fn_in_trait)]
pub trait LocalChain: Chain {
    /// Writes `account` at `address` as is.
    async fn set_account(&mut self, address: &Pubkey, account: Account) -> ChainResult<()>;

    /// Moves the clock to `unix_timestamp`. A validator only moves forward.
    async fn set_clock(&mut self, unix_timestamp: i64) -> ChainResult<()>;

    /// Gives `to` `lamports`.
    async fn airdrop(&mut self, to: &Pubkey, lamports: u64) -> ChainResult<()>;
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

/// Signs a v0 transaction of `instructions` whose accounts resolve through `tables`.
pub fn sign_v0(
    instructions: &[Instruction],
    payer: &Pubkey,
    keypairs: &[&Keypair],
    blockhash: solana_sdk::hash::Hash,
    tables: &[AddressLookupTableAccount],
) -> ChainResult<solana_sdk::transaction::VersionedTransaction> {
    use solana_sdk::signature::Signer as _;
    let message =
        solana_sdk::message::v0::Message::try_compile(payer, instructions, tables, blockhash)
            .map_err(|error| ChainError::Transport(format!("compiling a v0 message: {error}")))?;
    let required = &message.account_keys[..usize::from(message.header.num_required_signatures)];
    let signers: Vec<&Keypair> = keypairs
        .iter()
        .copied()
        .filter(|k| required.contains(&k.pubkey()))
        .collect();
    solana_sdk::transaction::VersionedTransaction::try_new(
        solana_sdk::message::VersionedMessage::V0(message),
        &signers,
    )
    .map_err(|error| ChainError::Transport(format!("signing: {error}")))
}

/// The wire size of a v0 transaction of `instructions` paid by `payer` through `tables`:
/// (bytes, account keys its message references, of which through the tables). Signatures
/// are counted at their size; nothing is signed.
pub fn v0_transaction_size(
    instructions: &[Instruction],
    payer: &Pubkey,
    tables: &[AddressLookupTableAccount],
) -> ChainResult<(usize, usize, usize)> {
    let message = solana_sdk::message::v0::Message::try_compile(
        payer,
        instructions,
        tables,
        solana_sdk::hash::Hash::default(),
    )
    .map_err(|error| ChainError::Transport(format!("compiling a v0 message: {error}")))?;
    let from_tables: usize = message
        .address_table_lookups
        .iter()
        .map(|l| l.writable_indexes.len() + l.readonly_indexes.len())
        .sum();
    let signatures = usize::from(message.header.num_required_signatures);
    let keys = message.account_keys.len() + from_tables;
    let bytes = 1
        + 64 * signatures
        + solana_sdk::message::VersionedMessage::V0(message)
            .serialize()
            .len();
    Ok((bytes, keys, from_tables))
}

/// The wire size of a legacy transaction of `instructions` paid by `payer`: (bytes, account
/// keys). Signatures are counted at their size; nothing is signed.
pub fn legacy_transaction_size(instructions: &[Instruction], payer: &Pubkey) -> (usize, usize) {
    let message = solana_sdk::message::Message::new(instructions, Some(payer));
    let signatures = usize::from(message.header.num_required_signatures);
    (
        1 + 64 * signatures + message.serialize().len(),
        message.account_keys.len(),
    )
}

/// The address lookup table at `key`, if there is one.
pub async fn lookup_table<C: Chain>(
    chain: &mut C,
    key: &Pubkey,
) -> ChainResult<Option<AddressLookupTableAccount>> {
    let Some(account) = chain.account(key).await? else {
        return Ok(None);
    };
    let table = solana_address_lookup_table_interface::state::AddressLookupTable::deserialize(
        &account.data,
    )
    .map_err(|error| ChainError::Transport(format!("lookup table {key}: {error}")))?;
    Ok(Some(AddressLookupTableAccount {
        key: *key,
        addresses: table.addresses.to_vec(),
    }))
}

/// The most recent slot of the `SlotHashes` sysvar: what a new lookup table is derived from.
pub async fn recent_slot<C: Chain>(chain: &mut C) -> ChainResult<u64> {
    let account = chain
        .account(&solana_sdk::sysvar::slot_hashes::ID)
        .await?
        .ok_or_else(|| ChainError::Transport("no SlotHashes sysvar".into()))?;
    // bincode: a u64 length, then (slot, hash) pairs, newest first.
    account
        .data
        .get(8..16)
        .and_then(|bytes| bytes.try_into().ok())
        .map(u64::from_le_bytes)
        .ok_or_else(|| ChainError::Transport("the SlotHashes sysvar is empty".into()))
}

/// Writes an initialized SPL Token mint at `address` (the localnet market's mints live at fixed
/// addresses) with `authority` as mint authority.
pub async fn create_mint_at<C: LocalChain>(
    chain: &mut C,
    address: &Pubkey,
    decimals: u8,
    authority: &Pubkey,
) -> ChainResult<()> {
    use anchor_lang::solana_program::program_option::COption;
    use anchor_lang::solana_program::program_pack::Pack;
    use anchor_spl::token::spl_token;
    let mut data = vec![0u8; spl_token::state::Mint::LEN];
    spl_token::state::Mint {
        mint_authority: COption::Some(*authority),
        supply: 0,
        decimals,
        is_initialized: true,
        freeze_authority: COption::None,
    }
    .pack_into_slice(&mut data);
    chain
        .set_account(
            address,
            Account {
                lamports: 1_000_000_000,
                data,
                owner: spl_token::ID,
                executable: false,
                rent_epoch: 0,
            },
        )
        .await
}

/// Mints `amount` of `mint` (SPL Token) to `owner`'s associated token account, creating it if
/// needed; returns that account.
pub async fn mint_to<C: Chain>(
    chain: &mut C,
    mint: &Pubkey,
    authority: &Keypair,
    owner: &Pubkey,
    amount: u64,
) -> ChainResult<Pubkey> {
    use anchor_spl::token::spl_token;
    use solana_sdk::signature::Signer as _;
    let payer = chain.wallet().insecure_clone();
    let account = ata(owner, mint, &spl_token::ID);
    let mut instructions = vec![create_ata_idempotent(
        &payer.pubkey(),
        owner,
        mint,
        &spl_token::ID,
    )];
    if amount > 0 {
        instructions.push(
            spl_token::instruction::mint_to(
                &spl_token::ID,
                mint,
                &account,
                &authority.pubkey(),
                &[],
                amount,
            )
            .map_err(|error| ChainError::Transport(format!("mint_to: {error}")))?,
        );
    }
    chain.send(&instructions, &[authority, &payer]).await?;
    Ok(account)
}

/// Writes `data` at `address`, owned by `owner`, rent-exempt enough for any size a test uses.
pub async fn write_account<C: LocalChain>(
    chain: &mut C,
    address: &Pubkey,
    owner: &Pubkey,
    data: Vec<u8>,
) -> ChainResult<()> {
    chain
        .set_account(
            address,
            Account {
                lamports: 1_000_000_000,
                data,
                owner: *owner,
                executable: false,
                rent_epoch: 0,
            },
        )
        .await
}
