"""UMAP (McInnes, Healy & Melville 2018), after umap-learn's algorithm:
smooth kNN distances, fuzzy union, a/b fitted from min_dist and spread,
spectral initialisation, SGD layout with negative sampling.

Unlike umap-learn, a seeded run is also parallel: every epoch moves each
point by the sum of its edges' steps computed from the positions at the
start of the epoch (Jacobi style), with negative samples addressed by
(random_state, epoch, edge), so results are bitwise identical for any
number of threads (and with or without AVX2). Each directed edge pulls
only its head (umap-learn, stepping edge after edge, pulls both ends):
summed from the same start, the doubled pull overshoots, while this one
matches umap-learn's trustworthiness and kNN accuracy. Epochs run as a Python loop over bounded C steps, so
verbose progress and Ctrl-C work between them.
"""
import math
import operator
import sys
import time
import warnings

import numpy as np

from .. import _core, ops
from ._pca import principal_components
from ._validate import as_points, seed_from, threads
from .knn import nearest_neighbors

__all__ = ["UMAP"]

_SMOOTH_K_ITERATIONS = 64
_EPOCH_WORK_PER_CALL = 2e7      # edge visits per C call of the layout
_SPECTRAL_TOLERANCE = 1e-4      # eigen-residual, as umap-learn asks of eigsh
_SPECTRAL_MAX_ITERATIONS = 60   # filtered iterations (about 16 products each)
_CHEBYSHEV_DEGREE = 16
_INIT_NOISE = 1e-4              # umap-learn's noise on spectral and PCA starts
_LAYOUT_SEED = 0x9E3779B97F4A7C15


# --- the fuzzy simplicial set -------------------------------------------------------

def smooth_knn_dist(distances, k, local_connectivity=1):
    """rho (distance to the nearest neighbour at a non-zero distance, or 0
    with local_connectivity=0) and sigma per point, such that
    sum_j exp(-max(d_j - rho, 0) / sigma) = log2(k) over the (n, k - 1)
    distances to each point's neighbours other than itself (umap-learn's
    smooth_knn_dist; sigma floored at 1e-3 of the mean distance)."""
    distances = np.ascontiguousarray(distances, np.float32)
    _, rho, sigma = _core.umap_smooth_knn(distances, math.log2(k), _SMOOTH_K_ITERATIONS, local_connectivity)
    return rho, sigma


def memberships(distances, k, local_connectivity=1):
    """The fuzzy memberships exp(-max(d - rho, 0) / sigma) (n, k - 1)."""
    distances = np.ascontiguousarray(distances, np.float32)
    weights, _, _ = _core.umap_smooth_knn(distances, math.log2(k), _SMOOTH_K_ITERATIONS, local_connectivity)
    return weights


def fuzzy_union(indices, weights, n):
    """Directed memberships (n, m) -> the symmetric fuzzy set
    w + w^T - w * w^T as CSR (indptr, indices, values float64), columns
    sorted within rows; memberships <= 0 are dropped first. A column
    repeated in a row stays repeated (each copy meets the first reverse
    edge)."""
    indices = np.ascontiguousarray(indices, np.int64)
    weights = np.ascontiguousarray(weights, np.float64)
    if indices.ndim != 2 or indices.shape[0] != n or weights.shape != indices.shape:
        raise ValueError(f"fuzzy_union: 'indices' and 'weights' must have shape ({n}, m), "
                         f"got {indices.shape} and {weights.shape}")
    return _core.umap_fuzzy_union(indices, weights)


def find_ab_params(spread, min_dist):
    """a, b of the curve 1 / (1 + a x^(2b)) that best fits the target
    membership (1 below min_dist, exp(-(x - min_dist)/spread) above) on
    300 points of [0, 3 spread], by Gauss-Newton least squares (umap-learn
    uses scipy's curve_fit on the same points)."""
    x = np.linspace(0, spread * 3, 300)[1:]     # x = 0 fits any a, b
    y = np.where(x < min_dist, 1.0, np.exp(-(x - min_dist) / spread))
    a, b = 1.8, 0.8
    for _ in range(200):
        xb = x ** (2 * b)
        f = 1.0 / (1.0 + a * xb)
        common = -f * f * xb
        J = np.stack([common, common * a * 2 * np.log(x)], axis=1)
        step, *_ = np.linalg.lstsq(J, y - f, rcond=None)
        a, b = max(a + step[0], 1e-3), max(b + step[1], 1e-3)
        if np.max(np.abs(step)) < 1e-10:
            break
    return float(a), float(b)


