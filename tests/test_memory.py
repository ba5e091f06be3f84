"""ops.recycled_memory: NumPy arrays reuse freed blocks, with no change to
what arrays hold."""
import numpy as np
import pytest

from genmodels import _core, ops

MIB = 1 << 20


def test_freed_blocks_are_reused_within_the_scope():
    with ops.recycled_memory():
        a = np.empty(MIB // 4, np.float32)
        address = a.ctypes.data
        del a
        assert _core.recycle_cached_bytes() >= MIB
        b = np.empty(MIB // 4, np.float32)         # the same size: the same block
        assert b.ctypes.data == address
        assert b.ctypes.data % 64 == 0
        small = np.empty(100, np.float32)          # below 64 KiB: plain malloc
        del small
    assert _core.recycle_cached_bytes() == 0       # kept blocks freed on leaving
    b[:] = 1.0                                     # arrays outlive the scope intact
    assert b.sum() == MIB // 4
    del b
    assert _core.recycle_cached_bytes() == 0       # freed after the scope: not kept


def test_reused_blocks_hold_what_numpy_promises():
    with ops.recycled_memory():
        dirty = np.full(300_000, np.nan, np.float32)
        del dirty
        zeros = np.zeros(300_000, np.float32)      # calloc on a recycled, dirty block
        assert not zeros.any()
        grown = np.arange(100_000, dtype=np.float32)
        grown.resize(200_000, refcheck=False)      # realloc keeps the contents
        np.testing.assert_array_equal(grown[:100_000], np.arange(100_000, dtype=np.float32))
        assert not grown[100_000:].any()


def test_nested_scopes_and_bad_tokens():
    with ops.recycled_memory():
        with ops.recycled_memory():                # the inner scope changes nothing
            block = np.empty(MIB, np.uint8)
            del block
            assert _core.recycle_cached_bytes() >= MIB
        assert _core.recycle_cached_bytes() >= MIB
    assert _core.recycle_cached_bytes() == 0
    _core.recycle_exit(None)
    with pytest.raises(TypeError, match="token"):
        _core.recycle_exit(object())
