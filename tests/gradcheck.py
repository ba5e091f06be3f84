"""Finite-difference gradient checks shared by the tests.

    from gradcheck import numeric_grad, check_grad
    check_grad(lambda x: f(x).sum(), [x], [analytic_dx])
"""
import numpy as np


def numeric_grad(f, inputs, index, eps=1e-3):
    """Central differences of scalar f(*inputs) w.r.t. inputs[index], in float64."""
    inputs = [np.array(a, dtype=np.float64) for a in inputs]
    x = inputs[index]
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        plus = float(f(*inputs))
        flat[i] = old - eps
        minus = float(f(*inputs))
        flat[i] = old
        gflat[i] = (plus - minus) / (2 * eps)
    return grad


def check_grad(f, inputs, analytic, rtol=1e-3, atol=1e-4, eps=1e-3, which=None):
    """Assert that `analytic[j]` matches the numeric gradient of f w.r.t.
    inputs[which[j]] (all inputs by default), naming the worst element."""
    which = range(len(inputs)) if which is None else which
    for j, index in enumerate(which):
        want = numeric_grad(f, inputs, index, eps)
        got = np.asarray(analytic[j], dtype=np.float64)
        assert got.shape == want.shape, f"input {index}: gradient shape {got.shape} != {want.shape}"
        err = np.abs(got - want)
        bound = atol + rtol * np.abs(want)
        if not np.all(err <= bound):
            worst = np.unravel_index(np.argmax(err - bound), err.shape)
            raise AssertionError(
                f"input {index}: gradient mismatch at {worst}: analytic {got[worst]:.6g}, "
                f"numeric {want[worst]:.6g} (|diff| {err[worst]:.3g}, allowed {bound[worst]:.3g})")
