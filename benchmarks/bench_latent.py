"""t-SNE and UMAP: genmodels vs openTSNE, umap-learn (and scikit-learn's
TSNE), side by side on Fashion-MNIST.

    python benchmarks/bench_latent.py [--n 10000 70000] [--inputs raw pca50] [--threads 2]

Each method runs in a fresh process (so timings include imports, and for
umap-learn the cold run includes numba's compilation; a warm run follows in
the same process), which also gives its peak memory. Quality: trustworthiness
at k=10 on a fixed 5,000-point subsample and the 10-NN accuracy of the 2-D
embedding on an 80/20 split (both computed by genmodels.metrics).
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

METHODS = ["genmodels-umap", "umap-learn", "genmodels-tsne", "openTSNE", "sklearn-tsne"]


def load(n, inputs):
    import genmodels as gm
    ds = gm.datasets.load_fashion_mnist(flatten=True)
    x = np.concatenate([ds.x_test, ds.x_train])[:n]
    y = np.concatenate([ds.y_test, ds.y_train])[:n]
    if inputs == "pca50":
        centred = x - x.mean(0)
        _, _, vt = np.linalg.svd(centred[:10000], full_matrices=False)
        x = (centred @ vt[:50].T).astype(np.float32)
    return np.ascontiguousarray(x, np.float32), y


def embed(method, x, threads):
    if method == "genmodels-umap":
        import genmodels as gm
        return lambda: gm.latent.UMAP(random_state=0, n_jobs=threads).fit_transform(x)
    if method == "genmodels-tsne":
        import genmodels as gm
        return lambda: gm.latent.TSNE(random_state=0, n_jobs=threads).fit_transform(x)
    if method == "umap-learn":
        import umap
        return lambda: umap.UMAP(n_jobs=threads).fit_transform(x)     # unseeded: seeding forces 1 thread
    if method == "openTSNE":
        from openTSNE import TSNE
        return lambda: np.asarray(TSNE(n_jobs=threads, random_state=0).fit(x))
    if method == "sklearn-tsne":
        from sklearn.manifold import TSNE
        return lambda: TSNE(random_state=0, n_jobs=threads).fit_transform(x)
    raise ValueError(method)


def worker(method, n, inputs, threads):
    x, y = load(n, inputs)
    start = time.perf_counter()
    run = embed(method, x, threads)
    emb = run()
    cold = time.perf_counter() - start
    warm = None
    if method == "umap-learn":
        start = time.perf_counter()
        emb = run()
        warm = time.perf_counter() - start
    import genmodels as gm
    sub = np.random.default_rng(0).choice(len(x), min(5000, len(x)), replace=False)
    result = {"method": method, "n": n, "inputs": inputs, "cold_s": cold, "warm_s": warm,
              "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
              "trustworthiness": gm.metrics.trustworthiness(x[sub], emb[sub], 10),
              "knn_accuracy": gm.metrics.knn_accuracy(emb, y, 10)}
    print(json.dumps(result))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[10000])
    parser.add_argument("--inputs", nargs="+", default=["pca50", "raw"], choices=["raw", "pca50"])
    parser.add_argument("--methods", nargs="+", default=METHODS, choices=METHODS)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--worker", nargs=4, metavar=("METHOD", "N", "INPUTS", "THREADS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        method, n, inputs, threads = args.worker
        worker(method, int(n), inputs, int(threads))
        return
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), NUMBA_NUM_THREADS=str(args.threads))
    print(f"{'n':>6} {'input':6} {'method':15} {'time s':>8} {'warm s':>7} {'peak MB':>8} {'trust@10':>9} {'10-NN acc':>9}")
    for n in args.n:
        for inputs in args.inputs:
            for method in args.methods:
                if method == "sklearn-tsne" and n > 10000:
                    continue
                proc = subprocess.run([sys.executable, __file__, "--worker", method, str(n), inputs,
                                       str(args.threads)], capture_output=True, text=True, env=env)
                lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
                if proc.returncode or not lines:
                    err = (proc.stderr.strip().splitlines() or ["?"])[-1]
                    print(f"{n:6d} {inputs:6} {method:15} failed: {err}")
                    continue
                r = json.loads(lines[-1])
                warm = f"{r['warm_s']:7.1f}" if r["warm_s"] else "      -"
                print(f"{n:6d} {inputs:6} {method:15} {r['cold_s']:8.1f} {warm} {r['peak_mb']:8.0f} "
                      f"{r['trustworthiness']:9.4f} {r['knn_accuracy']:9.4f}", flush=True)


if __name__ == "__main__":
    main()
