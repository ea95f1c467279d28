import { Network, Rng, createNetwork, evaluate, fillBatch, gradientCheck, predict, range, UNIT } from 'convnotes';
import { loadBundledDigits } from 'convnotes/node';

const { train, test } = loadBundledDigits();  // real MNIST digits: uint8 28×28 images, labels 0–9

const net = new Network({
  input: [1, 28, 28],                       // maps × height × width
  layers: [
    { type: 'conv', maps: 6, kernel: 5, activation: 'tanh', connections: 'all' },        // §3.1
    { type: 'subsample', factor: 2, beta: 'trainable', bias: true, activation: 'tanh' }, // §3.2
    { type: 'combination', maps: 12, kernel: 5, activation: 'tanh',                      // §3.3
      kernels: 'pair', penalty: { type: 'entropy', lambda: 1e-3 } },
    { type: 'subsample', factor: 2 },
    { type: 'full', units: 10, activation: 'identity' },                                 // §2
  ],
  loss: 'cross-entropy',                    // softmax cross-entropy (§4.3), averaged over the batch
  seed: 1,
});

const batch = 10, rate = 0.2;
const images = new Float64Array(batch * net.inputSize);  // [batch][1][28][28]
const labels = new Uint8Array(batch);
const order = range(train.count);
new Rng(1).shuffle(order);
for (let start = 0; start < 3000; start += batch) {      // 3,000 digits, a few seconds
  fillBatch(train, order, start, batch, 28, 28, UNIT, images, labels);  // grey levels → [0, 1]
  net.forward(images, batch);
  net.zeroGrads();
  net.backward(labels);                     // sensitivities δ, layer by layer, into net.grads
  for (let i = 0; i < net.params.length; i++) net.params[i] -= rate * net.grads[i];
}
const testError = (n: Parameters<typeof evaluate>[0]) => (100 * evaluate(n, test, range(test.count), UNIT).error).toFixed(1);
console.log(`float64: test error ${testError(net)} % after 3,000 digits`);

// §4.4: gradients against finite differences (5 of each parameter group)
const check = gradientCheck(net, images, labels, 2, { maxPerGroup: 5 });
console.log(`gradient check: largest relative error ${check.maxRelativeError.toExponential(1)}`);

// The same description on the fast path: float32 WebAssembly SIMD on every core, same layout
const fast = await createNetwork(net.description, { batch });  // backend "wasm" by default
const images32 = new Float32Array(batch * fast.inputSize);
for (let start = 0; start + batch <= train.count; start += batch) {  // an epoch: 8,330 digits
  fillBatch(train, order, start, batch, 28, 28, UNIT, images32, labels);
  fast.trainStep(images32, labels, batch, rate);   // forward + backward + update
}
console.log(`wasm: test error ${testError(fast)} % after an epoch`);

// forward gives the logits; predict gives classes and probabilities (as `convnotes predict` prints)
fillBatch(test, range(1), 0, 1, 28, 28, UNIT, images32, labels);
const p = predict(fast, images32, 1);
console.log(`first test digit: ${labels[0]}, predicted ${p.classes[0]} (p = ${p.probabilities![p.classes[0]].toFixed(2)})`);
await fast.dispose();
