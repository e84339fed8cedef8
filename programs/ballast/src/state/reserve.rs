use anchor_lang::prelude::*;

use crate::errors::{BallastError, MathResultExt};
use crate::math::fixed::{add, sub, to_u64};
use crate::math::interest::{accrue, RateCurve};
use crate::math::liquidation::{split_bad_debt, BadDebtSplit};
use crate::math::{shares, BPS, WAD};
use crate::state::PAUSE_ALL;

/// Oracle source: none (only as a reserve's fallback, which is then unused).
pub const ORACLE_SOURCE_NONE: u8 = 0;
/// Oracle source: a legacy Pyth push price account read with `pyth-sdk-solana`.
pub const ORACLE_SOURCE_PYTH_LEGACY: u8 = 1;
/// Oracle source: a Pyth pull `PriceUpdateV2` account (full verification, pinned feed id).
pub const ORACLE_SOURCE_PYTH_PULL: u8 = 2;
/// Oracle source: a Switchboard On-Demand pull feed (`PullFeedAccountData`, pinned feed hash).
pub const ORACLE_SOURCE_SWITCHBOARD: u8 = 3;

/// Largest number of oracle responses a Switchboard source may require (a feed holds 32).
pub const MAX_ORACLE_MIN_RESPONSES: u8 = 32;
/// Largest disagreement between a reserve's primary and fallback prices that may be tolerated.
pub const MAX_ORACLE_DEVIATION_BPS: u16 = 2_000;

/// Largest max age any policy may have.
pub const MAX_ORACLE_AGE_SECS: u32 = 3_600;
/// Largest confidence/price ratio any policy may accept.
pub const MAX_ORACLE_CONFIDENCE_BPS: u16 = 2_000;
/// Largest multiple of the confidence interval the strict policy may subtract/add.
pub const MAX_CONFIDENCE_MULTIPLIER_BPS: u16 = 30_000;
/// Highest borrow rate the curve may reach (500 % a year).
pub const MAX_BORROW_RATE_BPS: u64 = 50_000;
/// Largest liquidation bonus.
pub const MAX_LIQUIDATION_BONUS_BPS: u16 = 5_000;
/// Largest flash-loan fee (1 %).
pub const MAX_FLASH_LOAN_FEE_BPS: u16 = 100;

/// Reserve status: normal operation.
pub const RESERVE_ACTIVE: u8 = 0;
/// Reserve status: a loss exceeded its deposits; only repay and withdraw remain.
pub const RESERVE_FROZEN: u8 = 1;

/// Limits of one price policy.
#[derive(
    AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace,
)]
pub struct PricePolicy {
    /// Oldest accepted publish time, in seconds before now.
    pub max_age_secs: u32,
    /// Widest accepted `conf / price`, in bps.
    pub max_confidence_bps: u16,
}

/// Where a reserve's price comes from, and how much of it to trust.
#[derive(
    AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace,
)]
pub struct OracleConfig {
    /// `ORACLE_SOURCE_PYTH_LEGACY`, `ORACLE_SOURCE_PYTH_PULL` or `ORACLE_SOURCE_SWITCHBOARD`
    /// (`ORACLE_SOURCE_NONE` only for an unused fallback).
    pub source: u8,
    /// The price account: a legacy price account, the pull price-feed account that holds the
    /// feed's newest `PriceUpdateV2`, or the Switchboard pull-feed account. Always required: the
    /// caller never chooses the update.
    pub oracle_account: Pubkey,
    /// Pyth pull feeds: the Pyth feed id every update must carry. Switchboard: the feed's
    /// `feed_hash` (its job definition), pinned.
    pub feed_id: [u8; 32],
    /// Policy for new risk (borrow, withdraw in debt, disable collateral).
    pub strict: PricePolicy,
    /// Policy for liquidation and bad-debt realization; at least as loose as `strict`.
    pub liquidation: PricePolicy,
    /// Multiple of `conf` (bps) taken off collateral and added to debt prices under `strict`.
    pub confidence_multiplier_bps: u16,
    /// Switchboard: fewest oracle responses (`num_samples`) the feed's result must aggregate,
    /// 1 ..= `MAX_ORACLE_MIN_RESPONSES`; 0 for Pyth sources.
    pub min_responses: u8,
}

