//! A Solana RPC cluster as a [`Chain`] (`solana-rpc-client`), configured like the `solana`
//! command: `--url` with the usual shortcuts, `--keypair`, defaults from the Solana CLI config.

use std::path::{Path, PathBuf};

use anchor_lang::prelude::Pubkey;
use solana_account_decoder_client_types::UiAccountEncoding;
pub use solana_commitment_config::CommitmentConfig;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client_api::client_error::Error as ClientError;
use solana_rpc_client_api::config::{
    RpcAccountInfoConfig, RpcProgramAccountsConfig, RpcSimulateTransactionConfig,
};
use solana_rpc_client_api::filter::{Memcmp, RpcFilterType};
use solana_sdk::account::Account;
use solana_sdk::instruction::Instruction;
use solana_sdk::signature::{read_keypair_file, Keypair, Signature, Signer};
use solana_sdk::transaction::Transaction;

use crate::chain::{Chain, ChainError, ChainResult, LocalChain};

/// `getMultipleAccounts` takes at most this many keys.
const MAX_MULTIPLE_ACCOUNTS: usize = 100;

/// What the Solana CLI config file says (`~/.config/solana/cli/config.yml`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CliConfig {
    pub json_rpc_url: Option<String>,
    pub keypair_path: Option<String>,
}

/// The default location of the Solana CLI config file.
pub fn default_cli_config_path() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|home| Path::new(&home).join(".config/solana/cli/config.yml"))
}

/// Reads the two keys Ballast needs from the Solana CLI config. The file is flat YAML
/// (`key: value` lines), so a line reader is enough and saves a YAML dependency.
pub fn read_cli_config(path: &Path) -> CliConfig {
    let Ok(text) = std::fs::read_to_string(path) else {
        return CliConfig::default();
    };
    let mut config = CliConfig::default();
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value
            .trim()
            .trim_matches(|c| c == '"' || c == '\'')
            .to_string();
        match key.trim() {
            "json_rpc_url" if !value.is_empty() => config.json_rpc_url = Some(value),
            "keypair_path" if !value.is_empty() => config.keypair_path = Some(value),
            _ => {}
        }
    }
    config
}

/// Expands the `solana` command's URL monikers.
pub fn resolve_url(url: &str) -> String {
    match url {
        "m" | "mainnet-beta" => "https://api.mainnet-beta.solana.com".into(),
        "d" | "devnet" => "https://api.devnet.solana.com".into(),
        "t" | "testnet" => "https://api.testnet.solana.com".into(),
        "l" | "localhost" => "http://localhost:8899".into(),
        other => other.into(),
    }
}

/// Reads a keypair file, expanding a leading `~`.
pub fn load_keypair(path: &str) -> anyhow::Result<Keypair> {
    let path = match path.strip_prefix("~/") {
        Some(rest) => Path::new(&std::env::var("HOME").unwrap_or_default()).join(rest),
        None => PathBuf::from(path),
    };
    read_keypair_file(&path)
        .map_err(|error| anyhow::anyhow!("reading keypair {}: {error}", path.display()))
}

/// A cluster reached over JSON-RPC.
pub struct RpcChain {
    client: RpcClient,
    wallet: Keypair,
}

impl RpcChain {
    /// A client for `url` (monikers expanded) acting as `wallet`, at `confirmed` commitment.
    pub fn new(url: &str, wallet: Keypair) -> RpcChain {
        RpcChain::with_commitment(url, wallet, CommitmentConfig::confirmed())
    }

    /// The same at another commitment (`processed` on a local validator that makes a slot per
    /// transaction: each is confirmed only once the next one runs).
    pub fn with_commitment(url: &str, wallet: Keypair, commitment: CommitmentConfig) -> RpcChain {
        RpcChain {
            client: RpcClient::new_with_commitment(resolve_url(url), commitment),
            wallet,
        }
    }

    /// The endpoint.
    pub fn url(&self) -> String {
        self.client.url()
    }
}

fn rpc_error(error: ClientError) -> ChainError {
    match error.get_transaction_error() {
        Some(error) => ChainError::Rejected(error),
        None => ChainError::Transport(error.to_string()),
    }
}

