use anchor_lang::prelude::*;

use crate::errors::BallastError;
use crate::events::BadDebtRealized;
use crate::oracle::PricePolicyKind;
use crate::state::{
    seeds, IsolatedRelease, Market, Obligation, Reserve, PAUSE_LIQUIDATE, RESERVE_FROZEN,
};
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
    // remaining_accounts: `[reserve (writable), oracle, fallback oracle?]` per position, canonical order.
}

/// Writes off every borrow of an obligation that holds debt and no collateral of value.
/// 1. value the obligation under liquidation prices (a negligible position whose price fails
///    the policy is valued at its feed's last price, see `Valuation::load`);
/// 2. require debt, enabled collateral worth at most the market's negligible value, and less
///    than the debt: only an insolvent obligation is written off;
/// 3. write off (see `write_off_positions`), unless liquidations are paused on one of its
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
    valuation.emit_sources();
    // Insolvent by both sources where two disagree (`Valuation::write_off_totals`).
    require!(
        valuation.holds_no_collateral_of_value(obligation, &market.liquidation)?,
        BallastError::NotInsolvent
    );
    require!(
        !valuation.any_liquidation_paused(),
        BallastError::ActionPaused
    );
    let written_off = write_off_positions(
        obligation,
        &mut AccountReserves {
            live: &mut [],
            remaining: ctx.remaining_accounts,
            now,
        },
    )?;
    emit_written_off(&obligation_key, &written_off);
    Ok(())
}

/// Where an instruction's state transition finds each reserve it changes: the named accounts
/// of the instruction, the `remaining_accounts`, or (off-chain, in a simulation) a copy of the
/// market. The transition is the same code in every case.
pub trait ReserveSet {
    /// Runs `change` on the reserve at `key` (accrued to now) and keeps what it did.
    fn update<T>(
        &mut self,
        key: &Pubkey,
        change: impl FnOnce(&mut Reserve) -> Result<T>,
    ) -> Result<T>;
}

/// The reserves of an instruction: `live` are its named accounts, changed in place (already
/// accrued); any other is read from `remaining` (`[reserve, oracle, fallback oracle?]` pairs), accrued, changed
/// and written back.
///
/// `remaining` was checked against the obligation as it was valued; a liquidation may since
/// have closed slots and shifted the canonical positions, so each reserve account is found by
/// its key, never by its position.
pub struct AccountReserves<'a, 'b, 'info> {
    pub live: &'a mut [(Pubkey, &'b mut Reserve)],
    pub remaining: &'a [AccountInfo<'info>],
    pub now: i64,
}

impl ReserveSet for AccountReserves<'_, '_, '_> {
    fn update<T>(
        &mut self,
        key: &Pubkey,
        change: impl FnOnce(&mut Reserve) -> Result<T>,
    ) -> Result<T> {
        if let Some((_, reserve)) = self.live.iter_mut().find(|(live_key, _)| live_key == key) {
            return change(reserve);
        }
        let account = self
            .remaining
            .iter()
            .find(|account| account.key == key)
            .ok_or(BallastError::InvalidRemainingAccounts)?;
        let mut reserve = load_reserve(account)?;
        reserve.accrue_interest(self.now)?;
        let out = change(&mut reserve)?;
        store_reserve(account, &reserve)?;
        Ok(out)
    }
}

impl IsolatedRelease {
    /// Subtracts the release from its isolated reserve's counter, found through `reserves`
    /// (nothing to do when nothing was released).
    pub fn apply(self, reserves: &mut impl ReserveSet) -> Result<()> {
        if self.value == 0 {
            return Ok(());
        }
        reserves.update(&self.reserve, |reserve| {
            reserve.release_isolated_debt(self.value)
        })
    }
}

/// One borrow written off by the waterfall (what `BadDebtRealized` reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WrittenOff {
    pub reserve: Pubkey,
    /// Debt written off (token units × WAD).
    pub debt_wad: u128,
    /// Part of it the fund covered: pending insurance, then fund tokens (token units × WAD).
    pub covered_wad: u128,
    /// Part of it socialized across the reserve's depositors (token units × WAD).
    pub socialized_wad: u128,
    pub fund_balance_after: u64,
    pub share_value_after_wad: u128,
    pub frozen: bool,
}

/// The bad-debt waterfall over every position of `obligation`, canonical order: enabled
/// collateral dust goes to its reserve's fund, then each borrow is written off (the fund's
/// pending insurance, then its tokens, then depositors) and its debt set to zero. Every
/// position's reserve is updated (accrued) through `reserves`, written-off or not.
pub fn write_off_positions(
    obligation: &mut Obligation,
    reserves: &mut impl ReserveSet,
) -> Result<Vec<WrittenOff>> {
    let mut written_off = vec![];
    for key in obligation.position_reserves().iter() {
        let deposit = obligation
            .deposit(key)
            .filter(|deposit| deposit.collateral_enabled)
            .copied();
        let borrow = obligation.borrow(key).copied();
        let record = reserves.update(key, |reserve| {
            if let Some(deposit) = deposit {
                reserve.move_shares_to_fund(deposit.shares)?;
            }
            let Some(borrow) = borrow else {
                return Ok(None);
            };
            let (debt_wad, split) = reserve.write_off(borrow.scaled_debt)?;
            Ok(Some(WrittenOff {
                reserve: *key,
                debt_wad,
                covered_wad: split.covered_wad(debt_wad),
                socialized_wad: split.socialized_wad,
                fund_balance_after: reserve.fund_balance,
                share_value_after_wad: reserve.share_value_wad()?,
                frozen: reserve.status == RESERVE_FROZEN,
            }))
        })?;
        if let Some(deposit) = deposit {
            obligation
                .remove_shares(key, deposit.shares)?
                .apply(reserves)?;
        }
        if let Some(borrow) = borrow {
            obligation
                .remove_debt(key, borrow.scaled_debt)?
                .apply(reserves)?;
        }
        written_off.extend(record);
    }
    Ok(written_off)
}

/// One `BadDebtRealized` event per borrow written off.
pub fn emit_written_off(obligation: &Pubkey, written_off: &[WrittenOff]) {
    for record in written_off {
        emit!(BadDebtRealized {
            obligation: *obligation,
            reserve: record.reserve,
            debt_wad: record.debt_wad,
            covered_wad: record.covered_wad,
            socialized_wad: record.socialized_wad,
            fund_balance_after: record.fund_balance_after,
            share_value_after_wad: record.share_value_after_wad,
            frozen: record.frozen,
        });
    }
}
