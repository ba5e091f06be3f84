"""UMAP (McInnes, Healy & Melville 2018)."""
import math
import operator
import sys
import time
import warnings

import numpy as np

from .. import _core, ops
from ._graph import csr_from_coo, knn_coo
from ._validate import as_points, seed_from, threads
from .knn import nearest_neighbors

__all__ = ["UMAP"]

_SMOOTH_K_TOLERANCE = 1e-5
_MIN_K_DIST_SCALE = 1e-3


def smooth_knn_dist(distances, k, n_iter=64, local_connectivity=1.0, bandwidth=1.0):
    """rho (distance to the nearest neighbour) and sigma per point, so that
    sum_j exp(-(d_j - rho) / sigma) = log2(k) (umap-learn's calibration)."""
    d = distances.astype(np.float64)
    n = len(d)
    target = math.log2(k) * bandwidth
    rho = np.where(d[:, 0] > 0, d[:, 0], 0.0)
    nonzero = d > 0
    first = np.argmax(nonzero, axis=1)
    rho = np.where(nonzero.any(1), d[np.arange(n), first], 0.0)
    lo, hi, mid = np.zeros(n), np.full(n, np.inf), np.ones(n)
    for _ in range(n_iter):
        psum = np.sum(np.exp(-np.maximum(d[:, 1:] - rho[:, None], 0) / mid[:, None]), axis=1) + \
            np.where(d[:, 0] - rho > 0, np.exp(-(d[:, 0] - rho) / mid), 1.0)
        too_big = psum > target
        hi = np.where(too_big, mid, hi)
        lo = np.where(too_big, lo, mid)
        mid = np.where(too_big, (lo + hi) / 2, np.where(np.isinf(hi), mid * 2, (lo + hi) / 2))
        if np.all(np.abs(psum - target) < _SMOOTH_K_TOLERANCE):
            break
    mean_all = d.mean()
    mean_i = d.mean(axis=1)
    floor = np.where(rho > 0, _MIN_K_DIST_SCALE * mean_i, _MIN_K_DIST_SCALE * mean_all)
    return rho, np.maximum(mid, floor)


def find_ab_params(spread, min_dist):
    """a, b of the curve 1 / (1 + a x^(2b)) that best fits the target
    membership (1 below min_dist, exp(-(x - min_dist)/spread) above), by
    Gauss-Newton least squares as umap-learn does with curve_fit."""
    x = np.linspace(0, spread * 3, 300)
    y = np.where(x < min_dist, 1.0, np.exp(-(x - min_dist) / spread))
    a, b = 1.8, 0.8
    xs = x[1:]     # x = 0 contributes nothing and has no log
    ys = y[1:]
    for _ in range(200):
        f = 1.0 / (1.0 + a * xs ** (2 * b))
        r = f - ys
        common = -f * f * xs ** (2 * b)
        ja, jb = common, common * a * 2 * np.log(xs)
        J = np.stack([ja, jb], axis=1)
        step, *_ = np.linalg.lstsq(J, -r, rcond=None)
        a, b = max(a + step[0], 1e-3), max(b + step[1], 1e-3)
        if np.max(np.abs(step)) < 1e-10:
            break
    return float(a), float(b)


