// The playground page: recipe editor, data loading, training controls and the live views. The
// network itself lives in a Web Worker (worker.ts), so the page stays responsive while it trains.
import { builtinNetworks, builtinRecipes, DescriptionError, mnistDigitFromRgba, RecipeError, resolveRecipe } from 'convnotes';
import { drawGrey, drawHeatmap, drawMaps, drawRgb, drawRgbSet, heat, rangeOf } from './draw.js';
import type { DataFile, DataInfo, FromWorker, Inspection, Point, ToWorker } from './protocol.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const e = document.getElementById(id);
  if (!e) throw new Error(`#${id} is missing from the page`);
  return e as T;
};

// ---------------------------------------------------------------- errors

function showError(where: string, message: string): void {
  const box = document.createElement('div');
  box.className = `error error-${where}`;
  box.textContent = `${where}: ${message}`;
  const close = document.createElement('button');
  close.textContent = 'dismiss';
  close.onclick = () => box.remove();
  box.append(close);
  $('errors').append(box);
  while ($('errors').children.length > 5) $('errors').firstElementChild!.remove();
}
/** Removes the messages of one kind (when the thing they were about has since worked). */
function clearErrors(where: string): void {
  for (const e of Array.from($('errors').querySelectorAll(`.error-${where}`))) e.remove();
}
window.addEventListener('error', (e) => showError('page', e.message));
window.addEventListener('unhandledrejection', (e) => showError('page', e.reason instanceof Error ? e.reason.message : String(e.reason)));

// ---------------------------------------------------------------- the worker

let worker: Worker;
const pending = new Map<number, { resolve(m: FromWorker): void; reject(e: Error): void }>();
let nextId = 1;

function startWorker(): void {
  worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  worker.onmessage = (e: MessageEvent<FromWorker>) => receive(e.data);
  worker.onerror = (e) => {
    e.preventDefault();
    showError('worker', e.message || 'the training worker failed to start');
    setRunning(false);
  };
  worker.onmessageerror = () => showError('worker', 'a message from the worker could not be read');
}

function send(m: ToWorker, transfer: Transferable[] = []): void {
  worker.postMessage(m, transfer);
}

function request<T extends FromWorker>(make: (id: number) => ToWorker, transfer: Transferable[] = []): Promise<T> {
  const id = nextId++;
  return new Promise<T>((resolve, reject) => {
    pending.set(id, { resolve: resolve as (m: FromWorker) => void, reject });
    send(make(id), transfer);
  });
}

// ---------------------------------------------------------------- state

const state = {
  ready: false,
  running: false,
  done: false,
  trainCount: 0,
  testCount: 0,
  points: [] as Point[],
  progress: null as null | Extract<FromWorker, { type: 'progress' }>,
  inspection: null as Inspection | null,
  drawnScores: null as number[] | null,
  engine: null as null | Extract<FromWorker, { type: 'ready' }>,
  errors: [] as string[],
  /** Name of the last model file opened. */
  loaded: null as string | null,
  /** Whether the recipe's distortions are on (the worker trains as the CLI does). */
  distortions: false,
  /** The loaded data: kind, counts, channels, size, classes and their names, files skipped. */
  dataset: null as DataInfo | null,
  /** The page's log (reading data, skipped files, the recipe fitted to the data), oldest first. */
  log: [] as string[],
  /** The last picture classified: its class scores and the class chosen. */
  pictureScores: null as number[] | null,
  picturePrediction: null as null | { classIndex: number; className: string },
};

const MAX_LOG = 300;
function logLines(lines: string[]): void {
  state.log.push(...lines);
  if (state.log.length > MAX_LOG) state.log.splice(0, state.log.length - MAX_LOG);
  const box = $('log');
  for (const line of lines) {
    const div = document.createElement('div');
    div.textContent = line;
    box.append(div);
  }
  while (box.childElementCount > MAX_LOG) box.firstElementChild!.remove();
  box.scrollTop = box.scrollHeight;
}

