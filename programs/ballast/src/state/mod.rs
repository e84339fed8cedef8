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
/// Every defined pause flag. Repay has none: it can never be paused.
pub const PAUSE_ALL: u8 = PAUSE_DEPOSIT | PAUSE_WITHDRAW | PAUSE_BORROW | PAUSE_LIQUIDATE;
