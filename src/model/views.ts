// The parameter layout a description implies, worked out without building a Network: no parameter
// arrays, no initialisation, no layer buffers; each layer's part is its layer file's *ParamSpecs, which
// the layer itself uses too. A model file is checked against it before anything is
// allocated from the description. test/formats/model-file.test.ts holds it equal to Network.views for every
// built-in and every random test network, so the two cannot drift apart unnoticed.

import { inputSets } from '../network/connections.js';
import { isResolvedDescription, type ResolvedDescription, type Shape } from '../network/description.js';
import { combinationParamSpecs } from '../layers/combination.js';
import { convParamSpecs } from '../layers/conv.js';
import { fullParamSpecs } from '../layers/full.js';
import type { ParamKind, ParamSpec, ParamView } from '../layers/layer.js';
import { subsampleParamSpecs } from '../layers/subsample.js';
import { batchNormParamSpecs } from '../layers/batchnorm.js';
import * as check from '../util/validate.js';

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
    for (const { kind, shape } of layerParamSpecs(layer, inShape)) {
      const length = shape.reduce((a, b) => a * b, 1);
      views.push({ name: `${layer.name}.${kind}`, layer: layer.name, layerIndex, kind, shape, offset, length });
      offset += length;
    }
    inShape = d.shapes[layerIndex];
  });
  return views;
}

/** A layer's parameters, in the flat array's order: the function its layer file defines (the one layout per kind). */
export function layerParamSpecs(layer: ResolvedDescription['layers'][number], inShape: Shape): ParamSpec[] {
  const [maps, h, w] = inShape;
  switch (layer.type) {
    case 'conv': return convParamSpecs(layer, inputSets(layer.connections, maps, layer.maps).reduce((n, s) => n + s.length, 0));
    case 'combination': return combinationParamSpecs(layer, maps);
    case 'subsample': return subsampleParamSpecs(layer, maps);
    case 'full': return fullParamSpecs(layer, maps * h * w);
    case 'batchnorm': return batchNormParamSpecs(layer, maps);
    case 'dropout': return [];
  }
}

/** Layer ℓ's parameter of this kind (looked up by kind, never by position), or null if it has none. */
export function paramOf(views: readonly ParamView[], layerIndex: number, kind: ParamKind): ParamView | null {
  for (const v of views) if (v.layerIndex === layerIndex && v.kind === kind) return v;
  return null;
}

/** Σ of the views' lengths: the length of the flat parameter array. */
export function paramCount(views: readonly ParamView[]): number {
  if (!Array.isArray(views) || !views.every((v) => check.isObject(v) && Number.isSafeInteger(v.length))) check.fail('views', 'an array of parameter views', views);
  return views.reduce((n, v) => n + v.length, 0);
}
