//! The fixtures that hold `@ballast/client` (clients/js) equal to this crate's client: every
//! instruction's bytes and account metas with representative arguments, encoded accounts with
//! their fields, derived addresses, and whole-operation plans. Written to
//! `clients/js/test/fixtures/ballast.json` and checked for staleness like the IDL:
//! `BALLAST_UPDATE_FIXTURES=1 cargo test --workspace --test clients` rewrites them.
//!
//! Field values come from the program's own types (Borsh-serialized by Anchor) and are read
//! back through the committed IDL, so a field the TypeScript side decodes differently fails
//! there, and a drift between the program and the IDL fails here.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anchor_lang::prelude::{AccountMeta, Pubkey};
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::{AccountDeserialize, AccountSerialize, Discriminator, Space};
use ballast::instructions::{InitMarketArgs, LiquidateArgs, MarketUpdate, ReserveUpdate};
use ballast::math::WAD;
use ballast::state::{Market, Obligation, ObligationBorrow, ObligationDeposit, Reserve};
use ballast_client::{self as client, plans, LiquidationAccounts, OracleKeys, ReserveKeys};
use ballast_tests::fixture::{
    default_liquidation_config, default_reserve_config, fallback_feed_id, feed_id, oracle_config,
    OracleKind,
};
use serde_json::{json, Map, Value};

fn key(n: u8) -> Pubkey {
    let mut bytes = [n; 32];
    bytes[0] = 0xba;
    Pubkey::new_from_array(bytes)
}

fn fixtures_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../clients/js/test/fixtures/ballast.json")
}

fn idl() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../idl/ballast.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn camel(snake: &str) -> String {
    let mut out = String::new();
    for (i, part) in snake.split('_').enumerate() {
        if i == 0 {
            out.push_str(part);
        } else {
            let mut chars = part.chars();
            if let Some(first) = chars.next() {
                out.extend(first.to_uppercase());
                out.push_str(chars.as_str());
            }
        }
    }
    out
}

/// Reads one value of IDL type `ty` from `bytes`, as JSON: integers up to 32 bits as numbers,
/// wider ones as decimal strings, public keys in base58, `[u8; N]` as number arrays, structs as
/// objects with camelCase keys, enums as `{"__kind": variant, ...fields}` (tuple variants:
/// `"fields": [...]`), which is how Codama's TypeScript names them.
fn read(idl: &Value, ty: &Value, bytes: &mut &[u8]) -> Value {
    let mut take = |n: usize| -> Vec<u8> {
        assert!(bytes.len() >= n, "data too short for {ty}");
        let (head, tail) = bytes.split_at(n);
        *bytes = tail;
        head.to_vec()
    };
    if let Some(name) = ty.as_str() {
        return match name {
            "u8" => json!(take(1)[0]),
            "bool" => json!(take(1)[0] != 0),
            "u16" => json!(u16::from_le_bytes(take(2).try_into().unwrap())),
            "u32" => json!(u32::from_le_bytes(take(4).try_into().unwrap())),
            "u64" => json!(u64::from_le_bytes(take(8).try_into().unwrap()).to_string()),
            "i64" => json!(i64::from_le_bytes(take(8).try_into().unwrap()).to_string()),
            "u128" => json!(u128::from_le_bytes(take(16).try_into().unwrap()).to_string()),
            "pubkey" => json!(Pubkey::new_from_array(take(32).try_into().unwrap()).to_string()),
            "string" => {
                let len = u32::from_le_bytes(take(4).try_into().unwrap()) as usize;
                json!(String::from_utf8(take(len)).unwrap())
            }
            other => panic!("IDL type {other} not handled"),
        };
    }
    if let Some([inner, len]) = ty
        .get("array")
        .and_then(Value::as_array)
        .map(|a| [&a[0], &a[1]])
    {
        let len = len.as_u64().unwrap() as usize;
        return Value::Array((0..len).map(|_| read(idl, inner, bytes)).collect());
    }
    if let Some(inner) = ty.get("option") {
        return match read(idl, &json!("u8"), bytes).as_u64().unwrap() {
            0 => Value::Null,
            _ => read(idl, inner, bytes),
        };
    }
    let name = ty["defined"]["name"].as_str().expect("a defined type");
    let def = idl["types"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("type {name} not in the IDL"));
    match def["type"]["kind"].as_str().unwrap() {
        "struct" => read_fields(idl, &def["type"]["fields"], bytes, Map::new()),
        "enum" => {
            let index = read(idl, &json!("u8"), bytes).as_u64().unwrap() as usize;
            let variant = &def["type"]["variants"][index];
            let mut object = Map::new();
            object.insert("__kind".into(), variant["name"].clone());
            read_fields(idl, &variant["fields"], bytes, object)
        }
        kind => panic!("type kind {kind} not handled"),
    }
}

