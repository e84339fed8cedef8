use anchor_lang::prelude::*;

use crate::errors::BallastError;
use crate::state::{seeds, Obligation};

#[derive(Accounts)]
pub struct CloseObligation<'info> {
    /// Receives the rent back.
    #[account(mut)]
    pub owner: Signer<'info>,
    #[account(
        mut,
        close = owner,
        has_one = owner @ BallastError::NotObligationOwner,
        seeds = [seeds::OBLIGATION, obligation.market.as_ref(), obligation.owner.as_ref(), obligation.index.to_le_bytes().as_ref()],
        bump = obligation.bump
    )]
    pub obligation: Account<'info, Obligation>,
}

pub fn handle_close_obligation(ctx: Context<CloseObligation>) -> Result<()> {
    require!(
        ctx.accounts.obligation.is_empty(),
        BallastError::ObligationNotEmpty
    );
    Ok(())
}
