// Whole operations as instruction lists, from state a client has already read: what the
// `ballast` wallet commands and keeper send (`ballast_client::plans` in Rust, held equal by the
// shared fixtures). No network here; `transactions.ts` reads the state and adds a blockhash.
import {
  AccountRole,
  type AccountMeta,
  type Address,
  type Instruction,
  type TransactionSigner,
} from '@solana/kit';

import {
  findAssociatedTokenAddress,
  findObligationAddress,
  ASSOCIATED_TOKEN_PROGRAM_ADDRESS,
  SYSTEM_PROGRAM_ADDRESS,
  type ReserveKeys,
} from './addresses';
import {
  getBorrowInstruction,
  getDepositInstruction,
  getFlashBorrowInstruction,
  getFlashRepayInstruction,
  getInitObligationInstruction,
  getLiquidateInstruction,
  getRepayInstruction,
  getSetCollateralInstruction,
  getSetEmodeInstruction,
  getWithdrawInstruction,
  type Obligation,
} from './generated';
import {
  afterBorrow,
  afterDeposit,
  hasDebt,
  isolatedReserve,
  remainingAccounts,
  setCollateralRemaining,
  type OracleOf,
} from './positions';

/** `withdraw` / `repay` amount meaning "all of it" (the program's own convention). */
export const ALL = 0xffff_ffff_ffff_ffffn;

export const COMPUTE_BUDGET_PROGRAM_ADDRESS =
  'ComputeBudget111111111111111111111111111111' as Address;

function withRemaining<T extends Instruction>(ix: T, remaining: AccountMeta[]): Instruction {
  return { ...ix, accounts: [...(ix.accounts ?? []), ...remaining] };
}

/** The Associated Token program's `CreateIdempotent`: opens `owner`'s account if missing. */
export async function createAssociatedTokenIdempotent(
  payer: TransactionSigner,
  owner: Address,
  mint: Address,
  tokenProgram: Address,
): Promise<Instruction> {
  const ata = await findAssociatedTokenAddress(owner, mint, tokenProgram);
  return {
    programAddress: ASSOCIATED_TOKEN_PROGRAM_ADDRESS,
    accounts: [
      { address: payer.address, role: AccountRole.WRITABLE_SIGNER, signer: payer } as AccountMeta,
      { address: ata, role: AccountRole.WRITABLE },
      { address: owner, role: AccountRole.READONLY },
      { address: mint, role: AccountRole.READONLY },
      { address: SYSTEM_PROGRAM_ADDRESS, role: AccountRole.READONLY },
      { address: tokenProgram, role: AccountRole.READONLY },
    ],
    data: new Uint8Array([1]),
  };
}

/** Compute Budget `SetComputeUnitLimit` and `SetComputeUnitPrice` (micro-lamports per CU). */
export function computeBudget(unitLimit: number, microLamportsPerUnit: bigint): Instruction[] {
  const limit = new Uint8Array(5);
  limit[0] = 2;
  new DataView(limit.buffer).setUint32(1, unitLimit, true);
  const price = new Uint8Array(9);
  price[0] = 3;
  new DataView(price.buffer).setBigUint64(1, microLamportsPerUnit, true);
  return [
    { programAddress: COMPUTE_BUDGET_PROGRAM_ADDRESS, data: limit },
    { programAddress: COMPUTE_BUDGET_PROGRAM_ADDRESS, data: price },
  ];
}

export type PositionInput = {
  market: Address;
  reserve: ReserveKeys;
  obligation: Address;
  /** The obligation as read from chain. */
  state: Obligation;
  amount: number | bigint;
  oracleOf: OracleOf;
};

/**
 * Deposit from the owner's associated token account. A deposit made while in debt opens its slot
 * with collateral disabled (a deposit reads no price); it is meant as collateral, so it is
 * enabled in the same transaction, at a strict price for that reserve.
 */
export async function planDeposit(
  owner: TransactionSigner,
  p: PositionInput,
): Promise<Instruction[]> {
  const source = await findAssociatedTokenAddress(owner.address, p.reserve.mint, p.reserve.tokenProgram);
  const instructions: Instruction[] = [
    getDepositInstruction({
      owner,
      market: p.market,
      reserve: p.reserve.reserve,
      obligation: p.obligation,
      mint: p.reserve.mint,
      liquidityVault: p.reserve.liquidityVault,
      source,
      tokenProgram: p.reserve.tokenProgram,
      amount: p.amount,
    }),
  ];
  const opensSlot = !p.state.deposits.some(d => d.reserve === p.reserve.reserve);
  // Beside an isolated collateral nothing else may be enabled: the deposit stays disabled.
  if (hasDebt(p.state) && opensSlot && isolatedReserve(p.state) === undefined) {
    instructions.push(
      planSetCollateral(owner, { ...p, state: afterDeposit(p.state, p.reserve.reserve) }, true),
    );
  }
  return instructions;
}

