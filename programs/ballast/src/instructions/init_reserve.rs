use anchor_lang::prelude::*;
use anchor_spl::token_2022::spl_token_2022::extension::{
    BaseStateWithExtensions, ExtensionType, StateWithExtensions,
};
use anchor_spl::token_2022::spl_token_2022::state::Mint as MintState;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use crate::errors::BallastError;
use crate::events::ReserveConfigured;
use crate::math::WAD;
use crate::state::{seeds, Market, Reserve, ReserveConfig, RESERVE_ACTIVE};

/// Token-2022 mint extensions a reserve accepts: they change neither amounts nor who may move
/// tokens, and the mint cannot change after listing. Anything else (transfer fees, hooks,
/// permanent delegates, pausing, default-frozen accounts, non-transferable, confidential
/// transfers…) is refused, and so is `MintCloseAuthority`: a mint that can be closed can be
/// re-created at the same address with other extensions (a permanent delegate), after the
/// check below has passed (issue 9, item 7).
const ALLOWED_MINT_EXTENSIONS: [ExtensionType; 6] = [
    ExtensionType::MetadataPointer,
    ExtensionType::TokenMetadata,
    ExtensionType::GroupPointer,
    ExtensionType::TokenGroup,
    ExtensionType::GroupMemberPointer,
    ExtensionType::TokenGroupMember,
];

/// Most decimals a listed mint may have: every balance is a `u64` of base units, so 9 decimals
/// leave room for 18.4 billion whole tokens; 18 would leave 18.4 (issue 9, item 11).
pub const MAX_MINT_DECIMALS: u8 = 9;

#[derive(Accounts)]
pub struct InitReserve<'info> {
    /// The market admin; pays for the reserve and its vaults.
    #[account(mut)]
    pub admin: Signer<'info>,
    #[account(
        has_one = admin @ BallastError::NotAdmin,
        seeds = [seeds::MARKET, market.creator.as_ref(), market.index.to_le_bytes().as_ref()],
        bump = market.bump
    )]
    pub market: Account<'info, Market>,
    #[account(mint::token_program = token_program)]
    pub mint: InterfaceAccount<'info, Mint>,
    #[account(
        init,
        payer = admin,
        space = 8 + Reserve::INIT_SPACE,
        seeds = [seeds::RESERVE, market.key().as_ref(), mint.key().as_ref()],
        bump
    )]
    pub reserve: Account<'info, Reserve>,
    #[account(
        init,
        payer = admin,
        seeds = [seeds::LIQUIDITY_VAULT, reserve.key().as_ref()],
        bump,
        token::mint = mint,
        token::authority = reserve,
        token::token_program = token_program
    )]
    pub liquidity_vault: InterfaceAccount<'info, TokenAccount>,
    #[account(
        init,
        payer = admin,
        seeds = [seeds::FUND_VAULT, reserve.key().as_ref()],
        bump,
        token::mint = mint,
        token::authority = reserve,
        token::token_program = token_program
    )]
    pub fund_vault: InterfaceAccount<'info, TokenAccount>,
    pub token_program: Interface<'info, TokenInterface>,
    pub system_program: Program<'info, System>,
}

/// Refuses Token-2022 mints with extensions outside `ALLOWED_MINT_EXTENSIONS`.
fn require_supported_mint(mint: &AccountInfo) -> Result<()> {
    if *mint.owner != anchor_spl::token_2022::ID {
        return Ok(());
    }
    let data = mint.try_borrow_data()?;
    let state = StateWithExtensions::<MintState>::unpack(&data)
        .map_err(|_| error!(BallastError::UnsupportedMintExtension))?;
    let extensions = state
        .get_extension_types()
        .map_err(|_| error!(BallastError::UnsupportedMintExtension))?;
    require!(
        extensions
            .iter()
            .all(|extension| ALLOWED_MINT_EXTENSIONS.contains(extension)),
        BallastError::UnsupportedMintExtension
    );
    Ok(())
}

pub fn handle_init_reserve(ctx: Context<InitReserve>, config: ReserveConfig) -> Result<()> {
    config.validate()?;
    if config.emode_category != 0 {
        ctx.accounts.market.emode_category(config.emode_category)?;
    }
    require!(
        ctx.accounts.mint.decimals <= MAX_MINT_DECIMALS,
        BallastError::UnsupportedMintDecimals
    );
    require_supported_mint(&ctx.accounts.mint.to_account_info())?;
    let now = Clock::get()?.unix_timestamp;
    let accounts = &mut *ctx.accounts;
    accounts.reserve.set_inner(Reserve {
        market: accounts.market.key(),
        mint: accounts.mint.key(),
        token_program: accounts.token_program.key(),
        liquidity_vault: accounts.liquidity_vault.key(),
        fund_vault: accounts.fund_vault.key(),
        decimals: accounts.mint.decimals,
        bump: ctx.bumps.reserve,
        status: RESERVE_ACTIVE,
        pause_flags: 0,
        config,
        available_liquidity: 0,
        total_scaled_debt: 0,
        borrow_index: WAD,
        total_shares: 0,
        protocol_fees_wad: 0,
        pending_insurance_wad: 0,
        fund_balance: 0,
        fund_receivable: 0,
        cumulative_fund_covered_wad: 0,
        cumulative_socialized_wad: 0,
        cumulative_interest_wad: 0,
        cumulative_protocol_fees_wad: 0,
        cumulative_insurance_wad: 0,
        cumulative_fund_contributions: 0,
        last_accrual_ts: now,
        last_oracle_publish_time: 0,
        last_price_source: 0,
        liquidity_vault_bump: ctx.bumps.liquidity_vault,
        fund_vault_bump: ctx.bumps.fund_vault,
        flash_loan_amount: 0,
        flash_loan_fee: 0,
        cumulative_flash_loan_fees: 0,
        isolated_debt: 0,
        reserved: [0; 1],
    });
    emit!(ReserveConfigured {
        market: accounts.market.key(),
        reserve: accounts.reserve.key(),
        by_admin: true,
        pause_flags: 0,
        ltv_bps: config.ltv_bps,
        liquidation_threshold_bps: config.liquidation_threshold_bps,
        supply_cap: config.supply_cap,
        borrow_cap: config.borrow_cap,
    });
    Ok(())
}