impl OracleConfig {
    /// Whether a source is configured (a fallback may be absent).
    pub fn is_set(&self) -> bool {
        self.source != ORACLE_SOURCE_NONE
    }

    /// The bounds of one configured source; `UnknownOracleSource` for an unknown kind.
    pub fn validate(&self) -> Result<()> {
        require!(
            matches!(
                self.source,
                ORACLE_SOURCE_PYTH_LEGACY | ORACLE_SOURCE_PYTH_PULL | ORACLE_SOURCE_SWITCHBOARD
            ),
            BallastError::UnknownOracleSource
        );
        let pinned = self.source == ORACLE_SOURCE_PYTH_LEGACY || self.feed_id != [0; 32];
        let responses = if self.source == ORACLE_SOURCE_SWITCHBOARD {
            (1..=MAX_ORACLE_MIN_RESPONSES).contains(&self.min_responses)
        } else {
            self.min_responses == 0
        };
        let checks = [
            self.oracle_account != Pubkey::default(),
            pinned,
            responses,
            self.strict.max_age_secs > 0,
            self.strict.max_confidence_bps > 0,
            self.liquidation.max_age_secs >= self.strict.max_age_secs,
            self.liquidation.max_confidence_bps >= self.strict.max_confidence_bps,
            self.liquidation.max_age_secs <= MAX_ORACLE_AGE_SECS,
            self.liquidation.max_confidence_bps <= MAX_ORACLE_CONFIDENCE_BPS,
            self.confidence_multiplier_bps <= MAX_CONFIDENCE_MULTIPLIER_BPS,
        ];
        require!(checks.iter().all(|ok| *ok), BallastError::InvalidConfig);
        Ok(())
    }

    /// The same feed (kind, account and pin): its publish times are one timeline.
    pub fn same_feed(&self, other: &OracleConfig) -> bool {
        (self.source, self.oracle_account, self.feed_id)
            == (other.source, other.oracle_account, other.feed_id)
    }
}

/// The kinked rate model (annual rates in bps).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub struct RateModel {
    /// Rate at zero utilization.
    pub base_rate_bps: u16,
    /// Utilization at the kink.
    pub optimal_utilization_bps: u16,
    /// Rate added up to the kink.
    pub slope1_bps: u16,
    /// Rate added from the kink to full utilization.
    pub slope2_bps: u16,
}

impl RateModel {
    /// The pure-math view.
    pub fn curve(&self) -> RateCurve {
        RateCurve {
            base_rate_bps: u64::from(self.base_rate_bps),
            optimal_utilization_bps: u64::from(self.optimal_utilization_bps),
            slope1_bps: u64::from(self.slope1_bps),
            slope2_bps: u64::from(self.slope2_bps),
        }
    }
}

/// Everything an operator configures on a reserve. Validated as a whole on create and update.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub struct ReserveConfig {
    /// Primary price source and its policies.
    pub oracle: OracleConfig,
    /// Fallback price source (`ORACLE_SOURCE_NONE` and all zero when there is none): used only
    /// when the primary fails the policy in use (docs/oracles.md, "Fallback").
    pub fallback_oracle: OracleConfig,
    /// With a fallback: the most the two spot prices may differ (bps of the lower) when both
    /// pass the policy, 1 ..= `MAX_ORACLE_DEVIATION_BPS`; 0 without one.
    pub max_oracle_deviation_bps: u16,
    /// Loan-to-value: borrowing power per unit of collateral value.
    pub ltv_bps: u16,
    /// Liquidation threshold: collateral weight in the health factor.
    pub liquidation_threshold_bps: u16,
    /// Liquidation bonus at health 1.
    pub min_liquidation_bonus_bps: u16,
    /// Liquidation bonus ceiling.
    pub max_liquidation_bonus_bps: u16,
    /// Share of the bonus paid to this reserve's fund when it is the seized collateral.
    pub protocol_liquidation_fee_bps: u16,
    /// Share of interest paid to protocol fees.
    pub reserve_factor_bps: u16,
    /// Share of interest paid to the bad-debt fund.
    pub insurance_factor_bps: u16,
    /// Borrow rate curve.
    pub rate_model: RateModel,
    /// Most tokens depositors may supply (`available + debt`).
    pub supply_cap: u64,
    /// Most tokens that may be borrowed.
    pub borrow_cap: u64,
    /// Fee on a flash loan (bps of the amount, rounded up), split between the fund and
    /// protocol fees like interest; 0 … `MAX_FLASH_LOAN_FEE_BPS`.
    pub flash_loan_fee_bps: u16,
    /// Isolated collateral: an obligation whose enabled collateral includes this reserve holds
    /// no other enabled collateral and borrows only reserves `borrowable_in_isolation`, up to
    /// `debt_ceiling` in total. Fixed while the reserve has supply.
    pub isolated: bool,
    /// May be borrowed by an obligation whose collateral is isolated.
    pub borrowable_in_isolation: bool,
    /// The efficiency-mode category the reserve belongs to (1 ..= `EMODE_CATEGORIES`), 0 = none.
    pub emode_category: u8,
    /// Isolated reserves: most debt (USD WAD, valued when borrowed) that obligations holding it
    /// as collateral may owe in total; 0 for any other reserve.
    pub debt_ceiling: u128,
}

