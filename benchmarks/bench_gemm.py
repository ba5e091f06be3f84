"""SGEMM: genmodels vs NumPy's BLAS (OpenBLAS), side by side in one run.

    python benchmarks/bench_gemm.py [--repeats 9] [--threads 1 2]

Prints GFLOP/s for each shape with 1 and 2 threads, the ratio
genmodels / NumPy, and both as a fraction of the measured FP32 FMA peak.
"""
import argparse
import os
import sys

import numpy as np
from threadpoolctl import threadpool_limits

import genmodels as gm

sys.path.insert(0, os.path.dirname(__file__))
from _timing import best_times  # noqa: E402

SHAPES = [  # (M, N, K, trans_a, trans_b, what)
    (128, 512, 784, False, False, "MLP fwd 784->512"),
    (128, 784, 512, False, False, "MLP fwd 512->784"),
    (784, 512, 128, False, False, "MLP grad W^T"),
    (128, 784, 512, False, True, "MLP bwd dX (B^T)"),
    (512, 784, 128, True, False, "MLP dW (A^T)"),
    (512, 512, 512, False, False, "square"),
    (1024, 1024, 1024, False, False, "square"),
    (2048, 2048, 2048, False, False, "square"),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(f"numpy {np.__version__}, genmodels {gm.__version__}, cpu features {gm._core.cpu_features()}")
    for threads in args.threads:
        peak = gm._core.fma_peak_gflops(0.5, threads)
        print(f"\n{threads} thread(s): measured FP32 FMA peak {peak:.0f} GFLOP/s")
        print(f"{'M':>5} {'N':>5} {'K':>5} {'op':>4} {'what':18} {'genmodels':>10} {'numpy':>8} "
              f"{'ratio':>6} {'gm %peak':>8} {'np %peak':>8}")
        gm.set_num_threads(threads)
        with threadpool_limits(threads):
            for m, n, k, ta, tb, what in SHAPES:
                a = rng.standard_normal((k, m) if ta else (m, k)).astype(np.float32)
                b = rng.standard_normal((n, k) if tb else (k, n)).astype(np.float32)
                c = np.empty((m, n), np.float32)
                a_op, b_op = (a.T if ta else a), (b.T if tb else b)
                t_gm, t_np = best_times([
                    lambda: gm.ops.gemm(a, b, c, trans_a=ta, trans_b=tb),
                    lambda: np.matmul(a_op, b_op, out=c)], repeats=args.repeats)
                flops = 2.0 * m * n * k / 1e9
                g_gm, g_np = flops / t_gm, flops / t_np
                op = ("T" if ta else "N") + ("T" if tb else "N")
                print(f"{m:5d} {n:5d} {k:5d} {op:>4} {what:18} {g_gm:10.1f} {g_np:8.1f} "
                      f"{g_gm / g_np:6.2f} {100 * g_gm / peak:7.0f}% {100 * g_np / peak:7.0f}%")
    gm.set_num_threads(-1)


if __name__ == "__main__":
    main()
