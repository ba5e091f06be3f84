"""The IDX file format of MNIST-like data sets: a big-endian header (magic
with the element type and rank, then one uint32 per dimension) followed by
the elements, optionally gzip-compressed."""
import gzip
import os
import struct

import numpy as np

__all__ = ["IDXError", "read_idx", "parse_idx", "write_idx", "encode_idx"]

# IDX element type codes -> big-endian NumPy dtypes.
_DTYPES = {0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"),
           0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
_CODES = {dt.newbyteorder("="): code for code, dt in _DTYPES.items()}


class IDXError(ValueError):
    """An IDX file is corrupt, truncated or not an IDX file."""


def parse_idx(data, name="<bytes>"):
    """Decode IDX bytes into a native-endian array (checked: magic, element
    type, rank, and a length that matches the header exactly)."""
    view = memoryview(data)
    if len(view) < 4:
        raise IDXError(f"{name}: too short for an IDX header ({len(view)} bytes)")
    zero, code, rank = struct.unpack(">HBB", view[:4])
    if zero != 0:
        raise IDXError(f"{name}: bad magic number 0x{bytes(view[:4]).hex()} (not an IDX file)")
    if code not in _DTYPES:
        raise IDXError(f"{name}: unknown IDX element type 0x{code:02x}")
    if rank == 0:
        raise IDXError(f"{name}: IDX rank 0 is not supported")
    header = 4 + 4 * rank
    if len(view) < header:
        raise IDXError(f"{name}: truncated header (rank {rank} needs {header} bytes, got {len(view)})")
    shape = struct.unpack(f">{rank}I", view[4:header])
    dtype = _DTYPES[code]
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(view) < expected:
        raise IDXError(f"{name}: truncated: shape {shape} needs {expected} bytes, got {len(view)}")
    if len(view) > expected:
        raise IDXError(f"{name}: {len(view) - expected} unexpected bytes after the data of shape {shape}")
    array = np.frombuffer(view, dtype=dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="), copy=dtype.itemsize > 1)


def read_bytes(path):
    """The file's bytes, decompressed when it is gzip (by content, not name)."""
    path = os.fspath(path)
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, gzip.BadGzipFile) as err:
            raise IDXError(f"{path}: corrupt gzip data: {err}") from None
    return data


def read_idx(path):
    """Read an IDX file (raw or gzip) into a NumPy array."""
    return parse_idx(read_bytes(path), os.fspath(path))


def encode_idx(array):
    """IDX bytes for an array of a supported dtype (uint8, int8, int16, int32,
    float32, float64)."""
    array = np.asarray(array)
    code = _CODES.get(array.dtype.newbyteorder("="))
    if code is None:
        raise TypeError(f"encode_idx: dtype {array.dtype} has no IDX type code")
    if array.ndim == 0 or array.ndim > 255:
        raise ValueError(f"encode_idx: need 1 to 255 dimensions, got {array.ndim}")
    header = struct.pack(f">HBB{array.ndim}I", 0, code, array.ndim, *array.shape)
    return header + np.ascontiguousarray(array, dtype=_DTYPES[code]).tobytes()


def write_idx(path, array, compress=None):
    """Write an array as an IDX file; gzip when `compress` or the name ends in .gz."""
    path = os.fspath(path)
    data = encode_idx(array)
    if compress or (compress is None and path.endswith(".gz")):
        data = gzip.compress(data, mtime=0)
    with open(path, "wb") as f:
        f.write(data)
