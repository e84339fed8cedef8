//! Liquidation sizing (close factor, bonus, dust rule, fee) and the bad-debt waterfall.

use super::fixed::{add, mul_div_ceil, mul_div_floor, sub, to_u64};
use super::value::{
    tokens_for_value_ceil, tokens_for_value_floor, value_wad_ceil, value_wad_floor, Price,
};
use super::{MathError, BPS, WAD};

/// Why a liquidation cannot be sized.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiquidationError {
    /// Arithmetic failure.
    Math(MathError),
    /// The request would leave the repaid position below the dust value.
    WouldLeaveDust,
    /// Nothing can be repaid (zero request, zero debt, or collateral worth less than one unit).
    NothingToRepay,
    /// Below the buffer the request does not cover closing a position.
    MustClosePosition,
}

impl From<MathError> for LiquidationError {
    fn from(error: MathError) -> Self {
        LiquidationError::Math(error)
    }
}

/// Market-wide liquidation settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiquidationSettings {
    /// Share of the obligation's debt value one liquidation may repay while the close factor applies.
    pub close_factor_bps: u64,
    /// Health factor (WAD) below which the whole debt may be repaid.
    pub full_liquidation_health_wad: u128,
    /// Debt value (USD WAD) at or below which the whole debt may be repaid.
    pub full_liquidation_debt_value: u128,
    /// Smallest debt position value (USD WAD) a partial liquidation may leave behind.
    pub dust_value: u128,
}

/// One side (debt or collateral) of a liquidation, valued at liquidation prices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PositionQuote {
    /// Position size in base units (debt rounded up, collateral rounded down). A debt may
    /// exceed `u64::MAX` after years of interest; only the repayment must fit one transfer.
    pub tokens: u128,
    /// Mint decimals.
    pub decimals: u8,
    /// Liquidation (spot) price.
    pub price: Price,
}

/// Everything the sizing needs about one liquidation request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiquidationRequest {
    /// The obligation's health factor (WAD) under liquidation prices.
    pub health_wad: u128,
    /// The obligation's total debt value (USD WAD).
    pub total_debt_value: u128,
    /// The obligation's total enabled collateral value (USD WAD, unweighted).
    pub total_collateral_value: u128,
    /// The borrow being repaid.
    pub debt: PositionQuote,
    /// The collateral being seized.
    pub collateral: PositionQuote,
    /// Value of one supply share of the collateral reserve (token units × WAD): seizing burns
    /// whole shares, so one share's worth is part of the rounding a partial liquidation allows for.
    pub collateral_share_value_wad: u128,
    /// Liquidation threshold of the seized collateral.
    pub collateral_liquidation_threshold_bps: u64,
    /// Bonus at health 1.
    pub min_bonus_bps: u64,
    /// Bonus ceiling.
    pub max_bonus_bps: u64,
    /// Share of the bonus paid to the seized asset's fund.
    pub protocol_fee_bps: u64,
    /// The liquidator's `max_repay`.
    pub max_repay: u64,
}

/// Which rule sized a liquidation (docs/liquidation.md, "Below the buffer").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiquidationRegime {
    /// The obligation has a buffer over this collateral: seizing it at the bonus raises health,
    /// so a partial liquidation (close factor, dust rule) is allowed and must raise health.
    Buffer,
    /// Below the buffer no bonus at or above the minimum can raise health: the liquidation must
    /// close a position (repay the whole borrow or take the whole collateral position), with no
    /// close factor, so each one makes progress and the last realizes what is left.
    Clearing,
}

/// The sized liquidation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiquidationOutcome {
    /// Debt tokens the liquidator pays (rounded up where recomputed).
    pub repay_tokens: u64,
    /// Collateral tokens taken from the obligation, fee included (rounded down). A whole
    /// position can be worth more than a `u64` counts; it is taken as shares.
    pub seize_tokens: u128,
    /// Part of `seize_tokens` that goes to the fund (rounded up).
    pub fee_tokens: u128,
    /// Bonus applied.
    pub bonus_bps: u64,
    /// Whether the whole collateral position is taken.
    pub takes_all_collateral: bool,
    /// Whether the whole borrow is repaid.
    pub repays_whole_borrow: bool,
    /// The rule that sized it.
    pub regime: LiquidationRegime,
}

