use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use super::realize_bad_debt::{AccountReserves, ReserveSet};
use super::token::{require_user_token_account, transfer_out};
use crate::errors::{BallastError, MathResultExt};
use crate::events::Borrowed;
use crate::math::value::value_wad_ceil;
use crate::state::{seeds, Market, Obligation, Reserve, PAUSE_BORROW};
use crate::valuation::require_within_borrow_limit;

#[derive(Accounts)]
pub struct Borrow<'info> {
    pub owner: Signer<'info>,
    #[account(
        seeds = [seeds::MARKET, market.creator.as_ref(), market.index.to_le_bytes().as_ref()],
        bump = market.bump
    )]
    pub market: Account<'info, Market>,
    #[account(
        mut,
        has_one = market @ BallastError::WrongMarket,
        has_one = mint @ BallastError::WrongMint,
        has_one = liquidity_vault @ BallastError::WrongVault,
        has_one = token_program @ BallastError::WrongTokenProgram,
        seeds = [seeds::RESERVE, reserve.market.as_ref(), reserve.mint.as_ref()],
        bump = reserve.bump
    )]
    pub reserve: Account<'info, Reserve>,
    #[account(
        mut,
        has_one = market @ BallastError::WrongMarket,
        has_one = owner @ BallastError::NotObligationOwner,
        seeds = [seeds::OBLIGATION, obligation.market.as_ref(), obligation.owner.as_ref(), obligation.index.to_le_bytes().as_ref()],
        bump = obligation.bump
    )]
    pub obligation: Account<'info, Obligation>,
    pub mint: InterfaceAccount<'info, Mint>,
    #[account(
        mut,
        seeds = [seeds::LIQUIDITY_VAULT, reserve.key().as_ref()],
        bump = reserve.liquidity_vault_bump
    )]
    pub liquidity_vault: InterfaceAccount<'info, TokenAccount>,
    #[account(mut, constraint = destination.mint == mint.key() @ BallastError::WrongMint)]
    pub destination: InterfaceAccount<'info, TokenAccount>,
    pub token_program: Interface<'info, TokenInterface>,
    // remaining_accounts: `[reserve, oracle, fallback oracle?]` per position of the obligation *after* the
    // borrow (a new borrow reserve comes after the existing positions); the isolated
    // collateral's reserve, if any, writable.
}

/// 1. check the modes: in e-mode only a reserve of the category; against isolated collateral
///    only a reserve borrowable in isolation;
/// 2. accrue; book the borrow (liquidity, cap, scaled debt rounded up);
/// 3. require the borrow limit under strict prices (e-mode parameters where they apply);
/// 4. against isolated collateral, count the borrow's value (strict debt price, rounded up)
///    against the ceiling;
/// 5. pay out.
pub fn handle_borrow<'info>(ctx: Context<'info, Borrow<'info>>, amount: u64) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let accounts = &mut *ctx.accounts;
    let reserve_key = accounts.reserve.key();
    let reserve = &mut accounts.reserve;
    reserve.require_not_paused(accounts.market.pause_flags, PAUSE_BORROW)?;
    require_user_token_account(&accounts.destination, &[reserve_key])?;
    let obligation = &accounts.obligation;
    require!(
        obligation.emode_category == 0
            || reserve.config.emode_category == obligation.emode_category,
        BallastError::EmodeBorrowNotInCategory
    );
    let isolated = obligation.isolated_collateral;
    require!(
        isolated == Pubkey::default() || reserve.config.borrowable_in_isolation,
        BallastError::NotBorrowableInIsolation
    );
    reserve.accrue_interest(now)?;
    let scaled = reserve.borrow(amount)?;
    accounts.obligation.add_debt(reserve_key, scaled)?;
    let live = [(reserve_key, &**reserve)];
    let (valuation, totals) = require_within_borrow_limit(
        &accounts.market.key(),
        &accounts.market,
        &accounts.obligation,
        ctx.remaining_accounts,
        &live,
        now,
    )?;
    valuation.record_price(&reserve_key, reserve);
    if isolated != Pubkey::default() {
        let price = valuation
            .get(&reserve_key)?
            .price
            .ok_or(BallastError::InvalidRemainingAccounts)?;
        let value = value_wad_ceil(u128::from(amount), reserve.decimals, price.debt).or_err()?;
        accounts
            .obligation
            .record_isolated_debt(&reserve_key, value)?;
        AccountReserves {
            live: &mut [],
            remaining: ctx.remaining_accounts,
            now,
        }
        .update(&isolated, |collateral| collateral.add_isolated_debt(value))?;
    }
    transfer_out(
        &accounts.token_program.to_account_info(),
        &accounts.liquidity_vault.to_account_info(),
        &accounts.destination.to_account_info(),
        &accounts.mint.to_account_info(),
        &reserve.to_account_info(),
        reserve,
        amount,
    )?;
    emit!(Borrowed {
        reserve: reserve_key,
        obligation: accounts.obligation.key(),
        amount,
        scaled_debt_added: scaled,
        borrow_limit: totals.borrow_limit,
        debt_value: totals.debt_value,
    });
    Ok(())
}