class SparseGraph(tuple):
    """A sparse (n, n) matrix as COO triplets: unpacks as (rows, cols,
    vals); `shape`; `to_scipy()` converts when SciPy is installed."""

    def __new__(cls, rows, cols, vals, shape):
        graph = super().__new__(cls, (rows, cols, vals))
        graph.shape = shape
        return graph

    rows = property(lambda self: self[0])
    cols = property(lambda self: self[1])
    vals = property(lambda self: self[2])

    def to_scipy(self):
        """A scipy.sparse.csr_matrix (SciPy is not a genmodels dependency)."""
        from scipy.sparse import coo_matrix
        return coo_matrix((self.vals, (self.rows, self.cols)), shape=self.shape).tocsr()


# --- initialisation ------------------------------------------------------------------

def _csr_rows(indptr):
    return np.repeat(np.arange(len(indptr) - 1, dtype=np.int64), np.diff(indptr))


def connected_components(indptr, indices):
    """Component labels 0..c-1 (in order of each component's lowest point)
    of an undirected CSR graph, by hooking and pointer jumping."""
    n = len(indptr) - 1
    rows = _csr_rows(indptr)
    parent = np.arange(n, dtype=np.int64)
    while True:
        ru, rv = parent[rows], parent[indices]
        low = np.minimum(ru, rv)
        before = parent.copy()
        np.minimum.at(parent, ru, low)
        np.minimum.at(parent, rv, low)
        while True:
            jumped = parent[parent]
            if np.array_equal(jumped, parent):
                break
            parent = jumped
        if np.array_equal(parent, before):
            break
    _, labels = np.unique(parent, return_inverse=True)
    return labels.astype(np.int64)


def _subgraph(indptr, indices, values, members):
    """The CSR graph induced by the sorted point list `members`."""
    n = len(indptr) - 1
    local = np.full(n, -1, np.int64)
    local[members] = np.arange(len(members))
    rows = _csr_rows(indptr)
    keep = (local[rows] >= 0) & (local[indices] >= 0)
    sub_rows = local[rows[keep]]
    sub_indptr = np.zeros(len(members) + 1, np.int64)
    np.cumsum(np.bincount(sub_rows, minlength=len(members)), out=sub_indptr[1:])
    return sub_indptr, np.ascontiguousarray(local[indices[keep]]), np.ascontiguousarray(values[keep])


# The spectral start works on tall, thin blocks (n x a few). Their products
# go through einsum rather than BLAS: NumPy's threaded BLAS would wake
# worker threads that keep spinning against the C kernels' own threads.

def _gram(A, B):
    """A^T B for tall, thin A and B."""
    return np.einsum("ij,ik->jk", A, B)


def _times(A, C):
    """A @ C for tall, thin A and a small C."""
    return np.einsum("ij,jk->ik", A, C)


def _orthonormal(S):
    """An orthonormal basis of S's columns by Gram-Schmidt with
    re-orthogonalisation ("twice is enough"), dropping columns that depend
    on earlier ones (left with under 1e-10 of the largest column's norm)."""
    scale = max(float(np.sqrt(np.einsum("ij,ij->j", S, S).max())) if S.shape[1] else 0.0, 1e-300)
    basis = []
    for j in range(S.shape[1]):
        v = S[:, j].copy()
        for _ in range(2):
            for q in basis:
                v -= np.einsum("i,i->", q, v) * q
        norm = float(np.sqrt(np.einsum("i,i->", v, v)))
        if norm > 1e-10 * scale:
            basis.append(v / norm)
    return np.stack(basis, axis=1) if basis else np.zeros((len(S), 0))