impl LiquidationOutcome {
    /// Whether the liquidation closes the repaid borrow or the seized collateral position.
    pub fn closes_a_position(&self) -> bool {
        self.takes_all_collateral || self.repays_whole_borrow
    }
}

/// The bonus curve: `min_bonus + (1 − HF)` (bps, rounded down), at most `max_bonus`.
pub fn bonus_curve_bps(
    health_wad: u128,
    min_bonus_bps: u64,
    max_bonus_bps: u64,
) -> Result<u64, MathError> {
    let deficit_bps = to_u64(mul_div_floor(
        WAD.saturating_sub(health_wad),
        u128::from(BPS),
        WAD,
    )?)?;
    Ok(min_bonus_bps.saturating_add(deficit_bps).min(max_bonus_bps))
}

/// The bonus at which seizing collateral of threshold `lt_bps` leaves health unchanged:
/// `HF / LT − 1` in bps, rounded down; `None` when `HF ≤ LT` (then any seizure lowers health).
pub fn neutral_bonus_bps(health_wad: u128, lt_bps: u64) -> Result<Option<u64>, MathError> {
    let bps = u128::from(BPS);
    let ratio_bps = mul_div_floor(health_wad, bps * bps, WAD * u128::from(lt_bps))?;
    Ok(match ratio_bps.checked_sub(bps) {
        Some(neutral) if neutral > 0 => Some(to_u64(neutral.min(u128::from(u64::MAX)))?),
        _ => None,
    })
}

/// The bonus a partial liquidation repaying `repay_value` pays on this collateral so that
/// health cannot fall, rounding included: the health-neutral bonus less a margin for one share
/// and two base units of collateral, two base units of debt and the rounding of every value
/// (at least 1 bp). `None` when no bonus at or above the minimum fits (below the buffer).
pub fn buffer_bonus_bps(
    request: &LiquidationRequest,
    repay_value: u128,
) -> Result<Option<u64>, MathError> {
    let Some(neutral) = neutral_bonus_bps(
        request.health_wad,
        request.collateral_liquidation_threshold_bps,
    )?
    else {
        return Ok(None);
    };
    if repay_value == 0 {
        return Ok(None);
    }
    let collateral = request.collateral;
    let debt = request.debt;
    // HF < 1, so HF / LT < BPS / LT.
    let ratio = u128::from(BPS.div_ceil(request.collateral_liquidation_threshold_bps.max(1)));
    let share_units = request.collateral_share_value_wad.div_ceil(WAD);
    let collateral_slack = value_wad_ceil(
        share_units.saturating_add(2),
        collateral.decimals,
        collateral.price,
    )?;
    let debt_slack = value_wad_ceil(2, debt.decimals, debt.price)?;
    let slack = ratio
        .saturating_mul(debt_slack.saturating_add(2))
        .saturating_add(collateral_slack.saturating_mul(2))
        .saturating_add(2);
    let margin = mul_div_ceil(slack, u128::from(BPS), repay_value)?;
    let bonus = u128::from(neutral).saturating_sub(margin);
    (bonus >= u128::from(request.min_bonus_bps))
        .then(|| to_u64(bonus))
        .transpose()
}

/// The largest bonus (bps) that the borrower's surplus (collateral value − debt value) can pay
/// when the bonus is paid on at most `base_value`: a liquidation never turns a solvent
/// obligation insolvent, so bonuses come out of the borrower's surplus, never out of depositors.
/// No limit for an insolvent obligation (`surplus` is `None`: the minimum bonus applies).
pub fn surplus_bonus_cap_bps(surplus: Option<u128>, base_value: u128) -> Result<u64, MathError> {
    match surplus {
        Some(surplus) if base_value > 0 => Ok(to_u64(
            mul_div_floor(surplus, u128::from(BPS), base_value)?.min(u128::from(u64::MAX)),
        )?),
        _ => Ok(u64::MAX),
    }
}