impl ReserveConfig {
    /// Enforces every bound of the risk model (PROTOCOL.md §8).
    pub fn validate(&self) -> Result<()> {
        let bps = BPS as u128;
        let lt = u128::from(self.liquidation_threshold_bps);
        let rate = &self.rate_model;
        let max_rate =
            u64::from(rate.base_rate_bps) + u64::from(rate.slope1_bps) + u64::from(rate.slope2_bps);
        let checks = [
            self.ltv_bps > 0,
            self.ltv_bps < self.liquidation_threshold_bps,
            u64::from(self.liquidation_threshold_bps) < BPS,
            // A liquidation at the threshold must never pay out more than the collateral.
            lt * (bps + u128::from(self.max_liquidation_bonus_bps)) < bps * bps,
            self.min_liquidation_bonus_bps <= self.max_liquidation_bonus_bps,
            self.max_liquidation_bonus_bps <= MAX_LIQUIDATION_BONUS_BPS,
            u64::from(self.protocol_liquidation_fee_bps) <= BPS,
            u64::from(self.reserve_factor_bps) + u64::from(self.insurance_factor_bps) < BPS,
            rate.optimal_utilization_bps > 0 && u64::from(rate.optimal_utilization_bps) <= BPS,
            rate.slope1_bps <= rate.slope2_bps,
            max_rate <= MAX_BORROW_RATE_BPS,
            self.supply_cap > 0 && self.borrow_cap <= self.supply_cap,
            self.flash_loan_fee_bps <= MAX_FLASH_LOAN_FEE_BPS,
            // Isolated, and only isolated, reserves have a ceiling; never in an e-mode category.
            self.isolated == (self.debt_ceiling > 0),
            !self.isolated || self.emode_category == 0,
            usize::from(self.emode_category) <= crate::state::EMODE_CATEGORIES,
        ];
        require!(checks.iter().all(|ok| *ok), BallastError::InvalidConfig);
        self.oracle.validate()?;
        let fallback = &self.fallback_oracle;
        if fallback.is_set() {
            fallback.validate()?;
            require!(
                fallback.oracle_account != self.oracle.oracle_account
                    && (1..=MAX_ORACLE_DEVIATION_BPS).contains(&self.max_oracle_deviation_bps),
                BallastError::InvalidConfig
            );
        } else {
            // An absent fallback is all zero: one meaning per byte.
            require!(
                *fallback == OracleConfig::default() && self.max_oracle_deviation_bps == 0,
                BallastError::InvalidConfig
            );
        }
        Ok(())
    }

