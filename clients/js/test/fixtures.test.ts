// The TypeScript client against the Rust one: every instruction's bytes and account metas,
// every account's decoding, every derived address and every whole-operation plan, from the
// fixtures `cargo test -p ballast-client --test js_fixtures` writes (test/fixtures/ballast.json).
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { createNoopSigner, type AccountMeta, type Address, type Instruction } from '@solana/kit';

import * as ballast from '../src';

type Meta = { address: string; signer: boolean; writable: boolean };
type Fixtures = {
  programAddress: string;
  addresses: {
    markets: { creator: string; index: number; address: string }[];
    obligations: { market: string; owner: string; index: number; address: string }[];
    reserves: {
      market: string;
      mint: string;
      tokenProgram: string;
      oracle: string;
      reserve: string;
      liquidityVault: string;
      fundVault: string;
    }[];
    associatedTokenAccounts: { owner: string; mint: string; tokenProgram: string; address: string }[];
  };
  accounts: { name: string; address: string; data: string; fields: Record<string, unknown> }[];
  instructions: {
    name: string;
    accounts: Record<string, string>;
    signers: string[];
    args: Record<string, unknown>;
    remaining: Meta[];
    metas: Meta[];
    data: string;
  }[];
  plans: {
    name: string;
    signer: string;
    input: Record<string, unknown>;
    obligation: string;
    oracles: Record<string, string>;
    instructions: { programAddress: string; metas: Meta[]; data: string }[];
  }[];
};

// Fixtures sit beside the sources; the compiled test runs from dist/test.
const fixtures: Fixtures = JSON.parse(
  readFileSync(join(__dirname, '..', '..', 'test', 'fixtures', 'ballast.json'), 'utf8'),
);
const generated = ballast as unknown as Record<string, (...args: unknown[]) => any>;

const pascal = (camel: string) => camel[0].toUpperCase() + camel.slice(1);
const hex = (bytes: ArrayLike<number>) => Buffer.from(Uint8Array.from(bytes)).toString("hex");
const fromHex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));


/** `[path, value]` for every leaf, sorted by path: 64-bit and wider integers as decimal strings,
 * byte arrays as number arrays. (The Rust side writes objects with sorted keys; field order is
 * checked by the byte-for-byte re-encoding.) */
function leaves(value: unknown): [string, unknown][] {
  const out: [string, unknown][] = [];
  const walk = (v: unknown, path: string) => {
    if (typeof v === 'bigint') out.push([path, v.toString()]);
    else if (v instanceof Uint8Array) out.push([path, Array.from(v)]);
    else if (Array.isArray(v) && v.length > 0 && v.every(item => typeof item === 'number')) {
      out.push([path, v]);
    } else if (Array.isArray(v)) v.forEach((item, i) => walk(item, `${path}[${i}]`));
    else if (v !== null && typeof v === 'object') {
      for (const [k, item] of Object.entries(v)) walk(item, path ? `${path}.${k}` : k);
    } else out.push([path, v]);
  };
  walk(value, '');
  return out.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The IDL's arguments in Codama's shape: a struct argument Codama inlined into the instruction
 * (it does so for a defined type used once) has its fields at the top level. */
function likeCodama(expected: Record<string, unknown>, decoded: Record<string, unknown>) {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(expected)) {
    if (key in decoded || value === null || typeof value !== 'object' || Array.isArray(value)) {
      out[key] = value;
    } else {
      Object.assign(out, value);
    }
  }
  return out;
}

function withoutDiscriminator(decoded: Record<string, unknown>) {
  const { discriminator: _, ...rest } = decoded;
  return rest;
}

function metas(accounts: readonly AccountMeta[] | undefined): Meta[] {
  return (accounts ?? []).map(a => ({
    address: a.address,
    signer: a.role >= 2,
    writable: (a.role & 1) === 1,
  }));
}

function plain(ix: Instruction) {
  return { programAddress: ix.programAddress, metas: metas(ix.accounts), data: hex(ix.data ?? new Uint8Array()) };
}

describe('derived addresses', () => {
  it('the program address', () => {
    assert.equal(ballast.BALLAST_PROGRAM_ADDRESS, fixtures.programAddress);
  });
  it('markets', async () => {
    for (const m of fixtures.addresses.markets) {
      assert.equal(await ballast.findMarketAddress(m.creator as Address, m.index), m.address);
    }
  });
  it('obligations', async () => {
    for (const o of fixtures.addresses.obligations) {
      assert.equal(
        await ballast.findObligationAddress(o.market as Address, o.owner as Address, o.index),
        o.address,
      );
    }
  });
  it('reserves and their vaults', async () => {
    for (const r of fixtures.addresses.reserves) {
      const keys = await ballast.deriveReserveKeys(
        r.market as Address,
        r.mint as Address,
        r.tokenProgram as Address,
        r.oracle as Address,
      );
      assert.deepEqual(keys, {
        reserve: r.reserve,
        mint: r.mint,
        liquidityVault: r.liquidityVault,
        fundVault: r.fundVault,
        tokenProgram: r.tokenProgram,
        oracle: r.oracle,
      });
    }
  });
  it('associated token accounts', async () => {
    for (const a of fixtures.addresses.associatedTokenAccounts) {
      assert.equal(
        await ballast.findAssociatedTokenAddress(a.owner as Address, a.mint as Address, a.tokenProgram as Address),
        a.address,
      );
    }
  });
});

