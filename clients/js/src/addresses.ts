// Addresses Codama cannot derive from the IDL alone: a market's (its index is an argument of
// `init_market`), an obligation's (its index is an argument of `init_obligation`), the whole set
// of a reserve's addresses, and associated token accounts.
import {
  getAddressEncoder,
  getProgramDerivedAddress,
  getU16Encoder,
  getU8Encoder,
  type Address,
} from '@solana/kit';

import { findFundVaultPda, findLiquidityVaultPda, findReservePda } from './generated/pdas';
import { BALLAST_PROGRAM_ADDRESS } from './generated/programs';
import type { Reserve } from './generated/accounts';

export const TOKEN_PROGRAM_ADDRESS = 'TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA' as Address;
export const TOKEN_2022_PROGRAM_ADDRESS = 'TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb' as Address;
export const ASSOCIATED_TOKEN_PROGRAM_ADDRESS =
  'ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL' as Address;
export const SYSTEM_PROGRAM_ADDRESS = '11111111111111111111111111111111' as Address;

const text = (s: string) => new TextEncoder().encode(s);
const address = getAddressEncoder();

/** `[b"market", creator, index (u16 LE)]`. */
export async function findMarketAddress(creator: Address, index: number): Promise<Address> {
  const [pda] = await getProgramDerivedAddress({
    programAddress: BALLAST_PROGRAM_ADDRESS,
    seeds: [text('market'), address.encode(creator), getU16Encoder().encode(index)],
  });
  return pda;
}

/** `[b"obligation", market, owner, index (u8)]`. */
export async function findObligationAddress(
  market: Address,
  owner: Address,
  index: number,
): Promise<Address> {
  const [pda] = await getProgramDerivedAddress({
    programAddress: BALLAST_PROGRAM_ADDRESS,
    seeds: [text('obligation'), address.encode(market), address.encode(owner), getU8Encoder().encode(index)],
  });
  return pda;
}

/** The associated token account of `owner` for `mint` under `tokenProgram`. */
export async function findAssociatedTokenAddress(
  owner: Address,
  mint: Address,
  tokenProgram: Address = TOKEN_PROGRAM_ADDRESS,
): Promise<Address> {
  const [pda] = await getProgramDerivedAddress({
    programAddress: ASSOCIATED_TOKEN_PROGRAM_ADDRESS,
    seeds: [address.encode(owner), address.encode(tokenProgram), address.encode(mint)],
  });
  return pda;
}

/** Everything an instruction needs to name one reserve. */
export type ReserveKeys = {
  reserve: Address;
  mint: Address;
  liquidityVault: Address;
  fundVault: Address;
  tokenProgram: Address;
  /** The primary price account passed for this reserve in health checks. */
  oracle: Address;
  /** The fallback price account, listed after it, when the reserve has one. */
  fallbackOracle?: Address;
};

/** A reserve's keys from its stored state (what a client reads from chain). */
export function reserveKeys(reserveAddress: Address, reserve: Reserve): ReserveKeys {
  return {
    reserve: reserveAddress,
    mint: reserve.mint,
    liquidityVault: reserve.liquidityVault,
    fundVault: reserve.fundVault,
    tokenProgram: reserve.tokenProgram,
    oracle: reserve.config.oracle.oracleAccount,
    ...(reserve.config.fallbackOracle.source === 0
      ? {}
      : { fallbackOracle: reserve.config.fallbackOracle.oracleAccount }),
  };
}

/** A reserve's keys derived from its seeds, before it exists (what `init_reserve` creates). */
export async function deriveReserveKeys(
  market: Address,
  mint: Address,
  tokenProgram: Address,
  oracle: Address,
): Promise<ReserveKeys> {
  const [reserve] = await findReservePda({ market, mint });
  const [liquidityVault] = await findLiquidityVaultPda({ reserve });
  const [fundVault] = await findFundVaultPda({ reserve });
  return { reserve, mint, liquidityVault, fundVault, tokenProgram, oracle };
}
