"""genmodels: train and study generative image models on a CPU.

    import genmodels as gm
    ds = gm.datasets.load_mnist()
    vae = gm.VAE(latent_dim=20, architecture="mlp", seed=0)
    vae.fit(ds.x_train, epochs=10)

Submodules are imported on first use, so `import genmodels` stays quick.
"""
import importlib
import os

# OpenMP threads must go to sleep soon after a kernel returns: a pool that
# keeps spinning steals the CPU from NumPy's BLAS and from the next Python
# step. But waking a sleeping thread costs 30-50 us on a virtual machine,
# more than a small kernel itself, and a training step leaves gaps of a few
# hundred microseconds between kernels (Python, single-threaded work). About
# 100,000 spins (some 3 ms here) bridge those gaps and then let the threads
# sleep. The runtime reads this when the extension loads, so it is set first.
os.environ.setdefault("GOMP_SPINCOUNT", "100000")

from . import _core  # noqa: E402
from ._seed import seed  # noqa: E402

__version__ = "0.1.0"

_SUBMODULES = ("ops", "nn", "datasets", "latent", "metrics", "plot", "models",
               "io", "testing", "cli")
# Public names that live in submodules: name -> module.
_LAZY_NAMES = {
    "AE": "genmodels.models", "VAE": "genmodels.models",
    "GAN": "genmodels.models", "CGAN": "genmodels.models",
    "save": "genmodels.io", "load": "genmodels.io",
}


def set_num_threads(n):
    """Use `n` threads in every kernel; `n=-1` or `0` restores the default
    (the usable cores, or OMP_NUM_THREADS when set)."""
    import operator
    try:
        n = operator.index(n)
    except TypeError:
        raise TypeError(f"set_num_threads: 'n' must be an int, got {type(n).__name__}") from None
    if n < -1:
        raise ValueError(f"set_num_threads: 'n' must be >= 1, or -1/0 for the default, got {n}")
    _core.set_num_threads(max(n, 0))


def get_num_threads():
    """The number of threads the kernels use."""
    return _core.get_num_threads()


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"genmodels.{name}")
    if name in _LAZY_NAMES:
        return getattr(importlib.import_module(_LAZY_NAMES[name]), name)
    raise AttributeError(f"module 'genmodels' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_SUBMODULES) | set(_LAZY_NAMES))