    /// Whether `self` is no looser than `previous` and differs only where the risk authority
    /// may act: lower LTV, lower caps, a lower debt ceiling, tighter strict oracle policies, a
    /// smaller tolerated deviation between primary and fallback.
    pub fn only_tightens(&self, previous: &ReserveConfig) -> bool {
        let mut relaxed = *self;
        relaxed.ltv_bps = previous.ltv_bps;
        relaxed.supply_cap = previous.supply_cap;
        relaxed.borrow_cap = previous.borrow_cap;
        relaxed.debt_ceiling = previous.debt_ceiling;
        relaxed.oracle.strict = previous.oracle.strict;
        relaxed.fallback_oracle.strict = previous.fallback_oracle.strict;
        relaxed.max_oracle_deviation_bps = previous.max_oracle_deviation_bps;
        let tighter = |new: &PricePolicy, old: &PricePolicy| {
            new.max_age_secs <= old.max_age_secs && new.max_confidence_bps <= old.max_confidence_bps
        };
        relaxed == *previous
            && self.ltv_bps <= previous.ltv_bps
            && self.debt_ceiling <= previous.debt_ceiling
            && self.supply_cap <= previous.supply_cap
            && self.borrow_cap <= previous.borrow_cap
            && tighter(&self.oracle.strict, &previous.oracle.strict)
            && tighter(
                &self.fallback_oracle.strict,
                &previous.fallback_oracle.strict,
            )
            && self.max_oracle_deviation_bps <= previous.max_oracle_deviation_bps
    }
}

/// One asset of a market: its vaults, configuration and books.
#[account]
#[derive(InitSpace, Debug)]
pub struct Reserve {
    /// The market it belongs to.
    pub market: Pubkey,
    /// The token mint.
    pub mint: Pubkey,
    /// SPL Token or Token-2022, whichever owns the mint.
    pub token_program: Pubkey,
    /// PDA token account holding depositors' free liquidity.
    pub liquidity_vault: Pubkey,
    /// PDA token account holding the bad-debt fund.
    pub fund_vault: Pubkey,
    /// Mint decimals.
    pub decimals: u8,
    /// PDA bump (the reserve signs for its vaults).
    pub bump: u8,
    /// `RESERVE_ACTIVE` or `RESERVE_FROZEN`.
    pub status: u8,
    /// Per-reserve pause flags (`PAUSE_*`).
    pub pause_flags: u8,
    /// Operator configuration.
    pub config: ReserveConfig,
    /// Tokens in the liquidity vault that belong to the books (donations excluded).
    pub available_liquidity: u64,
    /// Σ of obligations' scaled debt.
    pub total_scaled_debt: u128,
    /// Compounded borrow index (WAD), starts at 1.
    pub borrow_index: u128,
    /// Σ of obligations' supply shares.
    pub total_shares: u128,
    /// Protocol fees accrued and not yet collected (token units × WAD).
    pub protocol_fees_wad: u128,
    /// Insurance interest and liquidation fees owed to the fund, not yet swept into its vault
    /// (token units × WAD). Part of the fund: bad debt draws on it first.
    pub pending_insurance_wad: u128,
    /// Tokens in the fund vault that belong to the fund.
    pub fund_balance: u64,
    /// Tokens the fund has paid toward bad debt that still sit in the fund vault, to be swept
    /// into the liquidity vault. Counted as depositors' assets meanwhile.
    pub fund_receivable: u64,
    /// Σ bad debt covered by the fund (token units × WAD).
    pub cumulative_fund_covered_wad: u128,
    /// Σ bad debt written off against depositors (token units × WAD).
    pub cumulative_socialized_wad: u128,
    /// Σ interest charged to borrowers (token units × WAD).
    pub cumulative_interest_wad: u128,
    /// Σ interest assigned to protocol fees (token units × WAD).
    pub cumulative_protocol_fees_wad: u128,
    /// Σ interest assigned to the fund (token units × WAD).
    pub cumulative_insurance_wad: u128,
    /// Σ tokens contributed to the fund by `fund_reserve`.
    pub cumulative_fund_contributions: u64,
    /// Last time interest accrued.
    pub last_accrual_ts: i64,
    /// Newest oracle publish time this reserve has used, from either source: no source may
    /// price it with an older update.
    pub last_oracle_publish_time: i64,
    /// Which source priced it last (`PriceSource`: 1 primary, 2 fallback, 3 both, the more
    /// conservative of two disagreeing prices in a liquidation); 0 before its first price.
    pub last_price_source: u8,
    /// PDA bump of the liquidity vault (its seeds are checked on every use).
    pub liquidity_vault_bump: u8,
    /// PDA bump of the fund vault.
    pub fund_vault_bump: u8,
    /// Tokens lent by the flash loan open in this transaction (0: none). They stay on the books
    /// (utilization, interest and share value do not see them leave) but cannot be paid out.
    pub flash_loan_amount: u64,
    /// The fee the open flash loan owes on repayment.
    pub flash_loan_fee: u64,
    /// Σ flash-loan fees paid (tokens), split between the fund and protocol fees (the interest
    /// statistics above do not include them).
    pub cumulative_flash_loan_fees: u64,
    /// Isolated reserves: debt (USD WAD, valued when borrowed) currently owed by obligations
    /// holding this reserve as their isolated collateral; exactly the sum of those obligations'
    /// `isolated_debt` records.
    pub isolated_debt: u128,
    /// Room to grow without a migration.
    pub reserved: [u8; 1],
}

