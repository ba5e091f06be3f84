"""Pointwise activation layers."""
import numpy as np

from .. import ops
from .module import Module

__all__ = ["ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Softplus"]


class _Activation(Module):
    kind = None
    _needs_output = False   # backward reads y instead of x

    def __init__(self):
        self._saved = None
        self.alpha = 0.0

    def forward(self, x, training=None):
        x = np.ascontiguousarray(x, dtype=np.float32)
        y = ops.activation_forward(x, self.kind, alpha=self.alpha)
        self._saved = y if self._needs_output else x
        return y

    def backward(self, grad_out):
        if self._needs_output:
            return ops.activation_backward(grad_out, self.kind, y=self._saved)
        return ops.activation_backward(grad_out, self.kind, x=self._saved, alpha=self.alpha)


class ReLU(_Activation):
    kind = "relu"


class LeakyReLU(_Activation):
    """max(x, 0) + negative_slope * min(x, 0)."""
    kind = "leaky_relu"

    def __init__(self, negative_slope=0.01):
        super().__init__()
        if not np.isfinite(negative_slope):
            raise ValueError(f"LeakyReLU: 'negative_slope' must be finite, got {negative_slope}")
        self.alpha = float(negative_slope)

    def get_config(self):
        return {"negative_slope": self.alpha}


class Sigmoid(_Activation):
    kind = "sigmoid"
    _needs_output = True


class Tanh(_Activation):
    kind = "tanh"
    _needs_output = True


class Softplus(_Activation):
    kind = "softplus"