impl Chain for RpcChain {
    fn wallet(&self) -> &Keypair {
        &self.wallet
    }

    fn set_wallet(&mut self, wallet: Keypair) {
        self.wallet = wallet;
    }

    async fn accounts(&mut self, keys: &[Pubkey]) -> ChainResult<Vec<Option<Account>>> {
        let mut accounts = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(MAX_MULTIPLE_ACCOUNTS) {
            accounts.extend(
                self.client
                    .get_multiple_accounts(chunk)
                    .await
                    .map_err(rpc_error)?,
            );
        }
        Ok(accounts)
    }

    async fn program_accounts(
        &mut self,
        data_len: usize,
        market: &Pubkey,
    ) -> ChainResult<Vec<(Pubkey, Account)>> {
        let config = RpcProgramAccountsConfig {
            filters: Some(vec![
                RpcFilterType::DataSize(data_len as u64),
                RpcFilterType::Memcmp(Memcmp::new_base58_encoded(8, market.as_ref())),
            ]),
            account_config: RpcAccountInfoConfig {
                encoding: Some(UiAccountEncoding::Base64),
                ..RpcAccountInfoConfig::default()
            },
            ..RpcProgramAccountsConfig::default()
        };
        self.client
            .get_program_ui_accounts_with_config(&ballast::ID, config)
            .await
            .map_err(rpc_error)?
            .into_iter()
            .map(|(key, ui)| {
                ui.decode::<Account>()
                    .map(|account| (key, account))
                    .ok_or_else(|| ChainError::Transport(format!("undecodable account {key}")))
            })
            .collect()
    }

    async fn now(&mut self) -> ChainResult<i64> {
        let clock = self
            .client
            .get_account(&solana_sdk::sysvar::clock::ID)
            .await
            .map_err(rpc_error)?;
        // Clock is repr(C): slot, epoch_start_timestamp, epoch, leader_schedule_epoch,
        // unix_timestamp.
        clock
            .data
            .get(32..40)
            .map(|bytes| i64::from_le_bytes(bytes.try_into().expect("8 bytes")))
            .ok_or_else(|| ChainError::Transport("short clock sysvar".into()))
    }

    async fn simulate(
        &mut self,
        instructions: &[Instruction],
        signers: &[&Keypair],
    ) -> ChainResult<()> {
        let tx = self.transaction(instructions, signers).await?;
        let result = self
            .client
            .simulate_transaction_with_config(
                &tx,
                RpcSimulateTransactionConfig {
                    sig_verify: false,
                    replace_recent_blockhash: true,
                    commitment: Some(CommitmentConfig::processed()),
                    ..RpcSimulateTransactionConfig::default()
                },
            )
            .await
            .map_err(rpc_error)?;
        match result.value.err {
            Some(error) => Err(ChainError::Rejected(error.into())),
            None => Ok(()),
        }
    }

    async fn send(
        &mut self,
        instructions: &[Instruction],
        signers: &[&Keypair],
    ) -> ChainResult<Signature> {
        let tx = self.transaction(instructions, signers).await?;
        self.client
            .send_and_confirm_transaction(&tx)
            .await
            .map_err(rpc_error)
    }

    async fn send_v0(
        &mut self,
        instructions: &[Instruction],
        signers: &[&Keypair],
        lookup_tables: &[crate::chain::AddressLookupTableAccount],
    ) -> ChainResult<Signature> {
        self.send_versioned(instructions, signers, lookup_tables)
            .await
    }
}