describe('accounts decode like the program stores them', () => {
  for (const account of fixtures.accounts) {
    it(`${account.name} ${account.address}`, () => {
      const bytes = fromHex(account.data);
      const name = pascal(account.name);
      const decoded = generated[`get${name}Decoder`]().decode(bytes);
      assert.equal(hex(decoded.discriminator), hex(bytes.subarray(0, 8)));
      assert.equal(hex((ballast as any)[`${account.name.replace(/[A-Z]/g, c => '_' + c).toUpperCase()}_DISCRIMINATOR`]), hex(bytes.subarray(0, 8)));
      assert.deepEqual(leaves(withoutDiscriminator(decoded)), leaves(account.fields));
      assert.equal(bytes.length, generated[`get${name}Size`]());
      assert.equal(hex(generated[`get${name}Encoder`]().encode(decoded)), hex(bytes));
    });
  }
});

describe('instructions encode byte for byte', () => {
  const covered = new Set(fixtures.instructions.map(i => i.name));
  it('every instruction of the program has a fixture', () => {
    const builders = Object.keys(ballast)
      .filter(k => /^get[A-Z]\w*Instruction$/.test(k) && !k.endsWith('DataInstruction'))
      .map(k => k.slice(3, -'Instruction'.length))
      .map(n => n[0].toLowerCase() + n.slice(1))
      .sort();
    assert.deepEqual([...covered].sort(), builders);
  });
  for (const fixture of fixtures.instructions) {
    it(fixture.name, () => {
      const name = pascal(fixture.name);
      const data = fromHex(fixture.data);
      const decoded = withoutDiscriminator(generated[`get${name}InstructionDataDecoder`]().decode(data));
      assert.deepEqual(leaves(decoded), leaves(likeCodama(fixture.args, decoded)));
      const accounts = Object.fromEntries(
        Object.entries(fixture.accounts).map(([role, address]) => [
          role,
          fixture.signers.includes(role) ? createNoopSigner(address as Address) : address,
        ]),
      );
      const ix: Instruction = generated[`get${name}Instruction`]({ ...accounts, ...decoded });
      assert.equal(hex(ix.data!), fixture.data);
      assert.deepEqual(metas(ix.accounts), fixture.metas.slice(0, fixture.metas.length - fixture.remaining.length));
      assert.deepEqual(fixture.metas.slice(fixture.metas.length - fixture.remaining.length), fixture.remaining);
    });
  }
});

describe('whole operations plan the same instructions as the Rust client', () => {
  const obligations = new Map(
    fixtures.accounts
      .filter(a => a.name === 'obligation')
      .map(a => [a.address, ballast.getObligationDecoder().decode(fromHex(a.data))]),
  );
  for (const plan of fixtures.plans) {
    it(`${plan.name}: ${JSON.stringify(plan.input.label ?? '')}`, async () => {
      const signer = createNoopSigner(plan.signer as Address);
      const state = obligations.get(plan.obligation);
      assert.ok(state, `no obligation fixture ${plan.obligation}`);
      const oracleOf = (reserve: Address) => {
        const oracle = plan.oracles[reserve];
        assert.ok(oracle, `no oracle for ${reserve}`);
        return oracle as Address;
      };
      const input = plan.input as any;
      const position = {
        market: input.market as Address,
        reserve: input.reserve as ballast.ReserveKeys,
        obligation: plan.obligation as Address,
        state,
        amount: BigInt(input.amount ?? 0),
        oracleOf,
      };
      let instructions: Instruction[];
      switch (plan.name) {
        case 'deposit':
          instructions = await ballast.planDeposit(signer, position);
          break;
        case 'withdraw':
          instructions = await ballast.planWithdraw(signer, position);
          break;
        case 'borrow':
          instructions = await ballast.planBorrow(signer, position);
          break;
        case 'repay':
          instructions = await ballast.planRepay(signer, position);
          break;
        case 'setCollateral':
          instructions = [ballast.planSetCollateral(signer, position, input.enabled)];
          break;
        case 'liquidation':
          instructions = await ballast.planLiquidation(signer, {
            market: input.market,
            obligation: plan.obligation as Address,
            state,
            repay: input.repay,
            collateral: input.collateral,
            maxRepay: BigInt(input.maxRepay),
            minCollateralOut: BigInt(input.minCollateralOut),
            receiveShares: input.receiveShares,
            openLiquidatorObligation: input.openLiquidatorObligation,
            oracleOf,
          });
          break;
        case 'flashLiquidation': {
          const own = obligations.get(input.liquidatorObligation);
          assert.ok(own, `no obligation fixture ${input.liquidatorObligation}`);
          instructions = await ballast.planFlashLiquidation(signer, {
            market: input.market,
            obligation: plan.obligation as Address,
            state,
            repay: input.repay,
            collateral: input.collateral,
            maxRepay: BigInt(input.maxRepay),
            minCollateralOut: BigInt(input.minCollateralOut),
            receiveShares: true,
            openLiquidatorObligation: input.openLiquidatorObligation,
            oracleOf,
            flashAmount: BigInt(input.flashAmount),
            due: BigInt(input.due),
            liquidatorState: own,
          });
          break;
        }
        default:
          throw new Error(`unknown plan ${plan.name}`);
      }
      assert.deepEqual(instructions.map(plain), plan.instructions);
    });
  }
});
