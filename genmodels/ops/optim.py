"""Fused, in-place optimiser updates with PyTorch's semantics.

Each call updates one parameter array and its state in a single pass of C
(torch.optim.SGD, Adam and AdamW, same formulas, float32 state). The
parameter and state arrays are modified in place, so they must already be
C-contiguous float32 NumPy arrays; the gradient may be any array-like of the
same shape. Results are bitwise identical for any thread count.
"""
import operator

import numpy as np

from .. import _core
from ._validate import as_f32

__all__ = ["sgd_step", "adam_step", "adamw_step"]


def _in_place(arr, func, name):
    """`arr` must be a C-contiguous float32 ndarray: it is updated in place."""
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"{func}: '{name}' must be a numpy.ndarray (updated in place), "
                        f"got {type(arr).__name__}")
    if arr.dtype != np.float32:
        raise TypeError(f"{func}: '{name}' must have dtype float32 (updated in place), got {arr.dtype}")
    if not arr.flags.c_contiguous:
        raise ValueError(f"{func}: '{name}' must be C-contiguous (updated in place)")
    return arr


def _real(value, func, name):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{func}: '{name}' must be a real number, got {type(value).__name__}")
    return float(value)


def _step(step, func):
    try:
        return operator.index(step)
    except TypeError:
        raise TypeError(f"{func}: 'step' must be an int, got {type(step).__name__}") from None


def sgd_step(param, grad, velocity=None, *, lr, momentum=0.0, dampening=0.0, weight_decay=0.0,
             nesterov=False, first_step=False):
    """One SGD update of `param` in place, as torch.optim.SGD does it.

        g = grad + weight_decay * param
        if momentum:  v = g on the first step, else momentum * v + (1 - dampening) * g
                      g = g + momentum * v   (nesterov)   or   g = v
        param -= lr * g

    param: float32 ndarray, any shape, updated in place.
    grad: array-like of param's shape.
    velocity: float32 ndarray of param's shape, updated in place; needed when
        momentum != 0 (its contents are ignored on the first step).
    lr, momentum, weight_decay >= 0; nesterov needs momentum > 0 and dampening == 0.
    first_step: True for the first update (PyTorch starts the buffer at g).
    Returns param.
    """
    func = "sgd_step"
    param = _in_place(param, func, "param")
    if velocity is not None:
        velocity = _in_place(velocity, func, "velocity")
    grad = as_f32(grad, func, "grad")
    _core.sgd_step(param, grad, velocity, _real(lr, func, "lr"), _real(momentum, func, "momentum"),
                   _real(dampening, func, "dampening"), _real(weight_decay, func, "weight_decay"),
                   bool(nesterov), bool(first_step))
    return param


def _adam(func, param, grad, m, v, step, lr, beta1, beta2, eps, weight_decay, decoupled):
    param = _in_place(param, func, "param")
    m = _in_place(m, func, "m")
    v = _in_place(v, func, "v")
    grad = as_f32(grad, func, "grad")
    _core.adam_step(param, grad, m, v, _step(step, func), _real(lr, func, "lr"),
                    _real(beta1, func, "beta1"), _real(beta2, func, "beta2"), _real(eps, func, "eps"),
                    _real(weight_decay, func, "weight_decay"), decoupled)
    return param


def adam_step(param, grad, m, v, *, step, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
    """One Adam update of `param` in place, as torch.optim.Adam does it (L2
    weight decay added to the gradient).

        g = grad + weight_decay * param
        m = beta1 * m + (1 - beta1) * g;   v = beta2 * v + (1 - beta2) * g^2
        param -= lr / (1 - beta1^step) * m / (sqrt(v) / sqrt(1 - beta2^step) + eps)

    param, m, v: float32 ndarrays of one shape, updated in place (m and v
    start at zero). grad: array-like of that shape. step: 1 for the first
    update. lr >= 0, 0 <= beta1, beta2 < 1, eps > 0, weight_decay >= 0.
    Returns param.
    """
    return _adam("adam_step", param, grad, m, v, step, lr, beta1, beta2, eps, weight_decay, False)


def adamw_step(param, grad, m, v, *, step, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2):
    """One AdamW update of `param` in place, as torch.optim.AdamW does it
    (decoupled weight decay): param *= 1 - lr * weight_decay, then the Adam
    update of `adam_step` with g = grad. Shapes and ranges as in adam_step.
    Returns param.
    """
    return _adam("adamw_step", param, grad, m, v, step, lr, beta1, beta2, eps, weight_decay, True)
