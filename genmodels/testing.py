"""Assertions for grading scripts: short, readable checks of a student's
model or layer, each failing with a message that says what was expected.

    from genmodels.testing import assert_generates, assert_reconstructs
    assert_generates(model, 16, (28, 28))
    assert_reconstructs(model, ds.x_test[:500], max_error=30.0)
"""
import numpy as np

__all__ = ["assert_generates", "assert_reconstructs", "assert_conditional", "check_layer_gradients"]


def assert_generates(model, n=16, shape=(28, 28), seed=0):
    """model.sample(n) gives n finite images of `shape` with values in [0, 1]."""
    x = np.asarray(model.sample(n, seed=seed))
    expected = (n,) + tuple(shape)
    assert x.shape == expected, f"sample({n}) returned shape {x.shape}, expected {expected}"
    assert np.all(np.isfinite(x)), "samples contain NaN or Inf"
    assert x.min() >= 0 and x.max() <= 1, f"samples span [{x.min():.3g}, {x.max():.3g}], expected within [0, 1]"
    assert x.std() > 1e-3, "all samples are (nearly) constant"
    return x


def assert_reconstructs(model, x, max_error, kind="mse"):
    """The mean per-image reconstruction error on x is at most max_error."""
    from .metrics import reconstruction_error
    error = reconstruction_error(x, model.reconstruct(x), kind=kind)
    assert error <= max_error, f"reconstruction error {error:.4g} ({kind}, per image) exceeds {max_error}"
    return error


def assert_conditional(model, min_accuracy, n_per_class=100, n_classes=10, features="mnist", seed=0):
    """Samples asked for each class are recognised as that class by the
    shipped classifier at least min_accuracy of the time."""
    from .metrics import classifier_accuracy
    labels = np.repeat(np.arange(n_classes), n_per_class)
    x = model.sample(len(labels), labels=labels, seed=seed)
    accuracy = classifier_accuracy(x, labels, features=features)
    assert accuracy >= min_accuracy, (f"only {accuracy:.1%} of conditional samples are recognised as their class "
                                      f"(expected at least {min_accuracy:.1%})")
    return accuracy


def check_layer_gradients(layer, input_shape, seed=0, rtol=1e-2, atol=1e-3, eps=1e-2, training=True):
    """Compare a layer's backward (input and parameter gradients) with
    central finite differences of sum(w * forward(x)) for random x and w.
    Works with any object with forward/backward/parameters/gradients (a
    genmodels.nn.Module). Raises AssertionError naming the worst entry."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(input_shape).astype(np.float32)
    y = layer.forward(x, training)
    w = rng.standard_normal(np.shape(y)).astype(np.float32)
    for g in layer.gradients():
        g.fill(0.0)
    dx = np.asarray(layer.backward(w))
    targets = [("input", x, dx)] + [(f"parameter {i}", p, g.copy())
                                    for i, (p, g) in enumerate(zip(layer.parameters(), layer.gradients()))]

    def objective():
        return float(np.sum(w.astype(np.float64) * np.asarray(layer.forward(x, training), dtype=np.float64)))

    for name, array, analytic in targets:
        if np.shape(analytic) != array.shape:
            raise AssertionError(f"gradient of {name} has shape {np.shape(analytic)}, expected {array.shape}")
        numeric = np.zeros(array.shape)
        flat, nflat = array.reshape(-1), numeric.reshape(-1)
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + eps
            up = objective()
            flat[i] = old - eps
            down = objective()
            flat[i] = old
            nflat[i] = (up - down) / (2 * eps)
        err = np.abs(numeric - analytic) - (atol + rtol * np.abs(numeric))
        if np.any(err > 0):
            worst = np.unravel_index(np.argmax(err), err.shape)
            raise AssertionError(f"gradient of {name} is wrong at {worst}: backward gives {analytic[worst]:.5g}, "
                                 f"finite differences give {numeric[worst]:.5g}")
