//! Supply shares with virtual offsets, and scaled debt against the borrow index.
//!
//! Share price = `(assets + VIRTUAL_ASSETS) / (shares + VIRTUAL_SHARES)`. The virtual terms
//! make the first depositor unable to inflate the price, and because assets are the reserve's
//! internal accounting (never a vault balance), a token donation changes nothing.

use super::fixed::{mul_div_ceil, mul_div_floor};
use super::{MathResult, VIRTUAL_ASSETS, VIRTUAL_SHARES, WAD};

fn virtual_assets_wad(assets_wad: u128) -> MathResult<u128> {
    super::fixed::add(assets_wad, VIRTUAL_ASSETS * WAD)
}

fn virtual_shares(total_shares: u128) -> MathResult<u128> {
    super::fixed::add(total_shares, VIRTUAL_SHARES)
}

/// Shares minted for depositing `amount` tokens, rounded down.
pub fn shares_for_deposit_floor(
    amount: u64,
    assets_wad: u128,
    total_shares: u128,
) -> MathResult<u128> {
    mul_div_floor(
        u128::from(amount) * WAD,
        virtual_shares(total_shares)?,
        virtual_assets_wad(assets_wad)?,
    )
}

/// Shares burned to withdraw (or seize) exactly `amount` tokens, rounded up.
pub fn shares_for_withdrawal_ceil(
    amount: u128,
    assets_wad: u128,
    total_shares: u128,
) -> MathResult<u128> {
    mul_div_ceil(
        amount.checked_mul(WAD).ok_or(super::MathError::Overflow)?,
        virtual_shares(total_shares)?,
        virtual_assets_wad(assets_wad)?,
    )
}

/// Value of `shares` in token units × WAD, rounded down.
pub fn assets_wad_for_shares_floor(
    shares: u128,
    assets_wad: u128,
    total_shares: u128,
) -> MathResult<u128> {
    mul_div_floor(
        shares,
        virtual_assets_wad(assets_wad)?,
        virtual_shares(total_shares)?,
    )
}

/// Whole tokens `shares` are worth, rounded down, never narrowed to `u64`: after years of
/// interest a deposit can be worth more than any balance counts, and must still be valued.
pub fn tokens_for_shares_floor(
    shares: u128,
    assets_wad: u128,
    total_shares: u128,
) -> MathResult<u128> {
    Ok(assets_wad_for_shares_floor(shares, assets_wad, total_shares)? / WAD)
}

/// Value of one share in token units × WAD (rounded down): what depositors watch.
pub fn share_value_wad_floor(assets_wad: u128, total_shares: u128) -> MathResult<u128> {
    assets_wad_for_shares_floor(1, assets_wad, total_shares)
}

/// Debt in token units × WAD for `scaled_debt` at `index_wad`, rounded down (the reserve's
/// own books: never more than borrowers owe in total).
pub fn debt_wad_floor(scaled_debt: u128, index_wad: u128) -> MathResult<u128> {
    mul_div_floor(scaled_debt, index_wad, WAD)
}

/// Whole tokens a borrower owes for `scaled_debt` at `index_wad`, rounded up, never narrowed to
/// `u64`: a debt left to compound for years can exceed what one transfer can move, and must
/// still be valued, partially repaid, liquidated and written off.
pub fn debt_units_ceil(scaled_debt: u128, index_wad: u128) -> MathResult<u128> {
    mul_div_ceil(scaled_debt, index_wad, WAD * WAD)
}

/// Scaled debt added for borrowing `amount` tokens, rounded up.
pub fn scaled_debt_for_borrow_ceil(amount: u64, index_wad: u128) -> MathResult<u128> {
    mul_div_ceil(u128::from(amount) * WAD, WAD, index_wad)
}

/// Scaled debt removed by repaying `amount` tokens (less than the whole debt), rounded down.
pub fn scaled_debt_for_repay_floor(amount: u64, index_wad: u128) -> MathResult<u128> {
    mul_div_floor(u128::from(amount) * WAD, WAD, index_wad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_deposit_mints_a_million_shares_per_unit() {
        assert_eq!(shares_for_deposit_floor(5, 0, 0), Ok(5_000_000));
    }

    #[test]
    fn a_deposit_redeemed_at_once_returns_at_most_what_went_in() {
        let (assets, shares) = (1_000_003 * WAD + 7, 999_999_000_000u128);
        let minted = shares_for_deposit_floor(12_345, assets, shares).unwrap();
        let back = tokens_for_shares_floor(minted, assets + 12_345 * WAD, shares + minted).unwrap();
        assert!(back <= 12_345);
    }

    #[test]
    fn a_loan_owes_itself_at_a_round_index_and_at_most_one_unit_more_otherwise() {
        let scaled = scaled_debt_for_borrow_ceil(1_000, WAD).unwrap();
        assert_eq!(debt_units_ceil(scaled, WAD), Ok(1_000));
        let index = WAD + WAD / 3;
        let scaled = scaled_debt_for_borrow_ceil(1_000, index).unwrap();
        let owed = debt_units_ceil(scaled, index).unwrap();
        assert!((1_000..=1_001).contains(&owed), "{owed}");
    }
}
