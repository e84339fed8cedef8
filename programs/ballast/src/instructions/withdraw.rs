use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use super::realize_bad_debt::AccountReserves;
use super::token::{require_user_token_account, transfer_out};
use crate::errors::BallastError;
use crate::events::Withdrawn;
use crate::state::{seeds, Market, Obligation, Reserve, PAUSE_WITHDRAW};
use crate::valuation::require_within_borrow_limit_listed;

#[derive(Accounts)]
pub struct Withdraw<'info> {
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
    // remaining_accounts: only when the obligation has debt, `[reserve, oracle, fallback oracle?]` per position
    // of the obligation as it is before the withdrawal.
}

/// Withdraws `amount` tokens (`u64::MAX`: the whole deposit).
/// 1. accrue;
/// 2. burn shares (rounded up; all of them for "all", paying out rounded down);
/// 3. if the obligation has debt, require the borrow limit under strict prices;
/// 4. pay out.
pub fn handle_withdraw<'info>(ctx: Context<'info, Withdraw<'info>>, amount: u64) -> Result<()> {
    require!(amount > 0, BallastError::ZeroAmount);
    let now = Clock::get()?.unix_timestamp;
    let accounts = &mut *ctx.accounts;
    let reserve_key = accounts.reserve.key();
    let reserve = &mut accounts.reserve;
    reserve.require_not_paused(accounts.market.pause_flags, PAUSE_WITHDRAW)?;
    require_user_token_account(&accounts.destination, &[reserve_key])?;
    reserve.accrue_interest(now)?;
    let held = accounts
        .obligation
        .deposit(&reserve_key)
        .ok_or(BallastError::NoDepositInReserve)?
        .shares;
    let (shares, tokens) = if amount == u64::MAX {
        (held, reserve.redeem_shares(held)?)
    } else {
        let shares = reserve.shares_for_withdrawal(u128::from(amount))?;
        require!(shares <= held, BallastError::WithdrawExceedsDeposit);
        require!(
            amount <= reserve.payable_liquidity(),
            BallastError::InsufficientLiquidity
        );
        reserve.total_shares -= shares;
        reserve.available_liquidity -= amount;
        (shares, amount)
    };
    // "All" of a position worth less than one unit pays nothing: its shares are still burned
    // (the dust stays with the other depositors) so that the slot can always be emptied.
    require!(tokens > 0 || amount == u64::MAX, BallastError::ZeroAmount);
    // The remaining accounts list the positions as the client read them: withdrawing a whole
    // deposit closes its slot, but its reserve and oracle are still listed (and priced).
    let listed = (*accounts.obligation).clone();
    // Withdrawing the whole isolated collateral ends isolation (its record is released here).
    accounts
        .obligation
        .remove_shares(&reserve_key, shares)?
        .apply(&mut AccountReserves {
            live: &mut [(reserve_key, &mut **reserve)],
            remaining: &[],
            now,
        })?;
    if accounts.obligation.has_debt() {
        let live = [(reserve_key, &**reserve)];
        let (valuation, _) = require_within_borrow_limit_listed(
            &accounts.market.key(),
            &accounts.market,
            &listed,
            &accounts.obligation,
            ctx.remaining_accounts,
            &live,
            now,
        )?;
        valuation.record_price(&reserve_key, reserve);
    }
    transfer_out(
        &accounts.token_program.to_account_info(),
        &accounts.liquidity_vault.to_account_info(),
        &accounts.destination.to_account_info(),
        &accounts.mint.to_account_info(),
        &reserve.to_account_info(),
        reserve,
        tokens,
    )?;
    emit!(Withdrawn {
        reserve: reserve_key,
        obligation: accounts.obligation.key(),
        amount: tokens,
        shares_burned: shares,
        available_liquidity: reserve.available_liquidity,
    });
    Ok(())
}
