"""Convolution forward + backward: genmodels vs PyTorch CPU, in one run.

    python benchmarks/bench_conv.py [--repeats 7] [--threads 1 2]

The DCGAN layers at batch 128: the discriminator's strided convolutions and
the generator's transposed convolutions. One pass = forward, gradient w.r.t.
the input and w.r.t. weight and bias. genmodels reuses its workspace across
passes and writes into buffers allocated once, as its layers do; PyTorch
runs its usual autograd pass with the same thread count.
"""
import argparse
import os
import sys

import numpy as np

import genmodels as gm
from genmodels import ops

sys.path.insert(0, os.path.dirname(__file__))
from _timing import best_times  # noqa: E402

LAYERS = [  # kind, input shape, out channels, kernel, stride, padding
    ("conv", (128, 1, 28, 28), 64, 4, 2, 1),
    ("conv", (128, 64, 14, 14), 128, 4, 2, 1),
    ("convT", (128, 128, 7, 7), 64, 4, 2, 1),
    ("convT", (128, 64, 14, 14), 1, 4, 2, 1),
]


def genmodels_pass(kind, x, w, b, stride, pad, bufs):
    """One forward + backward pass into buffers allocated once, as layers do."""
    y, dx, dw, db, ws = bufs["y"], bufs["dx"], bufs["dw"], bufs["db"], bufs["ws"]
    dw.fill(0.0)
    db.fill(0.0)
    if kind == "conv":
        ops.conv2d_forward(x, w, b, stride=stride, padding=pad, out=y, workspace=ws)
        ops.conv2d_backward_input(y, w, x.shape, stride=stride, padding=pad, out=dx, workspace=ws)
        ops.conv2d_backward_weight(y, x, w.shape[2:], stride=stride, padding=pad, grad_weight=dw,
                                   grad_bias=db, workspace=ws)
    else:
        ops.conv_transpose2d_forward(x, w, b, stride=stride, padding=pad, out=y, workspace=ws)
        ops.conv_transpose2d_backward_input(y, w, x.shape, stride=stride, padding=pad, out=dx,
                                            workspace=ws)
        ops.conv_transpose2d_backward_weight(y, x, w.shape[2:], stride=stride, padding=pad,
                                             grad_weight=dw, grad_bias=db, workspace=ws)


def buffers(kind, x, w, b, stride, pad):
    size = (ops.conv2d_workspace_size(x.shape, w.shape, stride, pad) if kind == "conv"
            else ops.conv_transpose2d_workspace_size(x.shape, w.shape, stride, pad))
    ws = np.empty(size, np.float32)
    forward = ops.conv2d_forward if kind == "conv" else ops.conv_transpose2d_forward
    y = forward(x, w, b, stride=stride, padding=pad, workspace=ws)
    return {"y": y, "dx": np.empty_like(x), "dw": np.zeros_like(w), "db": np.zeros_like(b), "ws": ws}


def torch_pass(torch, layer, x):
    layer.zero_grad(set_to_none=False)
    x.grad = None
    y = layer(x)
    y.backward(y.detach())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        torch = None
        print("PyTorch is not installed: genmodels figures only (pip install torch==2.13.0)")
    rng = np.random.default_rng(0)
    for threads in args.threads:
        gm.set_num_threads(threads)
        if torch:
            torch.set_num_threads(threads)
        print(f"\n{threads} thread(s), ms per forward+backward pass (best of {args.repeats})")
        print(f"{'layer':42} {'genmodels':>10} {'pytorch':>9} {'speed-up':>9}")
        for kind, shape, oc, k, s, p in LAYERS:
            x = rng.standard_normal(shape).astype(np.float32)
            wshape = (oc, shape[1], k, k) if kind == "conv" else (shape[1], oc, k, k)
            w = (rng.standard_normal(wshape) * 0.05).astype(np.float32)
            b = np.zeros(oc, np.float32)
            bufs = buffers(kind, x, w, b, s, p)
            fns = [lambda: genmodels_pass(kind, x, w, b, s, p, bufs)]
            if torch:
                cls = torch.nn.Conv2d if kind == "conv" else torch.nn.ConvTranspose2d
                layer = cls(shape[1], oc, k, stride=s, padding=p)
                tx = torch.from_numpy(x.copy()).requires_grad_(True)
                fns.append(lambda: torch_pass(torch, layer, tx))
            times = best_times(fns, repeats=args.repeats)
            name = f"{kind} {shape} -> {oc}ch k{k} s{s} p{p}"
            if torch:
                print(f"{name:42} {1e3 * times[0]:10.2f} {1e3 * times[1]:9.2f} {times[1] / times[0]:8.2f}x")
            else:
                print(f"{name:42} {1e3 * times[0]:10.2f}")
    gm.set_num_threads(-1)


if __name__ == "__main__":
    main()