fn read_fields(
    idl: &Value,
    fields: &Value,
    bytes: &mut &[u8],
    mut object: Map<String, Value>,
) -> Value {
    let Some(fields) = fields.as_array() else {
        return Value::Object(object);
    };
    if fields.first().is_some_and(|f| f.get("name").is_none()) {
        let tuple = fields.iter().map(|ty| read(idl, ty, bytes)).collect();
        object.insert("fields".into(), Value::Array(tuple));
    } else {
        for field in fields {
            object.insert(
                camel(field["name"].as_str().unwrap()),
                read(idl, &field["type"], bytes),
            );
        }
    }
    Value::Object(object)
}

fn meta_json(meta: &AccountMeta) -> Value {
    json!({ "address": meta.pubkey.to_string(), "signer": meta.is_signer, "writable": meta.is_writable })
}

fn instruction_json(ix: &Instruction) -> Value {
    json!({
        "programAddress": ix.program_id.to_string(),
        "metas": ix.accounts.iter().map(meta_json).collect::<Vec<_>>(),
        "data": hex(&ix.data),
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One instruction as the fixture names it: its IDL accounts by camelCase name, its arguments
/// read through the IDL, the remaining accounts, and the exact metas and data.
fn instruction_fixture(idl: &Value, ix: &Instruction) -> Value {
    let entry = idl["instructions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| {
            let discriminator: Vec<u8> =
                serde_json::from_value(i["discriminator"].clone()).unwrap();
            ix.data.starts_with(&discriminator)
        })
        .expect("an instruction of the IDL");
    let named = entry["accounts"].as_array().unwrap();
    let mut accounts = Map::new();
    let mut signers = vec![];
    for (account, meta) in named.iter().zip(&ix.accounts) {
        let name = camel(account["name"].as_str().unwrap());
        let absent = account["optional"].as_bool().unwrap_or(false) && meta.pubkey == ballast::ID;
        if absent {
            continue;
        }
        if account["signer"].as_bool().unwrap_or(false) {
            signers.push(name.clone());
        }
        accounts.insert(name, json!(meta.pubkey.to_string()));
    }
    let mut data = &ix.data[8..];
    let args = read_fields(idl, &entry["args"], &mut data, Map::new());
    assert!(data.is_empty(), "{} has trailing data", entry["name"]);
    json!({
        "name": camel(entry["name"].as_str().unwrap()),
        "accounts": accounts,
        "signers": signers,
        "args": args,
        "remaining": ix.accounts[named.len()..].iter().map(meta_json).collect::<Vec<_>>(),
        "metas": ix.accounts.iter().map(meta_json).collect::<Vec<_>>(),
        "data": hex(&ix.data),
    })
}

fn account_fixture<T: AccountSerialize + Discriminator>(
    idl: &Value,
    name: &str,
    address: &Pubkey,
    account: &T,
) -> Value {
    let mut bytes = vec![];
    account.try_serialize(&mut bytes).unwrap();
    let mut data = &bytes[8..];
    let ty = json!({ "defined": { "name": name } });
    let fields = read(idl, &ty, &mut data);
    assert!(data.is_empty(), "{name} has trailing bytes");
    json!({
        "name": camel(&name[..1].to_lowercase()) + &name[1..],
        "address": address.to_string(),
        "data": hex(&bytes),
        "fields": fields,
    })
}

/// An account of type `T` with every byte zero, to fill in.
fn zeroed<T: AccountDeserialize + Space>() -> T {
    let bytes = vec![0u8; 8 + T::INIT_SPACE];
    T::try_deserialize_unchecked(&mut &bytes[..]).unwrap()
}

struct World {
    creator: Pubkey,
    market: Pubkey,
    lender: Pubkey,
    borrower: Pubkey,
    liquidator: Pubkey,
    reserves: Vec<ReserveKeys>,
}

impl World {
    fn new() -> World {
        let creator = key(1);
        let market = client::market_address(&creator, 0);
        let token = anchor_spl::token::ID;
        let token_2022 = anchor_spl::token_2022::ID;
        let reserves = (0..4u8)
            .map(|i| {
                let program = if i == 3 { token_2022 } else { token };
                let mut keys = ReserveKeys::derive(&market, &key(10 + i), &program, &key(20 + i));
                // SOL has a Switchboard fallback: its lists carry a third account.
                if i == 1 {
                    keys.fallback_oracle = Some(key(40));
                }
                keys
            })
            .collect();
        World {
            creator,
            market,
            lender: key(2),
            borrower: key(3),
            liquidator: key(4),
            reserves,
        }
    }

    fn oracle_of(&self) -> impl Fn(&Pubkey) -> OracleKeys + '_ {
        |reserve| {
            self.reserves
                .iter()
                .find(|k| k.reserve == *reserve)
                .map(|k| OracleKeys {
                    primary: k.oracle,
                    fallback: k.fallback_oracle,
                })
                .expect("a reserve of the fixture")
        }
    }

    fn oracles(&self) -> Value {
        Value::Object(
            self.reserves
                .iter()
                .map(|k| {
                    let oracles = match k.fallback_oracle {
                        Some(fallback) => json!([k.oracle.to_string(), fallback.to_string()]),
                        None => json!(k.oracle.to_string()),
                    };
                    (k.reserve.to_string(), oracles)
                })
                .collect(),
        )
    }

    fn market_account(&self) -> Market {
        let mut market: Market = zeroed();
        market.creator = self.creator;
        market.index = 0;
        market.bump = Pubkey::find_program_address(
            &[
                ballast::state::seeds::MARKET,
                self.creator.as_ref(),
                &0u16.to_le_bytes(),
            ],
            &ballast::ID,
        )
        .1;
        market.admin = self.creator;
        market.risk_authority = key(5);
        market.fee_receiver = key(6);
        market.pyth_program = key(7);
        market.pyth_receiver_program = key(8);
        market.switchboard_program = key(41);
        market.pause_flags = 0b10;
        market.liquidation = default_liquidation_config();
        market
    }

    fn reserve_account(&self, i: usize) -> Reserve {
        let keys = &self.reserves[i];
        let mut reserve: Reserve = zeroed();
        reserve.market = self.market;
        reserve.mint = keys.mint;
        reserve.token_program = keys.token_program;
        reserve.liquidity_vault = keys.liquidity_vault;
        reserve.fund_vault = keys.fund_vault;
        reserve.decimals = [6, 9, 8, 6][i];
        reserve.bump = Pubkey::find_program_address(
            &[
                ballast::state::seeds::RESERVE,
                self.market.as_ref(),
                keys.mint.as_ref(),
            ],
            &ballast::ID,
        )
        .1;
        reserve.config = default_reserve_config(keys.oracle, i == 1, feed_id(i));
        if let Some(fallback) = keys.fallback_oracle {
            reserve.config.fallback_oracle =
                oracle_config(OracleKind::Switchboard, fallback, fallback_feed_id(i));
            reserve.config.max_oracle_deviation_bps = 150;
        }
        reserve.available_liquidity = 912_345_678_901 + i as u64;
        reserve.total_scaled_debt = 400_000_000_000 * WAD + 17;
        reserve.borrow_index = WAD + WAD / 37;
        reserve.total_shares = 1_000_000_000_000_000_000 + i as u128;
        reserve.protocol_fees_wad = 12_345 * WAD + 1;
        reserve.pending_insurance_wad = 678 * WAD + 3;
        reserve.fund_balance = 5_000_000_000;
        reserve.cumulative_socialized_wad = 3 * WAD / 7;
        reserve.last_accrual_ts = 1_790_000_000;
        reserve
    }

    fn obligation_account(
        &self,
        owner: &Pubkey,
        index: u8,
        deposits: &[(usize, u128, bool)],
        borrows: &[(usize, u128)],
    ) -> (Pubkey, Obligation) {
        let address = client::obligation_address(&self.market, owner, index);
        let mut obligation: Obligation = zeroed();
        obligation.market = self.market;
        obligation.owner = *owner;
        obligation.index = index;
        obligation.bump = Pubkey::find_program_address(
            &[
                ballast::state::seeds::OBLIGATION,
                self.market.as_ref(),
                owner.as_ref(),
                &[index],
            ],
            &ballast::ID,
        )
        .1;
        for (slot, (reserve, shares, enabled)) in deposits.iter().enumerate() {
            obligation.deposits[slot] = ObligationDeposit {
                reserve: self.reserves[*reserve].reserve,
                shares: *shares,
                collateral_enabled: *enabled,
                isolated: false,
            };
        }
        for (slot, (reserve, scaled_debt)) in borrows.iter().enumerate() {
            obligation.borrows[slot] = ObligationBorrow {
                reserve: self.reserves[*reserve].reserve,
                scaled_debt: *scaled_debt,
                isolated_debt: 0,
            };
        }
        (address, obligation)
    }
}

fn keys_json(keys: &ReserveKeys) -> Value {
    json!({
        "reserve": keys.reserve.to_string(),
        "mint": keys.mint.to_string(),
        "liquidityVault": keys.liquidity_vault.to_string(),
        "fundVault": keys.fund_vault.to_string(),
        "tokenProgram": keys.token_program.to_string(),
        "oracle": keys.oracle.to_string(),
    })
}

fn fixtures() -> Value {
    let idl = idl();
    let w = World::new();
    let (usdc, sol, btc, pyusd) = (
        &w.reserves[0],
        &w.reserves[1],
        &w.reserves[2],
        &w.reserves[3],
    );

    let (lender_key, lender) =
        w.obligation_account(&w.lender, 0, &[(0, 5_000_000 * WAD, true)], &[]);
    let (borrower_key, borrower) = w.obligation_account(
        &w.borrower,
        3,
        &[(1, 12 * WAD + 5, true), (2, WAD / 3, false)],
        &[(0, 40_000 * WAD + 99)],
    );
    let (keeper_key, keeper) = w.obligation_account(&w.liquidator, 0, &[(2, 2 * WAD, true)], &[]);
    let (full_key, full) = w.obligation_account(
        &w.liquidator,
        255,
        &[(3, 1, true), (2, 2, true), (1, 3, false)],
        &[(0, u128::MAX / 3), (3, 0)],
    );

    let accounts = vec![
        account_fixture(&idl, "Market", &w.market, &w.market_account()),
        account_fixture(&idl, "Reserve", &usdc.reserve, &w.reserve_account(0)),
        account_fixture(&idl, "Reserve", &sol.reserve, &w.reserve_account(1)),
        account_fixture(&idl, "Reserve", &pyusd.reserve, &w.reserve_account(3)),
        account_fixture(&idl, "Obligation", &lender_key, &lender),
        account_fixture(&idl, "Obligation", &borrower_key, &borrower),
        account_fixture(&idl, "Obligation", &full_key, &full),
        account_fixture(&idl, "Obligation", &keeper_key, &keeper),
    ];

    let market_args = InitMarketArgs {
        index: 7,
        risk_authority: key(5),
        fee_receiver: key(6),
        pyth_program: key(7),
        pyth_receiver_program: key(8),
        switchboard_program: key(41),
        liquidation: default_liquidation_config(),
    };
    let oracle_of = w.oracle_of();
    let user_token = key(30);
    let instructions = vec![
        client::init_market(&w.creator, market_args),
        client::update_market(
            &w.creator,
            &w.market,
            MarketUpdate::SetOraclePrograms {
                pyth_program: key(7),
                pyth_receiver_program: key(9),
                switchboard_program: key(42),
            },
        ),
        client::update_market(
            &key(5),
            &w.market,
            MarketUpdate::SetPauseFlags { pause_flags: 3 },
        ),
        client::update_market(&key(5), &w.market, MarketUpdate::AcceptAdmin),
        client::init_reserve(
            &w.creator,
            &w.market,
            sol,
            default_reserve_config(sol.oracle, true, feed_id(1)),
        ),
        client::update_reserve_config(
            &w.creator,
            &w.market,
            &usdc.reserve,
            ReserveUpdate::Config(default_reserve_config(usdc.oracle, false, [0; 32])),
        ),
        client::update_reserve_config(
            &key(5),
            &w.market,
            &usdc.reserve,
            ReserveUpdate::PauseFlags(0b101),
        ),
        client::flash_borrow(&w.liquidator, &w.market, usdc, &user_token, 2_500_000_000),
        client::flash_repay(&w.liquidator, &w.market, usdc, &user_token, 2_502_250_000),
        client::init_obligation(&w.borrower, &w.market, 3),
        client::close_obligation(&w.lender, &lender_key),
        client::deposit(
            &w.lender,
            &w.market,
            usdc,
            &lender_key,
            &user_token,
            1_000_000_000,
        ),
        client::withdraw(
            &w.borrower,
            &w.market,
            sol,
            &borrower_key,
            &user_token,
            u64::MAX,
            client::remaining_accounts(&borrower, &oracle_of, false),
        ),
        client::borrow(
            &w.borrower,
            &w.market,
            usdc,
            &borrower_key,
            &user_token,
            123_456_789,
            client::remaining_accounts(&borrower, &oracle_of, false),
        ),
        client::repay(
            &w.liquidator,
            &w.market,
            usdc,
            &borrower_key,
            &user_token,
            42,
            None,
        ),
        client::set_collateral(
            &w.borrower,
            &w.market,
            &borrower_key,
            &btc.reserve,
            true,
            client::set_collateral_remaining(&borrower, &btc.reserve, true, &oracle_of),
        ),
        client::repay(
            &w.liquidator,
            &w.market,
            usdc,
            &borrower_key,
            &user_token,
            u64::MAX,
            Some(&sol.reserve),
        ),
        client::set_emode(
            &w.borrower,
            &w.market,
            &borrower_key,
            &borrower,
            2,
            &oracle_of,
        ),
        client::update_market(
            &key(5),
            &w.market,
            MarketUpdate::SetEmodeCategory {
                id: 2,
                category: ballast::state::EmodeCategory {
                    ltv_bps: 8_800,
                    liquidation_threshold_bps: 9_100,
                    min_liquidation_bonus_bps: 200,
                    max_liquidation_bonus_bps: 600,
                },
            },
        ),
        client::collect_fees(&key(40), &w.market, pyusd, &key(31)),
        client::fund_reserve(&key(41), &w.market, sol, &user_token, 9_000_000_000),
        client::liquidate(
            &LiquidationAccounts {
                liquidator: w.liquidator,
                market: w.market,
                obligation: borrower_key,
                repay_source: key(32),
                collateral_destination: Some(key(33)),
                liquidator_obligation: None,
            },
            usdc,
            sol,
            LiquidateArgs {
                max_repay: u64::MAX,
                min_collateral_out: 1_234,
                receive_shares: false,
            },
            client::remaining_accounts(&borrower, &oracle_of, true),
        ),
        client::liquidate(
            &LiquidationAccounts {
                liquidator: w.liquidator,
                market: w.market,
                obligation: borrower_key,
                repay_source: key(32),
                collateral_destination: None,
                liquidator_obligation: Some(full_key),
            },
            usdc,
            btc,
            LiquidateArgs {
                max_repay: 5,
                min_collateral_out: 0,
                receive_shares: true,
            },
            client::remaining_accounts(&borrower, &oracle_of, true),
        ),
        client::realize_bad_debt(
            &key(42),
            &w.market,
            &borrower_key,
            client::remaining_accounts(&borrower, &oracle_of, true),
        ),
    ];

    let position = |reserve, obligation, state| plans::Position {
        market: &w.market,
        reserve,
        obligation,
        state,
    };
    let plan =
        |name: &str, signer: &Pubkey, obligation: &Pubkey, input: Value, ixs: Vec<Instruction>| {
            json!({
                "name": name,
                "signer": signer.to_string(),
                "obligation": obligation.to_string(),
                "input": input,
                "oracles": w.oracles(),
                "instructions": ixs.iter().map(instruction_json).collect::<Vec<_>>(),
            })
        };
    let input = |label: &str, reserve: &ReserveKeys, amount: u64| json!({ "label": label, "market": w.market.to_string(), "reserve": keys_json(reserve), "amount": amount.to_string() });
    // (plan, who, obligation, label, reserve, amount)
    let lender_position = (&w.lender, &lender_key, &lender);
    let borrower_position = (&w.borrower, &borrower_key, &borrower);
    let full_position = (&w.liquidator, &full_key, &full);
    let table = [
        ("deposit", lender_position, "into an open slot", usdc, 10),
        ("deposit", lender_position, "a new slot, no debt", sol, 11),
        (
            "deposit",
            borrower_position,
            "a new slot while in debt: enabled in the same transaction",
            pyusd,
            12,
        ),
        ("withdraw", lender_position, "no debt", usdc, u64::MAX),
        ("withdraw", borrower_position, "in debt", btc, 1),
        ("borrow", borrower_position, "more of a borrow", usdc, 13),
        ("borrow", borrower_position, "a new borrow", pyusd, 14),
        (
            "borrow",
            borrower_position,
            "a deposit's reserve: left for the program to refuse",
            sol,
            15,
        ),
        ("borrow", full_position, "the fullest obligation", usdc, 16),
    ];
    let mut plans: Vec<Value> = table
        .into_iter()
        .map(|(name, (signer, key, state), label, reserve, amount)| {
            let p = position(reserve, key, state);
            let instructions = match name {
                "deposit" => plans::deposit(signer, p, amount, &oracle_of),
                "withdraw" => plans::withdraw(signer, p, amount, &oracle_of),
                _ => plans::borrow(signer, p, amount, &oracle_of),
            };
            plan(
                name,
                signer,
                key,
                input(label, reserve, amount),
                instructions,
            )
        })
        .collect();
    plans.extend([
        plan(
            "repay",
            &w.liquidator,
            &borrower_key,
            input("by someone else", usdc, u64::MAX),
            plans::repay(
                &w.liquidator,
                position(usdc, &borrower_key, &borrower),
                u64::MAX,
            ),
        ),
        plan(
            "setCollateral",
            &w.borrower,
            &borrower_key,
            json!({ "label": "enable while in debt", "market": w.market.to_string(), "reserve": keys_json(btc), "enabled": true }),
            vec![plans::set_collateral(
                &w.borrower,
                position(btc, &borrower_key, &borrower),
                true,
                &oracle_of,
            )],
        ),
        plan(
            "setCollateral",
            &w.borrower,
            &borrower_key,
            json!({ "label": "disable while in debt", "market": w.market.to_string(), "reserve": keys_json(sol), "enabled": false }),
            vec![plans::set_collateral(
                &w.borrower,
                position(sol, &borrower_key, &borrower),
                false,
                &oracle_of,
            )],
        ),
        plan(
            "setCollateral",
            &w.lender,
            &lender_key,
            json!({ "label": "disable without debt", "market": w.market.to_string(), "reserve": keys_json(usdc), "enabled": false }),
            vec![plans::set_collateral(
                &w.lender,
                position(usdc, &lender_key, &lender),
                false,
                &oracle_of,
            )],
        ),
    ]);
    for (label, receive_shares, open) in [
        ("tokens", false, false),
        ("shares, opening the liquidator's obligation", true, true),
        ("shares", true, false),
    ] {
        let args = LiquidateArgs {
            max_repay: 777,
            min_collateral_out: 3,
            receive_shares,
        };
        plans.push(plan(
            "liquidation",
            &w.liquidator,
            &borrower_key,
            json!({
                "label": label,
                "market": w.market.to_string(),
                "repay": keys_json(usdc),
                "collateral": keys_json(sol),
                "maxRepay": "777",
                "minCollateralOut": "3",
                "receiveShares": receive_shares,
                "openLiquidatorObligation": open,
            }),
            plans::liquidation(
                &w.liquidator,
                &w.market,
                &borrower_key,
                &borrower,
                usdc,
                sol,
                args,
                open,
                &oracle_of,
            ),
        ));
    }

    // A flash liquidation: the liquidator's obligation 0 holds BTC; it takes SOL shares and
    // borrows USDC.
    let flash_args = LiquidateArgs {
        max_repay: 777,
        min_collateral_out: 3,
        receive_shares: true,
    };
    plans.push(plan(
        "flashLiquidation",
        &w.liquidator,
        &borrower_key,
        json!({
            "label": "into the liquidator's obligation",
            "market": w.market.to_string(),
            "repay": keys_json(usdc),
            "collateral": keys_json(sol),
            "maxRepay": "777",
            "minCollateralOut": "3",
            "openLiquidatorObligation": false,
            "flashAmount": "777",
            "due": "778",
            "liquidatorObligation": keeper_key.to_string(),
        }),
        plans::flash_liquidation(
            &w.liquidator,
            &w.market,
            &borrower_key,
            &borrower,
            usdc,
            sol,
            flash_args,
            777,
            778,
            &keeper,
            false,
            &oracle_of,
        ),
    ));

    let mut markets = vec![];
    for (creator, index) in [(w.creator, 0u16), (key(2), 1), (key(3), 65_535)] {
        markets.push(json!({ "creator": creator.to_string(), "index": index, "address": client::market_address(&creator, index).to_string() }));
    }
    let mut obligations = vec![];
    for (owner, index) in [(w.lender, 0u8), (w.borrower, 3), (w.liquidator, 255)] {
        obligations.push(json!({ "market": w.market.to_string(), "owner": owner.to_string(), "index": index, "address": client::obligation_address(&w.market, &owner, index).to_string() }));
    }
    let reserves: Vec<Value> = w
        .reserves
        .iter()
        .map(|k| {
            let mut v = keys_json(k);
            v["market"] = json!(w.market.to_string());
            v
        })
        .collect();
    let mut atas = vec![];
    for keys in &w.reserves {
        for owner in [w.lender, w.borrower] {
            atas.push(json!({ "owner": owner.to_string(), "mint": keys.mint.to_string(), "tokenProgram": keys.token_program.to_string(), "address": ballast_client::chain::ata(&owner, &keys.mint, &keys.token_program).to_string() }));
        }
    }

    let mut root = BTreeMap::new();
    root.insert("programAddress", json!(ballast::ID.to_string()));
    root.insert("addresses", json!({ "markets": markets, "obligations": obligations, "reserves": reserves, "associatedTokenAccounts": atas }));
    root.insert("accounts", Value::Array(accounts));
    root.insert(
        "instructions",
        Value::Array(
            instructions
                .iter()
                .map(|ix| instruction_fixture(&idl, ix))
                .collect(),
        ),
    );
    root.insert("plans", Value::Array(plans));
    serde_json::to_value(root).unwrap()
}

#[test]
fn every_instruction_of_the_idl_has_a_fixture() {
    let idl = idl();
    let fixtures = fixtures();
    let mut have: Vec<String> = fixtures["instructions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_string())
        .collect();
    have.sort();
    have.dedup();
    let mut want: Vec<String> = idl["instructions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| camel(i["name"].as_str().unwrap()))
        .collect();
    want.sort();
    assert_eq!(have, want);
}

#[test]
fn the_committed_fixtures_are_current() {
    let text = serde_json::to_string_pretty(&fixtures()).unwrap() + "\n";
    let path = fixtures_path();
    if std::env::var_os("BALLAST_UPDATE_FIXTURES").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &text).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == text,
        "{} is stale: run `BALLAST_UPDATE_FIXTURES=1 cargo test --workspace --test clients` and commit it",
        path.display()
    );
}
