"""A discriminator layer that sees the batch as a whole."""
import numpy as np

from .module import Module

__all__ = ["MinibatchStd"]


class MinibatchStd(Module):
    """Appends the batch's mean standard deviation as one more feature
    (Karras et al. 2018): the per-feature standard deviation over the batch,
    averaged over features, as an extra column of (N, D) input or an extra
    constant channel of (N, C, H, W) input. A discriminator that sees it can
    tell a batch of near-identical generated images from a varied real one,
    which pushes the generator away from mode collapse. It uses the batch's
    statistics in training and evaluation alike."""

    def __init__(self, eps=1e-8):
        if not eps > 0:
            raise ValueError(f"MinibatchStd: 'eps' must be > 0, got {eps}")
        self.eps = float(eps)
        self._centred = self._std = None

    def get_config(self):
        return {"eps": self.eps}

    def forward(self, x, training=None):
        # x (N, D) -> (N, D + 1), or (N, C, H, W) -> (N, C + 1, H, W)
        x = np.asarray(x, dtype=np.float32)
        if x.ndim not in (2, 4):
            raise ValueError(f"MinibatchStd: expected (N, D) or (N, C, H, W) input, got shape {x.shape}")
        x64 = x.astype(np.float64)
        self._centred = x64 - x64.mean(axis=0)
        self._std = np.sqrt((self._centred ** 2).mean(axis=0) + self.eps)
        stat = np.float32(self._std.mean())
        extra = np.full((len(x), 1) + x.shape[2:], stat, np.float32)
        return np.concatenate([x, extra], axis=1)

    def backward(self, grad_out):
        grad_out = np.asarray(grad_out, dtype=np.float32)
        n = len(grad_out)
        grad_stat = float(grad_out[:, -1].sum(dtype=np.float64))    # every example saw the same statistic
        # d mean(std) / dx_ij = (x_ij - mean_j) / (n * std_j * features)
        grad = grad_stat * self._centred / (n * self._std * self._std.size)
        return (grad_out[:, :-1] + grad).astype(np.float32)
