//! Oracle prices and the USD value (WAD) of token amounts.

use super::fixed::{mul_div_ceil, mul_div_floor};
use super::{MathError, MathResult};
use ethnum::U256;

/// A positive price of one whole token in USD: `mantissa × 10^expo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Price {
    /// Price mantissa (strictly positive once validated).
    pub mantissa: u64,
    /// Decimal exponent of the mantissa.
    pub expo: i32,
}

/// Exponent applied to `amount × mantissa` to reach a WAD value: `expo + 18 − decimals`.
fn value_exponent(decimals: u8, price: Price) -> i32 {
    price.expo + 18 - i32::from(decimals)
}

fn pow10(exponent: u32) -> MathResult<u128> {
    10u128.checked_pow(exponent).ok_or(MathError::Overflow)
}

fn value(amount: u128, decimals: u8, price: Price, round_up: bool) -> MathResult<u128> {
    let exponent = value_exponent(decimals, price);
    let mantissa = u128::from(price.mantissa);
    if exponent >= 0 {
        // Checked: amount × mantissa × 10^e can exceed even 256 bits for a u128 amount.
        let product = U256::from(amount)
            .checked_mul(U256::from(mantissa))
            .and_then(|p| p.checked_mul(U256::from(pow10(exponent.unsigned_abs()).ok()?)))
            .ok_or(MathError::Overflow)?;
        return u128::try_from(product).map_err(|_| MathError::Overflow);
    }
    let divisor = pow10(exponent.unsigned_abs())?;
    if round_up {
        mul_div_ceil(amount, mantissa, divisor)
    } else {
        mul_div_floor(amount, mantissa, divisor)
    }
}

/// USD value (WAD) of `amount` base units, rounded down: used for collateral.
pub fn value_wad_floor(amount: u128, decimals: u8, price: Price) -> MathResult<u128> {
    value(amount, decimals, price, false)
}

/// USD value (WAD) of `amount` base units, rounded up: used for debt.
pub fn value_wad_ceil(amount: u128, decimals: u8, price: Price) -> MathResult<u128> {
    value(amount, decimals, price, true)
}

fn tokens(value_wad: u128, decimals: u8, price: Price, round_up: bool) -> MathResult<u128> {
    if price.mantissa == 0 {
        return Err(MathError::DivisionByZero);
    }
    let exponent = value_exponent(decimals, price);
    let mantissa = u128::from(price.mantissa);
    if exponent >= 0 {
        // The value of one base unit may exceed u128 (the quotient is then 0 or 1): divide
        // in 256 bits rather than report an overflow for a result that fits.
        let unit_value = U256::from(mantissa) * U256::from(pow10(exponent.unsigned_abs())?);
        let value = U256::from(value_wad);
        let quotient = value / unit_value;
        let rounded = if round_up && value % unit_value != U256::ZERO {
            quotient + U256::ONE
        } else {
            quotient
        };
        return u128::try_from(rounded).map_err(|_| MathError::Overflow);
    }
    let (numerator_scale, denominator) = (pow10(exponent.unsigned_abs())?, mantissa);
    if round_up {
        mul_div_ceil(value_wad, numerator_scale, denominator)
    } else {
        mul_div_floor(value_wad, numerator_scale, denominator)
    }
}

/// Base units worth `value_wad` at `price`, rounded down: what the protocol pays out.
pub fn tokens_for_value_floor(value_wad: u128, decimals: u8, price: Price) -> MathResult<u128> {
    tokens(value_wad, decimals, price, false)
}

/// Base units worth `value_wad` at `price`, rounded up: what the protocol is paid.
pub fn tokens_for_value_ceil(value_wad: u128, decimals: u8, price: Price) -> MathResult<u128> {
    tokens(value_wad, decimals, price, true)
}

/// `price` as an integer at exponent `expo` (≤ `price.expo`), exact in 256 bits for any
/// validated exponents (−18 ..= 6: a shift of at most 24 digits); saturates beyond.
fn at_exponent(price: Price, expo: i32) -> U256 {
    let shift = price.expo.saturating_sub(expo).clamp(0, 48).unsigned_abs();
    U256::from(price.mantissa) * U256::from(10u8).pow(shift)
}

/// Orders two prices by the value they state, whatever their exponents (exact).
pub fn compare(a: Price, b: Price) -> core::cmp::Ordering {
    let expo = a.expo.min(b.expo);
    at_exponent(a, expo).cmp(&at_exponent(b, expo))
}

