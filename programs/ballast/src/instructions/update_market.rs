use anchor_lang::prelude::*;

use crate::errors::BallastError;
use crate::events::{EmodeCategoryConfigured, MarketUpdated};
use crate::state::{seeds, EmodeCategory, LiquidationConfig, Market, PAUSE_ALL};

/// One change to a market.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub enum MarketUpdate {
    /// Admin: propose a new admin (step one of two).
    ProposeAdmin { new_admin: Pubkey },
    /// Pending admin: accept (step two).
    AcceptAdmin,
    /// Admin: replace the risk authority.
    SetRiskAuthority { risk_authority: Pubkey },
    /// Admin: replace the owner of fee token accounts.
    SetFeeReceiver { fee_receiver: Pubkey },
    /// Admin: replace the trusted oracle programs.
    SetOraclePrograms {
        pyth_program: Pubkey,
        pyth_receiver_program: Pubkey,
        switchboard_program: Pubkey,
    },
    /// Admin: replace the liquidation settings.
    SetLiquidationConfig { config: LiquidationConfig },
    /// Admin: any flags. Risk authority: only add flags.
    SetPauseFlags { pause_flags: u8 },
    /// Admin: list e-mode category `id` (1 ..= `EMODE_CATEGORIES`) or change its parameters
    /// (validated; a listed category stays listed). Risk authority: only lower its LTV.
    SetEmodeCategory { id: u8, category: EmodeCategory },
}

#[derive(Accounts)]
pub struct UpdateMarket<'info> {
    pub signer: Signer<'info>,
    #[account(
        mut,
        seeds = [seeds::MARKET, market.creator.as_ref(), market.index.to_le_bytes().as_ref()],
        bump = market.bump
    )]
    pub market: Account<'info, Market>,
}

pub fn handle_update_market(ctx: Context<UpdateMarket>, update: MarketUpdate) -> Result<()> {
    let signer = ctx.accounts.signer.key();
    let market = &mut ctx.accounts.market;
    let change = match update {
        MarketUpdate::ProposeAdmin { new_admin } => {
            market.require_admin(&signer)?;
            market.pending_admin = new_admin;
            "ProposeAdmin"
        }
        MarketUpdate::AcceptAdmin => {
            require!(
                market.pending_admin != Pubkey::default() && market.pending_admin == signer,
                BallastError::NotPendingAdmin
            );
            market.admin = signer;
            market.pending_admin = Pubkey::default();
            "AcceptAdmin"
        }
        MarketUpdate::SetRiskAuthority { risk_authority } => {
            market.require_admin(&signer)?;
            market.risk_authority = risk_authority;
            "SetRiskAuthority"
        }
        MarketUpdate::SetFeeReceiver { fee_receiver } => {
            market.require_admin(&signer)?;
            market.fee_receiver = fee_receiver;
            "SetFeeReceiver"
        }
        MarketUpdate::SetOraclePrograms {
            pyth_program,
            pyth_receiver_program,
            switchboard_program,
        } => {
            market.require_admin(&signer)?;
            market.pyth_program = pyth_program;
            market.pyth_receiver_program = pyth_receiver_program;
            market.switchboard_program = switchboard_program;
            "SetOraclePrograms"
        }
        MarketUpdate::SetLiquidationConfig { config } => {
            market.require_admin(&signer)?;
            config.validate()?;
            market.liquidation = config;
            "SetLiquidationConfig"
        }
        MarketUpdate::SetPauseFlags { pause_flags } => {
            require!(
                pause_flags & !PAUSE_ALL == 0,
                BallastError::InvalidMarketConfig
            );
            let is_admin = market.authority_role(&signer)?;
            require!(
                is_admin || pause_flags & market.pause_flags == market.pause_flags,
                BallastError::RiskAuthorityMayOnlyTighten
            );
            market.pause_flags = pause_flags;
            "SetPauseFlags"
        }
        MarketUpdate::SetEmodeCategory { id, category } => {
            let is_admin = market.authority_role(&signer)?;
            let slot = usize::from(id)
                .checked_sub(1)
                .and_then(|index| market.emode_categories.get_mut(index))
                .ok_or(BallastError::EmodeCategoryNotListed)?;
            category.validate()?;
            require!(
                is_admin || (slot.is_listed() && category.only_tightens(slot)),
                BallastError::RiskAuthorityMayOnlyTighten
            );
            *slot = category;
            emit!(EmodeCategoryConfigured {
                market: market.key(),
                id,
                by_admin: is_admin,
                ltv_bps: category.ltv_bps,
                liquidation_threshold_bps: category.liquidation_threshold_bps,
                min_liquidation_bonus_bps: category.min_liquidation_bonus_bps,
                max_liquidation_bonus_bps: category.max_liquidation_bonus_bps,
            });
            "SetEmodeCategory"
        }
    };
    emit!(MarketUpdated {
        market: market.key(),
        change: change.into(),
        admin: market.admin,
        pause_flags: market.pause_flags
    });
    Ok(())
}
