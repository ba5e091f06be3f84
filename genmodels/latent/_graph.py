"""Sparse neighbour graphs as CSR arrays (NumPy only)."""
import numpy as np


def csr_from_coo(rows, cols, vals, n):
    """Sum duplicate (row, col) entries and sort -> (indptr, indices, values),
    indices int64 and values float64. Written for graphs of millions of
    edges: one sort, and no temporary larger than the sort key."""
    key = rows.astype(np.int64) * n
    key += cols
    order = np.argsort(key, kind="stable")
    key = key[order]
    vals = vals[order].astype(np.float64)
    del order
    if len(key):
        first = np.empty(len(key), bool)
        first[0] = True
        np.not_equal(key[1:], key[:-1], out=first[1:])
        start = np.flatnonzero(first)
        del first
        vals = np.add.reduceat(vals, start)
        key = key[start]
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(key // n, minlength=n), out=indptr[1:])
    return indptr, key % n, vals


def knn_coo(indices, values):
    """(n, k) neighbour lists -> COO rows, cols, vals (int32 ids where they fit)."""
    n, k = indices.shape
    ids = np.int32 if n < 2 ** 31 else np.int64
    return np.repeat(np.arange(n, dtype=ids), k), indices.reshape(-1).astype(ids), values.reshape(-1)
