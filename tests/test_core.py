"""The extension module itself: import, threads, CPU features, seeds."""
import pytest

import genmodels as gm


def test_thread_count_round_trips():
    default = gm.get_num_threads()
    assert default >= 1
    gm.set_num_threads(3)
    assert gm.get_num_threads() == 3
    gm.set_num_threads(-1)
    assert gm.get_num_threads() == default


@pytest.mark.parametrize("bad, exc", [(-2, ValueError), (1.5, TypeError), ("2", TypeError)])
def test_set_num_threads_rejects_bad_values(bad, exc):
    with pytest.raises(exc, match="set_num_threads: 'n'"):
        gm.set_num_threads(bad)


def test_default_threads_honour_omp_num_threads(run_python):
    out = run_python("import genmodels as gm; print(gm.get_num_threads())",
                     env={"OMP_NUM_THREADS": "1"})
    assert out.strip() == "1"


def test_openmp_threads_sleep_when_idle(run_python):
    """After a kernel returns, its worker threads must not keep a core busy."""
    code = """
import resource, time, numpy as np, genmodels as gm
gm.set_num_threads(2)
a = np.ones((512, 512), np.float32)
gm.ops.gemm(a, a)
before = resource.getrusage(resource.RUSAGE_SELF)
time.sleep(0.5)
after = resource.getrusage(resource.RUSAGE_SELF)
print(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
"""
    busy = float(run_python(code, env={"OMP_WAIT_POLICY": None, "GOMP_SPINCOUNT": None}))
    assert busy < 0.1, f"threads used {busy:.2f} s of CPU while idle for 0.5 s"


def test_cpu_features_can_be_masked_for_tests():
    detected = gm._core.cpu_features()
    assert set(detected) == {"avx2_fma", "avx512f"}
    assert not any(gm._core._set_cpu_allowed(0).values())
    assert gm._core._set_cpu_allowed(0xFFFFFFFF) == detected


def test_seed_validates():
    gm.seed(7)
    with pytest.raises(TypeError, match="seed"):
        gm.seed("x")
    with pytest.raises(ValueError, match="seed"):
        gm.seed(-1)
    gm.seed(0)


def test_unknown_attribute_raises():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        gm.nope
