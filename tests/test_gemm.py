"""SGEMM against NumPy."""
import numpy as np
import pytest

import genmodels as gm


@pytest.mark.parametrize("trans_a", [False, True])
@pytest.mark.parametrize("trans_b", [False, True])
def test_gemm_matches_numpy(rng, trans_a, trans_b, threads):
    m, n, k = 37, 29, 53
    a = rng.standard_normal((k, m) if trans_a else (m, k)).astype(np.float32)
    b = rng.standard_normal((n, k) if trans_b else (k, n)).astype(np.float32)
    c = rng.standard_normal((m, n)).astype(np.float32)
    want = 0.5 * (a.T if trans_a else a).astype(np.float64) @ (b.T if trans_b else b) + 2.0 * c
    got = gm.ops.gemm(a, b, c.copy(), trans_a=trans_a, trans_b=trans_b, alpha=0.5, beta=2.0)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_gemm_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match=r"gemm: 'b' has shape \(5, 7\), expected \(7, \*\)"):
        gm.ops.gemm(np.ones((5, 7)), np.ones((5, 7)))
