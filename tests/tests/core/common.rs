//! Helpers shared by the core suite's modules: a second market, Token-2022 mints with
//! extensions, oracle corruption and "refused and nothing changed" assertions for any error.

use anchor_lang::prelude::{AccountMeta, Pubkey};
use anchor_lang::solana_program::instruction::error::InstructionError;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::solana_program::program_pack::Pack;
use anchor_lang::solana_program::system_instruction;
use anchor_spl::token_2022::spl_token_2022;
use anchor_spl::token_2022::spl_token_2022::extension::ExtensionType;
use ballast::errors::BallastError;
use ballast::instructions::InitMarketArgs;
use ballast_bank::pyth;
use ballast_client::{self as client, ReserveKeys};
use ballast_tests::fixture::*;
use solana_sdk::account::Account;
use solana_sdk::signature::{Keypair, Signer};
use solana_sdk::transaction::TransactionError;

/// Ten thousand whole USDC.
pub const USDC_10K: u64 = 10_000_000_000;
/// One whole BTC.
pub const ONE_BTC: u64 = 100_000_000;
/// One whole SOL.
pub const ONE_SOL: u64 = 1_000_000_000;

/// Supply shares minted per token unit while the share price is still 1.
pub const SHARES_PER_UNIT: u128 = 1_000_000;

/// A second market (index 1 of the same admin) listing the fixture's USDC mint.
pub struct ForeignMarket {
    pub market: Pubkey,
    pub usdc: ReserveKeys,
}

/// Creates market index 1 with the fixture's admin and lists the USDC mint in it.
pub async fn foreign_market(h: &mut Harness) -> ForeignMarket {
    let admin = h.admin.insecure_clone();
    let args = InitMarketArgs {
        index: 1,
        risk_authority: h.risk_authority.pubkey(),
        fee_receiver: h.fee_receiver.pubkey(),
        pyth_program: pyth::PYTH_LEGACY_PROGRAM,
        pyth_receiver_program: pyth::PYTH_RECEIVER_PROGRAM,
        switchboard_program: pyth::SWITCHBOARD_PROGRAM,
        liquidation: default_liquidation_config(),
    };
    h.send(&[client::init_market(&admin.pubkey(), args)], &[&admin])
        .await
        .expect("second market");
    let market = client::market_address(&admin.pubkey(), 1);
    let usdc = h.assets[USDC].keys;
    let keys = ReserveKeys::derive(&market, &usdc.mint, &usdc.token_program, &usdc.oracle);
    let config = default_reserve_config(usdc.oracle, false, feed_id(USDC));
    h.send(
        &[client::init_reserve(
            &admin.pubkey(),
            &market,
            &keys,
            config,
        )],
        &[&admin],
    )
    .await
    .expect("second market's USDC reserve");
    ForeignMarket { market, usdc: keys }
}

impl ForeignMarket {
    /// Every account of the foreign market that a refused instruction must leave untouched.
    pub fn accounts(&self) -> Vec<Pubkey> {
        vec![
            self.market,
            self.usdc.reserve,
            self.usdc.liquidity_vault,
            self.usdc.fund_vault,
        ]
    }
}

/// The transaction error of instruction 1 failing with `code` (token program errors etc.).
pub fn custom_code(code: u32) -> TransactionError {
    TransactionError::InstructionError(1, InstructionError::Custom(code))
}

/// SPL Token's `InsufficientFunds`.
pub const TOKEN_INSUFFICIENT_FUNDS: u32 = 1;
/// SPL Token's `OwnerMismatch`.
pub const TOKEN_OWNER_MISMATCH: u32 = 4;
/// What an `init` of an address that already holds lamports fails with on this bank: Anchor
/// 1.x funds it with the system program's `CreateAccountAllowPrefund`, which the
/// solana-program-test 3.1 system program does not know (`InvalidInstructionData`).
pub fn already_initialized() -> TransactionError {
    TransactionError::InstructionError(1, InstructionError::InvalidInstructionData)
}

