// §3.1 connection tables (src/network/connections.ts): the input-map sets M_j of each output map j,
// named ('all', 'pairs', 'triplets', 'lenet5-c3') or given as an explicit boolean table.
import { describe, expect, it } from 'vitest';
import {
  CONNECTION_NAMES, LENET5_C3, compileConnections, inputSets,
  type ConnectionSpec, type Connections,
} from '../../src/network/connections.js';

/** Every structural invariant a compiled table must satisfy, checked against the sets it came from. */
function expectConsistent(c: Connections, sets: number[][], inputMaps: number, outputMaps: number): void {
  expect(c.inputMaps).toBe(inputMaps);
  expect(c.outputMaps).toBe(outputMaps);
  expect(c.start).toBeInstanceOf(Int32Array);
  expect(c.input).toBeInstanceOf(Int32Array);
  expect(c.start.length).toBe(outputMaps + 1);
  expect(c.start[0]).toBe(0);
  expect(c.start[outputMaps]).toBe(c.count);
  expect(c.input.length).toBe(c.count);
  expect(c.count).toBe(sets.reduce((n, s) => n + s.length, 0));
  // table dimensions: rows = input maps, columns = output maps, entries are real booleans
  expect(c.table.length).toBe(inputMaps);
  for (const row of c.table) {
    expect(row.length).toBe(outputMaps);
    for (const v of row) expect(typeof v).toBe('boolean');
  }
  for (let j = 0; j < outputMaps; j++) {
    expect(c.start[j + 1]).toBeGreaterThan(c.start[j]); // every output map reads something
    const fromCompact = Array.from(c.input.subarray(c.start[j], c.start[j + 1]));
    const fromTable: number[] = [];
    for (let i = 0; i < inputMaps; i++) if (c.table[i][j]) fromTable.push(i);
    // compact form lists exactly the table's column j, in increasing input-map order
    expect(fromCompact, `output map ${j}`).toEqual(fromTable);
    expect(fromCompact, `output map ${j}`).toEqual(sets[j]);
  }
}

/** Lexicographic k-subsets of {0..n-1}, by plain nested loops (k = 2 or 3). */
function lexPairs(n: number): number[][] {
  const out: number[][] = [];
  for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) out.push([a, b]);
  return out;
}
function lexTriplets(n: number): number[][] {
  const out: number[][] = [];
  for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) for (let c = b + 1; c < n; c++) out.push([a, b, c]);
  return out;
}
const binom = (n: number, k: number): number => (k === 0 ? 1 : (binom(n - 1, k - 1) * n) / k);

describe("'all'", () => {
  it.each([[1, 1], [3, 5], [6, 2], [4, 4]])('%i input maps → %i output maps: every output reads every input', (n, m) => {
    const sets = inputSets('all', n, m);
    expect(sets).toHaveLength(m);
    for (const s of sets) expect(s).toEqual(Array.from({ length: n }, (_, i) => i));
    const c = compileConnections('all', n, m);
    expect(c.count).toBe(n * m);
    expect(c.table.every((row) => row.every((v) => v === true))).toBe(true);
    expectConsistent(c, sets, n, m);
    // connection c of output map j is input (c - start[j]): ordered by output map, then input map
    for (let j = 0; j < m; j++) for (let i = 0; i < n; i++) expect(c.input[j * n + i]).toBe(i);
  });
});

