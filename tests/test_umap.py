"""UMAP: each step against a reference (a/b fit, smooth kNN calibration,
fuzzy union, spectral vectors, components, layout forces), then whole
embeddings: separation of blobs, determinism across threads, instruction
sets and chunkings, transform, and bad input."""
import math

import numpy as np
import pytest

import genmodels as gm
from conftest import blobs
from genmodels import _core
from genmodels.latent import umap as U


# --- the fuzzy simplicial set --------------------------------------------------------

@pytest.mark.parametrize("min_dist, spread", [(0.1, 1.0), (0.0, 1.0), (0.5, 2.0), (0.9, 1.0)])
def test_ab_fit_matches_curve_fit(min_dist, spread):
    from scipy.optimize import curve_fit
    a, b = U.find_ab_params(spread, min_dist)
    x = np.linspace(0, spread * 3, 300)
    y = np.where(x < min_dist, 1.0, np.exp(-(x - min_dist) / spread))
    (ra, rb), _ = curve_fit(lambda x, a, b: 1.0 / (1.0 + a * x ** (2 * b)), x, y)
    assert a == pytest.approx(ra, rel=1e-3) and b == pytest.approx(rb, rel=1e-3)
    if (min_dist, spread) == (0.1, 1.0):   # umap-learn's defaults
        assert a == pytest.approx(1.577, abs=2e-3) and b == pytest.approx(0.895, abs=2e-3)


def smooth_knn_reference(distances, k):
    """umap-learn's smooth_knn_dist (local_connectivity 1), in float64,
    for rows of distances without the self column."""
    d = distances.astype(np.float64)
    n = len(d)
    mean_all = d.sum() / (n * (d.shape[1] + 1))
    rho, sigma = np.zeros(n), np.zeros(n)
    for i in range(n):
        nonzero = d[i][d[i] > 0]
        rho[i] = nonzero[0] if len(nonzero) else 0.0
        lo, hi, mid = 0.0, np.inf, 1.0
        for _ in range(64):
            psum = np.sum(np.where(d[i] - rho[i] > 0, np.exp(-(d[i] - rho[i]) / mid), 1.0))
            if abs(psum - math.log2(k)) < 1e-5:
                break
            if psum > math.log2(k):
                hi = mid
                mid = (lo + hi) / 2
            else:
                lo = mid
                mid = mid * 2 if hi == np.inf else (lo + hi) / 2
        floor = 1e-3 * (d[i].sum() / (d.shape[1] + 1) if rho[i] > 0 else mean_all)
        sigma[i] = max(mid, floor)
    return rho, sigma


def test_smooth_knn_calibration(rng):
    X = rng.standard_normal((300, 4)).astype(np.float32)
    X[5] = X[6] = X[7]                                # a point with zero distances
    _, dist = gm.latent.nearest_neighbors(X, 14)
    rho, sigma = U.smooth_knn_dist(dist, 15)
    want_rho, want_sigma = smooth_knn_reference(dist, 15)
    np.testing.assert_array_equal(rho, want_rho.astype(np.float32))
    np.testing.assert_allclose(sigma, want_sigma, rtol=1e-5)
    member = U.memberships(dist, 15)
    np.testing.assert_allclose(member.sum(1), np.log2(15), rtol=1e-4)   # sum = log2(k) per row
    assert rho[5] > 0 and member[5, 0] == 1.0 and member[5, 1] == 1.0    # the twins: full membership
    # transform's version: no local connectivity, rho = 0
    rho0, _ = U.smooth_knn_dist(dist, 15, local_connectivity=0)
    assert np.all(rho0 == 0)
    np.testing.assert_allclose(U.memberships(dist, 15, 0).sum(1), np.log2(15), rtol=1e-4)


def test_smooth_knn_of_identical_points():
    # every distance 0: no calibration is possible; sigma floors at 0, all memberships 1
    w = U.memberships(np.zeros((5, 4), np.float32), 5)
    np.testing.assert_array_equal(w, 1.0)
    with pytest.raises(ValueError, match="'distances' must be finite and >= 0"):
        _core.umap_smooth_knn(-np.ones((3, 2), np.float32), 1.0, 64, 1)


