"""A small classifier per data set, trained by genmodels on the real
training set (scripts/train_feature_nets.py) and shipped with the package:
its penultimate layer gives the features of fid(), its outputs the class
predictions of classifier_accuracy() and class_histogram()."""
import functools
import os

import numpy as np

__all__ = ["feature_net", "FEATURE_SETS", "build_feature_net"]

FEATURE_SETS = ("mnist", "fashion")
_DATA = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data")


def build_feature_net(seed=0):
    """784 -> 128 -> 64 -> 10 MLP; features are the 64 ReLU activations."""
    from .. import nn
    return nn.Sequential(nn.Linear(784, 128, seed=seed), nn.ReLU(), nn.Linear(128, 64, seed=seed + 1),
                         nn.ReLU(), nn.Linear(64, 10, seed=seed + 2))


@functools.lru_cache(maxsize=None)
def feature_net(features):
    """The shipped classifier for `features` ("mnist" or "fashion")."""
    from ..io import load
    if features not in FEATURE_SETS:
        raise ValueError(f"'features' must be one of {FEATURE_SETS}, got {features!r}")
    path = os.path.join(_DATA, f"features_{features}.gm")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path} is missing: run scripts/train_feature_nets.py")
    return load(path).eval()


def _flat(x, name):
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 4 and x.shape[1] == 1:
        x = x[:, 0]
    if x.ndim == 3:
        x = x.reshape(len(x), -1)
    if x.ndim != 2 or x.shape[1] != 784:
        raise ValueError(f"'{name}' must be 28x28 images: (N, 28, 28), (N, 1, 28, 28) or (N, 784); "
                         f"got shape {x.shape}")
    if len(x) == 0 or not np.all(np.isfinite(x)):
        raise ValueError(f"'{name}' must be a non-empty array of finite values")
    return np.ascontiguousarray(x)


def embed(x, features, name="x"):
    """(penultimate features (N, 64), logits (N, 10)) in batches."""
    net = feature_net(features)
    x = _flat(x, name)
    feats, logits = [], []
    body, head = net[:4], net[4]
    for start in range(0, len(x), 2048):
        f = body(x[start:start + 2048], training=False)
        feats.append(f)
        logits.append(head(f, training=False))
    return np.concatenate(feats).astype(np.float64), np.concatenate(logits)
