//! Token movements shared by every instruction: in from a signer, out from a reserve vault.

use anchor_lang::prelude::*;
use anchor_spl::token_interface::{transfer_checked, TokenAccount, TransferChecked};

use crate::errors::BallastError;
use crate::state::{seeds, Reserve};

/// Refuses a reserve's own token account passed where a user's belongs (a source or a
/// destination): tokens moved there would leave the books, stranded where nothing can sweep them
/// (`ProtocolVaultNotAllowed`). Caught: any account whose authority is one of the instruction's
/// `reserves`, and any liquidity or fund vault of any Ballast reserve, of any market (a vault
/// sits at a PDA of this program derived from its reserve, which is also its authority).
pub fn require_user_token_account(
    account: &InterfaceAccount<TokenAccount>,
    reserves: &[Pubkey],
) -> Result<()> {
    require!(
        !reserves.contains(&account.owner),
        BallastError::ProtocolVaultNotAllowed
    );
    for prefix in [seeds::LIQUIDITY_VAULT, seeds::FUND_VAULT] {
        let (vault, _) =
            Pubkey::find_program_address(&[prefix, account.owner.as_ref()], &crate::ID);
        require_keys_neq!(vault, account.key(), BallastError::ProtocolVaultNotAllowed);
    }
    Ok(())
}

/// Moves `amount` from a signer's token account into a vault.
fn transfer_in<'info>(
    token_program: &AccountInfo<'info>,
    from: &AccountInfo<'info>,
    to: &AccountInfo<'info>,
    mint: &AccountInfo<'info>,
    authority: &AccountInfo<'info>,
    amount: u64,
    decimals: u8,
) -> Result<()> {
    if amount == 0 {
        return Ok(());
    }
    let accounts = TransferChecked {
        from: from.clone(),
        mint: mint.clone(),
        to: to.clone(),
        authority: authority.clone(),
    };
    transfer_checked(
        CpiContext::new(*token_program.key, accounts),
        amount,
        decimals,
    )
}

/// Moves `amount` from a signer's token account into one of a reserve's vaults, then checks
/// the vault received exactly `amount` (a transfer fee or hook would show as a shortfall).
pub fn transfer_into_vault<'info>(
    token_program: &AccountInfo<'info>,
    from: &AccountInfo<'info>,
    vault: &mut InterfaceAccount<'info, TokenAccount>,
    mint: &AccountInfo<'info>,
    authority: &AccountInfo<'info>,
    amount: u64,
    decimals: u8,
) -> Result<()> {
    let before = vault.amount;
    transfer_in(
        token_program,
        from,
        &vault.to_account_info(),
        mint,
        authority,
        amount,
        decimals,
    )?;
    vault.reload()?;
    require!(
        Some(vault.amount) == before.checked_add(amount),
        BallastError::VaultBalanceMismatch
    );
    Ok(())
}

/// Moves `amount` out of one of `reserve`'s vaults, signed by the reserve PDA.
pub fn transfer_out<'info>(
    token_program: &AccountInfo<'info>,
    vault: &AccountInfo<'info>,
    to: &AccountInfo<'info>,
    mint: &AccountInfo<'info>,
    reserve_account: &AccountInfo<'info>,
    reserve: &Reserve,
    amount: u64,
) -> Result<()> {
    if amount == 0 {
        return Ok(());
    }
    let bump = [reserve.bump];
    let signer_seeds: &[&[u8]] = &[
        seeds::RESERVE,
        reserve.market.as_ref(),
        reserve.mint.as_ref(),
        &bump,
    ];
    let signers = [signer_seeds];
    let accounts = TransferChecked {
        from: vault.clone(),
        mint: mint.clone(),
        to: to.clone(),
        authority: reserve_account.clone(),
    };
    transfer_checked(
        CpiContext::new_with_signer(*token_program.key, accounts, &signers),
        amount,
        reserve.decimals,
    )
}
