"""Losses with their gradients: each returns (value, gradient(s)).

reduction="sum": total over the batch; "mean": average per example (the
per-example loss is summed over features, in nats, as in the literature);
"none": the per-example losses (N,), with gradients of their sum.
"""
import numpy as np

from .. import ops

__all__ = ["bce_with_logits", "mse", "cross_entropy", "gaussian_kl", "gaussian_nll"]

_REDUCTIONS = ("sum", "mean", "none")


def _scale(reduction, n, func):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{func}: 'reduction' must be one of {_REDUCTIONS}, got {reduction!r}")
    return 1.0 / max(n, 1) if reduction == "mean" else 1.0


def _reduce(losses, reduction):
    if reduction == "none":
        return losses
    total = float(np.sum(losses, dtype=np.float64))
    return total / max(len(losses), 1) if reduction == "mean" else total


def bce_with_logits(logits, targets, reduction="mean"):
    """Binary cross-entropy of sigmoid(logits) against targets in [0, 1].
    -> (loss, d loss / d logits)"""
    logits = np.asarray(logits, dtype=np.float32)
    losses, grad = ops.bce_with_logits(logits, targets, scale=_scale(reduction, len(logits), "bce_with_logits"))
    return _reduce(losses, reduction), grad


def mse(pred, target, reduction="mean"):
    """Squared error summed over features. -> (loss, d loss / d pred)"""
    pred = np.asarray(pred, dtype=np.float32)
    losses, grad = ops.mse(pred, target, scale=_scale(reduction, len(pred), "mse"))
    return _reduce(losses, reduction), grad


def cross_entropy(logits, labels, reduction="mean"):
    """Softmax cross-entropy against integer labels. -> (loss, d loss / d logits)"""
    logits = np.asarray(logits, dtype=np.float32)
    losses, grad = ops.softmax_cross_entropy(logits, labels, scale=_scale(reduction, len(logits), "cross_entropy"))
    return _reduce(losses, reduction), grad


def gaussian_kl(mu, logvar, reduction="mean"):
    """KL(N(mu, exp(logvar)) || N(0, I)) summed over latent units.
    -> (loss, d/d mu, d/d logvar)"""
    mu = np.asarray(mu, dtype=np.float32)
    losses, gmu, glv = ops.gaussian_kl(mu, logvar, scale=_scale(reduction, len(mu), "gaussian_kl"))
    return _reduce(losses, reduction), gmu, glv


def gaussian_nll(mean, target, logvar, reduction="mean"):
    """-log N(target; mean, exp(logvar)) summed over features; logvar per
    element, per feature (D,) or one value (1,). -> (loss, d/d mean, d/d logvar)"""
    mean = np.asarray(mean, dtype=np.float32)
    losses, gmean, glv = ops.gaussian_nll(mean, target, logvar, scale=_scale(reduction, len(mean), "gaussian_nll"))
    return _reduce(losses, reduction), gmean, glv
