use anchor_lang::prelude::*;

use crate::errors::BallastError;
use crate::events::CollateralSet;
use crate::state::{Market, Obligation};
use crate::valuation::require_within_borrow_limit;

#[derive(Accounts)]
pub struct SetCollateral<'info> {
    pub owner: Signer<'info>,
    pub market: Account<'info, Market>,
    #[account(
        mut,
        has_one = market @ BallastError::WrongMarket,
        has_one = owner @ BallastError::NotObligationOwner
    )]
    pub obligation: Account<'info, Obligation>,
    // remaining_accounts: when disabling with debt, `[reserve, oracle]` per position.
}

/// Enables or disables the deposit in `reserve` as collateral. Disabling while in debt ends
/// with the borrow-limit check under strict prices; enabling never lowers health.
pub fn handle_set_collateral<'info>(
    ctx: Context<'info, SetCollateral<'info>>,
    reserve: Pubkey,
    enabled: bool,
) -> Result<()> {
    let accounts = &mut *ctx.accounts;
    let obligation = &mut accounts.obligation;
    let slot = obligation
        .deposits
        .iter_mut()
        .find(|d| d.reserve == reserve && reserve != Pubkey::default());
    let slot = slot.ok_or(BallastError::NoDepositInReserve)?;
    slot.collateral_enabled = enabled;
    if !enabled && obligation.has_debt() {
        let now = Clock::get()?.unix_timestamp;
        require_within_borrow_limit(
            &accounts.market.key(),
            &accounts.market,
            obligation,
            ctx.remaining_accounts,
            &[],
            now,
        )?;
    }
    emit!(CollateralSet {
        obligation: obligation.key(),
        reserve,
        enabled
    });
    Ok(())
}