impl Reserve {
    /// Counts `value` (USD WAD) of new debt against the isolated debt ceiling; refused above it.
    pub fn add_isolated_debt(&mut self, value: u128) -> Result<()> {
        let after = add(self.isolated_debt, value).or_err()?;
        require!(
            after <= self.config.debt_ceiling,
            BallastError::DebtCeilingExceeded
        );
        self.isolated_debt = after;
        Ok(())
    }

    /// Releases `value` (USD WAD) of an obligation's record from the isolated debt.
    pub fn release_isolated_debt(&mut self, value: u128) -> Result<()> {
        self.isolated_debt = sub(self.isolated_debt, value).or_err()?;
        Ok(())
    }

    /// Rejects `action` (a `PAUSE_*` flag) if it is paused here or market-wide.
    pub fn require_not_paused(&self, market_pause_flags: u8, action: u8) -> Result<()> {
        require!(
            (self.pause_flags | market_pause_flags) & action & PAUSE_ALL == 0,
            BallastError::ActionPaused
        );
        Ok(())
    }

    /// Rejects new deposits and borrows on a frozen reserve.
    pub fn require_active(&self) -> Result<()> {
        require!(self.status == RESERVE_ACTIVE, BallastError::ReserveFrozen);
        Ok(())
    }

    /// Accrues interest up to `now`; a no-op when already current.
    pub fn accrue_interest(&mut self, now: i64) -> Result<()> {
        let elapsed = u64::try_from(now.saturating_sub(self.last_accrual_ts)).unwrap_or(0);
        if elapsed == 0 {
            return Ok(());
        }
        let accrual = accrue(
            &self.config.rate_model.curve(),
            u64::from(self.config.reserve_factor_bps),
            u64::from(self.config.insurance_factor_bps),
            u128::from(self.available_liquidity) * WAD,
            self.total_scaled_debt,
            self.borrow_index,
            elapsed,
        )
        .or_err()?;
        self.borrow_index = accrual.borrow_index_wad;
        self.protocol_fees_wad = add(self.protocol_fees_wad, accrual.protocol_fee_wad).or_err()?;
        self.pending_insurance_wad =
            add(self.pending_insurance_wad, accrual.insurance_wad).or_err()?;
        // Statistics: they saturate rather than stop a reserve.
        self.cumulative_interest_wad = self
            .cumulative_interest_wad
            .saturating_add(accrual.interest_wad);
        self.cumulative_protocol_fees_wad = self
            .cumulative_protocol_fees_wad
            .saturating_add(accrual.protocol_fee_wad);
        self.cumulative_insurance_wad = self
            .cumulative_insurance_wad
            .saturating_add(accrual.insurance_wad);
        self.last_accrual_ts = now;
        Ok(())
    }

    /// A copy of this reserve with interest projected to `now` (read-only health checks).
    pub fn projected(&self, now: i64) -> Result<Reserve> {
        let mut copy = self.clone();
        copy.accrue_interest(now)?;
        Ok(copy)
    }

    /// Total debt on the books (token units × WAD, rounded down).
    pub fn debt_wad(&self) -> Result<u128> {
        shares::debt_wad_floor(self.total_scaled_debt, self.borrow_index).or_err()
    }

    /// Depositors' assets (token units × WAD): free liquidity, debt and the fund's receivable,
    /// less what protocol fees and the fund are owed. Never negative (a frozen reserve reads 0).
    pub fn supply_assets_wad(&self) -> Result<u128> {
        let claims = add(self.protocol_fees_wad, self.pending_insurance_wad).or_err()?;
        Ok(self.gross_assets_wad()?.saturating_sub(claims))
    }

