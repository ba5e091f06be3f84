"""t-SNE (van der Maaten & Hinton 2008) with the Barnes-Hut gradient."""
import math
import operator
import sys
import time

import numpy as np

from .. import _core, ops
from ._graph import csr_from_coo, knn_coo
from ._pca import principal_components
from ._validate import as_points, seed_from, threads
from .knn import nearest_neighbors

__all__ = ["TSNE"]


class TSNE:
    """t-distributed stochastic neighbour embedding, scikit-learn style.

    Affinities from the 3*perplexity nearest neighbours, calibrated per point
    by bisection; gradient descent with momentum (0.5, then 0.8) and gains,
    an early-exaggeration phase, and the Barnes-Hut approximation of the
    repulsion (theta; 0 computes it exactly). learning_rate="auto" is
    max(n / exaggeration / 4, 50) in each phase (as openTSNE, in this
    gradient's scale: n / 48 while exaggerating by 12, then n / 4), which
    converges further in the same iterations than one rate for both phases
    at large n. The optimisation runs as a Python
    loop over bounded C steps, so verbose progress and Ctrl-C work between
    them; the result is the same for a given random_state whatever n_jobs.

    After fit: embedding_ (n, 2), kl_divergence_, n_iter_.
    """

    def __init__(self, n_components=2, perplexity=30.0, early_exaggeration=12.0, learning_rate="auto",
                 n_iter=750, early_exaggeration_iter=250, init="pca", metric="euclidean", theta=0.5,
                 random_state=None, n_jobs=None, verbose=False):
        self.n_components, self.perplexity = n_components, perplexity
        self.early_exaggeration, self.learning_rate = early_exaggeration, learning_rate
        self.n_iter, self.early_exaggeration_iter = n_iter, early_exaggeration_iter
        self.init, self.metric, self.theta = init, metric, theta
        self.random_state, self.n_jobs, self.verbose = random_state, n_jobs, verbose

    def _check(self, n):
        if self.n_components != 2:
            raise ValueError(f"TSNE: only n_components=2 is supported, got {self.n_components}")
        if not (isinstance(self.perplexity, (int, float)) and self.perplexity > 0):
            raise ValueError(f"TSNE: 'perplexity' must be > 0, got {self.perplexity}")
        if self.perplexity >= n - 1:
            raise ValueError(f"TSNE: 'perplexity' ({self.perplexity}) must be smaller than the number of "
                             f"points minus one ({n - 1})")
        if not self.early_exaggeration >= 1:
            raise ValueError(f"TSNE: 'early_exaggeration' must be >= 1, got {self.early_exaggeration}")
        if self.learning_rate != "auto" and not (isinstance(self.learning_rate, (int, float))
                                                 and self.learning_rate > 0):
            raise ValueError(f"TSNE: 'learning_rate' must be > 0 or 'auto', got {self.learning_rate!r}")
        for name in ("n_iter", "early_exaggeration_iter"):
            if operator.index(getattr(self, name)) < 0:
                raise ValueError(f"TSNE: '{name}' must be >= 0")
        if not 0 <= self.theta <= 1:
            raise ValueError(f"TSNE: 'theta' must be in [0, 1], got {self.theta}")

    def _affinities(self, X):
        n = len(X)
        k = min(n - 1, int(3 * self.perplexity) + 1)
        idx, dist = nearest_neighbors(X, k, metric=self.metric)
        conditional = _core.tsne_affinities(np.ascontiguousarray(dist, np.float32), float(self.perplexity))
        rows, cols, vals = knn_coo(idx, conditional)
        del idx, dist, conditional
        # symmetrise: P = (P + P^T) / 2n
        indptr, indices, p = csr_from_coo(np.concatenate([rows, cols]), np.concatenate([cols, rows]),
                                          np.concatenate([vals, vals]), n)
        p *= 1.0 / (2.0 * n)
        return indptr, indices, p.astype(np.float32)

    def _initial(self, X, seed):
        n = len(X)
        if isinstance(self.init, np.ndarray) or (not isinstance(self.init, str) and self.init is not None):
            y = np.array(self.init, dtype=np.float32)
            if y.shape != (n, 2) or not np.all(np.isfinite(y)):
                raise ValueError(f"TSNE: an array 'init' must be finite with shape ({n}, 2)")
            return np.ascontiguousarray(y)
        if self.init == "random":
            return ops.normal((n, 2), seed=seed, stream="init", std=1e-4)
        if self.init != "pca":
            raise ValueError(f"TSNE: 'init' must be 'pca', 'random' or an array, got {self.init!r}")
        y = principal_components(X, 2)
        std = y[:, 0].std()
        return np.ascontiguousarray(y / (std if std > 0 else 1) * 1e-4, dtype=np.float32)

    def fit(self, X, y=None):
        X = as_points(X, min_points=3)
        n = len(X)
        self._check(n)
        seed = seed_from(self.random_state)
        start = time.perf_counter()
        with threads(self.n_jobs):
            indptr, indices, p = self._affinities(X)
            emb = self._initial(X, seed)
            update, gains = np.zeros_like(emb), np.ones_like(emb)
            total = operator.index(self.n_iter)
            early = min(operator.index(self.early_exaggeration_iter), total)
            done, kl, chunk = 0, math.nan, 50
            while done < total:
                exaggerate = done < early
                exaggeration = float(self.early_exaggeration if exaggerate else 1.0)
                lr = max(n / exaggeration / 4, 50.0) if self.learning_rate == "auto" else float(self.learning_rate)
                steps = min(chunk, (early if exaggerate else total) - done)
                report = self.verbose and (done + steps) % 50 == 0 or done + steps == total
                kl_now = _core.tsne_optimize(emb, update, gains, indptr, indices, p, steps, exaggeration,
                                             0.5 if exaggerate else 0.8, lr, float(self.theta), bool(report))
                done += steps
                if kl_now is not None:
                    kl = kl_now
                    if self.verbose:
                        print(f"t-SNE iteration {done}/{total}: KL divergence {kl:.4f} "
                              f"({time.perf_counter() - start:.1f}s)", file=sys.stderr)
        self.embedding_ = emb
        self.kl_divergence_ = float(kl)
        self.n_iter_ = done
        return self

    def fit_transform(self, X, y=None):
        return self.fit(X).embedding_
