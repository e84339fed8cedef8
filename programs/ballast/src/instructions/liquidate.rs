use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use super::realize_bad_debt::{
    emit_written_off, write_off_positions, AccountReserves, ReserveSet, WrittenOff,
};
use super::token::{require_user_token_account, transfer_into_vault, transfer_out};
use crate::errors::{BallastError, MathResultExt};
use crate::events::Liquidated;
use crate::math::liquidation::{size_liquidation, LiquidationOutcome, LiquidationRegime};
use crate::oracle::PricePolicyKind;
use crate::state::{seeds, Market, Obligation, Reserve, PAUSE_LIQUIDATE};
use crate::valuation::Valuation;

/// Arguments of `liquidate`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct LiquidateArgs {
    /// Most debt tokens the liquidator will pay; larger than allowed is clipped.
    pub max_repay: u64,
    /// Fewest collateral tokens (or the token value of the shares, after any write-off in the
    /// same instruction) the liquidator accepts.
    pub min_collateral_out: u64,
    /// Take the collateral as supply shares in `liquidator_obligation` instead of tokens.
    pub receive_shares: bool,
}

#[derive(Accounts)]
pub struct Liquidate<'info> {
    /// Anyone but the obligation's owner.
    pub liquidator: Signer<'info>,
    #[account(
        seeds = [seeds::MARKET, market.creator.as_ref(), market.index.to_le_bytes().as_ref()],
        bump = market.bump
    )]
    pub market: Account<'info, Market>,
    #[account(
        mut, has_one = market @ BallastError::WrongMarket,
        seeds = [seeds::OBLIGATION, obligation.market.as_ref(), obligation.owner.as_ref(), obligation.index.to_le_bytes().as_ref()],
        bump = obligation.bump
    )]
    pub obligation: Account<'info, Obligation>,
    #[account(
        mut,
        has_one = market @ BallastError::WrongMarket,
        constraint = repay_reserve.mint == repay_mint.key() @ BallastError::WrongMint,
        constraint = repay_reserve.liquidity_vault == repay_liquidity_vault.key() @ BallastError::WrongVault,
        constraint = repay_reserve.token_program == repay_token_program.key() @ BallastError::WrongTokenProgram,
        seeds = [seeds::RESERVE, repay_reserve.market.as_ref(), repay_reserve.mint.as_ref()],
        bump = repay_reserve.bump
    )]
    pub repay_reserve: Account<'info, Reserve>,
    #[account(
        mut,
        has_one = market @ BallastError::WrongMarket,
        constraint = collateral_reserve.mint == collateral_mint.key() @ BallastError::WrongMint,
        constraint = collateral_reserve.liquidity_vault == collateral_liquidity_vault.key() @ BallastError::WrongVault,
        constraint = collateral_reserve.token_program == collateral_token_program.key() @ BallastError::WrongTokenProgram,
        seeds = [seeds::RESERVE, collateral_reserve.market.as_ref(), collateral_reserve.mint.as_ref()],
        bump = collateral_reserve.bump
    )]
    /// Differs from the repay reserve: an obligation never both deposits into and borrows
    /// from one reserve, and the same account twice is Anchor's
    /// `ConstraintDuplicateMutableAccount` (2040).
    pub collateral_reserve: Account<'info, Reserve>,
    pub repay_mint: InterfaceAccount<'info, Mint>,
    pub collateral_mint: InterfaceAccount<'info, Mint>,
    #[account(
        mut,
        seeds = [seeds::LIQUIDITY_VAULT, repay_reserve.key().as_ref()],
        bump = repay_reserve.liquidity_vault_bump
    )]
    pub repay_liquidity_vault: InterfaceAccount<'info, TokenAccount>,
    #[account(
        mut,
        seeds = [seeds::LIQUIDITY_VAULT, collateral_reserve.key().as_ref()],
        bump = collateral_reserve.liquidity_vault_bump
    )]
    pub collateral_liquidity_vault: InterfaceAccount<'info, TokenAccount>,
    /// The liquidator's account the repayment is taken from.
    #[account(mut, constraint = repay_source.mint == repay_mint.key() @ BallastError::WrongMint)]
    pub repay_source: InterfaceAccount<'info, TokenAccount>,
    /// The liquidator's account the collateral is paid to (unless `receive_shares`).
    #[account(mut, constraint = collateral_destination.mint == collateral_mint.key() @ BallastError::WrongMint)]
    pub collateral_destination: Option<InterfaceAccount<'info, TokenAccount>>,
    /// The liquidator's own obligation in this market, credited when `receive_shares`.
    #[account(
        mut,
        has_one = market @ BallastError::WrongMarket,
        constraint = liquidator_obligation.owner == liquidator.key() @ BallastError::NotObligationOwner,
        seeds = [seeds::OBLIGATION, liquidator_obligation.market.as_ref(), liquidator_obligation.owner.as_ref(), liquidator_obligation.index.to_le_bytes().as_ref()],
        bump = liquidator_obligation.bump
    )]
    pub liquidator_obligation: Option<Account<'info, Obligation>>,
    pub repay_token_program: Interface<'info, TokenInterface>,
    pub collateral_token_program: Interface<'info, TokenInterface>,
    // remaining_accounts: `[reserve, oracle, fallback oracle?]` per position, canonical order; reserves writable
    // when the liquidation may take the last collateral (bad debt is then realized).
}

