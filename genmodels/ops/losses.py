"""Losses and their gradients.

Each returns per-example losses (N,) in nats, summed over every non-batch
dimension, and the gradient of ``scale * losses.sum()`` w.r.t. the inputs
(None when ``compute_grad=False``). ``scale=1/N`` gives the gradient of the
mean loss.
"""
import numpy as np

from .. import _core
from ._validate import as_f32, out_f32

__all__ = ["bce_with_logits", "mse", "softmax_cross_entropy", "gaussian_kl", "gaussian_nll"]

_LOGVAR_FULL, _LOGVAR_PER_FEATURE, _LOGVAR_SCALAR = 0, 1, 2


def _batch(x, func, name):
    x = as_f32(x, func, name)
    if x.ndim < 1:
        raise ValueError(f"{func}: '{name}' must have a batch dimension, got a scalar")
    return x


def _grad(buf, shape, compute, func, name):
    return out_f32(buf, shape, func, name) if compute else None


def bce_with_logits(logits, targets, *, scale=1.0, grad=None, compute_grad=True):
    """Binary cross-entropy of sigmoid(logits) against targets in [0, 1] (soft
    labels allowed), computed stably from the logits. -> (losses, grad)"""
    func = "bce_with_logits"
    logits, targets = _batch(logits, func, "logits"), _batch(targets, func, "targets")
    losses = np.empty(logits.shape[0], np.float32)
    grad = _grad(grad, logits.shape, compute_grad, func, "grad")
    _core.bce_with_logits(logits, targets, losses, grad, float(scale))
    return losses, grad


def mse(pred, target, *, scale=1.0, grad=None, compute_grad=True):
    """Squared error summed over features: losses[i] = sum (pred - target)^2.
    -> (losses, grad)"""
    func = "mse"
    pred, target = _batch(pred, func, "pred"), _batch(target, func, "target")
    losses = np.empty(pred.shape[0], np.float32)
    grad = _grad(grad, pred.shape, compute_grad, func, "grad")
    _core.mse(pred, target, losses, grad, float(scale))
    return losses, grad


def softmax_cross_entropy(logits, labels, *, scale=1.0, grad=None, compute_grad=True):
    """Cross-entropy of softmax(logits) (N, K) against int labels (N,) in [0, K).
    -> (losses, grad)"""
    func = "softmax_cross_entropy"
    logits = as_f32(logits, func, "logits", ndim=2)
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"{func}: 'labels' must be integers, got dtype {labels.dtype}")
    labels = np.ascontiguousarray(labels, dtype=np.int64)
    if labels.ndim != 1:
        raise ValueError(f"{func}: 'labels' must be 1-dimensional, got shape {labels.shape}")
    losses = np.empty(logits.shape[0], np.float32)
    grad = _grad(grad, logits.shape, compute_grad, func, "grad")
    _core.softmax_cross_entropy(logits, labels, losses, grad, float(scale))
    return losses, grad


def gaussian_kl(mu, logvar, *, scale=1.0, grad_mu=None, grad_logvar=None, compute_grad=True):
    """KL(N(mu, exp(logvar)) || N(0, I)) per example, summed over latent units.
    -> (losses, grad_mu, grad_logvar)"""
    func = "gaussian_kl"
    mu, logvar = _batch(mu, func, "mu"), _batch(logvar, func, "logvar")
    losses = np.empty(mu.shape[0], np.float32)
    grad_mu = _grad(grad_mu, mu.shape, compute_grad, func, "grad_mu")
    grad_logvar = _grad(grad_logvar, mu.shape, compute_grad, func, "grad_logvar")
    _core.gaussian_kl(mu, logvar, losses, grad_mu, grad_logvar, float(scale))
    return losses, grad_mu, grad_logvar


def gaussian_nll(pred_mean, target, logvar, *, scale=1.0, grad_mean=None, grad_logvar=None,
                 compute_grad=True):
    """Negative log-density of target under N(pred_mean, exp(logvar)), summed
    over features, including 0.5*log(2*pi) per feature.

    logvar: same shape as pred_mean, or (D,) with D the features per example
    (shared by the batch), or (1,) (one variance for everything).
    -> (losses, grad_mean, grad_logvar); grad_logvar is shaped like logvar.
    """
    func = "gaussian_nll"
    pred_mean, target = _batch(pred_mean, func, "pred_mean"), _batch(target, func, "target")
    logvar = as_f32(logvar, func, "logvar")
    features = int(np.prod(pred_mean.shape[1:]))
    if logvar.shape == pred_mean.shape:
        layout = _LOGVAR_FULL
    elif logvar.size == 1 and logvar.ndim <= 1:
        layout, logvar = _LOGVAR_SCALAR, logvar.reshape(1)
    elif logvar.ndim == 1 and logvar.size == features:
        layout = _LOGVAR_PER_FEATURE
    else:
        raise ValueError(f"{func}: 'logvar' has shape {logvar.shape}, expected {pred_mean.shape},"
                         f" ({features},) or (1,)")
    losses = np.empty(pred_mean.shape[0], np.float32)
    grad_mean = _grad(grad_mean, pred_mean.shape, compute_grad, func, "grad_mean")
    grad_logvar = _grad(grad_logvar, logvar.shape, compute_grad, func, "grad_logvar")
    _core.gaussian_nll(pred_mean, target, logvar, layout, losses, grad_mean, grad_logvar,
                       float(scale))
    return losses, grad_mean, grad_logvar
