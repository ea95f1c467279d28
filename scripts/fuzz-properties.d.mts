// Types of scripts/fuzz-properties.mjs, for test/formats/fuzz.test.ts.
import type { Arbitrary } from 'fast-check';

export declare const LIMIT_MS: number;
export declare const LIMIT_BYTES: number;
export declare class HugeAllocation extends Error {}
export declare const SMALL_DESCRIPTIONS: unknown[];
export declare function encodeIdx(dims: number[], data: Uint8Array): Uint8Array;

export interface FuzzStats {
  name: string;
  inputs: number;
  ok: number;
  documented: number;
  unexpected: number;
  /** The first few unexpected outcomes. */
  reasons: string[];
}

export interface FuzzProperty {
  name: string;
  stats: FuzzStats;
  arbitrary: Arbitrary<unknown>;
  predicate: (input: unknown) => boolean;
}

export declare function fuzzProperties(lib: Record<string, unknown>, nets: readonly { description: unknown; params: ArrayLike<number>; views: readonly unknown[] }[]): FuzzProperty[];
