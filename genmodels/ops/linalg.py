"""Matrix multiply on the core's packed SGEMM."""
import numpy as np

from .. import _core
from ._validate import as_f32

__all__ = ["gemm"]


def _matrix(x, name):
    """A float32 matrix with contiguous rows; row slices of a wider array
    pass through without a copy (their row stride is the leading dimension)."""
    if isinstance(x, np.ndarray) and x.dtype == np.float32 and x.ndim == 2 and (
            x.shape[1] <= 1 or x.strides[1] == 4):
        return x
    return as_f32(x, "gemm", name, ndim=2)


def gemm(a, b, out=None, *, trans_a=False, trans_b=False, alpha=1.0, beta=0.0, bias=None):
    """out = alpha * op(a) @ op(b) + beta * out (+ bias), where op transposes
    when asked.

    a: (m, k), or (k, m) with trans_a; b: (k, n), or (n, k) with trans_b.
    out: (m, n) float32, updated in place and returned (it may be a slice of
    rows of a wider array); a fresh array when None (then beta must be 0).
    bias: (n,), added to every row as the product is written (the bits of a
    separate `out += bias`, without the extra pass: a Linear layer's bias).
    beta == 0 ignores what `out` held, NaN included. Results are bitwise
    identical for any thread count.
    """
    a, b = _matrix(a, "a"), _matrix(b, "b")
    if bias is not None:
        bias = as_f32(bias, "gemm", "bias", ndim=1)
    m = a.shape[1] if trans_a else a.shape[0]
    n = b.shape[0] if trans_b else b.shape[1]
    if out is None:
        if beta != 0.0:
            raise ValueError("gemm: 'beta' must be 0 when 'out' is None")
        out = np.empty((m, n), np.float32)
    return _core.gemm(a, b, out, trans_a=bool(trans_a), trans_b=bool(trans_b),
                      alpha=float(alpha), beta=float(beta), bias=bias)
