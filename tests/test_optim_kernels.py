"""Fused optimiser steps against a float64 NumPy transcription of the
published update rules (the ones torch.optim implements)."""
import numpy as np
import pytest

from genmodels import ops


def numpy_sgd(p, grads, lr, momentum, dampening, wd, nesterov):
    p, v = p.astype(np.float64), None
    for g in grads:
        g = g + wd * p
        if momentum:
            v = g.copy() if v is None else momentum * v + (1 - dampening) * g
            g = g + momentum * v if nesterov else v
        p = p - lr * g
    return p


def numpy_adam(p, grads, lr, b1, b2, eps, wd, decoupled):
    p = p.astype(np.float64)
    m, v = np.zeros_like(p), np.zeros_like(p)
    for t, g in enumerate(grads, 1):
        if decoupled:
            p = p * (1 - lr * wd)
        else:
            g = g + wd * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        p = p - lr / (1 - b1**t) * m / (np.sqrt(v) / np.sqrt(1 - b2**t) + eps)
    return p


@pytest.mark.parametrize("momentum, dampening, wd, nesterov", [
    (0.0, 0.0, 0.0, False), (0.9, 0.0, 0.0, False), (0.9, 0.1, 1e-2, False), (0.9, 0.0, 1e-3, True)])
def test_sgd_matches_published_rule(momentum, dampening, wd, nesterov, rng):
    p0 = rng.standard_normal((7, 3)).astype(np.float32)
    grads = [rng.standard_normal(p0.shape).astype(np.float32) for _ in range(5)]
    p, v = p0.copy(), np.zeros_like(p0)
    for i, g in enumerate(grads):
        ops.sgd_step(p, g, v if momentum else None, lr=0.1, momentum=momentum, dampening=dampening,
                     weight_decay=wd, nesterov=nesterov, first_step=i == 0)
    np.testing.assert_allclose(p, numpy_sgd(p0, grads, 0.1, momentum, dampening, wd, nesterov), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("decoupled, wd", [(False, 0.0), (False, 1e-2), (True, 1e-2)])
def test_adam_and_adamw_match_published_rule(decoupled, wd, rng):
    p0 = rng.standard_normal(50).astype(np.float32)
    grads = [rng.standard_normal(50).astype(np.float32) for _ in range(6)]
    p, m, v = p0.copy(), np.zeros(50, np.float32), np.zeros(50, np.float32)
    step = ops.adamw_step if decoupled else ops.adam_step
    for t, g in enumerate(grads, 1):
        step(p, g, m, v, step=t, lr=1e-2, beta1=0.9, beta2=0.99, eps=1e-8, weight_decay=wd)
    want = numpy_adam(p0, grads, 1e-2, 0.9, 0.99, 1e-8, wd, decoupled)
    np.testing.assert_allclose(p, want, rtol=1e-5, atol=1e-6)


def test_matches_torch_when_available(rng):
    torch = pytest.importorskip("torch")
    p0 = rng.standard_normal(20).astype(np.float32)
    grads = [rng.standard_normal(20).astype(np.float32) for _ in range(4)]
    tp = torch.tensor(p0.copy(), requires_grad=True)
    opt = torch.optim.AdamW([tp], lr=1e-2, weight_decay=0.1)
    p, m, v = p0.copy(), np.zeros(20, np.float32), np.zeros(20, np.float32)
    for t, g in enumerate(grads, 1):
        tp.grad = torch.tensor(g)
        opt.step()
        ops.adamw_step(p, g, m, v, step=t, lr=1e-2, weight_decay=0.1)
    np.testing.assert_allclose(p, tp.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_large_update_identical_with_one_and_two_threads(rng, with_threads):
    p0 = rng.standard_normal(200_000).astype(np.float32)
    g = rng.standard_normal(p0.size).astype(np.float32)
    results = []
    for n in (1, 2):
        p, m, v = p0.copy(), np.zeros_like(p0), np.zeros_like(p0)
        with_threads(n, ops.adam_step, p, g, m, v, step=1)
        results.append(p)
    np.testing.assert_array_equal(*results)


def test_bad_input():
    p = np.zeros(4, np.float32)
    g = np.zeros(4, np.float32)
    with pytest.raises(ValueError, match="'lr' must be >= 0"):
        ops.sgd_step(p, g, lr=-1)
    with pytest.raises(ValueError, match="Nesterov"):
        ops.sgd_step(p, g, np.zeros(4, np.float32), lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="'velocity' is needed"):
        ops.sgd_step(p, g, None, lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match="'beta1' must be >= 0.0 and < 1.0"):
        ops.adam_step(p, g, p.copy(), p.copy(), step=1, beta1=1.0)
    with pytest.raises(ValueError, match="'step' must be >= 1"):
        ops.adam_step(p, g, p.copy(), p.copy(), step=0)
    with pytest.raises(ValueError, match=r"'grad' has shape \(3,\), expected \(4,\)"):
        ops.adam_step(p, np.zeros(3), p.copy(), p.copy(), step=1)
    with pytest.raises(ValueError, match="'m' and 'v' must be different"):
        m = np.zeros(4, np.float32)
        ops.adam_step(p, g, m, m, step=1)
    with pytest.raises(TypeError, match="'param' must be a C-contiguous float32"):
        ops.adam_step(np.zeros(4), g, p.copy(), p.copy(), step=1)
