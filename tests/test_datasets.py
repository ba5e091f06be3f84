"""Data sets: the IDX reader on synthetic files (and every corruption), the
discovery order, downloads (served locally: no test reaches the network),
and the real MNIST and Fashion-MNIST files."""
import gzip
import hashlib
import os

import numpy as np
import pytest

import genmodels as gm
from conftest import local_data
from genmodels.datasets import IDXError, loaders, read_idx, write_idx
from genmodels.datasets import download as dl
from genmodels.datasets.idx import encode_idx
from genmodels.datasets.sources import DATASETS, DataFile

MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Each test gets its own cache, no GENMODELS_DATA, a clean in-memory
    cache, and a network that fails loudly if anything tries to use it."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("GENMODELS_DATA", raising=False)
    monkeypatch.setattr(loaders, "_MEMORY", {})

    def no_network(*args, **kwargs):
        raise AssertionError("a test tried to reach the network")
    monkeypatch.setattr(dl.urllib.request, "urlopen", no_network)


def real(loader):
    return local_data(loader)


# --- IDX ---------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_idx_round_trip(tmp_path, dtype, suffix, rng):
    a = (rng.standard_normal((3, 4, 5)) * 50).astype(dtype)
    path = tmp_path / f"a.idx{suffix}"
    write_idx(path, a)
    b = read_idx(path)
    assert b.dtype == np.dtype(dtype) and b.shape == a.shape
    np.testing.assert_array_equal(a, b)


