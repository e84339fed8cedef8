//! Account types, one file each, and the seeds that address them.

pub mod market;
pub mod obligation;
pub mod reserve;
pub mod seeds;

pub use market::*;
pub use obligation::*;
pub use reserve::*;

/// Pause flag: deposits.
pub const PAUSE_DEPOSIT: u8 = 1;
/// Pause flag: withdrawals.
pub const PAUSE_WITHDRAW: u8 = 1 << 1;
/// Pause flag: borrows.
pub const PAUSE_BORROW: u8 = 1 << 2;
/// Pause flag: liquidations (and bad-debt realization).
pub const PAUSE_LIQUIDATE: u8 = 1 << 3;
/// Pause flag: flash loans (`flash_borrow`; a loan already open can always be repaid).
pub const PAUSE_FLASH_LOAN: u8 = 1 << 4;
/// Every defined pause flag. Repay has none: it can never be paused.
pub const PAUSE_ALL: u8 =
    PAUSE_DEPOSIT | PAUSE_WITHDRAW | PAUSE_BORROW | PAUSE_LIQUIDATE | PAUSE_FLASH_LOAN;

#[cfg(test)]
mod tests {
    use super::*;
    use anchor_lang::Space;

    /// Account sizes are part of the protocol's cost (rent, bytes per transaction read): a change
    /// must be deliberate. Sizes include the 8-byte discriminator.
    #[test]
    fn account_sizes_are_what_the_docs_say() {
        let sizes = [
            ("Market", 8 + Market::INIT_SPACE),
            ("Reserve", 8 + Reserve::INIT_SPACE),
            ("Obligation", 8 + Obligation::INIT_SPACE),
        ];
        println!("{sizes:?}");
        assert_eq!(
            sizes,
            [("Market", 384), ("Reserve", 645), ("Obligation", 581)]
        );
    }
}
