// Runs in a module Web Worker of test/surface/browser/threads.html: trains the `dlt` network for 20 steps on
// seeded random data at 1 and 2 threads with the fast path, and reports a hash of the weights.
import { FastNetwork } from '/dist/wasm/engine.js';
import { builtinNetwork } from '/dist/recipes/builtin.js';
import { trainAndHash } from '/test/surface/browser/train-and-hash.js';

const results = [];
try {
  for (const threads of [1, 2]) {
    const net = await FastNetwork.create(builtinNetwork('dlt'), { batch: 13, threads });
    results.push({ threads: net.threads, notice: net.notice, relaxedSimd: net.relaxedSimd, hash: trainAndHash(net) });
    await net.dispose();
  }
  postMessage({ ok: true, results });
} catch (e) {
  postMessage({ ok: false, error: String(e && e.stack ? e.stack : e) });
}
