"""Latent-space tools: kNN against brute force, t-SNE affinities and
gradient against references, embeddings that separate clusters, thread-count
independence, geometry helpers, and bad input."""
import numpy as np
import pytest
from scipy.stats import norm

import genmodels as gm
from genmodels import _core
from genmodels.latent.umap import find_ab_params, smooth_knn_dist


def blobs(n=600, d=8, centers=4, seed=0):
    rng = np.random.default_rng(seed)
    c = rng.normal(scale=8.0, size=(centers, d))
    labels = rng.integers(0, centers, n)
    return (c[labels] + rng.normal(size=(n, d))).astype(np.float32), labels


def brute_force(X, Q, k, exclude_self):
    d = np.sqrt(((Q[:, None, :].astype(np.float64) - X[None, :, :]) ** 2).sum(-1))
    if exclude_self:
        np.fill_diagonal(d, np.inf)
    order = np.lexsort((np.broadcast_to(np.arange(len(X)), d.shape), d), axis=1)[:, :k]
    return order, np.take_along_axis(d, order, 1)


# --- kNN --------------------------------------------------------------------------

@pytest.mark.parametrize("n, d, k", [(50, 3, 5), (300, 17, 15), (2500, 5, 7)])
def test_knn_is_exact(n, d, k, rng):
    X = rng.standard_normal((n, d)).astype(np.float32)
    idx, dist = gm.latent.nearest_neighbors(X, k)
    want_idx, want_dist = brute_force(X, X, k, True)
    np.testing.assert_allclose(dist, want_dist, rtol=1e-5, atol=1e-5)
    assert np.mean(idx == want_idx) > 0.999          # float ties aside
    Q = rng.standard_normal((20, d)).astype(np.float32)
    qi, qd = gm.latent.nearest_neighbors(X, k, queries=Q)
    np.testing.assert_allclose(qd, brute_force(X, Q, k, False)[1], rtol=1e-5, atol=1e-5)


def test_knn_cosine_and_duplicates(rng):
    X = rng.standard_normal((100, 6)).astype(np.float32)
    X[10] = X[3]                                     # a duplicate
    idx, dist = gm.latent.nearest_neighbors(X, 4, metric="cosine")
    U = X / np.linalg.norm(X, axis=1, keepdims=True)
    cos = 1 - U @ U.T
    np.fill_diagonal(cos, np.inf)
    np.testing.assert_allclose(dist, np.sort(cos, axis=1)[:, :4], atol=1e-5)
    assert idx[3, 0] == 10 and idx[10, 0] == 3 and dist[3, 0] < 1e-6


def test_knn_identical_with_one_and_two_threads(rng, with_threads):
    X = rng.standard_normal((3000, 20)).astype(np.float32)
    a = with_threads(1, gm.latent.nearest_neighbors, X, 10)
    b = with_threads(2, gm.latent.nearest_neighbors, X, 10)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_knn_bad_input(rng):
    X = rng.standard_normal((10, 3)).astype(np.float32)
    with pytest.raises(ValueError, match=r"'n_neighbors' must be in \[1, 9\]"):
        gm.latent.nearest_neighbors(X, 10)
    bad = X.copy()
    bad[2, 1] = np.nan
    with pytest.raises(ValueError, match="'X' contains NaN"):
        gm.latent.nearest_neighbors(bad, 3)
    with pytest.raises(ValueError, match="2-dimensional"):
        gm.latent.nearest_neighbors(X[0], 3)
    with pytest.raises(ValueError, match="'metric'"):
        gm.latent.nearest_neighbors(X, 3, metric="manhattan")


# --- t-SNE -------------------------------------------------------------------------

def test_perplexity_calibration(rng):
    X = rng.standard_normal((200, 5)).astype(np.float32)
    idx, dist = gm.latent.nearest_neighbors(X, 90)
    P = _core.tsne_affinities(dist, 30.0)
    np.testing.assert_allclose(P.sum(1), 1, rtol=1e-5)
    entropy = -np.sum(P * np.log(np.maximum(P, 1e-30)), axis=1)
    np.testing.assert_allclose(entropy, np.log(30.0), atol=1e-4)
    # same P as the Gaussian kernel on squared distances with that beta
    p0 = P[0]
    ratios = np.log(p0[1:] / p0[0]) / (dist[0, 1:].astype(np.float64) ** 2 - dist[0, 0] ** 2)
    assert np.ptp(ratios[np.isfinite(ratios)]) < 1e-2 * np.abs(ratios).mean()


def small_graph(n=60, seed=0):
    X, _ = blobs(n, 4, 3, seed)
    tsne = gm.latent.TSNE(perplexity=5)
    indptr, indices, p = tsne._affinities(X)
    return indptr, indices, p


def test_affinities_are_symmetric_and_normalised():
    indptr, indices, p = small_graph()
    n = len(indptr) - 1
    dense = np.zeros((n, n))
    dense[np.repeat(np.arange(n), np.diff(indptr)), indices] = p
    np.testing.assert_allclose(dense, dense.T, atol=1e-9)
    np.testing.assert_allclose(dense.sum(), 1.0, rtol=1e-5)