/// Permissionless liquidation (PROTOCOL.md §6–§7, docs/liquidation.md):
/// 1. checks: not paused, not the owner, no protocol vault as the liquidator's account;
///    accrue both reserves;
/// 2. value the obligation under liquidation prices; require HF < 1;
/// 3. size: with a buffer, close factor, clip, dust rule and a bonus inside the buffer; below
///    it, close a position at the minimum bonus; never a bonus beyond the borrower's surplus;
/// 4. repay the debt, move the seized shares (fee to the fund, rest to the liquidator as
///    tokens or shares);
/// 5. if no collateral of value is left and the obligation is insolvent, realize all bad debt
///    (unless a reserve of it has liquidations paused); otherwise a partial liquidation with a
///    buffer must end healthier; check the liquidator's floor on what it ends with;
/// 6. move the tokens.
pub fn handle_liquidate<'info>(
    ctx: Context<'info, Liquidate<'info>>,
    args: LiquidateArgs,
) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let accounts = &mut *ctx.accounts;
    let market = &accounts.market;
    let market_key = market.key();
    let obligation_key = accounts.obligation.key();
    let repay_key = accounts.repay_reserve.key();
    let collateral_key = accounts.collateral_reserve.key();

    // 1.
    accounts
        .repay_reserve
        .require_not_paused(market.pause_flags, PAUSE_LIQUIDATE)?;
    accounts
        .collateral_reserve
        .require_not_paused(market.pause_flags, PAUSE_LIQUIDATE)?;
    require_keys_neq!(
        accounts.obligation.owner,
        accounts.liquidator.key(),
        BallastError::SelfLiquidation
    );
    let named = [repay_key, collateral_key];
    require_user_token_account(&accounts.repay_source, &named)?;
    if let Some(destination) = &accounts.collateral_destination {
        require_user_token_account(destination, &named)?;
    }
    accounts.repay_reserve.accrue_interest(now)?;
    accounts.collateral_reserve.accrue_interest(now)?;
    accounts
        .obligation
        .borrow(&repay_key)
        .ok_or(BallastError::NoBorrowInReserve)?;
    accounts
        .obligation
        .deposit(&collateral_key)
        .filter(|deposit| deposit.collateral_enabled)
        .ok_or(BallastError::NoDepositInReserve)?;

    // 2.–5.
    let mut valuation = Valuation::load(
        &market_key,
        market,
        &accounts.obligation,
        ctx.remaining_accounts,
        &[
            (repay_key, &accounts.repay_reserve),
            (collateral_key, &accounts.collateral_reserve),
        ],
        PricePolicyKind::Liquidation,
        now,
    )?;
    valuation.emit_sources();
    if args.receive_shares {
        if let Some(liquidator_obligation) = &accounts.liquidator_obligation {
            require_keys_neq!(
                liquidator_obligation.key(),
                obligation_key,
                BallastError::DuplicateObligation
            );
        }
    }
    let effect = apply_liquidation(
        market,
        &mut accounts.obligation,
        &mut valuation,
        &repay_key,
        &collateral_key,
        &mut AccountReserves {
            live: &mut [
                (repay_key, &mut *accounts.repay_reserve),
                (collateral_key, &mut *accounts.collateral_reserve),
            ],
            remaining: ctx.remaining_accounts,
            now,
        },
        args,
        accounts.liquidator_obligation.as_deref_mut(),
    )?;
    let repay_reserve = &accounts.repay_reserve;
    let collateral_reserve = &mut accounts.collateral_reserve;
    let (repaid, collateral_out) = (effect.repaid, effect.collateral_out);

    // 6.
    transfer_into_vault(
        &accounts.repay_token_program.to_account_info(),
        &accounts.repay_source.to_account_info(),
        &mut accounts.repay_liquidity_vault,
        &accounts.repay_mint.to_account_info(),
        &accounts.liquidator.to_account_info(),
        repaid,
        repay_reserve.decimals,
    )?;
    if !args.receive_shares {
        let destination = accounts
            .collateral_destination
            .as_ref()
            .ok_or(BallastError::CollateralDestinationRequired)?;
        transfer_out(
            &accounts.collateral_token_program.to_account_info(),
            &accounts.collateral_liquidity_vault.to_account_info(),
            &destination.to_account_info(),
            &accounts.collateral_mint.to_account_info(),
            &collateral_reserve.to_account_info(),
            collateral_reserve,
            collateral_out,
        )?;
    }
    emit_written_off(&obligation_key, &effect.written_off);
    emit!(Liquidated {
        obligation: obligation_key,
        liquidator: accounts.liquidator.key(),
        repay_reserve: repay_key,
        collateral_reserve: collateral_key,
        repaid,
        seized: collateral_out,
        bonus_bps: effect.outcome.bonus_bps,
        protocol_fee: u64::try_from(effect.fee_value_wad / crate::math::WAD).unwrap_or(u64::MAX),
        received_as_shares: args.receive_shares,
        health_before_wad: effect.health_before_wad,
        health_after_wad: effect.health_after_wad,
    });
    Ok(())
}