class UMAP:
    """Uniform manifold approximation and projection, scikit-learn style.

    Fuzzy simplicial set from the n_neighbors nearest neighbours (smooth
    kNN distances, fuzzy union), a and b fitted from min_dist and spread,
    then stochastic gradient descent with negative sampling. Each epoch
    moves every point from the positions at the epoch's start, with negative
    samples addressed by (random_state, edge, epoch), so a seeded run is the
    same on any number of threads (umap-learn falls back to one thread when
    seeded). Epochs run in bounded C steps between which verbose progress
    and Ctrl-C work.

    After fit: embedding_ (n, n_components), graph_ = (rows, cols, weights)
    of the fuzzy graph; transform(X_new) places new points.
    """

    def __init__(self, n_neighbors=15, n_components=2, min_dist=0.1, spread=1.0, metric="euclidean",
                 n_epochs=None, learning_rate=1.0, init="spectral", negative_sample_rate=5,
                 repulsion_strength=1.0, random_state=None, n_jobs=None, verbose=False):
        self.n_neighbors, self.n_components = n_neighbors, n_components
        self.min_dist, self.spread, self.metric = min_dist, spread, metric
        self.n_epochs, self.learning_rate, self.init = n_epochs, learning_rate, init
        self.negative_sample_rate, self.repulsion_strength = negative_sample_rate, repulsion_strength
        self.random_state, self.n_jobs, self.verbose = random_state, n_jobs, verbose

    def _check(self, n):
        k = operator.index(self.n_neighbors)
        if not 2 <= k < n:
            raise ValueError(f"UMAP: 'n_neighbors' must be in [2, n_points) = [2, {n}), got {k}")
        if operator.index(self.n_components) < 1:
            raise ValueError(f"UMAP: 'n_components' must be >= 1, got {self.n_components}")
        if not (self.spread > 0 and 0 <= self.min_dist <= self.spread):
            raise ValueError(f"UMAP: need spread > 0 and 0 <= min_dist <= spread, got min_dist={self.min_dist}, "
                             f"spread={self.spread}")
        if self.n_epochs is not None and operator.index(self.n_epochs) < 1:
            raise ValueError(f"UMAP: 'n_epochs' must be >= 1 or None, got {self.n_epochs}")
        if not self.learning_rate > 0 or not self.negative_sample_rate >= 0 or not self.repulsion_strength >= 0:
            raise ValueError("UMAP: 'learning_rate' must be > 0; 'negative_sample_rate' and "
                             "'repulsion_strength' >= 0")
        return k

    def _fuzzy_graph(self, X, k):
        n = len(X)
        idx, dist = nearest_neighbors(X, k - 1, metric=self.metric)   # self is the first of k
        rho, sigma = smooth_knn_dist(dist, k)
        w = np.exp(-np.maximum(dist - rho[:, None], 0) / sigma[:, None])
        rows, cols, vals = knn_coo(idx, w)
        indptr, indices, v = csr_from_coo(rows, cols, vals, n)
        # fuzzy union: w + w^T - w * w^T
        rows_t = np.repeat(np.arange(n), np.diff(indptr))
        key = rows_t * n + indices
        key_t = indices * n + rows_t
        pos = np.searchsorted(key, key_t)
        pos = np.minimum(pos, len(key) - 1)
        v_t = np.where(key[pos] == key_t, v[pos], 0.0)
        union_rows = np.concatenate([rows_t, indices])
        union_cols = np.concatenate([indices, rows_t])
        # each unordered pair appears from both sides: weight once per direction
        union_vals = np.concatenate([v - 0.5 * v * v_t, v - 0.5 * v * v_t])
        return csr_from_coo(union_rows, union_cols, union_vals, n), (idx, dist, rho, sigma)

    def _initial(self, X, graph, seed):
        n, dim = len(X), operator.index(self.n_components)
        if not isinstance(self.init, str):
            y = np.array(self.init, dtype=np.float32)
            if y.shape != (n, dim) or not np.all(np.isfinite(y)):
                raise ValueError(f"UMAP: an array 'init' must be finite with shape ({n}, {dim})")
            return np.ascontiguousarray(y)
        if self.init == "random":
            return ops.uniform((n, dim), seed=seed, stream="init", low=-10, high=10)
        if self.init == "spectral":
            y = _spectral(graph, dim, seed)
            if y is not None:
                return y
            warnings.warn("UMAP: spectral initialisation did not converge; using PCA", RuntimeWarning)
        elif self.init != "pca":
            raise ValueError(f"UMAP: 'init' must be 'spectral', 'pca', 'random' or an array, got {self.init!r}")
        centred = X.astype(np.float64) - X.mean(0)
        _, _, vt = np.linalg.svd(centred, full_matrices=False)
        y = centred @ vt[:dim].T
        if y.shape[1] < dim:
            y = np.hstack([y, np.zeros((n, dim - y.shape[1]))])
        y = y / max(np.abs(y).max(), 1e-12) * 10
        return np.ascontiguousarray(y, np.float32)

    def _layout(self, head, tail, indptr, indices, weights, n_epochs, seed, label):
        eps = np.full(len(weights), -1.0, np.float32)
        keep = weights >= weights.max() / n_epochs
        eps[keep] = (weights.max() / weights[keep]).astype(np.float32)
        # edges too weak to be sampled even once are dropped
        indptr, indices, eps = _filter(indptr, indices, eps, keep)
        next_sample = eps.copy()
        next_negative = eps / max(self.negative_sample_rate, 1)
        start, chunk = time.perf_counter(), 10
        for first in range(0, n_epochs, chunk):
            steps = min(chunk, n_epochs - first)
            _core.umap_optimize(head, tail, indptr, indices, eps, next_sample, next_negative, first, steps,
                                n_epochs, self._a, self._b, float(self.repulsion_strength),
                                float(self.learning_rate), float(self.negative_sample_rate), seed)
            if self.verbose:
                print(f"UMAP {label}: epoch {first + steps}/{n_epochs} ({time.perf_counter() - start:.1f}s)",
                      file=sys.stderr)
        return head

    def fit(self, X, y=None):
        X = as_points(X, min_points=3)
        n = len(X)
        k = self._check(n)
        seed = seed_from(self.random_state)
        self._a, self._b = find_ab_params(self.spread, self.min_dist)
        n_epochs = self.n_epochs or (500 if n <= 10000 else 200)
        with threads(self.n_jobs):
            (indptr, indices, weights), self._knn = self._fuzzy_graph(X, k)
            emb = self._initial(X, (indptr, indices, weights), seed)
            emb = _rescale(emb)
            self._layout(emb, None, indptr, indices, weights.astype(np.float32), n_epochs, seed, "fit")
        rows = np.repeat(np.arange(n), np.diff(indptr))
        self.graph_ = (rows, indices, weights.astype(np.float32))
        self.embedding_ = emb
        self._X = X
        self._n_epochs = n_epochs
        return self

    def fit_transform(self, X, y=None):
        return self.fit(X).embedding_

    def transform(self, X):
        """Embed new points against the fitted ones: fuzzy weights to their
        nearest training points, start at the weighted mean of those points'
        embeddings, then a short optimisation with the training embedding
        fixed."""
        if not hasattr(self, "embedding_"):
            raise RuntimeError("UMAP: call fit before transform")
        X = as_points(X, min_points=1)
        if X.shape[1] != self._X.shape[1]:
            raise ValueError(f"UMAP: 'X' has {X.shape[1]} features, the fitted data had {self._X.shape[1]}")
        k = operator.index(self.n_neighbors)
        seed = seed_from(self.random_state) + 1
        with threads(self.n_jobs):
            idx, dist = nearest_neighbors(self._X, k, metric=self.metric, queries=X)
            rho, sigma = smooth_knn_dist(dist, k)
            w = np.exp(-np.maximum(dist - rho[:, None], 0) / sigma[:, None])
            norm = w / np.maximum(w.sum(1, keepdims=True), 1e-12)
            head = np.ascontiguousarray(np.einsum("nk,nkd->nd", norm, self.embedding_[idx]), np.float32)
            indptr = np.arange(0, len(X) * k + 1, k, dtype=np.int64)
            epochs = max(self._n_epochs // 3, 30)
            self._layout(head, self.embedding_, indptr, np.ascontiguousarray(idx.reshape(-1)),
                         w.reshape(-1).astype(np.float32), epochs, seed, "transform")
        return head


def _filter(indptr, indices, values, keep):
    rows = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))[keep]
    new_indptr = np.zeros_like(indptr)
    np.add.at(new_indptr, rows + 1, 1)
    return np.cumsum(new_indptr), np.ascontiguousarray(indices[keep]), np.ascontiguousarray(values[keep])


