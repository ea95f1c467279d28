// The real implementation (src/network/network.ts, used only through its public API) against an independent,
// deliberately slow reference written from the notes (test/math/independent/slow-network.ts), which shares
// no code with src/. Every layer's output, the objective, every parameter gradient and the input
// gradient must agree to 1e-10 (relative to max(1, |reference|)).
import { describe, expect, it } from 'vitest';
import { resolveDescription, type NetworkDescription } from '../../src/network/description.js';
import { Network } from '../../src/network/network.js';
import { builtinNetwork } from '../../src/recipes/builtin.js';
import { lenetTableNetwork, randomInputs, randomLabels, randomNetwork } from '../helpers/random-networks.js';
import { paramGroups, slowRun } from './independent/slow-network.js';

const TOL = 1e-10;

/** max_k |a_k − b_k| / max(1, |b_k|), with the index and values where it is largest. */
function compare(a: ArrayLike<number>, b: ArrayLike<number>): { err: number; at: number; got: number; want: number } {
  let err = 0;
  let at = -1;
  for (let k = 0; k < b.length; k++) {
    const e = Math.abs(a[k] - b[k]) / Math.max(1, Math.abs(b[k]));
    if (!(e <= err)) {
      err = e;
      at = k;
    }
  }
  return { err, at, got: at >= 0 ? a[at] : NaN, want: at >= 0 ? b[at] : NaN };
}

function expectClose(what: string, real: ArrayLike<number>, ref: ArrayLike<number>): void {
  expect(real.length, `${what}: length`).toBe(ref.length);
  const c = compare(real, ref);
  expect(c.err, `${what}: max relative error ${c.err} at [${c.at}]: real ${c.got}, reference ${c.want}`).toBeLessThanOrEqual(TOL);
}

function check(description: NetworkDescription, batch: number, seed: number): void {
  const desc = resolveDescription(description);
  const net = new Network(desc);
  // move every parameter away from its initial value (biases 0, β = betaInit, …)
  const noise = randomInputs(seed + 101, net.params.length);
  const perturbed = Float64Array.from(net.params, (v, k) => v + 0.3 * noise[k]);
  net.params.set(perturbed);
  expect(Array.from(net.params)).toEqual(Array.from(perturbed));

  const input = randomInputs(seed, batch * net.inputSize);
  const labels = randomLabels(seed, batch, net.classes);

  const ref = slowRun(desc, Float64Array.from(perturbed), input, labels, batch);

  const out = net.forward(input, batch);
  desc.layers.forEach((layer, l) => {
    expectClose(`layer ${l} (${layer.name}, ${layer.type}) output`, net.activation(l), ref.outputs[l]);
  });
  expectClose('network output', out, ref.outputs[desc.layers.length - 1]);

  net.zeroGrads();
  const loss = net.backward(labels, { inputGradient: true });
  expectClose('loss', [loss], [ref.loss]);

  const grads = net.grads;
  expect(grads.length, 'gradient length').toBe(ref.grads.length);
  for (const g of paramGroups(desc)) {
    const layer = desc.layers[g.layer];
    expectClose(
      `layer ${g.layer} (${layer.name}, ${layer.type}) ∂Ẽ/∂${g.name}`,
      grads.subarray(g.offset, g.offset + g.size),
      ref.grads.subarray(g.offset, g.offset + g.size),
    );
  }
  expectClose('all gradients', grads, ref.grads);
  expectClose('input gradient', net.inputGradient(), ref.inputGrad);
}

describe('real network against the independent slow reference', () => {
  const randoms = [...Array.from({ length: 24 }, (_, n) => randomNetwork(n)), lenetTableNetwork()];
  randoms.forEach((d, k) => {
    it(`${d.name}`, () => check(d, 2, 500 + k));
  });

  const builtins: [string, number][] = [['bouvrie', 2], ['dlt', 2], ['lenet5', 2], ['learned', 2]];
  builtins.forEach(([name, batch], k) => {
    it(`builtin ${name} (batch ${batch})`, () => check(builtinNetwork(name), batch, 900 + k));
  });
});