/// What a liquidation did to the books (the tokens are moved by the caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiquidationEffect {
    pub outcome: LiquidationOutcome,
    /// Debt tokens taken from the liquidator.
    pub repaid: u64,
    /// Shares taken from the obligation, the fee's included.
    pub seized_shares: u128,
    /// Shares moved to the fund (the protocol's liquidation fee).
    pub fee_shares: u128,
    /// Shares credited to the liquidator (as tokens, or to its obligation).
    pub liquidator_shares: u128,
    /// What the liquidator ends with, in collateral tokens (the token value of the shares when
    /// `receive_shares`, after any write-off).
    pub collateral_out: u64,
    /// Value of the fee (collateral token units × WAD).
    pub fee_value_wad: u128,
    pub health_before_wad: u128,
    pub health_after_wad: u128,
    /// The borrows written off when the liquidation took the last collateral of value.
    pub written_off: Vec<WrittenOff>,
}

/// The liquidation's state transition (steps 2–5 of `handle_liquidate`), on any
/// [`ReserveSet`]: the program runs it on its accounts, and a simulation (the dashboard's
/// stress test) on a copy of the market, so both change the books identically. `valuation`
/// holds the obligation's reserves, `repay` and `collateral` already accrued, at the prices of
/// the liquidation policy; `reserves` must hold every reserve of the obligation.
#[allow(clippy::too_many_arguments)]
pub fn apply_liquidation(
    market: &Market,
    obligation: &mut Obligation,
    valuation: &mut Valuation,
    repay_key: &Pubkey,
    collateral_key: &Pubkey,
    reserves: &mut impl ReserveSet,
    args: LiquidateArgs,
    liquidator_obligation: Option<&mut Obligation>,
) -> Result<LiquidationEffect> {
    let (repay_key, collateral_key) = (*repay_key, *collateral_key);
    let before = valuation.totals(obligation)?;
    require!(before.is_liquidatable(), BallastError::ObligationHealthy);
    let health_before = before.health_factor_wad().or_err()?;
    for key in [repay_key, collateral_key] {
        if valuation.publish_time(&key).is_some() {
            reserves.update(&key, |reserve| {
                valuation.record_price(&key, reserve);
                Ok(())
            })?;
        }
    }

    // 3.
    let request = valuation.liquidation_request(
        obligation,
        &before,
        &repay_key,
        &collateral_key,
        args.max_repay,
    )?;
    let outcome = size_liquidation(&market.liquidation.settings(), &request).or_err()?;

    // 4.
    let borrow = *obligation
        .borrow(&repay_key)
        .ok_or(BallastError::NoBorrowInReserve)?;
    let deposit = *obligation
        .deposit(&collateral_key)
        .filter(|deposit| deposit.collateral_enabled)
        .ok_or(BallastError::NoDepositInReserve)?;
    let (repaid, removed_debt, repay_after) = reserves.update(&repay_key, |reserve| {
        let (repaid, removed) = reserve.repay(outcome.repay_tokens, borrow.scaled_debt)?;
        Ok((repaid, removed, reserve.clone()))
    })?;
    obligation
        .remove_debt(&repay_key, removed_debt)?
        .apply(reserves)?;
    let (seized_shares, fee_shares, fee_value_wad) =
        reserves.update(&collateral_key, |reserve| {
            let seized_shares = if outcome.takes_all_collateral {
                deposit.shares
            } else {
                reserve
                    .shares_for_withdrawal(outcome.seize_tokens)?
                    .min(deposit.shares)
            };
            let fee_shares = if outcome.fee_tokens == 0 {
                0
            } else {
                crate::math::fixed::mul_div_ceil(
                    seized_shares,
                    outcome.fee_tokens,
                    outcome.seize_tokens,
                )
                .or_err()?
                .min(seized_shares)
            };
            let fee_value_wad = reserve.move_shares_to_fund(fee_shares)?;
            Ok((seized_shares, fee_shares, fee_value_wad))
        })?;
    let liquidator_shares = seized_shares - fee_shares;
    obligation
        .remove_shares(&collateral_key, seized_shares)?
        .apply(reserves)?;
    let (paid_tokens, collateral_after) = if args.receive_shares {
        let isolated = reserves.update(&collateral_key, |reserve| Ok(reserve.config.isolated))?;
        liquidator_obligation
            .ok_or(BallastError::LiquidatorObligationRequired)?
            .add_shares(collateral_key, liquidator_shares, isolated)?;
        reserves.update(&collateral_key, |reserve| Ok((0, reserve.clone())))?
    } else {
        reserves.update(&collateral_key, |reserve| {
            Ok((reserve.redeem_shares(liquidator_shares)?, reserve.clone()))
        })?
    };

    // 5.
    valuation.refresh(&repay_key, &repay_after);
    valuation.refresh(&collateral_key, &collateral_after);
    let after = valuation.totals(obligation)?;
    let mut health_after = after.health_factor_wad().or_err()?;
    // Insolvent by both sources where two disagree (`Valuation::write_off_totals`).
    let no_collateral_of_value =
        valuation.holds_no_collateral_of_value(obligation, &market.liquidation)?;
    let mut written_off = vec![];
    if no_collateral_of_value && !valuation.any_liquidation_paused() {
        written_off = write_off_positions(obligation, reserves)?;
        health_after = crate::math::health::HEALTH_INFINITE;
    } else if obligation.has_debt()
        && outcome.regime == LiquidationRegime::Buffer
        && !outcome.closes_a_position()
    {
        require!(
            health_after >= health_before,
            BallastError::HealthNotImproved
        );
    }
    // The floor applies to what the liquidator ends with: shares are valued after any
    // write-off in this instruction.
    let collateral_out = if args.receive_shares {
        reserves.update(&collateral_key, |reserve| {
            reserve.tokens_for_shares(liquidator_shares)
        })?
    } else {
        paid_tokens
    };
    require!(
        collateral_out >= args.min_collateral_out,
        BallastError::SlippageExceeded
    );
    Ok(LiquidationEffect {
        outcome,
        repaid,
        seized_shares,
        fee_shares,
        liquidator_shares,
        collateral_out,
        fee_value_wad,
        health_before_wad: health_before,
        health_after_wad: health_after,
        written_off,
    })
}