/** Class k's name: the network's (fitted to the data's class folders), else the data's, else k. */
function className(k: number): string {
  return state.engine?.classNames?.[k] ?? state.dataset?.classNames?.[k] ?? String(k);
}
const namedClasses = (): boolean => Boolean(state.engine?.classNames ?? state.dataset?.classNames);

function receive(m: FromWorker): void {
  switch (m.type) {
    case 'ready':
      state.ready = true;
      state.engine = m;
      state.points = [];
      state.done = false;
      $('engine').textContent = `${m.name}: ${m.params.toLocaleString()} parameters · backend ${m.backend}${m.relaxedSimd ? ' (relaxed SIMD)' : ''} · ${m.threads} thread${m.threads > 1 ? 's' : ''}${crossOriginIsolated ? ' · cross-origin isolated' : ' · not isolated'}${m.notice ? ` · ${m.notice}` : ''}`;
      // the worker runs the CLI's trainer: say so, and whether every training pattern is distorted
      $('training-info').textContent = `the CLI's trainer, seed ${m.seed} (\`convnotes train --seed ${m.seed}\`: the same recipe and data give the same weights) · distortions ${m.distortions ? 'on: every training pattern distorted afresh (the recipe\'s data.augment)' : 'off (the recipe has none)'}`;
      state.distortions = m.distortions;
      $('recipe-error').textContent = '';
      clearErrors('recipe');
      clearErrors('model');
      drawCurves();
      updateStatus();
      showInputKind(m.input);
      if (drawn && m.input[0] === 1) predictDrawing();
      break;
    case 'loaded':
      ($('recipe-json') as HTMLTextAreaElement).value = m.recipe;
      state.loaded = m.name;
      break;
    case 'data': {
      clearErrors('data');
      state.trainCount = m.train;
      state.testCount = m.test;
      const { type: _, ...info } = m;
      state.dataset = info;
      const names = m.classNames ? `: ${m.classNames.slice(0, 12).join(', ')}${m.classNames.length > 12 ? ', …' : ''}` : '';
      $('data-info').textContent = `${m.train.toLocaleString()} training and ${m.test.toLocaleString()} test images (${m.source}) · ${m.rows}×${m.cols} ${m.channels === 3 ? 'colour' : 'grey'} · ${m.classes} classes${names}${m.skipped ? ` · ${m.skipped} of ${m.files} files skipped (see the log)` : ''}`;
      ($('image-index') as HTMLInputElement).max = String(Math.max(0, (m.test || m.train) - 1));
      state.points = [];
      drawCurves();
      break;
    }
    case 'log':
      logLines(m.lines);
      break;
    case 'state':
      state.done = m.done;
      setRunning(m.running);
      break;
    case 'progress':
      state.progress = m;
      if (m.point) state.points.push(m.point);
      updateStatus();
      if (m.point) drawCurves();
      break;
    case 'inspect':
      state.inspection = m.inspection;
      renderInspection(m.inspection);
      break;
    case 'error': {
      state.errors.push(`${m.where}: ${m.message}`);
      if (m.where === 'recipe') $('recipe-error').textContent = m.path ? `${m.path}: ${m.message.startsWith(m.path) ? m.message.slice(m.path.length + 2) : m.message}` : m.message;
      showError(m.where, m.message);
      if (m.id !== undefined) {
        pending.get(m.id)?.reject(new Error(m.message));
        pending.delete(m.id);
      }
      break;
    }
    case 'prediction':
      if (m.picture) renderPicture(m.picture, m.scores, m.classIndex);
      else renderScores(m.scores, m.classIndex);
      break;
  }
  if ('id' in m && m.type !== 'error' && m.id !== undefined) {
    pending.get(m.id)?.resolve(m);
    pending.delete(m.id);
  }
}

