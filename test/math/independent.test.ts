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
import { expectRelativeClose } from '../helpers/compare.js';

const TOL = 1e-10;

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
    expectRelativeClose(`layer ${l} (${layer.name}, ${layer.type}) output`, net.activation(l), ref.outputs[l], TOL);
  });
  expectRelativeClose('network output', out, ref.outputs[desc.layers.length - 1], TOL);

  net.zeroGrads();
  const loss = net.backward(labels, { inputGradient: true });
  expectRelativeClose('loss', [loss], [ref.loss], TOL);

  const grads = net.grads;
  expect(grads.length, 'gradient length').toBe(ref.grads.length);
  for (const g of paramGroups(desc)) {
    const layer = desc.layers[g.layer];
    expectRelativeClose(
      `layer ${g.layer} (${layer.name}, ${layer.type}) ∂Ẽ/∂${g.name}`,
      grads.subarray(g.offset, g.offset + g.size),
      ref.grads.subarray(g.offset, g.offset + g.size),
      TOL,
    );
  }
  expectRelativeClose('all gradients', grads, ref.grads, TOL);
  expectRelativeClose('input gradient', net.inputGradient(), ref.inputGrad, TOL);
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
