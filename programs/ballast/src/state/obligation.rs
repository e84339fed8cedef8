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
    /// Whether the reserve is isolated collateral (copied when the slot opens: a reserve's
    /// isolation cannot change while it has supply).
    pub isolated: bool,
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
    /// The part of the obligation's isolated-debt record this borrow carries (USD WAD, valued
    /// when borrowed): counted against `Obligation::isolated_collateral`'s debt ceiling and
    /// released in proportion as the borrow is repaid, liquidated or written off.
    pub isolated_debt: u128,
}

/// Isolated debt an obligation change released: to be subtracted from `reserve`'s
/// `isolated_debt` in the same instruction (`Reserve::release_isolated_debt`), so the reserve's
/// counter stays the exact sum of its obligations' records.
#[must_use = "the release must be applied to the isolated reserve"]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IsolatedRelease {
    /// The isolated reserve whose counter holds the record (default when nothing is released).
    pub reserve: Pubkey,
    /// USD WAD released.
    pub value: u128,
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
    /// Efficiency-mode category (1 ..= `EMODE_CATEGORIES`), 0 = none: the obligation borrows
    /// only reserves of the category and values its collateral of the category with the
    /// category's parameters.
    pub emode_category: u8,
    /// The isolated reserve among the enabled collateral (default = none). While set, no other
    /// collateral is enabled, only reserves borrowable in isolation are borrowed, and the debt
    /// borrowed is recorded against its ceiling (`ObligationBorrow::isolated_debt`).
    pub isolated_collateral: Pubkey,
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

    /// Adds `shares` to the deposit in `reserve` (`isolated`: whether the reserve is isolated
    /// collateral), opening a slot if needed. A reserve is either an asset or a debt of one
    /// obligation, never both (`SameReserveDepositAndBorrow`). A new slot starts with collateral
    /// enabled only when that changes no risk and breaks no isolation rule: not while the
    /// obligation owes anything (a deposit reads no price, so it must not add a position that a
    /// liquidation then needs priced; enabling it reads a strict price, see `set_collateral`),
    /// not beside an enabled isolated collateral, and not as an isolated collateral beside any
    /// other enabled collateral. Otherwise the slot opens disabled: nothing is refused.
    pub fn add_shares(&mut self, reserve: Pubkey, shares: u128, isolated: bool) -> Result<()> {
        require!(
            self.borrow(&reserve).is_none(),
            BallastError::SameReserveDepositAndBorrow
        );
        if let Some(slot) = self.deposits.iter_mut().find(|d| d.reserve == reserve) {
            slot.shares = slot
                .shares
                .checked_add(shares)
                .ok_or(BallastError::MathOverflow)?;
            return Ok(());
        }
        let collateral_enabled = !self.has_debt() && self.may_enable(isolated);
        let slot = self
            .deposits
            .iter_mut()
            .find(|d| d.reserve == Pubkey::default())
            .ok_or(BallastError::DepositSlotsFull)?;
        *slot = ObligationDeposit {
            reserve,
            shares,
            collateral_enabled,
            isolated,
        };
        if collateral_enabled && isolated {
            self.isolated_collateral = reserve;
        }
        Ok(())
    }

    /// Whether a deposit not yet enabled may become collateral under the isolation rule: no
    /// enabled isolated collateral, and, for an isolated reserve, no enabled collateral at all.
    pub fn may_enable(&self, isolated: bool) -> bool {
        self.isolated_collateral == Pubkey::default()
            && !(isolated && self.active_deposits().any(|d| d.collateral_enabled))
    }

    /// Enables or disables the deposit in `reserve` as collateral. Enabling that would break
    /// the isolation rule is refused (`IsolatedCollateralMustBeAlone`); disabling the isolated
    /// collateral ends isolation and releases the obligation's whole record.
    pub fn set_collateral(&mut self, reserve: &Pubkey, enabled: bool) -> Result<IsolatedRelease> {
        let slot = self
            .deposits
            .iter()
            .position(|d| d.reserve == *reserve && *reserve != Pubkey::default())
            .ok_or(BallastError::NoDepositInReserve)?;
        if enabled == self.deposits[slot].collateral_enabled {
            return Ok(IsolatedRelease::default());
        }
        let isolated = self.deposits[slot].isolated;
        if enabled {
            require!(
                self.may_enable(isolated),
                BallastError::IsolatedCollateralMustBeAlone
            );
            if isolated {
                self.isolated_collateral = *reserve;
            }
        }
        self.deposits[slot].collateral_enabled = enabled;
        Ok(self.leave_isolation_if_gone())
    }

    /// Ends isolation when the isolated collateral is no longer enabled (disabled, withdrawn,
    /// seized or written off): the debt is no longer backed by it, so the whole record is
    /// released from its ceiling.
    fn leave_isolation_if_gone(&mut self) -> IsolatedRelease {
        let reserve = self.isolated_collateral;
        if reserve == Pubkey::default()
            || self
                .deposit(&reserve)
                .is_some_and(|deposit| deposit.collateral_enabled)
        {
            return IsolatedRelease::default();
        }
        self.isolated_collateral = Pubkey::default();
        let mut value = 0u128;
        for borrow in self.borrows.iter_mut() {
            value = value.saturating_add(borrow.isolated_debt);
            borrow.isolated_debt = 0;
        }
        IsolatedRelease { reserve, value }
    }

    /// The obligation's isolated-debt record: Σ of its borrows' `isolated_debt`.
    pub fn isolated_debt(&self) -> u128 {
        self.borrows
            .iter()
            .fold(0u128, |sum, b| sum.saturating_add(b.isolated_debt))
    }

    /// Removes `shares` from the deposit in `reserve`, closing the slot when it empties (and
    /// ending isolation if it was the isolated collateral).
    pub fn remove_shares(&mut self, reserve: &Pubkey, shares: u128) -> Result<IsolatedRelease> {
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
        Ok(self.leave_isolation_if_gone())
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
            isolated_debt: 0,
        };
        Ok(())
    }

    /// Adds `value` (USD WAD) to the isolated-debt record of the borrow in `reserve`; the
    /// caller adds the same to the isolated collateral's `isolated_debt`.
    pub fn record_isolated_debt(&mut self, reserve: &Pubkey, value: u128) -> Result<()> {
        let slot = self
            .borrows
            .iter_mut()
            .find(|b| b.reserve == *reserve && *reserve != Pubkey::default())
            .ok_or(BallastError::NoBorrowInReserve)?;
        slot.isolated_debt = slot
            .isolated_debt
            .checked_add(value)
            .ok_or(BallastError::MathOverflow)?;
        Ok(())
    }

    /// Removes `scaled_debt` from the borrow in `reserve`, closing the slot when it empties.
    /// The borrow's isolated-debt record shrinks in proportion, rounded down (the ceiling stays
    /// counted, the protocol's side), and all of it goes when the borrow closes.
    pub fn remove_debt(&mut self, reserve: &Pubkey, scaled_debt: u128) -> Result<IsolatedRelease> {
        let position = self
            .borrows
            .iter()
            .position(|b| b.reserve == *reserve)
            .ok_or(BallastError::NoBorrowInReserve)?;
        let slot = &mut self.borrows[position];
        let remaining = slot
            .scaled_debt
            .checked_sub(scaled_debt)
            .ok_or(BallastError::MathOverflow)?;
        let released = if remaining == 0 {
            slot.isolated_debt
        } else {
            crate::math::fixed::mul_div_floor(slot.isolated_debt, scaled_debt, slot.scaled_debt)
                .map_err(|_| error!(BallastError::MathOverflow))?
        };
        slot.scaled_debt = remaining;
        slot.isolated_debt -= released;
        if remaining == 0 {
            close_slot(&mut self.borrows, position);
        }
        if released == 0 {
            return Ok(IsolatedRelease::default());
        }
        Ok(IsolatedRelease {
            reserve: self.isolated_collateral,
            value: released,
        })
    }
}

/// Empties slot `position` and shifts later slots down so used slots stay first, in order.
fn close_slot<T: Default + Copy>(slots: &mut [T], position: usize) {
    slots[position..].rotate_left(1);
    if let Some(last) = slots.last_mut() {
        *last = T::default();
    }
}
