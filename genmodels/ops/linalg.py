"""Matrix multiply on the core's SGEMM."""
import numpy as np

from .. import _core
from ._validate import as_f32, out_f32

__all__ = ["gemm"]


def gemm(a, b, out=None, *, trans_a=False, trans_b=False, alpha=1.0, beta=0.0):
    """out = alpha * op(a) @ op(b) + beta * out, where op transposes when asked.

    a: (m, k), or (k, m) with trans_a; b: (k, n), or (n, k) with trans_b.
    out: (m, n) float32, updated in place and returned; a fresh array when None
    (then beta must be 0). Bitwise identical results for any thread count.
    """
    a = as_f32(a, "gemm", "a", ndim=2)
    b = as_f32(b, "gemm", "b", ndim=2)
    m = a.shape[1] if trans_a else a.shape[0]
    n = b.shape[0] if trans_b else b.shape[1]
    if out is None and beta != 0.0:
        raise ValueError("gemm: 'beta' must be 0 when 'out' is None")
    out = out_f32(out, (m, n), "gemm")
    return _core.gemm(a, b, out, trans_a=bool(trans_a), trans_b=bool(trans_b),
                      alpha=float(alpha), beta=float(beta))