/// Largest debt value (USD WAD) one liquidation may repay: the close factor of the total while
/// the obligation is above the full-liquidation health and debt value, all of it otherwise.
pub fn max_repay_value(
    settings: &LiquidationSettings,
    health_wad: u128,
    total_debt_value: u128,
) -> Result<u128, MathError> {
    if health_wad >= settings.full_liquidation_health_wad
        && total_debt_value > settings.full_liquidation_debt_value
    {
        mul_div_floor(
            total_debt_value,
            u128::from(settings.close_factor_bps),
            u128::from(BPS),
        )
    } else {
        Ok(total_debt_value)
    }
}

/// Sizes a liquidation. With a buffer over the seized collateral (`LiquidationRegime::Buffer`):
/// clips the request to the close factor and the position, applies the dust rule to the repaid
/// debt and to the seized collateral, converts at `1 + bonus` with the bonus inside the buffer,
/// and splits off the protocol fee. Below it (`LiquidationRegime::Clearing`): repays the whole
/// borrow, or takes the whole collateral position for its fair price, at the minimum bonus. In
/// both, the bonus never exceeds what the borrower's surplus can pay.
pub fn size_liquidation(
    settings: &LiquidationSettings,
    request: &LiquidationRequest,
) -> Result<LiquidationOutcome, LiquidationError> {
    if request.max_repay == 0 || request.debt.tokens == 0 || request.collateral.tokens == 0 {
        return Err(LiquidationError::NothingToRepay);
    }
    let surplus = request
        .total_collateral_value
        .checked_sub(request.total_debt_value);
    match size_with_buffer(settings, request, surplus)? {
        Some(outcome) => Ok(outcome),
        None => size_clearing(request, surplus),
    }
}

/// The partial liquidation of an obligation with a buffer, or `None` below it.
fn size_with_buffer(
    settings: &LiquidationSettings,
    request: &LiquidationRequest,
    surplus: Option<u128>,
) -> Result<Option<LiquidationOutcome>, LiquidationError> {
    let debt = request.debt;
    let collateral = request.collateral;
    if neutral_bonus_bps(
        request.health_wad,
        request.collateral_liquidation_threshold_bps,
    )?
    .is_none_or(|neutral| neutral < request.min_bonus_bps)
    {
        return Ok(None);
    }
    let cap_value = max_repay_value(settings, request.health_wad, request.total_debt_value)?;
    let cap_tokens = if cap_value >= request.total_debt_value {
        debt.tokens
    } else {
        tokens_for_value_floor(cap_value, debt.decimals, debt.price)?.min(debt.tokens)
    };
    let max_repay = u128::from(request.max_repay);
    let mut repay = max_repay.min(cap_tokens);
    let left = debt.tokens - repay;
    let mut leaves_debt_dust = false;
    if left > 0 && value_wad_ceil(left, debt.decimals, debt.price)? < settings.dust_value {
        if max_repay < debt.tokens {
            leaves_debt_dust = true;
        } else {
            repay = debt.tokens;
        }
    }
    // Whether this is the buffer regime does not depend on the dust rule's verdict.
    let repay_value = value_wad_floor(repay, debt.decimals, debt.price)?;
    let Some(buffer_bonus) = buffer_bonus_bps(request, repay_value)? else {
        return Ok(None);
    };
    if leaves_debt_dust {
        return Err(LiquidationError::WouldLeaveDust);
    }
    let collateral_value =
        value_wad_floor(collateral.tokens, collateral.decimals, collateral.price)?;
    let mut bonus_bps = bonus_curve_bps(
        request.health_wad,
        request.min_bonus_bps,
        request.max_bonus_bps,
    )?
    .min(buffer_bonus)
    .min(surplus_bonus_cap_bps(surplus, repay_value)?);
    let mut seizure = seize_partially(settings, request, repay, repay_value, bonus_bps)?;
    if seizure.takes_all {
        // Taking the whole position pays the bonus on up to its whole value: the surplus must
        // cover that too (the repayment then rises to the position's fair price at that bonus).
        let capped = bonus_bps.min(surplus_bonus_cap_bps(
            surplus,
            repay_value.max(collateral_value),
        )?);
        if capped < bonus_bps {
            bonus_bps = capped;
            seizure = seize_partially(settings, request, repay, repay_value, bonus_bps)?;
        }
    }
    if seizure.takes_all {
        let fair_repay = fair_repay_for(
            collateral_value,
            u128::from(BPS) + u128::from(bonus_bps),
            debt,
        )?;
        repay = if seizure.leaves_dust {
            extend_to_whole_collateral(settings, request, repay, fair_repay)?
        } else {
            fair_repay.min(repay)
        };
    }
    outcome(
        request,
        repay,
        seizure.seize,
        bonus_bps,
        seizure.takes_all,
        LiquidationRegime::Buffer,
    )
    .map(Some)
}

