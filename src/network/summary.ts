// A network as a table a person reads: each layer, its output shape and its parameters.
import type { Network } from './network.js';
import * as check from '../util/validate.js';

function geometry(spec: { pad: number; stride: number }): string {
  return `${spec.pad ? `, pad ${spec.pad}` : ''}${spec.stride !== 1 ? `, stride ${spec.stride}` : ''}`;
}

export function summary(net: Network): string {
  const n = check.object(net, 'net', 'a Network');
  if (!check.isObject(n.description) || !Array.isArray(n.layers) || !Array.isArray(n.views)) check.fail('net', 'a Network', net);
  const d = net.description;
  const rows: string[][] = [['layer', 'type', 'output', 'parameters', 'details']];
  rows.push(['input', '', d.input.join('×'), '', '']);
  for (const l of net.layers) {
    const spec = d.layers[l.index];
    const params = net.views.filter((v) => v.layerIndex === l.index);
    const count = params.reduce((n, v) => n + v.length, 0);
    let details = '';
    switch (spec.type) {
      case 'conv':
        details = `${spec.kernel}×${spec.kernel} kernels${geometry(spec)}, ${Array.isArray(spec.connections) ? 'explicit table' : spec.connections} connections, ${spec.activation}`;
        break;
      case 'combination':
        details = `${spec.kernel}×${spec.kernel} kernels (${spec.kernels})${geometry(spec)}, learned α = softmax(c), penalty ${spec.penalty.type}${spec.penalty.type === 'none' ? '' : ` λ=${spec.penalty.lambda}`}, ${spec.activation}`;
        break;
      case 'subsample':
        details = `down=${spec.down} ${spec.factor}×${spec.factor}, β ${spec.beta === 'fixed' ? `fixed ${spec.betaInit}` : 'trainable'}, ${spec.bias ? 'b' : 'no b'}, ${spec.activation}`;
        break;
      case 'full':
        details = spec.activation;
        break;
      case 'batchnorm':
        details = `γ, β per map, ε=${spec.epsilon}, momentum ${spec.momentum}, ${spec.activation}`;
        break;
      case 'dropout':
        details = `rate ${spec.rate}`;
        break;
    }
    rows.push([l.name, l.type, l.outShape.join('×'), String(count), details]);
  }
  rows.push(['', '', '', String(net.params.length), `total; loss ${d.loss}${d.loss === 'mse' ? `, targets ${d.targets.join('/')}` : ''}`]);
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const table = rows.map((r) => r.map((cell, c) => (c === 3 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd()).join('\n');
  return d.classNames ? `${table}\nclasses: ${d.classNames.map((n, c) => `${c} ${n}`).join(', ')}` : table;
}
