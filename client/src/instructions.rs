//! Instruction builders for every Ballast instruction, and the canonical remaining accounts.
//! The account order is the program's own (`ballast::accounts::*`), so a client cannot drift.

use anchor_lang::prelude::{AccountMeta, Pubkey};
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::{system_program, InstructionData, ToAccountMetas};
use ballast::instructions::{InitMarketArgs, LiquidateArgs, MarketUpdate, ReserveUpdate};
use ballast::state::{seeds, Obligation, ReserveConfig};

/// Address of a market.
pub fn market_address(creator: &Pubkey, index: u16) -> Pubkey {
    Pubkey::find_program_address(
        &[seeds::MARKET, creator.as_ref(), &index.to_le_bytes()],
        &ballast::ID,
    )
    .0
}

/// Address of a reserve.
pub fn reserve_address(market: &Pubkey, mint: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(
        &[seeds::RESERVE, market.as_ref(), mint.as_ref()],
        &ballast::ID,
    )
    .0
}

/// Address of an obligation.
pub fn obligation_address(market: &Pubkey, owner: &Pubkey, index: u8) -> Pubkey {
    Pubkey::find_program_address(
        &[seeds::OBLIGATION, market.as_ref(), owner.as_ref(), &[index]],
        &ballast::ID,
    )
    .0
}

/// The price accounts a client lists for one reserve: its primary source's, and its fallback's
/// when the reserve has one (the program reads both, and refuses a list without the fallback).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OracleKeys {
    pub primary: Pubkey,
    pub fallback: Option<Pubkey>,
}

impl OracleKeys {
    /// The accounts a reserve with `config` is priced from.
    pub fn of(config: &ReserveConfig) -> OracleKeys {
        OracleKeys {
            primary: config.oracle.oracle_account,
            fallback: config
                .fallback_oracle
                .is_set()
                .then_some(config.fallback_oracle.oracle_account),
        }
    }

    /// Read-only metas, primary first.
    pub fn metas(&self) -> impl Iterator<Item = AccountMeta> + '_ {
        std::iter::once(self.primary)
            .chain(self.fallback)
            .map(|key| AccountMeta::new_readonly(key, false))
    }
}

impl From<Pubkey> for OracleKeys {
    /// A reserve without a fallback.
    fn from(primary: Pubkey) -> OracleKeys {
        OracleKeys {
            primary,
            fallback: None,
        }
    }
}

/// The addresses that go with one reserve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReserveKeys {
    pub reserve: Pubkey,
    pub mint: Pubkey,
    pub liquidity_vault: Pubkey,
    pub fund_vault: Pubkey,
    pub token_program: Pubkey,
    /// The primary price account passed for this reserve in health checks.
    pub oracle: Pubkey,
    /// The fallback price account, listed after it, when the reserve has one.
    pub fallback_oracle: Option<Pubkey>,
}

impl ReserveKeys {
    /// The keys of the reserve at `key`, from its stored state.
    pub fn of(key: &Pubkey, reserve: &ballast::state::Reserve) -> ReserveKeys {
        ReserveKeys {
            reserve: *key,
            mint: reserve.mint,
            liquidity_vault: reserve.liquidity_vault,
            fund_vault: reserve.fund_vault,
            token_program: reserve.token_program,
            oracle: reserve.config.oracle.oracle_account,
            fallback_oracle: OracleKeys::of(&reserve.config).fallback,
        }
    }

    /// Derives every PDA of the reserve for `mint` in `market`.
    pub fn derive(
        market: &Pubkey,
        mint: &Pubkey,
        token_program: &Pubkey,
        oracle: &Pubkey,
    ) -> ReserveKeys {
        let reserve = reserve_address(market, mint);
        let vault = |prefix: &[u8]| {
            Pubkey::find_program_address(&[prefix, reserve.as_ref()], &ballast::ID).0
        };
        ReserveKeys {
            reserve,
            mint: *mint,
            liquidity_vault: vault(seeds::LIQUIDITY_VAULT),
            fund_vault: vault(seeds::FUND_VAULT),
            token_program: *token_program,
            oracle: *oracle,
            fallback_oracle: None,
        }
    }
}

