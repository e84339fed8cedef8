use anchor_lang::prelude::*;

use crate::events::MarketUpdated;
use crate::state::{seeds, LiquidationConfig, Market};

/// Arguments of `init_market`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct InitMarketArgs {
    /// Index among the creator's markets (part of the market's address).
    pub index: u16,
    pub risk_authority: Pubkey,
    pub fee_receiver: Pubkey,
    pub pyth_program: Pubkey,
    pub pyth_receiver_program: Pubkey,
    pub switchboard_program: Pubkey,
    pub liquidation: LiquidationConfig,
}

#[derive(Accounts)]
#[instruction(args: InitMarketArgs)]
pub struct InitMarket<'info> {
    /// Pays for the market and becomes its admin.
    #[account(mut)]
    pub creator: Signer<'info>,
    #[account(
        init,
        payer = creator,
        space = 8 + Market::INIT_SPACE,
        seeds = [seeds::MARKET, creator.key().as_ref(), &args.index.to_le_bytes()],
        bump
    )]
    pub market: Account<'info, Market>,
    pub system_program: Program<'info, System>,
}

pub fn handle_init_market(ctx: Context<InitMarket>, args: InitMarketArgs) -> Result<()> {
    args.liquidation.validate()?;
    let creator = ctx.accounts.creator.key();
    ctx.accounts.market.set_inner(Market {
        creator,
        index: args.index,
        bump: ctx.bumps.market,
        admin: creator,
        pending_admin: Pubkey::default(),
        risk_authority: args.risk_authority,
        fee_receiver: args.fee_receiver,
        pyth_program: args.pyth_program,
        pyth_receiver_program: args.pyth_receiver_program,
        switchboard_program: args.switchboard_program,
        pause_flags: 0,
        liquidation: args.liquidation,
        emode_categories: Default::default(),
        reserved: [0; 32],
    });
    emit!(MarketUpdated {
        market: ctx.accounts.market.key(),
        change: "InitMarket".into(),
        admin: creator,
        pause_flags: 0
    });
    Ok(())
}
