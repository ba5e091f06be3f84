"""Philox fills: exact value formulas, distributions, addressing and offsets,
thread and ISA independence, permutations, the NaN/Inf scan, bad input.

Statistical tolerances are about five standard errors at the sample size
used, so a correct generator fails them with probability below ~1e-6."""
import itertools
import math

import numpy as np
import pytest
from scipy import special, stats

import genmodels as gm
from genmodels import _core, ops

ALL_ISA = ~0 & 0xFFFFFFFF


def raw_bits(n, seed, stream=0, offset=0):
    """The 32-bit values at positions offset .. offset+n-1."""
    bits = np.empty(n, np.uint32)
    _core._rng_u32(bits, seed, stream, offset)
    return bits


def test_streams_are_the_contracts():
    assert ops.STREAMS == {"init": 1, "shuffle": 2, "reparam": 3, "dropout": 4, "negative_sampling": 5,
                           "binarize": 6, "noise": 7, "layout": 8}


def test_raw_bits_are_uniform_and_independent_of_isa():
    bits = raw_bits(400_003, seed=3, stream=2, offset=5)
    _core._set_cpu_allowed(0)
    try:
        portable = raw_bits(400_003, seed=3, stream=2, offset=5)
    finally:
        _core._set_cpu_allowed(ALL_ISA)
    np.testing.assert_array_equal(bits, portable)
    # each of the 256 byte values of the top byte: 1562.5 expected
    assert stats.chisquare(np.bincount(bits >> 24, minlength=256)).pvalue > 1e-6
    # consecutive values uncorrelated: standard error 1/sqrt(n) = 0.0016
    u = bits.astype(np.float64)
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 0.008


def test_uniform_is_the_documented_formula_and_uniform():
    u = ops.uniform(200_000, seed=1, stream=4, offset=9, low=-2, high=3)
    want = (-2.0 + 5.0 * ((raw_bits(200_000, 1, 4, 9) >> 8) / 2**24)).astype(np.float32)
    np.testing.assert_array_equal(u, want)
    assert u.dtype == np.float32 and u.shape == (200_000,)
    assert u.min() >= -2 and u.max() < 3
    assert stats.kstest(u, stats.uniform(-2, 5).cdf).pvalue > 1e-6
    # mean 0.5, variance 25/12: standard errors 0.0032 and 0.0047
    assert abs(u.mean() - 0.5) < 0.016 and abs(u.var() - 25 / 12) < 0.024


def test_uniform_stays_below_high_and_handles_low_equal_high():
    tiny = ops.uniform(10_000, seed=2, low=1.0, high=float(np.nextafter(np.float32(1), np.float32(2))))
    assert (tiny == 1.0).all()
    assert (ops.uniform((3, 4), seed=2, low=5.0, high=5.0) == 5.0).all()
    big = ops.uniform(10_000, seed=2, low=-3e38, high=3e38)
    assert np.isfinite(big).all() and big.max() < 3e38


def test_normal_is_the_inverse_cdf_of_one_position():
    n = 300_000
    z = ops.normal(n, seed=5, stream=3, offset=7)
    want = special.ndtri((raw_bits(n, 5, 3, 7).astype(np.float64) + 0.5) / 2**32)
    np.testing.assert_array_max_ulp(z, want.astype(np.float32), maxulp=1)
    assert np.abs(z).max() <= special.ndtri(1 - 2.0**-33)


def test_normal_moments_and_ks():
    n = 200_000
    z = ops.normal(n, seed=2, stream="noise", mean=1.5, std=2.0).astype(np.float64)
    # standard errors at n = 2e5: mean 2/sqrt(n) = 0.0045, variance 4*sqrt(2/n) = 0.0126,
    # skewness sqrt(6/n) = 0.0055, excess kurtosis sqrt(24/n) = 0.011
    assert abs(z.mean() - 1.5) < 0.023
    assert abs(z.var() - 4.0) < 0.063
    assert abs(stats.skew(z)) < 0.028
    assert abs(stats.kurtosis(z)) < 0.055
    assert stats.kstest(z, stats.norm(1.5, 2.0).cdf).pvalue > 1e-6


