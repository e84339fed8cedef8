use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use super::realize_bad_debt::AccountReserves;
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
    /// The obligation's isolated collateral reserve (`Obligation::isolated_collateral`),
    /// writable, when it has one: the repaid debt's record is released from its ceiling.
    #[account(
        mut,
        has_one = market @ BallastError::WrongMarket,
        constraint = isolated_reserve.key() == obligation.isolated_collateral @ BallastError::WrongIsolatedReserve,
        seeds = [seeds::RESERVE, isolated_reserve.market.as_ref(), isolated_reserve.mint.as_ref()],
        bump = isolated_reserve.bump
    )]
    pub isolated_reserve: Option<Account<'info, Reserve>>,
}

/// Repays up to `amount` (`u64::MAX`: exactly the whole debt). Never paused, reads no price.
/// 1. accrue;
/// 2. settle (whole debt rounded up, partial credit rounded down);
/// 3. release the repaid part of the borrow's isolated-debt record from the isolated
///    collateral's ceiling;
/// 4. take tokens.
pub fn handle_repay(ctx: Context<Repay>, amount: u64) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let accounts = &mut *ctx.accounts;
    let reserve_key = accounts.reserve.key();
    let reserve = &mut accounts.reserve;
    require_user_token_account(&accounts.source, &[reserve_key])?;
    reserve.accrue_interest(now)?;
    let scaled = accounts
        .obligation
        .borrow(&reserve_key)
        .ok_or(BallastError::NoBorrowInReserve)?
        .scaled_debt;
    let (paid, removed) = reserve.repay(amount, scaled)?;
    let release = accounts.obligation.remove_debt(&reserve_key, removed)?;
    if release.value > 0 {
        let isolated = accounts
            .isolated_reserve
            .as_deref_mut()
            .ok_or(BallastError::WrongIsolatedReserve)?;
        isolated.accrue_interest(now)?;
        release.apply(&mut AccountReserves {
            live: &mut [(release.reserve, isolated)],
            remaining: &[],
            now,
        })?;
    }
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
