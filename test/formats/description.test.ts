// The JSON network description: a bad description fails with a DescriptionError that names the
// offending field by its path (the layer index included) and says what was expected; a good one
// resolves with its defaults filled in and builds the same network every time.
//
// Every failing case starts from a valid built-in, breaks one thing, and checks that
// resolveDescription and new Network both reject it with the same path and an explicit message.
import { describe, expect, it } from 'vitest';
import { DescriptionError, resolveDescription, type NetworkDescription } from '../../src/network/description.js';
import { Network } from '../../src/network/network.js';
import { builtinNetwork, builtinNetworks } from '../../src/recipes/builtin.js';

// Descriptions are broken on purpose, so they are edited as untyped JSON.
type Json = any;
type BuiltinName = 'bouvrie' | 'dlt' | 'lenet5' | 'learned';

/** A deep copy of built-in `name` with `edit` applied. */
function broken(name: BuiltinName, edit: (d: Json) => void): Json {
  const d: Json = structuredClone(builtinNetwork(name));
  edit(d);
  return d;
}

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

/**
 * Both resolveDescription and new Network throw a DescriptionError whose path is exactly `path`
 * and whose message names the layer (when the path is inside a layer), says what was expected
 * (`expected`), and contains every string in `mentions` (the offending value, the sizes involved).
 */
function expectRejected(description: unknown, path: string, expected: RegExp, ...mentions: string[]): void {
  const before = JSON.stringify(description);
  const errors = {
    resolveDescription: thrown(() => resolveDescription(description)),
    'new Network': thrown(() => new Network(description)),
  };
  for (const [by, e] of Object.entries(errors)) {
    expect(e, `${by} should throw a DescriptionError`).toBeInstanceOf(DescriptionError);
    const err = e as DescriptionError;
    expect(err.name).toBe('DescriptionError');
    expect(err.path, `${by}: path`).toBe(path);
    expect(err.message.startsWith(`${path}: `), `${by}: "${err.message}" starts with its path`).toBe(true);
    const layer = /^layers\[\d+\]/.exec(path);
    if (layer) expect(err.message).toContain(layer[0]);
    expect(err.message).toMatch(/expected/);
    expect(err.message).toMatch(expected);
    for (const m of mentions) expect(err.message).toContain(m);
  }
  // Validation reads the description without changing it.
  expect(JSON.stringify(description)).toBe(before);
}

/** A boolean table [input map][output map], every entry `fill`. */
function table(inputs: number, outputs: number, fill = true): boolean[][] {
  return Array.from({ length: inputs }, () => new Array<boolean>(outputs).fill(fill));
}