    /// Everything the reserve's books hold (token units × WAD): free liquidity, debt and the
    /// fund's receivable, before the claims of protocol fees, the fund and depositors.
    fn gross_assets_wad(&self) -> Result<u128> {
        add(
            add(u128::from(self.available_liquidity) * WAD, self.debt_wad()?).or_err()?,
            u128::from(self.fund_receivable) * WAD,
        )
        .or_err()
    }

    /// Value of one supply share (token units × WAD).
    pub fn share_value_wad(&self) -> Result<u128> {
        shares::share_value_wad_floor(self.supply_assets_wad()?, self.total_shares).or_err()
    }

    /// Tokens `shares` are worth (rounded down), never more than the depositors' assets: after
    /// a socialized loss the share price can sit below the virtual offset's price, and the
    /// virtual unit must not be paid out of what fees and the fund are owed. In `u128`: what
    /// valuation and liquidation count.
    pub fn collateral_tokens(&self, shares_amount: u128) -> Result<u128> {
        let assets = self.supply_assets_wad()?;
        let tokens =
            shares::tokens_for_shares_floor(shares_amount, assets, self.total_shares).or_err()?;
        Ok(tokens.min(assets / WAD))
    }

    /// The same as a payout: `u64::MAX` for a claim beyond what any balance counts (more than
    /// any vault holds, so redeeming it is `InsufficientLiquidity`, never an overflow).
    pub fn tokens_for_shares(&self, shares_amount: u128) -> Result<u64> {
        Ok(to_u64(self.collateral_tokens(shares_amount)?).unwrap_or(u64::MAX))
    }

    /// Books a deposit of `amount` tokens; returns the shares minted (rounded down).
    pub fn deposit(&mut self, amount: u64) -> Result<u128> {
        require!(amount > 0, BallastError::ZeroAmount);
        self.require_active()?;
        let supplied = add(
            u128::from(self.available_liquidity),
            self.debt_tokens_ceil()?,
        )
        .or_err()?;
        require!(
            add(supplied, u128::from(amount)).or_err()? <= u128::from(self.config.supply_cap),
            BallastError::SupplyCapExceeded
        );
        let minted =
            shares::shares_for_deposit_floor(amount, self.supply_assets_wad()?, self.total_shares)
                .or_err()?;
        require!(minted > 0, BallastError::ZeroAmount);
        self.total_shares = add(self.total_shares, minted).or_err()?;
        self.available_liquidity = self
            .available_liquidity
            .checked_add(amount)
            .ok_or(BallastError::MathOverflow)?;
        Ok(minted)
    }

    /// Tokens that can be paid out now: the free liquidity less an open flash loan's.
    pub fn payable_liquidity(&self) -> u64 {
        self.available_liquidity
            .saturating_sub(self.flash_loan_amount)
    }

    /// Opens a flash loan of `amount` (validated by the caller against the transaction);
    /// returns the fee it owes.
    pub fn open_flash_loan(&mut self, amount: u64) -> Result<u64> {
        require!(amount > 0, BallastError::ZeroAmount);
        self.require_active()?;
        require!(self.flash_loan_amount == 0, BallastError::FlashLoanNested);
        require!(
            amount <= self.payable_liquidity(),
            BallastError::InsufficientLiquidity
        );
        let fee =
            crate::math::flash::flash_fee_ceil(amount, self.config.flash_loan_fee_bps).or_err()?;
        self.flash_loan_amount = amount;
        self.flash_loan_fee = fee;
        Ok(fee)
    }

