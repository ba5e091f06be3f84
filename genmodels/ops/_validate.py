"""Input conversion for the ops wrappers: array-likes are converted once
here, so the strict checks in _core never see anything but what they want."""
import numpy as np


def as_f32(x, func, name, ndim=None):
    """`x` as a C-contiguous float32 array (copied only if needed)."""
    if isinstance(x, np.ndarray) and x.dtype == np.float32 and x.flags.c_contiguous:
        arr = x
    else:
        try:
            arr = np.ascontiguousarray(x, dtype=np.float32)
        except (TypeError, ValueError) as err:
            raise TypeError(f"{func}: '{name}' must be an array of numbers: {err}") from None
    if ndim is not None and arr.ndim != ndim and (isinstance(ndim, int) or arr.ndim not in ndim):
        raise ValueError(f"{func}: '{name}' must be {ndim}-dimensional, got shape {arr.shape}")
    return arr


def out_f32(out, shape, func, name="out", zero=False):
    """`out` checked as a writeable C-contiguous float32 array of `shape`,
    or a fresh one when None."""
    if type(shape) is not tuple or not all(type(s) is int for s in shape):
        shape = tuple(int(s) for s in shape)
    if out is None:
        return np.zeros(shape, np.float32) if zero else np.empty(shape, np.float32)
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{func}: '{name}' must be a numpy.ndarray, got {type(out).__name__}")
    if out.dtype != np.float32:
        raise TypeError(f"{func}: '{name}' must have dtype float32, got {out.dtype}")
    if out.shape != shape:
        raise ValueError(f"{func}: '{name}' has shape {out.shape}, expected {shape}")
    if not out.flags.c_contiguous:
        raise ValueError(f"{func}: '{name}' must be C-contiguous")
    if not out.flags.writeable:
        raise ValueError(f"{func}: output '{name}' is read-only")
    return out