def test_normal_tails():
    n = 1_000_000
    z = ops.normal(n, seed=8)
    for q in (1.0, 2.0, 3.0, 4.0):
        p = 2 * stats.norm.sf(q)
        # binomial standard error sqrt(p (1-p) / n); 5 of them plus a count
        assert abs(np.mean(np.abs(z) > q) - p) < 5 * math.sqrt(p * (1 - p) / n) + 2 / n


def test_normal_with_zero_std_is_the_mean():
    np.testing.assert_array_equal(ops.normal(5, seed=0, mean=-1.25, std=0.0), np.full(5, -1.25, np.float32))


def test_bernoulli_scalar_frequency_and_formula():
    b = ops.bernoulli(0.3, (100_000,), seed=3, offset=4)
    want = (raw_bits(100_000, 3, 0, 4) < 0.3 * 2**32).astype(np.float32)
    np.testing.assert_array_equal(b, want)
    assert set(np.unique(b)) == {0.0, 1.0}
    # standard error sqrt(0.21 / 1e5) = 0.00145
    assert abs(b.mean() - 0.3) < 0.0073


def test_bernoulli_per_element_p():
    p = np.tile(np.array([0.0, 0.1, 0.25, 0.5, 0.9, 1.0], np.float32), 40_000)
    draws = ops.bernoulli(p, seed=4, stream="binarize").reshape(-1, 6)
    # 40 000 draws per column: standard error <= 0.0025
    np.testing.assert_allclose(draws.mean(0), [0, 0.1, 0.25, 0.5, 0.9, 1], atol=0.0125)
    assert draws[:, 0].max() == 0 and draws[:, 5].min() == 1


def test_bernoulli_array_p_equals_scalar_p():
    p = np.full((40, 50), 0.37, np.float32)
    np.testing.assert_array_equal(ops.bernoulli(p, seed=6), ops.bernoulli(0.37, (40, 50), seed=6))
    assert ops.bernoulli(p.tolist(), seed=6).shape == (40, 50)   # array-likes


def test_bernoulli_into_out():
    out = np.full((3, 7), 5.0, np.float32)
    assert ops.bernoulli(0.5, seed=1, out=out) is out
    assert set(np.unique(out)) <= {0.0, 1.0}
    assert ops.uniform(seed=1, out=np.empty((2, 2), np.float32)).shape == (2, 2)


FILLS = {
    "uniform": lambda n, o: ops.uniform(n, seed=9, stream=3, offset=o, low=-1, high=4),
    "normal": lambda n, o: ops.normal(n, seed=9, stream=3, offset=o, mean=1, std=3),
    "bernoulli": lambda n, o: ops.bernoulli(0.5, n, seed=9, stream=3, offset=o),
    "bernoulli_p": lambda n, o: ops.bernoulli(np.linspace(0, 1, n, dtype=np.float32), seed=9, stream=3, offset=o),
}


@pytest.mark.parametrize("fill", sorted(FILLS))
@pytest.mark.parametrize("k", [0, 1, 3, 333, 8191, 8193, 20_000])
def test_offsets_continue_a_fill(fill, k):
    n, o = 20_000, 12_345
    draw = FILLS[fill]
    whole = draw(n, o)
    if fill == "bernoulli_p":   # p depends on n, so cut the same p
        p = np.linspace(0, 1, n, dtype=np.float32)
        parts = [ops.bernoulli(p[:k], seed=9, stream=3, offset=o), ops.bernoulli(p[k:], seed=9, stream=3, offset=o + k)]
    else:
        parts = [draw(k, o), draw(n - k, o + k)]
    np.testing.assert_array_equal(whole, np.concatenate(parts))


