use anchor_lang::prelude::*;

use super::realize_bad_debt::AccountReserves;
use crate::errors::BallastError;
use crate::events::CollateralSet;
use crate::oracle::{read_price, PricePolicyKind};
use crate::state::{seeds, Market, Obligation};
use crate::valuation::{listed_oracles, load_reserve, require_within_borrow_limit};

#[derive(Accounts)]
pub struct SetCollateral<'info> {
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
    // remaining_accounts, only while the obligation has debt:
    // - disabling: `[reserve, oracle, fallback oracle?]` per position (canonical order);
    // - enabling: `[reserve, oracle, fallback oracle?]` of the deposit being enabled.
}

/// Enables or disables the deposit in `reserve` as collateral, while the obligation has debt:
/// - disabling ends with the borrow-limit check under strict prices;
/// - enabling needs a valid strict price for that reserve: every enabled position must be
///   priceable when the obligation is liquidated, so a position enters the valuation only at
///   a price that is good now (a deposit, which reads no price, opens its slot disabled).
///
/// Enabling never lowers health. Enabling that would put an isolated collateral beside another
/// is refused (`IsolatedCollateralMustBeAlone`).
pub fn handle_set_collateral<'info>(
    ctx: Context<'info, SetCollateral<'info>>,
    reserve: Pubkey,
    enabled: bool,
) -> Result<()> {
    let accounts = &mut *ctx.accounts;
    let obligation = &mut accounts.obligation;
    let release = obligation.set_collateral(&reserve, enabled)?;
    let now = Clock::get()?.unix_timestamp;
    // Disabling the isolated collateral releases its record (nonzero only while in debt, when
    // the isolated reserve is listed, writable, among the remaining accounts).
    release.apply(&mut AccountReserves {
        live: &mut [],
        remaining: ctx.remaining_accounts,
        now,
    })?;
    if obligation.has_debt() {
        let market = &accounts.market;
        if enabled {
            let remaining = ctx.remaining_accounts;
            let reserve_account = remaining
                .first()
                .ok_or(BallastError::InvalidRemainingAccounts)?;
            require_keys_eq!(
                *reserve_account.key,
                reserve,
                BallastError::InvalidRemainingAccounts
            );
            let state = load_reserve(reserve_account)?;
            require_keys_eq!(state.market, market.key(), BallastError::WrongMarket);
            let oracles = listed_oracles(&state, remaining, 1)?;
            require!(
                remaining.len() == 2 + usize::from(oracles.fallback.is_some()),
                BallastError::InvalidRemainingAccounts
            );
            read_price(market, &state, oracles, PricePolicyKind::Strict, now)?;
        } else {
            require_within_borrow_limit(
                &market.key(),
                market,
                obligation,
                ctx.remaining_accounts,
                &[],
                now,
            )?;
        }
    }
    emit!(CollateralSet {
        obligation: obligation.key(),
        reserve,
        enabled
    });
    Ok(())
}
