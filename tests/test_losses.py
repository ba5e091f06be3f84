"""Losses against NumPy/SciPy references, gradients by finite differences."""
import numpy as np
import pytest
from gradcheck import check_grad
from scipy.special import log_softmax

from genmodels import ops


def ref_bce(x, t):
    return np.sum(np.logaddexp(0, x) - x * t, axis=1)


def ref_kl(mu, lv):
    return 0.5 * np.sum(np.exp(lv) + mu**2 - 1 - lv, axis=1)


def ref_nll(mean, target, lv):
    return 0.5 * np.sum(np.log(2 * np.pi) + lv + (target - mean) ** 2 / np.exp(lv), axis=1)


def test_bce_with_logits(rng):
    x = (rng.standard_normal((5, 7)) * 3).astype(np.float32)
    t = rng.uniform(size=(5, 7)).astype(np.float32)
    losses, grad = ops.bce_with_logits(x, t, scale=0.5)
    np.testing.assert_allclose(losses, ref_bce(x.astype(np.float64), t), rtol=1e-5)
    check_grad(lambda v: 0.5 * ref_bce(v, t).sum(), [x], [grad])


def test_bce_stable_at_extreme_logits():
    x = np.array([[-1e4, -100, 100, 1e4]], np.float32)
    t = np.array([[1, 0, 1, 0]], np.float32)
    losses, grad = ops.bce_with_logits(x, t)
    np.testing.assert_allclose(losses, [1e4 + 0 + 0 + 1e4], rtol=1e-6)
    np.testing.assert_allclose(grad, [[-1, 0, 0, 1]], atol=1e-6)


def test_bce_on_images_sums_over_pixels(rng):
    x = rng.standard_normal((3, 1, 4, 4)).astype(np.float32)
    t = (rng.uniform(size=x.shape) > 0.5).astype(np.float32)
    losses, grad = ops.bce_with_logits(x, t)
    np.testing.assert_allclose(losses, ref_bce(x.reshape(3, -1).astype(np.float64), t.reshape(3, -1)), rtol=1e-5)
    assert grad.shape == x.shape


def test_mse(rng):
    p, t = rng.standard_normal((4, 6)).astype(np.float32), rng.standard_normal((4, 6)).astype(np.float32)
    losses, grad = ops.mse(p, t, scale=0.25)
    np.testing.assert_allclose(losses, ((p - t) ** 2).sum(1), rtol=1e-5)
    check_grad(lambda v: 0.25 * ((v - t) ** 2).sum(), [p], [grad])


def test_softmax_cross_entropy(rng):
    x = (rng.standard_normal((6, 4)) * 5).astype(np.float32)
    y = rng.integers(0, 4, 6)
    losses, grad = ops.softmax_cross_entropy(x, y, scale=1 / 6)
    want = -log_softmax(x.astype(np.float64), axis=1)[np.arange(6), y]
    np.testing.assert_allclose(losses, want, rtol=1e-5, atol=1e-6)
    check_grad(lambda v: (-log_softmax(v, axis=1)[np.arange(6), y]).sum() / 6, [x], [grad])
    big, _ = ops.softmax_cross_entropy(np.array([[1e4, -1e4]], np.float32), [1])
    np.testing.assert_allclose(big, [2e4], rtol=1e-6)


def test_gaussian_kl(rng):
    mu, lv = rng.standard_normal((5, 3)).astype(np.float32), rng.standard_normal((5, 3)).astype(np.float32)
    losses, gmu, glv = ops.gaussian_kl(mu, lv, scale=2.0)
    np.testing.assert_allclose(losses, ref_kl(mu.astype(np.float64), lv), rtol=1e-5)
    check_grad(lambda m, v: 2 * ref_kl(m, v).sum(), [mu, lv], [gmu, glv])
    zero, _, _ = ops.gaussian_kl(np.zeros((2, 4)), np.zeros((2, 4)))
    np.testing.assert_array_equal(zero, [0, 0])


@pytest.mark.parametrize("layout", ["full", "per_feature", "scalar"])
def test_gaussian_nll(layout, rng):
    mean, target = rng.standard_normal((4, 5)).astype(np.float32), rng.standard_normal((4, 5)).astype(np.float32)
    lv = {"full": rng.standard_normal((4, 5)), "per_feature": rng.standard_normal(5),
          "scalar": rng.standard_normal(1)}[layout].astype(np.float32)
    losses, gm_, glv = ops.gaussian_nll(mean, target, lv, scale=0.5)
    full = np.broadcast_to(lv.astype(np.float64), (4, 5))
    np.testing.assert_allclose(losses, ref_nll(mean.astype(np.float64), target, full), rtol=1e-5)
    assert glv.shape == lv.shape

    def loss(m, v):
        return 0.5 * ref_nll(m, target, np.broadcast_to(v, (4, 5))).sum()
    check_grad(loss, [mean, lv], [gm_, glv])


def test_no_gradient_requested(rng):
    x = rng.standard_normal((3, 2)).astype(np.float32)
    losses, grad = ops.mse(x, x, compute_grad=False)
    assert grad is None
    np.testing.assert_array_equal(losses, 0)


def test_identical_with_one_and_two_threads(rng, with_threads):
    x = rng.standard_normal((512, 784)).astype(np.float32)
    t = rng.uniform(size=x.shape).astype(np.float32)
    a = with_threads(1, ops.bce_with_logits, x, t)
    b = with_threads(2, ops.bce_with_logits, x, t)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_bad_input():
    x = np.zeros((2, 3), np.float32)
    with pytest.raises(ValueError, match=r"'labels' must be in \[0, 3\), got 3 at index 1"):
        ops.softmax_cross_entropy(x, [0, 3])
    with pytest.raises(ValueError, match=r"'labels' must be in \[0, 3\), got -1"):
        ops.softmax_cross_entropy(x, [-1, 0])
    with pytest.raises(TypeError, match="'labels' must be integers"):
        ops.softmax_cross_entropy(x, [0.5, 1.0])
    with pytest.raises(ValueError, match=r"'targets' has shape \(2, 4\), expected \(2, 3\)"):
        ops.bce_with_logits(x, np.zeros((2, 4)))
    with pytest.raises(ValueError, match="'logvar' has shape"):
        ops.gaussian_nll(x, x, np.zeros(2))
    with pytest.raises(ValueError, match="'grad' has shape"):
        ops.mse(x, x, grad=np.zeros((3, 2), np.float32))


def test_zero_size_batch():
    losses, grad = ops.bce_with_logits(np.zeros((0, 5)), np.zeros((0, 5)))
    assert losses.shape == (0,) and grad.shape == (0, 5)