def fuzzy_union_reference(indices, weights, n):
    """The fuzzy union by sorting in NumPy: edges of weight <= 0 dropped,
    each edge (i, c) valued w + x - w * x with x the weight of the first
    edge (c, i) in sorted order (0 if none), and edges seen from one side
    only mirrored; entries in (row, column) order, ties in input order."""
    m = indices.shape[1]
    rows = np.repeat(np.arange(n, dtype=np.int64), m)
    cols = indices.reshape(-1).astype(np.int64)
    vals = weights.reshape(-1).astype(np.float64)
    keep = vals > 0
    rows, cols, vals = rows[keep], cols[keep], vals[keep]
    key = rows * n + cols
    order = np.argsort(key, kind="stable")
    key, rows, cols, vals = key[order], rows[order], cols[order], vals[order]
    reverse = cols * n + rows
    pos = np.minimum(np.searchsorted(key, reverse), max(len(key) - 1, 0))
    found = key[pos] == reverse if len(key) else np.zeros(0, bool)
    reverse_vals = np.where(found, vals[pos], 0.0)
    union = vals + reverse_vals - vals * reverse_vals
    all_rows = np.concatenate([rows, cols[~found]])
    all_cols = np.concatenate([cols, rows[~found]])
    all_vals = np.concatenate([union, union[~found]])
    order = np.argsort(all_rows * n + all_cols, kind="stable")
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(all_rows, minlength=n), out=indptr[1:])
    return indptr, all_cols[order], all_vals[order]


def knn_like(rng, n, m, repeats=False):
    """Indices (n, m) of other points, mostly near in a ring (so many edges
    are mutual), with some zero weights; with repeats, also repeated
    columns and self-loops."""
    near = (np.arange(n)[:, None] + rng.integers(-m, m + 1, (n, m))) % n
    idx = np.where(rng.random((n, m)) < 0.7, near, rng.integers(0, n, (n, m)))
    if not repeats:
        for i in range(n):          # distinct and not the point itself
            row = [c for c in dict.fromkeys(idx[i]) if c != i]
            row += [c for c in rng.permutation(n) if c != i and c not in row][:m - len(row)]
            idx[i] = row
    w = rng.uniform(0.01, 1, (n, m)).astype(np.float32)
    w[rng.random((n, m)) < 0.1] = 0
    return idx.astype(np.int64), w


@pytest.mark.parametrize("n, m, repeats", [(300, 14, False), (300, 14, True), (200, 45, True), (40, 1, False),
                                           (1, 1, True), (1, 3, True), (2, 1, False), (5, 4, True), (60, 0, False)])
def test_fuzzy_union_matches_the_reference_exactly(rng, threads, n, m, repeats):
    idx, w = knn_like(rng, n, m, repeats) if n > m or repeats else (np.zeros((n, m), np.int64),
                                                                     np.ones((n, m), np.float32))
    got, want = U.fuzzy_union(idx, w, n), fuzzy_union_reference(idx, w, n)
    for g, r in zip(got, want):
        assert g.dtype == r.dtype
        np.testing.assert_array_equal(g, r)         # the same entries, order and bits


def test_fuzzy_union_repeats_and_self_loops():
    idx = np.array([[1, 1, 0], [0, 2, 2], [1, 0, 0]])
    w = np.array([[0.5, 0.25, 0.75], [0.5, 0.0, 0.125], [0.375, 0.5, 0.25]], np.float32)
    indptr, indices, vals = U.fuzzy_union(idx, w, 3)
    np.testing.assert_array_equal(indptr, [0, 5, 7, 10])
    # row 0: the self-loop meets itself, both (0, 1) meet the first (1, 0)
    # and the two (2, 0), with no (0, 2), are mirrored; row 1: its (1, 2)
    # of weight 0 is dropped, the other meets (2, 1); row 2: the two (2, 0)
    # meet nothing
    np.testing.assert_array_equal(indices, [0, 1, 1, 2, 2, 0, 2, 0, 0, 1])
    np.testing.assert_array_equal(vals, [0.75 + 0.75 - 0.75 * 0.75, 0.5 + 0.5 - 0.5 * 0.5, 0.25 + 0.5 - 0.25 * 0.5,
                                         0.5, 0.25,
                                         0.5 + 0.5 - 0.5 * 0.5, 0.125 + 0.375 - 0.125 * 0.375,
                                         0.5, 0.25, 0.375 + 0.125 - 0.375 * 0.125])


