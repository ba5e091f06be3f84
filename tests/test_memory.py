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
        grown.resize(10, refcheck=False)           # across the recycling threshold, both ways
        small = np.arange(10, dtype=np.float32)
        small.resize(70_000, refcheck=False)
        np.testing.assert_array_equal(small[:10], np.arange(10, dtype=np.float32))
        del grown, small                           # freed by the sizes they ended with
        again = np.ones(70_000, np.float32)        # may reuse a block that was reallocated
        assert again.sum() == 70_000


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


def test_training_runs_inside_the_recycling_allocator(rng):
    """fit allocates through it (and reuses blocks across batches); nothing
    is kept once fit returns, and the default allocator is back."""
    import genmodels as gm
    from genmodels import nn
    get_handler_name = np._core.multiarray.get_handler_name if hasattr(np, "_core") else \
        np.core.multiarray.get_handler_name
    seen = []
    spy = nn.LambdaCallback(on_batch_end=lambda trainer, step, logs: seen.append(
        (get_handler_name(), _core.recycle_cached_bytes())))
    ae = gm.AE(latent_dim=4, architecture="mlp", hidden=(64,), seed=0)
    ae.fit(rng.random((512, 28, 28), dtype=np.float32), epochs=1, batch_size=128, verbose=0, callbacks=[spy])
    assert {name for name, _ in seen} == {"genmodels_recycling_allocator"}
    assert seen[-1][1] > 0                          # freed activations kept for the next batch
    assert get_handler_name() == "default_allocator"
    assert _core.recycle_cached_bytes() == 0
