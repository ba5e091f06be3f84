"""Dense, convolutional and normalisation layers."""
import operator

import numpy as np

from .. import ops
from .init import InitStream, kaiming_uniform, uniform_fill
from .module import Module

__all__ = ["Linear", "Conv2d", "ConvTranspose2d", "BatchNorm1d", "BatchNorm2d"]


def _positive_int(value, name, owner):
    try:
        value = operator.index(value)
    except TypeError:
        raise TypeError(f"{owner}: '{name}' must be an int, got {type(value).__name__}") from None
    if value < 1:
        raise ValueError(f"{owner}: '{name}' must be >= 1, got {value}")
    return value


def _pair(value, name, owner, minimum):
    pair = (value, value) if np.ndim(value) == 0 else tuple(value)
    if len(pair) != 2:
        raise ValueError(f"{owner}: '{name}' must be an int or a pair, got {value!r}")
    pair = tuple(operator.index(v) for v in pair)
    if min(pair) < minimum:
        raise ValueError(f"{owner}: '{name}' must be >= {minimum}, got {value!r}")
    return pair


def _input(x, owner, ndim, features=None, axis=1):
    x = np.asarray(x)
    if x.dtype != np.float32 or not x.flags.c_contiguous:
        x = np.ascontiguousarray(x, dtype=np.float32)
    if x.ndim != ndim:
        raise ValueError(f"{owner}: expected a {ndim}-D input, got shape {x.shape}")
    if features is not None and x.shape[axis] != features:
        raise ValueError(f"{owner}: expected {features} features on axis {axis}, got shape {x.shape}")
    return x


class Linear(Module):
    """y = x @ weight.T + bias; weight (out_features, in_features) as in PyTorch."""

    def __init__(self, in_features, out_features, bias=True, seed=None):
        self.in_features = _positive_int(in_features, "in_features", "Linear")
        self.out_features = _positive_int(out_features, "out_features", "Linear")
        stream = InitStream(seed)
        self.weight = kaiming_uniform((self.out_features, self.in_features), self.in_features, stream)
        self.grad_weight = np.zeros_like(self.weight)
        self.bias = uniform_fill((self.out_features,), 1 / np.sqrt(self.in_features), stream) if bias else None
        self.grad_bias = np.zeros_like(self.bias) if bias else None
        self._x = None

    def get_config(self):
        return {"in_features": self.in_features, "out_features": self.out_features,
                "bias": self.bias is not None}

    def _params(self):
        out = {"weight": (self.weight, self.grad_weight)}
        if self.bias is not None:
            out["bias"] = (self.bias, self.grad_bias)
        return out

    def forward(self, x, training=None):
        # x (N, in) -> y (N, out)
        x = _input(x, "Linear", 2, self.in_features)
        self._x = x
        return ops.gemm(x, self.weight, trans_b=True, bias=self.bias)

    def backward(self, grad_out):
        # dy (N, out) -> dx (N, in); dW += dy^T x; db += sum dy
        dy = self._parameter_gradients(grad_out)
        return ops.gemm(dy, self.weight)

    def backward_parameters(self, grad_out):
        self._parameter_gradients(grad_out)

    # set by fresh_gradients(): the next backward writes the gradients
    _grads_stale = False

    def _defer_zero_grad(self):
        self._grads_stale = True

    def _settle_grads(self):
        if self._grads_stale:
            for g in self.gradients():
                g.fill(0.0)
            self._grads_stale = False

    def _parameter_gradients(self, grad_out):
        dy = _input(grad_out, "Linear.backward", 2, self.out_features)
        if self.requires_grad:
            accumulate = not self._grads_stale
            ops.gemm(dy, self._x, self.grad_weight, trans_a=True, beta=float(accumulate))
            if self.bias is not None:
                ops.bias_grad(dy, self.grad_bias, accumulate=accumulate)
            self._grads_stale = False
        return dy


