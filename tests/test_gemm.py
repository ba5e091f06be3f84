"""SGEMM against NumPy (float64 references): every transpose, odd sizes
around the block sizes, alpha/beta, leading dimensions, both kernels, and
bitwise thread-count independence."""
import numpy as np
import pytest

import genmodels as gm
from genmodels import ops

# Sizes straddling MR=6, NR=16, MC=72, NB=192, KC=256 and beyond.
SIZES = [(1, 1, 1), (5, 7, 3), (6, 16, 1), (7, 17, 257), (72, 192, 256), (73, 193, 255),
         (130, 300, 61), (299, 31, 300), (13, 250, 513)]


def reference(a, b, c, trans_a, trans_b, alpha, beta):
    a64 = a.T.astype(np.float64) if trans_a else a.astype(np.float64)
    b64 = b.T.astype(np.float64) if trans_b else b.astype(np.float64)
    return alpha * a64 @ b64 + (beta * c.astype(np.float64) if beta else 0.0)


def operands(rng, m, n, k, trans_a, trans_b):
    a = rng.standard_normal((k, m) if trans_a else (m, k)).astype(np.float32)
    b = rng.standard_normal((n, k) if trans_b else (k, n)).astype(np.float32)
    return a, b


@pytest.mark.parametrize("m, n, k", SIZES)
@pytest.mark.parametrize("trans_a", [False, True])
@pytest.mark.parametrize("trans_b", [False, True])
def test_matches_numpy(m, n, k, trans_a, trans_b, rng, isa):
    a, b = operands(rng, m, n, k, trans_a, trans_b)
    c = rng.standard_normal((m, n)).astype(np.float32)
    got = ops.gemm(a, b, c.copy(), trans_a=trans_a, trans_b=trans_b, alpha=0.7, beta=-1.3)
    want = reference(a, b, c, trans_a, trans_b, 0.7, -1.3)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * np.sqrt(k))


def test_beta_zero_ignores_nan_in_out(rng):
    a, b = operands(rng, 20, 30, 40, False, False)
    out = np.full((20, 30), np.nan, np.float32)
    ops.gemm(a, b, out)
    np.testing.assert_allclose(out, a.astype(np.float64) @ b, rtol=1e-4, atol=1e-4)


def test_zero_k_scales_c_by_beta(rng):
    c = rng.standard_normal((3, 4)).astype(np.float32)
    got = ops.gemm(np.zeros((3, 0), np.float32), np.zeros((0, 4), np.float32), c.copy(), beta=2.0)
    np.testing.assert_allclose(got, 2 * c)
    assert ops.gemm(np.zeros((0, 5)), np.zeros((5, 3))).shape == (0, 3)