def test_fuzzy_union_against_dense(rng):
    n, m = 40, 6
    idx = np.stack([rng.choice(np.delete(np.arange(n), i), m, replace=False) for i in range(n)])
    w = rng.uniform(0.05, 1, (n, m)).astype(np.float32)
    indptr, indices, vals = U.fuzzy_union(idx, w, n)
    P = np.zeros((n, n))
    P[np.repeat(np.arange(n), m), idx.reshape(-1)] = w.reshape(-1)
    want = P + P.T - P * P.T
    got = np.zeros((n, n))
    got[np.repeat(np.arange(n), np.diff(indptr)), indices] = vals
    np.testing.assert_allclose(got, want, rtol=1e-6)
    assert len(vals) == np.count_nonzero(want)
    for i in range(n):                                # columns sorted within rows
        assert np.all(np.diff(indices[indptr[i]:indptr[i + 1]]) > 0)


def test_fuzzy_union_bad_input():
    idx, w = np.array([[1], [0], [1]]), np.full((3, 1), 0.5, np.float32)
    for bad in (-1, 3):
        idx[2, 0] = bad
        with pytest.raises(ValueError, match=r"'indices' must be in \[0, 3\)"):
            U.fuzzy_union(idx, w, 3)
    idx[2, 0] = 0
    for bad in (np.nan, np.inf):
        w[1, 0] = bad
        with pytest.raises(ValueError, match="'weights' must be finite"):
            U.fuzzy_union(idx, w, 3)
    with pytest.raises(ValueError, match=r"must have shape \(4, m\)"):
        U.fuzzy_union(idx, w, 4)
    with pytest.raises(ValueError, match="'weights' has shape"):
        _core.umap_fuzzy_union(idx, np.ones((3, 2)))
    with pytest.raises(TypeError, match="'weights' must have dtype float64"):
        _core.umap_fuzzy_union(idx, w)


# --- spectral initialisation ---------------------------------------------------------

def dense_of(indptr, indices, vals, n):
    A = np.zeros((n, n))
    A[np.repeat(np.arange(n), np.diff(indptr)), indices] = vals
    return A


def test_chebyshev_step(rng):
    indptr = np.array([0, 2, 2, 5, 6], np.int64)
    indices = np.array([1, 3, 0, 1, 2, 3], np.int32)
    vals = rng.standard_normal(6)
    y1, y0 = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    A = dense_of(indptr, indices, vals, 4)
    step = _core.csr_chebyshev_step
    np.testing.assert_allclose(step(indptr, indices, vals, y1, None, 1.0, 0.0), A @ y1, rtol=1e-12)
    np.testing.assert_allclose(step(indptr, indices, vals, y1, y0, 2.5, 0.3), 2.5 * (A @ y1 - 0.3 * y1) - y0,
                               rtol=1e-12)
    for cols in (1, 2, 4, 5, 6, 7, 8, 9, 16, 37):      # fixed widths, and more than one register block
        wide, old = rng.standard_normal((4, cols)), rng.standard_normal((4, cols))
        np.testing.assert_allclose(step(indptr, indices, vals, wide, old, 0.5, -1.5),
                                   0.5 * (A @ wide + 1.5 * wide) - old, rtol=1e-12, atol=1e-14)
    with pytest.raises(ValueError, match="inconsistent CSR"):
        step(indptr, np.array([1, 3, 0, 1, 9, 0], np.int32), vals, y1, None, 1.0, 0.0)
    with pytest.raises(ValueError, match="inconsistent CSR"):
        step(indptr, np.array([1, 3, 0, -1, 2, 0], np.int32), vals, y1, None, 1.0, 0.0)
    with pytest.raises(ValueError, match="decreasing 'indptr'"):
        step(np.array([0, 3, 2, 5, 6], np.int64), indices, vals, y1, None, 1.0, 0.0)
    with pytest.raises(TypeError, match="'indices' must have dtype int32"):
        step(indptr, indices.astype(np.int64), vals, y1, None, 1.0, 0.0)
    with pytest.raises(TypeError, match="'values' must have dtype float64"):
        step(indptr, indices, vals.astype(np.float32), y1, None, 1.0, 0.0)
    with pytest.raises(ValueError, match="'y0' has shape"):
        step(indptr, indices, vals, y1, y0[:2], 1.0, 0.0)


