use anchor_lang::prelude::*;

use crate::errors::BallastError;
use crate::state::Obligation;

#[derive(Accounts)]
pub struct CloseObligation<'info> {
    /// Receives the rent back.
    #[account(mut)]
    pub owner: Signer<'info>,
    #[account(mut, close = owner, has_one = owner @ BallastError::NotObligationOwner)]
    pub obligation: Account<'info, Obligation>,
}

pub fn handle_close_obligation(ctx: Context<CloseObligation>) -> Result<()> {
    require!(
        ctx.accounts.obligation.is_empty(),
        BallastError::ObligationNotEmpty
    );
    Ok(())
}
