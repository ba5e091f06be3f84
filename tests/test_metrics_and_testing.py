"""Sample-quality metrics (sanity properties) and the grading helpers,
including the example grading script."""
import os
import subprocess
import sys

import numpy as np
import pytest

import genmodels as gm
from genmodels import testing


@pytest.fixture(scope="module")
def mnist():
    try:
        return gm.datasets.load_mnist(download=False)
    except gm.datasets.DatasetNotFoundError:
        pytest.skip("MNIST not installed (CI installs it)")


def test_fid_sanity(mnist, rng):
    real_vs_real = gm.metrics.fid(mnist.x_test[:3000], mnist.x_train[:3000])
    noise = gm.metrics.fid(rng.uniform(size=(3000, 28, 28)), mnist.x_train[:3000])
    assert real_vs_real < 15 and noise > 50 * real_vs_real      # small sets bias FID upwards
    ones = mnist.x_train[mnist.y_train == 1][:1000]
    assert gm.metrics.fid(ones, mnist.x_train[:3000]) > 10 * real_vs_real      # one class is not the data
    assert gm.metrics.fid(mnist.x_test[:500], mnist.x_test[:500]) < 1e-6


@pytest.mark.filterwarnings("ignore:Matrix is singular")   # dead ReLU features: scipy warns, the value stands
def test_fid_against_a_direct_formula(mnist):
    from genmodels.metrics.features import embed
    from scipy.linalg import sqrtm
    a, b = mnist.x_test[:2000], mnist.x_train[:2000] ** 2
    fa, fb = embed(a, "mnist")[0], embed(b, "mnist")[0]
    s1, s2 = np.cov(fa, rowvar=False), np.cov(fb, rowvar=False)
    want = np.sum((fa.mean(0) - fb.mean(0)) ** 2) + np.trace(s1 + s2 - 2 * np.real(sqrtm(s1 @ s2)))
    assert gm.metrics.fid(a, b) == pytest.approx(want, rel=1e-4, abs=1e-6)


def test_classifier_and_histogram(mnist):
    assert gm.metrics.classifier_accuracy(mnist.x_test, mnist.y_test) > 0.97
    hist = gm.metrics.class_histogram(mnist.x_test)
    assert hist.shape == (10,) and abs(hist.sum() - 1) < 1e-9 and hist.min() > 0.08
    sevens = gm.metrics.class_histogram(mnist.x_test[mnist.y_test == 7])
    assert sevens.argmax() == 7 and sevens[7] > 0.9
    with pytest.raises(ValueError, match="28x28 images"):
        gm.metrics.fid(np.zeros((4, 10)), np.zeros((4, 10)))
    with pytest.raises(ValueError, match="'features'"):
        gm.metrics.fid(mnist.x_test[:4], mnist.x_test[:4], features="cifar")


def test_grading_assertions(mnist):
    vae = gm.VAE(latent_dim=4, hidden=(64,), seed=0)
    with pytest.raises(AssertionError, match="reconstruction error .* exceeds 1"):
        testing.assert_reconstructs(vae, mnist.x_test[:100], max_error=1.0)
    vae.fit(mnist.x_train[:2000], epochs=2, verbose=0)
    testing.assert_generates(vae, 5, (28, 28))
    with pytest.raises(AssertionError, match=r"expected \(5, 14, 14\)"):
        testing.assert_generates(vae, 5, (14, 14))
    cgan = gm.CGAN(latent_dim=8, seed=0)           # untrained: its classes are noise
    with pytest.raises(AssertionError, match="recognised as their class"):
        testing.assert_conditional(cgan, 0.9, n_per_class=10)


def test_layer_gradient_checker_accepts_real_layers_and_rejects_wrong_ones():
    testing.check_layer_gradients(gm.nn.Linear(4, 3, seed=0), (2, 4), eps=1e-2)

    class Doubler(gm.nn.Module):
        def forward(self, x, training=None):
            return 2 * x

        def backward(self, grad_out):
            return grad_out                     # wrong: should be 2 * grad_out
    with pytest.raises(AssertionError, match="gradient of input is wrong"):
        testing.check_layer_gradients(Doubler(), (3,))


def test_example_grading_script_passes(mnist, tmp_path):
    examples = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(gm.__file__)))
    env = dict(os.environ, PYTHONPATH=package_parent)
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", examples],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "3 passed" in proc.stdout