/// `[reserve, oracle, fallback oracle?]` for each of `obligation`'s reserves in the program's
/// canonical order. `oracle_of` maps a reserve address to the price accounts to pass for it.
/// Reserves are marked writable when `writable_reserves` (liquidations that may realize bad
/// debt).
pub fn remaining_accounts<K: Into<OracleKeys>>(
    obligation: &Obligation,
    oracle_of: impl Fn(&Pubkey) -> K,
    writable_reserves: bool,
) -> Vec<AccountMeta> {
    let mut metas = vec![];
    for reserve in obligation.position_reserves() {
        // The isolated collateral's counter changes whenever the obligation's debt does.
        metas.push(
            if writable_reserves || reserve == obligation.isolated_collateral {
                AccountMeta::new(reserve, false)
            } else {
                AccountMeta::new_readonly(reserve, false)
            },
        );
        metas.extend(oracle_of(&reserve).into().metas());
    }
    metas
}

/// The obligation as it will be after borrowing from `reserve`: what `borrow` checks. A borrow
/// the program will refuse before valuing (no free slot, a deposit in the same reserve) keeps
/// the positions as they are, so that the program's own error is what the caller sees.
pub fn after_borrow(obligation: &Obligation, reserve: &Pubkey) -> Obligation {
    let mut after = obligation.clone();
    if after.borrow(reserve).is_none() && after.add_debt(*reserve, 1).is_err() {
        return obligation.clone();
    }
    after
}

/// The remaining accounts `set_collateral` needs: none without debt; while in debt, the
/// enabled reserve and its oracle to enable, every position to disable.
pub fn set_collateral_remaining<K: Into<OracleKeys>>(
    obligation: &Obligation,
    reserve: &Pubkey,
    enabled: bool,
    oracle_of: impl Fn(&Pubkey) -> K,
) -> Vec<AccountMeta> {
    match (obligation.has_debt(), enabled) {
        (false, _) => vec![],
        (true, true) => std::iter::once(AccountMeta::new_readonly(*reserve, false))
            .chain(oracle_of(reserve).into().metas())
            .collect(),
        (true, false) => remaining_accounts(obligation, oracle_of, false),
    }
}

fn instruction(
    accounts: impl ToAccountMetas,
    data: impl InstructionData,
    remaining: Vec<AccountMeta>,
) -> Instruction {
    let mut metas = accounts.to_account_metas(None);
    metas.extend(remaining);
    Instruction {
        program_id: ballast::ID,
        accounts: metas,
        data: data.data(),
    }
}

pub fn init_market(creator: &Pubkey, args: InitMarketArgs) -> Instruction {
    let market = market_address(creator, args.index);
    instruction(
        ballast::accounts::InitMarket {
            creator: *creator,
            market,
            system_program: system_program::ID,
        },
        ballast::instruction::InitMarket { args },
        vec![],
    )
}

pub fn update_market(signer: &Pubkey, market: &Pubkey, update: MarketUpdate) -> Instruction {
    instruction(
        ballast::accounts::UpdateMarket {
            signer: *signer,
            market: *market,
        },
        ballast::instruction::UpdateMarket { update },
        vec![],
    )
}

pub fn init_reserve(
    admin: &Pubkey,
    market: &Pubkey,
    keys: &ReserveKeys,
    config: ReserveConfig,
) -> Instruction {
    instruction(
        ballast::accounts::InitReserve {
            admin: *admin,
            market: *market,
            mint: keys.mint,
            reserve: keys.reserve,
            liquidity_vault: keys.liquidity_vault,
            fund_vault: keys.fund_vault,
            token_program: keys.token_program,
            system_program: system_program::ID,
        },
        ballast::instruction::InitReserve { config },
        vec![],
    )
}

pub fn update_reserve_config(
    signer: &Pubkey,
    market: &Pubkey,
    reserve: &Pubkey,
    update: ReserveUpdate,
) -> Instruction {
    instruction(
        ballast::accounts::UpdateReserveConfig {
            signer: *signer,
            market: *market,
            reserve: *reserve,
        },
        ballast::instruction::UpdateReserveConfig { update },
        vec![],
    )
}

pub fn init_obligation(owner: &Pubkey, market: &Pubkey, index: u8) -> Instruction {
    instruction(
        ballast::accounts::InitObligation {
            owner: *owner,
            market: *market,
            obligation: obligation_address(market, owner, index),
            system_program: system_program::ID,
        },
        ballast::instruction::InitObligation { index },
        vec![],
    )
}

pub fn close_obligation(owner: &Pubkey, obligation: &Pubkey) -> Instruction {
    instruction(
        ballast::accounts::CloseObligation {
            owner: *owner,
            obligation: *obligation,
        },
        ballast::instruction::CloseObligation {},
        vec![],
    )
}

