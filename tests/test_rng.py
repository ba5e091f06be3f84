"""Philox fills: distributions, addressing, thread-count independence."""
import numpy as np
import pytest
from scipy import stats

from genmodels import ops


def test_uniform_distribution():
    u = ops.uniform(200_000, seed=1, low=-2, high=3)
    assert u.dtype == np.float32 and u.min() >= -2 and u.max() < 3
    assert stats.kstest(u, stats.uniform(-2, 5).cdf).pvalue > 1e-3


def test_normal_distribution():
    z = ops.normal(200_000, seed=2, mean=1.5, std=2.0).astype(np.float64)
    # standard errors: mean 2/sqrt(n) ~ 0.0045, std ~ 0.0032
    assert abs(z.mean() - 1.5) < 0.02 and abs(z.std() - 2.0) < 0.015
    assert abs(stats.skew(z)) < 0.03 and abs(stats.kurtosis(z)) < 0.06
    assert stats.kstest(z, stats.norm(1.5, 2.0).cdf).pvalue > 1e-3


def test_bernoulli_scalar_and_per_element_p():
    b = ops.bernoulli(0.3, (100_000,), seed=3)
    assert set(np.unique(b)) == {0.0, 1.0} and abs(b.mean() - 0.3) < 0.006
    p = np.tile(np.array([0.0, 0.25, 0.9, 1.0], np.float32), 50_000)
    draws = ops.bernoulli(p, seed=4).reshape(-1, 4)
    np.testing.assert_allclose(draws.mean(0), [0, 0.25, 0.9, 1], atol=0.006)
    assert draws[:, 0].max() == 0 and draws[:, 3].min() == 1


@pytest.mark.parametrize("fill", ["uniform", "normal", "bernoulli"])
def test_offsets_continue_a_fill(fill):
    def draw(n, offset):
        if fill == "bernoulli":
            return ops.bernoulli(0.5, n, seed=9, stream=3, offset=offset)
        return getattr(ops, fill)(n, seed=9, stream=3, offset=offset)
    whole = draw(1000, 0)
    np.testing.assert_array_equal(whole, np.concatenate([draw(333, 0), draw(667, 333)]))


def test_same_address_same_values_and_streams_differ():
    a = ops.normal((5, 5), seed=7, stream="init")
    np.testing.assert_array_equal(a, ops.normal((5, 5), seed=7, stream=1))
    assert not np.array_equal(a, ops.normal((5, 5), seed=7, stream="dropout"))
    assert not np.array_equal(a, ops.normal((5, 5), seed=8, stream="init"))


def test_identical_with_one_and_two_threads(with_threads):
    for fill in (ops.uniform, ops.normal):
        np.testing.assert_array_equal(with_threads(1, fill, 300_001, seed=5),
                                      with_threads(2, fill, 300_001, seed=5))
    np.testing.assert_array_equal(with_threads(1, ops.bernoulli, 0.5, 300_001, seed=5),
                                  with_threads(2, ops.bernoulli, 0.5, 300_001, seed=5))


def test_permutation():
    p = ops.permutation(1000, seed=1)
    np.testing.assert_array_equal(np.sort(p), np.arange(1000))
    assert not np.array_equal(p, ops.permutation(1000, seed=2))
    np.testing.assert_array_equal(p, ops.permutation(1000, seed=1))
    # every position is equally likely to receive element 0
    firsts = np.array([np.argmax(ops.permutation(5, seed=1, offset=10 * i) == 0) for i in range(2000)])
    assert stats.chisquare(np.bincount(firsts, minlength=5)).pvalue > 1e-3
    assert ops.permutation(0, seed=0).shape == (0,)


def test_all_finite():
    x = np.ones(100_000, np.float32)
    assert ops.all_finite(x)
    x[77_777] = np.nan
    assert not ops.all_finite(x)
    x[77_777] = np.inf
    assert not ops.all_finite(x)


def test_bad_input():
    with pytest.raises(ValueError, match="'p' must be in"):
        ops.bernoulli(1.5, 3, seed=0)
    with pytest.raises(ValueError, match="'p' must be in"):
        ops.bernoulli(np.array([0.5, np.nan]), seed=0)
    with pytest.raises(ValueError, match="std >= 0"):
        ops.normal(3, seed=0, std=-1)
    with pytest.raises(ValueError, match="'seed' must be in"):
        ops.uniform(3, seed=-1)
    with pytest.raises(TypeError, match="'seed' must be an int"):
        ops.uniform(3, seed=1.5)
    with pytest.raises(ValueError, match="unknown stream"):
        ops.uniform(3, seed=0, stream="nope")
    with pytest.raises(ValueError, match="'shape' must not be negative"):
        ops.uniform((-1, 2), seed=0)
    with pytest.raises(ValueError, match="low <= high"):
        ops.uniform(3, seed=0, low=1, high=0)
