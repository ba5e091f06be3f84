"""Pointwise activations, bias add and bias gradient."""

from .. import _core
from ._validate import as_f32, out_f32

__all__ = ["ACTIVATIONS", "activation_forward", "activation_backward", "bias_add", "bias_grad"]

# Activation names -> kernel codes (csrc/activations.h).
ACTIVATIONS = {"relu": 0, "leaky_relu": 1, "sigmoid": 2, "tanh": 3, "softplus": 4}
_NEEDS_INPUT = {"relu", "leaky_relu", "softplus"}


def _kind_code(kind, func):
    try:
        return ACTIVATIONS[kind]
    except (KeyError, TypeError):
        raise ValueError(f"{func}: 'kind' must be one of {sorted(ACTIVATIONS)}, got {kind!r}") from None


def activation_forward(x, kind, *, alpha=0.01, out=None):
    """y = f(x) for f in ACTIVATIONS ("leaky_relu" uses slope `alpha` below 0).

    x: any shape. out: same shape, may be `x` itself (in place).
    """
    code = _kind_code(kind, "activation_forward")
    x = as_f32(x, "activation_forward", "x")
    out = out_f32(out, x.shape, "activation_forward")
    return _core.activation_forward(x, out, code, float(alpha))


def activation_backward(grad_out, kind, *, x=None, y=None, alpha=0.01, out=None):
    """Gradient of the activation w.r.t. its input.

    relu, leaky_relu and softplus need `x` (the forward input); sigmoid and
    tanh need `y` (the forward output). out may be `grad_out` (in place).
    """
    func = "activation_backward"
    code = _kind_code(kind, func)
    grad_out = as_f32(grad_out, func, "grad_out")
    if kind in _NEEDS_INPUT:
        if x is None:
            raise ValueError(f"{func}: kind {kind!r} needs the forward input 'x'")
        x, y = as_f32(x, func, "x"), None
    else:
        if y is None:
            raise ValueError(f"{func}: kind {kind!r} needs the forward output 'y'")
        x, y = None, as_f32(y, func, "y")
    out = out_f32(out, grad_out.shape, func)
    return _core.activation_backward(grad_out, x, y, out, code, float(alpha))


def bias_add(x, bias, out=None):
    """out = x + bias broadcast over channels: x (N, C) or (N, C, *spatial), bias (C,).
    out may be `x` itself."""
    x = as_f32(x, "bias_add", "x")
    if x.ndim < 2:
        raise ValueError(f"bias_add: 'x' must be (N, C, ...), got shape {x.shape}")
    bias = as_f32(bias, "bias_add", "bias", ndim=1)
    out = out_f32(out, x.shape, "bias_add")
    return _core.bias_add(x, bias, out)


def bias_grad(grad_out, out=None, *, accumulate=False):
    """Sum of grad_out (N, C, ...) over every dimension but C -> (C,).
    With accumulate=True the sum is added into `out`."""
    grad_out = as_f32(grad_out, "bias_grad", "grad_out")
    if grad_out.ndim < 2:
        raise ValueError(f"bias_grad: 'grad_out' must be (N, C, ...), got shape {grad_out.shape}")
    if accumulate and out is None:
        raise ValueError("bias_grad: accumulate=True needs 'out'")
    out = out_f32(out, (grad_out.shape[1],), "bias_grad")
    return _core.bias_grad(grad_out, out, bool(accumulate))