function setRunning(r: boolean): void {
  state.running = r;
  ($('start') as HTMLButtonElement).disabled = r;
  ($('pause') as HTMLButtonElement).disabled = !r;
  $('start').textContent = state.progress && state.progress.step > 0 && !state.done ? 'Resume' : 'Start';
  updateStatus();
}

/** The status line is redrawn at most 4 times a second (each redraw is a layout the worker's core may pay for). */
let statusTimer = 0;
let statusShown = 0;
function updateStatus(): void {
  const wait = statusShown + 250 - performance.now();
  if (wait > 0 && state.running) {
    if (!statusTimer) statusTimer = window.setTimeout(() => {
      statusTimer = 0;
      updateStatus();
    }, wait);
    return;
  }
  statusShown = performance.now();
  const p = state.progress;
  const last = state.points[state.points.length - 1];
  const pct = (v: number | null | undefined) => (v === null || v === undefined ? '—' : `${(100 * v).toFixed(2)} %`);
  $('status').textContent = p
    ? `${state.running ? 'training' : state.done ? 'done' : 'paused'} · epoch ${Math.min(p.epoch + 1, p.epochs)}/${p.epochs} · step ${p.step} · ${p.images.toLocaleString()} images · loss ${Number.isFinite(p.loss) ? p.loss.toFixed(4) : '—'} · ${Math.round(p.imagesPerSecond).toLocaleString()} images/s · train error ${pct(last?.trainError)} · test error ${pct(last?.testError)}`
    : state.ready ? 'ready' : 'starting…';
}

// ---------------------------------------------------------------- recipe

const select = $('recipe-select') as HTMLSelectElement;
const editor = $('recipe-json') as HTMLTextAreaElement;
for (const name of Object.keys(builtinRecipes)) select.add(new Option(name, name));
select.value = 'dlt';
editor.value = JSON.stringify(builtinRecipes.dlt, null, 2);

/** Checks the editor's JSON with the library; shows the error (naming the field) inline. */
function validate(): boolean {
  try {
    resolveRecipe(JSON.parse(editor.value), builtinNetworks);
    $('recipe-error').textContent = '';
    return true;
  } catch (e) {
    const text = e instanceof RecipeError || e instanceof DescriptionError ? e.message
      : e instanceof SyntaxError ? `not valid JSON: ${e.message}` : String(e);
    $('recipe-error').textContent = text;
    return false;
  }
}

let validateTimer = 0;
editor.addEventListener('input', () => {
  clearTimeout(validateTimer);
  validateTimer = window.setTimeout(validate, 200);
});
select.addEventListener('change', () => {
  editor.value = JSON.stringify(builtinRecipes[select.value], null, 2);
  configure();
});

function threadCount(): number {
  const asked = Number(($('threads') as HTMLInputElement).value);
  if (asked > 0) return Math.floor(asked);
  return crossOriginIsolated ? Math.max(1, Math.min(8, navigator.hardwareConcurrency || 1)) : 1;
}

function configure(): void {
  if (!validate()) {
    showError('recipe', $('recipe-error').textContent ?? 'invalid recipe');
    return;
  }
  state.progress = null;
  send({ type: 'configure', recipe: editor.value, threads: threadCount() });
}
$('apply').onclick = configure;

// ---------------------------------------------------------------- data

function sendFiles(files: DataFile[]): void {
  const limit = Number(($('limit') as HTMLInputElement).value) || 0;
  const testLimit = Number(($('test-limit') as HTMLInputElement).value) || 0;
  const tops = [...new Set(files.map((f) => f.path.split('/')[0]))];
  $('data-info').textContent = `reading ${tops.slice(0, 6).join(', ')}${tops.length > 6 ? ', …' : ''} (${files.length.toLocaleString()} files)…`;
  send({ type: 'data', files, limit, testLimit });
}

