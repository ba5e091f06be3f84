"""AE, VAE, GAN and CGAN on small real subsets: they learn, the bounds hold,
they save and load, they are reproducible, and bad input is refused."""
import numpy as np
import pytest

import genmodels as gm
from genmodels import nn
from conftest import local_data


@pytest.fixture(scope="module")
def mnist():
    return local_data(gm.datasets.load_mnist, subset=2000)


def test_vae_learns_and_its_bounds_hold(mnist):
    vae = gm.VAE(latent_dim=8, hidden=(256, 128), seed=0)
    before = vae.elbo(mnist.x_test)
    hist = vae.fit(mnist.x_train, epochs=3, batch_size=64, validation_data=mnist.x_test, verbose=0)
    assert set(hist.history) == {"loss", "reconstruction", "kl", "val_loss", "val_reconstruction", "val_kl"}
    h = hist.history
    np.testing.assert_allclose(np.array(h["loss"]), np.array(h["reconstruction"]) + np.array(h["kl"]), rtol=1e-6)
    assert h["loss"][-1] < h["loss"][0] and h["val_loss"][-1] < 300
    after = vae.elbo(mnist.x_test)
    assert after > before + 100                              # nats per image
    # a trivial baseline: every pixel at its mean intensity
    p = np.clip(mnist.x_train.mean(0), 1e-4, 1 - 1e-4)
    x = mnist.x_test
    baseline = np.mean(np.sum(x * np.log(p) + (1 - x) * np.log(1 - p), axis=(1, 2)))
    assert after > baseline
    x = mnist.x_test[:40]
    elbo = vae.elbo(x, reduction=None)
    ll_small, ll_big = vae.log_likelihood(x, k=5, reduction=None), vae.log_likelihood(x, k=200, reduction=None)
    assert np.mean(elbo) <= np.mean(ll_big) + 0.5          # the bound holds
    assert np.mean(ll_small) <= np.mean(ll_big) + 0.5      # tighter with k


def test_vae_kl_matches_closed_form(mnist):
    vae = gm.VAE(latent_dim=4, hidden=(64,), seed=1)
    mu, logvar = vae.encode(mnist.x_test[:10])
    kl = 0.5 * np.sum(np.exp(logvar) + mu ** 2 - 1 - logvar, axis=1)
    step = vae._step(vae._images(mnist.x_test[:10])[0], training=False)
    np.testing.assert_allclose(step["kl"], kl.mean(), rtol=1e-5)


def test_vae_outputs_keep_the_callers_layout(mnist):
    vae = gm.VAE(latent_dim=3, hidden=(32,), seed=0)
    x = mnist.x_test[:5]
    assert vae.reconstruct(x).shape == (5, 28, 28)
    assert vae.reconstruct(x.reshape(5, 784)).shape == (5, 784)
    assert vae.reconstruct(x.reshape(5, 1, 28, 28)).shape == (5, 1, 28, 28)
    assert vae.sample(7, seed=1).shape == (7, 28, 28)
    draws = vae.sample(7, seed=1, draw=True)
    assert set(np.unique(draws)) <= {0.0, 1.0}
    assert vae.transform(x).shape == (5, 3) and vae.decode(np.zeros((2, 3))).shape == (2, 28, 28)


