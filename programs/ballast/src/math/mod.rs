//! Pure money math: no accounts, no Anchor types. The program and the keeper both call it.
//!
//! Every function that converts between units says its rounding direction in its name
//! (`_floor` rounds toward zero, `_ceil` away from it). The rule: what is owed to the
//! protocol rounds up, what is paid out rounds down.

pub mod fixed;
pub mod flash;
pub mod health;
pub mod interest;
pub mod liquidation;
pub mod shares;
pub mod value;

/// 1.0 in 18-decimal fixed point: indices, rates, prices in USD and health factors.
pub const WAD: u128 = 1_000_000_000_000_000_000;
/// 1.0 in basis points: every configured ratio.
pub const BPS: u64 = 10_000;
/// Seconds in a (365-day) year: annual rates are divided by this.
pub const SECONDS_PER_YEAR: u64 = 31_536_000;
/// Shares added to the real supply in every share conversion (see `shares`).
pub const VIRTUAL_SHARES: u128 = 1_000_000;
/// Token units added to the real supply assets in every share conversion.
pub const VIRTUAL_ASSETS: u128 = 1;

/// A failure of pure arithmetic; the program maps it to a named error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MathError {
    /// A result does not fit its type.
    Overflow,
    /// A division by zero was requested.
    DivisionByZero,
}

/// Result of a pure math function.
pub type MathResult<T> = Result<T, MathError>;

/// Converts basis points to a WAD fraction.
pub fn bps_to_wad(bps: u64) -> u128 {
    u128::from(bps) * (WAD / u128::from(BPS))
}
