"""Nearest neighbours: exact search against a brute-force reference, the
approximate search's recall on real images, ties, duplicates, thread-count
and instruction-set independence, and bad input."""
import gzip
import os

import numpy as np
import pytest

import genmodels as gm
from genmodels import _core
from genmodels.latent.knn import descent_parameters, nearest_neighbors

FASHION = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"


def fashion_mnist(n):
    """The first n Fashion-MNIST test images as (n, 784) float32 in [0, 1]."""
    if not os.path.exists(FASHION):
        if os.environ.get("GENMODELS_REQUIRE_DATA") == "1":
            raise FileNotFoundError(FASHION)
        pytest.skip("Fashion-MNIST not installed locally (.ci/run installs it)")
    with gzip.open(FASHION) as f:
        raw = f.read(16 + n * 784)
    return np.frombuffer(raw, np.uint8, offset=16).reshape(n, 784).astype(np.float32) / 255


def brute_force(X, Q, k, exclude_self, metric="euclidean"):
    """Reference: float64 distances, ranked by (distance, index)."""
    X64, Q64 = X.astype(np.float64), Q.astype(np.float64)
    if metric == "cosine":
        nx, nq = np.linalg.norm(X64, axis=1), np.linalg.norm(Q64, axis=1)
        sim = (Q64 @ X64.T) / np.maximum(np.outer(nq, nx), 1e-300)
        d = 1 - sim
        d[np.outer(nq == 0, nx != 0) | np.outer(nq != 0, nx == 0)] = 1
        d[np.outer(nq == 0, nx == 0)] = 0
    else:
        d = np.sqrt(((Q64[:, None, :] - X64[None, :, :]) ** 2).sum(-1))
    if exclude_self:
        np.fill_diagonal(d, np.inf)
    order = np.lexsort((np.broadcast_to(np.arange(len(X)), d.shape), d), axis=1)[:, :k]
    return order, np.take_along_axis(d, order, 1)


def assert_same_up_to_near_ties(idx, want_idx, want_dist, tol=1e-6):
    """Indices equal, except where the reference distances are within tol
    of a neighbour's (float32 rounding may order those either way)."""
    gaps = np.diff(want_dist, axis=1) < tol
    near_tie = np.zeros(want_dist.shape, bool)
    near_tie[:, 1:] |= gaps
    near_tie[:, :-1] |= gaps
    assert np.all((idx == want_idx) | near_tie)


def recall(found, truth):
    return np.mean([len(np.intersect1d(a, b)) for a, b in zip(found, truth)]) / truth.shape[1]


# --- exact -----------------------------------------------------------------------

@pytest.mark.parametrize("n, d, k", [(40, 2, 1), (300, 17, 15), (2600, 5, 7), (700, 130, 30)])
def test_exact_matches_brute_force(n, d, k, rng):
    X = rng.standard_normal((n, d)).astype(np.float32)
    idx, dist = nearest_neighbors(X, k, method="exact")
    want_idx, want_dist = brute_force(X, X, k, True)
    assert idx.dtype == np.int64 and dist.dtype == np.float32 and idx.shape == dist.shape == (n, k)
    np.testing.assert_array_equal(idx, want_idx)
    np.testing.assert_allclose(dist, want_dist, rtol=1e-6, atol=1e-6)


def test_exact_queries_against_other_points(rng):
    X = rng.standard_normal((1500, 9)).astype(np.float32)
    Q = rng.standard_normal((1100, 9)).astype(np.float32)   # more than one chunk of rows
    idx, dist = nearest_neighbors(X, 6, queries=Q)
    want_idx, want_dist = brute_force(X, Q, 6, False)
    np.testing.assert_array_equal(idx, want_idx)
    np.testing.assert_allclose(dist, want_dist, rtol=1e-6, atol=1e-6)


def test_cosine_with_a_zero_row(rng):
    X = rng.standard_normal((200, 6)).astype(np.float32)
    X[7] = 0
    X[10] = X[3]                                      # a duplicate: an exact tie
    X[11] = 3 * X[5]                                  # same direction: distance 0
    want_idx, want_dist = brute_force(X, X, 5, True, "cosine")
    idx, dist = nearest_neighbors(X, 5, metric="cosine", method="exact")
    assert_same_up_to_near_ties(idx, want_idx, want_dist)
    np.testing.assert_allclose(dist, want_dist, atol=2e-6)
    assert idx[3, 0] == 10 and dist[3, 0] == 0 and idx[5, 0] == 11 and dist[5, 0] < 1e-6
    np.testing.assert_allclose(dist[7], 1.0, atol=1e-6)   # the zero vector is 1 from all
    idx, dist = nearest_neighbors(X, 5, metric="cosine", method="approx", random_state=0)
    assert recall(idx, want_idx) > 0.9
    assert np.all(dist >= want_dist - 2e-6)                # never closer than the truth