impl RpcChain {
    /// The wallet (the fee payer) first, then each of `signers` once.
    fn signing_keypairs<'k>(&'k self, signers: &[&'k Keypair]) -> Vec<&'k Keypair> {
        let mut keypairs: Vec<&Keypair> = vec![&self.wallet];
        for signer in signers {
            if !keypairs.iter().any(|k| k.pubkey() == signer.pubkey()) {
                keypairs.push(signer);
            }
        }
        keypairs
    }

    /// `send_v0` of [`Chain`].
    async fn send_versioned(
        &mut self,
        instructions: &[Instruction],
        signers: &[&Keypair],
        tables: &[crate::chain::AddressLookupTableAccount],
    ) -> ChainResult<Signature> {
        let blockhash = self
            .client
            .get_latest_blockhash()
            .await
            .map_err(rpc_error)?;
        let keypairs = self.signing_keypairs(signers);
        let tx = crate::chain::sign_v0(
            instructions,
            &self.wallet.pubkey(),
            &keypairs,
            blockhash,
            tables,
        )?;
        self.client
            .send_and_confirm_transaction(&tx)
            .await
            .map_err(rpc_error)
    }
}

/// A local surfpool validator's cheatcodes (`surfnet_setAccount`, `surfnet_timeTravel`) and its
/// faucet, so the same code drives the embedded bank and a local validator. On any other cluster
/// these calls fail with the cluster's "method not found".
impl LocalChain for RpcChain {
    async fn set_account(&mut self, address: &Pubkey, account: Account) -> ChainResult<()> {
        let data: String = account.data.iter().map(|b| format!("{b:02x}")).collect();
        let update = serde_json::json!({
            "lamports": account.lamports,
            "data": data,
            "owner": account.owner.to_string(),
            "executable": account.executable,
            "rentEpoch": account.rent_epoch,
        });
        self.cheatcode(
            "surfnet_setAccount",
            serde_json::json!([address.to_string(), update]),
        )
        .await
    }

    async fn set_clock(&mut self, unix_timestamp: i64) -> ChainResult<()> {
        let now = self.now().await?;
        if unix_timestamp == now {
            return Ok(());
        }
        if unix_timestamp < now {
            return Err(ChainError::Transport(format!(
                "a validator's clock only moves forward (now {now}, asked {unix_timestamp})"
            )));
        }
        let millis = u64::try_from(unix_timestamp)
            .map_err(|_| ChainError::Transport("negative timestamp".into()))?
            .saturating_mul(1_000);
        self.cheatcode(
            "surfnet_timeTravel",
            serde_json::json!([{ "absoluteTimestamp": millis }]),
        )
        .await
    }

    async fn airdrop(&mut self, to: &Pubkey, lamports: u64) -> ChainResult<()> {
        let signature = self
            .client
            .request_airdrop(to, lamports)
            .await
            .map_err(rpc_error)?;
        self.client
            .poll_for_signature(&signature)
            .await
            .map_err(rpc_error)
    }
}

impl RpcChain {
    /// Calls a surfpool cheatcode, ignoring its result value.
    async fn cheatcode(
        &mut self,
        method: &'static str,
        params: serde_json::Value,
    ) -> ChainResult<()> {
        self.client
            .send::<serde_json::Value>(
                solana_rpc_client_api::request::RpcRequest::Custom { method },
                params,
            )
            .await
            .map(|_| ())
            .map_err(rpc_error)
    }

    async fn transaction(
        &mut self,
        instructions: &[Instruction],
        signers: &[&Keypair],
    ) -> ChainResult<Transaction> {
        let blockhash = self
            .client
            .get_latest_blockhash()
            .await
            .map_err(rpc_error)?;
        let keypairs = self.signing_keypairs(signers);
        crate::chain::sign(instructions, &self.wallet.pubkey(), &keypairs, blockhash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cli_config_and_monikers_resolve_like_the_solana_command() {
        let dir = std::env::temp_dir().join(format!("ballast-cli-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("config.yml");
        std::fs::write(
            &path,
            "---\njson_rpc_url: \"https://api.devnet.solana.com\"\nwebsocket_url: \"\"\nkeypair_path: /home/me/.config/solana/id.json\ncommitment: confirmed\n",
        )
        .unwrap();
        let config = read_cli_config(&path);
        assert_eq!(
            config.json_rpc_url.as_deref(),
            Some("https://api.devnet.solana.com")
        );
        assert_eq!(
            config.keypair_path.as_deref(),
            Some("/home/me/.config/solana/id.json")
        );
        assert_eq!(
            resolve_url("mainnet-beta"),
            "https://api.mainnet-beta.solana.com"
        );
        assert_eq!(resolve_url("localhost"), "http://localhost:8899");
        assert_eq!(resolve_url("http://x:1"), "http://x:1");
    }
}