def test_spectral_vectors_match_dense_eigenvectors():
    X, _ = blobs(300, 5, 3, scale=1.5)                # one connected component
    idx, dist = gm.latent.nearest_neighbors(X, 9)
    graph = U.fuzzy_union(idx, U.memberships(dist, 10), 300)
    assert U.connected_components(graph[0], graph[1]).max() == 0
    vectors, converged = U.spectral_vectors(*graph, 2, seed=0)
    assert converged
    A = dense_of(*graph, 300)
    d = A.sum(1)
    _, V = np.linalg.eigh(A / np.sqrt(np.outer(d, d)))
    want = V[:, ::-1][:, 1:3]                          # after the trivial one
    # the same subspace: projections agree
    np.testing.assert_allclose(vectors @ vectors.T, want @ want.T, atol=1e-3)


def test_connected_components(rng):
    # three chains and an isolated pair, shuffled
    perm = rng.permutation(30)
    pairs = [(i, i + 1) for i in range(0, 9)] + [(i, i + 1) for i in range(10, 24)] + [(25, 26), (27, 28)]
    rows = np.array([perm[a] for a, b in pairs] + [perm[b] for a, b in pairs])
    cols = np.array([perm[b] for a, b in pairs] + [perm[a] for a, b in pairs])
    order = np.argsort(rows * 30 + cols)
    indptr = np.zeros(31, np.int64)
    np.cumsum(np.bincount(rows, minlength=30), out=indptr[1:])
    labels = U.connected_components(indptr, cols[order].astype(np.int64))
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    count, want = connected_components(coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(30, 30)))
    assert labels.max() + 1 == count
    for c in range(count):                            # the same partition
        assert len(np.unique(want[labels == c])) == 1


def test_spectral_layout_of_separate_components():
    X, labels = blobs(400, 6, 5, scale=30)            # five far-apart blobs: five components
    idx, dist = gm.latent.nearest_neighbors(X, 9)
    graph = U.fuzzy_union(idx, U.memberships(dist, 10), 400)
    comp = U.connected_components(graph[0], graph[1])
    assert comp.max() + 1 == 5
    y = U.spectral_layout(X, graph, 2, seed=0, metric="euclidean")
    assert np.abs(y).max() == pytest.approx(10)
    centres = np.array([y[comp == c].mean(0) for c in range(5)])
    nearest = np.argmin(((y[:, None] - centres[None]) ** 2).sum(-1), axis=1)
    np.testing.assert_array_equal(nearest, comp)     # each component in its own region
    assert np.all(np.std(y, axis=0) > 1)


# --- the layout ------------------------------------------------------------------------

def layout_reference(head, tail, indptr, indices, eps, n_epochs, a, b, gamma, alpha0, rate):
    """umap-learn's epochs for a fixed tail of ONE point (so every negative
    sample is that point), Jacobi style, in float64."""
    head = head.astype(np.float64)
    next_s, next_n = eps.astype(np.float64).copy(), eps / rate
    for epoch in range(n_epochs):
        alpha = alpha0 * (1 - epoch / n_epochs)
        start = head.copy()
        for i in range(len(head)):
            for e in range(indptr[i], indptr[i + 1]):
                if next_s[e] > epoch:
                    continue
                diff = start[i] - tail[indices[e]]
                d2 = diff @ diff
                coeff = -2 * a * b * d2 ** (b - 1) / (1 + a * d2 ** b)
                head[i] += alpha * np.clip(coeff * diff, -4, 4)
                next_s[e] += eps[e]
                n_neg = int((epoch - next_n[e]) / (eps[e] / rate))
                for _ in range(max(n_neg, 0)):
                    coeff = 2 * gamma * b / ((0.001 + d2) * (1 + a * d2 ** b))
                    head[i] += alpha * np.clip(coeff * diff, -4, 4)
                next_n[e] += max(n_neg, 0) * eps[e] / rate
    return head


