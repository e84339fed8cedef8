//! The embedded bank as a [`Chain`]: `solana-program-test` running Ballast natively, with the
//! clock, oracle accounts and mints under the caller's control.

use std::collections::BTreeSet;

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::clock::Clock;
use solana_compute_budget_interface::ComputeBudgetInstruction;
use solana_program_test::{BanksClientError, ProgramTestContext};
use solana_sdk::account::{Account, AccountSharedData};
use solana_sdk::instruction::Instruction;
use solana_sdk::signature::{Keypair, Signature, Signer};
use solana_sdk::transaction::Transaction;

use ballast_client::chain::{
    sign, sign_v0, AddressLookupTableAccount, Chain, ChainError, ChainResult, LocalChain,
};

/// The embedded bank.
pub struct BankChain {
    pub ctx: ProgramTestContext,
    wallet: Keypair,
    /// Every account a Ballast instruction has written: what `program_accounts` searches (the
    /// bank has no account index).
    known: BTreeSet<Pubkey>,
    nonce: u32,
}

impl BankChain {
    /// Starts a bank with the program loaded and the clock at `start_time`; `wallet` is funded.
    pub async fn start(wallet: Keypair, start_time: i64) -> BankChain {
        let ctx = crate::program::program_test().start_with_context().await;
        let mut bank = BankChain {
            ctx,
            wallet,
            known: BTreeSet::new(),
            nonce: 0,
        };
        bank.ctx.set_sysvar(&BankChain::clock_at(start_time));
        let wallet = bank.wallet.pubkey();
        bank.airdrop(&wallet, 1_000 * 1_000_000_000)
            .await
            .expect("the bank's payer funds the wallet");
        bank
    }

    fn clock_at(unix_timestamp: i64) -> Clock {
        Clock {
            slot: 1,
            unix_timestamp,
            epoch_start_timestamp: unix_timestamp,
            ..Clock::default()
        }
    }

    /// A transaction paid by `payer` (the wallet, as on a cluster; the bank's own payer for
    /// airdrops) and signed by it and `signers`.
    async fn transaction(
        &mut self,
        instructions: &[Instruction],
        signers: &[&Keypair],
        payer: &Keypair,
    ) -> ChainResult<Transaction> {
        let (all, keypairs) = self.prepare(instructions, signers, payer);
        let blockhash = self.latest_blockhash().await?;
        let keypairs: Vec<&Keypair> = keypairs.iter().collect();
        sign(&all, &payer.pubkey(), &keypairs, blockhash)
    }

    /// The newest blockhash: the bank keeps producing slots in the background, so a
    /// transaction takes a recent one each time.
    async fn latest_blockhash(&mut self) -> ChainResult<solana_sdk::hash::Hash> {
        self.ctx
            .banks_client
            .get_latest_blockhash()
            .await
            .map_err(bank_error)
    }

    /// `instructions` behind a compute-unit limit distinct per transaction (so that two
    /// identical instructions under the bank's single blockhash are never deduplicated; a limit
    /// the caller set is replaced), and the signers: `payer` first, then `signers`.
    fn prepare(
        &mut self,
        instructions: &[Instruction],
        signers: &[&Keypair],
        payer: &Keypair,
    ) -> (Vec<Instruction>, Vec<Keypair>) {
        self.nonce += 1;
        let mut all = vec![ComputeBudgetInstruction::set_compute_unit_limit(
            1_400_000 - self.nonce,
        )];
        let limit_tag = all[0].data[0];
        all.extend(
            instructions
                .iter()
                .filter(|ix| {
                    !(ix.program_id == solana_compute_budget_interface::ID
                        && ix.data.first() == Some(&limit_tag))
                })
                .cloned(),
        );
        let mut keypairs: Vec<Keypair> = vec![payer.insecure_clone()];
        for signer in signers {
            if !keypairs.iter().any(|k| k.pubkey() == signer.pubkey()) {
                keypairs.push(signer.insecure_clone());
            }
        }
        (all, keypairs)
    }
}

fn bank_error(error: BanksClientError) -> ChainError {
    match error {
        BanksClientError::TransactionError(error)
        | BanksClientError::SimulationError { err: error, .. } => ChainError::Rejected(error),
        other => ChainError::Transport(other.to_string()),
    }
}

impl LocalChain for BankChain {
    async fn set_account(&mut self, address: &Pubkey, account: Account) -> ChainResult<()> {
        self.ctx
            .set_account(address, &AccountSharedData::from(account));
        Ok(())
    }

    async fn set_clock(&mut self, unix_timestamp: i64) -> ChainResult<()> {
        self.ctx.set_sysvar(&BankChain::clock_at(unix_timestamp));
        Ok(())
    }