def test_barnes_hut_gradient_matches_exact(rng):
    indptr, indices, p = small_graph(200)
    y = rng.standard_normal((200, 2)).astype(np.float32) * 5
    exact = _core.tsne_gradient_ref(y, indptr, indices, p, 1.0)
    for theta, tol in ((0.0, 1e-3), (0.2, 0.03), (0.5, 0.1)):
        y1, upd, gains = y.copy(), np.zeros_like(y), np.ones_like(y)
        # one step, lr 1, momentum 0: y1 = y - gain * grad, where the gain is
        # 1.2 where grad > 0 and 0.8 elsewhere (the previous update was 0)
        _core.tsne_optimize(y1, upd, gains, indptr, indices, p, 1, 1.0, 0.0, 1.0, theta, False)
        step = y1.astype(np.float64) - y
        grad = -step / np.where(step < 0, 1.2, 0.8)
        err = np.linalg.norm(grad - exact) / np.linalg.norm(exact)
        assert err < tol, (theta, err)


def test_tsne_separates_blobs_and_is_deterministic(with_threads):
    X, labels = blobs(500)
    a = with_threads(1, gm.latent.TSNE(random_state=3, n_iter=400).fit, X)
    b = with_threads(2, gm.latent.TSNE(random_state=3, n_iter=400).fit, X)
    np.testing.assert_array_equal(a.embedding_, b.embedding_)
    assert gm.metrics.knn_accuracy(a.embedding_, labels) > 0.98
    assert np.isfinite(a.kl_divergence_) and a.kl_divergence_ < 2.0 and a.n_iter_ == 400


def test_tsne_bad_input():
    X, _ = blobs(40)
    with pytest.raises(ValueError, match="'perplexity'.*smaller than"):
        gm.latent.TSNE(perplexity=50).fit(X)
    with pytest.raises(ValueError, match="only n_components=2"):
        gm.latent.TSNE(n_components=3).fit(X)
    with pytest.raises(ValueError, match="'init'"):
        gm.latent.TSNE(init="spectral", perplexity=5).fit(X)
    with pytest.raises(ValueError, match="contains NaN"):
        gm.latent.TSNE().fit(np.full((40, 3), np.nan))


def test_tsne_handles_duplicates_and_constant_columns():
    X, _ = blobs(120, 4, 3)
    X[:20] = X[0]                     # 20 identical points
    X[:, 2] = 1.0                     # a constant column
    emb = gm.latent.TSNE(perplexity=10, random_state=0, n_iter=300).fit_transform(X)
    assert np.all(np.isfinite(emb))


# --- UMAP --------------------------------------------------------------------------

def test_ab_parameters_match_umap_learn():
    a, b = find_ab_params(1.0, 0.1)
    assert abs(a - 1.577) < 0.01 and abs(b - 0.895) < 0.01


def test_smooth_knn_memberships_sum_to_log2_k(rng):
    X = rng.standard_normal((300, 4)).astype(np.float32)
    _, dist = gm.latent.nearest_neighbors(X, 14)
    rho, sigma = smooth_knn_dist(dist, 15)
    member = np.exp(-np.maximum(dist - rho[:, None], 0) / sigma[:, None])
    np.testing.assert_allclose(member.sum(1), np.log2(15), rtol=1e-3)


def test_umap_separates_blobs_deterministically_and_transforms(with_threads):
    X, labels = blobs(600)
    a = with_threads(1, gm.latent.UMAP(random_state=1, n_epochs=200).fit, X)
    b = with_threads(2, gm.latent.UMAP(random_state=1, n_epochs=200).fit, X)
    np.testing.assert_array_equal(a.embedding_, b.embedding_)
    assert gm.metrics.knn_accuracy(a.embedding_, labels) > 0.98
    rows, cols, w = a.graph_
    assert len(rows) == len(cols) == len(w) and np.all((w > 0) & (w <= 1 + 1e-6))
    new, new_labels = blobs(30, seed=0)           # the same centres: the same clusters
    placed = a.transform(new)
    centres = np.array([a.embedding_[labels == c].mean(0) for c in range(4)])
    nearest = np.argmin(((placed[:, None] - centres[None]) ** 2).sum(-1), axis=1)
    assert np.mean(nearest == new_labels) > 0.9


def test_umap_bad_input():
    X, _ = blobs(50)
    with pytest.raises(ValueError, match=r"'n_neighbors' must be in \[2, n_points\) = \[2, 50\)"):
        gm.latent.UMAP(n_neighbors=60).fit(X)
    with pytest.raises(ValueError, match="min_dist <= spread"):
        gm.latent.UMAP(min_dist=2.0).fit(X)
    with pytest.raises(RuntimeError, match="call fit before transform"):
        gm.latent.UMAP().transform(X)
    with pytest.raises(ValueError, match="'n_jobs'"):
        gm.latent.UMAP(n_jobs=0).fit(X)


# --- geometry and metrics ------------------------------------------------------------

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
