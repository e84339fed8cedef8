// An obligation's positions as the program reads them: the canonical remaining accounts of a
// health check, and the obligation as a borrow or a collateral change will leave it. Mirrors
// `ballast::state::Obligation` and `ballast_client::instructions` (held equal by the shared
// fixtures in test/fixtures).
import { AccountRole, type AccountMeta, type Address } from '@solana/kit';

import type { Obligation, ObligationBorrow, ObligationDeposit } from './generated';

/** An empty slot's reserve (the default public key). */
export const EMPTY_SLOT = '11111111111111111111111111111111' as Address;

/** Maps a reserve to the price account passed for it. */
/**
 * The price accounts listed for a reserve: its primary source's, then its fallback's when it has
 * one (a single address for a reserve without a fallback).
 */
export type OracleOf = (reserve: Address) => Address | readonly Address[];

/** Read-only metas of a reserve's price accounts, primary first. */
export function oracleMetas(oracles: Address | readonly Address[]): AccountMeta[] {
  const list: readonly Address[] = typeof oracles === 'string' ? [oracles] : oracles;
  return list.map(address => ({ address, role: AccountRole.READONLY }));
}

export function activeDeposits(obligation: Obligation): ObligationDeposit[] {
  return obligation.deposits.filter(d => d.reserve !== EMPTY_SLOT);
}

export function activeBorrows(obligation: Obligation): ObligationBorrow[] {
  return obligation.borrows.filter(b => b.reserve !== EMPTY_SLOT);
}

export function hasDebt(obligation: Obligation): boolean {
  return activeBorrows(obligation).length > 0;
}

/** Deposits in slot order, then borrows in slot order, each reserve once. */
export function positionReserves(obligation: Obligation): Address[] {
  const reserves: Address[] = [];
  for (const reserve of [
    ...activeDeposits(obligation).map(d => d.reserve),
    ...activeBorrows(obligation).map(b => b.reserve),
  ]) {
    if (!reserves.includes(reserve)) reserves.push(reserve);
  }
  return reserves;
}

/**
 * `[reserve, oracle, fallback oracle?]` for each of the obligation's reserves in the program's
 * canonical order.
 * Reserves are writable when `writable` (liquidations, which may realize bad debt).
 */
export function remainingAccounts(
  obligation: Obligation,
  oracleOf: OracleOf,
  writable = false,
): AccountMeta[] {
  // The isolated collateral's debt counter changes whenever the obligation's debt does.
  return positionReserves(obligation).flatMap(reserve => [
    {
      address: reserve,
      role: writable || reserve === obligation.isolatedCollateral ? AccountRole.WRITABLE : AccountRole.READONLY,
    },
    ...oracleMetas(oracleOf(reserve)),
  ]);
}

/**
 * The obligation as it will be after borrowing from `reserve`: what `borrow` checks. A borrow
 * the program will refuse before valuing (no free slot, a deposit in the same reserve) keeps the
 * positions as they are, so that the program's own error is what the caller sees.
 */
/** The isolated collateral reserve `repay` passes for `obligation`, if it has one. */
export function isolatedReserve(obligation: Obligation): Address | undefined {
  return obligation.isolatedCollateral === EMPTY_SLOT ? undefined : obligation.isolatedCollateral;
}

export function afterBorrow(obligation: Obligation, reserve: Address): Obligation {
  if (obligation.borrows.some(b => b.reserve === reserve)) return obligation;
  if (activeDeposits(obligation).some(d => d.reserve === reserve)) return obligation;
  const free = obligation.borrows.findIndex(b => b.reserve === EMPTY_SLOT);
  if (free < 0) return obligation;
  const borrows = obligation.borrows.slice();
  borrows[free] = { reserve, scaledDebt: 1n, isolatedDebt: 0n };
  return { ...obligation, borrows };
}

/** The obligation after a deposit into `reserve` (a new slot opens disabled while in debt). */
export function afterDeposit(obligation: Obligation, reserve: Address): Obligation {
  if (obligation.deposits.some(d => d.reserve === reserve)) return obligation;
  if (activeBorrows(obligation).some(b => b.reserve === reserve)) return obligation;
  const free = obligation.deposits.findIndex(d => d.reserve === EMPTY_SLOT);
  if (free < 0) return obligation;
  const deposits = obligation.deposits.slice();
  deposits[free] = { reserve, shares: 1n, collateralEnabled: !hasDebt(obligation), isolated: false };
  return { ...obligation, deposits };
}

/**
 * What `set_collateral` needs: nothing without debt; while in debt, the enabled reserve and its
 * oracle to enable, every position to disable.
 */
export function setCollateralRemaining(
  obligation: Obligation,
  reserve: Address,
  enabled: boolean,
  oracleOf: OracleOf,
): AccountMeta[] {
  if (!hasDebt(obligation)) return [];
  if (enabled) {
    return [{ address: reserve, role: AccountRole.READONLY }, ...oracleMetas(oracleOf(reserve))];
  }
  return remainingAccounts(obligation, oracleOf, false);
}