def test_leading_dimensions_row_slices(rng):
    big_a = rng.standard_normal((40, 90)).astype(np.float32)
    big_b = rng.standard_normal((80, 70)).astype(np.float32)
    big_c = np.zeros((40, 100), np.float32)
    a, b, c = big_a[:, 10:47], big_b[5:42, 3:33], big_c[:, 20:50]   # strided rows
    ops.gemm(a, b, c)
    np.testing.assert_allclose(c, a.astype(np.float64) @ b, rtol=1e-4, atol=1e-4)
    assert np.all(big_c[:, :20] == 0) and np.all(big_c[:, 50:] == 0)
    # transposed views of strided data
    got = ops.gemm(big_a[:37, 5:25], big_b[:30, 7:44], trans_a=True, trans_b=True)
    np.testing.assert_allclose(got, big_a[:37, 5:25].T.astype(np.float64) @ big_b[:30, 7:44].T, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("m, n, k", [(128, 512, 784), (784, 512, 128), (300, 1000, 520), (7, 3001, 64)])
def test_identical_with_one_and_two_threads(m, n, k, rng, with_threads):
    a, b = operands(rng, m, n, k, False, True)
    one = with_threads(1, ops.gemm, a, b, trans_b=True)
    two = with_threads(2, ops.gemm, a, b, trans_b=True)
    three = with_threads(3, ops.gemm, a, b, trans_b=True)
    np.testing.assert_array_equal(one, two)
    np.testing.assert_array_equal(one, three)


@pytest.mark.parametrize("m, n, k", [(5, 7, 3), (128, 512, 784), (300, 100, 1030), (13, 250, 513)])
@pytest.mark.parametrize("beta", [0.0, 1.0])
def test_bias_is_a_separate_add_fused(m, n, k, beta, rng, with_threads, isa):
    """gemm(..., bias=b) gives the bits of gemm then out += b: on both the
    split-column (m <= 256) and shared paths, one and several k blocks,
    edge tiles, any thread count."""
    a, b = operands(rng, m, n, k, False, True)
    bias = rng.standard_normal(n).astype(np.float32)
    c0 = rng.standard_normal((m, n)).astype(np.float32)
    want = ops.gemm(a, b, c0.copy(), trans_b=True, alpha=0.5, beta=beta)
    want += bias
    for threads in (1, 2):
        got = with_threads(threads, ops.gemm, a, b, c0.copy(), trans_b=True, alpha=0.5, beta=beta, bias=bias)
        np.testing.assert_array_equal(got, want)
    c = c0.copy()
    ops.gemm(np.zeros((m, 0), np.float32), np.zeros((0, n), np.float32), c, beta=beta, bias=bias)
    np.testing.assert_array_equal(c, (c0 * beta if beta else np.zeros_like(c0)) + bias)   # k == 0


def test_portable_and_vector_kernels_agree(rng):
    a, b = operands(rng, 100, 90, 300, False, False)
    native = ops.gemm(a, b)
    gm._core._set_cpu_allowed(0)
    try:
        portable = ops.gemm(a, b)
    finally:
        gm._core._set_cpu_allowed(0xFFFFFFFF)
    np.testing.assert_allclose(native, portable, rtol=1e-5, atol=1e-4)


def test_bad_input():
    a = np.ones((5, 7), np.float32)
    with pytest.raises(ValueError, match=r"gemm: 'b' has shape \(5, 7\), expected \(7, \*\)"):
        ops.gemm(a, a)
    with pytest.raises(ValueError, match=r"'c' has shape \(5, 5\), expected \(5, 3\)"):
        ops.gemm(a, np.ones((7, 3), np.float32), np.zeros((5, 5), np.float32))
    with pytest.raises(TypeError, match="'c' must have dtype float32"):
        gm._core.gemm(a, a.T.copy(), np.zeros((5, 5)))
    with pytest.raises(ValueError, match="'a' must have contiguous rows"):
        gm._core.gemm(np.ones((5, 14), np.float32)[:, ::2], a.T.copy(), np.zeros((5, 5), np.float32))
    with pytest.raises(ValueError, match="read-only"):
        ro = np.zeros((5, 5), np.float32)
        ro.flags.writeable = False
        ops.gemm(a, a.T.copy(), ro)
    with pytest.raises(ValueError, match="output 'c' overlaps input 'a'"):
        big = np.ones((5, 12), np.float32)
        ops.gemm(big[:, :7], np.ones((7, 5), np.float32), big[:, 7:12])
    with pytest.raises(ValueError, match="'beta' must be 0"):
        ops.gemm(a, a.T, beta=1.0)
    with pytest.raises(TypeError, match="array of numbers"):
        ops.gemm([["x"]], a)
    with pytest.raises(ValueError, match=r"gemm: 'bias' has shape \(7,\), expected \(5,\)"):
        ops.gemm(a, a.T, bias=np.zeros(7, np.float32))
    with pytest.raises(ValueError, match="'bias' must be 1-dimensional"):
        ops.gemm(a, a.T, bias=np.zeros((1, 5), np.float32))
    with pytest.raises(TypeError, match="'bias' must have dtype float32"):
        gm._core.gemm(a, a.T.copy(), np.zeros((5, 5), np.float32), bias=np.zeros(5))


def test_peak_probe_reports_a_rate():
    rate = gm._core.fma_peak_gflops(0.05, 1)
    assert rate == 0.0 or rate > 1.0
    with pytest.raises(ValueError):
        gm._core.fma_peak_gflops(-1.0)
