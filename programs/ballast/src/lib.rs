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

// What explorers and auditors read from the deployed program (`.security.txt` section). Stated
// as it is: no audit has been done, and the project has no public home yet (docs/security.md).
// Left out only of the `cpi` build (another program linking this crate), so that the program's
// own tests read the same bytes the deployed program carries.
#[cfg(not(feature = "cpi"))]
solana_security_txt::security_txt! {
    name: "Ballast",
    project_url: "no public URL yet: the repository is private until the first deployment",
    contacts: "email:maintainers@users.noreply.r-seed-6a3ae88e.example",
    policy: "Report vulnerabilities privately to the contact above, never in public issues. We acknowledge within 3 days and keep you informed; no bug bounty yet. Testing against a live deployment needs our written consent; use a local validator (cargo run -p ballast-localnet).",
    preferred_languages: "en",
    source_code: "no public URL yet (see project_url)",
    auditors: "None: Ballast has not been audited by a third party. The local test suite (cargo test --workspace) is what reviewers can run.",
    acknowledgements: "None yet."
}

#[cfg(all(test, not(feature = "cpi")))]
mod security_txt_tests {
    /// The section as explorers parse it: NUL-separated `key, value` pairs between the markers.
    #[test]
    fn the_embedded_security_txt_states_contact_policy_and_audit_status() {
        let text: &str = super::SECURITY_TXT;
        let body = text
            .strip_prefix("=======BEGIN SECURITY.TXT V1=======\0")
            .and_then(|t| t.strip_suffix("=======END SECURITY.TXT V1=======\0"))
            .expect("the security.txt markers");
        let parts: Vec<&str> = body.trim_end_matches('\0').split('\0').collect();
        let fields: std::collections::BTreeMap<&str, &str> =
            parts.chunks(2).map(|kv| (kv[0], kv[1])).collect();
        for required in ["name", "project_url", "contacts", "policy"] {
            assert!(!fields[required].is_empty(), "{required} is empty");
        }
        assert_eq!(fields["name"], "Ballast");
        assert!(fields["contacts"].starts_with("email:"));
        assert!(fields["auditors"].starts_with("None"));
    }
}

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

    /// Enters, changes or leaves (0) an efficiency-mode category; refused if the borrow limit
    /// under the new parameters no longer covers the debt.
    pub fn set_emode<'info>(ctx: Context<'info, SetEmode<'info>>, category: u8) -> Result<()> {
        instructions::set_emode::handle_set_emode(ctx, category)
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

    /// Lends `amount` of the reserve's free liquidity until a `flash_repay` of `amount` plus the
    /// fee later in the same transaction (top-level instructions only).
    pub fn flash_borrow(ctx: Context<FlashBorrow>, amount: u64) -> Result<()> {
        instructions::flash_loan::handle_flash_borrow(ctx, amount)
    }

    /// Repays the transaction's open flash loan of the reserve: `amount` is the borrowed amount
    /// plus the fee. Never paused.
    pub fn flash_repay(ctx: Context<FlashRepay>, amount: u64) -> Result<()> {
        instructions::flash_loan::handle_flash_repay(ctx, amount)
    }

    /// Writes off the debt of an obligation left with no collateral of value (anyone).
    pub fn realize_bad_debt<'info>(ctx: Context<'info, RealizeBadDebt<'info>>) -> Result<()> {
        instructions::realize_bad_debt::handle_realize_bad_debt(ctx)
    }
}
