// §3.1 connection tables: which input maps M_j each output map j of a convolution layer combines
// (docs/SPEC.md §3.1).
//
// A table is stored as a boolean matrix table[i][j] (rows: input maps i, columns: output maps j),
// the way LeCun et al. (1998, Table I) print C3's, and compiled into a compact list of connections
// ordered by output map, then input map. Connection c owns kernel c of the layer.

export type ConnectionSpec = 'all' | 'pairs' | 'triplets' | 'lenet5-c3' | (boolean | 0 | 1)[][];

export const CONNECTION_NAMES = ['all', 'pairs', 'triplets', 'lenet5-c3'] as const;

/** LeCun et al. 1998, Table I: the input maps of S2 read by each of C3's 16 maps (60 connections). */
export const LENET5_C3: readonly (readonly number[])[] = [
  [0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5], [4, 5, 0], [5, 0, 1],
  [0, 1, 2, 3], [1, 2, 3, 4], [2, 3, 4, 5], [3, 4, 5, 0], [4, 5, 0, 1], [5, 0, 1, 2],
  [0, 1, 3, 4], [1, 2, 4, 5], [0, 2, 3, 5],
  [0, 1, 2, 3, 4, 5],
];

export interface Connections {
  readonly inputMaps: number;
  readonly outputMaps: number;
  /** Number of connections (= kernels). */
  readonly count: number;
  /** Input map of connection c. */
  readonly input: Int32Array;
  /** Connections of output map j are start[j] .. start[j+1]-1. */
  readonly start: Int32Array;
  /** table[i][j]: does output map j read input map i. */
  readonly table: boolean[][];
}

/** All k-subsets of {0..n-1} in lexicographic order. */
function subsets(n: number, k: number): number[][] {
  const out: number[][] = [];
  const pick: number[] = [];
  const rec = (from: number) => {
    if (pick.length === k) {
      out.push(pick.slice());
      return;
    }
    for (let i = from; i < n; i++) {
      pick.push(i);
      rec(i + 1);
      pick.pop();
    }
  };
  rec(0);
  return out;
}

/**
 * The input-map sets M_j for a named or explicit table. `pairs` and `triplets` enumerate all
 * pairs (triplets) of input maps in lexicographic order; output map j takes set j mod (number of sets),
 * so a layer with exactly C(n,2) maps sees every pair once. Throws a plain Error whose message says
 * what was expected; the description validator prefixes it with the layer and field.
 */
export function inputSets(spec: ConnectionSpec, inputMaps: number, outputMaps: number): number[][] {
  if (Array.isArray(spec)) {
    if (spec.length !== inputMaps) {
      throw new Error(`expected a table with one row per input map (${inputMaps} rows), got ${spec.length} rows`);
    }
    spec.forEach((row, i) => {
      if (!Array.isArray(row) || row.length !== outputMaps) {
        throw new Error(`expected row ${i} to have one entry per output map (${outputMaps}), got ${Array.isArray(row) ? row.length : typeof row}`);
      }
      row.forEach((v, j) => {
        if (v !== true && v !== false && v !== 0 && v !== 1) {
          throw new Error(`expected entry [${i}][${j}] to be true/false or 1/0, got ${JSON.stringify(v)}`);
        }
      });
    });
    const sets: number[][] = [];
    for (let j = 0; j < outputMaps; j++) {
      const set: number[] = [];
      for (let i = 0; i < inputMaps; i++) if (spec[i][j]) set.push(i);
      if (set.length === 0) throw new Error(`expected every output map to read at least one input map, but output map ${j} reads none`);
      sets.push(set);
    }
    return sets;
  }
  switch (spec) {
    case 'all':
      return Array.from({ length: outputMaps }, () => Array.from({ length: inputMaps }, (_, i) => i));
    case 'pairs':
    case 'triplets': {
      const k = spec === 'pairs' ? 2 : 3;
      if (inputMaps < k) throw new Error(`'${spec}' needs at least ${k} input maps, got ${inputMaps}`);
      const all = subsets(inputMaps, k);
      return Array.from({ length: outputMaps }, (_, j) => all[j % all.length].slice());
    }
    case 'lenet5-c3':
      if (inputMaps !== 6 || outputMaps !== 16) {
        throw new Error(`'lenet5-c3' connects 6 input maps to 16 output maps, got ${inputMaps} → ${outputMaps}`);
      }
      return LENET5_C3.map((s) => [...s].sort((a, b) => a - b));
    default:
      throw new Error(`expected one of ${CONNECTION_NAMES.join(', ')} or a boolean table, got ${JSON.stringify(spec)}`);
  }
}

export function compileConnections(spec: ConnectionSpec, inputMaps: number, outputMaps: number): Connections {
  const sets = inputSets(spec, inputMaps, outputMaps);
  const count = sets.reduce((n, s) => n + s.length, 0);
  const input = new Int32Array(count);
  const start = new Int32Array(outputMaps + 1);
  const table = Array.from({ length: inputMaps }, () => new Array<boolean>(outputMaps).fill(false));
  let c = 0;
  for (let j = 0; j < outputMaps; j++) {
    start[j] = c;
    for (const i of sets[j]) {
      input[c++] = i;
      table[i][j] = true;
    }
  }
  start[outputMaps] = c;
  return { inputMaps, outputMaps, count, input, start, table };
}
