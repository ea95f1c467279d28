// Property-based fuzzing of the binary readers (issues 7 and 16): parseIdx on valid and mutated IDX files,
// decodeSafetensors/decodeModel on valid and mutated model files of small random networks, decodeImage on
// valid and mutated PNGs and mutated JPEGs, parseCifar10 on valid and mutated CIFAR-10 batches. The only
// allowed outcomes are a correct result or the documented error (DataError; ModelFileError, which
// also wraps DescriptionError): never another exception, a case over 1 s, or an allocation over
// 64 MB driven by a header field. The properties live in scripts/fuzz-properties.mjs, shared with
// `npm run fuzz` (scripts/fuzz.mjs), which runs them at ≥ 100,000 inputs against dist/.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCifar10 } from '../../src/data/cifar.js';
import { decodeImage } from '../../src/data/decode.js';
import { DataError, parseIdx } from '../../src/data/idx.js';
import { ModelFileError } from '../../src/model/errors.js';
import { decodeModel, encodeModel } from '../../src/model/model-file.js';
import { decodeSafetensors } from '../../src/model/safetensors.js';
import { paramCount, paramViews } from '../../src/model/views.js';
import { Network } from '../../src/network/network.js';
import { fuzzProperties, HugeAllocation } from '../../scripts/fuzz-properties.mjs';
import { lenetTableNetwork, randomNetwork } from '../helpers/random-networks.js';

const RUNS = 2000;
const lib = { parseIdx, DataError, decodeModel, decodeSafetensors, encodeModel, ModelFileError, paramViews, paramCount, decodeImage, parseCifar10 };
const nets = [...Array.from({ length: 12 }, (_, n) => new Network(randomNetwork(n))), new Network(lenetTableNetwork())];

describe('fuzz: the IDX, model-file, image and CIFAR-10 readers', () => {
  for (const p of fuzzProperties(lib, nets)) {
    it(`${p.name}: ${RUNS} cases, each a correct result or the documented error`, () => {
      fc.assert(fc.property(p.arbitrary, p.predicate), { numRuns: RUNS, seed: 7 });
      expect(p.stats.unexpected, p.stats.reasons.join('\n')).toBe(0);
      expect(p.stats.inputs).toBeGreaterThanOrEqual(RUNS);
      // the mutations must reach both outcomes, or the property tests little
      if (p.name.includes('mutated')) {
        expect(p.stats.ok).toBeGreaterThan(0);
        expect(p.stats.documented).toBeGreaterThan(RUNS / 4);
      } else {
        expect(p.stats.ok).toBe(p.stats.inputs);
      }
    }, 60_000);
  }

  it('found by `npm run fuzz`: a description count beyond 2^53 is refused, not enumerated (it ran out of memory)', () => {
    // network 1 has a 'pairs' table on 2 input maps; its input made 18446744073709551615 (= 2^64 − 1)
    const net = nets[1];
    const bytes = encodeModel({ description: net.description, params: net.params, views: net.views });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + n)).trimEnd();
    expect(header).toContain('\\"input\\":[2,');
    const json = new TextEncoder().encode(header.replace('\\"input\\":[2,', '\\"input\\":[18446744073709551615,'));
    const length = Math.ceil(json.length / 8) * 8;
    const corrupt = new Uint8Array(8 + length + bytes.length - 8 - n).fill(0x20);
    new DataView(corrupt.buffer).setBigUint64(0, BigInt(length), true);
    corrupt.set(json, 8);
    corrupt.set(bytes.subarray(8 + n), 8 + length);
    const started = performance.now();
    expect(() => decodeModel(corrupt, 'big.safetensors')).toThrow(/big\.safetensors: metadata "description", field layers\[0\]\.connections: .* too many to enumerate/);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('the allocation guard itself catches a header-driven allocation', () => {
    // a reader that trusts a header field: the guard must report it as HugeAllocation, not allocate it
    const trusting = { ...lib, parseIdx: (b: Uint8Array) => ({ dims: [1], data: new Uint8Array(new DataView(b.buffer).getUint32(4, false)) }) };
    const [, mutated] = fuzzProperties(trusting, nets);
    expect(() => mutated.predicate([{ dims: [1], data: new Uint8Array(1), declareDims: false }, [{ op: 'field', index: 1, value: 0xffffffff }]])).not.toThrow();
    expect(mutated.stats.unexpected).toBe(1);
    expect(mutated.stats.reasons[0]).toMatch(/HugeAllocation: Uint8Array of 4294967295 bytes/);
    expect(HugeAllocation.name).toBe('HugeAllocation');
  });
});
