"""Built-in networks, sized from the input shape (28x28 images by default).

    "mlp"           fully connected layers of `hidden` sizes with ReLU
    "conv"          two stride-2 convolutions down, two transposed up (AE/VAE)
    "mlp" (GAN)     LeakyReLU and batch norm, as in the classic MLP GAN
    "dcgan"         the DCGAN pattern (Radford et al.): strided (transposed)
                    convolutions, batch norm, ReLU in the generator,
                    LeakyReLU(0.2) in the discriminator, and the paper's
                    initialisation (weights from N(0, 0.02))

The other architectures start from PyTorch's default initialisation.
"""
import numpy as np

from .. import nn, ops

__all__ = ["encoder", "decoder", "generator", "discriminator"]


class _Seeds:
    """A distinct, reproducible initialisation seed for each layer."""

    def __init__(self, seed):
        self.seed, self.i = seed, 0

    def __call__(self):
        self.i += 1
        return (self.seed * 1_000_003 + self.i) % 2**63


def _dcgan_initialised(layers, seeds):
    """Re-draw the layers' parameters as the DCGAN paper does: weights from
    N(0, 0.02) and zero biases, batch-norm scales from N(1, 0.02) and zero
    shifts. Against PyTorch's default it gives the unconditional DCGAN's
    rarest digit (the ones, which it draws too boldly) a clear margin over
    the 5% floor (benchmarks/README.md)."""
    for layer in layers:
        norm = isinstance(layer, (nn.BatchNorm1d, nn.BatchNorm2d))
        ops.normal(seed=seeds(), stream="init", mean=1.0 if norm else 0.0, std=0.02, out=layer.weight)
        if layer.bias is not None:
            layer.bias.fill(0.0)
    return layers


def _conv_sizes(input_shape):
    c, h, w = input_shape
    if h % 4 or w % 4:
        raise ValueError(f"the conv architectures need H and W divisible by 4, got {input_shape}; "
                         "use architecture='mlp' or pass your own networks")
    return c, h // 4, w // 4


def encoder(architecture, input_shape, out_dim, hidden, seed):
    """Images -> out_dim features (the latent code, or mean and log-variance)."""
    s = _Seeds(seed)
    d = int(np.prod(input_shape))
    if architecture == "mlp":
        layers, width = [], d
        for h in hidden:
            layers += [nn.Linear(width, h, seed=s()), nn.ReLU()]
            width = h
        return nn.Sequential(*layers, nn.Linear(width, out_dim, seed=s()))
    if architecture == "conv":
        c, h4, w4 = _conv_sizes(input_shape)
        return nn.Sequential(nn.Reshape(*input_shape),
                             nn.Conv2d(c, 32, 4, stride=2, padding=1, seed=s()), nn.ReLU(),
                             nn.Conv2d(32, 64, 4, stride=2, padding=1, seed=s()), nn.ReLU(),
                             nn.Flatten(), nn.Linear(64 * h4 * w4, out_dim, seed=s()))
    raise ValueError(f"'architecture' must be 'mlp' or 'conv', got {architecture!r}")


def decoder(architecture, input_shape, latent_dim, hidden, seed):
    """Latent codes -> flat image logits (N, C*H*W)."""
    s = _Seeds(seed + 7919)
    d = int(np.prod(input_shape))
    if architecture == "mlp":
        layers, width = [], latent_dim
        for h in reversed(hidden):
            layers += [nn.Linear(width, h, seed=s()), nn.ReLU()]
            width = h
        return nn.Sequential(*layers, nn.Linear(width, d, seed=s()))
    if architecture == "conv":
        c, h4, w4 = _conv_sizes(input_shape)
        return nn.Sequential(nn.Linear(latent_dim, 64 * h4 * w4, seed=s()), nn.ReLU(), nn.Reshape(64, h4, w4),
                             nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1, seed=s()), nn.ReLU(),
                             nn.ConvTranspose2d(32, c, 4, stride=2, padding=1, seed=s()), nn.Flatten())
    raise ValueError(f"'architecture' must be 'mlp' or 'conv', got {architecture!r}")


def generator(architecture, input_shape, in_dim, seed):
    """Noise (and label) vectors -> flat images in [0, 1] (N, C*H*W)."""
    s = _Seeds(seed + 104729)
    d = int(np.prod(input_shape))
    if architecture == "mlp":
        return nn.Sequential(nn.Linear(in_dim, 256, seed=s()), nn.BatchNorm1d(256), nn.LeakyReLU(0.2),
                             nn.Linear(256, 512, seed=s()), nn.BatchNorm1d(512), nn.LeakyReLU(0.2),
                             nn.Linear(512, 1024, seed=s()), nn.BatchNorm1d(1024), nn.LeakyReLU(0.2),
                             nn.Linear(1024, d, seed=s()), nn.Sigmoid())
    if architecture == "dcgan":
        c, h4, w4 = _conv_sizes(input_shape)
        project, norm0 = nn.Linear(in_dim, 128 * h4 * w4, seed=s()), nn.BatchNorm1d(128 * h4 * w4)
        up1, norm1 = nn.ConvTranspose2d(128, 64, 4, stride=2, padding=1, seed=s()), nn.BatchNorm2d(64)
        up2 = nn.ConvTranspose2d(64, c, 4, stride=2, padding=1, seed=s())
        _dcgan_initialised([project, norm0, up1, norm1, up2], s)
        return nn.Sequential(project, norm0, nn.ReLU(), nn.Reshape(128, h4, w4), up1, norm1, nn.ReLU(), up2,
                             nn.Sigmoid(), nn.Flatten())
    raise ValueError(f"'architecture' must be 'mlp' or 'dcgan', got {architecture!r}")


def discriminator(architecture, input_shape, extra_channels, seed, pack=1, spectral_norm=False):
    """Flat images (with `extra_channels` label features or planes appended
    by the caller) -> one logit per image, or per `pack` images side by side
    (their features, or channels for "dcgan", concatenated). With
    spectral_norm, every weight layer is spectrally normalised and the
    "dcgan" discriminator has no batch norm (as in SN-GAN)."""
    s = _Seeds(seed + 1299709)
    c, h, w = input_shape
    d = int(np.prod(input_shape))

    def weights(layer):
        if not spectral_norm:
            return layer
        return nn.SpectralNorm(layer, seed=s())     # u and v from a seed of their own

    if architecture == "mlp":
        return nn.Sequential(weights(nn.Linear(pack * (d + extra_channels), 512, seed=s())), nn.LeakyReLU(0.2),
                             weights(nn.Linear(512, 256, seed=s())), nn.LeakyReLU(0.2),
                             weights(nn.Linear(256, 1, seed=s())))
    if architecture == "dcgan":
        _, h4, w4 = _conv_sizes(input_shape)
        channels = pack * (c + extra_channels)
        down1 = nn.Conv2d(channels, 64, 4, stride=2, padding=1, seed=s())
        down2 = nn.Conv2d(64, 128, 4, stride=2, padding=1, seed=s())
        score = nn.Linear(128 * h4 * w4, 1, seed=s())
        norm = [] if spectral_norm else [nn.BatchNorm2d(128)]
        _dcgan_initialised([down1, down2, *norm, score], s)     # before SpectralNorm reads the weights
        return nn.Sequential(nn.Reshape(channels, h, w), weights(down1), nn.LeakyReLU(0.2), weights(down2),
                             *norm, nn.LeakyReLU(0.2), nn.Flatten(), weights(score))
    raise ValueError(f"'architecture' must be 'mlp' or 'dcgan', got {architecture!r}")
