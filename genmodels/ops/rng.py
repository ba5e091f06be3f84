"""Random numbers from the counter-based Philox generator.

A value is a pure function of (seed, stream, position): fills are the same
whatever the thread count, and a fill of n values at `offset` is followed
seamlessly by the fill at `offset + n`. Named streams keep the users of one
seed apart.
"""
import math
import operator

import numpy as np

from .. import _core
from ._validate import as_f32, out_f32

__all__ = ["STREAMS", "uniform", "normal", "bernoulli", "permutation", "all_finite"]

STREAMS = {"init": 1, "shuffle": 2, "reparam": 3, "dropout": 4, "negative_sampling": 5,
           "binarize": 6, "noise": 7, "layout": 8}


def _address(seed, stream, offset, func):
    values = []
    for name, value in (("seed", seed), ("stream", stream), ("offset", offset)):
        if name == "stream" and isinstance(value, str):
            if value not in STREAMS:
                raise ValueError(f"{func}: unknown stream {value!r}; named streams: {sorted(STREAMS)}")
            value = STREAMS[value]
        try:
            value = operator.index(value)
        except TypeError:
            raise TypeError(f"{func}: '{name}' must be an int, got {type(value).__name__}") from None
        if not 0 <= value < 2**64:
            raise ValueError(f"{func}: '{name}' must be in [0, 2**64), got {value}")
        values.append(value)
    return values


def _shape(shape, func):
    shape = (shape,) if np.isscalar(shape) else tuple(shape)
    try:
        shape = tuple(operator.index(s) for s in shape)
    except TypeError:
        raise TypeError(f"{func}: 'shape' must be a tuple of ints, got {shape!r}") from None
    if any(s < 0 for s in shape):
        raise ValueError(f"{func}: 'shape' must not be negative, got {shape}")
    return shape


def _output(shape, out, func):
    if shape is None and out is None:
        raise ValueError(f"{func}: pass 'shape' or 'out'")
    if out is not None and shape is None:
        shape = out.shape
    return out_f32(out, _shape(shape, func), func)


def uniform(shape=None, *, seed, stream=0, offset=0, low=0.0, high=1.0, out=None):
    """Uniform float32 values in [low, high)."""
    func = "uniform"
    seed, stream, offset = _address(seed, stream, offset, func)
    if not (math.isfinite(low) and math.isfinite(high) and low <= high):
        raise ValueError(f"{func}: need finite low <= high, got low={low}, high={high}")
    out = _output(shape, out, func)
    _core.uniform(out, seed, stream, offset, float(low), float(high))
    return out


def normal(shape=None, *, seed, stream=0, offset=0, mean=0.0, std=1.0, out=None):
    """Normal float32 values N(mean, std^2) (Box-Muller: position p uses the
    32-bit values 2p and 2p+1 of the stream)."""
    func = "normal"
    seed, stream, offset = _address(seed, stream, offset, func)
    if not (math.isfinite(mean) and math.isfinite(std) and std >= 0):
        raise ValueError(f"{func}: need finite mean and std >= 0, got mean={mean}, std={std}")
    out = _output(shape, out, func)
    _core.normal(out, seed, stream, offset, float(mean), float(std))
    return out


def bernoulli(p, shape=None, *, seed, stream=0, offset=0, out=None):
    """0/1 float32 values, 1 with probability p: a scalar (then give `shape`
    or `out`) or an array of per-element probabilities in [0, 1]."""
    func = "bernoulli"
    seed, stream, offset = _address(seed, stream, offset, func)
    if np.ndim(p) == 0:
        p_scalar = float(p)
        if not 0.0 <= p_scalar <= 1.0:
            raise ValueError(f"{func}: 'p' must be in [0, 1], got {p_scalar}")
        out = _output(shape, out, func)
        _core.bernoulli(out, None, p_scalar, seed, stream, offset)
    else:
        p = as_f32(p, func, "p")
        out = out_f32(out, p.shape, func)
        _core.bernoulli(out, p, 0.0, seed, stream, offset)
    return out


def permutation(n, *, seed, stream=0, offset=0):
    """A uniformly random permutation of range(n) as int64."""
    func = "permutation"
    seed, stream, offset = _address(seed, stream, offset, func)
    n = operator.index(n)
    if n < 0:
        raise ValueError(f"{func}: 'n' must be >= 0, got {n}")
    out = np.empty(n, np.int64)
    _core.permutation(out, seed, stream, offset)
    return out


def all_finite(x):
    """True if no element of float32 array x is NaN or Inf."""
    return _core.all_finite(as_f32(x, "all_finite", "x"))
