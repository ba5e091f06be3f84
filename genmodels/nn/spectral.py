"""Spectral normalisation of a layer's weight (Miyato et al. 2018)."""
import operator

import numpy as np

from .. import ops
from ..ops import rng
from .init import InitStream
from .layers import Conv2d, ConvTranspose2d, Linear
from .module import Module

__all__ = ["SpectralNorm"]

_INITIAL_ITERATIONS = 15    # power iterations at construction, as PyTorch does

# Products and norms go through genmodels' GEMM and einsum, never NumPy's
# BLAS, whose worker threads would keep spinning against the C kernels'.


def _dot(a, b):
    return float(np.einsum("i,i->", a.ravel(), b.ravel(), dtype=np.float64))


def _normalise(a, eps):
    return (a / max(np.sqrt(_dot(a, a)), eps)).astype(np.float32)


def _times(matrix, vector, transpose=False):
    """matrix @ vector (or matrix.T @ vector), float32."""
    matrix = np.ascontiguousarray(matrix, dtype=np.float32)
    return ops.gemm(matrix, np.ascontiguousarray(vector, dtype=np.float32)[:, None], trans_a=transpose)[:, 0]


class SpectralNorm(Module):
    """Wraps a Linear, Conv2d or ConvTranspose2d layer so that it computes
    with its weight divided by the weight's largest singular value sigma,
    which bounds the layer's Lipschitz constant by 1 (a GAN discriminator
    built of such layers trains more stably and collapses less).

    As in PyTorch's `spectral_norm`: the weight is seen as a matrix of
    output units by the rest (dimension 1 of a ConvTranspose2d weight
    counts as the output), sigma is estimated by n_power_iterations steps
    of power iteration per training forward, continuing from the vectors
    u and v of the step before (buffers, kept in checkpoints; evaluation
    reuses them), and the gradient flows through sigma with u and v held
    fixed. The trained parameters are `weight_orig`, the unnormalised
    weight, and the layer's bias; the layer's own `weight` holds the
    normalised weight of the last forward.
    """

    def __init__(self, layer, n_power_iterations=1, eps=1e-12, seed=None):
        if not isinstance(layer, (Linear, Conv2d, ConvTranspose2d)):
            raise TypeError(f"SpectralNorm: 'layer' must be a Linear, Conv2d or ConvTranspose2d, "
                            f"got {type(layer).__name__}")
        self.n_power_iterations = operator.index(n_power_iterations)
        if self.n_power_iterations < 1:
            raise ValueError(f"SpectralNorm: 'n_power_iterations' must be >= 1, got {n_power_iterations}")
        if not 0 < eps < 1:
            raise ValueError(f"SpectralNorm: 'eps' must be in (0, 1), got {eps}")
        self.layer, self.eps = layer, float(eps)
        self.weight_orig = layer.weight.copy()
        self.grad_weight_orig = np.zeros_like(self.weight_orig)
        rows, cols = self._matrix(self.weight_orig).shape
        stream = InitStream(seed)
        self.u = _normalise(rng.normal((rows,), seed=stream.seed, stream="init", offset=stream.take(rows)), eps)
        self.v = _normalise(rng.normal((cols,), seed=stream.seed, stream="init", offset=stream.take(cols)), eps)
        matrix = self._matrix(self.weight_orig)
        self._power_iteration(matrix, _INITIAL_ITERATIONS)
        self._normalise_weight(matrix)

    def get_config(self):
        return {"n_power_iterations": self.n_power_iterations, "eps": self.eps}

    def __repr__(self):
        return f"SpectralNorm({self.layer!r}, n_power_iterations={self.n_power_iterations})"

    # --- the weight as a matrix ---------------------------------------------------
    def _matrix(self, weight):
        """(output units, rest) view or copy of a weight-shaped array."""
        if isinstance(self.layer, ConvTranspose2d):
            return weight.transpose(1, 0, 2, 3).reshape(weight.shape[1], -1)
        return weight.reshape(weight.shape[0], -1)

    def _weight_shaped(self, matrix):
        shape = self.weight_orig.shape
        if isinstance(self.layer, ConvTranspose2d):
            return matrix.reshape((shape[1], shape[0]) + shape[2:]).transpose(1, 0, 2, 3)
        return matrix.reshape(shape)

    def _power_iteration(self, matrix, steps):
        for _ in range(steps):
            self.u[...] = _normalise(_times(matrix, self.v), self.eps)
            self.v[...] = _normalise(_times(matrix, self.u, transpose=True), self.eps)

    def _normalise_weight(self, matrix=None):
        """layer.weight = weight_orig / sigma, sigma = u . (W v) from the
        current u and v (`matrix`: weight_orig as a matrix, if at hand)."""
        matrix = self._matrix(self.weight_orig) if matrix is None else matrix
        self.sigma = _dot(self.u, _times(matrix, self.v))
        if not self.sigma > 0:
            raise ValueError(f"SpectralNorm: the weight's estimated largest singular value is {self.sigma}; "
                             "the weight is zero or not finite")
        np.multiply(self.weight_orig, np.float32(1.0 / self.sigma), out=self.layer.weight)

    # --- forward and backward -------------------------------------------------------
    def forward(self, x, training=None):
        matrix = self._matrix(self.weight_orig)       # a copy for ConvTranspose2d: make it once
        if self._is_training(training):
            self._power_iteration(matrix, self.n_power_iterations)
        self._normalise_weight(matrix)
        return self.layer.forward(x, training)

    def backward(self, grad_out):
        grad_in = self.layer.backward(grad_out)
        self._fold_weight_gradient()
        return grad_in

    def backward_parameters(self, grad_out):
        self.layer.backward_parameters(grad_out)
        self._fold_weight_gradient()

    def _fold_weight_gradient(self):
        """Turn the layer's gradient G w.r.t. W / sigma into one w.r.t. W:
        (G - <G, W / sigma> u v^T) / sigma, and clear the layer's."""
        if not self.requires_grad:
            return
        g = self._matrix(self.layer.grad_weight)
        inner = _dot(g, self._matrix(self.layer.weight))
        g = (g - np.float32(inner) * np.outer(self.u, self.v)) * np.float32(1.0 / self.sigma)
        self.grad_weight_orig += self._weight_shaped(g)
        self.layer.grad_weight.fill(0.0)

    # --- parameters, buffers, modes ---------------------------------------------------
    def _params(self):
        out = {"weight_orig": (self.weight_orig, self.grad_weight_orig)}
        if self.layer.bias is not None:
            out["bias"] = (self.layer.bias, self.layer.grad_bias)
        return out

    def _buffers(self):
        return {"u": self.u, "v": self.v}

    def _defer_zero_grad(self):
        self.grad_weight_orig.fill(0.0)
        self.layer._defer_zero_grad()      # the bias gradient may be written rather than added

    def _settle_grads(self):
        self.layer._settle_grads()

    def train(self, mode=True):
        self.layer.train(mode)
        return super().train(mode)

    def requires_grad_(self, requires_grad=True):
        self.layer.requires_grad_(requires_grad)
        return super().requires_grad_(requires_grad)

    def load_state_arrays(self, arrays):
        super().load_state_arrays(arrays)
        self._normalise_weight()
