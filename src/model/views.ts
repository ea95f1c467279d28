// The parameter layout a description implies, worked out without building a Network: no parameter
// arrays, no initialisation, no layer buffers. A model file is checked against it before anything is
// allocated from the description. test/model-file.test.ts holds it equal to Network.views for every
// built-in and every random test network, so the two cannot drift apart unnoticed.

import { inputSets } from '../connections.js';
import { isResolvedDescription, type ResolvedDescription } from '../description.js';
import type { ParamKind, ParamView } from '../layers/layer.js';
import * as check from '../validate.js';

/** The named slices of the flat parameter array, in Network's order (layer by layer, paramSpecs order). */
export function paramViews(d: ResolvedDescription): ParamView[] {
  // resolved: every field present, and each layer's output shape (`shapes`) worked out
  const o: unknown = d;
  if (!isResolvedDescription(o) && !(check.isObject(o) && Array.isArray(o.input) && Array.isArray(o.layers) && Array.isArray(o.shapes) && o.shapes.length === o.layers.length)) {
    check.fail('description', 'a resolved description (resolveDescription\'s)', d);
  }
  const views: ParamView[] = [];
  let offset = 0;
  let inShape = d.input;
  d.layers.forEach((layer, layerIndex) => {
    const add = (kind: ParamKind, shape: number[]) => {
      const length = shape.reduce((a, b) => a * b, 1);
      views.push({ name: `${layer.name}.${kind}`, layer: layer.name, layerIndex, kind, shape, offset, length });
      offset += length;
    };
    const [maps, h, w] = inShape;
    switch (layer.type) {
      case 'conv': {
        const connections = inputSets(layer.connections, maps, layer.maps).reduce((n, s) => n + s.length, 0);
        add('kernel', [connections, layer.kernel, layer.kernel]);
        add('convBias', [layer.maps]);
        break;
      }
      case 'combination':
        add('kernel', [layer.kernels === 'shared' ? maps : maps * layer.maps, layer.kernel, layer.kernel]);
        add('c', [layer.maps, maps]);
        add('convBias', [layer.maps]);
        break;
      case 'subsample':
        if (layer.beta === 'trainable') add('beta', [maps]);
        if (layer.bias) add('subsampleBias', [maps]);
        break;
      case 'full':
        add('weights', [layer.units, maps * h * w]);
        add('bias', [layer.units]);
        break;
    }
    inShape = d.shapes[layerIndex];
  });
  return views;
}

/** Σ of the views' lengths: the length of the flat parameter array. */
export function paramCount(views: readonly ParamView[]): number {
  if (!Array.isArray(views) || !views.every((v) => check.isObject(v) && Number.isSafeInteger(v.length))) check.fail('views', 'an array of parameter views', views);
  return views.reduce((n, v) => n + v.length, 0);
}
