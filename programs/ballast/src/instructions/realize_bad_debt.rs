use anchor_lang::prelude::*;

use crate::errors::BallastError;
use crate::events::BadDebtRealized;
use crate::oracle::PricePolicyKind;
use crate::state::{seeds, Market, Obligation, Reserve, PAUSE_LIQUIDATE, RESERVE_FROZEN};
use crate::valuation::{load_reserve, store_reserve, Valuation};

#[derive(Accounts)]
pub struct RealizeBadDebt<'info> {
    /// Anyone.
    pub caller: Signer<'info>,
    #[account(
        seeds = [seeds::MARKET, market.creator.as_ref(), market.index.to_le_bytes().as_ref()],
        bump = market.bump
    )]
    pub market: Account<'info, Market>,
    #[account(
        mut, has_one = market @ BallastError::WrongMarket,
        seeds = [seeds::OBLIGATION, obligation.market.as_ref(), obligation.owner.as_ref(), obligation.index.to_le_bytes().as_ref()],
        bump = obligation.bump
    )]
    pub obligation: Account<'info, Obligation>,
    // remaining_accounts: `[reserve (writable), oracle]` per position, canonical order.
}

/// Writes off every borrow of an obligation that holds debt and no collateral of value.
/// 1. value the obligation under liquidation prices (a negligible position whose price fails
///    the policy is valued at its feed's last price, see `Valuation::load`);
/// 2. require debt, enabled collateral worth at most the market's negligible value, and less
///    than the debt: only an insolvent obligation is written off;
/// 3. write off (see `write_off_obligation`), unless liquidations are paused on one of its
///    reserves.
pub fn handle_realize_bad_debt<'info>(ctx: Context<'info, RealizeBadDebt<'info>>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let accounts = &mut *ctx.accounts;
    let market = &accounts.market;
    require!(
        market.pause_flags & PAUSE_LIQUIDATE == 0,
        BallastError::ActionPaused
    );
    let obligation_key = accounts.obligation.key();
    let obligation = &mut accounts.obligation;
    let valuation = Valuation::load(
        &market.key(),
        market,
        obligation,
        ctx.remaining_accounts,
        &[],
        PricePolicyKind::Liquidation,
        now,
    )?;
    let totals = valuation.totals(obligation)?;
    require!(
        obligation.has_debt() && market.liquidation.holds_no_collateral_of_value(&totals),
        BallastError::NotInsolvent
    );
    require!(
        !valuation.any_liquidation_paused(),
        BallastError::ActionPaused
    );
    write_off_obligation(
        &obligation_key,
        obligation,
        ctx.remaining_accounts,
        &mut [],
        now,
    )
}

/// The bad-debt waterfall over every position of `obligation`, canonical order: enabled
/// collateral dust goes to its reserve's fund, then each borrow is written off (the fund's
/// pending insurance, then its tokens, then depositors) and its debt set to zero. Reserves in
/// `live` are the instruction's named accounts and are changed in place; the others are read
/// from `remaining`, accrued, changed and written back.
///
/// `remaining` was checked against the obligation as it was valued; a liquidation may since
/// have closed slots and shifted the canonical positions, so each reserve account is found by
/// its key, never by its position.
pub fn write_off_obligation(
    obligation_key: &Pubkey,
    obligation: &mut Obligation,
    remaining: &[AccountInfo],
    live: &mut [(Pubkey, &mut Reserve)],
    now: i64,
) -> Result<()> {
    for key in obligation.position_reserves().iter() {
        let mut loaded: Option<(&AccountInfo, Reserve)> = None;
        let reserve: &mut Reserve = match live.iter_mut().find(|(live_key, _)| live_key == key) {
            Some((_, reserve)) => reserve,
            None => {
                let account = remaining
                    .iter()
                    .step_by(2)
                    .find(|account| account.key == key)
                    .ok_or(BallastError::InvalidRemainingAccounts)?;
                let mut reserve = load_reserve(account)?;
                reserve.accrue_interest(now)?;
                &mut loaded.insert((account, reserve)).1
            }
        };
        if let Some(deposit) = obligation
            .deposit(key)
            .filter(|deposit| deposit.collateral_enabled)
            .copied()
        {
            reserve.move_shares_to_fund(deposit.shares)?;
            obligation.remove_shares(key, deposit.shares)?;
        }
        if let Some(borrow) = obligation.borrow(key).copied() {
            let (written_off, split) = reserve.write_off(borrow.scaled_debt)?;
            obligation.remove_debt(key, borrow.scaled_debt)?;
            emit!(BadDebtRealized {
                obligation: *obligation_key,
                reserve: *key,
                debt_wad: written_off,
                covered_wad: split.covered_wad(written_off),
                socialized_wad: split.socialized_wad,
                fund_balance_after: reserve.fund_balance,
                share_value_after_wad: reserve.share_value_wad()?,
                frozen: reserve.status == RESERVE_FROZEN,
            });
        }
        if let Some((account, reserve)) = loaded {
            store_reserve(account, &reserve)?;
        }
    }
    Ok(())
}
