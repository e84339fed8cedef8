//! Every rejection Ballast can return. Codes are `6000 + position`: append, never reorder.

use anchor_lang::prelude::*;

use crate::math::liquidation::LiquidationError;
use crate::math::MathError;

#[error_code]
pub enum BallastError {
    /// 6000: an arithmetic result does not fit its type.
    #[msg("arithmetic overflow")]
    MathOverflow,
    /// 6001: a division by zero was requested.
    #[msg("division by zero")]
    DivisionByZero,
    /// 6002: the amount is zero.
    #[msg("amount must be greater than zero")]
    ZeroAmount,
    /// 6003: the signer is not the market admin.
    #[msg("signer is not the market admin")]
    NotAdmin,
    /// 6004: the signer is neither the admin nor the risk authority.
    #[msg("signer is neither the admin nor the risk authority")]
    NotRiskAuthority,
    /// 6005: the risk authority tried to loosen a parameter or unpause.
    #[msg("the risk authority may only pause and tighten")]
    RiskAuthorityMayOnlyTighten,
    /// 6006: there is no pending admin, or the signer is not it.
    #[msg("signer is not the pending admin")]
    NotPendingAdmin,
    /// 6007: a config value breaks a bound of the risk model.
    #[msg("reserve config out of bounds")]
    InvalidConfig,
    /// 6008: a market setting breaks a bound.
    #[msg("market config out of bounds")]
    InvalidMarketConfig,
    /// 6009: the mint has a Token-2022 extension Ballast cannot hold safely.
    #[msg("mint has an unsupported Token-2022 extension")]
    UnsupportedMintExtension,
    /// 6010: the action is paused on this reserve or market.
    #[msg("action paused")]
    ActionPaused,
    /// 6011: the reserve's losses exceeded its deposits; it only accepts repay and withdraw.
    #[msg("reserve frozen after a loss larger than its deposits")]
    ReserveFrozen,
    /// 6012: the deposit would take the reserve over its supply cap.
    #[msg("supply cap exceeded")]
    SupplyCapExceeded,
    /// 6013: the borrow would take the reserve over its borrow cap.
    #[msg("borrow cap exceeded")]
    BorrowCapExceeded,
    /// 6014: the reserve has too little free liquidity.
    #[msg("insufficient liquidity in reserve")]
    InsufficientLiquidity,
    /// 6015: the obligation has no free deposit slot.
    #[msg("obligation deposit slots are full")]
    DepositSlotsFull,
    /// 6016: the obligation has no free borrow slot.
    #[msg("obligation borrow slots are full")]
    BorrowSlotsFull,
    /// 6017: the obligation holds no deposit in this reserve.
    #[msg("no deposit in this reserve")]
    NoDepositInReserve,
    /// 6018: the obligation holds no borrow in this reserve.
    #[msg("no borrow in this reserve")]
    NoBorrowInReserve,
    /// 6019: withdrawal larger than the position.
    #[msg("withdrawal exceeds deposit")]
    WithdrawExceedsDeposit,
    /// 6020: the obligation would end above its borrow limit.
    #[msg("borrow limit exceeded")]
    BorrowLimitExceeded,
    /// 6021: the obligation still holds positions.
    #[msg("obligation is not empty")]
    ObligationNotEmpty,
    /// 6022: remaining accounts do not match the obligation's positions.
    #[msg(
        "remaining accounts must be each position's reserve and oracle, once, in canonical order"
    )]
    InvalidRemainingAccounts,
    /// 6023: the reserve belongs to another market.
    #[msg("reserve belongs to another market")]
    WrongMarket,
    /// 6024: a token account or mint does not match the reserve.
    #[msg("mint does not match the reserve")]
    WrongMint,
    /// 6025: a vault account is not the reserve's.
    #[msg("vault does not belong to the reserve")]
    WrongVault,
    /// 6026: the treasury token account is not owned by the market's fee receiver.
    #[msg("wrong fee receiver")]
    WrongFeeReceiver,
    /// 6027: the token program is not the reserve's.
    #[msg("wrong token program")]
    WrongTokenProgram,
    /// 6028: oracle price is older than the policy's max age.
    #[msg("oracle price is stale")]
    OracleStale,
    /// 6029: oracle publish time is in the future.
    #[msg("oracle price is from the future")]
    OracleFuture,
    /// 6030: oracle price (or EMA) is zero or negative.
    #[msg("oracle price is not positive")]
    OracleNonPositive,
    /// 6031: confidence interval wider than the policy allows.
    #[msg("oracle confidence too wide")]
    OracleConfidence,
    /// 6032: the legacy feed's status is not trading.
    #[msg("oracle status is not trading")]
    OracleNotTrading,
    /// 6033: the oracle account is not the one configured for the reserve.
    #[msg("wrong oracle account")]
    OracleWrongAccount,
    /// 6034: the oracle account is not owned by the trusted oracle program.
    #[msg("oracle account has the wrong owner")]
    OracleWrongOwner,
    /// 6035: the oracle account's data does not parse.
    #[msg("oracle account data unparsable")]
    OracleUnparsable,
    /// 6036: the price exponent is out of the supported range.
    #[msg("oracle exponent out of range")]
    OracleExponentOutOfRange,
    /// 6037: the pull update is for another feed id.
    #[msg("oracle feed id mismatch")]
    OracleFeedMismatch,
    /// 6038: the pull update is not fully verified.
    #[msg("oracle update insufficiently verified")]
    OracleInsufficientVerification,
    /// 6039: the pull update is older than one this reserve already used.
    #[msg("oracle update older than the last one used")]
    OracleOlderThanLastUsed,
    /// 6040: the obligation is healthy under liquidation prices.
    #[msg("obligation is healthy")]
    ObligationHealthy,
    /// 6041: the owner may not liquidate their own obligation.
    #[msg("self-liquidation is not allowed")]
    SelfLiquidation,
    /// 6042: the liquidation would leave a debt position below the dust value.
    #[msg("liquidation would leave dust")]
    LiquidationWouldLeaveDust,
    /// 6043: nothing can be repaid with this request.
    #[msg("nothing to liquidate")]
    NothingToLiquidate,
    /// 6044: the liquidator would receive less than `min_collateral_out`.
    #[msg("collateral out below the liquidator's minimum")]
    SlippageExceeded,
    /// 6045: the liquidation would not improve the obligation's health.
    #[msg("liquidation did not improve health")]
    HealthNotImproved,
    /// 6046: the obligation still holds collateral of value, or holds no debt.
    #[msg("obligation is not insolvent")]
    NotInsolvent,
    /// 6047: a reserve that must be written is passed read-only.
    #[msg("reserve account must be writable")]
    ReserveNotWritable,
    /// 6048: the same obligation is passed twice.
    #[msg("obligations must differ")]
    DuplicateObligation,
    /// 6049: `receive_shares` was requested without the liquidator's obligation.
    #[msg("liquidator obligation required to receive shares")]
    LiquidatorObligationRequired,
    /// 6050: the obligation has debt; a price is needed.
    #[msg("collateral cannot be disabled into an unhealthy position")]
    CollateralStillNeeded,
    /// 6051: the vault balance moved differently from the accounting.
    #[msg("vault balance does not match the accounting")]
    VaultBalanceMismatch,
    /// 6052: the oracle source chosen in the config is unknown.
    #[msg("unknown oracle source")]
    UnknownOracleSource,
    /// 6053: the reserve and collateral reserve are the same where they must differ.
    #[msg("reserve passed in the wrong role")]
    WrongReserve,
    /// 6054: the signer does not own the obligation.
    #[msg("signer does not own the obligation")]
    NotObligationOwner,
    /// 6055: a liquidation paid in tokens needs the liquidator's collateral token account.
    #[msg("collateral destination token account required")]
    CollateralDestinationRequired,
    /// 6056: an obligation may hold a reserve as a deposit or as a debt, never both.
    #[msg("an obligation cannot both deposit into and borrow from one reserve")]
    SameReserveDepositAndBorrow,
    /// 6057: a reserve's own vault (liquidity or fund, of any reserve) passed as a user's
    /// token account.
    #[msg("a reserve vault cannot be used as a user's token account")]
    ProtocolVaultNotAllowed,
    /// 6058: "repay all" (`u64::MAX`) on a debt larger than one transfer can move.
    #[msg("the debt exceeds what one transfer can repay; repay part of it")]
    RepayAllExceedsOneTransfer,
    /// 6059: below its buffer an obligation is liquidated only by closing a position.
    #[msg("below its buffer a liquidation must repay the whole borrow or take the whole collateral: raise max_repay")]
    LiquidationMustClosePosition,
    /// 6060: the mint has more decimals than a reserve supports.
    #[msg("mint decimals above the supported maximum")]
    UnsupportedMintDecimals,
    /// 6061: a flash loan instruction reached through another program (CPI); both ends of a
    /// flash loan must be top-level instructions of the transaction.
    #[msg("flash loans must be top-level instructions, not reached through another program")]
    FlashLoanThroughCpi,
    /// 6062: no `flash_repay` of this reserve follows the `flash_borrow` in the transaction.
    #[msg("no flash_repay for this reserve later in the transaction")]
    FlashRepayMissing,
    /// 6063: the `flash_repay` amount is not the borrowed amount plus the fee.
    #[msg("flash_repay must repay exactly the borrowed amount plus the fee")]
    FlashRepayAmountMismatch,
    /// 6064: a second flash borrow of the reserve before the first is repaid.
    #[msg("a flash loan of this reserve is already open: nested or overlapping flash loans are refused")]
    FlashLoanNested,
    /// 6065: `flash_repay` with no flash loan of the reserve open in this transaction.
    #[msg("no flash loan of this reserve is open")]
    FlashLoanNotOpen,
    /// 6066: the account passed as the instructions sysvar is not it.
    #[msg("the instructions sysvar account is required")]
    WrongInstructionsSysvar,
    /// 6067: an e-mode category outside its bounds (`EmodeCategory::validate`).
    #[msg("e-mode category parameters out of bounds")]
    InvalidEmodeCategory,
    /// 6068: an e-mode category id that is not listed in the market.
    #[msg("no such e-mode category in this market")]
    EmodeCategoryNotListed,
    /// 6069: enabling collateral that would put an isolated collateral beside another.
    #[msg("isolated collateral must be the obligation's only enabled collateral")]
    IsolatedCollateralMustBeAlone,
    /// 6070: borrowing, against isolated collateral, a reserve not borrowable in isolation.
    #[msg("this reserve cannot be borrowed against isolated collateral")]
    NotBorrowableInIsolation,
    /// 6071: the borrow would lift the isolated collateral's debt above its ceiling.
    #[msg("the isolated collateral's debt ceiling would be exceeded")]
    DebtCeilingExceeded,
    /// 6072: in e-mode, borrowing (or holding a borrow of) a reserve outside the category.
    #[msg("in e-mode an obligation borrows only reserves of its category")]
    EmodeBorrowNotInCategory,
    /// 6073: changing whether a reserve is isolated while it has supply.
    #[msg("whether a reserve is isolated can change only while it has no supply")]
    IsolationFixedWhileSupplied,
    /// 6074: the isolated reserve account is missing or is not the obligation's isolated
    /// collateral.
    #[msg("the obligation's isolated collateral reserve is required, writable")]
    WrongIsolatedReserve,
    /// 6075: the Switchboard feed's result aggregates fewer oracle responses than the reserve
    /// requires (or has no result).
    #[msg("the oracle result has fewer responses than required")]
    OracleTooFewResponses,
    /// 6076: the reserve's primary and fallback prices both pass the policy but differ by more
    /// than its `max_oracle_deviation_bps`: no new risk until they agree (a liquidation uses the
    /// more conservative of the two).
    #[msg("the primary and fallback oracle prices disagree")]
    OracleSourcesDisagree,
}

impl From<MathError> for BallastError {
    fn from(error: MathError) -> Self {
        match error {
            MathError::Overflow => BallastError::MathOverflow,
            MathError::DivisionByZero => BallastError::DivisionByZero,
        }
    }
}

impl From<LiquidationError> for BallastError {
    fn from(error: LiquidationError) -> Self {
        match error {
            LiquidationError::Math(math) => math.into(),
            LiquidationError::WouldLeaveDust => BallastError::LiquidationWouldLeaveDust,
            LiquidationError::NothingToRepay => BallastError::NothingToLiquidate,
            LiquidationError::MustClosePosition => BallastError::LiquidationMustClosePosition,
        }
    }
}

/// Lifts a pure-math result into the program's error type.
pub trait MathResultExt<T> {
    /// Maps a math error to its named program error.
    fn or_err(self) -> Result<T>;
}

impl<T, E: Into<BallastError>> MathResultExt<T> for core::result::Result<T, E> {
    fn or_err(self) -> Result<T> {
        self.map_err(|error| {
            let code: BallastError = error.into();
            error!(code)
        })
    }
}