class _ConvBase(Module):
    """What Conv2d and ConvTranspose2d share: geometry checks, PyTorch's
    default initialisation, parameters and a reused workspace."""

    def _setup(self, in_channels, out_channels, kernel_size, stride, padding, bias, seed, transposed):
        owner = type(self).__name__
        self.in_channels = _positive_int(in_channels, "in_channels", owner)
        self.out_channels = _positive_int(out_channels, "out_channels", owner)
        self.kernel_size = _pair(kernel_size, "kernel_size", owner, 1)
        self.stride = _pair(stride, "stride", owner, 1)
        self.padding = _pair(padding, "padding", owner, 0)
        # PyTorch takes fan_in from the weight's dimension 1: out_channels
        # for a transposed convolution's (in, out, kh, kw) weight
        channels = (self.in_channels, self.out_channels) if transposed else (self.out_channels, self.in_channels)
        fan_in = channels[1] * self.kernel_size[0] * self.kernel_size[1]
        stream = InitStream(seed)
        self.weight = kaiming_uniform(channels + self.kernel_size, fan_in, stream)
        self.grad_weight = np.zeros_like(self.weight)
        self.bias = uniform_fill((self.out_channels,), 1 / np.sqrt(fan_in), stream) if bias else None
        self.grad_bias = np.zeros_like(self.bias) if bias else None
        self._x = self._ws = None

    def get_config(self):
        return {"in_channels": self.in_channels, "out_channels": self.out_channels,
                "kernel_size": list(self.kernel_size), "stride": list(self.stride),
                "padding": list(self.padding), "bias": self.bias is not None}

    def _workspace(self, floats):
        """A scratch buffer reused across batches of the same shape."""
        if self._ws is None or self._ws.size < floats:
            self._ws = np.empty(max(floats, 1), np.float32)
        return self._ws

    def _params(self):
        out = {"weight": (self.weight, self.grad_weight)}
        if self.bias is not None:
            out["bias"] = (self.bias, self.grad_bias)
        return out

    def backward_parameters(self, grad_out):
        self._parameter_gradients(grad_out)


class Conv2d(_ConvBase):
    """2-D convolution, NCHW; weight (out_channels, in_channels, kh, kw)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True, seed=None):
        self._setup(in_channels, out_channels, kernel_size, stride, padding, bias, seed, transposed=False)

    def forward(self, x, training=None):
        # x (N, C, H, W) -> y (N, OC, OH, OW)
        x = _input(x, "Conv2d", 4, self.in_channels)
        self._x = x
        ws = self._workspace(ops.conv2d_workspace_size(x.shape, self.weight.shape, self.stride, self.padding))
        return ops.conv2d_forward(x, self.weight, self.bias, stride=self.stride, padding=self.padding,
                                  workspace=ws)

    def backward(self, grad_out):
        dy, ws = self._parameter_gradients(grad_out)
        return ops.conv2d_backward_input(dy, self.weight, self._x.shape, stride=self.stride,
                                         padding=self.padding, workspace=ws)

    def _parameter_gradients(self, grad_out):
        dy = _input(grad_out, "Conv2d.backward", 4, self.out_channels)
        ws = self._workspace(ops.conv2d_workspace_size(self._x.shape, self.weight.shape, self.stride, self.padding))
        if self.requires_grad:
            ops.conv2d_backward_weight(dy, self._x, self.kernel_size, stride=self.stride, padding=self.padding,
                                       grad_weight=self.grad_weight, grad_bias=self.grad_bias,
                                       compute_bias=self.bias is not None, workspace=ws)
        return dy, ws


class ConvTranspose2d(_ConvBase):
    """Transposed 2-D convolution, NCHW; weight (in_channels, out_channels, kh, kw)
    as in PyTorch (whose default initialisation takes fan_in from dimension 1)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0,
                 bias=True, seed=None):
        self._setup(in_channels, out_channels, kernel_size, stride, padding, bias, seed, transposed=True)
        self.output_padding = _pair(output_padding, "output_padding", "ConvTranspose2d", 0)
        if any(op >= s for op, s in zip(self.output_padding, self.stride)):
            raise ValueError("ConvTranspose2d: 'output_padding' must be smaller than the stride")

    def get_config(self):
        return {**super().get_config(), "output_padding": list(self.output_padding)}

    def _ws_for(self, shape):
        return self._workspace(ops.conv_transpose2d_workspace_size(
            shape, self.weight.shape, self.stride, self.padding, self.output_padding))

    def forward(self, x, training=None):
        # x (N, IC, H, W) -> y (N, OC, OH, OW)
        x = _input(x, "ConvTranspose2d", 4, self.in_channels)
        self._x = x
        return ops.conv_transpose2d_forward(x, self.weight, self.bias, stride=self.stride,
                                            padding=self.padding, output_padding=self.output_padding,
                                            workspace=self._ws_for(x.shape))

    def backward(self, grad_out):
        dy, ws = self._parameter_gradients(grad_out)
        return ops.conv_transpose2d_backward_input(dy, self.weight, self._x.shape, stride=self.stride,
                                                   padding=self.padding, workspace=ws)

    def _parameter_gradients(self, grad_out):
        dy = _input(grad_out, "ConvTranspose2d.backward", 4, self.out_channels)
        ws = self._ws_for(self._x.shape)
        if self.requires_grad:
            ops.conv_transpose2d_backward_weight(dy, self._x, self.kernel_size, stride=self.stride,
                                                 padding=self.padding, grad_weight=self.grad_weight,
                                                 grad_bias=self.grad_bias, compute_bias=self.bias is not None,
                                                 workspace=ws)
        return dy, ws