/// The collateral a repayment of `repay` (worth `repay_value`) buys at `bonus_bps`.
struct Seizure {
    /// Collateral tokens taken (the whole position when `takes_all`).
    seize: u128,
    /// Whether the whole position is taken.
    takes_all: bool,
    /// Whether it is taken because a partial seize would have left it as dust.
    leaves_dust: bool,
}

fn seize_partially(
    settings: &LiquidationSettings,
    request: &LiquidationRequest,
    repay: u128,
    repay_value: u128,
    bonus_bps: u64,
) -> Result<Seizure, MathError> {
    let collateral = request.collateral;
    let bonus_factor = u128::from(BPS) + u128::from(bonus_bps);
    let seize_value = mul_div_floor(repay_value, bonus_factor, u128::from(BPS))?;
    let seize = tokens_for_value_floor(seize_value, collateral.decimals, collateral.price)?;
    let collateral_left = collateral.tokens.saturating_sub(seize);
    // The dust rule on the seized side: a partial seize may not leave the collateral position
    // below the dust value either; it then takes the whole position at its fair price.
    // A seize that repays the whole borrow closes the debt position, so leftover collateral
    // is the owner's and may stay, however small.
    let leaves_dust = collateral_left > 0
        && repay < request.debt.tokens
        && value_wad_floor(collateral_left, collateral.decimals, collateral.price)?
            < settings.dust_value;
    let takes_all = collateral_left == 0 || leaves_dust;
    Ok(Seizure {
        seize: if takes_all { collateral.tokens } else { seize },
        takes_all,
        leaves_dust,
    })
}

/// The liquidation of an obligation below its buffer: the whole borrow if the collateral
/// position covers it with the bonus, else the whole collateral position for its fair price.
fn size_clearing(
    request: &LiquidationRequest,
    surplus: Option<u128>,
) -> Result<LiquidationOutcome, LiquidationError> {
    let debt = request.debt;
    let collateral = request.collateral;
    // A debt too large to value is larger than any collateral: it is the collateral that goes.
    let debt_value = value_wad_floor(debt.tokens, debt.decimals, debt.price).unwrap_or(u128::MAX);
    let collateral_value =
        value_wad_floor(collateral.tokens, collateral.decimals, collateral.price)?;
    // Repaying the whole borrow pays the bonus on the debt's value; taking the whole collateral
    // position pays it on at most the position's value: each is capped by the surplus.
    let whole_borrow_bonus = request
        .min_bonus_bps
        .min(surplus_bonus_cap_bps(surplus, debt_value)?);
    let seize_for_whole_borrow = mul_div_floor(
        debt_value,
        u128::from(BPS) + u128::from(whole_borrow_bonus),
        u128::from(BPS),
    )
    .and_then(|value| tokens_for_value_floor(value, collateral.decimals, collateral.price))
    .unwrap_or(u128::MAX);
    let (repay, seize, takes_all_collateral, bonus_bps) =
        if seize_for_whole_borrow > 0 && seize_for_whole_borrow < collateral.tokens {
            (
                debt.tokens,
                seize_for_whole_borrow,
                false,
                whole_borrow_bonus,
            )
        } else {
            let bonus = request
                .min_bonus_bps
                .min(surplus_bonus_cap_bps(surplus, collateral_value)?);
            let fair_repay =
                fair_repay_for(collateral_value, u128::from(BPS) + u128::from(bonus), debt)?;
            // Where that price is the whole borrow, both positions close and the bonus paid is
            // what the collateral is worth over the debt: within the whole-borrow bonus (else
            // the branch above applied), which is then the bonus reported and charged the fee.
            let bonus = if fair_repay == debt.tokens {
                whole_borrow_bonus.max(bonus)
            } else {
                bonus
            };
            (fair_repay, collateral.tokens, true, bonus)
        };
    if repay > u128::from(request.max_repay) {
        return Err(LiquidationError::MustClosePosition);
    }
    outcome(
        request,
        repay,
        seize,
        bonus_bps,
        takes_all_collateral,
        LiquidationRegime::Clearing,
    )
}

