"""Quality of low-dimensional embeddings."""
import operator

import numpy as np

from ..latent._validate import as_points

__all__ = ["trustworthiness", "knn_accuracy"]


def trustworthiness(X, Y, n_neighbors=5, metric="euclidean"):
    """How much the k nearest neighbours in the embedding Y are true
    neighbours in X (Venna & Kaski): 1 - 2/(n k (2n - 3k - 1)) * sum over
    points of sum over Y-neighbours j of max(0, rank_X(i, j) - k). The same
    definition and value as scikit-learn's trustworthiness."""
    from ..latent.knn import nearest_neighbors
    X, Y = as_points(X), as_points(Y, "Y")
    n = len(X)
    k = operator.index(n_neighbors)
    if len(Y) != n:
        raise ValueError(f"'X' and 'Y' must have the same number of points, got {n} and {len(Y)}")
    if not 1 <= k < n / 2:
        raise ValueError(f"'n_neighbors' must be in [1, n/2) = [1, {n / 2}), got {k}")
    emb_idx, _ = nearest_neighbors(Y, k)
    if metric == "euclidean":
        sq = np.sum(X.astype(np.float64) ** 2, axis=1)
        dist = sq[:, None] + sq[None, :] - 2 * X.astype(np.float64) @ X.astype(np.float64).T
    elif metric == "cosine":
        U = X.astype(np.float64) / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-300)
        dist = 1 - U @ U.T
    else:
        raise ValueError(f"'metric' must be 'euclidean' or 'cosine', got {metric!r}")
    np.fill_diagonal(dist, np.inf)
    order = np.argsort(dist, axis=1, kind="stable")
    ranks = np.empty((n, n), dtype=np.int64)
    ranks[np.arange(n)[:, None], order] = np.arange(1, n + 1)[None, :]
    r = ranks[np.arange(n)[:, None], emb_idx] - k
    penalty = np.sum(r[r > 0])
    return float(1.0 - penalty * 2.0 / (n * k * (2.0 * n - 3.0 * k - 1.0)))


def knn_accuracy(Y, labels, n_neighbors=10, test_size=0.2, random_state=0):
    """Accuracy of a k-nearest-neighbour classifier (majority vote, ties to
    the nearest) trained on a random (1 - test_size) part of the embedding Y
    and tested on the rest: how well classes separate in Y."""
    from ..latent.knn import nearest_neighbors
    Y = as_points(Y, "Y")
    labels = np.asarray(labels)
    if labels.shape != (len(Y),):
        raise ValueError(f"'labels' must have shape ({len(Y)},), got {labels.shape}")
    if not 0 < test_size < 1:
        raise ValueError(f"'test_size' must be in (0, 1), got {test_size}")
    rng = np.random.default_rng(random_state)
    order = rng.permutation(len(Y))
    n_test = max(1, int(round(test_size * len(Y))))
    test, train = order[:n_test], order[n_test:]
    k = operator.index(n_neighbors)
    if not 1 <= k <= len(train):
        raise ValueError(f"'n_neighbors' must be in [1, {len(train)}], got {k}")
    idx, _ = nearest_neighbors(Y[train], k, queries=Y[test])
    votes = labels[train][idx]
    predicted = np.empty(len(test), dtype=labels.dtype)
    for i, row in enumerate(votes):
        values, counts = np.unique(row, return_counts=True)
        best = values[counts == counts.max()]
        predicted[i] = next(v for v in row if v in best)   # ties: the nearest wins
    return float(np.mean(predicted == labels[test]))
