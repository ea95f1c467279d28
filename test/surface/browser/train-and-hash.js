// The same training run in Node and in the browser: 20 steps of batch 13 on seeded random patterns,
// then an FNV-1a hash of the weights' bytes (bit-identical weights ⇔ equal hashes).
import { Rng } from '/dist/util/rng.js';

export function trainAndHash(net) {
  const rng = new Rng(42);
  const batch = 13;
  const x = new Float32Array(batch * 784);
  const labels = new Uint8Array(batch);
  for (let step = 0; step < 20; step++) {
    for (let i = 0; i < x.length; i++) x[i] = rng.uniform();
    for (let b = 0; b < batch; b++) labels[b] = rng.int(10);
    net.trainStep(x, labels, batch, 0.5);
  }
  const bytes = new Uint8Array(net.params.buffer, net.params.byteOffset, net.params.byteLength);
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}