def _rescale(y):
    """To the range [0, 10] per axis, as umap-learn does before the layout."""
    y = y.astype(np.float64)
    span = y.max(0) - y.min(0)
    y = 10 * (y - y.min(0)) / np.where(span > 0, span, 1)
    return np.ascontiguousarray(y, np.float32)


def _spectral(graph, dim, seed, n_iter=300):
    """Leading non-trivial eigenvectors of D^-1/2 W D^-1/2 by subspace
    iteration on (I + that) / 2, whose spectrum is in [0, 1]."""
    indptr, indices, w = graph
    n = len(indptr) - 1
    degree = np.bincount(np.repeat(np.arange(n), np.diff(indptr)), weights=w, minlength=n)
    if np.any(degree <= 0):
        return None
    inv_sqrt = 1 / np.sqrt(degree)
    rows = np.repeat(np.arange(n), np.diff(indptr))
    vals = w * inv_sqrt[rows] * inv_sqrt[indices]

    def matmul(V):
        out = np.zeros_like(V)
        for c in range(V.shape[1]):
            out[:, c] = np.bincount(rows, weights=vals * V[indices, c], minlength=n)
        return 0.5 * (V + out)

    trivial = np.sqrt(degree) / np.linalg.norm(np.sqrt(degree))
    V = ops.normal((n, dim), seed=seed, stream="init").astype(np.float64)
    for _ in range(n_iter):
        V -= np.outer(trivial, trivial @ V)
        V, _ = np.linalg.qr(matmul(V))
    if not np.all(np.isfinite(V)):
        return None
    V *= np.sign(V[np.abs(V).argmax(0), np.arange(dim)])
    return np.ascontiguousarray(V, np.float32)
