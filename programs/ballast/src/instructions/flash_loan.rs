//! Flash loans: `flash_borrow` lends a reserve's free liquidity for the rest of the transaction,
//! `flash_repay` returns it with the fee (docs/flash-loans.md).
//!
//! Both must be top-level instructions. A borrow is accepted only if the transaction holds,
//! later, a `flash_repay` of the same reserve for exactly the amount plus the fee, with no other
//! `flash_borrow` of that reserve in between; this is read from the instructions sysvar before
//! any token moves. Because that repay either runs and closes the loan or fails the whole
//! transaction, a loan never outlives its transaction. While it is open the principal stays on
//! the books (utilization, interest and the share value are unchanged) but cannot be paid out.

use anchor_lang::prelude::*;
use anchor_lang::solana_program::instruction::{get_stack_height, Instruction};
use anchor_lang::Discriminator;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};
use solana_instructions_sysvar::{load_current_index_checked, load_instruction_at_checked};

use super::token::{require_user_token_account, transfer_into_vault, transfer_out};
use crate::errors::BallastError;
use crate::events::{FlashBorrowed, FlashRepaid};
use crate::state::{seeds, Market, Reserve, PAUSE_FLASH_LOAN};

/// The instructions sysvar (both flash instructions take it).
pub use solana_instructions_sysvar::ID as INSTRUCTIONS_SYSVAR_ID;

/// The stack height of a transaction's own (top-level) instructions.
const TOP_LEVEL_STACK_HEIGHT: usize = 1;
/// Where the reserve sits in both flash instructions' account lists.
pub const FLASH_RESERVE_ACCOUNT_INDEX: usize = 2;

#[derive(Accounts)]
pub struct FlashBorrow<'info> {
    pub borrower: Signer<'info>,
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
    /// CHECK: the instructions sysvar, by address; read for the matching `flash_repay`.
    #[account(address = solana_instructions_sysvar::ID @ BallastError::WrongInstructionsSysvar)]
    pub instructions: UncheckedAccount<'info>,
}

#[derive(Accounts)]
pub struct FlashRepay<'info> {
    /// Anyone: the tokens come from this signer's `source`.
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
    /// CHECK: the instructions sysvar, by address; read to refuse a call through CPI.
    #[account(address = solana_instructions_sysvar::ID @ BallastError::WrongInstructionsSysvar)]
    pub instructions: UncheckedAccount<'info>,
}

/// A top-level instruction of the transaction, as far as flash loans of one reserve care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlashStep {
    Borrow(u64),
    Repay(u64),
}

/// What `instruction` is for flash loans of `reserve`: a Ballast `flash_borrow` or
/// `flash_repay` naming it, with its amount; `None` for anything else.
pub fn flash_step(instruction: &Instruction, reserve: &Pubkey) -> Option<FlashStep> {
    if instruction.program_id != crate::ID
        || instruction
            .accounts
            .get(FLASH_RESERVE_ACCOUNT_INDEX)
            .map(|meta| meta.pubkey)
            != Some(*reserve)
    {
        return None;
    }
    let amount = |data: &[u8]| {
        data.get(..8)
            .and_then(|bytes| bytes.try_into().ok())
            .map(u64::from_le_bytes)
    };
    if let Some(rest) = instruction
        .data
        .strip_prefix(crate::instruction::FlashBorrow::DISCRIMINATOR)
    {
        return amount(rest).map(FlashStep::Borrow);
    }
    if let Some(rest) = instruction
        .data
        .strip_prefix(crate::instruction::FlashRepay::DISCRIMINATOR)
    {
        return amount(rest).map(FlashStep::Repay);
    }
    None
}

