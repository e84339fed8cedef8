// A wallet built on @ballast/client and @solana/kit, against a running `ballast-localnet`:
// it builds, signs and sends a deposit, a borrow and a repay over JSON-RPC, and reads back the
// token balances and the obligation. Run by `cargo test --workspace` (localnet/tests), which
// starts the localnet and passes its URL, market, mints and wallet in the environment.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import {
  createKeyPairSignerFromBytes,
  createSolanaRpc,
  signTransactionMessageWithSigners,
  type Address,
} from '@solana/kit';

import {
  activeBorrows,
  ALL,
  BallastMarket,
  findAssociatedTokenAddress,
  sendAndConfirm,
} from '../src';

function env(name: string): string {
  const value = process.env[name];
  assert.ok(value, `${name} is set (cargo test starts the localnet and sets it)`);
  return value;
}

test('supply, deposit, borrow and repay with @solana/kit over JSON-RPC', async () => {
  const rpc = createSolanaRpc(env('BALLAST_RPC_URL'));
  const wallet = (name: string) =>
    createKeyPairSignerFromBytes(
      new Uint8Array(JSON.parse(readFileSync(`${env('BALLAST_WALLETS')}/${name}.json`, 'utf8'))),
    );
  const [lender, owner] = [await wallet('lender'), await wallet('borrower')];
  const usdc = env('BALLAST_USDC_MINT') as Address;
  const btc = env('BALLAST_BTC_MINT') as Address;
  const market = await BallastMarket.load(rpc, env('BALLAST_MARKET') as Address);
  assert.ok(market.reserves.size >= 2, 'the localnet market has its reserves');

  const balance = async (mint: Address) => {
    const account = await findAssociatedTokenAddress(owner.address, mint, market.reserveOf(mint).tokenProgram);
    const { value } = await rpc.getTokenAccountBalance(account, { commitment: 'confirmed' }).send();
    return BigInt(value.amount);
  };
  const send = async (message: Awaited<ReturnType<BallastMarket['depositTransaction']>>) =>
    sendAndConfirm(rpc, await signTransactionMessageWithSigners(message));

  // The lender supplies 100 000 USDC (a fresh localnet has no liquidity).
  await send(await market.depositTransaction(lender, { mint: usdc, amount: 100_000_000_000n }));

  // The borrower deposits 1 BTC.
  const btcBefore = await balance(btc);
  await send(await market.depositTransaction(owner, { mint: btc, amount: 100_000_000n }));
  assert.equal(await balance(btc), btcBefore - 100_000_000n);
  let { state } = await market.obligation(owner.address);
  assert.ok(state, 'the borrower has obligation 0');
  const btcReserve = market.reserveOf(btc).reserve;
  const deposit = state.deposits.find(d => d.reserve === btcReserve);
  assert.ok(deposit && deposit.shares > 0n && deposit.collateralEnabled, 'the BTC deposit counts as collateral');

  // Borrow 1 000 USDC against it.
  const usdcBefore = await balance(usdc);
  await send(await market.borrowTransaction(owner, { mint: usdc, amount: 1_000_000_000n }));
  assert.equal(await balance(usdc), usdcBefore + 1_000_000_000n);
  ({ state } = await market.obligation(owner.address));
  const usdcReserve = market.reserveOf(usdc).reserve;
  assert.deepEqual(activeBorrows(state!).map(b => b.reserve), [usdcReserve]);

  // Repay all of it: the debt with its few seconds of interest, rounded up, and nothing more.
  await send(await market.repayTransaction(owner, { mint: usdc, amount: ALL }));
  ({ state } = await market.obligation(owner.address));
  assert.deepEqual(activeBorrows(state!), [], 'no debt left');
  const paid = usdcBefore + 1_000_000_000n - (await balance(usdc));
  assert.ok(paid >= 1_000_000_000n && paid < 1_000_100_000n, `repaid ${paid} base units for 1 000 USDC`);
});