def corrupt(tmp_path, data, name="bad"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("mutate, message", [
    (lambda d: b"\x01" + d[1:], "bad magic number"),
    (lambda d: d[:2] + b"\x07" + d[3:], "unknown IDX element type"),
    (lambda d: d[:3] + b"\x00" + d[4:], "rank 0"),
    (lambda d: d[:-5], "truncated: shape"),
    (lambda d: d + b"xx", "2 unexpected bytes"),
    (lambda d: d[:9], "truncated header"),
    (lambda d: d[:2], "too short"),
    (lambda d: d[:3] + b"\x04" + d[4:], "truncated"),
])
def test_idx_corruptions_are_rejected(tmp_path, mutate, message):
    data = encode_idx(np.arange(24, dtype=np.uint8).reshape(2, 3, 4))
    with pytest.raises(IDXError, match=message):
        read_idx(corrupt(tmp_path, mutate(data)))


def test_corrupt_gzip_is_rejected(tmp_path):
    data = gzip.compress(encode_idx(np.zeros((2, 2), np.uint8)))
    with pytest.raises(IDXError, match="corrupt gzip"):
        read_idx(corrupt(tmp_path, data[:-6]))


# --- discovery ---------------------------------------------------------------

def fake_info(monkeypatch, tmp_path):
    """A tiny stand-in data set 'mnist' (4 files of 20 train / 10 test images)
    with hashes of its own, so discovery can be tested end to end."""
    rng = np.random.default_rng(0)
    arrays = {"train-images-idx3-ubyte": rng.integers(0, 256, (20, 28, 28), dtype=np.uint8),
              "train-labels-idx1-ubyte": np.arange(20, dtype=np.uint8) % 10,
              "t10k-images-idx3-ubyte": rng.integers(0, 256, (10, 28, 28), dtype=np.uint8),
              "t10k-labels-idx1-ubyte": np.arange(10, dtype=np.uint8)}
    blobs = {k: encode_idx(v) for k, v in arrays.items()}
    files = tuple(DataFile(k, hashlib.sha256(b).hexdigest(), len(b)) for k, b in blobs.items())
    info = DATASETS["mnist"].__class__("mnist", "MNIST", files, ("https://mirror.invalid/",),
                                       DATASETS["mnist"].class_names, "install it")
    monkeypatch.setitem(DATASETS, "mnist", info)
    monkeypatch.setattr(loaders, "package_copies", lambda key: [])
    return blobs


def write_set(folder, blobs, gz=False, scale=None):
    os.makedirs(folder, exist_ok=True)
    for name, data in blobs.items():
        if gz:
            (folder / (name + ".gz")).write_bytes(gzip.compress(data))
        else:
            (folder / name).write_bytes(data)


def test_discovery_order(tmp_path, monkeypatch):
    blobs = fake_info(monkeypatch, tmp_path)
    explicit, env, cache = tmp_path / "explicit", tmp_path / "env", tmp_path / "cache" / "genmodels" / "mnist"
    for folder in (explicit, env, cache):
        write_set(folder, blobs, gz=folder is env)
    monkeypatch.setenv("GENMODELS_DATA", str(env))
    assert gm.datasets.load_mnist(path=explicit, download=False).source == str(explicit)
    assert gm.datasets.load_mnist(download=False).source == os.path.join(str(env), "mnist") or \
        gm.datasets.load_mnist(download=False).source == str(env)
    monkeypatch.setattr(loaders, "_MEMORY", {})
    monkeypatch.delenv("GENMODELS_DATA")
    assert gm.datasets.load_mnist(download=False).source == str(cache)


def test_loaded_values(tmp_path, monkeypatch):
    blobs = fake_info(monkeypatch, tmp_path)
    write_set(tmp_path / "d", blobs)
    ds = gm.datasets.load_mnist(path=tmp_path / "d")
    raw = np.frombuffer(blobs["train-images-idx3-ubyte"][16:], np.uint8).reshape(20, 28, 28)
    np.testing.assert_allclose(ds.x_train, raw / 255.0, rtol=1e-6)
    assert ds.x_train.dtype == np.float32 and ds.y_train.dtype == np.int64
    flat = gm.datasets.load_mnist(path=tmp_path / "d", flatten=True, dtype=np.float64)
    assert flat.x_train.shape == (20, 784) and flat.x_train.dtype == np.float64


def test_wrong_content_is_rejected(tmp_path, monkeypatch):
    blobs = fake_info(monkeypatch, tmp_path)
    blobs["t10k-labels-idx1-ubyte"] = encode_idx(np.ones(10, np.uint8))
    write_set(tmp_path / "d", blobs)
    with pytest.raises(IDXError, match="does not match the known t10k-labels"):
        gm.datasets.load_mnist(path=tmp_path / "d")


def test_explicit_path_missing_files(tmp_path, monkeypatch):
    fake_info(monkeypatch, tmp_path)
    os.makedirs(tmp_path / "empty")
    with pytest.raises(gm.datasets.DatasetNotFoundError, match="lacks train-images-idx3-ubyte"):
        gm.datasets.load_mnist(path=tmp_path / "empty")


def test_offline_error_says_how_to_get_the_files(tmp_path, monkeypatch):
    fake_info(monkeypatch, tmp_path)
    monkeypatch.setattr(dl.time, "sleep", lambda s: None)

    def offline(url, timeout):
        raise dl.urllib.error.URLError("network is unreachable")
    monkeypatch.setattr(dl.urllib.request, "urlopen", offline)
    with pytest.raises(gm.datasets.DatasetNotFoundError, match="not available locally and download=False.*install it"):
        gm.datasets.load_mnist(download=False)
    with pytest.raises(gm.datasets.DatasetNotFoundError, match="(?s)could not be downloaded.*Without network access: install it"):
        gm.datasets.load_mnist()


class FakeResponse:
    def __init__(self, data):
        self.data, self.headers = data, {"Content-Length": str(len(data))}

    def read(self, n):
        chunk, self.data = self.data[:n], self.data[n:]
        return chunk

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_download_verifies_and_caches_atomically(tmp_path, monkeypatch):
    blobs = fake_info(monkeypatch, tmp_path)
    requested = []

    def serve(url, timeout):
        requested.append(url)
        name = url.rsplit("/", 1)[-1][:-3]
        return FakeResponse(gzip.compress(blobs[name]))
    monkeypatch.setattr(dl.urllib.request, "urlopen", serve)
    ds = gm.datasets.load_mnist()
    assert ds.source == "download" and len(requested) == 4
    cached = tmp_path / "cache" / "genmodels" / "mnist"
    assert sorted(os.listdir(cached)) == sorted(blobs)          # no partial files left
    monkeypatch.setattr(loaders, "_MEMORY", {})
    assert gm.datasets.load_mnist(download=False).source == str(cached)


def test_download_with_wrong_hash_fails(tmp_path, monkeypatch):
    fake_info(monkeypatch, tmp_path)
    monkeypatch.setattr(dl.time, "sleep", lambda s: None)
    monkeypatch.setattr(dl.urllib.request, "urlopen",
                        lambda url, timeout: FakeResponse(gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x00")))
    with pytest.raises(gm.datasets.DatasetNotFoundError, match="does not match the expected"):
        gm.datasets.load_mnist()
    assert not os.path.exists(tmp_path / "cache" / "genmodels" / "mnist")


def test_atomic_write_keeps_the_old_file_on_failure(tmp_path):
    target = tmp_path / "f"
    target.write_bytes(b"good")

    with pytest.raises(TypeError):
        dl.atomic_write(str(target), object())   # fails inside the write
    assert target.read_bytes() == b"good"
    assert os.listdir(tmp_path) == ["f"]


def test_bad_arguments(tmp_path, monkeypatch):
    blobs = fake_info(monkeypatch, tmp_path)
    write_set(tmp_path / "d", blobs)
    with pytest.raises(ValueError, match=r"'subset' must be in \[1, 20\]"):
        gm.datasets.load_mnist(path=tmp_path / "d", subset=0)
    with pytest.raises(TypeError, match="'dtype' must be a floating type"):
        gm.datasets.load_mnist(path=tmp_path / "d", dtype=np.int32)
    with pytest.raises(ValueError, match="probabilities"):
        gm.datasets.binarize(np.array([1.5], np.float32))


# --- the real data -------------------------------------------------------------

def test_real_mnist():
    ds = real(gm.datasets.load_mnist)
    assert ds.x_train.shape == (60000, 28, 28) and ds.x_test.shape == (10000, 28, 28)
    assert ds.x_train.dtype == np.float32 and ds.y_train.dtype == np.int64
    assert ds.x_train.min() == 0.0 and ds.x_train.max() == 1.0
    assert np.bincount(ds.y_train).tolist() == MNIST_TRAIN_COUNTS
    assert np.bincount(ds.y_test).tolist() == MNIST_TEST_COUNTS
    assert ds.class_names == tuple("0123456789")


def test_real_fashion_mnist():
    ds = real(gm.datasets.load_fashion_mnist)
    assert ds.x_train.shape == (60000, 28, 28) and ds.x_test.shape == (10000, 28, 28)
    assert np.bincount(ds.y_train).tolist() == [6000] * 10
    assert np.bincount(ds.y_test).tolist() == [1000] * 10
    assert ds.class_names[0] == "T-shirt/top" and ds.class_names[9] == "Ankle boot"


def test_real_binarized_mnist_and_subsets():
    ds = real(gm.datasets.load_binarized_mnist)
    assert ds.x_train.shape == (50000, 28, 28) and ds.x_val.shape == (10000, 28, 28)
    assert set(np.unique(ds.x_train)) == {0.0, 1.0}
    again = gm.datasets.load_binarized_mnist(download=False)
    np.testing.assert_array_equal(ds.x_train[:100], again.x_train[:100])
    mnist = gm.datasets.load_mnist(download=False)
    # a pixel is drawn as 1 about as often as its intensity says
    assert abs(ds.x_train.mean() - mnist.x_train[:50000].mean()) < 0.002
    small = gm.datasets.load_mnist(download=False, subset=1000)
    assert small.x_train.shape == (1000, 28, 28)
    assert np.bincount(small.y_train).tolist() == [100] * 10


def test_dynamic_binarization_is_fresh_each_epoch_and_reproducible():
    x = np.full((50, 784), 0.5, np.float32)
    e0 = gm.datasets.binarize(x, seed=3, epoch=0)
    e1 = gm.datasets.binarize(x, seed=3, epoch=1)
    assert not np.array_equal(e0, e1)
    np.testing.assert_array_equal(e0, gm.datasets.binarize(x, seed=3, epoch=0))
    assert abs(e0.mean() - 0.5) < 0.02
