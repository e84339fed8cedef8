use ballast_tests::fixture::*;

#[tokio::test]
async fn a_lender_and_a_borrower_complete_a_round_trip() {
    let mut h = Harness::new().await;
    let lender = h.funded_user(USDC, 1_000_000_000).await;
    let borrower = h.funded_user(BTC, 100_000_000).await;
    h.deposit(&lender, USDC, 1_000_000_000).await.unwrap();
    h.deposit(&borrower, BTC, 100_000_000).await.unwrap();
    h.borrow(&borrower, USDC, 500_000_000).await.unwrap();
    assert_eq!(h.balance(&borrower.tokens[USDC]).await, 500_000_000);
    h.check_invariants(&[lender.obligation, borrower.obligation])
        .await;
}
