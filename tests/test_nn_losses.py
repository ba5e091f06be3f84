"""nn.losses: every reduction against a float64 NumPy reference, gradients
of the reduced value by central differences, and bad reductions."""
import numpy as np
import pytest
from gradcheck import check_grad
from scipy.special import log_softmax

from genmodels import nn

REDUCE = {"sum": np.sum, "mean": np.mean, "none": lambda v: v}


def per_example(name, *args):
    """float64 per-example losses (N,), summed over non-batch dims."""
    if name == "bce_with_logits":
        x, t = args
        v = np.logaddexp(0, x) - x * t
    elif name == "mse":
        p, t = args
        v = (p - t) ** 2
    elif name == "gaussian_kl":
        mu, lv = args
        v = 0.5 * (np.exp(lv) + mu**2 - 1 - lv)
    return v.reshape(len(v), -1).sum(axis=1)


def make_inputs(name, rng):
    a = rng.standard_normal((5, 2, 3)).astype(np.float32)
    if name == "bce_with_logits":
        return a, rng.uniform(size=a.shape).astype(np.float32)
    if name == "mse":
        return a, rng.standard_normal(a.shape).astype(np.float32)
    return a.reshape(5, 6), (0.5 * rng.standard_normal((5, 6))).astype(np.float32)


@pytest.mark.parametrize("reduction", ["sum", "mean", "none"])
@pytest.mark.parametrize("name", ["bce_with_logits", "mse", "gaussian_kl"])
def test_reductions_and_gradients(name, reduction, rng):
    inputs = make_inputs(name, rng)
    value, *grads = getattr(nn.losses, name)(*inputs, reduction=reduction)
    ref = REDUCE[reduction](per_example(name, *[i.astype(np.float64) for i in inputs]))
    np.testing.assert_allclose(value, ref, rtol=1e-5, atol=1e-5)
    if reduction == "none":
        assert np.shape(value) == (5,)
    else:
        assert isinstance(value, float)
    # "none" gives gradients of the sum of the per-example losses
    total = np.mean if reduction == "mean" else np.sum
    which = [0, 1] if name == "gaussian_kl" else [0]
    check_grad(lambda *v: total(per_example(name, *v)), list(inputs), grads, which=which)


@pytest.mark.parametrize("reduction", ["sum", "mean", "none"])
def test_cross_entropy(reduction, rng):
    logits = rng.standard_normal((7, 4)).astype(np.float32)
    labels = np.array([0, 3, 1, 1, 2, 0, 3])

    def ref(z):
        return -log_softmax(z, axis=1)[np.arange(7), labels]

    value, grad = nn.losses.cross_entropy(logits, labels, reduction=reduction)
    np.testing.assert_allclose(value, REDUCE[reduction](ref(logits.astype(np.float64))), rtol=1e-5)
    total = np.mean if reduction == "mean" else np.sum
    check_grad(lambda z: total(ref(z)), [logits], [grad])


def test_gaussian_nll_with_per_feature_logvar(rng):
    mean = rng.standard_normal((4, 3)).astype(np.float32)
    target = rng.standard_normal((4, 3)).astype(np.float32)
    logvar = np.array([0.1, -0.3, 0.5], np.float32)

    def ref(m, lv):
        return np.mean(0.5 * np.sum(np.log(2 * np.pi) + lv + (target - m) ** 2 / np.exp(lv), axis=1))

    value, gmean, glv = nn.losses.gaussian_nll(mean, target, logvar, reduction="mean")
    np.testing.assert_allclose(value, ref(mean.astype(np.float64), logvar.astype(np.float64)), rtol=1e-5)
    check_grad(ref, [mean, logvar], [gmean, glv])


def test_bad_reduction():
    x = np.zeros((2, 3), np.float32)
    with pytest.raises(ValueError, match=r"mse: 'reduction' must be one of"):
        nn.losses.mse(x, x, reduction="avg")
    with pytest.raises(ValueError, match=r"cross_entropy: 'reduction' must be one of"):
        nn.losses.cross_entropy(x, [0, 1], reduction=None)
