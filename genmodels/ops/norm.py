"""Batch normalisation."""

from .. import _core
from ._validate import as_f32, out_f32

__all__ = ["batchnorm_forward", "batchnorm_backward"]


def _check_state(arr, c, func, name):
    return out_f32(arr, (c,), func, name)


def batchnorm_forward(x, gamma, beta, running_mean, running_var, *, training,
                      momentum=0.1, eps=1e-5, out=None, save_mean=None, save_invstd=None):
    """Batch normalisation of x (N, C) or (N, C, H, W) per channel.

    training=True normalises with the batch mean and biased variance and
    updates `running_mean` / `running_var` (C,) in place, PyTorch's way:
    running = (1 - momentum) * running + momentum * batch statistic (the
    unbiased variance). training=False uses the running statistics.
    Returns (out, save_mean, save_invstd): the mean and 1/sqrt(var + eps)
    used, which batchnorm_backward needs.
    """
    func = "batchnorm_forward"
    x = as_f32(x, func, "x")
    if x.ndim not in (2, 4):
        raise ValueError(f"{func}: 'x' must be (N, C) or (N, C, H, W), got shape {x.shape}")
    if not 0.0 <= momentum <= 1.0:
        raise ValueError(f"{func}: 'momentum' must be in [0, 1], got {momentum}")
    if not eps > 0:
        raise ValueError(f"{func}: 'eps' must be > 0, got {eps}")
    c = x.shape[1]
    gamma = as_f32(gamma, func, "gamma", ndim=1)
    beta = as_f32(beta, func, "beta", ndim=1)
    running_mean = _check_state(running_mean, c, func, "running_mean")
    running_var = _check_state(running_var, c, func, "running_var")
    out = out_f32(out, x.shape, func)
    save_mean = _check_state(save_mean, c, func, "save_mean")
    save_invstd = _check_state(save_invstd, c, func, "save_invstd")
    _core.batchnorm_forward(x, gamma, beta, running_mean, running_var, out, save_mean,
                            save_invstd, bool(training), float(momentum), float(eps))
    return out, save_mean, save_invstd


def batchnorm_backward(grad_out, x, gamma, save_mean, save_invstd, *, training=True,
                       out=None, grad_gamma=None, grad_beta=None):
    """Gradients of batch normalisation -> (grad_in, grad_gamma, grad_beta).

    grad_gamma / grad_beta (C,) are accumulated into when given (fresh zeros
    otherwise). training=True differentiates through the batch statistics;
    False treats them as constants (evaluation mode).
    """
    func = "batchnorm_backward"
    grad_out = as_f32(grad_out, func, "grad_out")
    x = as_f32(x, func, "x")
    if x.ndim not in (2, 4):
        raise ValueError(f"{func}: 'x' must be (N, C) or (N, C, H, W), got shape {x.shape}")
    c = x.shape[1]
    gamma = as_f32(gamma, func, "gamma", ndim=1)
    save_mean = as_f32(save_mean, func, "save_mean", ndim=1)
    save_invstd = as_f32(save_invstd, func, "save_invstd", ndim=1)
    out = out_f32(out, x.shape, func)
    grad_gamma = out_f32(grad_gamma, (c,), func, "grad_gamma", zero=True)
    grad_beta = out_f32(grad_beta, (c,), func, "grad_beta", zero=True)
    _core.batchnorm_backward(grad_out, x, gamma, save_mean, save_invstd, out, grad_gamma,
                             grad_beta, bool(training))
    return out, grad_gamma, grad_beta
