"""Layers: gradients by finite differences in train and eval mode, a composed
network end to end, PyTorch-style initialisation, and bad input."""
import numpy as np
import pytest
from gradcheck import check_grad

import genmodels as gm
from genmodels import nn


def grad_check_layer(layer, x, rng, training=True, rtol=2e-3, atol=2e-3):
    """Check d(sum(w * layer(x)))/d(x and every parameter) numerically, in
    float64 through the layer's own float32 forward."""
    layer.train(training)
    y = layer.forward(x)
    w = rng.standard_normal(y.shape)
    layer.zero_grad()
    dx = layer.backward(w.astype(np.float32))
    params = layer.parameters()
    grads = [g.copy() for g in layer.gradients()]
    saved = [p.copy() for p in params]
    buffers = {k: v.copy() for k, v in layer.named_buffers().items()}

    def loss(x_, *ps):
        for p, v in zip(params, ps):
            p[...] = v
        for k, v in layer.named_buffers().items():   # running stats must not drift
            v[...] = buffers[k]
        out = layer.forward(x_.astype(np.float32)).astype(np.float64)
        return np.sum(w * out)

    try:
        check_grad(loss, [x] + saved, [dx] + grads, rtol=rtol, atol=atol, eps=1e-3)
    finally:
        for p, v in zip(params, saved):
            p[...] = v


LAYERS = {
    "linear": (lambda: nn.Linear(5, 4, seed=0), (3, 5)),
    "linear_nobias": (lambda: nn.Linear(5, 4, bias=False, seed=0), (3, 5)),
    "conv": (lambda: nn.Conv2d(2, 3, 3, stride=2, padding=1, seed=0), (2, 2, 7, 6)),
    "convT": (lambda: nn.ConvTranspose2d(3, 2, 4, stride=2, padding=1, seed=0), (2, 3, 3, 4)),
    "conv_rect": (lambda: nn.Conv2d(3, 2, (3, 2), stride=(1, 2), padding=(0, 1), bias=False, seed=4), (1, 3, 5, 5)),
    "convT_outpad": (lambda: nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1, output_padding=1, seed=5),
                     (2, 2, 3, 3)),
    "bn1d": (lambda: nn.BatchNorm1d(4), (6, 4)),
    "bn2d": (lambda: nn.BatchNorm2d(3), (4, 3, 3, 2)),
    "relu": (lambda: nn.ReLU(), (4, 5)),
    "leaky": (lambda: nn.LeakyReLU(0.2), (4, 5)),
    "sigmoid": (lambda: nn.Sigmoid(), (4, 5)),
    "tanh": (lambda: nn.Tanh(), (4, 5)),
    "flatten": (lambda: nn.Flatten(), (2, 3, 4)),
    "reshape": (lambda: nn.Reshape(3, 4), (2, 12)),
    "mbstd": (lambda: nn.MinibatchStd(), (5, 4)),
    "mbstd2d": (lambda: nn.MinibatchStd(), (3, 2, 2, 3)),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
@pytest.mark.parametrize("training", [True, False])
def test_layer_gradients(name, training, rng):
    make, shape = LAYERS[name]
    layer = make()
    x = rng.standard_normal(shape).astype(np.float32)
    if name in ("relu", "leaky"):
        x[np.abs(x) < 0.1] += 0.3
    grad_check_layer(layer, x, rng, training=training)


def test_dropout_masks_and_scales(rng):
    layer = nn.Dropout(0.25, seed=3)
    x = np.ones((200, 50), np.float32)
    y = layer(x, training=True)
    kept = y != 0
    assert abs(kept.mean() - 0.75) < 0.02
    np.testing.assert_allclose(y[kept], 1 / 0.75)
    g = layer.backward(np.ones_like(x))
    np.testing.assert_array_equal(g, y)
    assert not np.array_equal(layer(x, training=True), y)      # fresh mask each call
    np.testing.assert_array_equal(layer(x, training=False), x)