/// Snapshot of the fixture's accounts for `users` plus `extra`.
pub async fn snapshot(h: &mut Harness, users: &[&User], extra: &[Pubkey]) -> Vec<Option<Account>> {
    let mut addresses = h.touched_accounts(users);
    addresses.extend_from_slice(extra);
    h.snapshot(&addresses).await
}

/// Asserts `result` is exactly `expected` and that nothing in `snapshot(users, extra)` changed.
pub async fn assert_refused(
    h: &mut Harness,
    result: TxResult,
    expected: TransactionError,
    users: &[&User],
    extra: &[Pubkey],
    before: &[Option<Account>],
) {
    assert_eq!(result, Err(expected), "unexpected outcome");
    let after = snapshot(h, users, extra).await;
    assert_eq!(
        before,
        &after[..],
        "a refused instruction changed an account"
    );
}

/// Asserts a Ballast error and no change (with extra accounts).
pub async fn assert_refused_with(
    h: &mut Harness,
    result: TxResult,
    expected: BallastError,
    users: &[&User],
    extra: &[Pubkey],
    before: &[Option<Account>],
) {
    assert_refused(h, result, custom_error(expected), users, extra, before).await;
}

/// What a refused instruction must leave as it was: `users`' accounts and `extra`, as `before`.
pub struct Untouched<'a> {
    users: &'a [&'a User],
    extra: &'a [Pubkey],
    before: &'a [Option<Account>],
}

/// The accounts a refusal must leave untouched (see [`Untouched::refuses`]).
pub fn untouched<'a>(
    users: &'a [&'a User],
    extra: &'a [Pubkey],
    before: &'a [Option<Account>],
) -> Untouched<'a> {
    Untouched {
        users,
        extra,
        before,
    }
}

impl Untouched<'_> {
    /// Sends `ix` signed by `signer`: it fails with `expected` and changes nothing.
    pub async fn refuses(
        &self,
        h: &mut Harness,
        ix: Instruction,
        signer: &User,
        expected: BallastError,
    ) {
        let result = h.send(&[ix], &[&signer.keypair]).await;
        assert_refused_with(h, result, expected, self.users, self.extra, self.before).await;
    }
}

/// Lamports of an account (0 if absent).
pub async fn lamports(h: &mut Harness, address: &Pubkey) -> u64 {
    h.account(address).await.map_or(0, |a| a.lamports)
}

/// The canonical remaining accounts of `user`'s obligation as it is now.
pub async fn remaining_now(h: &mut Harness, user: &User) -> Vec<AccountMeta> {
    let obligation = h.obligation(&user.obligation).await;
    h.remaining(&obligation, false)
}

/// The remaining accounts `borrow` of asset `index` needs for `user`.
pub async fn remaining_for_borrow(h: &mut Harness, user: &User, index: usize) -> Vec<AccountMeta> {
    let obligation = h.obligation(&user.obligation).await;
    let after = client::after_borrow(&obligation, &h.assets[index].keys.reserve);
    h.remaining(&after, false)
}

/// Republishes asset `index`'s feed as `change` leaves it.
pub fn tamper(h: &mut Harness, index: usize, change: impl FnOnce(&mut pyth::Feed)) {
    let mut feed = h.assets[index].feed;
    change(&mut feed);
    h.publish(index, feed);
}

/// Rewrites asset `index`'s oracle account (same bytes) under another owner.
pub fn give_oracle_to_a_stranger(h: &mut Harness, index: usize) {
    let feed = h.assets[index].feed;
    let data = if h.assets[index].spec.pull_oracle {
        pyth::pull_price_update_data(&feed)
    } else {
        pyth::legacy_price_account_data(&feed)
    };
    let oracle = h.assets[index].keys.oracle;
    h.write_account(&oracle, &Pubkey::new_unique(), data);
}

