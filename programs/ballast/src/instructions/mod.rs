//! One file per instruction: its accounts, its arguments and a short handler.

pub mod borrow;
pub mod close_obligation;
pub mod collect_fees;
pub mod deposit;
pub mod flash_loan;
pub mod fund_reserve;
pub mod init_market;
pub mod init_obligation;
pub mod init_reserve;
pub mod liquidate;
pub mod realize_bad_debt;
pub mod repay;
pub mod set_collateral;
pub mod set_emode;
pub mod token;
pub mod update_market;
pub mod update_reserve_config;
pub mod withdraw;

pub use borrow::*;
pub use close_obligation::*;
pub use collect_fees::*;
pub use deposit::*;
pub use flash_loan::*;
pub use fund_reserve::*;
pub use init_market::*;
pub use init_obligation::*;
pub use init_reserve::*;
pub use liquidate::*;
pub use realize_bad_debt::*;
pub use repay::*;
pub use set_collateral::*;
pub use set_emode::*;
pub use update_market::*;
pub use update_reserve_config::*;
pub use withdraw::*;
