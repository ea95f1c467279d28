// The float32 WebAssembly kernels (128-bit SIMD). Everything works on raw byte addresses into the one
// linear memory the host lays out; nothing here allocates.
export * from './primitives';
export * from './layers';
export * from './augment';
