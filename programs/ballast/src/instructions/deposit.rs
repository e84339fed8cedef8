use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use super::token::{require_user_token_account, transfer_into_vault};
use crate::errors::BallastError;
use crate::events::Deposited;
use crate::state::{seeds, Market, Obligation, Reserve, PAUSE_DEPOSIT};

#[derive(Accounts)]
pub struct Deposit<'info> {
    /// The obligation's owner; pays the tokens.
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
    #[account(mut, constraint = source.mint == mint.key() @ BallastError::WrongMint)]
    pub source: InterfaceAccount<'info, TokenAccount>,
    pub token_program: Interface<'info, TokenInterface>,
}

/// 1. accrue;
/// 2. book the deposit (cap, shares rounded down);
/// 3. credit the obligation (a new slot starts disabled as collateral while in debt, or where
///    enabling it would break the isolation rule);
/// 4. move the tokens and check the vault received exactly them. No price is read.
pub fn handle_deposit(ctx: Context<Deposit>, amount: u64) -> Result<()> {
    let accounts = &mut *ctx.accounts;
    let reserve = &mut accounts.reserve;
    reserve.require_not_paused(accounts.market.pause_flags, PAUSE_DEPOSIT)?;
    require_user_token_account(&accounts.source, &[reserve.key()])?;
    reserve.accrue_interest(Clock::get()?.unix_timestamp)?;
    let shares = reserve.deposit(amount)?;
    accounts
        .obligation
        .add_shares(reserve.key(), shares, reserve.config.isolated)?;
    transfer_into_vault(
        &accounts.token_program.to_account_info(),
        &accounts.source.to_account_info(),
        &mut accounts.liquidity_vault,
        &accounts.mint.to_account_info(),
        &accounts.owner.to_account_info(),
        amount,
        reserve.decimals,
    )?;
    emit!(Deposited {
        reserve: reserve.key(),
        obligation: accounts.obligation.key(),
        amount,
        shares_minted: shares,
        available_liquidity: reserve.available_liquidity,
    });
    Ok(())
}
