"""Nearest neighbours: exact (blocked distance GEMMs) or approximate
(random-projection trees, then NN-descent), both in the C core.

Long searches run as a Python loop over bounded C steps, so Ctrl-C and
`verbose` progress work between them. Results depend on the data and the
seed alone, never on the number of threads.
"""
import math
import operator
import sys
import time

import numpy as np

from .. import _core, ops
from ._validate import as_points, seed_from, threads

__all__ = ["nearest_neighbors"]

#: "auto" picks the method a cost model measured on two cores expects to be
#: faster: exact costs about 1.8e-11 n^2 (d + 30) s (blocked SGEMMs and a
#: heap scan of every pair), approximate about 6e-9 n k (d + 200) s. So
#: 10,000 points of 50 features or 70,000 of 50 at k = 90 are searched
#: exactly, 10,000 of 784 or 70,000 of 50 at k = 15 approximately; and
#: always exactly up to AUTO_EXACT_MAX_POINTS.
AUTO_EXACT_MAX_POINTS = 2048
_EXACT_COST, _EXACT_OVERHEAD = 1.8e-11, 30
_APPROX_COST, _APPROX_OVERHEAD = 6e-9, 200

_QUERY_CHUNK = 1024          # exact: query rows per C call
_TREE_FEATURES = 64          # approx: trees split a random projection to this many
_DESCENT_DELTA = 0.001       # stop when fewer than delta * n * k entries change
_METRICS = ("euclidean", "cosine")
_METHODS = ("auto", "exact", "approx")


def nearest_neighbors(X, n_neighbors, *, metric="euclidean", method="auto", queries=None,
                      random_state=None, n_jobs=None, verbose=False):
    """The n_neighbors nearest points of X to each point of X (itself
    excluded), or to each row of `queries`.

    X: (n, d) array-like; queries: (m, d) or None.
    Returns (indices int64 (n or m, k), distances float32 (n or m, k)),
    each row nearest first, ties broken by the lower index. Distances are
    true distances (not squared), recomputed exactly for the neighbours
    found.

    metric: "euclidean", or "cosine" (1 - cosine similarity; a zero vector
        is at distance 1 from every non-zero one and 0 from another zero).
    method: "exact" (every distance, through blocked SGEMMs and a bounded
        heap per row), "approx" (random-projection-tree candidates refined
        by NN-descent: recall about 0.99 on image data, nearly linear time)
        or "auto": whichever a cost model expects to be faster (exact for
        10,000 points of 50 features, approximate for 70,000 at k = 15). Searches for `queries` are always exact.
    random_state: seed of the approximate search (None: the global
        genmodels seed); the exact search uses no randomness.
    n_jobs: threads (None or -1: the genmodels default).
    verbose: progress on stderr.
    """
    X = as_points(X)
    n, d = X.shape
    k = _check_k(n_neighbors, n - (1 if queries is None else 0), n)
    if metric not in _METRICS:
        raise ValueError(f"nearest_neighbors: 'metric' must be 'euclidean' or 'cosine', got {metric!r}")
    if method not in _METHODS:
        raise ValueError(f"nearest_neighbors: 'method' must be 'auto', 'exact' or 'approx', got {method!r}")
    Q = None
    if queries is not None:
        Q = as_points(queries, "queries", min_points=1)
        if Q.shape[1] != d:
            raise ValueError(f"nearest_neighbors: 'queries' have {Q.shape[1]} features, 'X' has {d}")
    if metric == "cosine":
        X, Q = _cosine_coordinates(X, Q)
    exact = Q is not None or method == "exact" or (method == "auto" and _use_exact(n, d, k))
    with threads(n_jobs):
        if exact:
            idx, dist = _exact(X, X if Q is None else Q, k, Q is None, verbose)
        else:
            idx, dist = _approx(X, k, seed_from(random_state), verbose)
    if metric == "cosine":   # |u - v|^2 = 2 - 2 cos for unit vectors
        dist = (0.5 * dist.astype(np.float64) ** 2).astype(np.float32)
    return idx, dist


def _use_exact(n, d, k):
    """The choice of method="auto" for n points of d features, k neighbours."""
    exact = _EXACT_COST * float(n) * n * (d + _EXACT_OVERHEAD)
    approx = _APPROX_COST * float(n) * k * (d + _APPROX_OVERHEAD)
    return n <= AUTO_EXACT_MAX_POINTS or exact <= approx


def _check_k(n_neighbors, available, n):
    try:
        k = operator.index(n_neighbors)
    except TypeError:
        raise TypeError(f"nearest_neighbors: 'n_neighbors' must be an int, got {n_neighbors!r}") from None
    if not 1 <= k <= available:
        raise ValueError(f"nearest_neighbors: 'n_neighbors' must be in [1, {available}] for {n} points, got {k}")
    return k


