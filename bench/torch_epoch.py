#!/usr/bin/env python3
"""PyTorch side of the bench's simard-wide epoch (bench/epoch.ts writes the config and the data).

usage: torch_epoch.py CONFIG.json

simard-wide's recipe written as a PyTorch user would write it: the network (conv 20@5x5 ReLU, 2x2
mean pooling, conv 50@5x5 ReLU, 2x2 mean pooling, full 500 ReLU, full 10), cross-entropy,
torch.optim.SGD with momentum 0.9 and weight decay 5e-5 at rate 0.05, mini-batches of 32 drawn from a
shuffled order, and every batch distorted on the fly as the recipe distorts it: a random affine map
per pattern (rotation, scaling, shear, translation, uniform in the recipe's ranges) through
F.affine_grid, plus Simard's elastic field (uniform(-1, 1) displacements smoothed by a Gaussian of
sigma 4 that sums to 1, taps outside the image dropped, times alpha 16, in pixels), sampled bilinearly
by F.grid_sample with zeros outside. The config gives the images (float32 [count][1][28][28] in
[0, 1]), the labels (uint8), and per run the thread count and the images to train on; each run starts
from a fresh model, warms up for `warmup` steps, then times `images` images, distortions included.

Progress goes to stderr; the last line of stdout is one JSON object.
"""

import json
import math
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from torch_bench import load_config, log  # the bench's scripts sit side by side in bench/


def network():
    return nn.Sequential(
        nn.Conv2d(1, 20, 5), nn.ReLU(), nn.AvgPool2d(2),
        nn.Conv2d(20, 50, 5), nn.ReLU(), nn.AvgPool2d(2),
        nn.Flatten(), nn.Linear(800, 500), nn.ReLU(), nn.Linear(500, 10),
    )


class Distorter:
    """simard-wide's data.augment for a batch [B][1][H][W]: affine (rotate 8 deg, scale 8 %, shear
    8 deg, translate 1.5 px) and elastic (sigma 4, alpha 16), one bilinear resampling."""

    def __init__(self, h, w, rotate=8.0, scale=0.08, shear=8.0, translate=1.5, sigma=4.0, alpha=16.0):
        self.h, self.w = h, w
        self.rotate, self.scale, self.shear, self.translate, self.alpha = rotate, scale, shear, translate, alpha
        r = math.ceil(3 * sigma)
        k = torch.exp(-torch.arange(-r, r + 1, dtype=torch.float32) ** 2 / (2 * sigma * sigma))
        k = k / k.sum()
        self.r = r
        self.kx = k.view(1, 1, 1, -1).repeat(2, 1, 1, 1)
        self.ky = k.view(1, 1, -1, 1).repeat(2, 1, 1, 1)

    def __call__(self, x):
        B = x.shape[0]
        rad = math.pi / 180
        a = (torch.rand(B) * 2 - 1) * self.rotate * rad
        s = 1 + (torch.rand(B) * 2 - 1) * self.scale
        sh = (torch.rand(B) * 2 - 1) * self.shear * rad
        tx = (torch.rand(B) * 2 - 1) * self.translate * 2 / self.w
        ty = (torch.rand(B) * 2 - 1) * self.translate * 2 / self.h
        theta = torch.zeros(B, 2, 3)
        theta[:, 0, 0] = s * torch.cos(a)
        theta[:, 0, 1] = -s * torch.sin(a + sh)
        theta[:, 1, 0] = s * torch.sin(a)
        theta[:, 1, 1] = s * torch.cos(a + sh)
        theta[:, 0, 2] = tx
        theta[:, 1, 2] = ty
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        # elastic: smoothed uniform noise, alpha pixels, as normalised grid offsets (a pixel is 2/W wide)
        d = torch.rand(B, 2, self.h, self.w) * 2 - 1
        d = F.conv2d(F.conv2d(d, self.kx, padding=(0, self.r), groups=2), self.ky, padding=(self.r, 0), groups=2)
        d = d * self.alpha
        grid = grid + torch.stack((d[:, 0] * 2 / self.w, d[:, 1] * 2 / self.h), dim=-1)
        return F.grid_sample(x, grid, mode='bilinear', padding_mode='zeros', align_corners=False)


def run(images, labels, threads, count, warmup, seed):
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    model = network()
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-5)
    distort = Distorter(images.shape[2], images.shape[3])
    B = 32
    order = torch.randperm(images.shape[0])
    steps = count // B

    def step(i):
        idx = order[(i * B) % (images.shape[0] - B + 1):][:B]
        x = distort(images[idx])
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), labels[idx])
        loss.backward()
        opt.step()
        return loss.item()

    for i in range(warmup):
        step(i)
    t0 = time.perf_counter()
    loss = 0.0
    for i in range(steps):
        loss = step(warmup + i)
    seconds = time.perf_counter() - t0
    return {'threads': threads, 'images': steps * B, 'seconds': seconds, 'imagesPerSecond': steps * B / seconds, 'lastLoss': loss}


def main():
    cfg = load_config(__doc__)
    count, side = cfg['count'], cfg['side']
    images = torch.from_numpy(np.fromfile(cfg['images'], dtype=np.float32).reshape(count, 1, side, side))
    labels = torch.from_numpy(np.fromfile(cfg['labels'], dtype=np.uint8).astype(np.int64))
    out = {'torch': torch.__version__, 'python': sys.version.split()[0], 'results': []}
    for r in cfg['runs']:
        log(f"simard-wide epoch, {r['threads']} thread(s), {r['images']} images ...")
        out['results'].append(run(images, labels, r['threads'], r['images'], cfg['warmup'], 1))
    print(json.dumps(out))


if __name__ == '__main__':
    main()