def test_same_address_same_values_and_streams_seeds_differ():
    a = ops.normal((5, 5), seed=7, stream="init")
    np.testing.assert_array_equal(a, ops.normal((5, 5), seed=7, stream=1))
    np.testing.assert_array_equal(a, ops.normal((5, 5), seed=7, stream=np.int64(1)))
    assert not np.array_equal(a, ops.normal((5, 5), seed=7, stream="dropout"))
    assert not np.array_equal(a, ops.normal((5, 5), seed=8, stream="init"))
    assert not np.array_equal(a, ops.normal((5, 5), seed=7, stream="init", offset=1))
    # the high halves of seed and stream matter too
    assert not np.array_equal(a, ops.normal((5, 5), seed=7 + 2**40, stream="init"))
    assert not np.array_equal(a, ops.normal((5, 5), seed=7, stream=1 + 2**40))


def test_fills_at_the_top_of_the_address_space():
    top = ops.uniform(10, seed=2**64 - 1, stream=2**64 - 1, offset=2**64 - 10)
    np.testing.assert_array_equal(top[-3:], ops.uniform(3, seed=2**64 - 1, stream=2**64 - 1, offset=2**64 - 3))


@pytest.mark.parametrize("fill", ["uniform", "normal", "bernoulli", "bernoulli_p", "permutation"])
def test_identical_with_one_and_two_threads_and_both_isas(fill, with_threads):
    n = 300_001
    draw = (lambda: ops.permutation(n, seed=5, offset=3)) if fill == "permutation" else (lambda: FILLS[fill](n, 3))
    one = with_threads(1, draw)
    two = with_threads(2, draw)
    _core._set_cpu_allowed(0)
    try:
        portable = with_threads(2, draw)
    finally:
        _core._set_cpu_allowed(ALL_ISA)
    np.testing.assert_array_equal(one, two)
    np.testing.assert_array_equal(one, portable)


def test_permutation_is_a_permutation_and_seeded():
    p = ops.permutation(10_000, seed=1, stream="shuffle")
    assert p.dtype == np.int64 and p.shape == (10_000,)
    np.testing.assert_array_equal(np.sort(p), np.arange(10_000))
    np.testing.assert_array_equal(p, ops.permutation(10_000, seed=1, stream="shuffle"))
    assert not np.array_equal(p, ops.permutation(10_000, seed=2, stream="shuffle"))
    assert not np.array_equal(p, ops.permutation(10_000, seed=1, stream="shuffle", offset=10_000))
    assert ops.permutation(0, seed=0).shape == (0,)
    np.testing.assert_array_equal(ops.permutation(1, seed=0), [0])


def test_permutation_is_the_documented_fisher_yates():
    n, offset = 1000, 77
    bits = raw_bits(2 * (n - 1), seed=4, stream=2, offset=2 * offset).astype(np.uint64)
    draws = (bits[0::2] << np.uint64(32)) | bits[1::2]
    want = np.arange(n)
    for k in range(n - 1):
        i = n - k
        j = int(draws[k] % np.uint64(i))
        want[i - 1], want[j] = want[j], want[i - 1]
    np.testing.assert_array_equal(ops.permutation(n, seed=4, stream="shuffle", offset=offset), want)


def test_permutation_is_uniform_over_all_orders():
    # all 24 orders of 4 items over 12 000 shuffles (500 expected each),
    # one shuffle per offset block as a training loop does per epoch
    counts = {}
    for t in range(12_000):
        key = tuple(ops.permutation(4, seed=11, offset=4 * t))
        counts[key] = counts.get(key, 0) + 1
    assert set(counts) == set(itertools.permutations(range(4)))
    assert stats.chisquare(list(counts.values())).pvalue > 1e-6


