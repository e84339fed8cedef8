use ballast_tests::fixture::*;
#[tokio::test]
async fn timing() {
    let t = std::time::Instant::now();
    let mut h = Harness::new().await;
    println!("harness {:?}", t.elapsed());
    let t = std::time::Instant::now();
    let u = h.funded_user(BTC, 100_000_000).await;
    println!("user {:?}", t.elapsed());
    let t = std::time::Instant::now();
    for _ in 0..20 { h.deposit(&u, BTC, 1000).await.unwrap(); }
    println!("20 deposits {:?}", t.elapsed());
}
