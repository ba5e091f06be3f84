"""2-D convolution and transposed convolution (NCHW), as im2row + SGEMM.

Geometry arguments (stride, padding, output_padding) are an int or an
(h, w) pair. `workspace` is an optional 1-D float32 buffer of
`conv2d_workspace_size(...)` floats that a layer allocates once and reuses
for every batch; without one, each call allocates its own. A kernel uses
as many threads as its workspace has room for, so ask for the size again
after raising the thread count.
"""
import numbers
import operator

import numpy as np

from .. import _core
from ._validate import as_f32, out_f32

__all__ = ["conv2d_forward", "conv2d_backward_input", "conv2d_backward_weight",
           "conv_transpose2d_forward", "conv_transpose2d_backward_input",
           "conv_transpose2d_backward_weight", "conv2d_workspace_size",
           "conv_transpose2d_workspace_size", "conv2d_output_shape",
           "conv_transpose2d_output_shape"]


def _pair(value, name, func, minimum):
    try:
        pair = (value, value) if np.ndim(value) == 0 else tuple(value)
        pair = tuple(operator.index(v) for v in pair)
    except TypeError:
        raise TypeError(f"{func}: '{name}' must be an int or a pair of ints, got {value!r}") from None
    if len(pair) != 2 or min(pair) < minimum:
        raise ValueError(f"{func}: '{name}' must be an int >= {minimum} or a pair of them, got {value!r}")
    return pair


def _geometry(func, stride, padding):
    return _pair(stride, "stride", func, 1) + _pair(padding, "padding", func, 0)


def _images(x, func, name):
    x = as_f32(x, func, name)
    if x.ndim != 4:
        raise ValueError(f"{func}: '{name}' must be (N, C, H, W), got shape {x.shape}")
    return x


def _shape4(shape, func, name):
    """`shape` as a tuple of four ints (N, C, H, W)."""
    try:
        shape = tuple(operator.index(s) for s in shape)
    except TypeError:
        raise TypeError(f"{func}: '{name}' must be a tuple of ints, got {shape!r}") from None
    if len(shape) != 4 or min(shape) < 0:
        raise ValueError(f"{func}: '{name}' must be (N, C, H, W) with sizes >= 0, got {shape}")
    return shape


