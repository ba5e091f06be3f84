"""Fused optimiser steps against a float64 NumPy transcription of the
published update rules (those torch.optim implements), against torch.optim
itself when it is installed, thread and ISA independence, and bad input."""
import itertools

import numpy as np
import pytest

from genmodels import _core, ops

ALL_ISA = ~0 & 0xFFFFFFFF
STEPS = 5


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


def problem(rng, shape=(7, 3)):
    p0 = rng.standard_normal(shape).astype(np.float32)
    grads = [rng.standard_normal(shape).astype(np.float32) for _ in range(STEPS)]
    return p0, grads


def run_sgd(p0, grads, **kw):
    p, v = p0.copy(), np.zeros_like(p0)
    for i, g in enumerate(grads):
        ops.sgd_step(p, g, v if kw.get("momentum") else None, first_step=i == 0, **kw)
    return p


def run_adam(p0, grads, decoupled, **kw):
    p, m, v = p0.copy(), np.zeros_like(p0), np.zeros_like(p0)
    step = ops.adamw_step if decoupled else ops.adam_step
    for t, g in enumerate(grads, 1):
        assert step(p, g, m, v, step=t, **kw) is p
    return p


SGD_CASES = [dict(momentum=m, dampening=d, weight_decay=wd, nesterov=n)
             for m, d, wd, n in itertools.product([0.0, 0.9], [0.0, 0.3], [0.0, 1e-2], [False, True])
             if not (n and (m == 0 or d != 0))]
ADAM_CASES = [dict(decoupled=dec, weight_decay=wd, beta1=b1, beta2=b2)
              for dec, wd, (b1, b2) in itertools.product([False, True], [0.0, 0.1], [(0.9, 0.999), (0.5, 0.9), (0.0, 0.99)])]


def case_id(case):
    return ",".join(f"{k}={v}" for k, v in case.items())


@pytest.mark.parametrize("case", SGD_CASES, ids=case_id)
def test_sgd_matches_published_rule(case, rng):
    p0, grads = problem(rng)
    want = numpy_sgd(p0, grads, 0.1, case["momentum"], case["dampening"], case["weight_decay"], case["nesterov"])
    # float32 arithmetic over five steps of O(1) values: a few ulps
    np.testing.assert_allclose(run_sgd(p0, grads, lr=0.1, **case), want, rtol=2e-6, atol=2e-6)


@pytest.mark.parametrize("case", ADAM_CASES, ids=case_id)
def test_adam_and_adamw_match_published_rule(case, rng):
    p0, grads = problem(rng, (50,))
    case = dict(case)
    decoupled = case.pop("decoupled")
    want = numpy_adam(p0, grads, 1e-2, case["beta1"], case["beta2"], 1e-8, case["weight_decay"], decoupled)
    np.testing.assert_allclose(run_adam(p0, grads, decoupled, lr=1e-2, eps=1e-8, **case), want, rtol=2e-6, atol=2e-6)


def test_sgd_velocity_holds_the_buffer(rng):
    p0, grads = problem(rng, (4,))
    p, v = p0.copy(), np.full(4, 123.0, np.float32)   # ignored on the first step
    ops.sgd_step(p, grads[0], v, lr=0.1, momentum=0.9, first_step=True)
    np.testing.assert_array_equal(v, grads[0])
    ops.sgd_step(p, grads[1], v, lr=0.1, momentum=0.9, dampening=0.5)
    np.testing.assert_allclose(v, 0.9 * grads[0] + 0.5 * grads[1], rtol=1e-6)


def test_momentum_zero_leaves_velocity_alone_and_wd_zero_keeps_inf():
    p = np.array([1.0, np.inf], np.float32)
    v = np.array([7.0, 7.0], np.float32)
    ops.sgd_step(p, [1.0, 1.0], v, lr=0.5)
    np.testing.assert_array_equal(p, [0.5, np.inf])
    np.testing.assert_array_equal(v, [7.0, 7.0])


def test_adamw_decays_with_zero_gradient_and_adam_does_not_move():
    p, m, v = np.full(3, 2.0, np.float32), np.zeros(3, np.float32), np.zeros(3, np.float32)
    ops.adamw_step(p, np.zeros(3), m, v, step=1, lr=0.1, weight_decay=0.5)
    np.testing.assert_allclose(p, 2.0 * (1 - 0.1 * 0.5), rtol=1e-7)
    ops.adam_step(p, np.zeros(3), m, v, step=2, lr=0.1)
    np.testing.assert_allclose(p, 1.9, rtol=1e-7)


