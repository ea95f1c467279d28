#!/usr/bin/env python3
"""PyTorch side of convnotes' benchmark (bench/run.ts writes the config and the data, then runs this).

usage: torch_bench.py CONFIG.json

The config names raw files the harness wrote: per data pool the images (float32
[count][channels][side][side], already scaled to [0, 1]) and the labels (uint8 [count]); per net the
pool it is fed and convnotes' initial parameters (float64, convnotes' flat layout). Each net arrives
in the harness's portable form (bench/nets.ts, PortableLayer): conv kernels [out][in][K][K] stored
for TRUE convolution (flipped here by 180° for torch's cross-correlation) with their zero padding and
stride, pooling as beta * (n x n block sum or maximum) + b, fully connected weights [units][inputs] with inputs in
[map][row][col] order (= torch's NCHW flatten), batch normalisation as BatchNorm2d (over maps) or BatchNorm1d (over units) with convnotes'
scale, shift, running mean and running variance as its weight, bias, running_mean and running_var.

For every run {net, phase, threads}: torch.set_num_threads(threads), a fresh model from the same
weights, warm-up, then steps until `seconds` have passed. Training is forward + backward +
torch.optim.SGD step (no momentum) with the loss read back (loss.item()) every step, as every system
does, in train() mode (batch normalisation on batch statistics); inference runs in eval() mode (on the
running averages) under torch.inference_mode(). With "check", the losses of two training steps on
batches 0 and 1 from the initial weights are reported, to compare with convnotes' reference.

With "memory" {net, threads, steps} (the harness's --memory, one net per process): after torch is
imported and the net's data loaded, the process's peak resident set is reset to its current one
(writing 5 to /proc/self/clear_refs) and that RSS read (VmRSS); then the model is built and trained for
`steps` steps, and the peak (VmHWM) read: peak - start is what training the net added at its highest
(bench/memory.ts measures the Node systems the same way).

Progress goes to stderr; the last line of stdout is one JSON object.
"""

import gc
import json
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def log(*args):
    print('[torch]', *args, file=sys.stderr, flush=True)


def load_config(usage):
    """The config named by the one argument (the harness's JSON); with any other arguments, the usage and exit 2."""
    if len(sys.argv) != 2:
        print(usage, file=sys.stderr)
        sys.exit(2)
    with open(sys.argv[1]) as f:
        return json.load(f)


def activation(name):
    if name == 'identity':
        return None
    if name == 'sigmoid':
        return nn.Sigmoid()
    if name == 'tanh':
        return nn.Tanh()
    if name == 'relu':
        return nn.ReLU()
    if name == 'lecun':
        return LeCun()
    raise ValueError(f'unknown activation {name}')


class LeCun(nn.Module):
    """1.7159 tanh(2x/3)."""

    def forward(self, x):
        return 1.7159 * torch.tanh(x * (2.0 / 3.0))


class Pool(nn.Module):
    """convnotes' subsampling: beta * down(x) + b. down 'sum': the n x n block sum, computed as
    n^2 * (block mean), so a fixed beta is scale / n^2; down 'max': the block's maximum, scale = beta."""

    def __init__(self, n, down, beta, bias, scale):
        super().__init__()
        self.n = n
        self.max = down == 'max'
        self.area = 1 if self.max else n * n
        self.scale = scale
        self.beta = nn.Parameter(torch.tensor(beta, dtype=torch.float32)) if beta is not None else None
        self.bias = nn.Parameter(torch.tensor(bias, dtype=torch.float32)) if bias is not None else None

    def forward(self, x):
        y = F.max_pool2d(x, self.n) if self.max else F.avg_pool2d(x, self.n)
        if self.beta is not None:
            y = y * (self.beta * self.area).view(1, -1, 1, 1)
        elif self.scale != 1:
            y = y * self.scale
        if self.bias is not None:
            y = y + self.bias.view(1, -1, 1, 1)
        return y


