use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use super::token::{require_user_token_account, transfer_into_vault};
use crate::errors::BallastError;
use crate::events::FundContributed;
use crate::state::{seeds, Market, Reserve};

#[derive(Accounts)]
pub struct FundReserve<'info> {
    /// Anyone.
    pub contributor: Signer<'info>,
    #[account(
        seeds = [seeds::MARKET, market.creator.as_ref(), market.index.to_le_bytes().as_ref()],
        bump = market.bump
    )]
    pub market: Account<'info, Market>,
    #[account(
        mut,
        has_one = market @ BallastError::WrongMarket,
        has_one = mint @ BallastError::WrongMint,
        has_one = fund_vault @ BallastError::WrongVault,
        has_one = token_program @ BallastError::WrongTokenProgram,
        seeds = [seeds::RESERVE, reserve.market.as_ref(), reserve.mint.as_ref()],
        bump = reserve.bump
    )]
    pub reserve: Account<'info, Reserve>,
    pub mint: InterfaceAccount<'info, Mint>,
    #[account(
        mut,
        seeds = [seeds::FUND_VAULT, reserve.key().as_ref()],
        bump = reserve.fund_vault_bump
    )]
    pub fund_vault: InterfaceAccount<'info, TokenAccount>,
    #[account(mut, constraint = source.mint == mint.key() @ BallastError::WrongMint)]
    pub source: InterfaceAccount<'info, TokenAccount>,
    pub token_program: Interface<'info, TokenInterface>,
}

/// Adds `amount` tokens to the reserve's bad-debt fund. Reads no price; never paused.
pub fn handle_fund_reserve(ctx: Context<FundReserve>, amount: u64) -> Result<()> {
    let accounts = &mut *ctx.accounts;
    require_user_token_account(&accounts.source, &[accounts.reserve.key()])?;
    accounts.reserve.contribute_to_fund(amount)?;
    transfer_into_vault(
        &accounts.token_program.to_account_info(),
        &accounts.source.to_account_info(),
        &mut accounts.fund_vault,
        &accounts.mint.to_account_info(),
        &accounts.contributor.to_account_info(),
        amount,
        accounts.reserve.decimals,
    )?;
    emit!(FundContributed {
        reserve: accounts.reserve.key(),
        contributor: accounts.contributor.key(),
        amount,
        fund_balance: accounts.reserve.fund_balance,
    });
    Ok(())
}