/** Files picked or dropped, by their path in what was given; a model file among them opens as a model. */
async function readLocal(files: DataFile[]): Promise<void> {
  const model = files.find((f) => !f.path.includes('/') && f.path.endsWith('.safetensors'));
  if (model) await openModel(model.blob as File);
  const data = files.filter((f) => f !== model);
  if (data.length) sendFiles(data);
}

/** Picked files: their path in a picked folder (webkitRelativePath: "bars/train/red-h/0.png"), else their name. */
const picked = (list: FileList): DataFile[] => Array.from(list, (f) => ({ path: f.webkitRelativePath || f.name, blob: f }));

/** Everything under a dropped folder, each file with its path from the folder's own name. */
async function walk(entry: FileSystemEntry, out: DataFile[]): Promise<void> {
  const path = entry.fullPath.replace(/^\/+/, '');
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    out.push({ path, blob: file });
    return;
  }
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  // readEntries gives a folder's entries a batch at a time (100 in Chromium), then an empty one
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) break;
    for (const e of batch) await walk(e, out);
  }
  // an empty folder is still a folder (an empty class folder counts, as on disk)
  if (!out.some((f) => f.path.startsWith(`${path}/`))) out.push({ path: `${path}/`, blob: new Blob() });
}

/** A drop's files: dropped folders walked (webkitGetAsEntry, taken during the event), else its files. */
function dropped(dt: DataTransfer): Promise<DataFile[]> {
  const entries = Array.from(dt.items ?? [], (item) => (item.kind === 'file' ? item.webkitGetAsEntry?.() ?? null : null));
  const files = Array.from(dt.files);
  if (entries.length === 0 || entries.some((e) => e === null)) return Promise.resolve(files.map((f) => ({ path: f.webkitRelativePath || f.name, blob: f })));
  return (async () => {
    const out: DataFile[] = [];
    for (const e of entries) await walk(e!, out);
    return out;
  })();
}

for (const id of ['files', 'folder']) {
  ($(id) as HTMLInputElement).addEventListener('change', (e) => {
    const input = e.target as HTMLInputElement;
    if (input.files?.length) readLocal(picked(input.files)).catch((err: Error) => showError('data', err.message)).finally(() => {
      input.value = '';
    });
  });
}
/** Marks `zone` while something is dragged over it (class `over`); returns it. */
function dropZone(zone: HTMLElement): HTMLElement {
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  return zone;
}

const drop = dropZone($('drop'));
document.addEventListener('dragover', (e) => e.preventDefault());
document.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  if (e.dataTransfer?.files.length) dropped(e.dataTransfer).then(readLocal).catch((err: Error) => showError('data', err.message));
});

let served: string[] = [];
async function probeServed(): Promise<void> {
  try {
    const r = await fetch('data/index.json', { cache: 'no-store' });
    if (!r.ok || !(r.headers.get('content-type') ?? '').includes('json')) throw new Error(`HTTP ${r.status}`);
    const index = (await r.json()) as { dir: string; files: string[] };
    served = index.files;
    $('served-info').textContent = served.length ? `${index.dir}: ${served.join(', ')}` : `no MNIST files in ${index.dir}`;
  } catch {
    served = [];
    $('served-info').textContent = 'this server serves no data folder (use `npm run play -- --data DIR`)';
  }
  ($('served') as HTMLButtonElement).disabled = served.length === 0;
}

async function loadServed(): Promise<void> {
  if (!served.length) await probeServed();
  if (!served.length) throw new Error('no data folder is served here');
  const files = await Promise.all(served.map(async (name) => {
    const r = await fetch(`data/${encodeURIComponent(name)}`);
    if (!r.ok) throw new Error(`data/${name}: HTTP ${r.status}`);
    return { path: name, blob: await r.blob() };
  }));
  sendFiles(files);
}
$('served').onclick = () => loadServed().catch((err: Error) => showError('data', err.message));

// ---------------------------------------------------------------- training controls and models

$('start').onclick = () => send({ type: 'start' });
$('pause').onclick = () => send({ type: 'pause' });
$('reset').onclick = () => {
  state.progress = null;
  state.points = [];
  drawCurves();
  send({ type: 'reset' });
};