describe("'pairs' and 'triplets'", () => {
  it('pairs of 4 input maps, literally, in lexicographic order with wrap-around', () => {
    expect(inputSets('pairs', 4, 8)).toEqual([[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3], [0, 1], [0, 2]]);
    expect(compileConnections('pairs', 4, 8).count).toBe(16);
  });

  it('triplets of 4 input maps, literally, in lexicographic order with wrap-around', () => {
    expect(inputSets('triplets', 4, 6)).toEqual([[0, 1, 2], [0, 1, 3], [0, 2, 3], [1, 2, 3], [0, 1, 2], [0, 1, 3]]);
    expect(compileConnections('triplets', 4, 6).count).toBe(18);
  });

  it('fewer output maps than sets takes the first sets', () => {
    expect(inputSets('pairs', 5, 3)).toEqual([[0, 1], [0, 2], [0, 3]]);
    expect(inputSets('triplets', 3, 1)).toEqual([[0, 1, 2]]);
  });

  const cases: [('pairs' | 'triplets'), number, number][] = [
    ['pairs', 2, 1], ['pairs', 2, 3], ['pairs', 3, 3], ['pairs', 4, 6], ['pairs', 5, 10], ['pairs', 5, 23], ['pairs', 6, 4],
    ['triplets', 3, 1], ['triplets', 3, 4], ['triplets', 4, 4], ['triplets', 5, 10], ['triplets', 5, 17], ['triplets', 6, 20], ['triplets', 6, 45],
  ];
  it.each(cases)('%s of %i input maps → %i output maps: set j is subset (j mod C(n,k)), count k·outputs', (spec, n, m) => {
    const k = spec === 'pairs' ? 2 : 3;
    const all = spec === 'pairs' ? lexPairs(n) : lexTriplets(n);
    expect(all).toHaveLength(binom(n, k));
    const sets = inputSets(spec, n, m);
    expect(sets).toHaveLength(m);
    for (let j = 0; j < m; j++) expect(sets[j], `output map ${j}`).toEqual(all[j % all.length]);
    const c = compileConnections(spec, n, m);
    expect(c.count).toBe(k * m);
    expectConsistent(c, sets, n, m);
  });

  it('with exactly C(n,k) output maps every subset is seen exactly once', () => {
    for (const [spec, n] of [['pairs', 6], ['triplets', 6], ['pairs', 7]] as const) {
      const k = spec === 'pairs' ? 2 : 3;
      const m = binom(n, k);
      const keys = inputSets(spec, n, m).map((s) => s.join(','));
      expect(new Set(keys).size).toBe(m);
      // and each input map is used by the same number of output maps, C(n-1, k-1)
      const c = compileConnections(spec, n, m);
      for (let i = 0; i < n; i++) expect(c.table[i].filter(Boolean).length).toBe(binom(n - 1, k - 1));
    }
  });

  it('mutating the sets returned by one call does not affect the next call', () => {
    const sets = inputSets('pairs', 3, 4);
    sets[0].push(99);
    sets[3].push(98);
    expect(inputSets('pairs', 3, 4)).toEqual([[0, 1], [0, 2], [1, 2], [0, 1]]);
  });
});