    /// Closes the open flash loan on a repayment of `amount` (principal + fee) and books the
    /// fee to the fund and protocol fees; returns the split.
    pub fn close_flash_loan(&mut self, amount: u64) -> Result<crate::math::flash::FlashFeeSplit> {
        require!(self.flash_loan_amount > 0, BallastError::FlashLoanNotOpen);
        require!(
            Some(amount) == self.flash_loan_amount.checked_add(self.flash_loan_fee),
            BallastError::FlashRepayAmountMismatch
        );
        let fee = self.flash_loan_fee;
        let split = crate::math::flash::split_flash_fee(
            fee,
            self.config.reserve_factor_bps,
            self.config.insurance_factor_bps,
        )
        .or_err()?;
        self.available_liquidity = self
            .available_liquidity
            .checked_add(fee)
            .ok_or(BallastError::MathOverflow)?;
        let to_fund = u128::from(split.to_fund) * WAD;
        let to_protocol = u128::from(split.to_protocol) * WAD;
        self.pending_insurance_wad = add(self.pending_insurance_wad, to_fund).or_err()?;
        self.protocol_fees_wad = add(self.protocol_fees_wad, to_protocol).or_err()?;
        self.cumulative_flash_loan_fees = self.cumulative_flash_loan_fees.saturating_add(fee);
        self.flash_loan_amount = 0;
        self.flash_loan_fee = 0;
        Ok(split)
    }

    /// Books the redemption of `shares_amount` shares; returns the tokens paid out (rounded down).
    pub fn redeem_shares(&mut self, shares_amount: u128) -> Result<u64> {
        let tokens = self.tokens_for_shares(shares_amount)?;
        require!(
            tokens <= self.payable_liquidity(),
            BallastError::InsufficientLiquidity
        );
        self.total_shares = sub(self.total_shares, shares_amount).or_err()?;
        self.available_liquidity -= tokens;
        Ok(tokens)
    }

    /// Shares to burn for withdrawing (or seizing) exactly `amount` tokens (rounded up); never
    /// more tokens than the depositors' assets (see `collateral_tokens`).
    pub fn shares_for_withdrawal(&self, amount: u128) -> Result<u128> {
        let assets = self.supply_assets_wad()?;
        // No position can be worth more than all depositors' assets together.
        require!(amount <= assets / WAD, BallastError::WithdrawExceedsDeposit);
        shares::shares_for_withdrawal_ceil(amount, assets, self.total_shares).or_err()
    }

    /// Burns `shares_amount` without paying tokens and moves their value to the fund's
    /// pending insurance (liquidation fees, dust swept during bad-debt realization).
    pub fn move_shares_to_fund(&mut self, shares_amount: u128) -> Result<u128> {
        let value = shares::assets_wad_for_shares_floor(
            shares_amount,
            self.supply_assets_wad()?,
            self.total_shares,
        )
        .or_err()?;
        self.total_shares = sub(self.total_shares, shares_amount).or_err()?;
        self.pending_insurance_wad = add(self.pending_insurance_wad, value).or_err()?;
        Ok(value)
    }

    fn debt_tokens_ceil(&self) -> Result<u128> {
        shares::debt_units_ceil(self.total_scaled_debt, self.borrow_index).or_err()
    }

    /// Books a borrow of `amount` tokens; returns the scaled debt added (rounded up).
    pub fn borrow(&mut self, amount: u64) -> Result<u128> {
        require!(amount > 0, BallastError::ZeroAmount);
        self.require_active()?;
        require!(
            amount <= self.payable_liquidity(),
            BallastError::InsufficientLiquidity
        );
        let scaled = shares::scaled_debt_for_borrow_ceil(amount, self.borrow_index).or_err()?;
        self.total_scaled_debt = add(self.total_scaled_debt, scaled).or_err()?;
        require!(
            self.debt_tokens_ceil()? <= u128::from(self.config.borrow_cap),
            BallastError::BorrowCapExceeded
        );
        self.available_liquidity -= amount;
        Ok(scaled)
    }

    /// Tokens owed for a position of `scaled_debt` (rounded up), in `u128`: after years at a
    /// high rate a debt can exceed what a `u64` balance counts, and must still be valued,
    /// liquidated and written off.
    pub fn owed_tokens(&self, scaled_debt: u128) -> Result<u128> {
        shares::debt_units_ceil(scaled_debt, self.borrow_index).or_err()
    }

