"""Activations, bias add and bias gradient against NumPy, with gradients
checked by finite differences."""
import numpy as np
import pytest
from gradcheck import check_grad
from scipy.special import expit

import genmodels as gm
from genmodels import ops

REFERENCE = {
    "relu": lambda x, a: np.maximum(x, 0),
    "leaky_relu": lambda x, a: np.where(x > 0, x, a * x),
    "sigmoid": lambda x, a: expit(x),
    "tanh": lambda x, a: np.tanh(x),
    "softplus": lambda x, a: np.logaddexp(0, x),
}


@pytest.mark.parametrize("kind", sorted(REFERENCE))
def test_forward_matches_numpy(kind, rng):
    x = (rng.standard_normal((3, 7, 5)) * 4).astype(np.float32)
    got = ops.activation_forward(x, kind, alpha=0.2)
    np.testing.assert_allclose(got, REFERENCE[kind](x.astype(np.float64), 0.2), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("kind", sorted(REFERENCE))
def test_backward_matches_finite_differences(kind, rng):
    x = rng.standard_normal((4, 6)).astype(np.float32)
    x[np.abs(x) < 0.05] += 0.2          # keep away from the ReLU kink
    w = rng.standard_normal(x.shape)
    y = ops.activation_forward(x, kind, alpha=0.1)
    dx = ops.activation_backward(w.astype(np.float32), kind, x=x, y=y, alpha=0.1)
    check_grad(lambda v: np.sum(w * REFERENCE[kind](v, 0.1)), [x], [dx], rtol=1e-3, atol=1e-4)


def test_extreme_inputs_stay_finite():
    x = np.array([-1e4, -100, 0, 100, 1e4], np.float32)
    for kind in REFERENCE:
        y = ops.activation_forward(x, kind)
        assert np.all(np.isfinite(y)), kind
    np.testing.assert_allclose(ops.activation_forward(x, "softplus"), [0, 0, np.log(2), 100, 1e4], atol=1e-6)
    np.testing.assert_array_equal(ops.activation_forward(x, "sigmoid")[[0, 4]], [0, 1])


def test_nan_propagates_through_forward():
    x = np.array([np.nan, -1.0, 1.0], np.float32)
    for kind in REFERENCE:
        assert np.isnan(ops.activation_forward(x, kind)[0]), kind


@pytest.mark.parametrize("kind", ["sigmoid", "leaky_relu"])
def test_vector_paths(kind, rng, with_threads):
    """Long inputs take the vector path (whole blocks of eight) and a scalar
    tail: both match the reference, NaN propagates from either, and the
    result is the same bits with 1 and 2 threads."""
    x = (rng.standard_normal(100_003) * 30).astype(np.float32)
    x[[5, 17, 100_001]] = np.nan
    x[[6, 7, 8, 9]] = [-1e4, -88.0, 88.0, 1e4]
    one = with_threads(1, ops.activation_forward, x, kind, alpha=0.2)
    two = with_threads(2, ops.activation_forward, x, kind, alpha=0.2)
    np.testing.assert_array_equal(one, two)
    assert np.isnan(one[[5, 17, 100_001]]).all()
    finite = ~np.isnan(x)
    want = REFERENCE[kind](x[finite].astype(np.float64), np.float32(0.2))
    np.testing.assert_allclose(one[finite], want, rtol=1e-6, atol=1e-30)


def test_in_place_forward_and_backward(rng):
    x = rng.standard_normal(100).astype(np.float32)
    want = np.tanh(x)
    assert ops.activation_forward(x, "tanh", out=x) is x
    np.testing.assert_allclose(x, want, rtol=1e-6)
    g = np.ones_like(x)
    ops.activation_backward(g, "tanh", y=x, out=g)
    np.testing.assert_allclose(g, 1 - want**2, rtol=1e-5)


def test_large_inputs_identical_with_one_and_two_threads(rng, with_threads):
    x = rng.standard_normal((300, 1000)).astype(np.float32)
    for kind in REFERENCE:
        a = with_threads(1, ops.activation_forward, x, kind)
        b = with_threads(2, ops.activation_forward, x, kind)
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 2, 5), (2, 6, 7)])
def test_bias_add_and_grad(shape, rng):
    x = rng.standard_normal(shape).astype(np.float32)
    b = rng.standard_normal(shape[1]).astype(np.float32)
    bshape = (1, shape[1]) + (1,) * (len(shape) - 2)
    np.testing.assert_allclose(ops.bias_add(x, b), x + b.reshape(bshape), rtol=1e-6)
    g = rng.standard_normal(shape).astype(np.float32)
    want = g.astype(np.float64).sum(axis=tuple(i for i in range(len(shape)) if i != 1))
    np.testing.assert_allclose(ops.bias_grad(g), want, rtol=1e-5, atol=1e-5)
    acc = np.ones(shape[1], np.float32)
    ops.bias_grad(g, acc, accumulate=True)
    np.testing.assert_allclose(acc, want + 1, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("shape", [(256, 64, 14, 14), (300, 1030)])
def test_bias_grad_identical_with_one_and_two_threads(shape, rng, with_threads):
    g = rng.standard_normal(shape).astype(np.float32)
    np.testing.assert_array_equal(with_threads(1, ops.bias_grad, g), with_threads(2, ops.bias_grad, g))


def test_bad_input():
    x = np.ones((2, 3), np.float32)
    with pytest.raises(ValueError, match="'kind' must be one of"):
        ops.activation_forward(x, "swish")
    with pytest.raises(ValueError, match="needs the forward output 'y'"):
        ops.activation_backward(x, "sigmoid", x=x)
    with pytest.raises(ValueError, match=r"bias_add: 'bias' has shape \(4,\), expected \(3,\)"):
        ops.bias_add(x, np.ones(4))
    with pytest.raises(ValueError, match=r"'out' has shape"):
        ops.activation_forward(x, "relu", out=np.ones((3, 2), np.float32))
    with pytest.raises(TypeError, match="'out' must have dtype float32"):
        ops.activation_forward(x, "relu", out=np.ones((2, 3)))
    with pytest.raises(ValueError, match="C-contiguous"):
        gm._core.activation_forward(np.ones((3, 4), np.float32)[:, ::2], np.ones((3, 2), np.float32), 0, 0.0)
    with pytest.raises(TypeError, match="must be a numpy.ndarray"):
        gm._core.bias_add([1.0], x, x)
    with pytest.raises(ValueError, match="read-only"):
        ro = np.ones((2, 3), np.float32)
        ro.flags.writeable = False
        ops.activation_forward(x, "relu", out=ro)


def test_zero_size_arrays():
    empty = np.ones((0, 3), np.float32)
    assert ops.activation_forward(empty, "sigmoid").shape == (0, 3)
    np.testing.assert_array_equal(ops.bias_grad(empty), np.zeros(3))