def test_gaussian_vae_with_learned_variance(mnist):
    vae = gm.VAE(latent_dim=4, hidden=(64,), likelihood="gaussian", variance="learned", seed=0)
    hist = vae.fit(mnist.x_train[:500], epochs=2, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    assert np.any(vae.log_variance != 0)


def test_conv_vae_and_dynamic_binarisation(mnist):
    vae = gm.VAE(latent_dim=4, architecture="conv", seed=0)
    hist = vae.fit(mnist.x_train[:300], epochs=2, batch_size=50, verbose=0, binarize="dynamic")
    assert hist.history["loss"][-1] < hist.history["loss"][0]


def test_ae_learns_and_encodes(mnist):
    for loss in ("bce", "mse"):
        ae = gm.AE(latent_dim=10, hidden=(128,), loss=loss, seed=0)
        hist = ae.fit(mnist.x_train, epochs=5, lr=3e-3, verbose=0, validation_data=mnist.x_test)
        assert hist.history["val_loss"][-1] < hist.history["val_loss"][0] or hist.history["loss"][-1] < hist.history["loss"][0]
        rec = ae.reconstruct(mnist.x_test)
        mse = np.mean((rec - mnist.x_test) ** 2)
        assert mse < np.mean((mnist.x_test - mnist.x_train.mean(0)) ** 2)   # beats the mean image
        assert ae.encode(mnist.x_test[:4]).shape == (4, 10)


def test_same_seed_same_weights_and_samples_with_one_and_two_threads(mnist, with_threads):
    results = []
    for threads in (1, 2):
        vae = gm.VAE(latent_dim=4, hidden=(64,), seed=5)
        with_threads(threads, vae.fit, mnist.x_train[:300], epochs=1, batch_size=50, verbose=0)
        results.append((vae.state_arrays(), vae.sample(3)))
    for k in results[0][0]:
        np.testing.assert_array_equal(results[0][0][k], results[1][0][k])
    np.testing.assert_array_equal(results[0][1], results[1][1])


@pytest.mark.parametrize("cls, kwargs", [(gm.VAE, {"latent_dim": 3, "hidden": (16,)}),
                                         (gm.AE, {"latent_dim": 3, "hidden": (16,)}),
                                         (gm.GAN, {"latent_dim": 8}),
                                         (gm.CGAN, {"latent_dim": 8, "architecture": "dcgan"}),
                                         (gm.CGAN, {"latent_dim": 8, "architecture": "dcgan", "pack": 2}),
                                         (gm.GAN, {"latent_dim": 8, "architecture": "dcgan", "spectral_norm": True})])
def test_save_load_round_trip(cls, kwargs, mnist, tmp_path):
    model = cls(seed=0, **kwargs)
    if cls is gm.CGAN:
        model.fit(mnist.x_train[:64], mnist.y_train[:64], epochs=1, verbose=0)
        sample = lambda m: m.sample(5, labels=[0, 1, 2, 3, 4])
    else:
        model.fit(mnist.x_train[:64], epochs=1, verbose=0)
        sample = lambda m: m.sample(5) if cls is not gm.AE else m.reconstruct(mnist.x_test[:5])
    model.save(tmp_path / "m.gm")
    loaded = gm.load(tmp_path / "m.gm")
    assert type(loaded) is cls and repr(loaded) == repr(model)
    np.testing.assert_array_equal(sample(model), sample(loaded))


@pytest.mark.parametrize("cls, kwargs, fit_kwargs", [
    (gm.VAE, {"latent_dim": 3, "hidden": (16,), "likelihood": "gaussian", "variance": "learned"},
     {"weight_decay": 1e-3}),
    (gm.VAE, {"latent_dim": 3, "hidden": (16,)}, {"binarize": "dynamic"}),
    (gm.AE, {"latent_dim": 3, "hidden": (16,)}, {}),
    (gm.GAN, {"latent_dim": 8, "loss": "hinge"}, {}),
    (gm.CGAN, {"latent_dim": 8, "architecture": "dcgan", "pack": 2}, {})])
def test_a_loaded_model_trains_on_as_if_it_had_never_stopped(cls, kwargs, fit_kwargs, mnist, tmp_path):
    # the optimisers' moments and step counts are in the checkpoint, with
    # the random streams' positions and the epoch count
    data = (mnist.x_train[:96], mnist.y_train[:96]) if cls is gm.CGAN else (mnist.x_train[:96],)
    straight = cls(seed=0, **kwargs)
    straight.fit(*data, epochs=2, batch_size=32, verbose=0, **fit_kwargs)
    stopped = cls(seed=0, **kwargs)
    stopped.fit(*data, epochs=1, batch_size=32, verbose=0, **fit_kwargs)
    stopped.save(tmp_path / "m.gm")
    resumed = gm.load(tmp_path / "m.gm")
    resumed.fit(*data, epochs=1, batch_size=32, verbose=0, **fit_kwargs)
    expected, got = straight.state_arrays(), resumed.state_arrays()
    assert expected.keys() == got.keys()
    for k in expected:
        np.testing.assert_array_equal(got[k], expected[k], err_msg=k)
    assert resumed.epochs_trained_ == 2


def test_a_checkpoint_with_bad_optimizer_state_is_rejected(mnist, tmp_path):
    ae = gm.AE(latent_dim=3, hidden=(16,), seed=0)
    ae.fit(mnist.x_train[:64], epochs=1, verbose=0)
    config, arrays = ae._checkpoint()
    cases = {"unknown optimiser": ({**config, "optimizers": {"gan": config["optimizers"]["ae"]}}, arrays),
             "negative step": ({**config, "optimizers": {"ae": {**config["optimizers"]["ae"], "step": -1}}}, arrays),
             "bad lr": ({**config, "optimizers": {"ae": {**config["optimizers"]["ae"],
                                                         "config": {"lr": "fast"}}}}, arrays),
             "moment of the wrong shape": (config, {**arrays, "optimizer.ae.m.0": np.zeros(3, np.float32)}),
             "missing moment": (config, {k: v for k, v in arrays.items() if k != "optimizer.ae.v.1"}),
             "non-finite moment": (config, {**arrays, "optimizer.ae.v.0": np.full_like(arrays["optimizer.ae.v.0"],
                                                                                       np.nan)}),
             "stray array": (config, {**arrays, "optimizer.ae.w.0": np.zeros(1, np.float32)})}
    for what, (bad_config, bad_arrays) in cases.items():
        with pytest.raises(ValueError):
            gm.AE._from_checkpoint(bad_config, dict(bad_arrays))
    # a file of an older version, without optimisers, still loads and trains
    old = {k: v for k, v in config.items() if k != "optimizers"}
    model = gm.AE._from_checkpoint(old, {k: v for k, v in arrays.items() if not k.startswith("optimizer.")})
    model.fit(mnist.x_train[:64], epochs=1, verbose=0)


def test_gan_trains_and_reports_discriminator_outputs(mnist):
    gan = gm.GAN(latent_dim=16, seed=0)
    hist = gan.fit(mnist.x_train[:512], epochs=2, batch_size=64, verbose=0)
    h = hist.history
    assert set(h) == {"d_loss", "g_loss", "d_real", "d_fake"}
    assert all(0 <= v <= 1 for v in h["d_real"] + h["d_fake"])
    assert h["d_real"][-1] > h["d_fake"][-1]            # D tells real from fake
    s = gan.sample(6, seed=3)
    assert s.shape == (6, 28, 28) and 0 <= s.min() and s.max() <= 1
    np.testing.assert_array_equal(s, gan.sample(6, seed=3))
    z = np.zeros((2, 16), np.float32)
    assert gan.generate(z).shape == (2, 28, 28)


@pytest.mark.parametrize("loss", ["minimax", "wasserstein", "hinge"])
def test_gan_losses(loss, mnist):
    gan = gm.GAN(latent_dim=8, loss=loss, d_steps=2, seed=0)
    hist = gan.fit(mnist.x_train[:128], epochs=1, batch_size=32, verbose=0)
    assert np.isfinite(hist.history["d_loss"][0])
    if loss == "wasserstein":
        assert max(np.abs(p).max() for p in gan.discriminator.parameters()) <= gan.clip_value


def _tiny_critic_gan(cls=gm.GAN, **kwargs):
    """A GAN on 4x4 images whose critic is smooth (tanh), so that its
    penalty is differentiable everywhere."""
    extra, pack = kwargs.get("n_classes", 0), kwargs.get("pack", 1)
    critic = gm.nn.Sequential(gm.nn.Linear(pack * (16 + extra), 12, seed=1), gm.nn.Tanh(),
                              gm.nn.Linear(12, 1, seed=2))
    generator = gm.nn.Sequential(gm.nn.Linear(3 + extra, 16, seed=3), gm.nn.Sigmoid())
    return cls(latent_dim=3, loss="wasserstein", gradient_penalty=10.0, input_shape=(1, 4, 4), seed=0,
               generator=generator, discriminator=critic, **kwargs)


def _penalty(gan, points, labels):
    """lambda * mean (||grad_x D|| - 1)^2 from exact input gradients, one
    norm per pack of images."""
    packs = len(points) // gan.pack
    g = gan._input_gradient(points, labels, np.ones((packs, 1), np.float32)).astype(np.float64)
    gan.discriminator.zero_grad()
    return gan.gradient_penalty * np.mean((np.linalg.norm(g.reshape(packs, -1), axis=1) - 1) ** 2)


@pytest.mark.parametrize("conditional, pack", [(False, 1), (True, 1), (False, 2), (True, 4)])
def test_gradient_penalty_gradient_matches_finite_differences(conditional, pack, rng):
    gan = _tiny_critic_gan(gm.CGAN, n_classes=3, pack=pack) if conditional else _tiny_critic_gan(pack=pack)
    real, fake = rng.random((2, 8, 16), dtype=np.float32)
    labels = np.arange(8) % 3 if conditional else None
    gan.discriminator.zero_grad()
    offset = gan._noise_offset
    value = gan._penalty_gradient(real, fake, labels)
    grads = [g.copy() for g in gan.discriminator.gradients()]
    gan._noise_offset = offset       # the same interpolation points
    e = gan._draw_uniform((8, 1), "noise")
    points = np.ascontiguousarray(e * real + (1 - e) * fake, dtype=np.float32)
    assert value == pytest.approx(_penalty(gan, points, labels), rel=1e-5)
    for param, grad in zip(gan.discriminator.parameters(), grads):
        for index in [np.unravel_index(i, param.shape) for i in rng.choice(param.size, min(4, param.size), replace=False)]:
            saved, delta = param[index], 1e-2
            param[index] = saved + delta
            up = _penalty(gan, points, labels)
            param[index] = saved - delta
            down = _penalty(gan, points, labels)
            param[index] = saved
            assert grad[index] == pytest.approx((up - down) / (2 * delta), rel=2e-2, abs=2e-3)


def test_wgan_gp_trains_without_clipping_and_pulls_gradient_norms_to_one(mnist):
    gan = gm.GAN(latent_dim=8, loss="wasserstein", gradient_penalty=10.0, d_steps=2, seed=0)
    hist = gan.fit(mnist.x_train[:512], epochs=3, batch_size=64, verbose=0)
    penalties = hist.history["gradient_penalty"]
    assert all(np.isfinite(penalties)) and penalties[-1] < penalties[0]
    assert max(np.abs(p).max() for p in gan.discriminator.parameters()) > gan.clip_value   # no clipping
    points = np.ascontiguousarray(mnist.x_train[:64].reshape(64, -1))
    g = gan._input_gradient(points, None, np.ones((64, 1), np.float32))
    assert np.median(np.linalg.norm(g, axis=1)) == pytest.approx(1.0, abs=0.5)


def test_packed_discriminator_judges_packs_of_images(mnist, rng):
    gan = gm.GAN(latent_dim=16, pack=2, seed=0)
    assert gan.discriminator.layers[0].weight.shape[1] == 2 * 784
    hist = gan.fit(mnist.x_train[:515], epochs=3, batch_size=64, verbose=0)   # last batch: 3 images
    h = hist.history
    assert all(np.isfinite(h["d_loss"] + h["g_loss"])) and h["d_real"][-1] > h["d_fake"][-1]
    x = rng.random((6, 28, 28), dtype=np.float32)
    scores = gan.discriminate(x)
    assert scores.shape == (6,)
    np.testing.assert_array_equal(scores[0::2], scores[1::2])        # one output per pack
    logit = gan.discriminator.forward(np.concatenate([x[2].ravel(), x[3].ravel()])[None], False)
    assert scores[2] == pytest.approx(float(1 / (1 + np.exp(-logit[0, 0]))), rel=1e-6)
    assert gan.discriminate(x[[3, 2]])[0] != pytest.approx(scores[2])    # the order within a pack matters
    with pytest.raises(ValueError, match="with pack=2 the discriminator needs a multiple of 2"):
        gan.discriminate(x[:5])


def test_spectral_norm_discriminator_trains_with_unit_spectral_norms(mnist):
    gan = gm.GAN(latent_dim=16, loss="hinge", spectral_norm=True, seed=0)
    wrapped = [m for m in gan.discriminator.layers if isinstance(m, gm.nn.SpectralNorm)]
    assert len(wrapped) == 3
    hist = gan.fit(mnist.x_train[:512], epochs=3, batch_size=64, verbose=0)
    h = hist.history
    assert all(np.isfinite(h["d_loss"] + h["g_loss"])) and h["d_real"][-1] > h["d_fake"][-1]
    for sn in wrapped:     # power iteration tracks the trained weights' largest singular value
        sigma = np.linalg.svd(sn.weight_orig.astype(np.float64), compute_uv=False)[0]
        assert sn.sigma == pytest.approx(sigma, rel=0.02)
    assert not any(isinstance(m, gm.nn.BatchNorm2d) for m in
                   gm.GAN(architecture="dcgan", spectral_norm=True).discriminator.layers)


@pytest.mark.parametrize("cls", [gm.GAN, gm.CGAN])
def test_dcgan_networks_start_from_the_dcgan_papers_initialisation(cls):
    gan = cls(architecture="dcgan", seed=3)
    weights, scales = [], []
    for net in (gan.generator, gan.discriminator):
        for layer in net.layers:
            if isinstance(layer, (nn.BatchNorm1d, nn.BatchNorm2d)):
                scales.append(layer.weight)
            elif isinstance(layer, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
                weights.append(layer.weight)
            else:
                continue
            np.testing.assert_array_equal(layer.bias, 0.0)
    assert len(weights) == 6 and len(scales) == 3
    for w in weights:
        assert abs(w.mean()) < 0.01 and 0.015 < w.std() < 0.025, w.shape
    for g in scales:
        assert abs(g.mean() - 1) < 0.01 and 0.01 < g.std() < 0.03, g.shape
    # every tensor has its own draws, and the seed reproduces them
    assert len({float(w.ravel()[0]) for w in weights}) == 6
    again = cls(architecture="dcgan", seed=3)
    for k, v in gan.generator.state_arrays().items():
        np.testing.assert_array_equal(again.generator.state_arrays()[k], v)


def test_a_batch_is_completed_to_whole_packs():
    gan = gm.GAN(latent_dim=2, pack=4, seed=0)
    real, labels = np.arange(6.0)[:, None], np.arange(6)
    completed, completed_labels = gan._whole_packs(real, labels)
    np.testing.assert_array_equal(completed[:, 0], [0, 1, 2, 3, 4, 5, 0, 1])
    np.testing.assert_array_equal(completed_labels, [0, 1, 2, 3, 4, 5, 0, 1])
    one, _ = gan._whole_packs(real[:1], None)
    np.testing.assert_array_equal(one[:, 0], [0, 0, 0, 0])


def test_cgan_samples_requested_classes(mnist):
    cgan = gm.CGAN(latent_dim=8, n_classes=10, seed=0)
    cgan.fit(mnist.x_train[:256], mnist.y_train[:256], epochs=1, batch_size=64, verbose=0)
    assert cgan.sample(10, labels=range(10)).shape == (10, 28, 28)
    assert cgan.sample(4, labels=3).shape == (4, 28, 28)


def test_bad_input(mnist):
    vae = gm.VAE(latent_dim=2, hidden=(8,), seed=0)
    with pytest.raises(ValueError, match=r"'x' has shape \(3, 20, 20\)"):
        vae.fit(np.zeros((3, 20, 20)), epochs=1, verbose=0)
    bad = mnist.x_train[:4].copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="'x' contains NaN"):
        vae.fit(bad, epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"pixel values in \[0, 1\]"):
        vae.fit(mnist.x_train[:4] * 255, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="'n' must be >= 1"):
        vae.sample(0)
    with pytest.raises(ValueError, match="'likelihood'"):
        gm.VAE(likelihood="poisson")
    with pytest.raises(ValueError, match=r"'z' must have shape \(N, 2\)"):
        vae.decode(np.zeros((3, 5)))
    cgan = gm.CGAN(latent_dim=4, n_classes=10, seed=0)
    with pytest.raises(ValueError, match=r"class ids in \[0, 10\)"):
        cgan.fit(mnist.x_train[:4], [0, 1, 2, 10], epochs=1, verbose=0)
    with pytest.raises(ValueError, match="4 labels for 3 images"):
        cgan.fit(mnist.x_train[:3], [0, 1, 2, 3], epochs=1, verbose=0)
    with pytest.raises(ValueError, match="'loss' must be one of"):
        gm.GAN(loss="least-squares")
    with pytest.raises(ValueError, match="'gradient_penalty' must be a finite number >= 0"):
        gm.GAN(gradient_penalty=-1.0)
    with pytest.raises(ValueError, match="'gradient_penalty' must be a finite number >= 0, got 'ten'"):
        gm.GAN(gradient_penalty="ten")
    with pytest.raises(TypeError, match="'spectral_norm' must be True or False"):
        gm.GAN(spectral_norm="yes")
    with pytest.raises(ValueError, match="wrap the layers of your own in genmodels.nn.SpectralNorm"):
        gm.GAN(latent_dim=4, spectral_norm=True, discriminator=gm.nn.Sequential(gm.nn.Linear(784, 1)))
    with pytest.raises(ValueError, match="'pack' must be >= 1, got 0"):
        gm.GAN(pack=0)
    with pytest.raises(ValueError, match=r"one logit per pack of 2 images"):
        gm.GAN(latent_dim=4, pack=2, discriminator=gm.nn.Sequential(gm.nn.Linear(2 * 784, 2))).discriminate(
            mnist.x_train[:4])


def test_a_fresh_interpreter_loads_a_saved_model(tmp_path, run_python):
    path = tmp_path / "v.gm"
    gm.VAE(latent_dim=2, hidden=(8,), seed=4).save(path)
    out = run_python(f"import genmodels as gm; m = gm.load({str(path)!r}); print(type(m).__name__, m.latent_dim)")
    assert out.split() == ["VAE", "2"]