def test_composed_network_end_to_end(rng):
    """conv -> BN -> LeakyReLU -> flatten -> linear against central
    differences of a float64 NumPy transcription of the same network."""
    from test_conv import ref_conv2d
    net = nn.Sequential(nn.Conv2d(1, 3, 3, stride=2, padding=1, seed=1), nn.BatchNorm2d(3),
                        nn.LeakyReLU(0.2), nn.Flatten(), nn.Linear(3 * 4 * 4, 5, seed=2))
    x = rng.standard_normal((4, 1, 7, 7)).astype(np.float32)
    w = rng.standard_normal((4, 5))
    net.zero_grad()
    net(x)
    dx = net.backward(w.astype(np.float32))

    def reference(x_, cw, cb, gamma, beta, lw, lb):
        h = ref_conv2d(x_, cw, cb, (2, 2), (1, 1))
        mean, var = h.mean(axis=(0, 2, 3), keepdims=True), h.var(axis=(0, 2, 3), keepdims=True)
        z = (h - mean) / np.sqrt(var + 1e-5) * gamma.reshape(1, -1, 1, 1) + beta.reshape(1, -1, 1, 1)
        a = np.where(z > 0, z, 0.2 * z).reshape(len(x_), -1)
        return np.sum(w * (a @ lw.T + lb))

    check_grad(reference, [x] + net.parameters(), [dx] + net.gradients(), rtol=1e-3, atol=1e-4, eps=1e-5)


def test_frozen_network_passes_gradients_without_accumulating(rng):
    net = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1, seed=1), nn.BatchNorm2d(3), nn.ReLU(),
                        nn.ConvTranspose2d(3, 2, 3, padding=1, seed=2), nn.Flatten(),
                        nn.Linear(2 * 5 * 5, 2, seed=3))
    x = rng.standard_normal((4, 1, 5, 5)).astype(np.float32)
    w = rng.standard_normal((4, 2)).astype(np.float32)
    net.zero_grad()
    net(x)
    want_dx = net.backward(w)
    want = [g.copy() for g in net.gradients()]
    assert all(np.any(g != 0) for g in want)
    net.requires_grad_(False)
    net(x)
    np.testing.assert_array_equal(net.backward(w), want_dx)          # the same input gradient
    for g, before in zip(net.gradients(), want):
        np.testing.assert_array_equal(g, before)                     # nothing accumulated
    assert net.requires_grad_(True) is net and all(layer.requires_grad for layer in net.layers)


def test_fresh_gradients_read_as_if_zeroed_first(rng):
    """Deferred zeroing: the first backward writes, later ones add, and
    gradients no backward wrote (frozen or unused layers) read zero."""
    from genmodels.nn.module import fresh_gradients
    net = nn.Sequential(nn.Linear(6, 5, seed=1), nn.BatchNorm1d(5), nn.LeakyReLU(0.2), nn.Linear(5, 3, seed=2))
    spare = nn.Linear(3, 2, seed=3)
    x = rng.standard_normal((8, 6)).astype(np.float32)
    w = rng.standard_normal((8, 3)).astype(np.float32)
    with fresh_gradients(net):
        pass
    assert all(np.all(g == 0) for g in net.gradients())
    for g in net.gradients() + spare.gradients():
        g.fill(np.nan)                                    # stale values must never show through
    net.zero_grad()
    for _ in range(2):
        net(x)
        net.backward_parameters(w)
    want = [g.copy() for g in net.gradients()]
    for g in net.gradients():
        g.fill(np.nan)
    with fresh_gradients(net, spare):
        for _ in range(2):                                # two passes, as a GAN's discriminator takes
            net(x)
            net.backward_parameters(w)
    for g, expected in zip(net.gradients(), want):
        np.testing.assert_array_equal(g, expected)
    assert all(np.all(g == 0) for g in spare.gradients())  # never reached by a backward
    net[3].requires_grad_(False)
    with fresh_gradients(net):
        net(x)
        net.backward_parameters(w)
    assert np.all(net[3].grad_weight == 0) and np.all(net[3].grad_bias == 0)
    np.testing.assert_array_equal(net[0].grad_weight, want[0] / 2)
    with pytest.raises(RuntimeError):
        with fresh_gradients(spare):
            raise RuntimeError("a failing step")
    assert all(np.all(g == 0) for g in spare.gradients())


SPECTRAL = {
    "linear": (lambda: nn.SpectralNorm(nn.Linear(5, 4, seed=0), seed=1), (3, 5)),
    "conv": (lambda: nn.SpectralNorm(nn.Conv2d(2, 3, 3, stride=2, padding=1, seed=0), seed=1), (2, 2, 7, 6)),
    "convT": (lambda: nn.SpectralNorm(nn.ConvTranspose2d(3, 2, 4, stride=2, padding=1, seed=0), seed=1),
              (2, 3, 3, 4)),
}