def test_layout_forces_match_the_reference(rng):
    head = rng.uniform(-3, 3, (50, 2)).astype(np.float32)
    tail = np.array([[0.5, -0.25]], np.float32)
    indptr = np.arange(51, dtype=np.int64)
    indices = np.zeros(50, np.int64)
    eps = rng.uniform(1, 3, 50).astype(np.float32)
    a, b = U.find_ab_params(1.0, 0.1)
    want = layout_reference(head, tail, indptr, indices, eps, 20, a, b, 1.0, 0.25, 5.0)
    got = head.copy()
    _core.umap_optimize(got, tail, indptr, indices, eps, eps.copy(), eps / 5, 0, 20, 20, a, b, 1.0, 0.25, 5.0, 0)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_pow_accuracy_and_portable_kernels():
    x = np.logspace(-29, 5, 5001).astype(np.float32)
    for b in (0.895, 0.5, 1.93):
        want = x.astype(np.float64) ** np.float64(np.float32(b))
        native = _core.umap_pow(x, b)
        normal = (want > 2.0 ** -125) & (want < 2.0 ** 125)    # beyond: clamped to the float range
        np.testing.assert_allclose(native[normal], want[normal], rtol=1e-5)
        assert np.all(native[want <= 2.0 ** -125] <= 2.0 ** -125)
        _core._set_cpu_allowed(0)
        try:
            portable = _core.umap_pow(x, b)
        finally:
            _core._set_cpu_allowed(~0 & 0xFFFFFFFF)
        np.testing.assert_array_equal(native, portable)


def test_layout_bad_arguments():
    head = np.zeros((3, 2), np.float32)
    indptr = np.array([0, 1, 2, 3], np.int64)
    eps = np.ones(3, np.float32)
    args = (eps, eps.copy(), eps.copy(), 0, 1, 1, 1.5, 0.9, 1.0, 1.0, 5.0, 0)
    with pytest.raises(ValueError, match="invalid argument|out of its domain|argument"):
        _core.umap_optimize(head, None, indptr, np.array([1, 2, 7], np.int64), *args)
    with pytest.raises(ValueError, match="inconsistent CSR"):
        _core.umap_optimize(head, None, np.array([0, 1, 2, 4], np.int64), np.array([1, 2, 0], np.int64), *args)


# --- whole embeddings ------------------------------------------------------------------

def test_separates_blobs_deterministically(with_threads):
    X, labels = blobs(600)
    a = with_threads(1, gm.latent.UMAP(random_state=1, n_epochs=150).fit, X)
    b = with_threads(2, gm.latent.UMAP(random_state=1, n_epochs=150).fit, X)
    np.testing.assert_array_equal(a.embedding_, b.embedding_)
    assert a.embedding_.dtype == np.float32 and a.embedding_.shape == (600, 2)
    assert gm.metrics.knn_accuracy(a.embedding_, labels) > 0.99
    rows, cols, w = a.graph_
    assert a.graph_.shape == (600, 600) and np.all((w > 0) & (w <= 1 + 1e-6))
    dense = np.zeros((600, 600))
    dense[rows, cols] = w
    np.testing.assert_allclose(dense, dense.T, rtol=1e-6)
    np.testing.assert_allclose(a.graph_.to_scipy().toarray(), dense, rtol=1e-6)


def test_same_embedding_with_portable_kernels_and_any_chunking(monkeypatch):
    X, _ = blobs(300, 5, 3, scale=2.0)
    native = gm.latent.UMAP(random_state=2, n_epochs=60, metric="cosine").fit_transform(X)
    _core._set_cpu_allowed(0)
    try:
        portable = gm.latent.UMAP(random_state=2, n_epochs=60, metric="cosine").fit_transform(X)
    finally:
        _core._set_cpu_allowed(~0 & 0xFFFFFFFF)
    np.testing.assert_array_equal(native, portable)
    monkeypatch.setattr(U, "_EPOCH_WORK_PER_CALL", 1)  # one epoch per C call
    np.testing.assert_array_equal(native, gm.latent.UMAP(random_state=2, n_epochs=60, metric="cosine")
                                  .fit_transform(X))
    other = gm.latent.UMAP(random_state=3, n_epochs=60, metric="cosine").fit_transform(X)
    assert not np.array_equal(native, other)