/// Refuses a flash instruction reached through another program: it must run at the top of the
/// stack, and the transaction's current instruction must be this very call. Returns its index.
fn require_top_level(sysvar: &AccountInfo, reserve: &Pubkey, this: FlashStep) -> Result<usize> {
    require!(
        get_stack_height() == TOP_LEVEL_STACK_HEIGHT,
        BallastError::FlashLoanThroughCpi
    );
    let current = usize::from(load_current_index_checked(sysvar)?);
    let instruction = load_instruction_at_checked(current, sysvar)?;
    require!(
        flash_step(&instruction, reserve) == Some(this),
        BallastError::FlashLoanThroughCpi
    );
    Ok(current)
}

/// The transaction's instructions after `current` must hold a `flash_repay` of `reserve` for
/// exactly `due`, with no `flash_borrow` of it before that repay.
fn require_repay_follows(
    sysvar: &AccountInfo,
    reserve: &Pubkey,
    current: usize,
    due: u64,
) -> Result<()> {
    let mut index = current + 1;
    // Past the last instruction the sysvar answers an error: the repay is missing.
    while let Ok(instruction) = load_instruction_at_checked(index, sysvar) {
        match flash_step(&instruction, reserve) {
            Some(FlashStep::Borrow(_)) => return err!(BallastError::FlashLoanNested),
            Some(FlashStep::Repay(amount)) => {
                require!(amount == due, BallastError::FlashRepayAmountMismatch);
                return Ok(());
            }
            None => index += 1,
        }
    }
    err!(BallastError::FlashRepayMissing)
}

/// 1. top level, not paused, a user's destination;
/// 2. book the loan (free liquidity, no loan open, the fee);
/// 3. the matching repay later in the transaction;
/// 4. pay out.
pub fn handle_flash_borrow(ctx: Context<FlashBorrow>, amount: u64) -> Result<()> {
    let accounts = &mut *ctx.accounts;
    let reserve_key = accounts.reserve.key();
    let sysvar = accounts.instructions.to_account_info();
    let current = require_top_level(&sysvar, &reserve_key, FlashStep::Borrow(amount))?;
    let reserve = &mut accounts.reserve;
    reserve.require_not_paused(accounts.market.pause_flags, PAUSE_FLASH_LOAN)?;
    require_user_token_account(&accounts.destination, &[reserve_key])?;
    let fee = reserve.open_flash_loan(amount)?;
    let due = amount.checked_add(fee).ok_or(BallastError::MathOverflow)?;
    require_repay_follows(&sysvar, &reserve_key, current, due)?;
    transfer_out(
        &accounts.token_program.to_account_info(),
        &accounts.liquidity_vault.to_account_info(),
        &accounts.destination.to_account_info(),
        &accounts.mint.to_account_info(),
        &reserve.to_account_info(),
        reserve,
        amount,
    )?;
    emit!(FlashBorrowed {
        reserve: reserve_key,
        borrower: accounts.borrower.key(),
        amount,
        fee,
    });
    Ok(())
}

/// 1. top level, a user's source; never paused (a loan open must always close);
/// 2. close the loan: exactly principal + fee, the fee booked to the fund and protocol fees;
/// 3. take tokens.
pub fn handle_flash_repay(ctx: Context<FlashRepay>, amount: u64) -> Result<()> {
    let accounts = &mut *ctx.accounts;
    let reserve_key = accounts.reserve.key();
    let sysvar = accounts.instructions.to_account_info();
    require_top_level(&sysvar, &reserve_key, FlashStep::Repay(amount))?;
    require_user_token_account(&accounts.source, &[reserve_key])?;
    let reserve = &mut accounts.reserve;
    let fee = reserve.flash_loan_fee;
    let split = reserve.close_flash_loan(amount)?;
    transfer_into_vault(
        &accounts.token_program.to_account_info(),
        &accounts.source.to_account_info(),
        &mut accounts.liquidity_vault,
        &accounts.mint.to_account_info(),
        &accounts.payer.to_account_info(),
        amount,
        reserve.decimals,
    )?;
    emit!(FlashRepaid {
        reserve: reserve_key,
        payer: accounts.payer.key(),
        amount,
        fee,
        fee_to_fund: split.to_fund,
        fee_to_protocol: split.to_protocol,
    });
    Ok(())
}
