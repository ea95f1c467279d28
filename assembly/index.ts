// The float32 WebAssembly kernels (128-bit SIMD), one file per layer kind beside the TypeScript layer
// it serves (src/layers/NAME.ts ↔ assembly/NAME.ts). Everything works on raw byte addresses into the
// one linear memory the host lays out (src/wasm/plan.ts); nothing here allocates. The numbers both
// sides agree on (codes, modes, the distortion arena's layout) are in src/wasm/abi-constants.ts.
// These are the module's exports; the helpers the files share (gemm.ts, vmath.ts) are not.
export { conv_forward, conv_backward } from './conv';
export { winograd_forward, winograd_backward, winograd_kernels, winograd_kernel_gradient } from './winograd';
export { subsample_forward, subsample_backward } from './subsample';
export { full_forward, full_backward } from './full';
export {
  batchnorm_partials, batchnorm_combine, batchnorm_forward,
  batchnorm_backward_partials, batchnorm_sum_partials, batchnorm_backward_input,
} from './batchnorm';
export { dropout_forward, dropout_backward } from './dropout';
export { loss_forward_backward } from './loss';
export { reduce_chunks, sgd_update, adam_update } from './update';
export { distort_patterns } from './augment';
export { place_patterns } from './dataset';
// Not called by the host's training: the tests' checks of the activations and of the one matrix
// product, and the bench's peak.
export { activate, activation_backward } from './activation';
export { matmul } from './gemm';