def build(p, params):
    """nn.Sequential for a portable net, with convnotes' parameters."""
    mods = []
    o = 0

    def take(n):
        nonlocal o
        s = params[o:o + n]
        o += n
        return s

    flat = False
    for l in p['layers']:
        t = l['type']
        if t == 'conv':
            C, O, K = l['inMaps'], l['maps'], l['kernel']
            k = take(O * C * K * K).reshape(O, C, K, K)[:, :, ::-1, ::-1]
            conv = nn.Conv2d(C, O, K, stride=l['stride'], padding=l['pad'])
            with torch.no_grad():
                conv.weight.copy_(torch.from_numpy(np.ascontiguousarray(k, dtype=np.float32)))
                conv.bias.copy_(torch.from_numpy(take(O).astype(np.float32)))
            mods.append(conv)
        elif t == 'pool':
            n, maps, down = l['factor'], l['maps'], l['down']
            beta = take(maps).astype(np.float32) if l['trainableBeta'] else None
            bias = take(maps).astype(np.float32) if l['bias'] else None
            scale = l['betaInit'] * (1 if down == 'max' else n * n)
            if beta is None and bias is None and scale == 1:
                mods.append(nn.MaxPool2d(n) if down == 'max' else nn.AvgPool2d(n))
            else:
                mods.append(Pool(n, down, beta, bias, scale))
        elif t == 'full':
            M, H, W = l['inShape']
            I, U = M * H * W, l['units']
            if not flat:
                mods.append(nn.Flatten())
                flat = True
            lin = nn.Linear(I, U)
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(take(U * I).reshape(U, I).astype(np.float32)))
                lin.bias.copy_(torch.from_numpy(take(U).astype(np.float32)))
            mods.append(lin)
        elif t == 'batchnorm':
            # torch's running averages are convnotes': r <- (1 - m) r + m * stat, the variance's unbiased,
            # and training batches are normalised with the biased variance, as convnotes does.
            C = l['maps']
            bn = (nn.BatchNorm2d if l['spatial'] else nn.BatchNorm1d)(C, eps=l['epsilon'], momentum=l['momentum'])
            with torch.no_grad():
                bn.weight.copy_(torch.from_numpy(take(C).astype(np.float32)))
                bn.bias.copy_(torch.from_numpy(take(C).astype(np.float32)))
                bn.running_mean.copy_(torch.from_numpy(take(C).astype(np.float32)))
                bn.running_var.copy_(torch.from_numpy(take(C).astype(np.float32)))
            mods.append(bn)
        else:
            raise ValueError(f'unknown layer type {t}')
        a = activation(l['activation'])
        if a is not None:
            mods.append(a)
    if o != len(params):
        raise ValueError(f"{p['id']}: used {o} of {len(params)} parameters")
    return nn.Sequential(*mods)


def load_pool(pool):
    """(images [count][channels][side][side] float32 tensor, labels int64 numpy array) of a pool's files."""
    count, channels, side = pool['count'], pool['channels'], pool['side']
    images = torch.from_numpy(np.fromfile(pool['images'], dtype=np.float32).reshape(count, channels, side, side))
    return images, np.fromfile(pool['labels'], dtype=np.uint8).astype(np.int64)


