use anchor_lang::prelude::*;

use crate::errors::BallastError;
use crate::events::EmodeSet;
use crate::state::{seeds, Market, Obligation};
use crate::valuation::require_within_borrow_limit;

#[derive(Accounts)]
pub struct SetEmode<'info> {
    pub owner: Signer<'info>,
    #[account(
        seeds = [seeds::MARKET, market.creator.as_ref(), market.index.to_le_bytes().as_ref()],
        bump = market.bump
    )]
    pub market: Account<'info, Market>,
    #[account(
        mut,
        has_one = market @ BallastError::WrongMarket,
        has_one = owner @ BallastError::NotObligationOwner,
        seeds = [seeds::OBLIGATION, obligation.market.as_ref(), obligation.owner.as_ref(), obligation.index.to_le_bytes().as_ref()],
        bump = obligation.bump
    )]
    pub obligation: Account<'info, Obligation>,
    // remaining_accounts, only while the obligation has debt: `[reserve, oracle, fallback oracle?]` per position
    // (canonical order).
}

/// Puts the obligation in e-mode category `category` (0: leaves e-mode).
/// 1. the category is listed (or 0), and every borrow is of a reserve of it;
/// 2. while in debt, the borrow limit under strict prices with the new parameters must still
///    cover the debt: entering, leaving or changing a category never leaves the obligation
///    beyond its borrow limit. Without debt no price is read.
pub fn handle_set_emode<'info>(ctx: Context<'info, SetEmode<'info>>, category: u8) -> Result<()> {
    let accounts = &mut *ctx.accounts;
    let market = &accounts.market;
    let obligation = &mut accounts.obligation;
    if category != 0 {
        market.emode_category(category)?;
    }
    let previous = obligation.emode_category;
    obligation.emode_category = category;
    let (mut borrow_limit, mut debt_value) = (0, 0);
    if obligation.has_debt() {
        let now = Clock::get()?.unix_timestamp;
        let (valuation, totals) = require_within_borrow_limit(
            &market.key(),
            market,
            obligation,
            ctx.remaining_accounts,
            &[],
            now,
        )?;
        for borrow in obligation.active_borrows() {
            require!(
                category == 0
                    || valuation
                        .get(&borrow.reserve)?
                        .reserve
                        .config
                        .emode_category
                        == category,
                BallastError::EmodeBorrowNotInCategory
            );
        }
        (borrow_limit, debt_value) = (totals.borrow_limit, totals.debt_value);
    }
    emit!(EmodeSet {
        obligation: obligation.key(),
        previous,
        category,
        borrow_limit,
        debt_value,
    });
    Ok(())
}
