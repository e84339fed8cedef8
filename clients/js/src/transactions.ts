// Whole transactions over JSON-RPC: read the market's reserves and the obligation, plan the
// instructions (plans.ts), and wrap them in a transaction message the caller signs.
import {
  appendTransactionMessageInstructions,
  createTransactionMessage,
  getBase58Decoder,
  getBase64Encoder,
  getBase64EncodedWireTransaction,
  getSignatureFromTransaction,
  pipe,
  setTransactionMessageFeePayerSigner,
  setTransactionMessageLifetimeUsingBlockhash,
  type Address,
  type Base58EncodedBytes,
  type Commitment,
  type Instruction,
  type Rpc,
  type Signature,
  type SolanaRpcApi,
  type TransactionSigner,
} from '@solana/kit';

import { findObligationAddress, reserveKeys, type ReserveKeys } from './addresses';
import {
  BALLAST_PROGRAM_ADDRESS,
  fetchMaybeObligation,
  getBallastErrorMessage,
  type BallastError,
  getInitObligationInstruction,
  getReserveDecoder,
  RESERVE_DISCRIMINATOR,
  type Obligation,
  type Reserve,
} from './generated';
import { EMPTY_SLOT, type OracleOf } from './positions';
import { planBorrow, planDeposit, planRepay, planWithdraw } from './plans';

type BallastRpc = Rpc<SolanaRpcApi>;

/** A legacy transaction message paying from `feePayer`, at the newest blockhash. */
export async function transactionMessage(
  rpc: BallastRpc,
  feePayer: TransactionSigner,
  instructions: Instruction[],
) {
  const { value: latestBlockhash } = await rpc.getLatestBlockhash({ commitment: 'confirmed' }).send();
  return pipe(
    createTransactionMessage({ version: 'legacy' }),
    m => setTransactionMessageFeePayerSigner(feePayer, m),
    m => setTransactionMessageLifetimeUsingBlockhash(latestBlockhash, m),
    m => appendTransactionMessageInstructions(instructions, m),
  );
}

/**
 * Sends a signed transaction and polls its status over HTTP until `commitment` (no websocket
 * needed). Throws with the program's logs if it fails.
 */
export async function sendAndConfirm(
  rpc: BallastRpc,
  transaction: Parameters<typeof getBase64EncodedWireTransaction>[0],
  { commitment = 'confirmed' as Commitment, timeoutMs = 30_000 } = {},
): Promise<Signature> {
  const signature = getSignatureFromTransaction(transaction);
  try {
    await rpc
      .sendTransaction(getBase64EncodedWireTransaction(transaction), {
        encoding: 'base64',
        preflightCommitment: commitment,
      })
      .send();
  } catch (error) {
    throw explained(error);
  }
  const deadline = Date.now() + timeoutMs;
  const rank = { processed: 0, confirmed: 1, finalized: 2 } as const;
  while (Date.now() < deadline) {
    const { value } = await rpc.getSignatureStatuses([signature]).send();
    const status = value[0];
    if (status?.err) throw new Error(`transaction ${signature} failed: ${JSON.stringify(status.err)}`);
    if (status?.confirmationStatus && rank[status.confirmationStatus] >= rank[commitment]) {
      return signature;
    }
    await new Promise(resolve => setTimeout(resolve, 200));
  }
  throw new Error(`transaction ${signature} not ${commitment} within ${timeoutMs} ms`);
}

/**
 * A failed simulation as the program's error: `BallastError 6014 InsufficientLiquidity:
 * insufficient liquidity in reserve`, with the program's logs, when the logs name a custom error
 * of Ballast; the error as it came otherwise.
 */
export function explained(error: unknown): unknown {
  const logs = (error as { context?: { logs?: string[] } })?.context?.logs;
  if (!Array.isArray(logs)) return error;
  const failure = logs.find(
    line => line.startsWith(`Program ${BALLAST_PROGRAM_ADDRESS} failed: custom program error: 0x`),
  );
  const code = failure ? parseInt(failure.split('0x')[1], 16) : undefined;
  const message = code === undefined ? undefined : getBallastErrorMessage(code as BallastError);
  const head = message
    ? `Ballast error ${code}: ${message}`
    : `transaction simulation failed: ${(error as Error).message}`;
  return new Error(`${head}\n${logs.join('\n')}`, { cause: error });
}

/** An obligation with every slot empty (what `init_obligation` creates). */
export function emptyObligation(market: Address, owner: Address, index: number): Obligation {
  return {
    discriminator: new Uint8Array(8),
    market,
    owner,
    index,
    bump: 0,
    deposits: Array.from({ length: 5 }, () => ({
      reserve: EMPTY_SLOT,
      shares: 0n,
      collateralEnabled: false,
      isolated: false,
    })),
    borrows: Array.from({ length: 3 }, () => ({ reserve: EMPTY_SLOT, scaledDebt: 0n, isolatedDebt: 0n })),
    emodeCategory: 0,
    isolatedCollateral: EMPTY_SLOT,
    reserved: new Uint8Array(32),
  };
}

