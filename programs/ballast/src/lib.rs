//! Ballast: collateralized lending with oracle-priced health, permissionless liquidation and
//! a per-asset bad-debt fund. This file is the table of contents; each instruction lives in
//! its own file under `instructions/`, the money math in `math/` (pure), prices in `oracle/`.
#![allow(unexpected_cfgs)]

use anchor_lang::prelude::*;

pub mod errors;
pub mod events;
pub mod instructions;
pub mod math;
pub mod oracle;
pub mod state;
pub mod valuation;

use instructions::*;
use state::ReserveConfig;

declare_id!("92Qrq456joLG5KWvmpfzmBqKsYMHbqaQrV6ZmemizeHR");

#[program]
pub mod ballast {
    use super::*;

    /// Creates a market; the creator becomes its admin.
    pub fn init_market(ctx: Context<InitMarket>, args: InitMarketArgs) -> Result<()> {
        instructions::init_market::handle_init_market(ctx, args)
    }

    /// Changes a market setting: admin transfer (two steps), authorities, oracles, liquidation
    /// settings, pause flags.
    pub fn update_market(ctx: Context<UpdateMarket>, update: MarketUpdate) -> Result<()> {
        instructions::update_market::handle_update_market(ctx, update)
    }

    /// Lists an asset: the reserve, its liquidity vault and its bad-debt fund vault.
    pub fn init_reserve(ctx: Context<InitReserve>, config: ReserveConfig) -> Result<()> {
        instructions::init_reserve::handle_init_reserve(ctx, config)
    }

    /// Replaces a reserve's config or pause flags (the risk authority may only tighten).
    pub fn update_reserve_config(
        ctx: Context<UpdateReserveConfig>,
        update: ReserveUpdate,
    ) -> Result<()> {
        instructions::update_reserve_config::handle_update_reserve_config(ctx, update)
    }

    /// Opens an empty obligation for the signer.
    pub fn init_obligation(ctx: Context<InitObligation>, index: u8) -> Result<()> {
        instructions::init_obligation::handle_init_obligation(ctx, index)
    }

    /// Closes an empty obligation and returns its rent.
    pub fn close_obligation(ctx: Context<CloseObligation>) -> Result<()> {
        instructions::close_obligation::handle_close_obligation(ctx)
    }

    /// Supplies tokens to a reserve in exchange for shares held in the obligation.
    pub fn deposit(ctx: Context<Deposit>, amount: u64) -> Result<()> {
        instructions::deposit::handle_deposit(ctx, amount)
    }

    /// Redeems supplied tokens (`u64::MAX`: all); checks the borrow limit when in debt.
    pub fn withdraw<'info>(ctx: Context<'info, Withdraw<'info>>, amount: u64) -> Result<()> {
        instructions::withdraw::handle_withdraw(ctx, amount)
    }

    /// Borrows tokens against the obligation's collateral.
    pub fn borrow<'info>(ctx: Context<'info, Borrow<'info>>, amount: u64) -> Result<()> {
        instructions::borrow::handle_borrow(ctx, amount)
    }

    /// Repays debt, by anyone (`u64::MAX`: exactly all of it). Never paused, reads no price.
    pub fn repay(ctx: Context<Repay>, amount: u64) -> Result<()> {
        instructions::repay::handle_repay(ctx, amount)
    }

    /// Enables or disables a deposit as collateral.
    pub fn set_collateral<'info>(
        ctx: Context<'info, SetCollateral<'info>>,
        reserve: Pubkey,
        enabled: bool,
    ) -> Result<()> {
        instructions::set_collateral::handle_set_collateral(ctx, reserve, enabled)
    }

    /// Sweeps protocol fees to the treasury and fund flows between the vaults (anyone).
    pub fn collect_fees(ctx: Context<CollectFees>) -> Result<()> {
        instructions::collect_fees::handle_collect_fees(ctx)
    }

    /// Adds tokens to a reserve's bad-debt fund (anyone).
    pub fn fund_reserve(ctx: Context<FundReserve>, amount: u64) -> Result<()> {
        instructions::fund_reserve::handle_fund_reserve(ctx, amount)
    }

    /// Liquidates an unhealthy obligation (anyone but its owner).
    pub fn liquidate<'info>(
        ctx: Context<'info, Liquidate<'info>>,
        args: LiquidateArgs,
    ) -> Result<()> {
        instructions::liquidate::handle_liquidate(ctx, args)
    }

    /// Writes off the debt of an obligation left with no collateral of value (anyone).
    pub fn realize_bad_debt<'info>(ctx: Context<'info, RealizeBadDebt<'info>>) -> Result<()> {
        instructions::realize_bad_debt::handle_realize_bad_debt(ctx)
    }
}