/// The repayment that buys a whole collateral position worth `collateral_value` at
/// `bonus_factor`: `⌈value / (1 + bonus)⌉` in debt tokens (the liquidator pays at least fair
/// value), never more than the borrow.
fn fair_repay_for(
    collateral_value: u128,
    bonus_factor: u128,
    debt: PositionQuote,
) -> Result<u128, MathError> {
    let fair_value = mul_div_ceil(collateral_value, u128::from(BPS), bonus_factor)?;
    Ok(tokens_for_value_ceil(fair_value, debt.decimals, debt.price)?.min(debt.tokens))
}

/// The outcome of a sized `repay`/`seize` pair, with the protocol fee.
fn outcome(
    request: &LiquidationRequest,
    repay: u128,
    seize: u128,
    bonus_bps: u64,
    takes_all_collateral: bool,
    regime: LiquidationRegime,
) -> Result<LiquidationOutcome, LiquidationError> {
    if repay == 0 || seize == 0 {
        return Err(LiquidationError::NothingToRepay);
    }
    let bonus_factor = u128::from(BPS) + u128::from(bonus_bps);
    let fee = mul_div_ceil(
        seize,
        u128::from(bonus_bps) * u128::from(request.protocol_fee_bps),
        bonus_factor * u128::from(BPS),
    )?
    .min(seize);
    Ok(LiquidationOutcome {
        repay_tokens: to_u64(repay)?,
        seize_tokens: seize,
        fee_tokens: fee,
        bonus_bps,
        takes_all_collateral,
        repays_whole_borrow: repay == request.debt.tokens,
        regime,
    })
}

/// The repayment for taking a whole collateral position that a partial seize would have left
/// as dust: its fair price `fair_repay` (never more than the debt, nor less than `repay`), or
/// the whole debt if what remained of it would be dust. It may exceed the close factor by less
/// than the dust value; a `max_repay` below it is `WouldLeaveDust`.
fn extend_to_whole_collateral(
    settings: &LiquidationSettings,
    request: &LiquidationRequest,
    repay: u128,
    fair_repay: u128,
) -> Result<u128, LiquidationError> {
    let debt = request.debt;
    let mut extended = fair_repay.min(debt.tokens).max(repay);
    let debt_left = debt.tokens - extended;
    if debt_left > 0 && value_wad_ceil(debt_left, debt.decimals, debt.price)? < settings.dust_value
    {
        extended = debt.tokens;
    }
    if extended > u128::from(request.max_repay) {
        return Err(LiquidationError::WouldLeaveDust);
    }
    Ok(extended)
}

/// How one written-off debt is paid for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BadDebtSplit {
    /// Taken from insurance interest the fund was owed but had not yet swept (token units × WAD).
    pub from_pending_insurance_wad: u128,
    /// Taken from the tokens in the fund vault (whole tokens, rounded up so depositors lose no fraction).
    pub from_fund_tokens: u64,
    /// Written off against the reserve's depositors (token units × WAD).
    pub socialized_wad: u128,
}