def spectral_vectors(indptr, indices, values, dim, seed, offset=0):
    """The dim leading non-trivial eigenvectors of D^-1/2 W D^-1/2 (the
    trailing ones of the normalised Laplacian, as umap-learn's
    spectral_layout) of a connected graph, by Chebyshev-filtered subspace
    iteration: a block of dim + 2 vectors (the trivial sqrt(degree)
    projected out) goes through a degree-16 Chebyshev polynomial that damps
    the spectrum below the block's smallest Ritz value, then Rayleigh-Ritz,
    until every wanted residual |A x - theta x| is under 1e-4.
    Returns (vectors (n, dim), converged)."""
    n = len(indptr) - 1
    degree = np.bincount(_csr_rows(indptr), weights=values, minlength=n)
    if np.any(degree <= 0):
        return None, False
    inv_sqrt = 1 / np.sqrt(degree)
    normalised = np.ascontiguousarray(values * inv_sqrt[_csr_rows(indptr)] * inv_sqrt[indices])
    trivial = np.sqrt(degree) / np.linalg.norm(np.sqrt(degree))
    columns = np.ascontiguousarray(indices, np.int32)     # less for each product to read

    def step(y1, y0, scale, shift):   # scale * (A y1 - shift y1) - y0
        return _core.csr_chebyshev_step(indptr, columns, normalised, np.ascontiguousarray(y1), y0, scale, shift)

    def deflate(V):
        return V - np.outer(trivial, np.einsum("i,ij->j", trivial, V))

    block = min(dim + 2, n - 1)    # two extra vectors speed up convergence
    X = ops.normal((n, block), seed=seed, stream="init", offset=offset).astype(np.float64)
    X = _orthonormal(deflate(X))
    for _ in range(_SPECTRAL_MAX_ITERATIONS):
        AX = step(X, None, 1.0, 0.0)
        theta, C = np.linalg.eigh(_gram(X, AX))
        theta, C = theta[::-1], C[:, ::-1]
        X, AX = _times(X, C), _times(AX, C)
        residual = np.linalg.norm(deflate(AX - X * theta)[:, :dim], axis=0)
        if residual.max() < _SPECTRAL_TOLERANCE:
            vectors = X[:, :dim]
            # a deterministic sign: the largest entry of each vector positive
            vectors = vectors * np.sign(vectors[np.abs(vectors).argmax(0), np.arange(vectors.shape[1])])
            return vectors, bool(np.all(np.isfinite(vectors)))
        # map [-1, smallest Ritz value] (damped) to [-1, 1]
        half, centre = (theta[-1] + 1) / 2, (theta[-1] - 1) / 2
        if not half > 1e-12:
            break
        y0, y1 = X, step(X, None, 1 / half, centre)
        for _ in range(_CHEBYSHEV_DEGREE - 1):
            y0, y1 = y1, step(y1, y0, 2 / half, centre)
        X = _orthonormal(deflate(y1))
        if X.shape[1] < min(dim, block):
            break
    return X[:, :dim], False


def _component_centres(X, labels, n_components, dim, metric):
    """Where each connected component goes: the corners of a simplex when
    there are few (as umap-learn's component_layout), else the principal
    components of their centroids (umap-learn embeds exp(-d^2) affinities
    of the centroids spectrally, which degenerates when they are far
    apart), scaled to a largest coordinate of 1."""
    if n_components <= 2 * dim:
        k = int(math.ceil(n_components / 2))
        base = np.hstack([np.eye(k), np.zeros((k, max(dim - k, 0)))])[:, :dim]
        return np.vstack([base, -base])[:n_components]
    centroids = np.stack([X[labels == c].astype(np.float64).mean(0) for c in range(n_components)])
    if metric == "cosine":
        centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-300)
    centres = pca_layout(centroids, dim)
    return centres / max(np.abs(centres).max(), 1e-300)