pub fn deposit(
    owner: &Pubkey,
    market: &Pubkey,
    keys: &ReserveKeys,
    obligation: &Pubkey,
    source: &Pubkey,
    amount: u64,
) -> Instruction {
    instruction(
        ballast::accounts::Deposit {
            owner: *owner,
            market: *market,
            reserve: keys.reserve,
            obligation: *obligation,
            mint: keys.mint,
            liquidity_vault: keys.liquidity_vault,
            source: *source,
            token_program: keys.token_program,
        },
        ballast::instruction::Deposit { amount },
        vec![],
    )
}

#[allow(clippy::too_many_arguments)]
pub fn withdraw(
    owner: &Pubkey,
    market: &Pubkey,
    keys: &ReserveKeys,
    obligation: &Pubkey,
    destination: &Pubkey,
    amount: u64,
    remaining: Vec<AccountMeta>,
) -> Instruction {
    instruction(
        ballast::accounts::Withdraw {
            owner: *owner,
            market: *market,
            reserve: keys.reserve,
            obligation: *obligation,
            mint: keys.mint,
            liquidity_vault: keys.liquidity_vault,
            destination: *destination,
            token_program: keys.token_program,
        },
        ballast::instruction::Withdraw { amount },
        remaining,
    )
}

#[allow(clippy::too_many_arguments)]
pub fn borrow(
    owner: &Pubkey,
    market: &Pubkey,
    keys: &ReserveKeys,
    obligation: &Pubkey,
    destination: &Pubkey,
    amount: u64,
    remaining: Vec<AccountMeta>,
) -> Instruction {
    instruction(
        ballast::accounts::Borrow {
            owner: *owner,
            market: *market,
            reserve: keys.reserve,
            obligation: *obligation,
            mint: keys.mint,
            liquidity_vault: keys.liquidity_vault,
            destination: *destination,
            token_program: keys.token_program,
        },
        ballast::instruction::Borrow { amount },
        remaining,
    )
}

pub fn repay(
    payer: &Pubkey,
    market: &Pubkey,
    keys: &ReserveKeys,
    obligation: &Pubkey,
    source: &Pubkey,
    amount: u64,
    isolated_reserve: Option<&Pubkey>,
) -> Instruction {
    instruction(
        ballast::accounts::Repay {
            payer: *payer,
            market: *market,
            reserve: keys.reserve,
            obligation: *obligation,
            mint: keys.mint,
            liquidity_vault: keys.liquidity_vault,
            source: *source,
            token_program: keys.token_program,
            isolated_reserve: isolated_reserve.copied(),
        },
        ballast::instruction::Repay { amount },
        vec![],
    )
}

/// `flash_borrow`: lends `amount` to `destination` until the transaction's `flash_repay`.
pub fn flash_borrow(
    borrower: &Pubkey,
    market: &Pubkey,
    keys: &ReserveKeys,
    destination: &Pubkey,
    amount: u64,
) -> Instruction {
    instruction(
        ballast::accounts::FlashBorrow {
            borrower: *borrower,
            market: *market,
            reserve: keys.reserve,
            mint: keys.mint,
            liquidity_vault: keys.liquidity_vault,
            destination: *destination,
            token_program: keys.token_program,
            instructions: INSTRUCTIONS_SYSVAR,
        },
        ballast::instruction::FlashBorrow { amount },
        vec![],
    )
}

/// `flash_repay`: repays the open flash loan; `amount` is the borrowed amount plus the fee
/// ([`flash_repay_amount`]).
pub fn flash_repay(
    payer: &Pubkey,
    market: &Pubkey,
    keys: &ReserveKeys,
    source: &Pubkey,
    amount: u64,
) -> Instruction {
    instruction(
        ballast::accounts::FlashRepay {
            payer: *payer,
            market: *market,
            reserve: keys.reserve,
            mint: keys.mint,
            liquidity_vault: keys.liquidity_vault,
            source: *source,
            token_program: keys.token_program,
            instructions: INSTRUCTIONS_SYSVAR,
        },
        ballast::instruction::FlashRepay { amount },
        vec![],
    )
}

/// The instructions sysvar's address (read by the flash loans).
pub const INSTRUCTIONS_SYSVAR: Pubkey = ballast::instructions::INSTRUCTIONS_SYSVAR_ID;

/// What `flash_repay` must repay for a flash loan of `amount` from a reserve with `config`: the
/// amount plus the program's fee (rounded up).
pub fn flash_repay_amount(config: &ballast::state::ReserveConfig, amount: u64) -> Option<u64> {
    let fee = ballast::math::flash::flash_fee_ceil(amount, config.flash_loan_fee_bps).ok()?;
    amount.checked_add(fee)
}