/** A market's reserves as read from chain, and transactions on them. */
export class BallastMarket {
  private constructor(
    readonly rpc: BallastRpc,
    readonly address: Address,
    readonly reserves: Map<Address, { keys: ReserveKeys; reserve: Reserve }>,
  ) {}

  /** Reads every reserve of `market` (one `getProgramAccounts`, discriminator and market filtered). */
  static async load(rpc: BallastRpc, market: Address): Promise<BallastMarket> {
    const base58 = getBase58Decoder();
    const accounts = await rpc
      .getProgramAccounts(BALLAST_PROGRAM_ADDRESS, {
        encoding: 'base64',
        filters: [
          { memcmp: { offset: 0n, bytes: base58.decode(RESERVE_DISCRIMINATOR) as Base58EncodedBytes, encoding: 'base58' } },
          { memcmp: { offset: 8n, bytes: market as string as Base58EncodedBytes, encoding: 'base58' } },
        ],
      })
      .send();
    const decoder = getReserveDecoder();
    const base64 = getBase64Encoder();
    const reserves = new Map<Address, { keys: ReserveKeys; reserve: Reserve }>();
    for (const { pubkey, account } of accounts) {
      const reserve = decoder.decode(base64.encode(account.data[0]));
      reserves.set(pubkey, { keys: reserveKeys(pubkey, reserve), reserve });
    }
    return new BallastMarket(rpc, market, reserves);
  }

  /** The reserve of `mint`. */
  reserveOf(mint: Address): ReserveKeys {
    for (const { keys } of this.reserves.values()) if (keys.mint === mint) return keys;
    throw new Error(`no reserve for mint ${mint} in market ${this.address}`);
  }

  /** The price accounts passed for a reserve in health checks (primary, then any fallback). */
  readonly oracleOf: OracleOf = reserve => {
    const entry = this.reserves.get(reserve);
    if (!entry) throw new Error(`reserve ${reserve} is not in market ${this.address}`);
    const { oracle, fallbackOracle } = entry.keys;
    return fallbackOracle === undefined ? oracle : [oracle, fallbackOracle];
  };

  /** `owner`'s obligation `index`: its address and state (null when not opened yet). */
  async obligation(owner: Address, index = 0): Promise<{ address: Address; state: Obligation | null }> {
    const address = await findObligationAddress(this.address, owner, index);
    const account = await fetchMaybeObligation(this.rpc, address);
    return { address, state: account.exists ? account.data : null };
  }

  private async position(owner: Address, mint: Address, amount: number | bigint, index: number) {
    const { address, state } = await this.obligation(owner, index);
    return {
      opened: state !== null,
      input: {
        market: this.address,
        reserve: this.reserveOf(mint),
        obligation: address,
        state: state ?? emptyObligation(this.address, owner, index),
        amount,
        oracleOf: this.oracleOf,
      },
    };
  }

  /** Deposit `amount` base units of `mint`; opens obligation `index` first if needed. */
  async depositTransaction(owner: TransactionSigner, p: { mint: Address; amount: number | bigint; index?: number }) {
    const index = p.index ?? 0;
    const { opened, input } = await this.position(owner.address, p.mint, p.amount, index);
    const open = opened
      ? []
      : [getInitObligationInstruction({ owner, market: this.address, obligation: input.obligation, index })];
    return transactionMessage(this.rpc, owner, [...open, ...(await planDeposit(owner, input))]);
  }

  /** Withdraw `amount` base units of `mint` (`ALL`: the whole deposit). */
  async withdrawTransaction(owner: TransactionSigner, p: { mint: Address; amount: number | bigint; index?: number }) {
    const { input } = await this.opened(owner.address, p);
    return transactionMessage(this.rpc, owner, await planWithdraw(owner, input));
  }

  /** Borrow `amount` base units of `mint`. */
  async borrowTransaction(owner: TransactionSigner, p: { mint: Address; amount: number | bigint; index?: number }) {
    const { input } = await this.opened(owner.address, p);
    return transactionMessage(this.rpc, owner, await planBorrow(owner, input));
  }

  /** `payer` repays `amount` base units of `mint` (`ALL`: exactly the debt) of `owner`'s obligation. */
  async repayTransaction(
    payer: TransactionSigner,
    p: { owner?: Address; mint: Address; amount: number | bigint; index?: number },
  ) {
    const { input } = await this.opened(p.owner ?? payer.address, p);
    return transactionMessage(this.rpc, payer, await planRepay(payer, input));
  }

  private async opened(owner: Address, p: { mint: Address; amount: number | bigint; index?: number }) {
    const position = await this.position(owner, p.mint, p.amount, p.index ?? 0);
    if (!position.opened) {
      throw new Error(`no obligation ${p.index ?? 0} for ${owner} in market ${this.address}`);
    }
    return position;
  }
}
