"""Nearest neighbours."""
import operator

import numpy as np

from .. import _core
from ._validate import as_points, threads

__all__ = ["nearest_neighbors"]


def nearest_neighbors(X, n_neighbors, *, metric="euclidean", queries=None, n_jobs=None):
    """The n_neighbors nearest points of X to each point (or to each row of
    `queries`) -> (indices int64 (m, k), distances float32 (m, k)), nearest
    first, ties broken by lower index; without `queries` each point's own row
    is excluded. Exact: blocked distance GEMMs in the C core.

    metric: "euclidean" or "cosine" (1 - cosine similarity; zero vectors
    are at distance 1 from everything)."""
    X = as_points(X)
    k = operator.index(n_neighbors)
    if metric not in ("euclidean", "cosine"):
        raise ValueError(f"nearest_neighbors: 'metric' must be 'euclidean' or 'cosine', got {metric!r}")
    Q = None if queries is None else as_points(queries, "queries", min_points=1)
    if metric == "cosine":
        X = _unit_rows(X)
        Q = None if Q is None else _unit_rows(Q)
    with threads(n_jobs):
        idx, dist = _core.knn_exact(X, Q, k)
    if metric == "cosine":   # |a - b|^2 = 2 - 2 cos for unit vectors
        dist = np.ascontiguousarray(0.5 * dist * dist, dtype=np.float32)
    return idx, dist


def _unit_rows(X):
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return np.ascontiguousarray(np.divide(X, norms, out=np.zeros_like(X), where=norms > 0))
