"""Layers that reshape, drop out or condition on labels."""
import operator

import numpy as np

from .. import _seed, ops
from .init import InitStream
from .module import Module

__all__ = ["Flatten", "Reshape", "Dropout", "ConcatLabels", "one_hot"]


class Flatten(Module):
    """(N, d1, d2, ...) -> (N, d1*d2*...)."""

    def __init__(self):
        self._shape = None

    def forward(self, x, training=None):
        x = np.asarray(x, dtype=np.float32)
        self._shape = x.shape
        return x.reshape(len(x), -1)

    def backward(self, grad_out):
        return np.asarray(grad_out).reshape(self._shape)


class Reshape(Module):
    """(N, ...) -> (N, *shape)."""

    def __init__(self, *shape):
        if len(shape) == 1 and not np.isscalar(shape[0]):
            shape = tuple(shape[0])
        self.shape = tuple(operator.index(s) for s in shape)
        if any(s < 1 for s in self.shape):
            raise ValueError(f"Reshape: sizes must be >= 1, got {self.shape}")
        self._shape = None

    def get_config(self):
        return {"shape": list(self.shape)}

    def __repr__(self):
        return f"Reshape{self.shape}"

    def forward(self, x, training=None):
        x = np.asarray(x, dtype=np.float32)
        if int(np.prod(x.shape[1:])) != int(np.prod(self.shape)):
            raise ValueError(f"Reshape: cannot reshape {x.shape[1:]} per example into {self.shape}")
        self._shape = x.shape
        return x.reshape((len(x),) + self.shape)

    def backward(self, grad_out):
        return np.asarray(grad_out).reshape(self._shape)


class Dropout(Module):
    """Zeroes each value with probability p in training and scales the rest
    by 1/(1-p) (inverted dropout); the identity in evaluation. Masks come
    from the "dropout" stream of `seed`, a fresh range for every call, so a
    layer built with the same seed draws the same masks. Layers built
    without a seed share the global one (gm.seed) and each take their own
    range of it; give seeded layers of one model distinct seeds."""

    def __init__(self, p=0.5, seed=None):
        if not 0.0 <= p < 1.0:
            raise ValueError(f"Dropout: 'p' must be in [0, 1), got {p}")
        self.p = float(p)
        self._given_seed = None if seed is None else _seed.resolve_seed(seed)
        self.seed = _seed.resolve_seed(seed)
        # unseeded layers: a lane of the global seed, numbered from gm.seed() on
        self._offset = 0 if seed is not None else (InitStream(None).take(1) + 1) << 40
        self._mask = None

    def get_config(self):
        config = {"p": self.p}
        if self._given_seed is not None:
            config["seed"] = self._given_seed
        return config

    def forward(self, x, training=None):
        x = np.ascontiguousarray(x, dtype=np.float32)
        if not self._is_training(training) or self.p == 0.0:
            self._mask = None
            return x.copy()
        self._mask = ops.bernoulli(1.0 - self.p, x.shape, seed=self.seed, stream="dropout",
                                   offset=self._offset)
        self._offset += x.size
        self._mask *= 1.0 / (1.0 - self.p)
        return x * self._mask

    def backward(self, grad_out):
        grad_out = np.asarray(grad_out, dtype=np.float32)
        return grad_out.copy() if self._mask is None else grad_out * self._mask


def one_hot(labels, n_classes):
    """(N,) integer labels in [0, n_classes) -> (N, n_classes) float32."""
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"one_hot: 'labels' must be integers, got dtype {labels.dtype}")
    labels = labels.reshape(-1)
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(f"one_hot: 'labels' must be in [0, {n_classes}), got values in "
                         f"[{labels.min()}, {labels.max()}]")
    out = np.zeros((labels.size, n_classes), np.float32)
    out[np.arange(labels.size), labels] = 1.0
    return out


class ConcatLabels(Module):
    """Appends a one-hot label to each input, as conditional GANs do: for
    (N, D) inputs as n_classes more features, for (N, C, H, W) inputs as
    n_classes more constant planes. forward(x, labels=...); backward returns
    the gradient of x alone."""

    def __init__(self, n_classes):
        self.n_classes = operator.index(n_classes)
        if self.n_classes < 1:
            raise ValueError(f"ConcatLabels: 'n_classes' must be >= 1, got {n_classes}")
        self._split = None

    def get_config(self):
        return {"n_classes": self.n_classes}

    def forward(self, x, training=None, labels=None):
        if labels is None:
            raise ValueError("ConcatLabels: 'labels' are required")
        x = np.asarray(x, dtype=np.float32)
        hot = one_hot(labels, self.n_classes)
        if len(hot) != len(x):
            raise ValueError(f"ConcatLabels: {len(hot)} labels for {len(x)} inputs")
        self._split = x.shape[1]
        if x.ndim == 2:
            return np.concatenate([x, hot], axis=1)
        if x.ndim == 4:
            planes = np.broadcast_to(hot[:, :, None, None], hot.shape + x.shape[2:])
            return np.concatenate([x, planes], axis=1)
        raise ValueError(f"ConcatLabels: inputs must be (N, D) or (N, C, H, W), got shape {x.shape}")

    def __call__(self, x, training=None, labels=None):
        return self.forward(x, training, labels)

    def backward(self, grad_out):
        return np.ascontiguousarray(np.asarray(grad_out)[:, :self._split])
