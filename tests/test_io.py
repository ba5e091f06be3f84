"""Checkpoints: exact round trips, and every kind of bad file rejected with
a clear error, executing nothing; saves are atomic."""
import io
import json
import os
import zipfile

import numpy as np
import pytest

import genmodels as gm
from genmodels import nn
from genmodels.io import CheckpointError


def network():
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1, seed=0), nn.BatchNorm2d(4), nn.LeakyReLU(0.2),
                         nn.ConvTranspose2d(4, 2, 4, stride=2, padding=1, seed=1), nn.Flatten(),
                         nn.Dropout(0.1, seed=2), nn.Linear(2 * 8 * 8, 3, seed=3), nn.Sigmoid(),
                         nn.Reshape(3, 1))


def test_round_trip_is_exact(tmp_path, rng):
    net = network()
    x = rng.standard_normal((5, 1, 4, 4)).astype(np.float32)
    net(x, training=True)                       # move the running statistics
    path = gm.save(net, tmp_path / "net.gm")
    loaded = gm.load(path)
    assert repr(loaded) == repr(net)
    for (k, a), (k2, b) in zip(net.state_arrays().items(), loaded.state_arrays().items()):
        assert k == k2
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(net(x, training=False), loaded(x, training=False))


@pytest.mark.parametrize("layer", [nn.Linear(3, 2, bias=False, seed=0), nn.BatchNorm1d(5), nn.ReLU(),
                                   nn.ConcatLabels(10), nn.Tanh()])
def test_single_layers_round_trip(layer, tmp_path):
    gm.save(layer, tmp_path / "l.gm")
    loaded = gm.load(tmp_path / "l.gm")
    assert type(loaded) is type(layer) and repr(loaded) == repr(layer)


def rewrite(path, target, header_edit=None, arrays_edit=None):
    """Copy a checkpoint with its header or arrays changed."""
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    header = json.loads(bytes(np.load(io.BytesIO(members["__genmodels__.npy"]))).decode())
    if header_edit:
        header_edit(header)
    blob = np.frombuffer(json.dumps(header).encode(), np.uint8)
    buf = io.BytesIO()
    np.save(buf, blob)
    members["__genmodels__.npy"] = buf.getvalue()
    if arrays_edit:
        arrays_edit(members)
    with zipfile.ZipFile(target, "w") as z:
        for n, data in members.items():
            z.writestr(n, data)
    return target


@pytest.fixture
def saved(tmp_path):
    return gm.save(nn.Linear(4, 3, seed=0), tmp_path / "good.gm")


