//! Where a harness runs: the embedded bank (the default), or a local validator over JSON-RPC.
//!
//! The fixture's account writes and clock moves are synchronous (the bank applies them at
//! once); on a validator they are cheatcode calls, so they are queued and sent, in order, before
//! the next call that could observe them (a transaction, a simulation, a read). A test reads the
//! same either way.

use std::cell::RefCell;

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::clock::Clock;
use ballast_client::chain::{Chain, ChainError, LocalChain};
use ballast_client::rpc::CommitmentConfig;
use ballast_client::rpc::RpcChain;
use solana_program_test::{BanksClientError, ProgramTestContext};
use solana_sdk::account::{Account, AccountSharedData};
use solana_sdk::instruction::Instruction;
use solana_sdk::signature::{Keypair, Signer};
use solana_sdk::transaction::{Transaction, TransactionError};

/// Result of one transaction.
pub type TxResult = Result<(), TransactionError>;

/// Lamports a validator-backed harness gives its fee payer.
const PAYER_LAMPORTS: u64 = 1_000_000 * 1_000_000_000;

thread_local! {
    static VALIDATOR: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Makes every harness created on this thread run on the validator at `url` (a local surfpool
/// validator: its cheatcodes write accounts and move the clock).
pub fn use_validator(url: &str) {
    VALIDATOR.with(|validator| *validator.borrow_mut() = Some(url.to_string()));
}

/// A validator started for one harness, stopped when the harness is dropped.
pub struct OwnValidator {
    pub url: String,
    /// Whatever keeps it running (dropping it stops the validator).
    pub handle: Box<dyn std::any::Any + Send>,
}

static FRESH_VALIDATORS: std::sync::OnceLock<fn() -> OwnValidator> = std::sync::OnceLock::new();

/// From now on every harness in this process (unless `use_validator` or
/// `BALLAST_VALIDATOR_URL` names one) runs on a validator of its own, started by `start`:
/// harnesses in parallel never share a clock. The validator test binary sets this before
/// `main`, so that the scenarios it includes from the other suites run unchanged.
pub fn use_fresh_validators(start: fn() -> OwnValidator) {
    let _ = FRESH_VALIDATORS.set(start);
}

/// The validator harnesses on this thread run on: `use_validator`'s, or the environment's
/// `BALLAST_VALIDATOR_URL` (to run a whole suite against one, with `--test-threads=1`).
pub fn validator_url() -> Option<String> {
    VALIDATOR
        .with(|validator| validator.borrow().clone())
        .or_else(|| std::env::var("BALLAST_VALIDATOR_URL").ok())
}

enum Pending {
    Account(Pubkey, Account),
    Clock(i64),
}

/// A local validator reached over JSON-RPC, and the writes not yet sent to it.
pub struct Validator {
    chain: RpcChain,
    pending: Vec<Pending>,
    /// The harness's own validator, if it started one (dropped last).
    _own: Option<OwnValidator>,
}

/// The chain under a harness.
pub enum Backend {
    Bank(Box<ProgramTestContext>),
    Validator(Box<Validator>),
}

fn bank_error(error: BanksClientError) -> TransactionError {
    match error {
        BanksClientError::TransactionError(error)
        | BanksClientError::SimulationError { err: error, .. } => error,
        other => panic!("bank failure: {other:?}"),
    }
}

fn chain_error(error: ChainError) -> TransactionError {
    match error {
        ChainError::Rejected(error) => error,
        ChainError::Transport(message) => panic!("validator failure: {message}"),
    }
}

impl Backend {
    /// The bank (clock at `bank_start`), or the validator of `validator_url()` (started with
    /// `SurfnetOptions::deterministic`; its clock only moves forward, so the harness starts at the
    /// validator's next whole second). Returns the backend, the fee payer and the starting time.
    pub async fn start(bank_start: i64) -> (Backend, Keypair, i64) {
        let own = match validator_url() {
            None => FRESH_VALIDATORS.get().map(|start| start()),
            Some(_) => None,
        };
        match validator_url().or_else(|| own.as_ref().map(|v| v.url.clone())) {
            None => {
                let mut ctx = ballast_bank::program_test().start_with_context().await;
                let payer = ctx.payer.insecure_clone();
                set_bank_clock(&mut ctx, bank_start);
                (Backend::Bank(Box::new(ctx)), payer, bank_start)
            }
            Some(url) => {
                let payer = Keypair::new();
                let mut chain = RpcChain::with_commitment(
                    &url,
                    payer.insecure_clone(),
                    CommitmentConfig::processed(),
                );
                // Written, not airdropped: the validator's faucet holds less than a harness
                // hands out.
                chain
                    .set_account(
                        &payer.pubkey(),
                        Account {
                            lamports: PAYER_LAMPORTS,
                            data: vec![],
                            owner: anchor_lang::solana_program::system_program::ID,
                            executable: false,
                            rent_epoch: 0,
                        },
                    )
                    .await
                    .expect("the validator funds the payer");
                let now = chain.now().await.expect("the validator's clock") + 1;
                chain.set_clock(now).await.expect("surfnet_timeTravel");
                let validator = Validator {
                    chain,
                    pending: vec![],
                    _own: own,
                };
                (Backend::Validator(Box::new(validator)), payer, now)
            }
        }
    }

    /// The embedded bank, for what only it can do (blockhash control, direct bank calls).
    pub fn bank(&mut self) -> &mut ProgramTestContext {
        match self {
            Backend::Bank(ctx) => ctx,
            Backend::Validator(_) => {
                panic!("this test drives the embedded bank directly and cannot run on a validator")
            }
        }
    }

    /// Whether this is a validator.
    pub fn is_validator(&self) -> bool {
        matches!(self, Backend::Validator(_))
    }

    async fn flush(&mut self) {
        if let Backend::Validator(validator) = self {
            for pending in std::mem::take(&mut validator.pending) {
                match pending {
                    Pending::Account(address, account) => validator
                        .chain
                        .set_account(&address, account)
                        .await
                        .expect("surfnet_setAccount"),
                    Pending::Clock(unix_timestamp) => validator
                        .chain
                        .set_clock(unix_timestamp)
                        .await
                        .expect("surfnet_timeTravel"),
                }
            }
        }
    }

    /// Processes `instructions` signed by `payer` (fee payer) and `signers`.
    pub async fn send(
        &mut self,
        instructions: &[Instruction],
        payer: &Keypair,
        signers: &[&Keypair],
    ) -> TxResult {
        self.flush().await;
        match self {
            Backend::Bank(ctx) => {
                let tx = sign(instructions, payer, signers, latest_blockhash(ctx).await);
                ctx.banks_client
                    .process_transaction(tx)
                    .await
                    .map_err(bank_error)
            }
            Backend::Validator(validator) => validator
                .chain
                .send(instructions, signers)
                .await
                .map(|_| ())
                .map_err(chain_error),
        }
    }

    /// Runs `instructions` without committing anything.
    pub async fn simulate(
        &mut self,
        instructions: &[Instruction],
        payer: &Keypair,
        signers: &[&Keypair],
    ) -> TxResult {
        self.flush().await;
        match self {
            Backend::Bank(ctx) => {
                let tx = sign(instructions, payer, signers, latest_blockhash(ctx).await);
                let simulated = ctx
                    .banks_client
                    .simulate_transaction(tx)
                    .await
                    .unwrap_or_else(|error| panic!("bank failure: {error:?}"));
                simulated
                    .result
                    .unwrap_or_else(|| panic!("the bank did not run the simulation"))
            }
            Backend::Validator(validator) => validator
                .chain
                .simulate(instructions, signers)
                .await
                .map_err(chain_error),
        }
    }

    /// The account at `address`, if any.
    pub async fn account(&mut self, address: &Pubkey) -> Option<Account> {
        self.flush().await;
        match self {
            Backend::Bank(ctx) => ctx
                .banks_client
                .get_account(*address)
                .await
                .expect("bank read"),
            Backend::Validator(validator) => validator
                .chain
                .account(address)
                .await
                .expect("validator read"),
        }
    }

    /// Sets the clock (a validator: forward only).
    pub fn set_clock(&mut self, unix_timestamp: i64) {
        match self {
            Backend::Bank(ctx) => set_bank_clock(ctx, unix_timestamp),
            Backend::Validator(validator) => validator.pending.push(Pending::Clock(unix_timestamp)),
        }
    }

    /// Overwrites an account.
    pub fn write_account(&mut self, address: &Pubkey, account: Account) {
        match self {
            Backend::Bank(ctx) => ctx.set_account(address, &AccountSharedData::from(account)),
            Backend::Validator(validator) => {
                validator.pending.push(Pending::Account(*address, account))
            }
        }
    }

    /// Gives `to` lamports: a transfer from the payer, on either backend.
    pub async fn airdrop(&mut self, to: &Pubkey, lamports: u64, payer: &Keypair) {
        let transfer = anchor_lang::solana_program::system_instruction::transfer(
            &payer.pubkey(),
            to,
            lamports,
        );
        self.send(&[transfer], payer, &[]).await.expect("airdrop");
    }
}

fn set_bank_clock(ctx: &mut ProgramTestContext, unix_timestamp: i64) {
    let clock = Clock {
        slot: 1,
        unix_timestamp,
        epoch_start_timestamp: unix_timestamp,
        ..Clock::default()
    };
    ctx.set_sysvar(&clock);
}

/// The bank keeps producing slots in the background; a blockhash held for long expires (and
/// solana-runtime panics computing its validity), so each transaction takes the latest.
async fn latest_blockhash(ctx: &mut ProgramTestContext) -> solana_sdk::hash::Hash {
    ctx.banks_client
        .get_latest_blockhash()
        .await
        .expect("bank blockhash")
}

fn sign(
    instructions: &[Instruction],
    payer: &Keypair,
    signers: &[&Keypair],
    blockhash: solana_sdk::hash::Hash,
) -> Transaction {
    let mut keypairs: Vec<&Keypair> = vec![payer];
    keypairs.extend(
        signers
            .iter()
            .copied()
            .filter(|k| k.pubkey() != payer.pubkey()),
    );
    Transaction::new_signed_with_payer(instructions, Some(&payer.pubkey()), &keypairs, blockhash)
}