/// The lower of two prices (by value).
pub fn min_price(a: Price, b: Price) -> Price {
    if compare(a, b).is_le() {
        a
    } else {
        b
    }
}

/// The higher of two prices (by value).
pub fn max_price(a: Price, b: Price) -> Price {
    if compare(a, b).is_ge() {
        a
    } else {
        b
    }
}

/// Whether two prices agree within `max_deviation_bps` of the lower one:
/// `|a − b| × 10 000 ≤ max_deviation_bps × min(a, b)`, exactly (no rounding).
pub fn within_deviation(a: Price, b: Price, max_deviation_bps: u16) -> bool {
    let expo = a.expo.min(b.expo);
    let (a, b) = (at_exponent(a, expo), at_exponent(b, expo));
    let (low, high) = if a <= b { (a, b) } else { (b, a) };
    // At most 2^64 × 10^48 × 10^4 < 2^240: no overflow.
    (high - low) * U256::from(super::BPS) <= U256::from(max_deviation_bps) * low
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::WAD;

    #[test]
    fn one_bitcoin_at_sixty_thousand_is_sixty_thousand_dollars() {
        let price = Price {
            mantissa: 6_000_000_000_000,
            expo: -8,
        };
        assert_eq!(value_wad_floor(100_000_000, 8, price), Ok(60_000 * WAD));
        assert_eq!(
            tokens_for_value_floor(60_000 * WAD, 8, price),
            Ok(100_000_000)
        );
    }

    #[test]
    fn extreme_inputs_are_errors_or_exact_never_panics() {
        // Regression (math_props): a u128 amount at a large price overflowed the 256-bit product
        // and panicked; it is now a clean overflow.
        let price = Price {
            mantissa: u64::MAX,
            expo: 2,
        };
        assert_eq!(
            value_wad_floor(u128::MAX, 0, price),
            Err(MathError::Overflow)
        );
        // Regression (math_props): one base unit worth more than u128::MAX WAD made every
        // conversion an overflow, although the answer (0, or 1 rounded up) fits.
        let price = Price {
            mantissa: 3_402_823_669_209_384_635,
            expo: 2,
        };
        assert_eq!(tokens_for_value_floor(0, 0, price), Ok(0));
        assert_eq!(tokens_for_value_floor(u128::MAX, 0, price), Ok(0));
        assert_eq!(tokens_for_value_ceil(u128::MAX, 0, price), Ok(1));
    }

    #[test]
    fn a_fraction_rounds_down_for_collateral_and_up_for_debt() {
        let price = Price {
            mantissa: 1,
            expo: -1,
        }; // $0.10 per whole token, 0 decimals
        assert_eq!(value_wad_floor(1, 0, price), Ok(WAD / 10));
        let price = Price {
            mantissa: 3,
            expo: -19,
        }; // sub-wad value per unit
        assert_eq!(value_wad_floor(1, 0, price), Ok(0));
        assert_eq!(value_wad_ceil(1, 0, price), Ok(1));
    }

    #[test]
    fn prices_compare_and_deviate_across_exponents_exactly() {
        let pyth = Price {
            mantissa: 15_000_000_000,
            expo: -8,
        }; // $150
        let switchboard = Price {
            mantissa: 151_500_000_000_000_000,
            expo: -15,
        }; // $151.5
        assert_eq!(compare(pyth, switchboard), core::cmp::Ordering::Less);
        assert_eq!(min_price(switchboard, pyth), pyth);
        assert_eq!(max_price(pyth, switchboard), switchboard);
        // 1.5 / 150 = 100 bps exactly: agrees at 100, not at 99.
        assert!(within_deviation(pyth, switchboard, 100));
        assert!(within_deviation(switchboard, pyth, 100));
        assert!(!within_deviation(pyth, switchboard, 99));
        let same = Price {
            mantissa: 150,
            expo: 0,
        };
        assert_eq!(compare(pyth, same), core::cmp::Ordering::Equal);
        assert!(within_deviation(pyth, same, 0));
        // Extreme exponents saturate instead of panicking.
        let huge = Price {
            mantissa: u64::MAX,
            expo: i32::MAX,
        };
        let tiny = Price {
            mantissa: 1,
            expo: i32::MIN,
        };
        assert_eq!(compare(tiny, huge), core::cmp::Ordering::Less);
        assert!(!within_deviation(tiny, huge, u16::MAX));
    }
}
