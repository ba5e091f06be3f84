"""Batch normalisation against the NumPy formula and PyTorch's running-stat
rule, with gradients checked by finite differences."""
import numpy as np
import pytest
from gradcheck import check_grad

from genmodels import _core, ops


def reference_bn(x, gamma, beta, eps=1e-5):
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    mean = x.mean(axis=axes)
    var = x.var(axis=axes)
    return (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) * gamma.reshape(shape) + beta.reshape(shape)


def state(c):
    return np.zeros(c, np.float32), np.ones(c, np.float32)


@pytest.mark.parametrize("shape", [(8, 3), (70, 130), (5, 4, 3, 2), (2, 3, 5, 5)])   # 130: blocks of 64 and a rest
def test_training_forward_and_running_stats(shape, rng):
    x = (rng.standard_normal(shape) * 3 + 1).astype(np.float32)
    c = shape[1]
    gamma, beta = rng.standard_normal(c).astype(np.float32), rng.standard_normal(c).astype(np.float32)
    rm, rv = state(c)
    out, mean, invstd = ops.batchnorm_forward(x, gamma, beta, rm, rv, training=True, momentum=0.1)
    np.testing.assert_allclose(out, reference_bn(x.astype(np.float64), gamma, beta), rtol=1e-4, atol=1e-4)
    axes = (0,) + tuple(range(2, x.ndim))
    count = x.size // c
    np.testing.assert_allclose(rm, 0.1 * x.mean(axis=axes, dtype=np.float64), rtol=1e-5, atol=1e-6)
    unbiased = x.var(axis=axes, dtype=np.float64) * count / (count - 1)
    np.testing.assert_allclose(rv, 0.9 + 0.1 * unbiased, rtol=1e-5)
    np.testing.assert_allclose(invstd, 1 / np.sqrt(x.var(axis=axes, dtype=np.float64) + 1e-5), rtol=1e-5)


def test_eval_uses_running_stats(rng):
    x = rng.standard_normal((6, 3)).astype(np.float32)
    gamma, beta = np.full(3, 2, np.float32), np.full(3, 0.5, np.float32)
    rm, rv = np.array([1, 2, 3], np.float32), np.array([4, 1, 0.25], np.float32)
    out, _, _ = ops.batchnorm_forward(x, gamma, beta, rm, rv, training=False)
    np.testing.assert_allclose(out, (x - rm) / np.sqrt(rv + 1e-5) * 2 + 0.5, rtol=1e-5)
    np.testing.assert_array_equal(rm, [1, 2, 3])


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("shape", [(6, 3), (5, 70), (3, 2, 3, 4)])
def test_backward_matches_finite_differences(shape, training, rng):
    x = rng.standard_normal(shape).astype(np.float32)
    c = shape[1]
    gamma = rng.uniform(0.5, 2, c).astype(np.float32)
    beta = rng.standard_normal(c).astype(np.float32)
    rm, rv = rng.standard_normal(c).astype(np.float32), rng.uniform(0.5, 2, c).astype(np.float32)
    w = rng.standard_normal(shape)
    _, mean, invstd = ops.batchnorm_forward(x, gamma, beta, rm.copy(), rv.copy(), training=training)
    dx, dg, db = ops.batchnorm_backward(w.astype(np.float32), x, gamma, mean, invstd, training=training)
    bshape = (1, -1) + (1,) * (len(shape) - 2)

    def loss(x_, g_, b_):
        if training:
            y = reference_bn(x_, g_, b_)
        else:
            y = (x_ - rm.reshape(bshape)) / np.sqrt(rv.reshape(bshape) + 1e-5) * g_.reshape(bshape) + b_.reshape(bshape)
        return np.sum(w * y)

    check_grad(loss, [x, gamma, beta], [dx, dg, db], rtol=2e-3, atol=2e-3)


def test_gradients_accumulate(rng):
    x = rng.standard_normal((4, 2)).astype(np.float32)
    g = np.ones(2, np.float32)
    _, mean, invstd = ops.batchnorm_forward(x, g, g, *state(2), training=True)
    dg, db = np.full(2, 10, np.float32), np.full(2, 10, np.float32)
    dy = rng.standard_normal((4, 2)).astype(np.float32)
    _, fresh_dg, fresh_db = ops.batchnorm_backward(dy, x, g, mean, invstd)
    ops.batchnorm_backward(dy, x, g, mean, invstd, grad_gamma=dg, grad_beta=db)
    np.testing.assert_allclose(dg, fresh_dg + 10, rtol=1e-6)
    np.testing.assert_allclose(db, fresh_db + 10, rtol=1e-6)


@pytest.mark.parametrize("shape", [(64, 32, 14, 14), (256, 1030)])   # images; (N, C) in channel blocks
def test_identical_with_one_and_two_threads_and_both_isas(shape, rng, with_threads):
    x = rng.standard_normal(shape).astype(np.float32)
    c = shape[1]
    g, b = rng.random(c, dtype=np.float32) + 0.5, rng.standard_normal(c).astype(np.float32)

    def run(threads):
        rm, rv = state(c)
        out, mean, invstd = with_threads(threads, ops.batchnorm_forward, x, g, b, rm, rv, training=True)
        dx, dg, db = with_threads(threads, ops.batchnorm_backward, x, x, g, mean, invstd)
        return out, rm, rv, dx, dg, db

    results = [run(1), run(2)]
    _core._set_cpu_allowed(0)          # the portable bodies, not the AVX2 ones
    try:
        results.append(run(2))
    finally:
        _core._set_cpu_allowed(~0 & 0xFFFFFFFF)
    for one, *others in zip(*results):
        for other in others:
            np.testing.assert_array_equal(one, other)


def test_bad_input():
    x = np.ones((4, 3), np.float32)
    g = np.ones(3, np.float32)
    with pytest.raises(ValueError, match=r"'gamma' has shape \(2,\), expected \(3,\)"):
        ops.batchnorm_forward(x, np.ones(2), g, *state(3), training=True)
    with pytest.raises(ValueError, match="more than one value per channel"):
        ops.batchnorm_forward(np.ones((1, 3), np.float32), g, g, *state(3), training=True)
    with pytest.raises(ValueError, match="'x' must be"):
        ops.batchnorm_forward(np.ones((2, 3, 4), np.float32), g, g, *state(3), training=True)
    with pytest.raises(ValueError, match="'momentum'"):
        ops.batchnorm_forward(x, g, g, *state(3), training=True, momentum=2)
    with pytest.raises(TypeError, match="'running_mean' must have dtype float32"):
        ops.batchnorm_forward(x, g, g, np.zeros(3), np.ones(3, np.float32), training=True)