@pytest.mark.parametrize("init", ["pca", "random", "array"])
def test_other_initialisations(init):
    X, labels = blobs(400, 6, 3)
    if init == "array":
        init = np.random.default_rng(0).standard_normal((400, 3))
    u = gm.latent.UMAP(n_components=3, init=init, random_state=0, n_epochs=200).fit(X)
    assert u.embedding_.shape == (400, 3) and np.all(np.isfinite(u.embedding_))
    assert gm.metrics.knn_accuracy(u.embedding_, labels) > 0.98


def test_spectral_falls_back_to_pca(monkeypatch):
    X, labels = blobs(300, 5, 3, scale=1.5)
    monkeypatch.setattr(U, "_SPECTRAL_MAX_ITERATIONS", 1)
    with pytest.warns(RuntimeWarning, match="spectral initialisation did not converge; using init='pca'"):
        emb = gm.latent.UMAP(random_state=0, n_epochs=100).fit_transform(X)
    assert np.all(np.isfinite(emb))


def test_transform_places_new_points_by_their_blob():
    X, labels = blobs(600)
    u = gm.latent.UMAP(random_state=1, n_epochs=150).fit(X)
    new, new_labels = blobs(40, seed=0)[0][:40], blobs(40, seed=0)[1][:40]
    rng = np.random.default_rng(7)
    new = new + rng.normal(scale=0.3, size=new.shape).astype(np.float32)
    placed = u.transform(new)
    assert placed.shape == (40, 2) and placed.dtype == np.float32
    centres = np.array([u.embedding_[labels == c].mean(0) for c in range(4)])
    nearest = np.argmin(((placed[:, None] - centres[None]) ** 2).sum(-1), axis=1)
    assert np.mean(nearest == new_labels) == 1.0
    np.testing.assert_array_equal(placed, u.transform(new))          # seeded: repeatable
    with pytest.raises(ValueError, match="'X' has 3 features, the fitted data had 8"):
        u.transform(np.zeros((2, 3)))


def test_duplicates_and_constant_columns():
    X, labels = blobs(300, 5, 3)
    X[:40] = X[0]                                     # 40 identical points
    X[:, 3] = 2.5                                     # a constant column
    emb = gm.latent.UMAP(random_state=0, n_epochs=100).fit_transform(X)
    assert np.all(np.isfinite(emb))
    spread_of_twins = np.abs(emb[:40] - emb[:40].mean(0)).max()
    assert spread_of_twins < 0.1 * np.abs(emb - emb.mean(0)).max()
    same = gm.latent.UMAP(random_state=0, n_epochs=50).fit_transform(np.repeat(X[:1], 20, axis=0))
    assert np.all(np.isfinite(same))


def test_verbose_progress(capsys):
    X, _ = blobs(200)
    gm.latent.UMAP(random_state=0, n_epochs=30, verbose=True).fit(X)
    err = capsys.readouterr().err
    assert "UMAP: fuzzy simplicial set" in err and "fit epoch 30/30" in err


