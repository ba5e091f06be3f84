"""Checkpoints: plain arrays plus JSON, never pickle.

A checkpoint is a NumPy .npz archive holding the object's arrays and one
extra member, the JSON header: format version, class name, constructor
configuration, and the shape and dtype of every array. Loading only ever
builds classes registered here, checks every array against the header
before reading it, and reads with allow_pickle=False, so a corrupt or
hostile file is rejected and nothing in it is executed. Saving writes a
temporary file beside the target and renames it, so a crash never leaves a
half-written checkpoint in place of a good one.
"""
import io
import json
import math
import os
import tempfile
import zipfile

import numpy as np

__all__ = ["save", "load", "CheckpointError", "register"]

FORMAT = "genmodels-checkpoint"
VERSION = 1
_HEADER = "__genmodels__"
_ALLOWED_DTYPES = {"float32", "float64", "int64", "int32", "uint8", "bool"}
_MAX_HEADER_BYTES = 1 << 20
_REGISTRY = {}


class CheckpointError(ValueError):
    """A file is not a readable genmodels checkpoint."""


def register(cls):
    """Make a class loadable by name. It must provide `_checkpoint(self) ->
    (config: JSON-able, arrays: {name: ndarray})` and the classmethod
    `_from_checkpoint(config, arrays, **kwargs)`."""
    _REGISTRY[cls.__name__] = cls
    return cls


def _registry():
    # the built-in classes register themselves when their modules load
    from . import models  # noqa: F401
    from .nn import checkpoint  # noqa: F401
    return _REGISTRY


def save(obj, path):
    """Save a layer, Sequential, optimiser or model to `path` (atomically)."""
    registry = _registry()
    name = type(obj).__name__
    if registry.get(name) is not type(obj):
        raise TypeError(f"save: cannot save a {name}; savable: {sorted(registry)}")
    config, arrays = obj._checkpoint()
    arrays = {k: np.ascontiguousarray(v) for k, v in arrays.items()}
    for key, value in arrays.items():
        if key == _HEADER or "/" in key or str(value.dtype) not in _ALLOWED_DTYPES:
            raise ValueError(f"save: array {key!r} of dtype {value.dtype} cannot be stored")
    header = {"format": FORMAT, "version": VERSION, "class": name, "config": config,
              "arrays": {k: {"shape": list(v.shape), "dtype": str(v.dtype)} for k, v in arrays.items()}}
    blob = np.frombuffer(json.dumps(header).encode("utf-8"), np.uint8)
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".gm")
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)    # as open() would create it, not mkstemp's 0600
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **{_HEADER: blob}, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def _read_member(archive, member, expected, path):
    with archive.open(member) as f:
        try:
            version = np.lib.format.read_magic(f)
            read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                           else np.lib.format.read_array_header_2_0)
            shape, fortran, dtype = read_header(f)
        except (ValueError, SyntaxError) as err:
            raise CheckpointError(f"{path}: array {member!r} has a bad header: {err}") from None
        if dtype.hasobject or str(dtype) not in _ALLOWED_DTYPES:
            raise CheckpointError(f"{path}: array {member!r} has a forbidden dtype {dtype}")
        if list(shape) != expected["shape"] or str(dtype) != expected["dtype"]:
            raise CheckpointError(f"{path}: array {member!r} is {dtype}{list(shape)}, the header says "
                                  f"{expected['dtype']}{expected['shape']}")
        needed = math.prod(shape) * dtype.itemsize    # Python ints: a hostile shape cannot overflow
        if needed > archive.getinfo(member).file_size:
            raise CheckpointError(f"{path}: array {member!r} is truncated")
        f.seek(0)
        return np.lib.format.read_array(f, allow_pickle=False)


def _open(path):
    path = os.fspath(path)
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise
    except (zipfile.BadZipFile, OSError, EOFError) as err:
        raise CheckpointError(f"{path}: not a genmodels checkpoint ({err})") from None
    with archive:
        members = set(archive.namelist())
        if f"{_HEADER}.npy" not in members:
            raise CheckpointError(f"{path}: not a genmodels checkpoint (no header)")
        try:
            if archive.getinfo(f"{_HEADER}.npy").file_size > _MAX_HEADER_BYTES:
                raise CheckpointError(f"{path}: header too large")
            with archive.open(f"{_HEADER}.npy") as f:
                blob = np.lib.format.read_array(f, allow_pickle=False)
            header = json.loads(bytes(blob).decode("utf-8"))
        except CheckpointError:
            raise
        except (ValueError, KeyError, EOFError, zipfile.BadZipFile, UnicodeDecodeError) as err:
            raise CheckpointError(f"{path}: unreadable header ({err})") from None
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise CheckpointError(f"{path}: not a genmodels checkpoint")
        if header.get("version") != VERSION:
            raise CheckpointError(f"{path}: checkpoint format version {header.get('version')!r} is not "
                                  f"supported by this genmodels (reads version {VERSION})")
        declared = header.get("arrays")
        if not isinstance(declared, dict):
            raise CheckpointError(f"{path}: header lists no arrays")
        expected_members = {f"{k}.npy" for k in declared} | {f"{_HEADER}.npy"}
        if members != expected_members:
            raise CheckpointError(f"{path}: archive members {sorted(members ^ expected_members)} do not "
                                  "match the header")
        arrays = {}
        try:
            for key, spec in declared.items():
                arrays[key] = _read_member(archive, f"{key}.npy", spec, path)
        except CheckpointError:
            raise
        except (ValueError, KeyError, TypeError, EOFError, OSError, zipfile.BadZipFile) as err:
            raise CheckpointError(f"{path}: corrupt array data ({err})") from None
    return header, arrays


def load(path, **kwargs):
    """Load what `save` wrote. Optimisers need `params=` (the model or
    layers whose parameters they update)."""
    header, arrays = _open(path)
    cls = _registry().get(header.get("class"))
    if cls is None:
        raise CheckpointError(f"{os.fspath(path)}: unknown class {header.get('class')!r}")
    try:
        return cls._from_checkpoint(header.get("config"), arrays, **kwargs)
    except CheckpointError:
        raise
    except (TypeError, ValueError, KeyError) as err:
        raise CheckpointError(f"{os.fspath(path)}: cannot rebuild {header['class']}: {err}") from None
