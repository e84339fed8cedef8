use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use super::token::{require_user_token_account, transfer_into_vault};
use crate::errors::{BallastError, MathResultExt};
use crate::events::Repaid;
use crate::state::{seeds, Market, Obligation, Reserve};

#[derive(Accounts)]
pub struct Repay<'info> {
    /// Anyone: the owner or someone repaying on their behalf.
    pub payer: Signer<'info>,
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
        mut, has_one = market @ BallastError::WrongMarket,
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
    #[account(mut, constraint = source.mint == mint.key() @ BallastError::WrongMint)]
    pub source: InterfaceAccount<'info, TokenAccount>,
    pub token_program: Interface<'info, TokenInterface>,
}

/// Repays up to `amount` (`u64::MAX`: exactly the whole debt). Never paused, reads no price.
/// 1. accrue;
/// 2. settle (whole debt rounded up, partial credit rounded down);
/// 3. take tokens.
pub fn handle_repay(ctx: Context<Repay>, amount: u64) -> Result<()> {
    let accounts = &mut *ctx.accounts;
    let reserve_key = accounts.reserve.key();
    let reserve = &mut accounts.reserve;
    require_user_token_account(&accounts.source, &[reserve_key])?;
    reserve.accrue_interest(Clock::get()?.unix_timestamp)?;
    let scaled = accounts
        .obligation
        .borrow(&reserve_key)
        .ok_or(BallastError::NoBorrowInReserve)?
        .scaled_debt;
    let (paid, removed) = reserve.repay(amount, scaled)?;
    accounts.obligation.remove_debt(&reserve_key, removed)?;
    let remaining_debt = u64::try_from(
        crate::math::shares::debt_units_ceil(scaled - removed, reserve.borrow_index).or_err()?,
    )
    .unwrap_or(u64::MAX);
    transfer_into_vault(
        &accounts.token_program.to_account_info(),
        &accounts.source.to_account_info(),
        &mut accounts.liquidity_vault,
        &accounts.mint.to_account_info(),
        &accounts.payer.to_account_info(),
        paid,
        reserve.decimals,
    )?;
    emit!(Repaid {
        reserve: reserve_key,
        obligation: accounts.obligation.key(),
        payer: accounts.payer.key(),
        amount: paid,
        scaled_debt_removed: removed,
        remaining_debt,
    });
    Ok(())
}