    /// Books a repayment of at most `amount` tokens against a position of `scaled_debt`;
    /// returns `(tokens to pay, scaled debt removed)`. Paying the whole debt or more settles
    /// the position exactly.
    pub fn repay(&mut self, amount: u64, scaled_debt: u128) -> Result<(u64, u128)> {
        require!(amount > 0, BallastError::ZeroAmount);
        // Owed is compared in `u128`: a debt beyond `u64::MAX` units stays partially repayable.
        let owed = shares::debt_units_ceil(scaled_debt, self.borrow_index).or_err()?;
        // "All" means all: a debt one transfer cannot move is refused, not partly repaid.
        require!(
            amount != u64::MAX || owed <= u128::from(u64::MAX),
            BallastError::RepayAllExceedsOneTransfer
        );
        let (paid, removed) = if u128::from(amount) >= owed {
            (to_u64(owed).or_err()?, scaled_debt)
        } else {
            (
                amount,
                shares::scaled_debt_for_repay_floor(amount, self.borrow_index)
                    .or_err()?
                    .min(scaled_debt),
            )
        };
        self.total_scaled_debt = sub(self.total_scaled_debt, removed).or_err()?;
        self.available_liquidity = self
            .available_liquidity
            .checked_add(paid)
            .ok_or(BallastError::MathOverflow)?;
        Ok((paid, removed))
    }

    /// Writes off a position of `scaled_debt` as bad debt: the fund pays first, depositors
    /// absorb the rest by a lower share value. A loss beyond all deposits freezes the reserve.
    pub fn write_off(&mut self, scaled_debt: u128) -> Result<(u128, BadDebtSplit)> {
        let debt_before = self.debt_wad()?;
        let assets_before = self.supply_assets_wad()?;
        self.total_scaled_debt = sub(self.total_scaled_debt, scaled_debt).or_err()?;
        let written_off = sub(debt_before, self.debt_wad()?).or_err()?;
        let split =
            split_bad_debt(written_off, self.pending_insurance_wad, self.fund_balance).or_err()?;
        self.pending_insurance_wad -= split.from_pending_insurance_wad;
        self.fund_balance -= split.from_fund_tokens;
        self.fund_receivable = self
            .fund_receivable
            .checked_add(split.from_fund_tokens)
            .ok_or(BallastError::MathOverflow)?;
        self.cumulative_fund_covered_wad = self
            .cumulative_fund_covered_wad
            .saturating_add(split.covered_wad(written_off));
        self.cumulative_socialized_wad = self
            .cumulative_socialized_wad
            .saturating_add(split.socialized_wad);
        if split.socialized_wad >= assets_before && split.socialized_wad > 0 {
            // Depositors are wiped out; what the books still owe beyond them comes out of
            // unclaimed protocol fees so the books stay balanced, and the reserve freezes.
            let gross = self.gross_assets_wad()?;
            self.protocol_fees_wad = self
                .protocol_fees_wad
                .min(gross.saturating_sub(self.pending_insurance_wad));
            self.status = RESERVE_FROZEN;
        }
        Ok((written_off, split))
    }

    /// Books a contribution of `amount` tokens to the fund.
    pub fn contribute_to_fund(&mut self, amount: u64) -> Result<()> {
        require!(amount > 0, BallastError::ZeroAmount);
        self.fund_balance = self
            .fund_balance
            .checked_add(amount)
            .ok_or(BallastError::MathOverflow)?;
        self.cumulative_fund_contributions = self
            .cumulative_fund_contributions
            .checked_add(amount)
            .ok_or(BallastError::MathOverflow)?;
        Ok(())
    }

    /// Books the sweep of fees and fund flows; returns
    /// `(fees to treasury, insurance into fund vault, receivable into liquidity vault)`,
    /// each bounded by the free liquidity it draws on.
    pub fn sweep(&mut self) -> Result<(u64, u64, u64)> {
        let receivable = self.fund_receivable;
        self.fund_receivable = 0;
        self.available_liquidity = self
            .available_liquidity
            .checked_add(receivable)
            .ok_or(BallastError::MathOverflow)?;
        let insurance = to_u64(self.pending_insurance_wad / WAD)
            .or_err()?
            .min(self.payable_liquidity());
        self.available_liquidity -= insurance;
        self.pending_insurance_wad -= u128::from(insurance) * WAD;
        self.fund_balance = self
            .fund_balance
            .checked_add(insurance)
            .ok_or(BallastError::MathOverflow)?;
        let fees = to_u64(self.protocol_fees_wad / WAD)
            .or_err()?
            .min(self.payable_liquidity());
        self.available_liquidity -= fees;
        self.protocol_fees_wad -= u128::from(fees) * WAD;
        Ok((fees, insurance, receivable))
    }
}