async function saveModel(): Promise<Uint8Array> {
  const m = await request<Extract<FromWorker, { type: 'saved' }>>((id) => ({ type: 'save', id }));
  return Object.assign(new Uint8Array(m.bytes), { fileName: m.name });
}
$('save').onclick = () => {
  saveModel().then((bytes) => {
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
    a.download = (bytes as { fileName?: string }).fileName ?? 'model.safetensors';
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  }, () => {});
};
async function openModel(f: File): Promise<void> {
  const bytes = await f.arrayBuffer();
  state.progress = null;
  send({ type: 'load', name: f.name, bytes, threads: threadCount() }, [bytes]);
}
($('model-file') as HTMLInputElement).addEventListener('change', (e) => {
  const input = e.target as HTMLInputElement;
  const f = input.files?.[0];
  if (!f) return;
  openModel(f).catch((err: Error) => showError('model', err.message)).finally(() => {
    input.value = '';
  });
});

// ---------------------------------------------------------------- curves

function drawCurves(): void {
  const c = $('curves') as HTMLCanvasElement;
  const g = c.getContext('2d')!;
  const W = c.width;
  const H = c.height;
  const L = 40;
  const B = 20;
  g.clearRect(0, 0, W, H);
  g.strokeStyle = '#ccc';
  g.strokeRect(L, 4, W - L - 4, H - B - 4);
  const pts = state.points;
  g.fillStyle = '#666';
  g.font = '11px system-ui';
  g.fillText('1', 4, 12);
  g.fillText('0', 4, H - B);
  if (pts.length === 0) {
    g.fillText('curves appear as training runs', L + 10, H / 2);
    return;
  }
  const maxImages = Math.max(1, pts[pts.length - 1].images);
  const maxLoss = Math.max(1e-9, ...pts.map((p) => (Number.isFinite(p.loss) ? p.loss : 0)));
  g.fillText(`${maxImages.toLocaleString()} images`, W - 110, H - 4);
  g.fillText(`loss ≤ ${maxLoss.toPrecision(3)}`, L + 6, 16);
  const x = (p: Point) => L + ((W - L - 4) * p.images) / maxImages;
  const y = (v: number) => 4 + (H - B - 4) * (1 - v);
  const line = (color: string, value: (p: Point) => number | null) => {
    g.strokeStyle = color;
    g.lineWidth = 1.5;
    g.beginPath();
    let first = true;
    for (const p of pts) {
      const v = value(p);
      if (v === null || !Number.isFinite(v)) continue;
      if (first) g.moveTo(x(p), y(v));
      else g.lineTo(x(p), y(v));
      first = false;
    }
    g.stroke();
  };
  line('#333', (p) => p.loss / maxLoss);
  line('#e80', (p) => p.trainError);
  line('#36c', (p) => p.testError);
}

// ---------------------------------------------------------------- inspection

const MAX_KERNELS_SHOWN = 96;