def conv2d_output_shape(input_shape, weight_shape, stride=1, padding=0, func="conv2d"):
    """(N, OC, OH, OW) of a convolution, or ValueError if the kernel does not fit."""
    n, c, h, w = _shape4(input_shape, func, "input_shape")
    oc, wc, kh, kw = weight_shape
    sh, sw, ph, pw = _geometry(func, stride, padding)
    if wc != c:
        raise ValueError(f"{func}: 'weight' has {wc} input channels, expected {c} (the input's)")
    if h + 2 * ph < kh or w + 2 * pw < kw:
        raise ValueError(f"{func}: a ({kh}, {kw}) kernel does not fit the padded input "
                         f"({h + 2 * ph}, {w + 2 * pw})")
    return (n, oc, (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1)


def conv_transpose2d_output_shape(input_shape, weight_shape, stride=1, padding=0,
                                  output_padding=0, func="conv_transpose2d"):
    """(N, OC, OH, OW) of a transposed convolution with weight (IC, OC, KH, KW)."""
    n, c, h, w = _shape4(input_shape, func, "input_shape")
    wc, oc, kh, kw = weight_shape
    sh, sw, ph, pw = _geometry(func, stride, padding)
    oph, opw = _pair(output_padding, "output_padding", func, 0)
    if wc != c:
        raise ValueError(f"{func}: 'weight' has {wc} input channels, expected {c} (the input's)")
    if oph >= sh or opw >= sw:
        raise ValueError(f"{func}: 'output_padding' must be smaller than the stride, "
                         f"got {(oph, opw)} with stride {(sh, sw)}")
    oh, ow = (h - 1) * sh - 2 * ph + kh + oph, (w - 1) * sw - 2 * pw + kw + opw
    if oh < 1 or ow < 1:
        raise ValueError(f"{func}: padding {(ph, pw)} leaves no output")
    return (n, oc, oh, ow)


def _check_transpose_grad_out(grad_out, input_shape, weight_shape, stride, padding, func):
    """grad_out must be the output of some transposed convolution of the input:
    the output padding is whatever the extra rows/columns (< stride) say."""
    sh, sw = _pair(stride, "stride", func, 1)
    n, oc, oh, ow = conv_transpose2d_output_shape(input_shape, weight_shape, stride, padding, 0, func)
    gn, goc, goh, gow = grad_out.shape
    if (gn, goc) != (n, oc) or not (0 <= goh - oh < sh and 0 <= gow - ow < sw):
        raise ValueError(f"{func}: 'grad_out' has shape {grad_out.shape}, expected {(n, oc, oh, ow)} "
                         f"(plus an output padding smaller than the stride)")


def _threads(threads, func):
    if threads is None:
        return _core.get_num_threads()
    if isinstance(threads, bool) or not isinstance(threads, numbers.Integral) or threads < 1:
        raise ValueError(f"{func}: 'threads' must be a positive integer or None, got {threads!r}")
    return int(threads)


def conv2d_workspace_size(input_shape, weight_shape, stride=1, padding=0, threads=None):
    """Floats of workspace the conv2d kernels need for these shapes on
    `threads` threads (None: the current thread count)."""
    func = "conv2d_workspace_size"
    conv2d_output_shape(input_shape, weight_shape, stride, padding, func)
    sh, sw, ph, pw = _geometry(func, stride, padding)
    n, c, h, w = input_shape
    oc, _, kh, kw = weight_shape
    return _core.conv2d_workspace_size(n, c, h, w, oc, kh, kw, sh, sw, ph, pw, _threads(threads, func))


def conv_transpose2d_workspace_size(input_shape, weight_shape, stride=1, padding=0, output_padding=0,
                                    threads=None):
    """Floats of workspace the transposed-convolution kernels need on
    `threads` threads (None: the current thread count)."""
    func = "conv_transpose2d_workspace_size"
    conv_transpose2d_output_shape(input_shape, weight_shape, stride, padding, output_padding, func)
    sh, sw, ph, pw = _geometry(func, stride, padding)
    oph, opw = _pair(output_padding, "output_padding", func, 0)
    n, c, h, w = input_shape
    _, oc, kh, kw = weight_shape
    return _core.conv_transpose2d_workspace_size(n, c, h, w, oc, kh, kw, sh, sw, ph, pw, oph, opw,
                                                 _threads(threads, func))


def conv2d_forward(x, weight, bias=None, *, stride=1, padding=0, out=None, workspace=None):
    """x (N, C, H, W), weight (OC, C, KH, KW), bias (OC,) or None -> (N, OC, OH, OW)."""
    func = "conv2d_forward"
    x, weight = _images(x, func, "x"), _images(weight, func, "weight")
    shape = conv2d_output_shape(x.shape, weight.shape, stride, padding, func)
    bias = None if bias is None else as_f32(bias, func, "bias", ndim=1)
    out = out_f32(out, shape, func)
    _core.conv2d_forward(x, weight, bias, out, *_geometry(func, stride, padding), workspace)
    return out


def conv2d_backward_input(grad_out, weight, input_shape, *, stride=1, padding=0, out=None,
                          workspace=None):
    """Gradient w.r.t. the input: grad_out (N, OC, OH, OW) -> (N, C, H, W)."""
    func = "conv2d_backward_input"
    grad_out, weight = _images(grad_out, func, "grad_out"), _images(weight, func, "weight")
    input_shape = _shape4(input_shape, func, "input_shape")
    want = conv2d_output_shape(input_shape, weight.shape, stride, padding, func)
    if grad_out.shape != want:
        raise ValueError(f"{func}: 'grad_out' has shape {grad_out.shape}, expected {want}")
    out = out_f32(out, input_shape, func)
    _core.conv2d_backward_input(grad_out, weight, out, *_geometry(func, stride, padding), workspace)
    return out


def conv2d_backward_weight(grad_out, x, kernel_size, *, stride=1, padding=0, grad_weight=None,
                           grad_bias=None, compute_bias=True, workspace=None):
    """Gradients w.r.t. weight (OC, C, KH, KW) and bias (OC,), accumulated
    into the given buffers (fresh zeros when None). -> (grad_weight, grad_bias)"""
    func = "conv2d_backward_weight"
    grad_out, x = _images(grad_out, func, "grad_out"), _images(x, func, "x")
    kh, kw = _pair(kernel_size, "kernel_size", func, 1)
    wshape = (grad_out.shape[1], x.shape[1], kh, kw)
    want = conv2d_output_shape(x.shape, wshape, stride, padding, func)
    if grad_out.shape != want:
        raise ValueError(f"{func}: 'grad_out' has shape {grad_out.shape}, expected {want}")
    grad_weight = out_f32(grad_weight, wshape, func, "grad_weight", zero=True)
    grad_bias = out_f32(grad_bias, (wshape[0],), func, "grad_bias", zero=True) if compute_bias else None
    _core.conv2d_backward_weight(grad_out, x, grad_weight, grad_bias,
                                 *_geometry(func, stride, padding), workspace)
    return grad_weight, grad_bias


def conv_transpose2d_forward(x, weight, bias=None, *, stride=1, padding=0, output_padding=0,
                             out=None, workspace=None):
    """x (N, IC, H, W), weight (IC, OC, KH, KW), bias (OC,) or None
    -> (N, OC, (H-1)*stride - 2*padding + KH + output_padding, ...)."""
    func = "conv_transpose2d_forward"
    x, weight = _images(x, func, "x"), _images(weight, func, "weight")
    shape = conv_transpose2d_output_shape(x.shape, weight.shape, stride, padding, output_padding, func)
    bias = None if bias is None else as_f32(bias, func, "bias", ndim=1)
    out = out_f32(out, shape, func)
    geometry = _geometry(func, stride, padding) + _pair(output_padding, "output_padding", func, 0)
    _core.conv_transpose2d_forward(x, weight, bias, out, *geometry, workspace)
    return out


def conv_transpose2d_backward_input(grad_out, weight, input_shape, *, stride=1, padding=0,
                                    out=None, workspace=None):
    """Gradient w.r.t. the input of a transposed convolution -> (N, IC, H, W)."""
    func = "conv_transpose2d_backward_input"
    grad_out, weight = _images(grad_out, func, "grad_out"), _images(weight, func, "weight")
    input_shape = _shape4(input_shape, func, "input_shape")
    _check_transpose_grad_out(grad_out, input_shape, weight.shape, stride, padding, func)
    out = out_f32(out, input_shape, func)
    _core.conv_transpose2d_backward_input(grad_out, weight, out, *_geometry(func, stride, padding),
                                          workspace)
    return out


def conv_transpose2d_backward_weight(grad_out, x, kernel_size, *, stride=1, padding=0,
                                     grad_weight=None, grad_bias=None, compute_bias=True,
                                     workspace=None):
    """Gradients w.r.t. weight (IC, OC, KH, KW) and bias (OC,), accumulated.
    -> (grad_weight, grad_bias)"""
    func = "conv_transpose2d_backward_weight"
    grad_out, x = _images(grad_out, func, "grad_out"), _images(x, func, "x")
    kh, kw = _pair(kernel_size, "kernel_size", func, 1)
    wshape = (x.shape[1], grad_out.shape[1], kh, kw)
    _check_transpose_grad_out(grad_out, x.shape, wshape, stride, padding, func)
    grad_weight = out_f32(grad_weight, wshape, func, "grad_weight", zero=True)
    grad_bias = out_f32(grad_bias, (wshape[1],), func, "grad_bias", zero=True) if compute_bias else None
    _core.conv_transpose2d_backward_weight(grad_out, x, grad_weight, grad_bias,
                                           *_geometry(func, stride, padding), workspace)
    return grad_weight, grad_bias