def spectral_layout(X, graph, dim, seed, metric):
    """umap-learn's spectral initialisation, scaled so the largest
    coordinate is 10; None if an eigen-solve did not converge. Several
    connected components are laid out one by one around centres of their
    own (umap-learn's multi_component_layout)."""
    indptr, indices, values = graph
    n = len(indptr) - 1
    labels = connected_components(indptr, indices)
    n_comp = int(labels.max()) + 1
    if n_comp == 1:
        vectors, ok = spectral_vectors(indptr, indices, values, dim, seed)
        if not ok or vectors.shape[1] < dim:
            return None
        return vectors * (10 / np.abs(vectors).max())
    centres = _component_centres(X, labels, n_comp, dim, metric)
    gaps = np.sqrt(((centres[:, None] - centres[None]) ** 2).sum(-1))
    result = np.empty((n, dim))
    for c in range(n_comp):
        members = np.flatnonzero(labels == c)
        others = gaps[c][np.arange(n_comp) != c]
        half_gap = others[others > 0].min() / 2 if np.any(others > 0) else 1.0
        if len(members) <= 2 * dim or len(members) <= dim + 1:
            noise = ops.uniform((len(members), dim), seed=seed, stream="init", offset=int(members[0]) * dim,
                                low=-half_gap, high=half_gap)
            result[members] = centres[c] + noise
            continue
        vectors, ok = spectral_vectors(*_subgraph(indptr, indices, values, members), dim, seed,
                                       offset=int(members[0]))
        if not ok:
            return None
        # within a ball of half the gap to the nearest other centre
        result[members] = centres[c] + vectors * (half_gap / np.linalg.norm(vectors, axis=1).max())
    return result * (10 / np.abs(result).max())


def pca_layout(X, dim):
    """The leading principal components (from the d x d covariance when
    there are more points than features, else an SVD), each signed so that
    its largest coefficient is positive, scaled to a largest coordinate of
    10."""
    y = principal_components(X, dim)
    return y * (10 / max(np.abs(y).max(), 1e-300))


def _rescale(y):
    """To [0, 10] per axis, as umap-learn does before the layout."""
    y = y.astype(np.float64)
    low, span = y.min(0), y.max(0) - y.min(0)
    return np.ascontiguousarray(10 * (y - low) / np.where(span > 0, span, 1), np.float32)


# --- the estimator -------------------------------------------------------------------

