use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use super::token::{require_user_token_account, transfer_out};
use crate::errors::BallastError;
use crate::events::FeesCollected;
use crate::state::{seeds, Market, Reserve};

#[derive(Accounts)]
pub struct CollectFees<'info> {
    /// Anyone: every destination is fixed by the market and the reserve.
    pub caller: Signer<'info>,
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
        has_one = fund_vault @ BallastError::WrongVault,
        has_one = token_program @ BallastError::WrongTokenProgram,
        seeds = [seeds::RESERVE, reserve.market.as_ref(), reserve.mint.as_ref()],
        bump = reserve.bump
    )]
    pub reserve: Account<'info, Reserve>,
    pub mint: InterfaceAccount<'info, Mint>,
    #[account(
        mut,
        seeds = [seeds::LIQUIDITY_VAULT, reserve.key().as_ref()],
        bump = reserve.liquidity_vault_bump
    )]
    pub liquidity_vault: InterfaceAccount<'info, TokenAccount>,
    #[account(
        mut,
        seeds = [seeds::FUND_VAULT, reserve.key().as_ref()],
        bump = reserve.fund_vault_bump
    )]
    pub fund_vault: InterfaceAccount<'info, TokenAccount>,
    #[account(
        mut,
        constraint = treasury.mint == mint.key() @ BallastError::WrongMint,
        constraint = treasury.owner == market.fee_receiver @ BallastError::WrongFeeReceiver
    )]
    pub treasury: InterfaceAccount<'info, TokenAccount>,
    pub token_program: Interface<'info, TokenInterface>,
}

/// Sweeps a reserve's token flows, each bounded by free liquidity:
/// 1. accrue;
/// 2. what the fund paid toward bad debt moves from the fund vault to the liquidity vault;
/// 3. insurance owed to the fund moves into the fund vault;
/// 4. protocol fees go to the treasury.
pub fn handle_collect_fees(ctx: Context<CollectFees>) -> Result<()> {
    let accounts = &mut *ctx.accounts;
    let reserve = &mut accounts.reserve;
    require_user_token_account(&accounts.treasury, &[reserve.key()])?;
    reserve.accrue_interest(Clock::get()?.unix_timestamp)?;
    let (fees, insurance, receivable) = reserve.sweep()?;
    let token_program = accounts.token_program.to_account_info();
    let mint = accounts.mint.to_account_info();
    let reserve_info = reserve.to_account_info();
    let liquidity = accounts.liquidity_vault.to_account_info();
    let fund = accounts.fund_vault.to_account_info();
    transfer_out(
        &token_program,
        &fund,
        &liquidity,
        &mint,
        &reserve_info,
        reserve,
        receivable,
    )?;
    transfer_out(
        &token_program,
        &liquidity,
        &fund,
        &mint,
        &reserve_info,
        reserve,
        insurance,
    )?;
    transfer_out(
        &token_program,
        &liquidity,
        &accounts.treasury.to_account_info(),
        &mint,
        &reserve_info,
        reserve,
        fees,
    )?;
    emit!(FeesCollected {
        reserve: reserve.key(),
        protocol_fees: fees,
        insurance_to_fund: insurance,
        receivable_to_liquidity: receivable,
        fund_balance: reserve.fund_balance,
    });
    Ok(())
}
