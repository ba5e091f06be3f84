"""Fused, in-place optimiser updates with PyTorch's semantics."""
import operator

from .. import _core
from ._validate import as_f32

__all__ = ["sgd_step", "adam_step", "adamw_step"]


def _param(param, func):
    if not hasattr(param, "dtype") or param.dtype != "float32" or not param.flags.c_contiguous:
        raise TypeError(f"{func}: 'param' must be a C-contiguous float32 numpy array (updated in place)")
    return param


def _check_range(value, name, func, low, high=None, low_open=False):
    value = float(value)
    ok = (value > low if low_open else value >= low) and (high is None or value < high)
    if not ok:
        bound = f"{'>' if low_open else '>='} {low}" + (f" and < {high}" if high is not None else "")
        raise ValueError(f"{func}: '{name}' must be {bound}, got {value}")
    return value


def sgd_step(param, grad, velocity=None, *, lr, momentum=0.0, dampening=0.0,
             weight_decay=0.0, nesterov=False, first_step=False):
    """One SGD update of `param` in place (torch.optim.SGD):
    g = grad + weight_decay*param; with momentum, v = g on the first step,
    else momentum*v + (1-dampening)*g, and g = g + momentum*v (Nesterov) or v;
    param -= lr*g. `velocity` (like param) is needed when momentum != 0."""
    func = "sgd_step"
    param = _param(param, func)
    lr = _check_range(lr, "lr", func, 0.0)
    momentum = _check_range(momentum, "momentum", func, 0.0)
    weight_decay = _check_range(weight_decay, "weight_decay", func, 0.0)
    if nesterov and (momentum == 0.0 or dampening != 0.0):
        raise ValueError(f"{func}: Nesterov momentum needs momentum > 0 and dampening == 0")
    grad = as_f32(grad, func, "grad")
    _core.sgd_step(param, grad, velocity, lr, momentum, float(dampening), weight_decay,
                   bool(nesterov), bool(first_step))


def _adam(func, param, grad, m, v, step, lr, beta1, beta2, eps, weight_decay, decoupled):
    param = _param(param, func)
    step = operator.index(step)
    if step < 1:
        raise ValueError(f"{func}: 'step' must be >= 1 (1 for the first update), got {step}")
    lr = _check_range(lr, "lr", func, 0.0)
    beta1 = _check_range(beta1, "beta1", func, 0.0, 1.0)
    beta2 = _check_range(beta2, "beta2", func, 0.0, 1.0)
    eps = _check_range(eps, "eps", func, 0.0, low_open=True)
    weight_decay = _check_range(weight_decay, "weight_decay", func, 0.0)
    grad = as_f32(grad, func, "grad")
    _core.adam_step(param, grad, m, v, step, lr, beta1, beta2, eps, weight_decay, decoupled)


def adam_step(param, grad, m, v, *, step, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
              weight_decay=0.0):
    """One Adam update in place (torch.optim.Adam: weight decay is added to
    the gradient). m, v: moment buffers like param; step counts from 1."""
    _adam("adam_step", param, grad, m, v, step, lr, beta1, beta2, eps, weight_decay, False)


def adamw_step(param, grad, m, v, *, step, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
               weight_decay=1e-2):
    """One AdamW update in place (torch.optim.AdamW: param *= 1 - lr*weight_decay
    before the Adam step)."""
    _adam("adamw_step", param, grad, m, v, step, lr, beta1, beta2, eps, weight_decay, True)