def test_truncated_file(saved, tmp_path):
    data = open(saved, "rb").read()
    bad = tmp_path / "bad.gm"
    for cut in (10, len(data) // 2, len(data) - 30):
        bad.write_bytes(data[:cut])
        with pytest.raises(CheckpointError):
            gm.load(bad)


def test_not_a_checkpoint(tmp_path):
    (tmp_path / "x.gm").write_bytes(b"hello world")
    with pytest.raises(CheckpointError, match="not a genmodels checkpoint"):
        gm.load(tmp_path / "x.gm")
    np.savez(tmp_path / "plain.npz", a=np.ones(3))
    with pytest.raises(CheckpointError, match="no header"):
        gm.load(tmp_path / "plain.npz")
    with pytest.raises(FileNotFoundError):
        gm.load(tmp_path / "missing.gm")


def test_wrong_version_and_unknown_class(saved, tmp_path):
    bad = rewrite(saved, tmp_path / "v.gm", lambda h: h.update(version=99))
    with pytest.raises(CheckpointError, match="version 99 is not supported"):
        gm.load(bad)
    bad = rewrite(saved, tmp_path / "c.gm", lambda h: h.update({"class": "os.system"}))
    with pytest.raises(CheckpointError, match="unknown class 'os.system'"):
        gm.load(bad)


def test_header_and_arrays_disagree(saved, tmp_path):
    def grow(h):
        h["arrays"]["weight"]["shape"] = [40, 30]
    with pytest.raises(CheckpointError, match="the header says"):
        gm.load(rewrite(saved, tmp_path / "s.gm", grow))

    def extra(members):
        buf = io.BytesIO()
        np.save(buf, np.ones(2))
        members["sneaky.npy"] = buf.getvalue()
    with pytest.raises(CheckpointError, match="do not match the header"):
        gm.load(rewrite(saved, tmp_path / "e.gm", arrays_edit=extra))


def test_object_arrays_are_never_unpickled(saved, tmp_path):
    class Boom:
        def __reduce__(self):
            return (os.system, ("echo pwned > " + str(tmp_path / "pwned"),))

    def poison(members):
        buf = io.BytesIO()
        np.save(buf, np.array([Boom()], dtype=object), allow_pickle=True)
        members["weight.npy"] = buf.getvalue()

    def declare(h):
        h["arrays"]["weight"] = {"shape": [1], "dtype": "object"}
    with pytest.raises(CheckpointError, match="forbidden dtype"):
        gm.load(rewrite(saved, tmp_path / "p.gm", declare, poison))
    assert not os.path.exists(tmp_path / "pwned")


def test_config_cannot_build_arbitrary_layers(saved, tmp_path):
    def bad_config(h):
        h["config"] = {"class": "Sequential", "config": {"layers": [{"class": "eval", "config": {}}]}}
        h["class"] = "Sequential"
    with pytest.raises(CheckpointError, match="unknown layer 'eval'"):
        gm.load(rewrite(saved, tmp_path / "l.gm", bad_config))

    def bad_wrapper(h):
        h["config"] = {"class": "Sequential", "config": {"layers": [{"class": "SpectralNorm", "config": [1]}]}}
        h["class"] = "Sequential"
    with pytest.raises(CheckpointError, match="'SpectralNorm' has no configuration object"):
        gm.load(rewrite(saved, tmp_path / "w.gm", bad_wrapper))


def test_save_is_atomic(saved, monkeypatch):
    before = open(saved, "rb").read()

    def crash(f, **arrays):
        f.write(b"partial")
        raise OSError("disk full")
    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(OSError, match="disk full"):
        gm.save(nn.Linear(4, 3, seed=9), saved)
    assert open(saved, "rb").read() == before
    assert os.listdir(os.path.dirname(saved)) == ["good.gm"]


def test_unsavable_object(tmp_path):
    with pytest.raises(TypeError, match="cannot save a dict"):
        gm.save({"a": 1}, tmp_path / "d.gm")


def npy_claiming(shape, payload=b"\0" * 64):
    """An .npy member whose header claims `shape` float32 over a tiny payload."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "<f4", "fortran_order": False, "shape": shape})
    return buf.getvalue() + payload


@pytest.mark.parametrize("shape", [(10**12,), (2**32, 2**32), (2**62 + 1, 4)])
def test_huge_shapes_are_rejected_before_allocating(saved, tmp_path, shape):
    def declare(h):
        h["arrays"]["weight"]["shape"] = list(shape)

    def inflate(members):
        members["weight.npy"] = npy_claiming(shape)
    with pytest.raises(CheckpointError, match="truncated"):
        gm.load(rewrite(saved, tmp_path / "huge.gm", declare, inflate))


def test_member_names_with_path_tricks_write_nothing(saved, tmp_path):
    name = "../../escaped"

    def declare(h):
        h["arrays"][name] = {"shape": [2], "dtype": "float32"}

    def add(members):
        buf = io.BytesIO()
        np.save(buf, np.ones(2, np.float32))
        members[name + ".npy"] = buf.getvalue()
    before = sorted(os.listdir(tmp_path.parent))
    with pytest.raises(CheckpointError, match="cannot rebuild Linear"):
        gm.load(rewrite(saved, tmp_path / "t.gm", declare, add))
    assert sorted(os.listdir(tmp_path.parent)) == before
    assert not os.path.exists(tmp_path / "escaped")


@pytest.mark.parametrize("header", [b"[1, 2]", b"{not json", b"\xff\xfe", b'{"format": "other"}'])
def test_malformed_headers(saved, tmp_path, header):
    def replace(members):
        buf = io.BytesIO()
        np.save(buf, np.frombuffer(header, np.uint8))
        members["__genmodels__.npy"] = buf.getvalue()
    with pytest.raises(CheckpointError, match="unreadable header|not a genmodels checkpoint"):
        gm.load(rewrite(saved, tmp_path / "h.gm", arrays_edit=replace))


def test_bad_array_names_are_refused_on_save(tmp_path):
    class Odd(nn.Linear):
        pass
    with pytest.raises(TypeError, match="cannot save a Odd"):
        gm.save(Odd(2, 2, seed=0), tmp_path / "o.gm")
