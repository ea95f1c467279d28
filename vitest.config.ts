import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Every test, and every CLI a test starts, reads the digits convnotes ships (data/digits): what a
    // user's cache holds (empty, partial or corrupt) or where CONVNOTES_DATA points never changes what
    // the tests see. Tests of the defaults themselves set their own environment.
    // ONNX Runtime (the ONNX tests' checker) would otherwise write a telemetry device id into the
    // user's ~/.cache: tests leave nothing in a user's home.
    env: { CONVNOTES_DATA: fileURLToPath(new URL('./data/digits', import.meta.url)), ORT_DISABLE_TELEMETRY: '1' },
  },
});
