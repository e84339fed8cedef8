//! Whole operations as instruction lists, from state already read: what the `ballast` wallet
//! commands and the reference keeper send, and what `@ballast/client`'s `plan*` functions build
//! (held equal by the fixtures in `clients/js/test/fixtures`). No chain access here.

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use ballast::instructions::LiquidateArgs;
use ballast::state::Obligation;

use crate::chain::{ata, create_ata_idempotent};
use crate::instructions::{self as ix, LiquidationAccounts, OracleKeys, ReserveKeys};

/// One obligation's position in one reserve, as a plan needs it.
#[derive(Debug, Clone, Copy)]
pub struct Position<'a> {
    pub market: &'a Pubkey,
    pub reserve: &'a ReserveKeys,
    pub obligation: &'a Pubkey,
    /// The obligation as read from chain.
    pub state: &'a Obligation,
}

/// Deposit from `owner`'s associated token account. While in debt the program opens a new
/// deposit slot disabled (a deposit reads no price); a deposit made by a borrower is meant as
/// collateral, so it is enabled in the same transaction, at a strict price for that reserve.
pub fn deposit<K: Into<OracleKeys>>(
    owner: &Pubkey,
    p: Position,
    amount: u64,
    oracle_of: impl Fn(&Pubkey) -> K,
) -> Vec<Instruction> {
    let keys = p.reserve;
    let source = ata(owner, &keys.mint, &keys.token_program);
    let mut instructions = vec![ix::deposit(
        owner,
        p.market,
        keys,
        p.obligation,
        &source,
        amount,
    )];
    // Beside an isolated collateral nothing else may be enabled: the deposit stays disabled
    // (an isolated reserve's own rule the program applies when enabling, by name).
    if p.state.has_debt() && p.state.deposit(&keys.reserve).is_none() && p.state.may_enable(false) {
        instructions.push(set_collateral(owner, p, true, oracle_of));
    }
    instructions
}

/// Enables (`enabled`) or disables `owner`'s deposit in the position's reserve as collateral.
/// Enabling a deposit the same transaction opens lists the slot it will open.
pub fn set_collateral<K: Into<OracleKeys>>(
    owner: &Pubkey,
    p: Position,
    enabled: bool,
    oracle_of: impl Fn(&Pubkey) -> K,
) -> Instruction {
    let reserve = &p.reserve.reserve;
    let mut listed = p.state.clone();
    if enabled && listed.deposit(reserve).is_none() {
        let _ = listed.add_shares(*reserve, 1, false);
    }
    ix::set_collateral(
        owner,
        p.market,
        p.obligation,
        reserve,
        enabled,
        ix::set_collateral_remaining(&listed, reserve, enabled, oracle_of),
    )
}

/// Withdraw `amount` (`u64::MAX`: the whole deposit) to `owner`'s associated token account,
/// opened if missing. The health check's accounts are passed only while in debt.
pub fn withdraw<K: Into<OracleKeys>>(
    owner: &Pubkey,
    p: Position,
    amount: u64,
    oracle_of: impl Fn(&Pubkey) -> K,
) -> Vec<Instruction> {
    let keys = p.reserve;
    let remaining = if p.state.has_debt() {
        ix::remaining_accounts(p.state, oracle_of, false)
    } else {
        vec![]
    };
    let destination = ata(owner, &keys.mint, &keys.token_program);
    vec![
        create_ata_idempotent(owner, owner, &keys.mint, &keys.token_program),
        ix::withdraw(
            owner,
            p.market,
            keys,
            p.obligation,
            &destination,
            amount,
            remaining,
        ),
    ]
}

/// Borrow `amount` to `owner`'s associated token account, opened if missing; the health check
/// lists the obligation as the borrow will leave it.
pub fn borrow<K: Into<OracleKeys>>(
    owner: &Pubkey,
    p: Position,
    amount: u64,
    oracle_of: impl Fn(&Pubkey) -> K,
) -> Vec<Instruction> {
    let keys = p.reserve;
    let after = ix::after_borrow(p.state, &keys.reserve);
    let destination = ata(owner, &keys.mint, &keys.token_program);
    vec![
        create_ata_idempotent(owner, owner, &keys.mint, &keys.token_program),
        ix::borrow(
            owner,
            p.market,
            keys,
            p.obligation,
            &destination,
            amount,
            ix::remaining_accounts(&after, oracle_of, false),
        ),
    ]
}

/// `payer` repays `amount` (`u64::MAX`: exactly the debt) of `p`'s borrow from its
/// associated token account. Anyone may repay; the obligation's state names its isolated
/// collateral reserve, which the repayment releases from its debt ceiling.
pub fn repay(payer: &Pubkey, p: Position, amount: u64) -> Vec<Instruction> {
    let source = ata(payer, &p.reserve.mint, &p.reserve.token_program);
    vec![ix::repay(
        payer,
        p.market,
        p.reserve,
        p.obligation,
        &source,
        amount,
        isolated_reserve(p.state),
    )]
}

/// The isolated collateral reserve `repay` passes for `obligation`, if it has one.
pub fn isolated_reserve(obligation: &Obligation) -> Option<&Pubkey> {
    (obligation.isolated_collateral != Pubkey::default()).then_some(&obligation.isolated_collateral)
}

