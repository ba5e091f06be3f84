"""Input checks shared by the latent-space tools."""
import numpy as np


def as_points(X, name="X", min_points=2):
    """X as a C-contiguous float32 (n, d) array of finite values."""
    try:
        X = np.asarray(X, dtype=np.float32)
    except (TypeError, ValueError) as err:
        raise TypeError(f"'{name}' must be an array of numbers: {err}") from None
    if X.ndim != 2:
        raise ValueError(f"'{name}' must be 2-dimensional (n_points, n_features), got shape {X.shape}")
    if X.shape[0] < min_points or X.shape[1] < 1:
        raise ValueError(f"'{name}' needs at least {min_points} points and 1 feature, got shape {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError(f"'{name}' contains NaN or Inf")
    return np.ascontiguousarray(X)


def seed_from(random_state):
    """An integer seed from random_state (None -> the global genmodels seed)."""
    from .._seed import resolve_seed
    return resolve_seed(random_state, "random_state")


def threads(n_jobs):
    """Run under n_jobs threads (None or -1: the default)."""
    import contextlib

    import genmodels as gm

    @contextlib.contextmanager
    def scope():
        if n_jobs is None or n_jobs == -1:
            yield
            return
        if not isinstance(n_jobs, (int, np.integer)) or n_jobs < 1:
            raise ValueError(f"'n_jobs' must be a positive int, -1 or None, got {n_jobs!r}")
        before = gm.get_num_threads()
        gm.set_num_threads(int(n_jobs))
        try:
            yield
        finally:
            gm.set_num_threads(before)
    return scope()