/** Enables or disables a deposit as collateral. */
export function planSetCollateral(
  owner: TransactionSigner,
  p: Omit<PositionInput, 'amount'>,
  enabled: boolean,
): Instruction {
  return withRemaining(
    getSetCollateralInstruction({
      owner,
      market: p.market,
      obligation: p.obligation,
      reserve: p.reserve.reserve,
      enabled,
    }),
    setCollateralRemaining(p.state, p.reserve.reserve, enabled, p.oracleOf),
  );
}

/**
 * Puts the obligation in e-mode category `category` (0: leaves e-mode). While in debt every
 * position is listed: the program checks the borrow limit under the new parameters.
 */
export function planSetEmode(
  owner: TransactionSigner,
  p: Pick<PositionInput, 'market' | 'obligation' | 'state' | 'oracleOf'>,
  category: number,
): Instruction {
  return withRemaining(
    getSetEmodeInstruction({ owner, market: p.market, obligation: p.obligation, category }),
    hasDebt(p.state) ? remainingAccounts(p.state, p.oracleOf) : [],
  );
}

/** Withdraw to the owner's associated token account (opened if missing); `ALL` for everything. */
export async function planWithdraw(
  owner: TransactionSigner,
  p: PositionInput,
): Promise<Instruction[]> {
  const { mint, tokenProgram } = p.reserve;
  const destination = await findAssociatedTokenAddress(owner.address, mint, tokenProgram);
  const remaining = hasDebt(p.state) ? remainingAccounts(p.state, p.oracleOf) : [];
  return [
    await createAssociatedTokenIdempotent(owner, owner.address, mint, tokenProgram),
    withRemaining(
      getWithdrawInstruction({
        owner,
        market: p.market,
        reserve: p.reserve.reserve,
        obligation: p.obligation,
        mint,
        liquidityVault: p.reserve.liquidityVault,
        destination,
        tokenProgram,
        amount: p.amount,
      }),
      remaining,
    ),
  ];
}

/** Borrow to the owner's associated token account (opened if missing). */
export async function planBorrow(owner: TransactionSigner, p: PositionInput): Promise<Instruction[]> {
  const { mint, tokenProgram } = p.reserve;
  const destination = await findAssociatedTokenAddress(owner.address, mint, tokenProgram);
  return [
    await createAssociatedTokenIdempotent(owner, owner.address, mint, tokenProgram),
    withRemaining(
      getBorrowInstruction({
        owner,
        market: p.market,
        reserve: p.reserve.reserve,
        obligation: p.obligation,
        mint,
        liquidityVault: p.reserve.liquidityVault,
        destination,
        tokenProgram,
        amount: p.amount,
      }),
      remainingAccounts(afterBorrow(p.state, p.reserve.reserve), p.oracleOf),
    ),
  ];
}

/**
 * Anyone repays from their associated token account; `ALL` repays exactly the debt. The
 * obligation's state names its isolated collateral reserve, which the repayment releases from its
 * debt ceiling.
 */
export async function planRepay(
  payer: TransactionSigner,
  p: Omit<PositionInput, 'oracleOf'>,
): Promise<Instruction[]> {
  const source = await findAssociatedTokenAddress(payer.address, p.reserve.mint, p.reserve.tokenProgram);
  return [
    getRepayInstruction({
      payer,
      market: p.market,
      reserve: p.reserve.reserve,
      obligation: p.obligation,
      mint: p.reserve.mint,
      liquidityVault: p.reserve.liquidityVault,
      source,
      tokenProgram: p.reserve.tokenProgram,
      isolatedReserve: isolatedReserve(p.state),
      amount: p.amount,
    }),
  ];
}

export type LiquidationInput = {
  market: Address;
  obligation: Address;
  state: Obligation;
  repay: ReserveKeys;
  collateral: ReserveKeys;
  maxRepay: number | bigint;
  minCollateralOut: number | bigint;
  /** Take the collateral as supply shares in the liquidator's obligation 0. */
  receiveShares: boolean;
  /** Open the liquidator's obligation 0 first (when `receiveShares` and it does not exist). */
  openLiquidatorObligation?: boolean;
  oracleOf: OracleOf;
};

/**
 * A liquidation as the reference keeper sends it (without its compute budget): the liquidator's
 * collateral account opened if missing, then `liquidate` with every position's reserve writable.
 */
