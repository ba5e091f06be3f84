"""How well images are reconstructed."""
import numpy as np

__all__ = ["reconstruction_error"]


def reconstruction_error(x, x_rec, kind="mse", reduction="mean"):
    """Error between images x and their reconstructions x_rec (same shape,
    (N, ...) with values in [0, 1] for "bce").

    kind: "mse" (squared error) or "bce" (binary cross-entropy of x under
    Bernoulli(x_rec), in nats). reduction: "mean" (per image: summed over
    pixels, averaged over images), "per_pixel" (averaged over pixels too),
    "sum", or "none" (one value per image)."""
    x = np.asarray(x, dtype=np.float64)
    x_rec = np.asarray(x_rec, dtype=np.float64)
    if x.shape != x_rec.shape:
        raise ValueError(f"'x' and 'x_rec' differ in shape: {x.shape} and {x_rec.shape}")
    if x.ndim < 1 or len(x) == 0:
        raise ValueError("'x' must hold at least one image")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(x_rec))):
        raise ValueError("'x' and 'x_rec' must be finite")
    if kind == "mse":
        per_pixel = (x - x_rec) ** 2
    elif kind == "bce":
        if x.min() < 0 or x.max() > 1 or x_rec.min() < 0 or x_rec.max() > 1:
            raise ValueError("kind='bce' needs values in [0, 1]")
        p = np.clip(x_rec, 1e-7, 1 - 1e-7)
        per_pixel = -(x * np.log(p) + (1 - x) * np.log(1 - p))
    else:
        raise ValueError(f"'kind' must be 'mse' or 'bce', got {kind!r}")
    per_image = per_pixel.reshape(len(x), -1).sum(1)
    if reduction == "mean":
        return float(per_image.mean())
    if reduction == "per_pixel":
        return float(per_pixel.mean())
    if reduction == "sum":
        return float(per_image.sum())
    if reduction == "none":
        return per_image
    raise ValueError(f"'reduction' must be 'mean', 'per_pixel', 'sum' or 'none', got {reduction!r}")
