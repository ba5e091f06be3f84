"""Sparse neighbour graphs as CSR arrays (NumPy only)."""
import numpy as np


def csr_from_coo(rows, cols, vals, n):
    """Sum duplicate (row, col) entries and sort -> (indptr, indices, values)."""
    key = rows.astype(np.int64) * n + cols.astype(np.int64)
    order = np.argsort(key, kind="stable")
    key, vals = key[order], vals[order].astype(np.float64)
    unique, start = np.unique(key, return_index=True)
    summed = np.add.reduceat(vals, start) if len(vals) else vals
    r, c = unique // n, unique % n
    indptr = np.zeros(n + 1, np.int64)
    np.add.at(indptr, r + 1, 1)
    return np.cumsum(indptr), np.ascontiguousarray(c, np.int64), summed


def knn_coo(indices, values):
    """(n, k) neighbour lists -> COO rows, cols, vals."""
    n, k = indices.shape
    return np.repeat(np.arange(n), k), indices.reshape(-1), values.reshape(-1)