def test_cosine_finds_duplicates_first(rng):
    X = rng.standard_normal((100, 6)).astype(np.float32)
    X[10] = X[3]
    idx, dist = nearest_neighbors(X, 4, metric="cosine", method="exact")
    U = X / np.linalg.norm(X, axis=1, keepdims=True)
    cos = 1 - U @ U.T
    np.fill_diagonal(cos, np.inf)
    np.testing.assert_allclose(dist, np.sort(cos, axis=1)[:, :4], atol=1e-5)
    assert idx[3, 0] == 10 and idx[10, 0] == 3 and dist[3, 0] < 1e-6


def test_exact_is_deterministic_across_threads(rng, with_threads):
    X = rng.standard_normal((3000, 20)).astype(np.float32)
    a = with_threads(1, nearest_neighbors, X, 10, method="exact")
    b = with_threads(2, nearest_neighbors, X, 10, method="exact")
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_ties_go_to_the_lower_index():
    # integer grid points, each twice: many exactly equal distances
    g = np.array([(x, y) for x in range(12) for y in range(12)], np.float32)
    X = np.concatenate([g, g[::-1]])
    idx, dist = nearest_neighbors(X, 9, method="exact")
    want_idx, want_dist = brute_force(X, X, 9, True)
    np.testing.assert_array_equal(idx, want_idx)
    np.testing.assert_array_equal(dist, want_dist.astype(np.float32))
    assert np.all(dist[:, 0] == 0)                    # every point's twin


def test_exact_is_accurate_far_from_the_origin(rng):
    # ||x||^2 + ||y||^2 - 2 x.y loses digits here; the recomputation does not
    X = (1000 + rng.standard_normal((500, 8))).astype(np.float32)
    idx, dist = nearest_neighbors(X, 10, method="exact")
    want_idx, want_dist = brute_force(X, X, 10, True)
    np.testing.assert_allclose(dist, want_dist, rtol=1e-5)
    assert np.mean(idx == want_idx) > 0.99


# --- approximate -------------------------------------------------------------------

def test_approx_recall_on_fashion_mnist():
    X = fashion_mnist(3000)
    truth, truth_dist = nearest_neighbors(X, 15, method="exact")
    idx, dist = nearest_neighbors(X, 15, method="approx", random_state=0)
    assert recall(idx, truth) >= 0.95
    assert np.all(np.diff(dist, axis=1) >= 0) and np.all(idx != np.arange(3000)[:, None])
    # distances are the true ones for the neighbours found
    exact = np.linalg.norm(X[idx].astype(np.float64) - X[:, None, :], axis=2)
    np.testing.assert_allclose(dist, exact, rtol=1e-6, atol=1e-6)
    cos_idx, _ = nearest_neighbors(X, 15, metric="cosine", method="approx", random_state=1)
    assert recall(cos_idx, nearest_neighbors(X, 15, metric="cosine", method="exact")[0]) >= 0.95


def test_approx_is_deterministic_across_threads(with_threads):
    X = fashion_mnist(1500)
    a = with_threads(1, nearest_neighbors, X, 10, method="approx", random_state=4)
    b = with_threads(2, nearest_neighbors, X, 10, method="approx", random_state=4)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_approx_is_the_same_with_portable_kernels(rng):
    X = rng.standard_normal((1200, 37)).astype(np.float32)   # 37: lanes and a tail
    native = nearest_neighbors(X, 10, method="approx", random_state=2)
    _core._set_cpu_allowed(0)
    try:
        portable = nearest_neighbors(X, 10, method="approx", random_state=2)
    finally:
        _core._set_cpu_allowed(~0 & 0xFFFFFFFF)
    np.testing.assert_array_equal(native[0], portable[0])
    np.testing.assert_array_equal(native[1], portable[1])


def test_approx_seeds(rng):
    X = rng.standard_normal((2000, 6)).astype(np.float32)
    a = nearest_neighbors(X, 8, method="approx", random_state=1)
    b = nearest_neighbors(X, 8, method="approx", random_state=1)
    np.testing.assert_array_equal(a[0], b[0])
    gm.seed(5)
    c = nearest_neighbors(X, 8, method="approx")
    gm.seed(5)
    d = nearest_neighbors(X, 8, method="approx")
    np.testing.assert_array_equal(c[0], d[0])
    assert recall(a[0], brute_force(X, X, 8, True)[0]) > 0.98


def test_approx_with_duplicates_and_constant_columns(rng):
    X = rng.standard_normal((900, 5)).astype(np.float32)
    X[:300] = X[0]                                   # 300 copies of one point
    X[:, 2] = 7.0
    idx, dist = nearest_neighbors(X, 12, method="approx", random_state=0)
    assert np.all(np.isfinite(dist)) and np.all(dist[:300] == 0)
    assert np.all(idx[:300] < 300) and np.all(idx != np.arange(900)[:, None])
    assert all(len(set(row)) == 12 for row in idx)
    assert recall(idx[300:], brute_force(X, X, 12, True)[0][300:]) > 0.98