@pytest.mark.parametrize("name", sorted(SPECTRAL))
def test_spectral_norm_gradients(name, rng):
    # in evaluation u and v stay put, so finite differences see the same
    # function the gradient describes (in training a power-iteration step
    # moves them, and the gradient holds them fixed, as PyTorch's does)
    make, shape = SPECTRAL[name]
    grad_check_layer(make(), rng.standard_normal(shape).astype(np.float32), rng, training=False)


@pytest.mark.parametrize("make, as_matrix", [
    (lambda: nn.Linear(30, 20, seed=0), lambda w: w),
    (lambda: nn.Conv2d(3, 8, 3, seed=0), lambda w: w.reshape(8, -1)),
    (lambda: nn.ConvTranspose2d(8, 3, 4, seed=0), lambda w: w.transpose(1, 0, 2, 3).reshape(3, -1))])
def test_spectral_norm_divides_by_the_largest_singular_value(make, as_matrix, rng):
    layer = make()
    sn = nn.SpectralNorm(layer, seed=2)
    sigma = np.linalg.svd(as_matrix(sn.weight_orig.astype(np.float64)), compute_uv=False)[0]
    x = rng.standard_normal((2,) + ((30,) if isinstance(layer, nn.Linear) else (layer.in_channels, 6, 6)))
    for _ in range(20):
        sn(x.astype(np.float32), training=True)
    assert sn.sigma == pytest.approx(sigma, rel=1e-4)
    assert np.linalg.svd(as_matrix(layer.weight.astype(np.float64)), compute_uv=False)[0] == pytest.approx(1, rel=1e-4)
    u = sn.u.copy()
    sn(x.astype(np.float32), training=False)                 # evaluation reuses u and v
    np.testing.assert_array_equal(sn.u, u)
    assert set(sn.named_parameters()) == {"weight_orig", "bias"} and set(sn.named_buffers()) == {"u", "v"}


def test_spectral_norm_matches_torch_when_available(rng):
    torch = pytest.importorskip("torch")
    sn = nn.SpectralNorm(nn.Linear(6, 4, seed=0), seed=1)
    ref = torch.nn.Linear(6, 4)
    with torch.no_grad():
        ref.weight.copy_(torch.from_numpy(sn.weight_orig))
        ref.bias.copy_(torch.from_numpy(sn.layer.bias))
    ref = torch.nn.utils.parametrizations.spectral_norm(ref)
    ref.parametrizations.weight[0]._u.copy_(torch.from_numpy(sn.u))
    ref.parametrizations.weight[0]._v.copy_(torch.from_numpy(sn.v))
    x = rng.standard_normal((5, 6)).astype(np.float32)
    w = rng.standard_normal((5, 4)).astype(np.float32)
    sn.zero_grad()
    y = sn(x, training=True)
    sn.backward(w)
    xt = torch.from_numpy(x)
    yt = ref(xt)
    (yt * torch.from_numpy(w)).sum().backward()
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(sn.grad_weight_orig, ref.parametrizations.weight.original.grad.numpy(),
                               rtol=1e-4, atol=1e-6)


def test_spectral_norm_in_fresh_gradients_and_checkpoints(rng, tmp_path):
    from genmodels.nn.module import fresh_gradients
    net = nn.Sequential(nn.SpectralNorm(nn.Linear(6, 5, seed=1), seed=2), nn.LeakyReLU(0.2),
                        nn.SpectralNorm(nn.Linear(5, 1, seed=3), seed=4))
    x = rng.standard_normal((8, 6)).astype(np.float32)
    w = rng.standard_normal((8, 1)).astype(np.float32)
    net.zero_grad()
    for _ in range(2):
        net(x, training=False)
        net.backward_parameters(w)
    want = [g.copy() for g in net.gradients()]
    for g in net.gradients():
        g.fill(np.nan)
    with fresh_gradients(net):
        for _ in range(2):
            net(x, training=False)
            net.backward_parameters(w)
    for g, expected in zip(net.gradients(), want):
        np.testing.assert_array_equal(g, expected)
    net(x, training=True)                                    # moves u and v
    gm.save(net, tmp_path / "sn.gm")
    loaded = gm.load(tmp_path / "sn.gm")
    assert repr(loaded) == repr(net)
    np.testing.assert_array_equal(loaded(x, training=False), net(x, training=False))