function renderInspection(ins: Inspection): void {
  const kernels = $('kernels');
  const rgb = ins.rgbKernels;
  kernels.replaceChildren(...ins.kernels.map((k) => {
    const div = document.createElement('div');
    div.className = 'layer';
    if (rgb && k.layer === rgb.layer) {
      // a colour input's first kernels: each output map's three input-map slices as one RGB image
      div.innerHTML = `<div class="name">${k.layer}: ${k.count} kernels ${k.size}×${k.size}, as ${rgb.count} colour kernel${rgb.count > 1 ? 's' : ''} (input maps R, G, B; one scale for the set)</div>`;
      div.append(drawRgbSet(rgb.values, rgb.count, rgb.size, rgb.size, 6));
      return div;
    }
    // a layer of thousands of kernels (LeNet-5's C5 has 1,920) would bury the rest: show the first 96
    const shown = Math.min(k.count, MAX_KERNELS_SHOWN);
    div.innerHTML = `<div class="name">${k.layer}: ${k.count} kernels ${k.size}×${k.size}${shown < k.count ? ` (the first ${shown})` : ''}</div>`;
    div.append(drawMaps(k.values.subarray(0, shown * k.size * k.size), shown, k.size, k.size, 4, true));
    return div;
  }));
  const maps = $('maps');
  const blocks: HTMLElement[] = [];
  if (ins.image) {
    $('image-label').textContent = `label ${className(ins.image.label)}${ins.scores ? `, predicted ${className(ins.scores.indexOf(Math.max(...ins.scores)))}` : ''}`;
    const div = document.createElement('div');
    div.className = 'layer';
    const { channels, rows, cols, pixels } = ins.image;
    div.innerHTML = `<div class="name">input${channels === 3 ? ' (colour)' : ''}</div>`;
    const zoom = Math.max(3, Math.floor(84 / Math.max(rows, cols)));
    div.append(channels === 3 ? drawRgb(pixels, cols, rows, zoom, 0, 255) : drawGrey(Float32Array.from(pixels, (v) => v / 255), cols, rows, zoom, false));
    blocks.push(div);
  } else $('image-label').textContent = 'load data to see an image';
  for (const m of ins.maps) {
    const div = document.createElement('div');
    div.className = 'layer';
    div.innerHTML = `<div class="name">${m.layer}: ${m.maps}@${m.rows}×${m.cols}${m.rgb ? ' as one colour image' : ''}</div>`;
    if (m.rgb) {
      const [lo, hi] = rangeOf(m.values);
      const grid = document.createElement('div');
      grid.className = 'grid';
      grid.append(drawRgb(m.values, m.cols, m.rows, Math.max(2, Math.floor(84 / m.rows)), lo, hi));
      div.append(grid);
    } else div.append(drawMaps(m.values, m.maps, m.rows, m.cols, m.rows <= 1 ? 12 : Math.max(2, Math.floor(48 / m.rows)), true));
    blocks.push(div);
  }
  maps.replaceChildren(...blocks);
  const alpha = $('alpha');
  alpha.replaceChildren(...(ins.alpha.length ? ins.alpha.map((a) => {
    const div = document.createElement('div');
    div.className = 'layer';
    div.innerHTML = `<div class="name">${a.layer}: α = softmax(c), ${a.rows} output maps (rows) × ${a.cols} input maps (columns)</div>`;
    div.append(drawHeatmap(a.values, a.rows, a.cols, 14));
    return div;
  }) : [Object.assign(document.createElement('div'), { className: 'muted', textContent: 'no learned combinations (α) in this network' })]));
  const beta = $('beta');
  beta.replaceChildren(...(ins.beta.length ? ins.beta.map((b) => {
    const div = document.createElement('div');
    div.className = 'layer';
    const vals = Array.from(b.values, (v) => v.toFixed(3)).join(' ');
    div.innerHTML = `<div class="name">${b.layer}: ${b.what ?? 'β'} per map${b.trainable ? '' : ' (fixed)'}</div><code>${vals}</code>`;
    const max = Math.max(1e-9, ...Array.from(b.values, Math.abs));
    div.append(drawHeatmap(Float32Array.from(b.values, (v) => Math.abs(v) / max), 1, b.values.length, 14));
    return div;
  }) : [Object.assign(document.createElement('div'), { className: 'muted', textContent: 'no subsampling β or batchnorm γ, β in this network' })]));
  if (ins.confusion) renderConfusion(ins.confusion);
}