def test_all_finite(with_threads):
    x = np.linspace(-1e38, 1e38, 1_000_003, dtype=np.float32)
    x[5] = np.finfo(np.float32).max
    x[6] = np.finfo(np.float32).smallest_subnormal
    assert with_threads(1, ops.all_finite, x) and with_threads(2, ops.all_finite, x)
    for bad in (np.nan, np.inf, -np.inf):
        for where in (0, 500_000, x.size - 1):
            y = x.copy()
            y[where] = bad
            assert not with_threads(1, ops.all_finite, y)
            assert not with_threads(2, ops.all_finite, y)
    assert ops.all_finite(np.zeros(0, np.float32))
    assert not ops.all_finite(np.float32(np.nan))
    assert not ops.all_finite(np.array([[1, np.nan]], np.float32)[:, ::-1])   # not contiguous
    assert ops.all_finite(np.array([1e300]))        # finite float64 stays finite
    assert not ops.all_finite([1.0, float("inf")])
    assert ops.all_finite(np.arange(5))
    with pytest.raises(TypeError, match="all_finite: 'x' must be an array of numbers"):
        ops.all_finite(np.array(["a"]))


def test_zero_size_fills():
    assert ops.uniform((0, 3), seed=0).shape == (0, 3)
    assert ops.normal(0, seed=0, offset=2**64 - 1).shape == (0,)
    assert ops.bernoulli(np.zeros((2, 0), np.float32), seed=0).shape == (2, 0)


@pytest.mark.parametrize("call, error, match", [
    (lambda: ops.bernoulli(1.5, 3, seed=0), ValueError, r"'p' must be in \[0, 1\], got 1.5"),
    (lambda: ops.bernoulli(-0.1, 3, seed=0), ValueError, r"'p' must be in \[0, 1\]"),
    (lambda: ops.bernoulli(float("nan"), 3, seed=0), ValueError, "'p' must be finite"),
    (lambda: ops.bernoulli(np.array([0.5, np.nan]), seed=0), ValueError, r"'p' must be in \[0, 1\], got nan at flat index 1"),
    (lambda: ops.bernoulli(np.array([[0.5, 1.0], [2.0, 0.0]]), seed=0), ValueError, "got 2.0 at flat index 2"),
    (lambda: ops.bernoulli(np.full(3, 0.5), (4,), seed=0), ValueError, "'shape' .* differs from the shape of 'p'"),
    (lambda: ops.bernoulli(0.5, seed=0), ValueError, "pass 'shape' or 'out'"),
    (lambda: ops.bernoulli("a", 3, seed=0), TypeError, "'p' must be a real number"),
    (lambda: ops.normal(3, seed=0, std=-1), ValueError, "'std' must be >= 0, got -1.0"),
    (lambda: ops.normal(3, seed=0, std=float("nan")), ValueError, "'std' must be finite"),
    (lambda: ops.normal(3, seed=0, mean=float("inf")), ValueError, "'mean' must be finite"),
    (lambda: ops.uniform(3, seed=0, low=1, high=0), ValueError, "need low <= high"),
    (lambda: ops.uniform(3, seed=0, high=float("inf")), ValueError, "'high' must be finite"),
    (lambda: ops.uniform(3, seed=0, low=-1e39), ValueError, "'low' must be finite in float32"),
    (lambda: ops.uniform(3, seed=-1), ValueError, r"'seed' must be in \[0, 2\*\*64\)"),
    (lambda: ops.uniform(3, seed=2**64), ValueError, r"'seed' must be in \[0, 2\*\*64\)"),
    (lambda: ops.uniform(3, seed=1.5), TypeError, "'seed' must be an int"),
    (lambda: ops.uniform(3, seed=True), TypeError, "'seed' must be an int, got bool"),
    (lambda: ops.uniform(3, seed=0, stream="nope"), ValueError, "unknown stream 'nope'"),
    (lambda: ops.uniform(3, seed=0, stream=-2), ValueError, "'stream' must be in"),
    (lambda: ops.uniform(3, seed=0, offset=-1), ValueError, "'offset' must be in"),
    (lambda: ops.uniform(10, seed=0, offset=2**64 - 5), ValueError, "pass 2\\*\\*64"),
    (lambda: ops.uniform((-1, 2), seed=0), ValueError, "'shape' must not be negative"),
    (lambda: ops.uniform(-3, seed=0), ValueError, "'shape' must not be negative"),
    (lambda: ops.uniform("3", seed=0), TypeError, "'shape' must be an int or a tuple of ints"),
    (lambda: ops.uniform((2.5,), seed=0), TypeError, "'shape' must be an int or a tuple of ints"),
    (lambda: ops.uniform(3, seed=0, out=np.empty(3)), TypeError, "'out' must have dtype float32"),
    (lambda: ops.uniform(3, seed=0, out=np.empty(4, np.float32)), ValueError, r"'out' has shape \(4,\), expected \(3,\)"),
    (lambda: ops.uniform(3, seed=0, out=np.empty(6, np.float32)[::2]), ValueError, "C-contiguous"),
    (lambda: ops.uniform(3, seed=0, out=[0.0, 0.0, 0.0]), TypeError, "'out' must be a numpy.ndarray"),
    (lambda: ops.permutation(-1, seed=0), ValueError, "'n' must be >= 0"),
    (lambda: ops.permutation(2.0, seed=0), TypeError, "'n' must be an int"),
    (lambda: ops.permutation(10, seed=0, offset=2**63 - 9), ValueError, r"'offset' \+ n must be <= 2\*\*63"),
])
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_read_only_out_is_rejected():
    out = np.empty(3, np.float32)
    out.flags.writeable = False
    with pytest.raises(ValueError, match="normal: output 'out' is read-only"):
        ops.normal(3, seed=0, out=out)
    with pytest.raises(ValueError, match="normal: output 'out' is read-only"):
        _core.normal(out, 0, 0, 0, 0.0, 1.0)