@pytest.mark.parametrize("shape", [(), (0,), (3, 0, 2), (2, 3, 4, 5), (70_001,)])
def test_any_shape(shape, rng):
    p0, grads = problem(rng, shape)
    want = numpy_adam(p0, grads, 1e-3, 0.9, 0.999, 1e-8, 0.0, False)
    np.testing.assert_allclose(run_adam(p0, grads, False), want, rtol=2e-6, atol=2e-6)
    want = numpy_sgd(p0, grads, 0.1, 0.9, 0.0, 0.0, True)
    np.testing.assert_allclose(run_sgd(p0, grads, lr=0.1, momentum=0.9, nesterov=True), want, rtol=2e-6, atol=2e-6)


def test_grad_may_be_any_array_like(rng):
    p0, grads = problem(rng, (3,))
    a, b = p0.copy(), p0.copy()
    ops.sgd_step(a, grads[0].astype(np.float64).tolist(), lr=0.1)
    ops.sgd_step(b, grads[0], lr=0.1)
    np.testing.assert_array_equal(a, b)


TORCH_SGD = [c for c in SGD_CASES]


@pytest.mark.parametrize("case", TORCH_SGD, ids=case_id)
def test_sgd_matches_torch(case, rng):
    torch = pytest.importorskip("torch")
    p0, grads = problem(rng, (40,))
    tp = torch.tensor(p0.copy(), requires_grad=True)
    opt = torch.optim.SGD([tp], lr=0.1, **case)
    for g in grads:
        tp.grad = torch.tensor(g)
        opt.step()
    np.testing.assert_allclose(run_sgd(p0, grads, lr=0.1, **case), tp.detach().numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("case", ADAM_CASES, ids=case_id)
def test_adam_and_adamw_match_torch(case, rng):
    torch = pytest.importorskip("torch")
    p0, grads = problem(rng, (40,))
    case = dict(case)
    decoupled = case.pop("decoupled")
    b1, b2, wd = case["beta1"], case["beta2"], case["weight_decay"]
    tp = torch.tensor(p0.copy(), requires_grad=True)
    cls = torch.optim.AdamW if decoupled else torch.optim.Adam
    opt = cls([tp], lr=1e-2, betas=(b1, b2), eps=1e-8, weight_decay=wd)
    for g in grads:
        tp.grad = torch.tensor(g)
        opt.step()
    ours = run_adam(p0, grads, decoupled, lr=1e-2, eps=1e-8, **case)
    np.testing.assert_allclose(ours, tp.detach().numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("algo", ["sgd", "nesterov", "adam", "adamw"])
def test_identical_with_one_and_two_threads_and_both_isas(algo, rng, with_threads):
    p0, grads = problem(rng, (200_003,))

    def run():
        if algo in ("sgd", "nesterov"):
            return run_sgd(p0, grads, lr=0.1, momentum=0.9, weight_decay=1e-3, nesterov=algo == "nesterov")
        return run_adam(p0, grads, algo == "adamw", lr=1e-3, weight_decay=1e-2)

    one, two = with_threads(1, run), with_threads(2, run)
    _core._set_cpu_allowed(0)
    try:
        portable = with_threads(2, run)
    finally:
        _core._set_cpu_allowed(ALL_ISA)
    np.testing.assert_array_equal(one, two)
    np.testing.assert_array_equal(one, portable)


def z(n=4):
    return np.zeros(n, np.float32)


def read_only(n=4):
    a = z(n)
    a.flags.writeable = False
    return a


SHARED = z(8)

BAD = [
    (lambda: ops.sgd_step(z(), z(), lr=-1), ValueError, r"sgd_step: 'lr' must be finite and >= 0, got -1.0"),
    (lambda: ops.sgd_step(z(), z(), lr=float("nan")), ValueError, "'lr' must be finite"),
    (lambda: ops.sgd_step(z(), z(), lr="0.1"), TypeError, "'lr' must be a real number"),
    (lambda: ops.sgd_step(z(), z(), z(), lr=0.1, momentum=-0.5), ValueError, "'momentum' must be finite and >= 0"),
    (lambda: ops.sgd_step(z(), z(), lr=0.1, weight_decay=-1e-4), ValueError, "'weight_decay' must be finite and >= 0"),
    (lambda: ops.sgd_step(z(), z(), z(), lr=0.1, dampening=float("inf"), momentum=0.9), ValueError, "'dampening' must be finite"),
    (lambda: ops.sgd_step(z(), z(), z(), lr=0.1, nesterov=True), ValueError, "'momentum' must be > 0 with nesterov=True"),
    (lambda: ops.sgd_step(z(), z(), z(), lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), ValueError,
     "'dampening' must be 0 with nesterov=True"),
    (lambda: ops.sgd_step(z(), z(), None, lr=0.1, momentum=0.9), ValueError, "'velocity' is needed when momentum != 0"),
    (lambda: ops.sgd_step(z(), z(), np.zeros(4), lr=0.1, momentum=0.9), TypeError, "'velocity' must have dtype float32"),
    (lambda: ops.sgd_step(z(), z(), z(5), lr=0.1, momentum=0.9), ValueError, r"'velocity' has shape \(5,\), expected \(4,\)"),
    (lambda: ops.sgd_step(z(), z(), read_only(), lr=0.1, momentum=0.9), ValueError, "output 'velocity' is read-only"),
    (lambda: ops.sgd_step(z(), z(3), lr=0.1), ValueError, r"sgd_step: 'grad' has shape \(3,\), expected \(4,\)"),
    (lambda: ops.sgd_step(SHARED[:4], SHARED[2:6], lr=0.1), ValueError, "'grad' overlaps"),
    (lambda: ops.sgd_step(SHARED[:4], z(), SHARED[3:7], lr=0.1, momentum=0.9), ValueError, "'velocity' overlaps"),
    (lambda: ops.sgd_step(np.zeros(4), z(), lr=0.1), TypeError, "'param' must have dtype float32"),
    (lambda: ops.sgd_step([0.0], [0.0], lr=0.1), TypeError, "'param' must be a numpy.ndarray"),
    (lambda: ops.sgd_step(z(8)[::2], z(), lr=0.1), ValueError, "'param' must be C-contiguous"),
    (lambda: ops.sgd_step(read_only(), z(), lr=0.1), ValueError, "output 'param' is read-only"),
    (lambda: ops.adam_step(z(), z(), z(), z(), step=0), ValueError, r"adam_step: 'step' must be >= 1"),
    (lambda: ops.adam_step(z(), z(), z(), z(), step=1.0), TypeError, "'step' must be an int"),
    (lambda: ops.adam_step(z(), z(), z(), z(), step=1, beta1=1.0), ValueError, r"'beta1' must be in \[0, 1\), got 1.0"),
    (lambda: ops.adam_step(z(), z(), z(), z(), step=1, beta2=-0.1), ValueError, r"'beta2' must be in \[0, 1\)"),
    (lambda: ops.adam_step(z(), z(), z(), z(), step=1, beta2=float("nan")), ValueError, r"'beta2' must be in \[0, 1\)"),
    (lambda: ops.adam_step(z(), z(), z(), z(), step=1, eps=0.0), ValueError, "'eps' must be finite and > 0"),
    (lambda: ops.adam_step(z(), z(), z(), z(), step=1, lr=-1e-3), ValueError, "'lr' must be finite and >= 0"),
    (lambda: ops.adamw_step(z(), z(), z(), z(), step=1, weight_decay=-0.1), ValueError,
     "adamw_step: 'weight_decay' must be finite and >= 0"),
    (lambda: ops.adam_step(z(), np.zeros(3), z(), z(), step=1), ValueError, r"'grad' has shape \(3,\), expected \(4,\)"),
    (lambda: ops.adam_step(z(), z(), z(5), z(), step=1), ValueError, r"'m' has shape \(5,\), expected \(4,\)"),
    (lambda: ops.adam_step(z(), z(), z(), read_only(), step=1), ValueError, "output 'v' is read-only"),
    (lambda: ops.adam_step(z(), z(), SHARED[:4], SHARED[:4], step=1), ValueError, "'v' overlaps input 'm'"),
    (lambda: ops.adam_step(SHARED[:4], z(), SHARED[:4], z(), step=1), ValueError, "'m' overlaps input 'param'"),
    (lambda: ops.adam_step(z(), SHARED[:4], z(), SHARED[2:6], step=1), ValueError, "'v' overlaps input 'grad'"),
    (lambda: ops.adam_step(np.zeros(4), z(), z(), z(), step=1), TypeError, "'param' must have dtype float32"),
    (lambda: ops.adamw_step(z(), z(), np.zeros(4), z(), step=1), TypeError, "adamw_step: 'm' must have dtype float32"),
]


@pytest.mark.parametrize("call, error, match", BAD)
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_bad_input_leaves_everything_untouched():
    p, g, m = np.ones(4, np.float32), np.ones(4, np.float32), np.ones(4, np.float32)
    with pytest.raises(ValueError):
        ops.adam_step(p, g, m, m, step=1)
    with pytest.raises(ValueError):
        ops.adam_step(p, g, m, np.ones(4, np.float32), step=1, eps=-1.0)
    np.testing.assert_array_equal(p, 1.0)
    np.testing.assert_array_equal(m, 1.0)


def test_core_checks_its_arguments():
    with pytest.raises(TypeError, match="sgd_step: 'param' must be a numpy.ndarray"):
        _core.sgd_step([1.0], z(), None, 0.1, 0.0, 0.0, 0.0, False, False)
    with pytest.raises(ValueError, match="adam_step: 'step' must be >= 1"):
        _core.adam_step(z(), z(), z(), z(), -3, 0.1, 0.9, 0.999, 1e-8, 0.0, False)
    with pytest.raises(ValueError, match="'lr' must be finite and >= 0"):
        _core.sgd_step(z(), z(), None, float("inf"), 0.0, 0.0, 0.0, False, False)
