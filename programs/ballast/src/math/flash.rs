//! Flash-loan fees: what a borrower repays on top of the principal, and how it is split.

use super::fixed::{mul_div_ceil, to_u64};
use super::{MathResult, BPS};

/// The fee on a flash loan of `amount` at `fee_bps`, rounded up (owed to the protocol).
pub fn flash_fee_ceil(amount: u64, fee_bps: u16) -> MathResult<u64> {
    to_u64(mul_div_ceil(
        u128::from(amount),
        u128::from(fee_bps),
        u128::from(BPS),
    )?)
}

/// How a flash-loan fee is booked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlashFeeSplit {
    /// Tokens owed to the reserve's bad-debt fund.
    pub to_fund: u64,
    /// Tokens owed to protocol fees.
    pub to_protocol: u64,
}

/// Splits `fee` between the fund and protocol fees in the proportion of the insurance and
/// reserve factors, the fund's part rounded up (both parts are the protocol's; the fund is what
/// protects depositors). With both factors zero, the whole fee goes to the fund.
pub fn split_flash_fee(
    fee: u64,
    reserve_factor_bps: u16,
    insurance_factor_bps: u16,
) -> MathResult<FlashFeeSplit> {
    let total = u128::from(reserve_factor_bps) + u128::from(insurance_factor_bps);
    if total == 0 {
        return Ok(FlashFeeSplit {
            to_fund: fee,
            to_protocol: 0,
        });
    }
    let to_fund = to_u64(mul_div_ceil(
        u128::from(fee),
        u128::from(insurance_factor_bps),
        total,
    )?)?;
    Ok(FlashFeeSplit {
        to_fund,
        to_protocol: fee - to_fund,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fees_round_up_and_split_exactly() {
        assert_eq!(flash_fee_ceil(1_000_000, 9), Ok(900));
        assert_eq!(flash_fee_ceil(1, 9), Ok(1));
        assert_eq!(flash_fee_ceil(1_000, 0), Ok(0));
        assert_eq!(flash_fee_ceil(u64::MAX, 100), Ok(184_467_440_737_095_517));
        // Insurance 5 %, reserve factor 10 %: the fund takes a third, rounded up.
        assert_eq!(
            split_flash_fee(900, 1_000, 500),
            Ok(FlashFeeSplit {
                to_fund: 300,
                to_protocol: 600
            })
        );
        assert_eq!(
            split_flash_fee(1, 1_000, 500),
            Ok(FlashFeeSplit {
                to_fund: 1,
                to_protocol: 0
            })
        );
        assert_eq!(
            split_flash_fee(7, 0, 0),
            Ok(FlashFeeSplit {
                to_fund: 7,
                to_protocol: 0
            })
        );
        assert_eq!(
            split_flash_fee(7, 1_000, 0),
            Ok(FlashFeeSplit {
                to_fund: 0,
                to_protocol: 7
            })
        );
    }
}