    async fn airdrop(&mut self, to: &Pubkey, lamports: u64) -> ChainResult<()> {
        let payer = self.ctx.payer.insecure_clone();
        let transfer = anchor_lang::solana_program::system_instruction::transfer(
            &payer.pubkey(),
            to,
            lamports,
        );
        self.process(&[transfer], &[], &payer).await.map(|_| ())
    }
}

impl Chain for BankChain {
    fn wallet(&self) -> &Keypair {
        &self.wallet
    }

    fn set_wallet(&mut self, wallet: Keypair) {
        self.wallet = wallet;
    }

    async fn accounts(&mut self, keys: &[Pubkey]) -> ChainResult<Vec<Option<Account>>> {
        let mut accounts = Vec::with_capacity(keys.len());
        for key in keys {
            accounts.push(
                self.ctx
                    .banks_client
                    .get_account(*key)
                    .await
                    .map_err(bank_error)?,
            );
        }
        Ok(accounts)
    }

    async fn program_accounts(
        &mut self,
        data_len: usize,
        market: &Pubkey,
    ) -> ChainResult<Vec<(Pubkey, Account)>> {
        let keys: Vec<Pubkey> = self.known.iter().copied().collect();
        let accounts = self.accounts(&keys).await?;
        Ok(keys
            .into_iter()
            .zip(accounts)
            .filter_map(|(key, account)| Some((key, account?)))
            .filter(|(_, account)| {
                account.owner == ballast::ID
                    && account.data.len() == data_len
                    && account.data.get(8..40) == Some(market.as_ref())
            })
            .collect())
    }

    async fn now(&mut self) -> ChainResult<i64> {
        let clock: Clock = self
            .ctx
            .banks_client
            .get_sysvar()
            .await
            .map_err(bank_error)?;
        Ok(clock.unix_timestamp)
    }

    async fn simulate(
        &mut self,
        instructions: &[Instruction],
        signers: &[&Keypair],
    ) -> ChainResult<()> {
        let wallet = self.wallet.insecure_clone();
        let tx = self.transaction(instructions, signers, &wallet).await?;
        let result = self
            .ctx
            .banks_client
            .simulate_transaction(tx)
            .await
            .map_err(bank_error)?;
        match result.result {
            Some(Err(error)) => Err(ChainError::Rejected(error)),
            _ => Ok(()),
        }
    }

    async fn send(
        &mut self,
        instructions: &[Instruction],
        signers: &[&Keypair],
    ) -> ChainResult<Signature> {
        let wallet = self.wallet.insecure_clone();
        self.process(instructions, signers, &wallet).await
    }

    async fn send_v0(
        &mut self,
        instructions: &[Instruction],
        signers: &[&Keypair],
        lookup_tables: &[AddressLookupTableAccount],
    ) -> ChainResult<Signature> {
        // A table's addresses resolve from the slot after they were added: move to the next
        // slot, keeping the clock where the caller set it (warping recomputes it).
        let now = self.now().await?;
        let slot = self
            .ctx
            .banks_client
            .get_root_slot()
            .await
            .map_err(bank_error)?;
        self.ctx
            .warp_to_slot(slot + 2)
            .map_err(|error| ChainError::Transport(format!("warping: {error:?}")))?;
        self.ctx.set_sysvar(&BankChain::clock_at(now));
        let wallet = self.wallet.insecure_clone();
        let (all, keypairs) = self.prepare(instructions, signers, &wallet);
        let blockhash = self.latest_blockhash().await?;
        let keypairs: Vec<&Keypair> = keypairs.iter().collect();
        let tx = sign_v0(&all, &wallet.pubkey(), &keypairs, blockhash, lookup_tables)?;
        let signature = tx.signatures[0];
        self.ctx
            .banks_client
            .process_transaction_with_preflight(tx)
            .await
            .map_err(bank_error)?;
        self.track(instructions);
        Ok(signature)
    }
}

impl BankChain {
    async fn process(
        &mut self,
        instructions: &[Instruction],
        signers: &[&Keypair],
        payer: &Keypair,
    ) -> ChainResult<Signature> {
        let tx = self.transaction(instructions, signers, payer).await?;
        let signature = tx.signatures[0];
        // With a preflight, as an RPC node does: a transaction that cannot even be charged (a
        // fee payer with no account, say) fails at once with its error instead of never landing.
        self.ctx
            .banks_client
            .process_transaction_with_preflight(tx)
            .await
            .map_err(bank_error)?;
        self.track(instructions);
        Ok(signature)
    }

    /// Remembers the accounts Ballast instructions wrote (what `program_accounts` searches).
    fn track(&mut self, instructions: &[Instruction]) {
        for ix in instructions
            .iter()
            .filter(|ix| ix.program_id == ballast::ID)
        {
            self.known.extend(
                ix.accounts
                    .iter()
                    .filter(|m| m.is_writable)
                    .map(|m| m.pubkey),
            );
        }
    }
}