def test_core_checks_its_arguments():
    out = np.empty(4, np.float32)
    with pytest.raises(TypeError, match="uniform: 'out' must have dtype float32"):
        _core.uniform(np.empty(4), 0, 0, 0, 0.0, 1.0)
    with pytest.raises(ValueError, match=r"normal: 'seed' must be in \[0, 2\*\*64\), got -1"):
        _core.normal(out, -1, 0, 0, 0.0, 1.0)
    with pytest.raises(TypeError, match="normal: 'offset' must be an int"):
        _core.normal(out, 0, 0, 1.0, 0.0, 1.0)
    with pytest.raises(ValueError, match="'std' must be >= 0"):
        _core.normal(out, 0, 0, 0, 0.0, -1.0)
    with pytest.raises(ValueError, match="'low' must be <= 'high'"):
        _core.uniform(out, 0, 0, 0, 1.0, 0.0)
    with pytest.raises(ValueError, match=r"'p' must be in \[0, 1\], got 2.0"):
        _core.bernoulli(out, None, 2.0, 0, 0, 0)
    with pytest.raises(ValueError, match="'p' has shape"):
        _core.bernoulli(out, np.zeros(3, np.float32), 0.0, 0, 0, 0)
    with pytest.raises(ValueError, match="output 'out' overlaps input 'p'"):
        _core.bernoulli(out, out, 0.0, 0, 0, 0)
    with pytest.raises(TypeError, match="permutation: 'out' must have dtype int64"):
        _core.permutation(np.empty(3, np.int32), 0, 0, 0)
    with pytest.raises(ValueError, match="permutation: 'out' must be 1-dimensional"):
        _core.permutation(np.empty((2, 2), np.int64), 0, 0, 0)
    with pytest.raises(TypeError, match="all_finite: 'x' must have dtype float32"):
        _core.all_finite(np.zeros(3))
    with pytest.raises(TypeError, match="all_finite: 'x' must be a numpy.ndarray"):
        _core.all_finite([1.0])


def test_global_thread_setting_is_restored():
    assert gm.get_num_threads() >= 1