class _BatchNorm(Module):
    _ndim = None

    def __init__(self, num_features, eps=1e-5, momentum=0.1):
        name = type(self).__name__
        self.num_features = _positive_int(num_features, "num_features", name)
        if not eps > 0:
            raise ValueError(f"{name}: 'eps' must be > 0, got {eps}")
        if not 0 <= momentum <= 1:
            raise ValueError(f"{name}: 'momentum' must be in [0, 1], got {momentum}")
        self.eps, self.momentum = float(eps), float(momentum)
        c = self.num_features
        self.weight, self.bias = np.ones(c, np.float32), np.zeros(c, np.float32)
        self.grad_weight, self.grad_bias = np.zeros(c, np.float32), np.zeros(c, np.float32)
        self.running_mean, self.running_var = np.zeros(c, np.float32), np.ones(c, np.float32)
        self._save_mean, self._save_invstd = np.zeros(c, np.float32), np.ones(c, np.float32)
        self._x = None
        self._used_batch_stats = True

    def get_config(self):
        return {"num_features": self.num_features, "eps": self.eps, "momentum": self.momentum}

    def _params(self):
        return {"weight": (self.weight, self.grad_weight), "bias": (self.bias, self.grad_bias)}

    def _buffers(self):
        return {"running_mean": self.running_mean, "running_var": self.running_var}

    def forward(self, x, training=None):
        x = _input(x, type(self).__name__, self._ndim, self.num_features)
        self._x = x
        self._used_batch_stats = self._is_training(training)
        y, _, _ = ops.batchnorm_forward(x, self.weight, self.bias, self.running_mean, self.running_var,
                                        training=self._used_batch_stats, momentum=self.momentum,
                                        eps=self.eps, save_mean=self._save_mean,
                                        save_invstd=self._save_invstd)
        return y

    def backward(self, grad_out):
        dy = _input(grad_out, f"{type(self).__name__}.backward", self._ndim, self.num_features)
        # frozen: the parameter gradients go to scratch arrays, not the model's
        frozen = not self.requires_grad
        dx, _, _ = ops.batchnorm_backward(dy, self._x, self.weight, self._save_mean, self._save_invstd,
                                          training=self._used_batch_stats,
                                          grad_gamma=None if frozen else self.grad_weight,
                                          grad_beta=None if frozen else self.grad_bias)
        return dx


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) features."""
    _ndim = 2


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) maps, per channel."""
    _ndim = 4
