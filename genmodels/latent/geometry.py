"""Paths, grids and directions in latent space."""
import math
import operator

import numpy as np

__all__ = ["interpolate", "grid", "concept_vector"]


def _vector(z, name):
    z = np.asarray(z, dtype=np.float64)
    if z.ndim != 1 or z.size == 0:
        raise ValueError(f"'{name}' must be a non-empty 1-D latent vector, got shape {z.shape}")
    if not np.all(np.isfinite(z)):
        raise ValueError(f"'{name}' contains NaN or Inf")
    return z


def interpolate(z0, z1, steps=9, method="linear"):
    """`steps` points from z0 to z1 (both ends included) -> (steps, D) float32.

    "linear": evenly spaced on the segment. "slerp": spherical interpolation
    (constant angular speed, norms interpolated linearly), better suited to
    Gaussian latents; for (anti)parallel vectors it falls back to linear."""
    z0, z1 = _vector(z0, "z0"), _vector(z1, "z1")
    if z0.shape != z1.shape:
        raise ValueError(f"'z0' and 'z1' differ in size: {z0.shape} and {z1.shape}")
    steps = operator.index(steps)
    if steps < 2:
        raise ValueError(f"'steps' must be >= 2, got {steps}")
    t = np.linspace(0.0, 1.0, steps)[:, None]
    if method == "linear":
        return ((1 - t) * z0 + t * z1).astype(np.float32)
    if method != "slerp":
        raise ValueError(f"'method' must be 'linear' or 'slerp', got {method!r}")
    n0, n1 = np.linalg.norm(z0), np.linalg.norm(z1)
    if n0 == 0 or n1 == 0:
        return ((1 - t) * z0 + t * z1).astype(np.float32)
    u0, u1 = z0 / n0, z1 / n1
    omega = math.acos(float(np.clip(u0 @ u1, -1.0, 1.0)))
    if math.sin(omega) < 1e-6:
        return ((1 - t) * z0 + t * z1).astype(np.float32)
    direction = (np.sin((1 - t) * omega) * u0 + np.sin(t * omega) * u1) / math.sin(omega)
    return (direction * ((1 - t) * n0 + t * n1)).astype(np.float32)


def _normal_ppf(p):
    """The standard normal inverse CDF (Acklam's rational approximation,
    refined by one Halley step: about 1e-15 relative error)."""
    a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
         1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
    b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
         6.680131188771972e+01, -1.328068155288572e+01]
    c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
         -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
    d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
    p = np.asarray(p, dtype=np.float64)
    x = np.empty_like(p)
    lo, hi = p < 0.02425, p > 1 - 0.02425
    mid = ~(lo | hi)
    q = np.sqrt(-2 * np.log(p[lo]))
    x[lo] = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / \
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    q = np.sqrt(-2 * np.log(1 - p[hi]))
    x[hi] = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / \
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    q = p[mid] - 0.5
    r = q * q
    x[mid] = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / \
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
    erfc = np.vectorize(math.erfc)
    e = 0.5 * erfc(-x / math.sqrt(2)) - p
    u = e * math.sqrt(2 * math.pi) * np.exp(x * x / 2)
    return x - u / (1 + x * u / 2)


def grid(n=20, span=(0.05, 0.95)):
    """An n x n grid of 2-D latent points through the Gaussian inverse CDF
    -> (n*n, 2) float32: evenly spaced probabilities in `span` map to
    latent coordinates, so the grid covers the prior's mass evenly.

    Ordered for display as an image grid: row r (top to bottom) has the
    second coordinate decreasing, column c the first increasing; point
    r*n + c sits at row r, column c."""
    n = operator.index(n)
    if n < 1:
        raise ValueError(f"'n' must be >= 1, got {n}")
    lo, hi = span
    if not 0 < lo <= hi < 1:
        raise ValueError(f"'span' must satisfy 0 < low <= high < 1, got {span}")
    values = _normal_ppf(np.linspace(lo, hi, n))
    xs, ys = np.meshgrid(values, values[::-1])
    return np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float32)


def concept_vector(z, mask):
    """Mean code of the examples with an attribute minus the mean code of
    those without -> (D,): add it to other codes to add the attribute."""
    z = np.asarray(z, dtype=np.float64)
    mask = np.asarray(mask)
    if z.ndim != 2:
        raise ValueError(f"'z' must be (N, D) latent codes, got shape {z.shape}")
    if mask.dtype != bool or mask.shape != (len(z),):
        raise ValueError(f"'mask' must be a boolean array of shape ({len(z)},), got {mask.dtype} {mask.shape}")
    if mask.all() or not mask.any():
        raise ValueError("'mask' must select some codes and leave some out")
    return (z[mask].mean(0) - z[~mask].mean(0)).astype(np.float32)
