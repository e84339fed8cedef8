use anchor_lang::prelude::*;

use crate::errors::BallastError;
use crate::events::ReserveConfigured;
use crate::state::{seeds, Market, Reserve, ReserveConfig, PAUSE_ALL};

/// One change to a reserve.
///
/// The size gap between the variants is allowed on purpose: the value is an instruction
/// argument, decoded once per instruction, and boxing it would only add a heap allocation on
/// chain and a `Box::new` at every client call site without changing a byte on the wire.
#[allow(clippy::large_enum_variant)]
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub enum ReserveUpdate {
    /// Replace the whole configuration (validated). The risk authority may only tighten.
    Config(ReserveConfig),
    /// Replace the pause flags. The risk authority may only add flags.
    PauseFlags(u8),
}

#[derive(Accounts)]
pub struct UpdateReserveConfig<'info> {
    /// The admin or the risk authority.
    pub signer: Signer<'info>,
    #[account(
        seeds = [seeds::MARKET, market.creator.as_ref(), market.index.to_le_bytes().as_ref()],
        bump = market.bump
    )]
    pub market: Account<'info, Market>,
    #[account(
        mut, has_one = market @ BallastError::WrongMarket,
        seeds = [seeds::RESERVE, reserve.market.as_ref(), reserve.mint.as_ref()],
        bump = reserve.bump
    )]
    pub reserve: Account<'info, Reserve>,
}

pub fn handle_update_reserve_config(
    ctx: Context<UpdateReserveConfig>,
    update: ReserveUpdate,
) -> Result<()> {
    let is_admin = ctx
        .accounts
        .market
        .authority_role(&ctx.accounts.signer.key())?;
    let reserve = &mut ctx.accounts.reserve;
    match update {
        ReserveUpdate::Config(config) => {
            config.validate()?;
            require!(
                is_admin || config.only_tightens(&reserve.config),
                BallastError::RiskAuthorityMayOnlyTighten
            );
            if config.emode_category != 0 {
                ctx.accounts.market.emode_category(config.emode_category)?;
            }
            // Obligations copy a reserve's isolation when they open a deposit in it.
            require!(
                config.isolated == reserve.config.isolated || reserve.total_shares == 0,
                BallastError::IsolationFixedWhileSupplied
            );
            // Interest up to now accrues under the old rate model.
            reserve.accrue_interest(Clock::get()?.unix_timestamp)?;
            let previous = &reserve.config;
            if !previous.oracle.same_feed(&config.oracle)
                || !previous.fallback_oracle.same_feed(&config.fallback_oracle)
            {
                // A new feed has its own timeline.
                reserve.last_oracle_publish_time = 0;
                reserve.last_price_source = 0;
            }
            reserve.config = config;
        }
        ReserveUpdate::PauseFlags(flags) => {
            require!(flags & !PAUSE_ALL == 0, BallastError::InvalidConfig);
            require!(
                is_admin || flags & reserve.pause_flags == reserve.pause_flags,
                BallastError::RiskAuthorityMayOnlyTighten
            );
            reserve.pause_flags = flags;
        }
    }
    emit!(ReserveConfigured {
        market: reserve.market,
        reserve: reserve.key(),
        by_admin: is_admin,
        pause_flags: reserve.pause_flags,
        ltv_bps: reserve.config.ltv_bps,
        liquidation_threshold_bps: reserve.config.liquidation_threshold_bps,
        supply_cap: reserve.config.supply_cap,
        borrow_cap: reserve.config.borrow_cap,
    });
    Ok(())
}
