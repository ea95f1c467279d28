// §4.4 Gradient checks: backpropagation against finite differences, in float64, on seeded random
// networks that together cover every layer kind, table kind, learned-combination form, penalty, loss,
// activation and down() kind (test/helpers/random-networks.ts), and on the built-in networks.
import { describe, expect, it } from 'vitest';
import { resolveDescription } from '../../src/network/description.js';
import { gradientCheck, relativeError, centralDifference, extrapolatedDifference } from '../../src/network/gradcheck.js';
import { Network } from '../../src/network/network.js';
import { builtinNetwork } from '../../src/recipes/builtin.js';
import { lenetTableNetwork, randomInputs, randomLabels, randomNetwork } from '../helpers/random-networks.js';

const RANDOM_NETWORKS = [...Array.from({ length: 24 }, (_, n) => randomNetwork(n)), lenetTableNetwork()];

describe('gradient check on random networks', () => {
  it('the family covers every construct', () => {
    const seen = new Set<string>();
    for (const d of RANDOM_NETWORKS) {
      const r = resolveDescription(d);
      seen.add(`loss:${r.loss}`);
      for (const l of r.layers) {
        seen.add(`layer:${l.type}`);
        if ('activation' in l) seen.add(`act:${l.activation}`);
        if (l.type === 'conv') seen.add(`table:${Array.isArray(l.connections) ? 'explicit' : l.connections}`);
        if (l.type === 'combination') {
          seen.add(`kernels:${l.kernels}`);
          seen.add(`penalty:${l.penalty.type}`);
        }
        if (l.type === 'subsample') {
          seen.add(`down:${l.down}`);
          seen.add(`beta:${l.beta}`);
          seen.add(`bias:${l.bias}`);
        }
      }
    }
    const expected = [
      'loss:mse', 'loss:cross-entropy', 'layer:conv', 'layer:combination', 'layer:subsample', 'layer:full',
      'act:sigmoid', 'act:tanh', 'act:lecun', 'act:identity', 'act:relu',
      'table:all', 'table:pairs', 'table:triplets', 'table:explicit', 'table:lenet5-c3',
      'kernels:shared', 'kernels:pair', 'penalty:l1', 'penalty:entropy', 'penalty:power',
      'down:sum', 'down:decimate', 'beta:trainable', 'beta:fixed', 'bias:true', 'bias:false',
    ];
    for (const e of expected) expect(seen, e).toContain(e);
  });

  for (const d of RANDOM_NETWORKS) {
    it(`${d.name}: every parameter and input sensitivity within 1e-6`, () => {
      const net = new Network(d);
      // Move parameters off their initial values so biases, β and c are not at special points.
      const noise = randomInputs(99, net.params.length);
      for (let i = 0; i < net.params.length; i++) net.params[i] += 0.3 * noise[i];
      const batch = 2;
      const x = randomInputs(5, batch * net.inputSize);
      const labels = randomLabels(6, batch, net.classes);
      const r = gradientCheck(net, x, labels, batch);
      const report = r.groups.map((g) => `${g.layer}.${g.kind} ${g.maxRelativeError.toExponential(2)} (${g.worst.analytic.toExponential(3)} vs ${g.worst.numeric.toExponential(3)})`).join('\n');
      expect(r.maxRelativeError, report).toBeLessThanOrEqual(1e-6);
      const checked = r.groups.reduce((n, g) => n + g.count, 0);
      const atKink = r.groups.reduce((n, g) => n + g.atKink, 0);
      expect(checked + atKink).toBe(net.params.length + batch * net.inputSize);
      expect(atKink).toBe(0);
    });
  }
});

describe('gradient check on the built-in networks', () => {
  for (const name of ['bouvrie', 'dlt', 'lenet5', 'learned', 'lenet5-distort', 'simard', 'simard-wide', 'simard-2003', 'speedrun-99', 'speedrun-995']) {
    it(`${name}: sampled parameters of every group within 1e-6`, () => {
      const net = new Network(builtinNetwork(name));
      const x = randomInputs(11, net.inputSize);
      const r = gradientCheck(net, x, [3], 1, { maxPerGroup: 12 });
      expect(r.maxRelativeError, r.groups.map((g) => `${g.layer}.${g.kind} ${g.maxRelativeError.toExponential(2)} (${g.worst.analytic.toExponential(3)} vs ${g.worst.numeric.toExponential(3)})`).join("\n")).toBeLessThanOrEqual(1e-6);
    });
  }
});

describe('the check itself', () => {
  it('detects a wrong gradient', () => {
    // A network whose backward is sabotaged: gradients scaled by 1.001 must fail the check.
    const net = new Network(randomNetwork(1));
    const x = randomInputs(5, 2 * net.inputSize);
    const labels = randomLabels(6, 2, net.classes);
    const backward = net.backward.bind(net);
    net.backward = (l, o) => {
      const e = backward(l, o);
      net.grads[3] *= 1.001;
      return e;
    };
    const r = gradientCheck(net, x, labels, 2);
    expect(r.maxRelativeError).toBeGreaterThan(1e-4);
  });

  it('relative error: exact, relative, floored', () => {
    expect(relativeError(1, 1)).toBe(0);
    expect(relativeError(1, 1.01)).toBeCloseTo(0.01 / 1.01, 12);
    expect(relativeError(0, 1e-14)).toBeCloseTo(1e-8, 15); // judged against the 1e-6 floor
    expect(relativeError(1e-5, 1.001e-5)).toBeCloseTo(1e-3 / 1.001, 9); // above the floor: relative
    expect(relativeError(1, NaN)).toBe(Infinity);
  });

  it('differences of a known function: central is O(h²), extrapolated near exact', () => {
    const w = new Float64Array([0.7]);
    const f = () => Math.sin(3 * w[0]) * Math.exp(w[0]);
    const exact = (3 * Math.cos(2.1) + Math.sin(2.1)) * Math.exp(0.7);
    expect(Math.abs(centralDifference(w, 0, 1e-5, f) - exact)).toBeLessThan(1e-8);
    expect(Math.abs(extrapolatedDifference(w, 0, 0.1, f) - exact)).toBeLessThan(1e-12);
    expect(w[0]).toBe(0.7);
  });

  it('leaves the parameters exactly as they were', () => {
    const net = new Network(randomNetwork(2));
    const before = Float64Array.from(net.params);
    gradientCheck(net, randomInputs(1, 2 * net.inputSize), [0, 1], 2);
    expect(Array.from(net.params)).toEqual(Array.from(before));
  });
});