impl BadDebtSplit {
    /// What the fund covered in all (token units × WAD), capped at the debt.
    pub fn covered_wad(&self, written_off_wad: u128) -> u128 {
        written_off_wad - self.socialized_wad
    }
}

/// The waterfall for `written_off_wad` of debt: the fund's unswept insurance first, then its
/// tokens, then depositors.
pub fn split_bad_debt(
    written_off_wad: u128,
    pending_insurance_wad: u128,
    fund_balance: u64,
) -> Result<BadDebtSplit, MathError> {
    let from_pending = written_off_wad.min(pending_insurance_wad);
    let rest = sub(written_off_wad, from_pending)?;
    let from_fund = to_u64(rest.div_ceil(WAD).min(u128::from(fund_balance)))?;
    let fund_wad = u128::from(from_fund) * WAD;
    let socialized = rest.saturating_sub(fund_wad);
    debug_assert_eq!(
        add(add(from_pending, fund_wad.min(rest))?, socialized)?,
        written_off_wad
    );
    Ok(BadDebtSplit {
        from_pending_insurance_wad: from_pending,
        from_fund_tokens: from_fund,
        socialized_wad: socialized,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SETTINGS: LiquidationSettings = LiquidationSettings {
        close_factor_bps: 5_000,
        full_liquidation_health_wad: 950_000_000_000_000_000,
        full_liquidation_debt_value: 100 * WAD,
        dust_value: WAD,
    };
    const USD: Price = Price {
        mantissa: 100_000_000,
        expo: -8,
    };

    fn request(health_wad: u128, debt: u64, collateral: u64) -> LiquidationRequest {
        LiquidationRequest {
            health_wad,
            total_debt_value: u128::from(debt) * WAD / 1_000_000,
            total_collateral_value: u128::from(collateral) * WAD / 1_000_000,
            debt: PositionQuote {
                tokens: u128::from(debt),
                decimals: 6,
                price: USD,
            },
            collateral: PositionQuote {
                tokens: u128::from(collateral),
                decimals: 6,
                price: USD,
            },
            collateral_share_value_wad: WAD / 1_000_000,
            collateral_liquidation_threshold_bps: 8_000,
            min_bonus_bps: 200,
            max_bonus_bps: 1_000,
            protocol_fee_bps: 2_000,
            max_repay: u64::MAX,
        }
    }

    /// HF (WAD) of an obligation with `collateral` at LT 80 % and `debt`, both at $1.
    fn hf(collateral: u128, debt: u128) -> u128 {
        collateral * 8 * WAD / (10 * debt)
    }

    #[test]
    fn the_bonus_grows_with_the_deficit_up_to_its_maximum() {
        assert_eq!(bonus_curve_bps(WAD - WAD / 100, 200, 1_000), Ok(300));
        assert_eq!(bonus_curve_bps(WAD / 2, 200, 1_000), Ok(1_000));
    }

    #[test]
    fn the_health_neutral_bonus_is_hf_over_lt_minus_one() {
        // HF 0.85 with LT 0.8: seizing at 6.25 % leaves health unchanged.
        assert_eq!(
            neutral_bonus_bps(850_000_000_000_000_000, 8_000),
            Ok(Some(625))
        );
        // HF at or below LT: any seizure lowers health.
        assert_eq!(neutral_bonus_bps(800_000_000_000_000_000, 8_000), Ok(None));
        assert_eq!(neutral_bonus_bps(700_000_000_000_000_000, 8_000), Ok(None));
    }

    #[test]
    fn the_buffer_bonus_leaves_a_margin_for_rounding_that_shrinks_with_size() {
        let mut r = request(850_000_000_000_000_000, 1_000_000_000, 2_000_000_000);
        // $1 000 repaid: rounding is far below a basis point, the margin is the 1 bp floor.
        assert_eq!(buffer_bonus_bps(&r, 1_000 * WAD), Ok(Some(624)));
        // $0.05 repaid: a few base units are a noticeable fraction; the margin grows.
        let small = buffer_bonus_bps(&r, WAD / 20).unwrap().unwrap();
        assert!((200..624).contains(&small), "{small}");
        // So small that no bonus at or above the minimum is safe: below the buffer.
        assert_eq!(buffer_bonus_bps(&r, WAD / 10_000), Ok(None));
        // Regression (issue 9, item 9): LT 82.5 %, min bonus 2.5 %, HF 0.84561. The old check
        // rounded LT·(1 + bonus) down to 0.8456 and reverted every liquidation in
        // [0.8456, 0.845625); now such an HF is simply below the buffer, and is cleared.
        r.collateral_liquidation_threshold_bps = 8_250;
        r.min_bonus_bps = 250;
        r.health_wad = 845_610_000_000_000_000;
        assert_eq!(buffer_bonus_bps(&r, 1_000 * WAD), Ok(None));
        let outcome = size_liquidation(&SETTINGS, &r).unwrap();
        assert_eq!(outcome.regime, LiquidationRegime::Clearing);
        assert!(outcome.closes_a_position());
    }

    #[test]
    fn the_bonus_never_exceeds_the_buffer() {
        // HF 0.85 with LT 0.8: the 17 % curve value is capped at the buffer, 624 bps.
        let mut r = request(850_000_000_000_000_000, 1_000_000_000, 1_062_500_000);
        // Other collateral leaves a wide surplus, so only the buffer binds.
        r.total_collateral_value = 2_000 * WAD;
        let outcome = size_liquidation(&SETTINGS, &r).unwrap();
        assert_eq!(outcome.bonus_bps, 624);
        assert_eq!(outcome.regime, LiquidationRegime::Buffer);
    }

    #[test]
    fn below_the_buffer_the_whole_borrow_is_repaid_when_the_collateral_covers_it() {
        // Two debts of 500 against 1 020 of collateral at LT 80 %: HF 0.816 < 0.8 × 1.02 + margin.
        let mut r = request(hf(1_020, 1_000), 500_000_000, 1_020_000_000);
        r.total_debt_value = 1_000 * WAD;
        r.health_wad = hf(1_020, 1_000);
        let outcome = size_liquidation(&SETTINGS, &r).unwrap();
        assert_eq!(outcome.regime, LiquidationRegime::Clearing);
        // The $20 surplus covers the minimum 2 % on the $500 repaid.
        assert_eq!(outcome.bonus_bps, 200);
        assert!(outcome.repays_whole_borrow && !outcome.takes_all_collateral);
        assert_eq!(outcome.repay_tokens, 500_000_000);
        assert_eq!(outcome.seize_tokens, 510_000_000);
        // No close factor below the buffer, but a request that cannot close a position is refused.
        r.max_repay = 499_999_999;
        assert_eq!(
            size_liquidation(&SETTINGS, &r),
            Err(LiquidationError::MustClosePosition)
        );
    }

    #[test]
    fn below_the_buffer_an_insolvent_obligation_loses_its_whole_collateral_position() {
        // 900 of collateral against 1 000 of debt: insolvent, the minimum bonus applies.
        let r = request(hf(900, 1_000), 1_000_000_000, 900_000_000);
        let outcome = size_liquidation(&SETTINGS, &r).unwrap();
        assert_eq!(outcome.regime, LiquidationRegime::Clearing);
        assert!(outcome.takes_all_collateral && !outcome.repays_whole_borrow);
        assert_eq!(outcome.bonus_bps, 200);
        assert_eq!(outcome.seize_tokens, 900_000_000);
        assert_eq!(outcome.repay_tokens, 882_352_942); // ⌈900 / 1.02⌉
    }

    #[test]
    fn a_solvent_obligation_pays_no_bonus_beyond_its_surplus() {
        // 1 005 of collateral, 1 000 of debt: $5 of surplus. Taking it all at 2 % would leave
        // $14.7 of debt with nothing behind it; the bonus shrinks to what the surplus pays.
        let r = request(hf(1_005, 1_000), 1_000_000_000, 1_005_000_000);
        let outcome = size_liquidation(&SETTINGS, &r).unwrap();
        assert_eq!(outcome.regime, LiquidationRegime::Clearing);
        // The whole debt is repaid and the whole collateral taken: the liquidator's gain is the
        // $5 of surplus, a bonus of 5 / 1 000 (reported as paid, not as ⌊5 / 1 005⌋ = 49 bps),
        // and nothing is left to write off.
        assert_eq!(outcome.bonus_bps, 50);
        assert!(outcome.repays_whole_borrow && outcome.takes_all_collateral);
        assert_eq!(outcome.repay_tokens, 1_000_000_000);
        assert_eq!(outcome.seize_tokens, 1_005_000_000);
    }

    #[test]
    fn an_oversized_request_is_clipped_to_the_close_factor() {
        let outcome = size_liquidation(
            &SETTINGS,
            &request(WAD - WAD / 100, 1_000_000_000, 2_000_000_000),
        )
        .unwrap();
        assert_eq!(outcome.repay_tokens, 500_000_000);
        assert_eq!(outcome.bonus_bps, 300);
        assert_eq!(outcome.seize_tokens, 515_000_000);
        assert_eq!(outcome.fee_tokens, 3_000_000);
    }

    #[test]
    fn a_repay_that_would_leave_dust_takes_everything_or_is_refused() {
        let mut r = request(9 * WAD / 10, 50_500_000, 200_000_000);
        r.max_repay = 50_000_000;
        assert_eq!(
            size_liquidation(&SETTINGS, &r),
            Err(LiquidationError::WouldLeaveDust)
        );
        r.max_repay = u64::MAX;
        assert_eq!(
            size_liquidation(&SETTINGS, &r).unwrap().repay_tokens,
            50_500_000
        );
    }

    #[test]
    fn a_seize_that_would_leave_collateral_dust_takes_the_whole_position_or_is_refused() {
        // 153.5 of a second collateral, 200 of debt; the close factor (50 % of $294) allows 147:
        // 147 × 1.04 = 152.88 would leave 0.62. The whole 153.5 goes for ⌈153.5 / 1.04⌉.
        let mut r = request(WAD - 2 * WAD / 100, 200_000_000, 153_500_000);
        r.total_debt_value = 294 * WAD;
        let outcome = size_liquidation(&SETTINGS, &r).unwrap();
        assert_eq!(outcome.seize_tokens, 153_500_000);
        assert!(outcome.takes_all_collateral);
        assert_eq!(outcome.repay_tokens, 147_596_154);
        assert_eq!(outcome.bonus_bps, 400);
        // A liquidator who allows only 147 cannot take the whole position: refused.
        r.max_repay = 147_000_000;
        assert_eq!(
            size_liquidation(&SETTINGS, &r),
            Err(LiquidationError::WouldLeaveDust)
        );
        // Leaving exactly the dust value is fine.
        r.max_repay = u64::MAX;
        r.collateral.tokens = 153_880_000;
        let outcome = size_liquidation(&SETTINGS, &r).unwrap();
        assert_eq!(
            (outcome.repay_tokens, outcome.seize_tokens),
            (147_000_000, 152_880_000)
        );
        assert!(!outcome.takes_all_collateral);
    }

    #[test]
    fn the_waterfall_uses_pending_insurance_then_the_fund_then_depositors() {
        let split = split_bad_debt(10 * WAD, 3 * WAD, 4).unwrap();
        assert_eq!(split.from_pending_insurance_wad, 3 * WAD);
        assert_eq!(split.from_fund_tokens, 4);
        assert_eq!(split.socialized_wad, 3 * WAD);
        let covered = split_bad_debt(WAD / 2, 0, 4).unwrap();
        assert_eq!((covered.from_fund_tokens, covered.socialized_wad), (1, 0));
    }
}