export async function planLiquidation(
  liquidator: TransactionSigner,
  p: LiquidationInput,
): Promise<Instruction[]> {
  const instructions: Instruction[] = [
    await createAssociatedTokenIdempotent(
      liquidator,
      liquidator.address,
      p.collateral.mint,
      p.collateral.tokenProgram,
    ),
  ];
  const liquidatorObligation = await findObligationAddress(p.market, liquidator.address, 0);
  if (p.receiveShares && p.openLiquidatorObligation) {
    instructions.push(
      getInitObligationInstruction({
        owner: liquidator,
        market: p.market,
        obligation: liquidatorObligation,
        index: 0,
      }),
    );
  }
  const repaySource = await findAssociatedTokenAddress(
    liquidator.address,
    p.repay.mint,
    p.repay.tokenProgram,
  );
  const collateralDestination = await findAssociatedTokenAddress(
    liquidator.address,
    p.collateral.mint,
    p.collateral.tokenProgram,
  );
  instructions.push(
    withRemaining(
      getLiquidateInstruction({
        liquidator,
        market: p.market,
        obligation: p.obligation,
        repayReserve: p.repay.reserve,
        collateralReserve: p.collateral.reserve,
        repayMint: p.repay.mint,
        collateralMint: p.collateral.mint,
        repayLiquidityVault: p.repay.liquidityVault,
        collateralLiquidityVault: p.collateral.liquidityVault,
        repaySource,
        collateralDestination,
        liquidatorObligation: p.receiveShares ? liquidatorObligation : undefined,
        repayTokenProgram: p.repay.tokenProgram,
        collateralTokenProgram: p.collateral.tokenProgram,
        maxRepay: p.maxRepay,
        minCollateralOut: p.minCollateralOut,
        receiveShares: p.receiveShares,
      }),
      remainingAccounts(p.state, p.oracleOf, true),
    ),
  );
  return instructions;
}

export type FlashLiquidationInput = LiquidationInput & {
  /** Flash-borrowed and repaid to the obligation (the planned repayment). */
  flashAmount: bigint;
  /** `flash_repay`'s amount: `flashAmount` plus the reserve's fee, rounded up. */
  due: bigint;
  /** The liquidator's obligation 0 as it is now (empty when it opens in this transaction). */
  liquidatorState: Obligation;
};

/**
 * A liquidation paid with a flash loan, closed inside Ballast (`ballast keeper --flash`,
 * `plans::flash_liquidation` in Rust): flash-borrow the repayment, liquidate taking the
 * collateral as shares into the liquidator's obligation 0, borrow `due` against it, flash-repay.
 * Send it as a v0 transaction through a lookup table (docs/flash-loans.md).
 */
export async function planFlashLiquidation(
  liquidator: TransactionSigner,
  p: FlashLiquidationInput,
): Promise<Instruction[]> {
  const debtAccount = await findAssociatedTokenAddress(
    liquidator.address,
    p.repay.mint,
    p.repay.tokenProgram,
  );
  const liquidatorObligation = await findObligationAddress(p.market, liquidator.address, 0);
  const debt = {
    market: p.market,
    reserve: p.repay.reserve,
    mint: p.repay.mint,
    liquidityVault: p.repay.liquidityVault,
    tokenProgram: p.repay.tokenProgram,
  };
  const instructions: Instruction[] = [
    await createAssociatedTokenIdempotent(
      liquidator,
      liquidator.address,
      p.repay.mint,
      p.repay.tokenProgram,
    ),
    getFlashBorrowInstruction({
      ...debt,
      borrower: liquidator,
      destination: debtAccount,
      amount: p.flashAmount,
    }),
    ...(await planLiquidation(liquidator, { ...p, receiveShares: true })),
  ];
  const after = afterBorrow(afterDeposit(p.liquidatorState, p.collateral.reserve), p.repay.reserve);
  instructions.push(
    withRemaining(
      getBorrowInstruction({
        ...debt,
        owner: liquidator,
        obligation: liquidatorObligation,
        destination: debtAccount,
        amount: p.due,
      }),
      // Seized isolated collateral may make the liquidator's obligation isolated on it, and the
      // borrow then counts against its ceiling: the collateral reserve is listed writable (the
      // liquidation in the same transaction write-locks it anyway).
      remainingAccounts(after, p.oracleOf).map(meta =>
        meta.address === p.collateral.reserve ? { ...meta, role: AccountRole.WRITABLE } : meta,
      ),
    ),
    getFlashRepayInstruction({ ...debt, payer: liquidator, source: debtAccount, amount: p.due }),
  );
  return instructions;
}
