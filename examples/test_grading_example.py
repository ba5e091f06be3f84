"""An example grading script, as an instructor would write it for the
autoencoder and GAN lab sheets. Run it with pytest: each test trains the
"student's" model briefly (here the built-in ones stand in) and checks it
with genmodels.testing."""
import numpy as np
import pytest

import genmodels as gm
from genmodels.testing import assert_generates, assert_reconstructs, check_layer_gradients


@pytest.fixture(scope="module")
def mnist():
    return gm.datasets.load_mnist(subset=2000, download=False)


def test_vae_generates_and_reconstructs(mnist):
    vae = gm.VAE(latent_dim=8, hidden=(256,), seed=0)
    vae.fit(mnist.x_train, epochs=5, lr=3e-3, verbose=0)
    assert_generates(vae, 16, (28, 28))
    assert_reconstructs(vae, mnist.x_test, max_error=45.0)     # squared error per image (the mean image: ~54)


def test_student_layer_gradients():
    class Square(gm.nn.Module):
        """A student's layer: y = x ** 2, with its hand-written backward."""

        def forward(self, x, training=None):
            self.x = x
            return x * x

        def backward(self, grad_out):
            return 2 * self.x * grad_out

    check_layer_gradients(Square(), (3, 4))
    with pytest.raises(AssertionError, match="gradient of input is wrong"):
        class Wrong(Square):
            def backward(self, grad_out):
                return self.x * grad_out
        check_layer_gradients(Wrong(), (3, 4))


def test_samples_are_reproducible(mnist):
    gan = gm.GAN(latent_dim=16, seed=0)
    gan.fit(mnist.x_train[:256], epochs=1, verbose=0)
    np.testing.assert_array_equal(gan.sample(8, seed=5), gan.sample(8, seed=5))