@pytest.mark.parametrize("first", ["reshape", "conv"])
def test_backward_parameters_matches_backward(first, rng):
    """Parameter gradients without the input gradient: the same values."""
    layers = [nn.Conv2d(1, 3, 3, padding=1, seed=1), nn.ReLU(), nn.ConvTranspose2d(3, 2, 3, padding=1, seed=2),
              nn.Flatten(), nn.Linear(2 * 5 * 5, 2, seed=3)]
    net = nn.Sequential(nn.Reshape(1, 5, 5), *layers) if first == "reshape" else nn.Sequential(*layers)
    x = rng.random((4, 25) if first == "reshape" else (4, 1, 5, 5), dtype=np.float32)
    w = rng.standard_normal((4, 2)).astype(np.float32)
    net.zero_grad()
    net(x)
    net.backward(w)
    want = [g.copy() for g in net.gradients()]
    net.zero_grad()
    net(x)
    assert net.backward_parameters(w) is None
    for g, expected in zip(net.gradients(), want):
        np.testing.assert_array_equal(g, expected)
    linear = nn.Linear(3, 2, seed=4)
    linear.zero_grad()
    linear(x[:, :3].reshape(4, 3) if first == "reshape" else x.reshape(4, -1)[:, :3])
    linear.backward_parameters(w)
    assert np.any(linear.grad_weight != 0)


def test_minibatch_std_appends_the_mean_standard_deviation(rng):
    x = rng.standard_normal((6, 3, 4, 4)).astype(np.float32)
    y = nn.MinibatchStd()(x)
    assert y.shape == (6, 4, 4, 4)
    np.testing.assert_array_equal(y[:, :3], x)
    np.testing.assert_allclose(y[:, 3], np.std(x.astype(np.float64), axis=0).mean(), rtol=1e-6)
    flat = nn.MinibatchStd()(np.repeat(x[:1].reshape(1, -1), 5, axis=0))    # identical examples
    assert flat.shape == (5, 49) and np.all(flat[:, -1] < 1e-3)
    with pytest.raises(ValueError, match="MinibatchStd: expected"):
        nn.MinibatchStd()(np.zeros((2, 3, 4)))


def test_concat_labels(rng):
    layer = nn.ConcatLabels(3)
    x = rng.standard_normal((2, 4)).astype(np.float32)
    y = layer(x, labels=[2, 0])
    np.testing.assert_array_equal(y[:, 4:], [[0, 0, 1], [1, 0, 0]])
    np.testing.assert_array_equal(layer.backward(np.ones_like(y)), np.ones_like(x))
    img = rng.standard_normal((2, 1, 3, 3)).astype(np.float32)
    out = layer(img, labels=[1, 2])
    assert out.shape == (2, 4, 3, 3) and np.all(out[0, 2] == 1) and np.all(out[0, 1] == 0)
    g = rng.standard_normal(out.shape).astype(np.float32)
    np.testing.assert_array_equal(layer.backward(g), g[:, :1])    # the image part only
    with pytest.raises(ValueError, match=r"'labels' must be in \[0, 3\)"):
        layer(x, labels=[3, 0])


def test_initialisation_matches_pytorch_bounds():
    lin = nn.Linear(100, 50, seed=0)
    bound = 1 / np.sqrt(100)
    assert np.abs(lin.weight).max() <= bound and np.abs(lin.weight).max() > 0.95 * bound
    assert np.abs(lin.bias).max() <= bound
    assert abs(lin.weight.std() - bound / np.sqrt(3)) < 0.01 * bound / np.sqrt(3) * 10
    conv_t = nn.ConvTranspose2d(8, 4, 3, seed=0)           # fan_in from dimension 1
    assert np.abs(conv_t.weight).max() <= 1 / np.sqrt(4 * 9)
    np.testing.assert_array_equal(nn.Linear(10, 3, seed=5).weight, nn.Linear(10, 3, seed=5).weight)
    assert not np.array_equal(nn.Linear(10, 3, seed=5).weight, nn.Linear(10, 3, seed=6).weight)


