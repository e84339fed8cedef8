//! Checked fixed-point primitives on `u128` with a 256-bit intermediate.

use super::{MathError, MathResult};
use ethnum::U256;

fn narrow(value: U256) -> MathResult<u128> {
    u128::try_from(value).map_err(|_| MathError::Overflow)
}

/// `a * b / c`, rounded down.
pub fn mul_div_floor(a: u128, b: u128, c: u128) -> MathResult<u128> {
    if c == 0 {
        return Err(MathError::DivisionByZero);
    }
    narrow(U256::from(a) * U256::from(b) / U256::from(c))
}

/// `a * b / c`, rounded up.
pub fn mul_div_ceil(a: u128, b: u128, c: u128) -> MathResult<u128> {
    if c == 0 {
        return Err(MathError::DivisionByZero);
    }
    let product = U256::from(a) * U256::from(b);
    let divisor = U256::from(c);
    let quotient = product / divisor;
    let rounded = if product % divisor == U256::ZERO {
        quotient
    } else {
        quotient + U256::ONE
    };
    narrow(rounded)
}

/// `a / b`, rounded up.
pub fn div_ceil(a: u128, b: u128) -> MathResult<u128> {
    if b == 0 {
        return Err(MathError::DivisionByZero);
    }
    Ok(a.div_ceil(b))
}

/// Checked addition.
pub fn add(a: u128, b: u128) -> MathResult<u128> {
    a.checked_add(b).ok_or(MathError::Overflow)
}

/// Checked subtraction; underflow is reported as an overflow.
pub fn sub(a: u128, b: u128) -> MathResult<u128> {
    a.checked_sub(b).ok_or(MathError::Overflow)
}

/// Narrows a token amount to `u64`.
pub fn to_u64(value: u128) -> MathResult<u64> {
    u64::try_from(value).map_err(|_| MathError::Overflow)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_directions_differ_only_on_a_remainder() {
        assert_eq!(mul_div_floor(10, 10, 3), Ok(33));
        assert_eq!(mul_div_ceil(10, 10, 3), Ok(34));
        assert_eq!(mul_div_floor(10, 3, 3), Ok(10));
        assert_eq!(mul_div_ceil(10, 3, 3), Ok(10));
    }

    #[test]
    fn a_wide_product_is_carried_through_256_bits() {
        assert_eq!(
            mul_div_floor(u128::MAX, u128::MAX, u128::MAX),
            Ok(u128::MAX)
        );
        assert_eq!(mul_div_floor(u128::MAX, 2, 1), Err(MathError::Overflow));
        assert_eq!(mul_div_ceil(1, 1, 0), Err(MathError::DivisionByZero));
    }
}