pub fn set_collateral(
    owner: &Pubkey,
    market: &Pubkey,
    obligation: &Pubkey,
    reserve: &Pubkey,
    enabled: bool,
    remaining: Vec<AccountMeta>,
) -> Instruction {
    instruction(
        ballast::accounts::SetCollateral {
            owner: *owner,
            market: *market,
            obligation: *obligation,
        },
        ballast::instruction::SetCollateral {
            reserve: *reserve,
            enabled,
        },
        remaining,
    )
}

/// `set_emode`: puts `state` (the obligation at `obligation`, as read) in e-mode category
/// `category` (0: leaves e-mode). While in debt every position is listed for the health check.
pub fn set_emode<K: Into<OracleKeys>>(
    owner: &Pubkey,
    market: &Pubkey,
    obligation: &Pubkey,
    state: &Obligation,
    category: u8,
    oracle_of: impl Fn(&Pubkey) -> K,
) -> Instruction {
    let remaining = if state.has_debt() {
        remaining_accounts(state, oracle_of, false)
    } else {
        vec![]
    };
    instruction(
        ballast::accounts::SetEmode {
            owner: *owner,
            market: *market,
            obligation: *obligation,
        },
        ballast::instruction::SetEmode { category },
        remaining,
    )
}

pub fn collect_fees(
    caller: &Pubkey,
    market: &Pubkey,
    keys: &ReserveKeys,
    treasury: &Pubkey,
) -> Instruction {
    instruction(
        ballast::accounts::CollectFees {
            caller: *caller,
            market: *market,
            reserve: keys.reserve,
            mint: keys.mint,
            liquidity_vault: keys.liquidity_vault,
            fund_vault: keys.fund_vault,
            treasury: *treasury,
            token_program: keys.token_program,
        },
        ballast::instruction::CollectFees {},
        vec![],
    )
}

pub fn fund_reserve(
    contributor: &Pubkey,
    market: &Pubkey,
    keys: &ReserveKeys,
    source: &Pubkey,
    amount: u64,
) -> Instruction {
    instruction(
        ballast::accounts::FundReserve {
            contributor: *contributor,
            market: *market,
            reserve: keys.reserve,
            mint: keys.mint,
            fund_vault: keys.fund_vault,
            source: *source,
            token_program: keys.token_program,
        },
        ballast::instruction::FundReserve { amount },
        vec![],
    )
}

/// Accounts of one liquidation besides the reserves.
#[derive(Debug, Clone, Copy)]
pub struct LiquidationAccounts {
    pub liquidator: Pubkey,
    pub market: Pubkey,
    pub obligation: Pubkey,
    /// The liquidator's token account for the repaid asset.
    pub repay_source: Pubkey,
    /// The liquidator's token account for the seized asset (tokens mode).
    pub collateral_destination: Option<Pubkey>,
    /// The liquidator's obligation (shares mode).
    pub liquidator_obligation: Option<Pubkey>,
}

pub fn liquidate(
    accounts: &LiquidationAccounts,
    repay: &ReserveKeys,
    collateral: &ReserveKeys,
    args: LiquidateArgs,
    remaining: Vec<AccountMeta>,
) -> Instruction {
    instruction(
        ballast::accounts::Liquidate {
            liquidator: accounts.liquidator,
            market: accounts.market,
            obligation: accounts.obligation,
            repay_reserve: repay.reserve,
            collateral_reserve: collateral.reserve,
            repay_mint: repay.mint,
            collateral_mint: collateral.mint,
            repay_liquidity_vault: repay.liquidity_vault,
            collateral_liquidity_vault: collateral.liquidity_vault,
            repay_source: accounts.repay_source,
            collateral_destination: accounts.collateral_destination,
            liquidator_obligation: accounts.liquidator_obligation,
            repay_token_program: repay.token_program,
            collateral_token_program: collateral.token_program,
        },
        ballast::instruction::Liquidate { args },
        remaining,
    )
}

pub fn realize_bad_debt(
    caller: &Pubkey,
    market: &Pubkey,
    obligation: &Pubkey,
    remaining: Vec<AccountMeta>,
) -> Instruction {
    instruction(
        ballast::accounts::RealizeBadDebt {
            caller: *caller,
            market: *market,
            obligation: *obligation,
        },
        ballast::instruction::RealizeBadDebt {},
        remaining,
    )
}
