"""t-SNE: perplexity calibration and the Barnes-Hut gradient against exact
references, embeddings that separate clusters whatever the thread count,
and bad input."""
import numpy as np
import pytest

import genmodels as gm
from conftest import blobs
from genmodels import _core


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


def test_csr_from_coo_sums_duplicates_like_scipy(rng):
    from scipy.sparse import coo_matrix
    from genmodels.latent._graph import csr_from_coo
    n = 50
    rows, cols = rng.integers(0, n, 400), rng.integers(0, n, 400)
    vals = rng.random(400)
    indptr, indices, summed = csr_from_coo(rows.astype(np.int32), cols.astype(np.int32), vals, n)
    want = coo_matrix((vals, (rows, cols)), shape=(n, n)).tocsr()
    want.sum_duplicates()
    want.sort_indices()
    np.testing.assert_array_equal(indptr, want.indptr)
    np.testing.assert_array_equal(indices, want.indices)
    np.testing.assert_allclose(summed, want.data, rtol=1e-12)
    empty = csr_from_coo(np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0), 3)
    np.testing.assert_array_equal(empty[0], [0, 0, 0, 0])
