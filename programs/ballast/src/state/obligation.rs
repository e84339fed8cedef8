use anchor_lang::prelude::*;

use crate::errors::BallastError;

/// Deposit slots per obligation.
pub const MAX_DEPOSITS: usize = 5;
/// Borrow slots per obligation.
pub const MAX_BORROWS: usize = 3;
/// Distinct reserves one obligation can touch: each needs a reserve and an oracle account in a
/// health check, which bounds the slots so that the fullest obligation still liquidates (with
/// bad-debt realization over all its borrows) in one legacy transaction.
pub const MAX_POSITIONS: usize = MAX_DEPOSITS + MAX_BORROWS;

/// One supply position.
#[derive(
    AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace,
)]
pub struct ObligationDeposit {
    /// Reserve deposited into; default = empty slot.
    pub reserve: Pubkey,
    /// Supply shares held.
    pub shares: u128,
    /// Whether the position counts as collateral.
    pub collateral_enabled: bool,
}

/// One borrow position.
#[derive(
    AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace,
)]
pub struct ObligationBorrow {
    /// Reserve borrowed from; default = empty slot.
    pub reserve: Pubkey,
    /// Debt scaled by the reserve's borrow index.
    pub scaled_debt: u128,
}

/// A user's positions in one market. Slots are kept compact: used slots first, in the order
/// they were opened.
#[account]
#[derive(InitSpace, Debug)]
pub struct Obligation {
    /// The market.
    pub market: Pubkey,
    /// The owner: the only signer for withdraw, borrow and collateral changes.
    pub owner: Pubkey,
    /// Lets one wallet hold several obligations (part of the address).
    pub index: u8,
    /// PDA bump.
    pub bump: u8,
    /// Supply positions.
    pub deposits: [ObligationDeposit; MAX_DEPOSITS],
    /// Borrow positions.
    pub borrows: [ObligationBorrow; MAX_BORROWS],
    /// Room to grow without a migration.
    pub reserved: [u8; 32],
}

impl Obligation {
    /// Used deposit slots.
    pub fn active_deposits(&self) -> impl Iterator<Item = &ObligationDeposit> {
        self.deposits
            .iter()
            .filter(|d| d.reserve != Pubkey::default())
    }

    /// Used borrow slots.
    pub fn active_borrows(&self) -> impl Iterator<Item = &ObligationBorrow> {
        self.borrows
            .iter()
            .filter(|b| b.reserve != Pubkey::default())
    }

    /// Whether any debt remains.
    pub fn has_debt(&self) -> bool {
        self.active_borrows().next().is_some()
    }

    /// Whether every slot is empty.
    pub fn is_empty(&self) -> bool {
        !self.has_debt() && self.active_deposits().next().is_none()
    }

    /// The reserves a health check needs, in canonical order: deposits in slot order, then
    /// borrows in slot order, each reserve once.
    pub fn position_reserves(&self) -> Vec<Pubkey> {
        let mut reserves: Vec<Pubkey> = Vec::with_capacity(MAX_POSITIONS);
        for key in self
            .active_deposits()
            .map(|d| d.reserve)
            .chain(self.active_borrows().map(|b| b.reserve))
        {
            if !reserves.contains(&key) {
                reserves.push(key);
            }
        }
        reserves
    }

    /// The deposit in `reserve`, if any.
    pub fn deposit(&self, reserve: &Pubkey) -> Option<&ObligationDeposit> {
        self.active_deposits().find(|d| d.reserve == *reserve)
    }

    /// The borrow in `reserve`, if any.
    pub fn borrow(&self, reserve: &Pubkey) -> Option<&ObligationBorrow> {
        self.active_borrows().find(|b| b.reserve == *reserve)
    }

    /// Adds `shares` to the deposit in `reserve`, opening a slot if needed. A reserve is either
    /// an asset or a debt of one obligation, never both (`SameReserveDepositAndBorrow`). A slot
    /// opened while the obligation owes anything starts with collateral disabled: a deposit
    /// reads no price, so it must not add a position that a liquidation then needs priced
    /// (enabling it reads a strict price, see `set_collateral`).
    pub fn add_shares(&mut self, reserve: Pubkey, shares: u128) -> Result<()> {
        require!(
            self.borrow(&reserve).is_none(),
            BallastError::SameReserveDepositAndBorrow
        );
        let collateral_enabled = !self.has_debt();
        if let Some(slot) = self.deposits.iter_mut().find(|d| d.reserve == reserve) {
            slot.shares = slot
                .shares
                .checked_add(shares)
                .ok_or(BallastError::MathOverflow)?;
            return Ok(());
        }
        let slot = self
            .deposits
            .iter_mut()
            .find(|d| d.reserve == Pubkey::default())
            .ok_or(BallastError::DepositSlotsFull)?;
        *slot = ObligationDeposit {
            reserve,
            shares,
            collateral_enabled,
        };
        Ok(())
    }

    /// Removes `shares` from the deposit in `reserve`, closing the slot when it empties.
    pub fn remove_shares(&mut self, reserve: &Pubkey, shares: u128) -> Result<()> {
        let position = self
            .deposits
            .iter()
            .position(|d| d.reserve == *reserve)
            .ok_or(BallastError::NoDepositInReserve)?;
        let slot = &mut self.deposits[position];
        slot.shares = slot
            .shares
            .checked_sub(shares)
            .ok_or(BallastError::WithdrawExceedsDeposit)?;
        if slot.shares == 0 {
            close_slot(&mut self.deposits, position);
        }
        Ok(())
    }

    /// Adds `scaled_debt` to the borrow in `reserve`, opening a slot if needed; refused while
    /// the obligation holds a deposit in `reserve` (`SameReserveDepositAndBorrow`).
    pub fn add_debt(&mut self, reserve: Pubkey, scaled_debt: u128) -> Result<()> {
        require!(
            self.deposit(&reserve).is_none(),
            BallastError::SameReserveDepositAndBorrow
        );
        if let Some(slot) = self.borrows.iter_mut().find(|b| b.reserve == reserve) {
            slot.scaled_debt = slot
                .scaled_debt
                .checked_add(scaled_debt)
                .ok_or(BallastError::MathOverflow)?;
            return Ok(());
        }
        let slot = self
            .borrows
            .iter_mut()
            .find(|b| b.reserve == Pubkey::default())
            .ok_or(BallastError::BorrowSlotsFull)?;
        *slot = ObligationBorrow {
            reserve,
            scaled_debt,
        };
        Ok(())
    }

    /// Removes `scaled_debt` from the borrow in `reserve`, closing the slot when it empties.
    pub fn remove_debt(&mut self, reserve: &Pubkey, scaled_debt: u128) -> Result<()> {
        let position = self
            .borrows
            .iter()
            .position(|b| b.reserve == *reserve)
            .ok_or(BallastError::NoBorrowInReserve)?;
        let slot = &mut self.borrows[position];
        slot.scaled_debt = slot
            .scaled_debt
            .checked_sub(scaled_debt)
            .ok_or(BallastError::MathOverflow)?;
        if slot.scaled_debt == 0 {
            close_slot(&mut self.borrows, position);
        }
        Ok(())
    }
}

/// Empties slot `position` and shifts later slots down so used slots stay first, in order.
fn close_slot<T: Default + Copy>(slots: &mut [T], position: usize) {
    slots[position..].rotate_left(1);
    if let Some(last) = slots.last_mut() {
        *last = T::default();
    }
}