def test_bad_input():
    X, _ = blobs(50)
    with pytest.raises(ValueError, match=r"'n_neighbors' must be in \[2, n_points\) = \[2, 50\)"):
        gm.latent.UMAP(n_neighbors=50).fit(X)
    with pytest.raises(TypeError, match="'n_neighbors' must be an int"):
        gm.latent.UMAP(n_neighbors=4.5).fit(X)
    with pytest.raises(ValueError, match="min_dist <= spread"):
        gm.latent.UMAP(min_dist=2.0).fit(X)
    with pytest.raises(ValueError, match="spread > 0"):
        gm.latent.UMAP(spread=0).fit(X)
    with pytest.raises(ValueError, match="'metric'"):
        gm.latent.UMAP(metric="manhattan").fit(X)
    with pytest.raises(ValueError, match="'init'"):
        gm.latent.UMAP(init="tsne").fit(X)
    with pytest.raises(ValueError, match=r"an array 'init' must be finite with shape \(50, 2\)"):
        gm.latent.UMAP(init=np.zeros((50, 3))).fit(X)
    with pytest.raises(ValueError, match="'n_epochs' must be >= 1"):
        gm.latent.UMAP(n_epochs=0).fit(X)
    with pytest.raises(ValueError, match="'learning_rate' must be > 0"):
        gm.latent.UMAP(learning_rate=-1).fit(X)
    with pytest.raises(ValueError, match="'negative_sample_rate' must be >= 0"):
        gm.latent.UMAP(negative_sample_rate=np.nan).fit(X)
    with pytest.raises(ValueError, match="'n_components' must be >= 1"):
        gm.latent.UMAP(n_components=0).fit(X)
    with pytest.raises(RuntimeError, match="call fit before transform"):
        gm.latent.UMAP().transform(X)
    with pytest.raises(ValueError, match="'n_jobs'"):
        gm.latent.UMAP(n_jobs=0).fit(X)
    for value in (np.nan, np.inf):
        bad = X.copy()
        bad[3, 2] = value
        with pytest.raises(ValueError, match="'X' contains NaN or Inf"):
            gm.latent.UMAP().fit(bad)
    with pytest.raises(ValueError, match="2-dimensional"):
        gm.latent.UMAP().fit(X[:, 0])
    assert gm.latent.UMAP(n_neighbors=-5, init="tsne").n_neighbors == -5   # __init__ only stores


def test_ctrl_c_stops_between_bounded_steps():
    import signal
    import time

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    X, _ = blobs(400)
    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 0.5)
    start = time.perf_counter()
    try:
        with pytest.raises(KeyboardInterrupt):
            gm.latent.UMAP(n_epochs=10 ** 6, random_state=0).fit(X)   # hours if not interrupted
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert time.perf_counter() - start < 10


def test_pca_layout_against_svd(rng):
    for shape in ((200, 5), (6, 9)):                 # more points than features, and fewer
        X = rng.standard_normal(shape) * np.array([5, 3, 1, 0.5, 0.1, 1, 1, 1, 1][:shape[1]])
        y = U.pca_layout(X, 2)
        centred = X - X.mean(0)
        u, s, vt = np.linalg.svd(centred, full_matrices=False)
        want = centred @ vt[:2].T
        want = want * np.sign(np.sum(want * y, axis=0))   # the same axes up to sign
        np.testing.assert_allclose(y, want * (10 / np.abs(want).max()), atol=1e-8)


def test_principal_components_in_row_blocks(rng, monkeypatch):
    from genmodels.latent import _pca
    X = (rng.standard_normal((300, 6)) * [4, 2, 1, 0.5, 0.2, 0.1] + 100).astype(np.float32)
    whole = _pca.principal_components(X, 3)
    monkeypatch.setattr(_pca, "_ROWS", 7)             # many blocks: the same projection
    np.testing.assert_allclose(_pca.principal_components(X, 3), whole, rtol=1e-9, atol=1e-9)
    centred = X.astype(np.float64) - X.mean(0, dtype=np.float64)
    vt = np.linalg.svd(centred, full_matrices=False)[2]
    want = centred @ vt[:3].T
    np.testing.assert_allclose(np.abs(whole), np.abs(want), rtol=1e-6, atol=1e-6)
    big = np.argmax(np.abs(vt[:3]), axis=1)           # signs: largest coefficient positive
    np.testing.assert_allclose(whole, want * np.sign(vt[np.arange(3), big]), rtol=1e-6, atol=1e-6)
    assert _pca.principal_components(X[:, :1], 2)[:, 1].tolist() == [0.0] * 300   # fewer directions


def test_orthonormal_basis_drops_dependent_columns(rng):
    a, b, c = rng.standard_normal((3, 500))
    S = np.stack([a, b, a + 2 * b, c * 1e6], axis=1)    # one dependent column, one large
    Q = U._orthonormal(S)
    assert Q.shape == (500, 3)
    np.testing.assert_allclose(Q.T @ Q, np.eye(3), atol=1e-12)
    projection = Q @ (Q.T @ S)                          # the same span as S
    np.testing.assert_allclose(projection, S, atol=1e-8 * np.abs(S).max())
    assert U._orthonormal(np.zeros((5, 2))).shape == (5, 0)