class UMAP:
    """Uniform manifold approximation and projection, scikit-learn style.

    UMAP(n_neighbors=15, n_components=2, min_dist=0.1, spread=1.0,
         metric="euclidean", n_epochs=None, learning_rate=1.0,
         init="spectral", negative_sample_rate=5, repulsion_strength=1.0,
         random_state=None, n_jobs=None, verbose=False)

    fit(X) / fit_transform(X) with X (n, d): the fuzzy simplicial set of the
    n_neighbors nearest neighbours (the point itself counted, as in
    umap-learn; exact or approximate search by size, see
    nearest_neighbors), smoothed distances, fuzzy union; a and b fitted to
    min_dist and spread; n_epochs (default 500 up to 10,000 points, else
    200) of SGD with negative_sample_rate repulsive samples per attractive
    one, learning rate decaying linearly from learning_rate.

    init: "spectral" (eigenvectors of the normalised graph Laplacian,
    component by component; falls back to "pca" with a warning when the
    eigen-solver does not converge), "pca", "random" (uniform in
    [-10, 10]) or an array (n, n_components).

    After fit: embedding_ (n, n_components) float32; graph_ the fuzzy graph
    as COO triplets (rows, cols, vals) with graph_.to_scipy();
    transform(X_new) places new points against the fitted ones.

    Each epoch moves every point from the positions at the epoch's start,
    with negative samples addressed by (random_state, epoch, edge), so a
    seeded run is the same on any number of threads.
    """

    def __init__(self, n_neighbors=15, n_components=2, min_dist=0.1, spread=1.0, metric="euclidean",
                 n_epochs=None, learning_rate=1.0, init="spectral", negative_sample_rate=5,
                 repulsion_strength=1.0, random_state=None, n_jobs=None, verbose=False):
        self.n_neighbors, self.n_components = n_neighbors, n_components
        self.min_dist, self.spread, self.metric = min_dist, spread, metric
        self.n_epochs, self.learning_rate, self.init = n_epochs, learning_rate, init
        self.negative_sample_rate, self.repulsion_strength = negative_sample_rate, repulsion_strength
        self.random_state, self.n_jobs, self.verbose = random_state, n_jobs, verbose

    # -- checks

    def _check(self, n):
        k = _int_param(self.n_neighbors, "n_neighbors")
        if not 2 <= k < n:
            raise ValueError(f"UMAP: 'n_neighbors' must be in [2, n_points) = [2, {n}), got {k}")
        if _int_param(self.n_components, "n_components") < 1:
            raise ValueError(f"UMAP: 'n_components' must be >= 1, got {self.n_components}")
        if not _positive(self.spread) or not (_real(self.min_dist) and 0 <= self.min_dist <= self.spread):
            raise ValueError(f"UMAP: need spread > 0 and 0 <= min_dist <= spread, got min_dist={self.min_dist!r}, "
                             f"spread={self.spread!r}")
        if self.metric not in ("euclidean", "cosine"):
            raise ValueError(f"UMAP: 'metric' must be 'euclidean' or 'cosine', got {self.metric!r}")
        if self.n_epochs is not None and _int_param(self.n_epochs, "n_epochs") < 1:
            raise ValueError(f"UMAP: 'n_epochs' must be >= 1 or None, got {self.n_epochs}")
        if not _positive(self.learning_rate):
            raise ValueError(f"UMAP: 'learning_rate' must be > 0, got {self.learning_rate!r}")
        for name in ("negative_sample_rate", "repulsion_strength"):
            value = getattr(self, name)
            if not (_real(value) and 0 <= value < math.inf):
                raise ValueError(f"UMAP: '{name}' must be >= 0, got {value!r}")
        if isinstance(self.init, str) and self.init not in ("spectral", "pca", "random"):
            raise ValueError(f"UMAP: 'init' must be 'spectral', 'pca', 'random' or an array, got {self.init!r}")
        return k

    def _say(self, message):
        if self.verbose:
            print(f"UMAP: {message} ({time.perf_counter() - self._start:.1f}s)", file=sys.stderr, flush=True)

    # -- fit

    def fit(self, X, y=None):
        """Embed X (n, d); returns self (embedding_, graph_)."""
        X = as_points(X, min_points=3)
        n = len(X)
        k = self._check(n)
        dim = int(self.n_components)
        seed = seed_from(self.random_state)
        self._start = time.perf_counter()
        self._a, self._b = find_ab_params(float(self.spread), float(self.min_dist))
        n_epochs = int(self.n_epochs) if self.n_epochs is not None else (500 if n <= 10000 else 200)
        with threads(self.n_jobs):
            idx, dist = nearest_neighbors(X, k - 1, metric=self.metric, random_state=seed, verbose=self.verbose)
            self._say(f"{k - 1} nearest neighbours")
            graph = fuzzy_union(idx, memberships(dist, k), n)
            self._say("fuzzy simplicial set")
            emb = _rescale(self._initial(X, graph, dim, seed))
            self._say(f"{self.init if isinstance(self.init, str) else 'given'} initialisation")
            self._layout(emb, None, graph, n_epochs, float(self.learning_rate), seed, "fit")
        indptr, indices, values = graph
        self.graph_ = SparseGraph(_csr_rows(indptr), indices, values.astype(np.float32), (n, n))
        self.embedding_ = emb
        self._X = X
        return self

    def fit_transform(self, X, y=None):
        """fit(X).embedding_"""
        return self.fit(X).embedding_

    def _initial(self, X, graph, dim, seed):
        n = len(X)
        noise_offset = 2 ** 40   # the init stream past any spectral draws
        if not isinstance(self.init, str):
            y = np.array(self.init, dtype=np.float64)
            if y.shape != (n, dim) or not np.all(np.isfinite(y)):
                raise ValueError(f"UMAP: an array 'init' must be finite with shape ({n}, {dim}), got {y.shape}")
            return y
        if self.init == "random":
            return ops.uniform((n, dim), seed=seed, stream="init", low=-10, high=10).astype(np.float64)
        y = None
        if self.init == "spectral":
            y = spectral_layout(X, graph, dim, seed, self.metric)
            if y is None:
                warnings.warn("UMAP: the spectral initialisation did not converge; using init='pca'",
                              RuntimeWarning, stacklevel=3)
        if y is None:
            y = pca_layout(X, dim)
        noise = ops.normal((n, dim), seed=seed, stream="init", offset=noise_offset, std=_INIT_NOISE)
        return y + noise

    def _layout(self, head, tail, graph, n_epochs, learning_rate, seed, label):
        """n_epochs of SGD on head (in place), in bounded C calls."""
        indptr, indices, weights = graph
        # edges too weak to be sampled once in n_epochs are dropped (umap-learn)
        keep = weights >= weights.max() / n_epochs
        rows = _csr_rows(indptr)[keep]
        indptr = np.zeros_like(indptr)
        np.cumsum(np.bincount(rows, minlength=len(indptr) - 1), out=indptr[1:])
        indices = np.ascontiguousarray(indices[keep])
        weights = weights[keep]
        eps = np.ascontiguousarray(weights.max() / weights, np.float32)
        rate = float(self.negative_sample_rate)
        next_sample = eps.copy()
        next_negative = eps / rate if rate > 0 else eps.copy()
        per_call = int(max(1, min(n_epochs, _EPOCH_WORK_PER_CALL // max(len(eps) * (1 + rate), 1))))
        for first in range(0, n_epochs, per_call):
            steps = min(per_call, n_epochs - first)
            _core.umap_optimize(head, tail, indptr, indices, eps, next_sample, next_negative, first, steps,
                                n_epochs, self._a, self._b, float(self.repulsion_strength), learning_rate,
                                rate, seed)
            self._say(f"{label} epoch {first + steps}/{n_epochs}")
        return head

    # -- transform

    def transform(self, X):
        """Place new points X (m, d) in the fitted embedding -> (m,
        n_components): fuzzy memberships to their n_neighbors nearest
        training points (umap-learn's transform: no local connectivity),
        start at the membership-weighted mean of those points' embeddings,
        then a short optimisation (100 epochs up to 10,000 new points, else
        30; n_epochs // 3 if n_epochs was set) at a quarter of the learning
        rate, with the training embedding fixed."""
        if not hasattr(self, "embedding_"):
            raise RuntimeError("UMAP: call fit before transform")
        X = as_points(X, min_points=1)
        if X.shape[1] != self._X.shape[1]:
            raise ValueError(f"UMAP: 'X' has {X.shape[1]} features, the fitted data had {self._X.shape[1]}")
        k = _int_param(self.n_neighbors, "n_neighbors")
        m = len(X)
        seed = (seed_from(self.random_state) * _LAYOUT_SEED + 1) % 2 ** 64   # not the fit's samples
        self._start = time.perf_counter()
        if self.n_epochs is None:
            n_epochs = 100 if m <= 10000 else 30
        else:
            n_epochs = max(int(self.n_epochs) // 3, 1)
        with threads(self.n_jobs):
            idx, dist = nearest_neighbors(self._X, k, metric=self.metric, queries=X, verbose=self.verbose)
            w = memberships(dist, k, local_connectivity=0).astype(np.float64)
            share = w / np.maximum(w.sum(1, keepdims=True), 1e-300)
            head = np.ascontiguousarray(np.einsum("nk,nkd->nd", share, self.embedding_[idx]), np.float32)
            indptr = np.arange(0, m * k + 1, k, dtype=np.int64)
            graph = (indptr, np.ascontiguousarray(idx.reshape(-1)), w.reshape(-1))
            self._layout(head, self.embedding_, graph, n_epochs, float(self.learning_rate) / 4, seed, "transform")
        return head


def _int_param(value, name):
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"UMAP: '{name}' must be an int, got {value!r}") from None


def _real(value):
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) \
        and math.isfinite(value)


def _positive(value):
    return _real(value) and value > 0
