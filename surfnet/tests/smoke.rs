//! The network starts offline on loopback, hosts Ballast and answers JSON-RPC.

use ballast_client::chain::{Chain, LocalChain};
use ballast_client::rpc::{CommitmentConfig, RpcChain};
use solana_sdk::signature::{Keypair, Signer};

#[tokio::test(flavor = "multi_thread")]
async fn ballast_runs_on_the_local_validator() {
    let net = ballast_surfnet::start(&ballast_surfnet::SurfnetOptions::deterministic()).unwrap();
    assert!(net.url.starts_with("http://127.0.0.1:"));
    let admin = Keypair::new();
    let mut chain = RpcChain::with_commitment(
        &net.url,
        admin.insecure_clone(),
        CommitmentConfig::processed(),
    );
    chain
        .airdrop(&admin.pubkey(), 10_000_000_000)
        .await
        .unwrap();
    // A transaction while the clock is paused.
    let other = Keypair::new();
    let transfer = anchor_lang::solana_program::system_instruction::transfer(
        &admin.pubkey(),
        &other.pubkey(),
        1_000_000_000,
    );
    chain.send(&[transfer], &[]).await.unwrap();
    assert_eq!(
        chain
            .account(&other.pubkey())
            .await
            .unwrap()
            .unwrap()
            .lamports,
        1_000_000_000
    );
    let program = chain.account(&ballast::ID).await.unwrap().unwrap();
    assert!(program.executable);
    let now = chain.now().await.unwrap();
    chain.set_clock(now + 3_600).await.unwrap();
    assert_eq!(chain.now().await.unwrap(), now + 3_600);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dropped_network_stops_serving() {
    let net = ballast_surfnet::start(&ballast_surfnet::SurfnetOptions::deterministic()).unwrap();
    let url = net.url.clone();
    let mut chain = RpcChain::with_commitment(&url, Keypair::new(), CommitmentConfig::processed());
    assert!(chain.now().await.is_ok());
    drop(net);
    let mut chain = RpcChain::with_commitment(&url, Keypair::new(), CommitmentConfig::processed());
    let error = chain
        .now()
        .await
        .expect_err("nothing serves after the drop");
    assert!(
        matches!(error, ballast_client::chain::ChainError::Transport(_)),
        "{error}"
    );
}