class Bench:
    def __init__(self, net, pool):
        self.net = net
        self.p = net['portable']
        self.images, labels = pool
        count = len(labels)
        self.labels = torch.from_numpy(labels)
        off, on = self.p['targets']
        t = np.full((count, self.p['classes']), off, dtype=np.float32)
        t[np.arange(count), labels] = on
        self.targets = torch.from_numpy(t)
        self.params = np.fromfile(net['params'], dtype=np.float64)
        self.count = count

    def model(self):
        return build(self.p, self.params)

    def trainer(self):
        model = self.model()
        model.train()
        opt = torch.optim.SGD(model.parameters(), lr=self.net['rate'], momentum=0)
        B = self.net['trainBatch']
        n = self.count // B
        mse = self.p['loss'] == 'mse'

        def step(i):
            b = (i % n) * B
            x = self.images[b:b + B]
            opt.zero_grad(set_to_none=True)
            y = model(x)
            if mse:
                loss = 0.5 * torch.sum((y - self.targets[b:b + B]) ** 2) / B
            else:
                loss = F.cross_entropy(y, self.labels[b:b + B])
            loss.backward()
            opt.step()
            return loss.item()
        return step

    def inferrer(self):
        model = self.model()
        model.eval()
        B = self.net['inferBatch']
        n = self.count // B

        def step(i):
            b = (i % n) * B
            with torch.inference_mode():
                model(self.images[b:b + B])
        return step


WINDOW = 0.25


def measure(step, batch, seconds, warmup):
    # As bench/measure.ts: the timed part is cut into windows of >= WINDOW s (and >= 1 step), and the
    # fastest window is reported.
    i = 0
    w0 = time.perf_counter()
    while i < 2 or time.perf_counter() - w0 < warmup:
        step(i)
        i += 1
    n = 0
    best = 0.0
    t0 = time.perf_counter()
    t = t0
    window_start = t0
    window_steps = 0
    while n < 2 or t - t0 < seconds:
        step(i)
        i += 1
        n += 1
        window_steps += 1
        t = time.perf_counter()
        if t - window_start >= WINDOW:
            best = max(best, window_steps * batch / (t - window_start))
            window_start = t
            window_steps = 0
    if best == 0.0:
        best = n * batch / (t - t0)
    return {'imagesPerSecond': best, 'iterations': n, 'seconds': t - t0}


def status_kib(field):
    """A /proc/self/status field in KiB (VmRSS: resident now; VmHWM: the peak since the last reset)."""
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    raise ValueError(f'/proc/self/status has no {field}')


def reset_peak():
    """Resets VmHWM to the current RSS (Linux >= 4.0); False when the kernel refuses."""
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
        return True
    except OSError:
        return False


def memory(bench, m):
    torch.set_num_threads(m['threads'])
    gc.collect()
    reset = reset_peak()
    start = status_kib('VmRSS')
    step = bench.trainer()
    for i in range(m['steps']):
        step(i)
    peak = status_kib('VmHWM')
    log(f"memory {m['net']}: {start} KiB at start, peak {peak} KiB")
    return {'startKiB': start, 'peakKiB': peak, 'peakReset': reset}


def main():
    cfg = load_config(__doc__)
    pools = [load_pool(pool) for pool in cfg['pools']]
    benches = {net['id']: Bench(net, pools[net['pool']]) for net in cfg['nets']}
    out = {'torch': torch.__version__, 'python': sys.version.split()[0], 'results': [], 'checks': []}
    if cfg.get('memory'):
        out['memory'] = memory(benches[cfg['memory']['net']], cfg['memory'])
        print(json.dumps(out))
        return
    if cfg.get('check'):
        torch.set_num_threads(cfg['runs'][0]['threads'] if cfg['runs'] else 1)
        for id, b in benches.items():
            step = b.trainer()
            out['checks'].append({'net': id, 'losses': [step(0), step(1)]})
            log(f'check {id}: losses {out["checks"][-1]["losses"]}')
    for run in cfg['runs']:
        b = benches[run['net']]
        torch.set_num_threads(run['threads'])
        train = run['phase'] == 'train'
        step = b.trainer() if train else b.inferrer()
        batch = b.net['trainBatch'] if train else b.net['inferBatch']
        log(f"{run['net']} {run['phase']} threads {run['threads']} ...")
        r = measure(step, batch, cfg['seconds'], cfg['warmup'])
        r.update(run)
        out['results'].append(r)
    print(json.dumps(out))


if __name__ == '__main__':
    main()