function renderConfusion(c: NonNullable<Inspection['confusion']>): void {
  const canvas = $('confusion') as HTMLCanvasElement;
  const g = canvas.getContext('2d')!;
  const n = c.classes;
  const cell = Math.floor((canvas.width - 20) / n);
  g.clearRect(0, 0, canvas.width, canvas.height);
  g.font = '10px system-ui';
  g.textAlign = 'center';
  g.textBaseline = 'middle';
  for (let t = 0; t < n; t++) {
    let row = 0;
    for (let p = 0; p < n; p++) row += c.counts[t * n + p];
    g.fillStyle = '#666';
    g.fillText(String(t), 8, 20 + t * cell + cell / 2);
    g.fillText(String(t), 20 + t * cell + cell / 2, 8);
    for (let p = 0; p < n; p++) {
      const v = c.counts[t * n + p];
      g.fillStyle = heat(row ? v / row : 0);
      g.fillRect(20 + p * cell, 20 + t * cell, cell - 1, cell - 1);
      g.fillStyle = row && v / row > 0.5 ? '#fff' : '#000';
      if (v) g.fillText(String(v), 20 + p * cell + cell / 2, 20 + t * cell + cell / 2);
    }
  }
  let right = 0;
  for (let t = 0; t < n; t++) right += c.counts[t * n + t];
  const legend = namedClasses() ? `; classes ${Array.from({ length: n }, (_, k) => `${k} ${className(k)}`).join(' · ')}` : '';
  $('confusion-info').textContent = `rows: true class, columns: predicted; the first ${c.count} test images (${(100 * (1 - right / c.count)).toFixed(2)} % error)${legend}`;
}

($('image-index') as HTMLInputElement).addEventListener('input', (e) => {
  const v = Number((e.target as HTMLInputElement).value);
  if (Number.isInteger(v) && v >= 0) send({ type: 'select', index: v });
});

// ---------------------------------------------------------------- drawing

const pad = $('draw') as HTMLCanvasElement;
const pen = pad.getContext('2d', { willReadFrequently: true })!;
let drawing = false;
let drawn = false;
let last: [number, number] | null = null;
let frame = 0;

function clearPad(): void {
  pen.fillStyle = '#000';
  pen.fillRect(0, 0, pad.width, pad.height);
  drawn = false;
  ($('draw-small') as HTMLCanvasElement).getContext('2d')!.clearRect(0, 0, 28, 28);
  $('scores').replaceChildren();
  state.drawnScores = null;
}
clearPad();

function at(e: PointerEvent): [number, number] {
  const r = pad.getBoundingClientRect();
  return [((e.clientX - r.left) * pad.width) / r.width, ((e.clientY - r.top) * pad.height) / r.height];
}

pad.addEventListener('pointerdown', (e) => {
  drawing = true;
  pad.setPointerCapture(e.pointerId);
  last = at(e);
  stroke(last);
});
pad.addEventListener('pointermove', (e) => {
  if (drawing) stroke(at(e));
});
const up = () => {
  drawing = false;
  last = null;
};
pad.addEventListener('pointerup', up);
pad.addEventListener('pointercancel', up);
$('clear').onclick = clearPad;

function stroke(p: [number, number]): void {
  pen.strokeStyle = '#fff';
  pen.lineWidth = 20;
  pen.lineCap = 'round';
  pen.lineJoin = 'round';
  pen.beginPath();
  pen.moveTo(...(last ?? p));
  pen.lineTo(p[0] + 0.01, p[1]);
  pen.stroke();
  last = p;
  drawn = true;
  if (!frame) frame = requestAnimationFrame(() => {
    frame = 0;
    predictDrawing();
  });
}

/** The drawing as an MNIST digit (the library's one preprocessing, as `convnotes predict --png` of the pad's PNG), shown and classified. */
function predictDrawing(): void {
  const pixels = pen.getImageData(0, 0, pad.width, pad.height);
  const digit = mnistDigitFromRgba(pixels.data, pixels.width, pixels.height);
  const grey = Float32Array.from(digit);
  const small = ($('draw-small') as HTMLCanvasElement).getContext('2d')!;
  const img = small.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = grey[i];
    img.data[4 * i + 3] = 255;
  }
  small.putImageData(img, 0, 0);
  if (state.ready) send({ type: 'predict', id: 0, grey }, []);
}

