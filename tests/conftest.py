"""Shared fixtures: thread counts, seeded data, fresh interpreters."""
import os
import subprocess
import sys

import numpy as np
import pytest

import genmodels as gm


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture(params=[1, 2], ids=["1thread", "2threads"])
def threads(request):
    """Run the test once with 1 and once with 2 kernel threads."""
    before = gm.get_num_threads()
    gm.set_num_threads(request.param)
    yield request.param
    gm.set_num_threads(before)


@pytest.fixture
def with_threads():
    """Call `with_threads(n, fn, *args)` to run `fn` under `n` threads."""
    def run(n, fn, *args, **kwargs):
        before = gm.get_num_threads()
        gm.set_num_threads(n)
        try:
            return fn(*args, **kwargs)
        finally:
            gm.set_num_threads(before)
    return run


@pytest.fixture(params=["native", "portable"])
def isa(request):
    """Run the test with the vector kernels and with the portable ones."""
    if request.param == "native":
        yield gm._core.cpu_features()
    else:
        yield gm._core._set_cpu_allowed(0)
        gm._core._set_cpu_allowed(~0 & 0xFFFFFFFF)


@pytest.fixture
def run_python(tmp_path):
    """Run `code` in a fresh interpreter that imports the same genmodels as
    this one (installed or built in place); returns its stdout."""
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(gm.__file__)))

    def run(code, env=None, check=True):
        full_env = dict(os.environ, PYTHONPATH=package_parent, **(env or {}))
        for key, value in list(full_env.items()):
            if value is None:
                del full_env[key]
        proc = subprocess.run([sys.executable, "-c", code], env=full_env, cwd=tmp_path,
                              capture_output=True, text=True)
        if check and proc.returncode != 0:
            raise AssertionError(f"subprocess failed ({proc.returncode}):\n{proc.stderr}")
        return proc.stdout if check else proc
    return run


def local_data(loader, **kwargs):
    """A data set from a local copy (never the network). Without one the
    test is skipped, unless GENMODELS_REQUIRE_DATA=1 (as in CI), where a
    missing data set is an error."""
    try:
        return loader(download=False, **kwargs)
    except gm.datasets.DatasetNotFoundError:
        if os.environ.get("GENMODELS_REQUIRE_DATA") == "1":
            raise
        pytest.skip("data set not installed locally (.ci/run installs it)")


def blobs(n=600, d=8, centers=4, seed=0, scale=8.0):
    """n points around `centers` Gaussian centres in d dimensions, and their
    centre ids: clusters any embedding should keep apart."""
    rng = np.random.default_rng(seed)
    c = rng.normal(scale=scale, size=(centers, d))
    labels = rng.integers(0, centers, n)
    return (c[labels] + rng.normal(size=(n, d))).astype(np.float32), labels
