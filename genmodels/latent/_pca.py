"""Principal-component projections for initialising embeddings, lean on
memory: 70,000 x 784 points need no float64 copy of the data."""
import numpy as np

_ROWS = 4096             # rows converted to float64 at a time
_MAX_COVARIANCE = 4096   # features up to which the d x d covariance is used


def principal_components(X, dim):
    """(n, dim) float64 coordinates of X on its `dim` leading principal
    axes, each axis signed so that its largest coefficient is positive
    (deterministic); zero columns where X has fewer than `dim` directions."""
    n, d = X.shape
    mean = X.mean(0, dtype=np.float64)
    if n > d and d <= _MAX_COVARIANCE:
        covariance = np.zeros((d, d))
        for start in range(0, n, _ROWS):
            block = X[start:start + _ROWS].astype(np.float64) - mean
            covariance += block.T @ block
        axes = np.linalg.eigh(covariance)[1][:, ::-1][:, :dim].T
    else:
        axes = np.linalg.svd(X.astype(np.float64) - mean, full_matrices=False)[2][:dim]
    axes = axes * np.sign(axes[np.arange(len(axes)), np.abs(axes).argmax(1)])[:, None]
    y = np.zeros((n, dim))
    for start in range(0, n, _ROWS):
        y[start:start + _ROWS, :len(axes)] = (X[start:start + _ROWS].astype(np.float64) - mean) @ axes.T
    return y