/** The parameters' bytes, for bit-identical comparison (distinguishes −0 from 0, compares NaN). */
function bytes(a: Float64Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

const ACTIVATION_LIST = /expected one of sigmoid, tanh, lecun, identity, relu/;
const POSITIVE_INT = /expected a positive integer/;

// bouvrie: C1 conv 1→6 (28→24), S2 ÷2 (→12), C3 conv 6→12 (→8), S4 ÷2 (→4), F5 full 10.
// lenet5:  C1 conv 1→6 (32→28), S2 (→14), C3 conv 6→16 lenet5-c3 (→10), S4 (→5), C5 conv 120 (→1), F6 84, OUT 10.
// learned: lenet5 with layer 2 a combination layer (kernels: pair, entropy penalty).

describe('layers: type and structure', () => {
  it('rejects an unknown layer type', () => {
    expectRejected(broken('bouvrie', (d) => { d.layers[1].type = 'pool'; }), 'layers[1].type',
      /expected one of conv, combination, subsample, full, batchnorm, dropout/, '"pool"');
  });

  it('rejects a layer that is not an object', () => {
    expectRejected(broken('bouvrie', (d) => { d.layers[3] = 42; }), 'layers[3]', /expected a layer object/, 'got 42');
    expectRejected(broken('bouvrie', (d) => { d.layers[3] = ['subsample']; }), 'layers[3]', /expected a layer object/, '["subsample"]');
    expectRejected(broken('bouvrie', (d) => { d.layers[3] = null; }), 'layers[3]', /expected a layer object/, 'null');
  });

  it('rejects a layer without a type', () => {
    expectRejected(broken('bouvrie', (d) => { delete d.layers[2].type; }), 'layers[2].type',
      /expected one of conv, combination, subsample, full, batchnorm, dropout, but the field is missing/);
  });

  it('rejects an unknown layer field (a typo)', () => {
    expectRejected(broken('bouvrie', (d) => { d.layers[2].kernal = d.layers[2].kernel; delete d.layers[2].kernel; }),
      'layers[2].kernal', /unknown field; expected one of type, name, maps, kernel, activation, init, pad, stride, connections/);
  });

  it('rejects a field that belongs to another layer type', () => {
    expectRejected(broken('bouvrie', (d) => { d.layers[4].kernel = 3; }), 'layers[4].kernel',
      /unknown field; expected one of type, name, units, activation, init/);
  });

  it('rejects an empty layers array', () => {
    expectRejected(broken('bouvrie', (d) => { d.layers = []; }), 'layers', /expected a non-empty array of layers/, 'got []');
  });

  it('rejects a missing layers field', () => {
    expectRejected(broken('bouvrie', (d) => { delete d.layers; }), 'layers', /expected a non-empty array of layers/);
  });

  it('rejects duplicate layer names, at the second use', () => {
    expectRejected(broken('bouvrie', (d) => { d.layers[3].name = 'S2'; }), 'layers[3].name',
      /expected a unique layer name/, '"S2"');
  });

  it('rejects an empty or non-string layer name', () => {
    expectRejected(broken('bouvrie', (d) => { d.layers[0].name = ''; }), 'layers[0].name', /expected a non-empty string/, 'got ""');
    expectRejected(broken('bouvrie', (d) => { d.layers[0].name = 7; }), 'layers[0].name', /expected a non-empty string/, 'got 7');
  });
});

describe('layers: kernels, maps and factors', () => {
  it('rejects a kernel larger than its input maps', () => {
    expectRejected(broken('bouvrie', (d) => { d.layers[2].kernel = 13; }), 'layers[2].kernel',
      /expected a kernel no larger than the 12×12 input maps/, '13×13');
  });

  it('rejects a kernel larger than one side of non-square maps', () => {
    expectRejected(broken('bouvrie', (d) => { d.input = [1, 28, 20]; d.layers[0].kernel = 21; }), 'layers[0].kernel',
      /expected a kernel no larger than the 28×20 input maps/, '21×21');
  });

  it('rejects kernel 0', () => {
    expectRejected(broken('bouvrie', (d) => { d.layers[0].kernel = 0; }), 'layers[0].kernel', POSITIVE_INT, 'got 0');
  });

  it('rejects a fractional kernel', () => {
    expectRejected(broken('bouvrie', (d) => { d.layers[2].kernel = 2.5; }), 'layers[2].kernel', POSITIVE_INT, 'got 2.5');
  });

  it('rejects a kernel given as a string', () => {
    expectRejected(broken('bouvrie', (d) => { d.layers[2].kernel = '5'; }), 'layers[2].kernel', POSITIVE_INT, 'got "5"');
  });

  it('rejects a missing kernel', () => {
    expectRejected(broken('bouvrie', (d) => { delete d.layers[2].kernel; }), 'layers[2].kernel',
      /expected a positive integer, but the field is missing/);
  });

  it('rejects negative maps', () => {
    expectRejected(broken('bouvrie', (d) => { d.layers[0].maps = -3; }), 'layers[0].maps', POSITIVE_INT, 'got -3');
  });

  it('rejects negative maps on a combination layer', () => {
    expectRejected(broken('learned', (d) => { d.layers[2].maps = -3; }), 'layers[2].maps', POSITIVE_INT, 'got -3');
  });

  it('rejects units 0', () => {
    expectRejected(broken('bouvrie', (d) => { d.layers[4].units = 0; }), 'layers[4].units', POSITIVE_INT, 'got 0');
  });

  it('rejects maps not divisible by the subsampling factor', () => {
    expectRejected(broken('bouvrie', (d) => { d.layers[1].factor = 5; }), 'layers[1].factor',
      /expected a factor that divides the 24×24 input maps/, 'got 5');
  });

  it('rejects subsampling factor 0', () => {
    expectRejected(broken('bouvrie', (d) => { d.layers[1].factor = 0; }), 'layers[1].factor', POSITIVE_INT, 'got 0');
  });

  it('rejects a missing subsampling factor', () => {
    expectRejected(broken('lenet5', (d) => { delete d.layers[3].factor; }), 'layers[3].factor',
      /expected a positive integer, but the field is missing/);
  });

  it('accepts a kernel equal to the map size, then rejects a later layer that no longer fits', () => {
    // C3 with a 12×12 kernel on S2's 12×12 maps leaves 1×1 maps; a 2×2 convolution after it cannot fit.
    const fits = broken('bouvrie', (d) => { d.layers[2].kernel = 12; d.layers.splice(3, 1); });
    expect(resolveDescription(fits).shapes).toEqual([[6, 24, 24], [6, 12, 12], [12, 1, 1], [10, 1, 1]]);
    const bad = broken('bouvrie', (d) => {
      d.layers[2].kernel = 12;
      d.layers[3] = { type: 'conv', name: 'C4', maps: 4, kernel: 2, activation: 'sigmoid' };
    });
    expectRejected(bad, 'layers[3].kernel', /expected a kernel no larger than the 1×1 input maps/, '2×2');
  });

  it('rejects a later subsampling layer whose factor no longer divides the maps', () => {
    // C3 with kernel 7 leaves 6×6 maps; S4 ÷4 does not divide them.
    expectRejected(broken('bouvrie', (d) => { d.layers[2].kernel = 7; d.layers[3].factor = 4; }), 'layers[3].factor',
      /expected a factor that divides the 6×6 input maps/, 'got 4');
  });
});

describe('layers: connection tables', () => {
  // bouvrie's C3 reads 6 input maps and has 12 output maps: a table is 6 rows × 12 columns.
  it('accepts a full explicit table of the right size, as booleans or 1/0', () => {
    expect(() => resolveDescription(broken('bouvrie', (d) => { d.layers[2].connections = table(6, 12); }))).not.toThrow();
    const ones = table(6, 12).map((row) => row.map(() => 1));
    const net = new Network(broken('bouvrie', (d) => { d.layers[2].connections = ones; }));
    expect(net.view('C3.kernel').length).toBe(72 * 25);
  });

  it('rejects a table with the wrong number of rows', () => {
    expectRejected(broken('bouvrie', (d) => { d.layers[2].connections = table(5, 12); }), 'layers[2].connections',
      /expected a table with one row per input map \(6 rows\)/, 'got 5 rows');
  });

  it('rejects a table transposed (rows are input maps, columns output maps)', () => {
    expectRejected(broken('bouvrie', (d) => { d.layers[2].connections = table(12, 6); }), 'layers[2].connections',
      /expected a table with one row per input map \(6 rows\)/, 'got 12 rows');
  });

  it('rejects a row of the wrong length', () => {
    expectRejected(broken('bouvrie', (d) => { const t = table(6, 12); t[3].pop(); d.layers[2].connections = t; }),
      'layers[2].connections', /expected row 3 to have one entry per output map \(12\)/, 'got 11');
  });

  it('rejects a row that is not an array', () => {
    expectRejected(broken('bouvrie', (d) => { const t: unknown[] = table(6, 12); t[4] = true; d.layers[2].connections = t; }),
      'layers[2].connections', /expected row 4 to have one entry per output map \(12\)/, 'got boolean');
  });

  it('rejects a non-boolean entry', () => {
    expectRejected(broken('bouvrie', (d) => { const t: unknown[][] = table(6, 12); t[2][4] = 2; d.layers[2].connections = t; }),
      'layers[2].connections', /expected entry \[2\]\[4\] to be true\/false or 1\/0/, 'got 2');
    expectRejected(broken('bouvrie', (d) => { const t: unknown[][] = table(6, 12); t[0][11] = 'yes'; d.layers[2].connections = t; }),
      'layers[2].connections', /expected entry \[0\]\[11\] to be true\/false or 1\/0/, 'got "yes"');
  });

  it('rejects an output map with no inputs', () => {
    expectRejected(broken('bouvrie', (d) => { const t = table(6, 12); for (const row of t) row[7] = false; d.layers[2].connections = t; }),
      'layers[2].connections', /expected every output map to read at least one input map/, 'output map 7 reads none');
  });

  it('rejects an unknown table name', () => {
    expectRejected(broken('bouvrie', (d) => { d.layers[2].connections = 'quads'; }), 'layers[2].connections',
      /expected one of all, pairs, triplets, lenet5-c3 or a boolean table/, '"quads"');
  });

  it('rejects a table that is neither a name nor an array', () => {
    expectRejected(broken('bouvrie', (d) => { d.layers[2].connections = 3; }), 'layers[2].connections',
      /expected one of all, pairs, triplets, lenet5-c3 or a boolean table/, 'got 3');
    expectRejected(broken('bouvrie', (d) => { d.layers[2].connections = { all: true }; }), 'layers[2].connections',
      /expected one of all, pairs, triplets, lenet5-c3 or a boolean table/, '{"all":true}');
  });

  it('rejects connections: null rather than reading it as "all"', () => {
    expectRejected(broken('bouvrie', (d) => { d.layers[2].connections = null; }), 'layers[2].connections',
      /expected one of all, pairs, triplets, lenet5-c3 or a boolean table/, 'got null');
  });

  it('rejects lenet5-c3 on the wrong number of output maps', () => {
    expectRejected(broken('bouvrie', (d) => { d.layers[2].connections = 'lenet5-c3'; }), 'layers[2].connections',
      /expected 6 input maps and 16 output maps for 'lenet5-c3'/, 'got 6 → 12');
  });

  it('rejects lenet5-c3 on the wrong number of input maps', () => {
    expectRejected(broken('lenet5', (d) => { d.layers[0].maps = 8; }), 'layers[2].connections',
      /expected 6 input maps and 16 output maps for 'lenet5-c3'/, 'got 8 → 16');
  });

  it('rejects pairs with a single input map', () => {
    expectRejected(broken('bouvrie', (d) => { d.layers[0].connections = 'pairs'; }), 'layers[0].connections',
      /expected at least 2 input maps for 'pairs'/, 'got 1');
  });

  it('rejects triplets with two input maps', () => {
    expectRejected(broken('bouvrie', (d) => { d.layers[0].maps = 2; d.layers[2].connections = 'triplets'; }), 'layers[2].connections',
      /expected at least 3 input maps for 'triplets'/, 'got 2');
  });

  it('rejects connections on a layer type that has none', () => {
    expectRejected(broken('learned', (d) => { d.layers[2].connections = 'all'; }), 'layers[2].connections',
      /unknown field; expected one of type, name, maps, kernel, activation, init, pad, stride, kernels, penalty, cInit/);
  });
});

describe('input size', () => {
  const INPUT = /expected \[maps, height, width\] as three positive integers/;
  it('rejects a zero size', () => {
    expectRejected(broken('bouvrie', (d) => { d.input = [1, 0, 28]; }), 'input', INPUT, 'got [1,0,28]');
  });

  it('rejects an input with 2 entries', () => {
    expectRejected(broken('bouvrie', (d) => { d.input = [28, 28]; }), 'input', INPUT, 'got [28,28]');
  });

  it('rejects fractional, negative or missing input sizes', () => {
    expectRejected(broken('bouvrie', (d) => { d.input = [1, 28.5, 28]; }), 'input', INPUT, 'got [1,28.5,28]');
    expectRejected(broken('bouvrie', (d) => { d.input = [-1, 28, 28]; }), 'input', INPUT, 'got [-1,28,28]');
    expectRejected(broken('bouvrie', (d) => { delete d.input; }), 'input', INPUT);
  });
});

describe('activations', () => {
  it('rejects an unknown activation', () => {
    expectRejected(broken('bouvrie', (d) => { d.layers[0].activation = 'swish'; }), 'layers[0].activation', ACTIVATION_LIST, '"swish"');
  });

  it('rejects an unknown activation on a subsampling layer', () => {
    expectRejected(broken('bouvrie', (d) => { d.layers[3].activation = 'Sigmoid'; }), 'layers[3].activation', ACTIVATION_LIST, '"Sigmoid"');
  });

  it('rejects a missing activation on a conv layer', () => {
    expectRejected(broken('bouvrie', (d) => { delete d.layers[2].activation; }), 'layers[2].activation',
      /expected one of sigmoid, tanh, lecun, identity, relu, but the field is missing/);
  });

  it('rejects a missing activation on a full layer', () => {
    expectRejected(broken('bouvrie', (d) => { delete d.layers[4].activation; }), 'layers[4].activation',
      /expected one of sigmoid, tanh, lecun, identity, relu, but the field is missing/);
  });

  it('rejects a missing activation on a combination layer', () => {
    expectRejected(broken('learned', (d) => { delete d.layers[2].activation; }), 'layers[2].activation',
      /expected one of sigmoid, tanh, lecun, identity, relu, but the field is missing/);
  });
});

describe('top-level fields', () => {
  it('rejects an unknown loss', () => {
    expectRejected(broken('bouvrie', (d) => { d.loss = 'hinge'; }), 'loss', /expected one of mse, cross-entropy/, '"hinge"');
  });

  it('rejects a missing loss', () => {
    expectRejected(broken('bouvrie', (d) => { delete d.loss; }), 'loss', /expected one of mse, cross-entropy, but the field is missing/);
  });

  it('rejects bad targets', () => {
    const TARGETS = /expected \[off, on\] as two finite numbers/;
    expectRejected(broken('lenet5', (d) => { d.targets = [1]; }), 'targets', TARGETS, 'got [1]');
    expectRejected(broken('lenet5', (d) => { d.targets = [-1, 1, 0]; }), 'targets', TARGETS, 'got [-1,1,0]');
    expectRejected(broken('lenet5', (d) => { d.targets = [-1, '1']; }), 'targets', TARGETS, 'got [-1,"1"]');
    expectRejected(broken('lenet5', (d) => { d.targets = { off: -1, on: 1 }; }), 'targets', TARGETS, '{"off":-1,"on":1}');
  });

  it('rejects a negative seed', () => {
    expectRejected(broken('bouvrie', (d) => { d.seed = -1; }), 'seed', /expected an integer in \[0, 4294967295\]/, 'got -1');
  });

  it('rejects a fractional seed', () => {
    expectRejected(broken('bouvrie', (d) => { d.seed = 1.5; }), 'seed', /expected an integer in \[0, 4294967295\]/, 'got 1.5');
  });

  it('rejects seed 2^32 and accepts 2^32 − 1', () => {
    expectRejected(broken('bouvrie', (d) => { d.seed = 2 ** 32; }), 'seed', /expected an integer in \[0, 4294967295\]/, 'got 4294967296');
    expect(resolveDescription(broken('bouvrie', (d) => { d.seed = 2 ** 32 - 1; })).seed).toBe(4294967295);
    expect(resolveDescription(broken('bouvrie', (d) => { d.seed = 0; })).seed).toBe(0);
  });

  it('rejects a seed given as a string', () => {
    expectRejected(broken('bouvrie', (d) => { d.seed = '1'; }), 'seed', /expected an integer in \[0, 4294967295\]/, 'got "1"');
  });

  it('rejects an unknown top-level field', () => {
    expectRejected(broken('bouvrie', (d) => { d.optimizer = 'sgd'; }), 'optimizer',
      /unknown field; expected one of name, input, seed, init, layers, loss, targets, codes, labelSmoothing, classNames, \$comment/);
  });

  it('rejects a non-string network name', () => {
    expectRejected(broken('bouvrie', (d) => { d.name = 5; }), 'name', /expected a string/, 'got 5');
  });

  it('rejects a description that is not an object', () => {
    for (const v of [null, 5, 'bouvrie', [builtinNetwork('bouvrie')]]) {
      // long values are shown cut to their first 80 characters, so the message stays one line
      expectRejected(v, 'description', /expected a JSON object/, `got ${JSON.stringify(v).slice(0, 60)}`);
    }
  });
});

describe('combination layers', () => {
  // learned's layer 2 is C3 as a combination layer.
  it('rejects a bad kernels value', () => {
    expectRejected(broken('learned', (d) => { d.layers[2].kernels = 'each'; }), 'layers[2].kernels',
      /expected one of shared, pair/, '"each"');
  });

  it('rejects a bad penalty type', () => {
    expectRejected(broken('learned', (d) => { d.layers[2].penalty.type = 'l2'; }), 'layers[2].penalty.type',
      /expected one of none, l1, entropy, power/, '"l2"');
  });

  it('rejects a penalty that is not an object', () => {
    expectRejected(broken('learned', (d) => { d.layers[2].penalty = 'entropy'; }), 'layers[2].penalty',
      /expected an object like/, 'got "entropy"');
  });

  it('rejects an unknown penalty field', () => {
    expectRejected(broken('learned', (d) => { d.layers[2].penalty.weight = 1; }), 'layers[2].penalty.weight',
      /unknown field; expected one of type, lambda, p/);
  });

  it('rejects a negative lambda', () => {
    expectRejected(broken('learned', (d) => { d.layers[2].penalty.lambda = -0.1; }), 'layers[2].penalty.lambda',
      /expected a non-negative number/, 'got -0.1');
  });

  it('rejects p outside (0, 1)', () => {
    for (const p of [0, 1, 1.5, -0.5]) {
      expectRejected(broken('learned', (d) => { d.layers[2].penalty = { type: 'power', lambda: 1e-3, p }; }), 'layers[2].penalty.p',
        /expected 0 < p < 1/, `got ${p}`);
    }
  });

  it('rejects a negative cInit', () => {
    expectRejected(broken('learned', (d) => { d.layers[2].cInit = -1; }), 'layers[2].cInit', /expected a non-negative number/, 'got -1');
  });

  it('rejects a non-numeric cInit', () => {
    expectRejected(broken('learned', (d) => { d.layers[2].cInit = 'small'; }), 'layers[2].cInit', /expected a finite number/, 'got "small"');
  });
});

describe('subsampling layers', () => {
  it('rejects a bad down', () => {
    expectRejected(broken('bouvrie', (d) => { d.layers[1].down = 'median'; }), 'layers[1].down', /expected one of sum, decimate, max/, '"median"');
  });

  it('rejects a bad beta', () => {
    expectRejected(broken('bouvrie', (d) => { d.layers[3].beta = 'learned'; }), 'layers[3].beta', /expected one of trainable, fixed/, '"learned"');
  });

  it('rejects a non-boolean bias', () => {
    expectRejected(broken('bouvrie', (d) => { d.layers[1].bias = 'yes'; }), 'layers[1].bias', /expected true or false/, 'got "yes"');
    expectRejected(broken('bouvrie', (d) => { d.layers[1].bias = 1; }), 'layers[1].bias', /expected true or false/, 'got 1');
  });

  it('rejects a non-numeric betaInit', () => {
    expectRejected(broken('dlt', (d) => { d.layers[1].betaInit = '1/4'; }), 'layers[1].betaInit', /expected a finite number/, 'got "1/4"');
  });
});

describe('initialisation', () => {
  it('rejects an unknown init type on a layer', () => {
    expectRejected(broken('bouvrie', (d) => { d.layers[0].init = { type: 'he' }; }), 'layers[0].init.type',
      /expected one of glorot, lecun, uniform/, '"he"');
  });

  it('rejects an unknown init type at the top level', () => {
    expectRejected(broken('bouvrie', (d) => { d.init = { type: 'xavier' }; }), 'init.type',
      /expected one of glorot, lecun, uniform/, '"xavier"');
  });

  it('rejects a non-positive init scale', () => {
    expectRejected(broken('bouvrie', (d) => { d.init = { type: 'uniform', scale: 0 }; }), 'init.scale',
      /expected a positive number/, 'got 0');
    expectRejected(broken('bouvrie', (d) => { d.layers[4].init = { type: 'glorot', scale: -1 }; }), 'layers[4].init.scale',
      /expected a positive number/, 'got -1');
  });

  it('rejects an init that is not an object', () => {
    expectRejected(broken('learned', (d) => { d.layers[2].init = 'lecun'; }), 'layers[2].init', /expected an object like/, 'got "lecun"');
  });
});

describe('valid descriptions', () => {
  const BOUVRIE_SHAPES = [[6, 24, 24], [6, 12, 12], [12, 8, 8], [12, 4, 4], [10, 1, 1]];
  // LeNet-5's output is F6 against 10 class codes (the paper's RBF layer), so 84 outputs, 10 classes
  const LENET5_SHAPES = [[6, 28, 28], [6, 14, 14], [16, 10, 10], [16, 5, 5], [120, 1, 1], [84, 1, 1]];

  it.each(Object.keys(builtinNetworks))('built-in %s resolves and builds', (name) => {
    const r = resolveDescription(builtinNetwork(name));
    expect(r.name).toBe(name);
    expect(r.layers.length).toBe(r.shapes.length);
    const net = new Network(builtinNetwork(name));
    expect(net.classes).toBe(10);
    expect(net.layers.map((l) => l.outShape)).toEqual(r.shapes);
    expect(net.params.every(Number.isFinite)).toBe(true);
  });

  it('infers the shapes of bouvrie and dlt', () => {
    expect(resolveDescription(builtinNetwork('bouvrie')).shapes).toEqual(BOUVRIE_SHAPES);
    expect(resolveDescription(builtinNetwork('dlt')).shapes).toEqual(BOUVRIE_SHAPES);
  });

  it('infers the shapes of lenet5 and learned', () => {
    expect(resolveDescription(builtinNetwork('lenet5')).shapes).toEqual(LENET5_SHAPES);
    expect(resolveDescription(builtinNetwork('learned')).shapes).toEqual(LENET5_SHAPES);
  });

  it('counts lenet5\'s parameters: 156 + 12 + 1516 + 32 + 48120 + 10164 = 60000', () => {
    const net = new Network(builtinNetwork('lenet5'));
    expect(net.params.length).toBe(60000);
    expect(net.grads.length).toBe(60000);
    const lengths = Object.fromEntries(net.views.map((v) => [v.name, v.length]));
    expect(lengths).toEqual({
      'C1.kernel': 6 * 25, 'C1.convBias': 6,
      'S2.beta': 6, 'S2.subsampleBias': 6,
      'C3.kernel': 60 * 25, 'C3.convBias': 16,
      'S4.beta': 16, 'S4.subsampleBias': 16,
      'C5.kernel': 120 * 16 * 25, 'C5.convBias': 120,
      'F6.weights': 84 * 120, 'F6.bias': 84,
    });
    expect(lengths['C3.kernel']).toBe(1500);
    const perLayer = net.layers.map((l) => net.views.filter((v) => v.layerIndex === l.index).reduce((n, v) => n + v.length, 0));
    expect(perLayer).toEqual([156, 12, 1516, 32, 48120, 10164]);
    // The views tile the flat array in order, with no gaps or overlaps.
    let offset = 0;
    for (const v of net.views) {
      expect(v.offset).toBe(offset);
      expect(net.view(v.name).length).toBe(v.length);
      offset += v.length;
    }
    expect(offset).toBe(net.params.length);
  });

  it('counts the other built-ins\' parameters', () => {
    // bouvrie: C1 156, S2 12, C3 72·25+12 = 1812, S4 24, F5 10·192+10 = 1930.
    expect(new Network(builtinNetwork('bouvrie')).params.length).toBe(156 + 12 + 1812 + 24 + 1930);
    // dlt: the same without S2's and S4's β and b (fixed mean pooling).
    const dlt = new Network(builtinNetwork('dlt'));
    expect(dlt.params.length).toBe(156 + 1812 + 1930);
    expect(dlt.views.some((v) => v.layer === 'S2' || v.layer === 'S4')).toBe(false);
    // learned: C3 has a kernel per pair (16·6·25), c [16][6] and 16 biases instead of 1516.
    const learned = new Network(builtinNetwork('learned'));
    expect(learned.view('C3.kernel').length).toBe(2400);
    expect(learned.view('C3.c').length).toBe(96);
    expect(learned.params.length).toBe(60000 - 1516 + 2400 + 96 + 16);
  });

  it('fills in the defaults', () => {
    const minimal = {
      input: [2, 10, 10],
      layers: [
        { type: 'conv', maps: 3, kernel: 3, activation: 'relu' },
        { type: 'subsample', factor: 2 },
        { type: 'combination', maps: 2, kernel: 2, activation: 'identity' },
        { type: 'subsample', factor: 3, down: 'decimate' },
        { type: 'full', units: 4, activation: 'sigmoid' },
      ],
      loss: 'mse',
    };
    const r = resolveDescription(minimal);
    expect(r.name).toBe('network');
    expect(r.seed).toBe(1);
    expect(r.targets).toEqual([0, 1]);
    expect(r.shapes).toEqual([[3, 8, 8], [3, 4, 4], [2, 3, 3], [2, 1, 1], [4, 1, 1]]);
    expect(r.layers).toEqual([
      { type: 'conv', name: 'conv0', maps: 3, kernel: 3, activation: 'relu', connections: 'all', init: { type: 'glorot', scale: 1 }, pad: 0, stride: 1 },
      { type: 'subsample', name: 'subsample1', factor: 2, down: 'sum', beta: 'trainable', betaInit: 1 / 4, bias: true, activation: 'sigmoid' },
      {
        type: 'combination', name: 'combination2', maps: 2, kernel: 2, activation: 'identity', kernels: 'shared',
        penalty: { type: 'none', lambda: 0, p: 0.5 }, init: { type: 'glorot', scale: 1 }, cInit: 1, pad: 0, stride: 1,
      },
      { type: 'subsample', name: 'subsample3', factor: 3, down: 'decimate', beta: 'trainable', betaInit: 1, bias: true, activation: 'sigmoid' },
      { type: 'full', name: 'full4', units: 4, activation: 'sigmoid', init: { type: 'glorot', scale: 1 } },
    ]);
    // The network starts β at those values and b at zero.
    const net = new Network(minimal);
    expect(Array.from(net.view('subsample1.beta'))).toEqual([0.25, 0.25, 0.25]);
    expect(Array.from(net.view('subsample3.beta'))).toEqual([1, 1]);
    expect(Array.from(net.view('subsample1.subsampleBias'))).toEqual([0, 0, 0]);
  });

  it('defaults betaInit to 1/n² for block sums and 1 for decimation', () => {
    const sub = (factor: number, down?: string) =>
      resolveDescription({ input: [1, 12, 12], layers: [{ type: 'subsample', factor, down }], loss: 'mse' }).layers[0];
    expect(sub(2)).toMatchObject({ down: 'sum', betaInit: 1 / 4 });
    expect(sub(3, 'sum')).toMatchObject({ down: 'sum', betaInit: 1 / 9 });
    expect(sub(4, 'decimate')).toMatchObject({ down: 'decimate', betaInit: 1 });
    // An explicit betaInit is kept.
    expect(resolveDescription(builtinNetwork('dlt')).layers[1]).toMatchObject({ beta: 'fixed', betaInit: 0.25, bias: false });
  });

  it('defaults the init scale and the penalty\'s lambda', () => {
    const r = resolveDescription(broken('learned', (d) => {
      d.init = { type: 'uniform' };
      d.layers[2].penalty = { type: 'power' };
    }));
    expect(r.layers[0]).toMatchObject({ init: { type: 'uniform', scale: 0.05 } });
    expect(r.layers[2]).toMatchObject({ penalty: { type: 'power', lambda: 1e-3, p: 0.5 } });
    // A layer's own init overrides the description's.
    const own = resolveDescription(broken('bouvrie', (d) => { d.layers[4].init = { type: 'lecun', scale: 2 }; }));
    expect(own.layers[0]).toMatchObject({ init: { type: 'glorot', scale: 1 } });
    expect(own.layers[4]).toMatchObject({ init: { type: 'lecun', scale: 2 } });
  });

  it('defaults targets to [-1, 1] after a tanh or lecun output and [0, 1] otherwise', () => {
    const targets = (activation: string, loss = 'mse') =>
      resolveDescription(broken('bouvrie', (d) => { d.layers[4].activation = activation; d.loss = loss; })).targets;
    expect(targets('tanh')).toEqual([-1, 1]);
    expect(targets('lecun')).toEqual([-1, 1]);
    expect(targets('sigmoid')).toEqual([0, 1]);
    expect(targets('relu')).toEqual([0, 1]);
    expect(targets('identity', 'cross-entropy')).toEqual([0, 1]);
    // lenet5 without its explicit targets still gets ±1; explicit targets are kept.
    expect(resolveDescription(broken('lenet5', (d) => { delete d.targets; })).targets).toEqual([-1, 1]);
    expect(resolveDescription(broken('bouvrie', (d) => { d.targets = [0.1, 0.9]; })).targets).toEqual([0.1, 0.9]);
    // A subsampling layer last: its default activation is sigmoid.
    expect(resolveDescription({ input: [1, 4, 4], layers: [{ type: 'subsample', factor: 2 }], loss: 'mse' }).targets).toEqual([0, 1]);
  });

  it('defaults the seed to 1', () => {
    const d = broken('bouvrie', (x) => { delete x.seed; });
    expect(resolveDescription(d).seed).toBe(1);
    expect(bytes(new Network(d).params).equals(bytes(new Network(builtinNetwork('bouvrie')).params))).toBe(true);
  });

  it('accepts a $comment', () => {
    expect(() => resolveDescription(broken('bouvrie', (d) => { d.$comment = 'a note'; }))).not.toThrow();
  });

  it('gives bit-identical initial parameters for the same seed and different ones for another', () => {
    for (const name of Object.keys(builtinNetworks)) {
      const a = new Network(builtinNetwork(name));
      const b = new Network(builtinNetwork(name));
      expect(bytes(a.params).equals(bytes(b.params)), `${name}: same seed`).toBe(true);
      const c = new Network(broken(name as BuiltinName, (d) => { d.seed = 2; }));
      expect(c.params.length).toBe(a.params.length);
      expect(bytes(a.params).equals(bytes(c.params)), `${name}: another seed`).toBe(false);
      // Every randomly initialised view differs (the fixed ones, β and biases, do not).
      for (const v of a.views) {
        if (v.kind === 'kernel' || v.kind === 'weights' || v.kind === 'c') {
          expect(bytes(a.view(v.name)).equals(bytes(c.view(v.name))), `${name}: ${v.name}`).toBe(false);
        }
      }
      // The seed option overrides the description's, and gives what that seed in the description gives.
      const d = new Network(builtinNetwork(name), { seed: 2 });
      expect(bytes(d.params).equals(bytes(c.params)), `${name}: seed option`).toBe(true);
    }
  });

  it('round-trips through JSON.stringify/parse to the same network', () => {
    const tableNet = broken('bouvrie', (d) => {
      const t = table(6, 12, false);
      for (let j = 0; j < 12; j++) { t[j % 6][j] = true; t[(j + 1) % 6][j] = true; }
      d.layers[2].connections = t;
    });
    const descriptions: NetworkDescription[] = [...Object.keys(builtinNetworks).map(builtinNetwork), tableNet];
    for (const d of descriptions) {
      const copy: unknown = JSON.parse(JSON.stringify(d));
      expect(resolveDescription(copy)).toEqual(resolveDescription(d));
      const a = new Network(d);
      const b = new Network(copy);
      expect(b.description).toEqual(a.description);
      expect(b.views).toEqual(a.views);
      expect(bytes(b.params).equals(bytes(a.params)), d.name).toBe(true);
      // A network built from the resolved description is the same network too.
      const c = new Network(resolveDescription(copy));
      expect(bytes(c.params).equals(bytes(a.params)), d.name).toBe(true);
    }
  });
});

describe('class codes (LeNet-5\'s RBF output)', () => {
  it('reads codes as numbers or as X/. bitmaps, one value per output', () => {
    const r = resolveDescription(builtinNetwork('lenet5'));
    expect(r.codes).toHaveLength(10);
    expect(r.codes!.every((c) => c.length === 84 && c.every((v) => v === 1 || v === -1))).toBe(true);
    // the code of 1: its top row is "...X..."
    expect(r.codes![1].slice(0, 7)).toEqual([-1, -1, -1, 1, -1, -1, -1]);
    const numeric = broken('lenet5', (d) => { d.codes = r.codes!.map((c) => c.map((v) => v / 2)); });
    expect(resolveDescription(numeric).codes![1][3]).toBe(0.5);
  });
  it('rejects codes with cross-entropy', () => {
    expectRejected(broken('lenet5', (d) => { d.loss = 'cross-entropy'; }), 'codes', /expected loss "mse" with class codes/);
  });
  it('rejects a code of the wrong length', () => {
    expectRejected(broken('lenet5', (d) => { d.codes[3] = ['XXX']; }), 'codes[3]', /expected 84 values \(one per network output\), got 3/);
  });
  it('rejects other characters and mixed codes', () => {
    expectRejected(broken('lenet5', (d) => { d.codes[0][0] = '..XOX..'; }), 'codes[0]', /expected strings of X \(\+1\) and \. \(−1\) only/);
    expectRejected(broken('lenet5', (d) => { d.codes[2] = [1, 'X']; }), 'codes[2]', /expected all numbers or all strings/);
  });
  it('rejects a single code', () => {
    expectRejected(broken('lenet5', (d) => { d.codes = [d.codes[0]]; }), 'codes', /expected a list of at least 2 class codes/);
  });
});

describe('beyond the notes: padding, stride, max pooling, batch normalisation, dropout', () => {
  it('rejects a negative, fractional or too large pad, and "same" with an even kernel', () => {
    expectRejected(broken('bouvrie', (d) => { d.layers[0].pad = -1; }), 'layers[0].pad', /expected a non-negative integer or "same"/, 'got -1');
    expectRejected(broken('bouvrie', (d) => { d.layers[0].pad = 1.5; }), 'layers[0].pad', /expected a non-negative integer or "same"/, 'got 1.5');
    expectRejected(broken('bouvrie', (d) => { d.layers[0].pad = 5; }), 'layers[0].pad', /expected a padding smaller than the kernel \(5\), got 5: an output unit would see only zeros/);
    expectRejected(broken('lenet5', (d) => { d.layers[0].kernel = 4; d.layers[0].pad = 'same'; }), 'layers[0].pad', /expected an odd kernel with pad "same"/, 'got kernel 4');
  });

  it('rejects a stride that is not a positive integer', () => {
    expectRejected(broken('bouvrie', (d) => { d.layers[0].stride = 0; }), 'layers[0].stride', /expected a positive integer/, 'got 0');
    expectRejected(broken('learned', (d) => { d.layers[2].stride = 'two'; }), 'layers[2].stride', /expected a positive integer/, 'got "two"');
  });

  it('pads and strides change the maps\' size as ⌊(n + 2P − K)/s⌋ + 1; a kernel larger than the maps fits once padded', () => {
    const d = resolveDescription({
      input: [1, 9, 12], loss: 'mse', layers: [
        { type: 'conv', maps: 2, kernel: 3, pad: 'same', activation: 'relu' },
        { type: 'conv', maps: 2, kernel: 3, stride: 2, activation: 'relu' },
        { type: 'combination', maps: 2, kernel: 5, pad: 1, stride: 3, activation: 'relu' },
        { type: 'conv', maps: 1, kernel: 4, pad: 2, activation: 'relu' },
      ],
    });
    expect(d.shapes).toEqual([[2, 9, 12], [2, 4, 5], [2, 1, 1], [1, 2, 2]]);
    expect(d.layers[0]).toMatchObject({ pad: 1, stride: 1 });
  });

  it('accepts down "max" with β starting at 1', () => {
    const d = resolveDescription(broken('bouvrie', (x) => { x.layers[1].down = 'max'; }));
    expect(d.layers[1]).toMatchObject({ down: 'max', betaInit: 1 });
  });

  it('rejects batchnorm fields out of range and unknown ones', () => {
    const withNorm = (norm: Json): Json => broken('bouvrie', (d) => { d.layers.splice(1, 0, norm); });
    expectRejected(withNorm({ type: 'batchnorm', epsilon: 0 }), 'layers[1].epsilon', /expected a positive number/, 'got 0');
    expectRejected(withNorm({ type: 'batchnorm', momentum: 1.5 }), 'layers[1].momentum', /expected a number in \(0, 1\]/, 'got 1.5');
    expectRejected(withNorm({ type: 'batchnorm', activation: 'swish' }), 'layers[1].activation', /expected one of sigmoid/, '"swish"');
    expectRejected(withNorm({ type: 'batchnorm', affine: false }), 'layers[1].affine', /unknown field; expected one of type, name, epsilon, momentum, activation/);
    const d = resolveDescription(withNorm({ type: 'batchnorm' }));
    expect(d.layers[1]).toEqual({ type: 'batchnorm', name: 'batchnorm1', epsilon: 1e-5, momentum: 0.1, activation: 'identity' });
    expect(d.shapes[1]).toEqual(d.shapes[0]);
  });

  it('rejects a dropout rate that is missing or outside [0, 1)', () => {
    const withDrop = (drop: Json): Json => broken('bouvrie', (d) => { d.layers.splice(2, 0, drop); });
    expectRejected(withDrop({ type: 'dropout' }), 'layers[2].rate', /expected a number in \[0, 1\), but the field is missing/);
    expectRejected(withDrop({ type: 'dropout', rate: 1 }), 'layers[2].rate', /expected a number in \[0, 1\)/, 'got 1');
    expectRejected(withDrop({ type: 'dropout', rate: -0.1 }), 'layers[2].rate', /expected a number in \[0, 1\)/, 'got -0.1');
    expectRejected(withDrop({ type: 'dropout', rate: 0.5, seed: 3 }), 'layers[2].seed', /unknown field; expected one of type, name, rate/);
  });
});