/// Replaces every oracle account with garbage owned by nobody trusted.
pub fn break_every_oracle(h: &mut Harness) {
    for index in 0..h.assets.len() {
        let oracle = h.assets[index].keys.oracle;
        h.write_account(&oracle, &Pubkey::new_unique(), vec![0xee; 64]);
    }
}

/// A borrower with one BTC deposited as collateral.
pub async fn btc_holder(h: &mut Harness) -> User {
    h.lender(BTC, ONE_BTC).await
}

/// Creates a Token-2022 mint carrying `extensions`, initialized by `init` (one instruction per
/// extension, sent before `initialize_mint2`). Returns the mint's address.
pub async fn token_2022_mint(
    h: &mut Harness,
    decimals: u8,
    extensions: &[ExtensionType],
    init: impl Fn(&Pubkey) -> Vec<anchor_lang::solana_program::instruction::Instruction>,
) -> Pubkey {
    token_2022_mint_at(h, &Keypair::new(), decimals, extensions, init).await
}

/// The same, at the address of `mint` (to re-create a closed mint where it was).
pub async fn token_2022_mint_at(
    h: &mut Harness,
    mint: &Keypair,
    decimals: u8,
    extensions: &[ExtensionType],
    init: impl Fn(&Pubkey) -> Vec<anchor_lang::solana_program::instruction::Instruction>,
) -> Pubkey {
    let len = ExtensionType::try_calculate_account_len::<spl_token_2022::state::Mint>(extensions)
        .expect("mint length");
    let rent = anchor_lang::solana_program::rent::Rent::default();
    let payer = h.payer.pubkey();
    let mut instructions = vec![system_instruction::create_account(
        &payer,
        &mint.pubkey(),
        rent.minimum_balance(len),
        len as u64,
        &spl_token_2022::ID,
    )];
    instructions.extend(init(&mint.pubkey()));
    let authority = h.mint_authority.pubkey();
    instructions.push(
        spl_token_2022::instruction::initialize_mint2(
            &spl_token_2022::ID,
            &mint.pubkey(),
            &authority,
            None,
            decimals,
        )
        .expect("initialize mint"),
    );
    // The compute-budget instruction is prepended by `send`; the mint set-up must succeed.
    h.send(&instructions, &[mint])
        .await
        .expect("token-2022 mint with extensions");
    mint.pubkey()
}

/// Token account state of `address`.
pub async fn token_account(
    h: &mut Harness,
    address: &Pubkey,
) -> anchor_spl::token::spl_token::state::Account {
    let account = h.account(address).await.expect("token account exists");
    anchor_spl::token::spl_token::state::Account::unpack_from_slice(
        &account.data[..anchor_spl::token::spl_token::state::Account::LEN],
    )
    .expect("token account parses")
}

/// `[reserve, oracle]` of asset `index`, read-only, as a health check lists them.
pub fn pair(h: &Harness, index: usize) -> Vec<AccountMeta> {
    let keys = h.assets[index].keys;
    vec![
        AccountMeta::new_readonly(keys.reserve, false),
        AccountMeta::new_readonly(keys.oracle, false),
    ]
}

/// Rewrites asset `index`'s reserve account after `change` (states no instruction of this
/// suite can reach, such as a reserve frozen by a loss).
pub async fn edit_reserve(
    h: &mut Harness,
    index: usize,
    change: impl FnOnce(&mut ballast::state::Reserve),
) {
    use anchor_lang::AccountSerialize;
    let address = h.assets[index].keys.reserve;
    let size = h
        .account(&address)
        .await
        .expect("reserve exists")
        .data
        .len();
    let mut reserve = h.reserve(index).await;
    change(&mut reserve);
    let mut data = Vec::with_capacity(size);
    reserve
        .try_serialize(&mut data)
        .expect("reserve serializes");
    data.resize(size, 0);
    h.write_account(&address, &ballast::ID, data);
}