def test_global_seed_makes_unseeded_layers_reproducible():
    gm.seed(11)
    a = [nn.Linear(6, 6).weight for _ in range(2)]
    gm.seed(11)
    b = [nn.Linear(6, 6).weight for _ in range(2)]
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], a[1])
    gm.seed(0)


def test_matches_torch_forward_when_available(rng):
    torch = pytest.importorskip("torch")
    conv = nn.Conv2d(3, 4, 4, stride=2, padding=1, seed=0)
    tconv = torch.nn.Conv2d(3, 4, 4, stride=2, padding=1)
    with torch.no_grad():
        tconv.weight.copy_(torch.from_numpy(conv.weight))
        tconv.bias.copy_(torch.from_numpy(conv.bias))
    x = rng.standard_normal((2, 3, 8, 8)).astype(np.float32)
    np.testing.assert_allclose(conv(x), tconv(torch.from_numpy(x)).detach().numpy(), rtol=1e-4, atol=1e-5)
    lin, tlin = nn.Linear(7, 3, seed=0), torch.nn.Linear(7, 3)
    with torch.no_grad():
        tlin.weight.copy_(torch.from_numpy(lin.weight))
        tlin.bias.copy_(torch.from_numpy(lin.bias))
    v = rng.standard_normal((5, 7)).astype(np.float32)
    np.testing.assert_allclose(lin(v), tlin(torch.from_numpy(v)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_modes_and_repr():
    net = nn.Sequential(nn.Linear(2, 3, seed=0), nn.BatchNorm1d(3), nn.Dropout(0.1))
    net.eval()
    assert not any(layer.training for layer in net)
    net.train()
    assert all(layer.training for layer in net)
    assert "BatchNorm1d(num_features=3" in repr(net)
    assert net.num_parameters() == 2 * 3 + 3 + 3 + 3
    net.zero_grad()
    assert all(np.all(g == 0) for g in net.gradients())


def test_spectral_norm_bad_input():
    with pytest.raises(TypeError, match="'layer' must be a Linear, Conv2d or ConvTranspose2d, got ReLU"):
        nn.SpectralNorm(nn.ReLU())
    with pytest.raises(ValueError, match="'n_power_iterations' must be >= 1"):
        nn.SpectralNorm(nn.Linear(3, 2), n_power_iterations=0)
    layer = nn.Linear(3, 2)
    layer.weight.fill(0.0)
    with pytest.raises(ValueError, match="largest singular value"):
        nn.SpectralNorm(layer)


def test_bad_input():
    with pytest.raises(ValueError, match="Linear: expected 5 features"):
        nn.Linear(5, 2, seed=0)(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="'in_features' must be >= 1"):
        nn.Linear(0, 2)
    with pytest.raises(TypeError, match="'out_features' must be an int"):
        nn.Linear(3, 2.5)
    with pytest.raises(ValueError, match="Conv2d: expected a 4-D input"):
        nn.Conv2d(1, 2, 3)(np.zeros((3, 28, 28)))
    with pytest.raises(ValueError, match="'output_padding' must be smaller"):
        nn.ConvTranspose2d(1, 2, 3, stride=1, output_padding=1)
    with pytest.raises(ValueError, match="'p' must be in"):
        nn.Dropout(1.0)
    with pytest.raises(TypeError, match="layer 1 is a int"):
        nn.Sequential(nn.ReLU(), 3)
    with pytest.raises(ValueError, match="cannot reshape"):
        nn.Reshape(5)(np.zeros((2, 4)))


def test_dropout_masks_are_reproducible_from_the_seed():
    x = np.ones((8, 30), np.float32)
    a, b = nn.Dropout(0.5, seed=4), nn.Dropout(0.5, seed=4)
    for _ in range(2):                                   # same sequence of fresh masks
        np.testing.assert_array_equal(a(x, training=True), b(x, training=True))
    assert not np.array_equal(a(x, training=True), nn.Dropout(0.5, seed=5)(x, training=True))
    gm.seed(3)
    first = [nn.Dropout(0.5)(x, training=True) for _ in range(2)]
    gm.seed(3)
    again = [nn.Dropout(0.5)(x, training=True) for _ in range(2)]
    gm.seed(0)
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert not np.array_equal(first[0], first[1])       # unseeded layers take separate ranges
    assert repr(nn.Dropout(0.2, seed=7)) == "Dropout(p=0.2, seed=7)" and repr(nn.Dropout(0.2)) == "Dropout(p=0.2)"