def test_approx_on_tiny_data_fills_every_slot(rng):
    X = rng.standard_normal((6, 3)).astype(np.float32)
    idx, dist = nearest_neighbors(X, 5, method="approx", random_state=0)
    want_idx, want_dist = brute_force(X, X, 5, True)
    np.testing.assert_array_equal(idx, want_idx)


def test_auto_chooses_by_cost():
    assert descent_parameters(70000, 15)[0] == 18          # umap-learn's forest size
    from genmodels.latent.knn import _use_exact
    assert _use_exact(2000, 784, 1) and _use_exact(10000, 50, 15) and _use_exact(70000, 50, 90)
    assert not _use_exact(10000, 784, 15) and not _use_exact(70000, 50, 15) and not _use_exact(70000, 784, 90)


def test_verbose_reports_progress(rng, capsys):
    X = rng.standard_normal((500, 4)).astype(np.float32)
    nearest_neighbors(X, 5, method="approx", random_state=0, verbose=True)
    nearest_neighbors(X, 5, method="exact", verbose=True)
    err = capsys.readouterr().err
    assert "trees" in err and "NN-descent iteration 1" in err and "500/500 rows" in err


# --- bad input ---------------------------------------------------------------------

def test_bad_input(rng):
    X = rng.standard_normal((10, 3)).astype(np.float32)
    with pytest.raises(ValueError, match=r"'n_neighbors' must be in \[1, 9\]"):
        nearest_neighbors(X, 10)
    with pytest.raises(ValueError, match=r"'n_neighbors' must be in \[1, 9\]"):
        nearest_neighbors(X, 0, method="approx")
    with pytest.raises(TypeError, match="'n_neighbors' must be an int"):
        nearest_neighbors(X, 2.5)
    for value in (np.nan, np.inf):
        bad = X.copy()
        bad[2, 1] = value
        with pytest.raises(ValueError, match="'X' contains NaN or Inf"):
            nearest_neighbors(bad, 3)
    with pytest.raises(ValueError, match="2-dimensional"):
        nearest_neighbors(X[0], 3)
    with pytest.raises(ValueError, match="'metric'"):
        nearest_neighbors(X, 3, metric="manhattan")
    with pytest.raises(ValueError, match="'method'"):
        nearest_neighbors(X, 3, method="fast")
    with pytest.raises(ValueError, match="'queries' have 4 features"):
        nearest_neighbors(X, 3, queries=np.zeros((2, 4)))
    with pytest.raises(ValueError, match="'queries' contains NaN"):
        nearest_neighbors(X, 3, queries=np.full((2, 3), np.nan))
    with pytest.raises(ValueError, match="'n_jobs'"):
        nearest_neighbors(X, 3, n_jobs=0)


def test_bindings_reject_bad_arrays(rng):
    X = rng.standard_normal((20, 3)).astype(np.float32)
    idx, dist = np.empty((20, 4), np.int64), np.empty((20, 4), np.float32)
    ws = np.empty(_core.knn_exact_workspace_size(20, 20, 4), np.float32)
    _core.knn_exact_rows(X, X, 0, idx, dist, ws)
    np.testing.assert_array_equal(idx, brute_force(X, X, 4, True)[0])
    with pytest.raises(TypeError, match="'distances' must have dtype float32"):
        _core.knn_exact_rows(X, X, 0, idx, dist.astype(np.float64), ws)
    with pytest.raises(ValueError, match="'workspace' needs"):
        _core.knn_exact_rows(X, X, 0, idx, dist, ws[:10])
    with pytest.raises(ValueError, match="'self_offset'"):
        _core.knn_exact_rows(X, X[5:], 10, idx[5:], dist[5:], ws)
    with pytest.raises(ValueError, match="'queries' must be C-contiguous"):
        _core.knn_exact_rows(X, np.asfortranarray(X), 0, idx, dist, ws)
    flags = np.empty((20, 4), np.uint8)
    _core.knn_graph_start(idx, dist, flags, X)
    with pytest.raises(ValueError, match="do not describe leaves"):
        _core.knn_graph_add_leaves(idx, dist, flags, X, np.arange(20), np.array([0, 25]), 1)
    with pytest.raises(ValueError, match="overlaps"):
        _core.knn_graph_start(idx, dist, idx.view(np.uint8).reshape(-1)[:80].reshape(20, 4), X)
    idx[3, 1] = 99
    ws = np.empty(_core.nn_descent_workspace_size(20, 4, 8), np.uint8)
    with pytest.raises(ValueError, match="outside"):
        _core.nn_descent_iteration(idx, dist, flags, X, 8, 0, 0, ws)
    with pytest.raises(ValueError, match="'workspace' needs"):
        _core.nn_descent_iteration(idx, dist, flags, X, 8, 0, 0, ws[:100])
