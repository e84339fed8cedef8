use anchor_lang::prelude::*;

use crate::state::{
    seeds, Market, Obligation, ObligationBorrow, ObligationDeposit, MAX_BORROWS, MAX_DEPOSITS,
};

#[derive(Accounts)]
#[instruction(index: u8)]
pub struct InitObligation<'info> {
    /// Owns the obligation and pays its rent.
    #[account(mut)]
    pub owner: Signer<'info>,
    #[account(
        seeds = [seeds::MARKET, market.creator.as_ref(), market.index.to_le_bytes().as_ref()],
        bump = market.bump
    )]
    pub market: Account<'info, Market>,
    #[account(
        init,
        payer = owner,
        space = 8 + Obligation::INIT_SPACE,
        seeds = [seeds::OBLIGATION, market.key().as_ref(), owner.key().as_ref(), index.to_le_bytes().as_ref()],
        bump
    )]
    pub obligation: Account<'info, Obligation>,
    pub system_program: Program<'info, System>,
}

pub fn handle_init_obligation(ctx: Context<InitObligation>, index: u8) -> Result<()> {
    ctx.accounts.obligation.set_inner(Obligation {
        market: ctx.accounts.market.key(),
        owner: ctx.accounts.owner.key(),
        index,
        bump: ctx.bumps.obligation,
        deposits: [ObligationDeposit::default(); MAX_DEPOSITS],
        borrows: [ObligationBorrow::default(); MAX_BORROWS],
        emode_category: 0,
        isolated_collateral: Pubkey::default(),
        reserved: [0; 32],
    });
    Ok(())
}
