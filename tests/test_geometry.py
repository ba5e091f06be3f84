"""Latent geometry (interpolation, grids, concept vectors) and the embedding
metrics (trustworthiness against scikit-learn, k-NN accuracy)."""
import numpy as np
import pytest
from scipy.stats import norm

import genmodels as gm
from conftest import blobs


def test_interpolate(rng):
    z0, z1 = rng.standard_normal(5), rng.standard_normal(5)
    line = gm.latent.interpolate(z0, z1, steps=9)
    assert line.shape == (9, 5)
    np.testing.assert_allclose(line[0], z0, rtol=1e-6)
    np.testing.assert_allclose(line[-1], z1, rtol=1e-6)
    steps = np.diff(line, axis=0)
    np.testing.assert_allclose(steps, np.broadcast_to(steps[0], steps.shape), atol=1e-6)
    u0, u1 = z0 / np.linalg.norm(z0), z1 / np.linalg.norm(z1)
    arc = gm.latent.interpolate(u0, u1, steps=7, method="slerp")
    np.testing.assert_allclose(np.linalg.norm(arc, axis=1), 1, rtol=1e-5)
    angles = np.arccos(np.clip(np.sum(arc[1:] * arc[:-1], 1), -1, 1))
    np.testing.assert_allclose(angles, angles[0], rtol=1e-3)
    with pytest.raises(ValueError, match="'steps' must be >= 2"):
        gm.latent.interpolate(z0, z1, steps=1)
    with pytest.raises(ValueError, match="'method'"):
        gm.latent.interpolate(z0, z1, method="cubic")


def test_grid_uses_the_gaussian_inverse_cdf():
    g = gm.latent.grid(5, span=(0.1, 0.9))
    values = norm.ppf(np.linspace(0.1, 0.9, 5))
    np.testing.assert_allclose(g[:5, 0], values, atol=1e-6)          # first row: x increasing
    np.testing.assert_allclose(g[::5, 1], values[::-1], atol=1e-6)   # first column: y decreasing
    from genmodels.latent.geometry import _normal_ppf
    p = np.linspace(1e-6, 1 - 1e-6, 1001)
    np.testing.assert_allclose(_normal_ppf(p), norm.ppf(p), atol=1e-9)


def test_concept_vector():
    z = np.array([[1.0, 0.0], [3.0, 0.0], [0.0, 2.0], [0.0, 4.0]])
    np.testing.assert_allclose(gm.latent.concept_vector(z, np.array([True, True, False, False])), [2, -3])
    with pytest.raises(ValueError, match="must select some"):
        gm.latent.concept_vector(z, np.ones(4, bool))


@pytest.mark.parametrize("k", [1, 5, 12])
def test_trustworthiness_equals_scikit_learn(k, rng):
    from sklearn.manifold import trustworthiness
    X = rng.standard_normal((150, 10)).astype(np.float32)
    Y = X[:, :2] + 0.3 * rng.standard_normal((150, 2)).astype(np.float32)
    np.testing.assert_allclose(gm.metrics.trustworthiness(X, Y, k), trustworthiness(X, Y, n_neighbors=k), atol=1e-6)


def test_knn_accuracy(rng):
    X, labels = blobs(400)
    assert gm.metrics.knn_accuracy(X, labels) == 1.0
    noise = rng.standard_normal((400, 2)).astype(np.float32)
    assert gm.metrics.knn_accuracy(noise, labels) < 0.5
    with pytest.raises(ValueError, match="'labels' must have shape"):
        gm.metrics.knn_accuracy(X, labels[:10])