describe("'lenet5-c3' (LeCun et al. 1998, Table I)", () => {
  // The table as printed in the paper: rows are S2's input maps 0..5, columns C3's output maps 0..15.
  const TABLE_I = [
    'X...XXX..XXXX.XX',
    'XX...XXX..XXXX.X',
    'XXX...XXX..X.XXX',
    '.XXX..XXXX..X.XX',
    '..XXX..XXXX.XX.X',
    '...XXX..XXXX.XXX',
  ];

  it('row for input map 0 has X in columns 0,4,5,6,9,10,11,12,14,15', () => {
    const cols = [...TABLE_I[0]].flatMap((ch, j) => (ch === 'X' ? [j] : []));
    expect(cols).toEqual([0, 4, 5, 6, 9, 10, 11, 12, 14, 15]);
    const c = compileConnections('lenet5-c3', 6, 16);
    expect(c.table[0].flatMap((v, j) => (v ? [j] : []))).toEqual([0, 4, 5, 6, 9, 10, 11, 12, 14, 15]);
  });

  it('the compiled table is Table I, entry by entry', () => {
    const c = compileConnections('lenet5-c3', 6, 16);
    const printed = c.table.map((row) => row.map((v) => (v ? 'X' : '.')).join(''));
    expect(printed).toEqual(TABLE_I);
  });

  it('has 60 connections and 60·25 + 16 = 1516 parameters with 5×5 kernels', () => {
    const c = compileConnections('lenet5-c3', 6, 16);
    expect(c.count).toBe(60);
    expect(c.count * 5 * 5 + c.outputMaps).toBe(1516);
    expect(LENET5_C3.reduce((n, s) => n + s.length, 0)).toBe(60);
  });

  it('the structure the paper describes: 6 maps read 3 contiguous inputs, 6 read 4 contiguous, 3 read 4 non-contiguous, 1 reads all', () => {
    const sets = inputSets('lenet5-c3', 6, 16);
    const sizes = sets.map((s) => s.length);
    expect(sizes).toEqual([3, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4, 4, 6]);
    // output map j < 6 reads {j, j+1, j+2} mod 6; 6 ≤ j < 12 reads {j, .., j+3} mod 6
    for (let j = 0; j < 6; j++) expect(sets[j]).toEqual([j, j + 1, j + 2].map((i) => i % 6).sort((a, b) => a - b));
    for (let j = 6; j < 12; j++) expect(sets[j]).toEqual([j, j + 1, j + 2, j + 3].map((i) => i % 6).sort((a, b) => a - b));
    expect(sets.slice(12, 15)).toEqual([[0, 1, 3, 4], [1, 2, 4, 5], [0, 2, 3, 5]]);
    expect(sets[15]).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('compiles consistently and does not mutate the exported LENET5_C3 constant', () => {
    const before = JSON.stringify(LENET5_C3);
    const sets = inputSets('lenet5-c3', 6, 16);
    for (const s of sets) s.reverse();
    expect(JSON.stringify(LENET5_C3)).toBe(before);
    expectConsistent(compileConnections('lenet5-c3', 6, 16), inputSets('lenet5-c3', 6, 16), 6, 16);
  });
});

describe('explicit tables', () => {
  const bool: boolean[][] = [
    [true, false, false, true],
    [false, true, false, true],
    [true, true, true, false],
  ];
  const num: (0 | 1)[][] = bool.map((row) => row.map((v) => (v ? 1 : 0)));
  const expectedSets = [[0, 2], [1, 2], [2], [0, 1]];

  it('true/false and 1/0 give the same sets (column j lists the rows i with an entry)', () => {
    expect(inputSets(bool, 3, 4)).toEqual(expectedSets);
    expect(inputSets(num, 3, 4)).toEqual(expectedSets);
    const mixed: (boolean | 0 | 1)[][] = [[1, false, 0, true], [false, 1, 0, 1], [true, 1, true, 0]];
    expect(inputSets(mixed, 3, 4)).toEqual(expectedSets);
  });

  it('compiles to the same connections and gives back the table as booleans', () => {
    const a = compileConnections(bool, 3, 4);
    const b = compileConnections(num, 3, 4);
    expect(a.count).toBe(7);
    expect(Array.from(a.input)).toEqual([0, 2, 1, 2, 2, 0, 1]);
    expect(Array.from(a.start)).toEqual([0, 2, 4, 5, 7]);
    expect(a.table).toEqual(bool);
    expect(b.table).toEqual(bool);
    expect(Array.from(b.input)).toEqual(Array.from(a.input));
    expect(Array.from(b.start)).toEqual(Array.from(a.start));
    expectConsistent(a, expectedSets, 3, 4);
  });

  it('an explicit table equal to a named one compiles identically', () => {
    for (const [spec, n, m] of [['all', 3, 2], ['pairs', 4, 6], ['triplets', 5, 7], ['lenet5-c3', 6, 16]] as const) {
      const named = compileConnections(spec, n, m);
      const explicit = compileConnections(named.table.map((r) => r.slice()), n, m);
      expect(Array.from(explicit.input), spec).toEqual(Array.from(named.input));
      expect(Array.from(explicit.start), spec).toEqual(Array.from(named.start));
      expect(explicit.table, spec).toEqual(named.table);
    }
  });

  it('does not modify the table it is given', () => {
    const t = num.map((r) => r.slice());
    compileConnections(t, 3, 4);
    expect(t).toEqual(num);
  });
});

describe('errors say what was expected', () => {
  const both = (spec: unknown, n: number, m: number) => [
    () => inputSets(spec as ConnectionSpec, n, m),
    () => compileConnections(spec as ConnectionSpec, n, m),
  ];

  it('wrong number of rows', () => {
    for (const f of both([[1, 1], [1, 1]], 3, 2)) {
      expect(f).toThrow('expected a table with one row per input map (3 rows), got 2 rows');
    }
    for (const f of both([[1], [1], [1], [1]], 3, 1)) expect(f).toThrow(/\(3 rows\), got 4 rows/);
  });

  it('wrong row length, or a row that is not an array', () => {
    for (const f of both([[1, 1], [1, 1, 1], [1, 0]], 3, 2)) {
      expect(f).toThrow('expected row 1 to have one entry per output map (2), got 3');
    }
    for (const f of both([[1, 1], [1, 1], [1]], 3, 2)) expect(f).toThrow(/row 2 .*\(2\), got 1/);
    for (const f of both([[1, 1], 'xx', [1, 1]], 3, 2)) expect(f).toThrow(/row 1 .*\(2\), got string/);
  });

  it('entries that are not true/false or 1/0', () => {
    const cases: [unknown, string][] = [[2, '2'], ['1', '"1"'], [null, 'null'], [0.5, '0.5'], [-1, '-1']];
    for (const [bad, shown] of cases) {
      const t: unknown[][] = [[1, 0, 1], [0, 1, bad]];
      for (const f of both(t, 2, 3)) {
        expect(f, String(bad)).toThrow(`expected entry [1][2] to be true/false or 1/0, got ${shown}`);
      }
    }
  });

  it('an output map with no inputs', () => {
    for (const f of both([[1, 0, 1], [1, false, 0]], 2, 3)) {
      expect(f).toThrow('expected every output map to read at least one input map, but output map 1 reads none');
    }
  });

  it("'pairs' with 1 input map and 'triplets' with 2", () => {
    for (const f of both('pairs', 1, 4)) expect(f).toThrow("'pairs' needs at least 2 input maps, got 1");
    for (const f of both('triplets', 2, 4)) expect(f).toThrow("'triplets' needs at least 3 input maps, got 2");
    for (const f of both('triplets', 1, 1)) expect(f).toThrow("'triplets' needs at least 3 input maps, got 1");
  });

  it("'lenet5-c3' with other sizes", () => {
    for (const [n, m] of [[5, 16], [6, 15], [16, 6], [1, 1]]) {
      for (const f of both('lenet5-c3', n, m)) {
        expect(f, `${n}→${m}`).toThrow(`'lenet5-c3' connects 6 input maps to 16 output maps, got ${n} → ${m}`);
      }
    }
  });

  it('an unknown name lists the known ones', () => {
    expect(CONNECTION_NAMES).toEqual(['all', 'pairs', 'triplets', 'lenet5-c3']);
    for (const f of both('quads', 4, 4)) {
      expect(f).toThrow('expected one of all, pairs, triplets, lenet5-c3 or a boolean table, got "quads"');
    }
    for (const f of both('All', 4, 4)) expect(f).toThrow(/expected one of all, pairs, triplets, lenet5-c3/);
    for (const f of both(undefined, 4, 4)) expect(f).toThrow(/expected one of .* or a boolean table/);
  });

  it('valid specs do not throw (the error tests are not vacuous)', () => {
    expect(() => compileConnections([[1, 1], [1, 0], [0, 1]], 3, 2)).not.toThrow();
    expect(() => compileConnections('pairs', 2, 4)).not.toThrow();
    expect(() => compileConnections('triplets', 3, 4)).not.toThrow();
    expect(() => compileConnections('lenet5-c3', 6, 16)).not.toThrow();
  });
});