/** One bar per class, named, scaled between the scores' range (0 included), the best marked. */
function scoreBars(scores: number[], best: number): HTMLElement[] {
  const min = Math.min(0, ...scores);
  const max = Math.max(1e-9, ...scores);
  return scores.map((s, k) => {
    const row = document.createElement('div');
    row.className = `bar${k === best ? ' best' : ''}`;
    const bar = document.createElement('span');
    bar.className = 'b';
    bar.style.width = `${Math.round((100 * (s - min)) / (max - min))}px`;
    row.append(`${className(k)} `, bar, ` ${s.toFixed(3)}`);
    return row;
  });
}

function renderScores(scores: number[], best: number): void {
  state.drawnScores = scores;
  $('scores').replaceChildren(...scoreBars(scores, best));
}

// ---------------------------------------------------------------- a picture to classify

/** The drawing pad for a network of one input map (grey digits); a picture for any. */
function showInputKind(input: [number, number, number]): void {
  const grey = input[0] === 1;
  $('draw-row').hidden = !grey;
  $('draw-note').textContent = grey ? '' : `this network's input is ${input.join('×')} (colour): the drawing pad is for grey digit models; classify a picture instead`;
  $('draw-title').textContent = grey ? 'Draw a digit, or classify a picture' : 'Classify a picture';
}

function classifyPicture(f: File): void {
  if (!state.ready) return showError('data', 'no network yet');
  request<Extract<FromWorker, { type: 'prediction' }>>((id) => ({ type: 'picture', id, name: f.name, blob: f })).catch(() => {});
}

function renderPicture(p: NonNullable<Extract<FromWorker, { type: 'prediction' }>['picture']>, scores: number[], best: number): void {
  state.pictureScores = scores;
  state.picturePrediction = { classIndex: best, className: className(best) };
  const zoom = Math.max(2, Math.floor(96 / Math.max(p.rows, p.cols)));
  const canvas = p.channels === 3 ? drawRgb(p.levels, p.cols, p.rows, zoom, 0, 255) : drawGrey(Float32Array.from(p.levels, (v) => v / 255), p.cols, p.rows, zoom, false);
  $('picture-view').replaceChildren(canvas, Object.assign(document.createElement('div'), { className: 'muted', textContent: `${p.name}: ${p.rows}×${p.cols} → predicted ${className(best)}` }));
  $('picture-scores').replaceChildren(...scoreBars(scores, best));
}

($('picture') as HTMLInputElement).addEventListener('change', (e) => {
  const input = e.target as HTMLInputElement;
  const f = input.files?.[0];
  if (f) classifyPicture(f);
  input.value = '';
});
const pictureDrop = dropZone($('picture-drop'));
pictureDrop.addEventListener('drop', (e) => {
  // the picture is classified, not loaded as data
  e.preventDefault();
  e.stopPropagation();
  pictureDrop.classList.remove('over');
  const f = e.dataTransfer?.files[0];
  if (f) classifyPicture(f);
});

// ---------------------------------------------------------------- start

/** For scripts and tests driving the page. */
(window as unknown as { playground: unknown }).playground = {
  state,
  saveModel,
  predictTest: async (count: number) => (await request<Extract<FromWorker, { type: 'testPredictions' }>>((id) => ({ type: 'predictTest', id, count }))).classes,
  loadServed,
  /** Levels [count][channels][rows][cols] of a loaded split's images from `start`, as the page decoded them, and their labels. */
  images: async (split: 'train' | 'test', start: number, count: number) => {
    const m = await request<Extract<FromWorker, { type: 'images' }>>((id) => ({ type: 'images', id, split, start, count }));
    return { channels: m.channels, rows: m.rows, cols: m.cols, levels: Array.from(m.levels), labels: m.labels };
  },
};

startWorker();
configure();
void probeServed();
drawCurves();