def _cosine_coordinates(X, Q):
    """Unit rows, plus one column set to 1 on zero rows when there are any,
    so that |u - v|^2 / 2 is the cosine distance with zero vectors at 1."""
    def unit(A, extra):
        norms = np.linalg.norm(A.astype(np.float64), axis=1, keepdims=True)
        U = np.divide(A, norms, out=np.zeros(A.shape, np.float64), where=norms > 0)
        if extra:
            U = np.hstack([U, (norms == 0).astype(np.float64)])
        return np.ascontiguousarray(U, np.float32)

    extra = not np.all(np.any(X != 0, axis=1)) or (Q is not None and not np.all(np.any(Q != 0, axis=1)))
    return unit(X, extra), None if Q is None else unit(Q, extra)


class _Progress:
    """Prints `label: done/total (elapsed)` at most every two seconds."""

    def __init__(self, verbose, label):
        self.verbose, self.label = verbose, label
        self.start = self.last = time.perf_counter()

    def __call__(self, message, force=False):
        now = time.perf_counter()
        if self.verbose and (force or now - self.last >= 2.0):
            self.last = now
            print(f"{self.label}: {message} ({now - self.start:.1f}s)", file=sys.stderr, flush=True)


def _exact(X, Q, k, exclude_self, verbose):
    # ||q||^2 + ||x||^2 - 2 q.x loses about eps ||x||^2: centre the data first
    mean = X.mean(axis=0, dtype=np.float64)
    centred = np.ascontiguousarray(X - mean, np.float32)
    Q = centred if exclude_self else np.ascontiguousarray(Q - mean, np.float32)
    X = centred
    n, m = len(X), len(Q)
    idx = np.empty((m, k), np.int64)
    dist = np.empty((m, k), np.float32)
    chunk = min(m, _QUERY_CHUNK)
    workspace = np.empty(_core.knn_exact_workspace_size(n, chunk, k), np.float32)
    progress = _Progress(verbose, "nearest_neighbors (exact)")
    for q0 in range(0, m, chunk):
        q1 = min(m, q0 + chunk)
        _core.knn_exact_rows(X, Q[q0:q1], q0 if exclude_self else -1, idx[q0:q1], dist[q0:q1], workspace)
        progress(f"{q1}/{m} rows", force=q1 == m)
    return idx, dist


def descent_parameters(n, k):
    """(n_trees, leaf_size, max_candidates, max_iterations) of the
    approximate search: the forest size and iteration cap umap-learn asks
    of pynndescent, leaves of k + 1 points or more, and 20 to 30 candidates
    per point and iteration (more cost time and gain no recall)."""
    n_trees = min(64, 5 + int(round(math.sqrt(n) / 20.0)))
    leaf_size = max(10, k + 1)
    max_candidates = min(30, max(k, 20))
    max_iterations = max(5, int(round(math.log2(n))))
    return n_trees, leaf_size, max_candidates, max_iterations


def _approx(X, k, seed, verbose):
    n = len(X)
    n_trees, leaf_size, max_candidates, max_iterations = descent_parameters(n, k)
    progress = _Progress(verbose, "nearest_neighbors (approx)")
    idx = np.empty((n, k), np.int64)
    sqdist = np.empty((n, k), np.float32)
    flags = np.empty((n, k), np.uint8)
    _core.knn_graph_start(idx, sqdist, flags, X)
    # trees only propose candidates: in many dimensions they split a random
    # Gaussian projection (distances kept to within a few tens of percent)
    # at a fraction of the cost, with the same recall after NN-descent
    tree_X = X
    if X.shape[1] > 2 * _TREE_FEATURES:
        projection = ops.normal((X.shape[1], _TREE_FEATURES), seed=seed, stream="init")
        tree_X = ops.gemm(X, projection)
    trees_per_call = 4
    for first in range(0, n_trees, trees_per_call):
        count = min(trees_per_call, n_trees - first)
        order, leaf_ptr, n_leaves = _core.rp_forest(tree_X, leaf_size, seed, first, count)
        for t in range(count):
            _core.knn_graph_add_leaves(idx, sqdist, flags, X, order[t], leaf_ptr[t], int(n_leaves[t]))
        progress(f"{first + count}/{n_trees} trees", force=first + count == n_trees)
    _core.knn_graph_fill_random(idx, sqdist, flags, X, seed)
    workspace = np.empty(_core.nn_descent_workspace_size(n, k, max_candidates), np.uint8)
    for iteration in range(max_iterations):
        updates = _core.nn_descent_iteration(idx, sqdist, flags, X, max_candidates, seed, iteration, workspace)
        progress(f"NN-descent iteration {iteration + 1}: {updates} updates", force=True)
        if updates <= _DESCENT_DELTA * n * k:
            break
    dist = sqdist   # reused for the exact distances
    _core.knn_graph_finish(idx, dist, X)
    return idx, dist