/// One liquidation as the reference keeper sends it, without its compute budget: the
/// liquidator's collateral account opened if missing, its obligation 0 opened first when it
/// takes shares and has none (`open_liquidator_obligation`), then `liquidate` with every
/// position's reserve writable (a liquidation may realize bad debt on any of them).
#[allow(clippy::too_many_arguments)]
pub fn liquidation<K: Into<OracleKeys>>(
    liquidator: &Pubkey,
    market: &Pubkey,
    obligation: &Pubkey,
    state: &Obligation,
    repay: &ReserveKeys,
    collateral: &ReserveKeys,
    args: LiquidateArgs,
    open_liquidator_obligation: bool,
    oracle_of: impl Fn(&Pubkey) -> K,
) -> Vec<Instruction> {
    let mut instructions = vec![create_ata_idempotent(
        liquidator,
        liquidator,
        &collateral.mint,
        &collateral.token_program,
    )];
    let liquidator_obligation = ix::obligation_address(market, liquidator, 0);
    if args.receive_shares && open_liquidator_obligation {
        instructions.push(ix::init_obligation(liquidator, market, 0));
    }
    instructions.push(ix::liquidate(
        &LiquidationAccounts {
            liquidator: *liquidator,
            market: *market,
            obligation: *obligation,
            repay_source: ata(liquidator, &repay.mint, &repay.token_program),
            collateral_destination: Some(ata(
                liquidator,
                &collateral.mint,
                &collateral.token_program,
            )),
            liquidator_obligation: args.receive_shares.then_some(liquidator_obligation),
        },
        repay,
        collateral,
        args,
        ix::remaining_accounts(state, oracle_of, true),
    ));
    instructions
}

/// A liquidation paid with a flash loan, closed inside Ballast (docs/flash-loans.md): in one
/// transaction, flash-borrow `flash_amount` of the debt token, liquidate taking the collateral
/// as supply shares into the liquidator's obligation 0, borrow `due` (the flash amount plus its
/// fee) of the debt token against that obligation, and flash-repay `due`. The liquidator needs
/// no inventory of the debt token; it ends holding a collateralized position. `liquidator_state`
/// is its obligation 0 as it is now (empty when `open_liquidator_obligation`).
#[allow(clippy::too_many_arguments)]
pub fn flash_liquidation<K: Into<OracleKeys>>(
    liquidator: &Pubkey,
    market: &Pubkey,
    obligation: &Pubkey,
    state: &Obligation,
    repay: &ReserveKeys,
    collateral: &ReserveKeys,
    args: LiquidateArgs,
    flash_amount: u64,
    due: u64,
    liquidator_state: &Obligation,
    open_liquidator_obligation: bool,
    oracle_of: impl Fn(&Pubkey) -> K,
) -> Vec<Instruction> {
    let debt_account = ata(liquidator, &repay.mint, &repay.token_program);
    let liquidator_obligation = ix::obligation_address(market, liquidator, 0);
    let mut instructions = vec![
        create_ata_idempotent(liquidator, liquidator, &repay.mint, &repay.token_program),
        ix::flash_borrow(liquidator, market, repay, &debt_account, flash_amount),
    ];
    let args = LiquidateArgs {
        receive_shares: true,
        ..args
    };
    instructions.extend(liquidation(
        liquidator,
        market,
        obligation,
        state,
        repay,
        collateral,
        args,
        open_liquidator_obligation,
        &oracle_of,
    ));
    // The liquidator's obligation after the liquidation (the seized shares) and the borrow.
    let mut after = liquidator_state.clone();
    if after.deposit(&collateral.reserve).is_none() {
        let _ = after.add_shares(collateral.reserve, 1, false);
    }
    let after = ix::after_borrow(&after, &repay.reserve);
    // Seized isolated collateral may make the liquidator's obligation isolated on it, and the
    // borrow then counts against its ceiling: the collateral reserve is listed writable (the
    // liquidation in the same transaction write-locks it anyway).
    let mut remaining = ix::remaining_accounts(&after, &oracle_of, false);
    for meta in remaining.iter_mut() {
        meta.is_writable |= meta.pubkey == collateral.reserve;
    }
    instructions.push(ix::borrow(
        liquidator,
        market,
        repay,
        &liquidator_obligation,
        &debt_account,
        due,
        remaining,
    ));
    instructions.push(ix::flash_repay(
        liquidator,
        market,
        repay,
        &debt_account,
        due,
    ));
    instructions
}

/// The addresses a liquidator's lookup table holds for `market` (what `ballast keeper --flash`
/// creates): the market, the liquidator's obligation 0, the instructions sysvar, and per reserve
/// its address, mint, vaults, oracle, token program and the liquidator's token account.
pub fn lookup_table_addresses(
    market: &Pubkey,
    liquidator: &Pubkey,
    reserves: &[ReserveKeys],
) -> Vec<Pubkey> {
    let mut addresses = vec![
        *market,
        ix::obligation_address(market, liquidator, 0),
        ix::INSTRUCTIONS_SYSVAR,
    ];
    for keys in reserves {
        for address in [
            keys.reserve,
            keys.mint,
            keys.liquidity_vault,
            keys.fund_vault,
            keys.oracle,
            keys.fallback_oracle.unwrap_or(keys.oracle),
            keys.token_program,
            ata(liquidator, &keys.mint, &keys.token_program),
        ] {
            if !addresses.contains(&address) {
                addresses.push(address);
            }
        }
    }
    addresses
}
