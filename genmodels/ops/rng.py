"""Random numbers from the counter-based Philox4x32-10 generator, and a
fast NaN/Inf check.

A value is a pure function of its address (seed, stream, position), where
position i of a stream is its i-th 32-bit value. Element i of every fill
uses position offset + i and nothing else, so

* a fill of n values uses positions offset .. offset+n-1 and the next fill
  on the stream should start at offset + n;
* fill(n) at offset o equals fill(k) at o followed by fill(n-k) at o + k;
* results are identical whatever the thread count.

(Permutations are the exception: see `permutation`.) Named streams
(``STREAMS``) keep the users of one seed apart; pass a name or an int as
`stream`. Normal values come from inverting the normal CDF at
(u + 0.5) / 2^32 (one 32-bit value each, accurate to float precision).
"""
import math
import operator

import numpy as np

from .. import _core
from ._validate import as_f32, out_f32

__all__ = ["STREAMS", "uniform", "normal", "bernoulli", "permutation", "all_finite"]

STREAMS = {"init": 1, "shuffle": 2, "reparam": 3, "dropout": 4, "negative_sampling": 5,
           "binarize": 6, "noise": 7, "layout": 8}


def _uint64(value, name, func):
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{func}: '{name}' must be an int, got bool")
    try:
        value = operator.index(value)
    except TypeError:
        raise TypeError(f"{func}: '{name}' must be an int, got {type(value).__name__}") from None
    if not 0 <= value < 2**64:
        raise ValueError(f"{func}: '{name}' must be in [0, 2**64), got {value}")
    return value


def _address(seed, stream, offset, func):
    """(seed, stream, offset) as ints; `stream` may be a name from STREAMS."""
    if isinstance(stream, str):
        if stream not in STREAMS:
            raise ValueError(f"{func}: unknown stream {stream!r}; named streams: {sorted(STREAMS)}")
        stream = STREAMS[stream]
    return _uint64(seed, "seed", func), _uint64(stream, "stream", func), _uint64(offset, "offset", func)


def _shape(shape, func):
    if isinstance(shape, (bool, np.bool_)):
        raise TypeError(f"{func}: 'shape' must be an int or a tuple of ints, got bool")
    try:
        shape = (operator.index(shape),)
    except TypeError:
        try:
            shape = tuple(operator.index(s) for s in shape)
        except TypeError:
            raise TypeError(f"{func}: 'shape' must be an int or a tuple of ints, got {shape!r}") from None
    if any(s < 0 for s in shape):
        raise ValueError(f"{func}: 'shape' must not be negative, got {shape}")
    return shape


def _output(shape, out, func):
    """`out` checked against `shape`, or a fresh float32 array of `shape`."""
    if shape is None:
        if out is None:
            raise ValueError(f"{func}: pass 'shape' or 'out'")
        shape = getattr(out, "shape", ())
    return out_f32(out, _shape(shape, func), func)


def _real(value, name, func):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{func}: '{name}' must be a real number, got {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{func}: '{name}' must be finite, got {value}")
    return value


def uniform(shape=None, *, seed, stream=0, offset=0, low=0.0, high=1.0, out=None):
    """Uniform float32 values in [low, high).

    shape: int or tuple (or None when `out` is given). out: float32 array of
    that shape to fill, or None for a fresh one. Element i is
    low + (high - low) * u_i, with u_i = (u32 >> 8) / 2^24 from position
    offset + i, kept below high. Returns the filled array.
    """
    func = "uniform"
    seed, stream, offset = _address(seed, stream, offset, func)
    low, high = _real(low, "low", func), _real(high, "high", func)
    if not low <= high:
        raise ValueError(f"{func}: need low <= high, got low={low}, high={high}")
    out = _output(shape, out, func)
    _core.uniform(out, seed, stream, offset, low, high)
    return out


def normal(shape=None, *, seed, stream=0, offset=0, mean=0.0, std=1.0, out=None):
    """Normal float32 values from N(mean, std^2).

    shape / out as in `uniform`. Element i is mean + std * Phi^-1((u32 + 0.5)
    / 2^32) of position offset + i alone (one position per value, so a fill
    of n values advances the offset by n); |z| <= 6.34. std >= 0.
    Returns the filled array.
    """
    func = "normal"
    seed, stream, offset = _address(seed, stream, offset, func)
    mean, std = _real(mean, "mean", func), _real(std, "std", func)
    if not std >= 0:
        raise ValueError(f"{func}: 'std' must be >= 0, got {std}")
    out = _output(shape, out, func)
    _core.normal(out, seed, stream, offset, mean, std)
    return out


def bernoulli(p, shape=None, *, seed, stream=0, offset=0, out=None):
    """0/1 float32 values, 1 with probability p.

    p: a probability in [0, 1] (then give `shape` or `out`), or an
    array-like of per-element probabilities (the result has its shape).
    Element i is 1 iff u32 < p_i * 2^32 at position offset + i, so p = 0 and
    p = 1 are exact and a scalar p gives the same draws as an array of p.
    Returns the filled array.
    """
    func = "bernoulli"
    seed, stream, offset = _address(seed, stream, offset, func)
    if np.ndim(p) == 0 and not isinstance(p, np.ndarray):
        p_scalar = _real(p, "p", func)
        if not 0.0 <= p_scalar <= 1.0:
            raise ValueError(f"{func}: 'p' must be in [0, 1], got {p_scalar}")
        out = _output(shape, out, func)
        _core.bernoulli(out, None, p_scalar, seed, stream, offset)
        return out
    p = as_f32(p, func, "p")
    if shape is not None and _shape(shape, func) != p.shape:
        raise ValueError(f"{func}: 'shape' {_shape(shape, func)} differs from the shape of 'p' {p.shape}")
    out = out_f32(out, p.shape, func)
    _core.bernoulli(out, p, 0.0, seed, stream, offset)
    return out


def permutation(n, *, seed, stream=0, offset=0):
    """A uniformly random permutation of range(n) as an int64 array (n,).

    Fisher-Yates from the top; each of the n - 1 swaps takes one 64-bit draw
    (two 32-bit positions), so `offset` counts draws: shuffle epoch e of n
    items at offset e * n, on a stream used for nothing else ("shuffle").
    offset + n must be <= 2**63.
    """
    func = "permutation"
    seed, stream, offset = _address(seed, stream, offset, func)
    if isinstance(n, (bool, np.bool_)):
        raise TypeError(f"{func}: 'n' must be an int, got bool")
    try:
        n = operator.index(n)
    except TypeError:
        raise TypeError(f"{func}: 'n' must be an int, got {type(n).__name__}") from None
    if n < 0:
        raise ValueError(f"{func}: 'n' must be >= 0, got {n}")
    out = np.empty(n, np.int64)
    _core.permutation(out, seed, stream, offset)
    return out


def all_finite(x):
    """True if no element of `x` is NaN or +-Inf.

    float32 arrays are scanned in C without a copy when C-contiguous (the
    training loop's guard); other float dtypes are checked in their own
    precision; integer and bool arrays are always finite.
    """
    arr = np.asarray(x)
    if arr.dtype == np.float32:
        return _core.all_finite(np.ascontiguousarray(arr))
    if arr.dtype.kind in "fc":
        return bool(np.isfinite(arr).all())
    if arr.dtype.kind in "biu":
        return True
    raise TypeError(f"all_finite: 'x' must be an array of numbers, got dtype {arr.dtype}")
