"""Generative adversarial networks, plain and conditional."""
import contextlib
import operator

import numpy as np

from .. import nn, ops
from ..nn.module import fresh_gradients
from . import architectures
from .base import GenerativeModel

__all__ = ["GAN", "CGAN"]

LOSSES = ("nonsaturating", "minimax", "wasserstein", "hinge")


def _sigmoid(x):
    return ops.activation_forward(np.ascontiguousarray(x, dtype=np.float32), "sigmoid")


def _discriminator_side(kind, logits, real, smoothing):
    """D's loss on one side (real or generated logits, (N, 1)) and its
    gradient; the D loss is the sum of the two sides."""
    n = len(logits)
    if kind in ("nonsaturating", "minimax"):
        target = np.full_like(logits, (1.0 - smoothing) if real else 0.0)
        losses, grad = ops.bce_with_logits(logits, target, scale=1.0 / n)
        return float(losses.mean()), grad
    sign = -1.0 if real else 1.0
    if kind == "wasserstein":     # the critic maximises E[D(real)] - E[D(fake)]
        return sign * float(logits.mean()), np.full_like(logits, sign / n)
    margin = 1.0 + sign * logits  # hinge: relu(1 - D(real)) + relu(1 + D(fake))
    return float(np.maximum(margin, 0).mean()), np.where(margin > 0, sign / n, 0.0).astype(np.float32)


def _has_spectral_norm(module):
    return isinstance(module, nn.SpectralNorm) or any(
        _has_spectral_norm(child) for child in module._children().values())


@contextlib.contextmanager
def _frozen(module):
    """Backward through `module` without touching its parameter gradients."""
    module.requires_grad_(False)
    try:
        yield module
    finally:
        module.requires_grad_(True)


def _generator_loss(kind, fake):
    """G's loss on D's logits for its samples (N, 1), and the gradient."""
    n = len(fake)
    if kind == "nonsaturating":   # maximise log D(G(z))
        losses, grad = ops.bce_with_logits(fake, np.ones_like(fake), scale=1.0 / n)
        return float(losses.mean()), grad
    if kind == "minimax":         # minimise log(1 - D(G(z))) = -BCE(fake, 0)
        losses, grad = ops.bce_with_logits(fake, np.zeros_like(fake), scale=1.0 / n)
        return float(-losses.mean()), -grad
    return float(-fake.mean()), np.full_like(fake, -1.0 / n)     # wasserstein, hinge


class GAN(GenerativeModel):
    """A GAN (Goodfellow et al.) with a choice of losses:

    "nonsaturating" (the usual generator loss -log D(G(z))), "minimax" (the
    original log(1 - D(G(z))), which saturates early in training),
    "wasserstein" (a critic with weight clipping to +-clip_value, WGAN) and
    "hinge". d_steps discriminator updates per generator update;
    label_smoothing replaces the real label 1 by 1 - label_smoothing.

    gradient_penalty=lambda > 0 adds lambda * E[(||grad_x D(x)|| - 1)^2] at
    random points between real and generated images to D's loss (WGAN-GP,
    Gulrajani et al.; with loss="wasserstein" it replaces weight clipping).
    Its parameter gradient, which needs second derivatives, is computed by a
    central difference of D along each point's input gradient (accurate to
    O(h^2), exact for a piecewise-linear D between kinks): three more passes
    through D per update. As in WGAN-GP, it is meant for discriminators
    without batch norm, whose outputs do not mix the examples of a batch.

    pack=m > 1 makes D judge m images at a time, side by side (PacGAN, Lin
    et al.): a pack of generated images that lack variety is easy to tell
    from a pack of real ones, which penalises mode collapse. The built-in
    discriminators then take m images (their features, or channels for
    "dcgan"); a custom one must take m times the features (or channels) of
    one image. A batch that does not divide into packs is completed by
    repeating its first images.

    spectral_norm=True divides each weight of the built-in discriminator by
    its largest singular value (`nn.SpectralNorm`; Miyato et al.), which
    keeps D smooth; the "dcgan" discriminator then has no batch norm, as in
    SN-GAN. Usually paired with loss="hinge".

    History per epoch: "d_loss", "g_loss", and "d_real" / "d_fake", the
    discriminator's mean output (a probability; for the Wasserstein critic
    its raw score) on real and on generated batches.
    """

    _networks = ("generator", "discriminator")
    _counters = ("noise",)
    n_classes = 0

    def __init__(self, latent_dim=100, architecture="mlp", loss="nonsaturating", d_steps=1, label_smoothing=0.0,
                 clip_value=0.01, input_shape=(1, 28, 28), seed=None, generator=None, discriminator=None,
                 gradient_penalty=0.0, pack=1, spectral_norm=False):
        super().__init__(input_shape, seed)
        self.latent_dim = operator.index(latent_dim)
        name = type(self).__name__
        if self.latent_dim < 1:
            raise ValueError(f"{name}: 'latent_dim' must be >= 1, got {latent_dim}")
        if loss not in LOSSES:
            raise ValueError(f"{name}: 'loss' must be one of {LOSSES}, got {loss!r}")
        self.d_steps = operator.index(d_steps)
        if self.d_steps < 1:
            raise ValueError(f"{name}: 'd_steps' must be >= 1, got {d_steps}")
        if not 0.0 <= label_smoothing < 0.5:
            raise ValueError(f"{name}: 'label_smoothing' must be in [0, 0.5), got {label_smoothing}")
        if not clip_value > 0:
            raise ValueError(f"{name}: 'clip_value' must be > 0, got {clip_value}")
        if not (isinstance(gradient_penalty, (int, float, np.integer, np.floating))
                and 0 <= gradient_penalty < float("inf")):
            raise ValueError(f"{name}: 'gradient_penalty' must be a finite number >= 0, got {gradient_penalty!r}")
        self.gradient_penalty = float(gradient_penalty)
        self.pack = operator.index(pack)
        if self.pack < 1:
            raise ValueError(f"{name}: 'pack' must be >= 1, got {pack}")
        if not isinstance(spectral_norm, (bool, np.bool_)):
            raise TypeError(f"{name}: 'spectral_norm' must be True or False, got {spectral_norm!r}")
        if spectral_norm and discriminator is not None and not _has_spectral_norm(discriminator):
            raise ValueError(f"{name}: 'spectral_norm' builds it into the built-in discriminator; wrap the "
                             "layers of your own in genmodels.nn.SpectralNorm instead")
        self.spectral_norm = bool(spectral_norm)
        self.architecture, self.loss = architecture, loss
        self.label_smoothing, self.clip_value = float(label_smoothing), float(clip_value)
        extra = self.n_classes
        self.generator = generator if generator is not None else architectures.generator(
            architecture, self.input_shape, self.latent_dim + extra, self.seed)
        self.discriminator = discriminator if discriminator is not None else architectures.discriminator(
            architecture, self.input_shape, extra, self.seed, self.pack, self.spectral_norm)
        for attr in ("generator", "discriminator"):
            if not isinstance(getattr(self, attr), nn.Module):
                raise TypeError(f"{name}: '{attr}' must be a genmodels.nn.Module")
        self._noise_offset = 0

    def get_config(self):
        return {"latent_dim": self.latent_dim, "architecture": self.architecture, "loss": self.loss,
                "d_steps": self.d_steps, "label_smoothing": self.label_smoothing, "clip_value": self.clip_value,
                "gradient_penalty": self.gradient_penalty, "pack": self.pack, "spectral_norm": self.spectral_norm,
                "input_shape": list(self.input_shape), "seed": self.seed}

    # --- conditioning hooks (CGAN overrides them) ---------------------------------
    def _g_input(self, z, labels):
        return z

    def _d_input(self, flat, labels):
        return flat

    def _d_grad(self, grad_in):
        return grad_in

    # --- networks ----------------------------------------------------------------
    def _generate(self, z, labels, training):
        out = self.generator.forward(self._g_input(z, labels), training)
        self._g_shape = out.shape
        out = out.reshape(len(z), -1)
        if out.shape[1] != self.input_dim:
            raise ValueError(f"{type(self).__name__}: the generator must output {self.input_dim} values per "
                             f"example, got {out.shape[1]}")
        return np.ascontiguousarray(out)

    def _discriminate(self, flat, labels, training):
        """D's logits (N / pack, 1) for images (N, input_dim), N a multiple of pack."""
        x = self._d_input(flat, labels)
        packs = len(flat) // self.pack
        logits = self.discriminator.forward(x.reshape((packs, self.pack * x.shape[1]) + x.shape[2:]), training)
        if logits.shape != (packs, 1):
            what = "(N, 1)" if self.pack == 1 else f"one logit per pack of {self.pack} images, ({packs}, 1)"
            raise ValueError(f"{type(self).__name__}: the discriminator must output {what}, got {logits.shape}")
        return logits

    def _d_backward_input(self, grad_logits):
        """Backward through D after _discriminate: the gradient w.r.t. its
        images, one row per image."""
        grad = self.discriminator.backward(grad_logits)
        grad = grad.reshape((len(grad) * self.pack, grad.shape[1] // self.pack) + grad.shape[2:])
        return self._d_grad(grad)

    def _whole_packs(self, real, labels):
        """The batch completed to whole packs by repeating its first images."""
        n = len(real)
        if n % self.pack == 0:
            return real, labels
        rows = np.arange(-(-n // self.pack) * self.pack) % n
        return real[rows], None if labels is None else labels[rows]

    def _d_mean_output(self, logits):
        return float(logits.mean()) if self.loss == "wasserstein" else float(_sigmoid(logits).mean())

    def _train_step(self, real, labels, d_opt, g_opt):
        real, labels = self._whole_packs(real, labels)
        n = len(real)
        stats = {}
        for _ in range(self.d_steps):
            z = self._draw_normal((n, self.latent_dim), "noise")
            fake_labels = self._fake_labels(labels)
            fake = self._generate(z, fake_labels, True)
            with fresh_gradients(self.discriminator):
                penalty = self._penalty_gradient(real, fake, labels) if self.gradient_penalty else 0.0
                # real and generated batches pass through D separately, each
                # backward right after its forward (D's layers cache one pass)
                logits = self._discriminate(real, labels, True)
                loss_real, grad = _discriminator_side(self.loss, logits, True, self.label_smoothing)
                self.discriminator.backward_parameters(grad)    # D's inputs need no gradient here
                d_real = self._d_mean_output(logits)
                logits = self._discriminate(fake, fake_labels, True)
                loss_fake, grad = _discriminator_side(self.loss, logits, False, self.label_smoothing)
                self.discriminator.backward_parameters(grad)
                d_fake = self._d_mean_output(logits)
            d_loss = loss_real + loss_fake + penalty
            nn.check_finite({"d_loss": d_loss}, [g for _, g in d_opt.pairs])
            d_opt.step()
            if self.gradient_penalty:
                stats["gradient_penalty"] = penalty
            elif self.loss == "wasserstein":
                for p in self.discriminator.parameters():
                    np.clip(p, -self.clip_value, self.clip_value, out=p)
        z = self._draw_normal((n, self.latent_dim), "noise")
        fake_labels = self._fake_labels(labels)
        fake = self._generate(z, fake_labels, True)
        logits = self._discriminate(fake, fake_labels, True)
        g_loss, grad = _generator_loss(self.loss, logits)
        with _frozen(self.discriminator):        # D only passes the gradient on to G
            grad_fake = self._d_backward_input(grad)
        with fresh_gradients(self.generator):    # the noise needs no gradient
            self.generator.backward_parameters(np.ascontiguousarray(grad_fake).reshape(self._g_shape))
        nn.check_finite({"g_loss": g_loss}, [g for _, g in g_opt.pairs])
        g_opt.step()
        return {"d_loss": d_loss, "g_loss": g_loss, "d_real": d_real, "d_fake": d_fake, **stats}

    def _input_gradient(self, flat, labels, grad_logits):
        """One forward and backward pass of D; the gradient w.r.t. the images
        (N, input_dim). D's parameter gradients accumulate unless frozen."""
        self._discriminate(flat, labels, True)
        return np.ascontiguousarray(self._d_backward_input(grad_logits)).reshape(len(flat), -1)

    def _penalty_gradient(self, real, fake, labels, step=1e-2):
        """Put the gradient of lambda * mean_i (||g_i|| - 1)^2, g_i = grad_x D
        at x_i = e_i real_i + (1 - e_i) fake_i, into D's (zeroed) gradients;
        return the penalty. With pack > 1, x_i is a pack of images.

        With u_i = g_i / ||g_i|| held fixed, d||g_i||/dtheta is the parameter
        gradient of the directional derivative u_i . g_i, which the central
        difference (D(x_i + h u_i) - D(x_i - h u_i)) / 2h approximates."""
        n, packs = len(real), len(real) // self.pack
        e = self._draw_uniform((n, 1), "noise")
        points = np.ascontiguousarray(e * real + (1 - e) * fake, dtype=np.float32)
        with _frozen(self.discriminator):
            g = self._input_gradient(points, labels, np.ones((packs, 1), np.float32)).reshape(packs, -1)
        norms = np.sqrt(np.einsum("ij,ij->i", g, g, dtype=np.float64))
        direction = (g / np.maximum(norms, 1e-12)[:, None]).astype(np.float32).reshape(n, -1)
        coef = (2 * self.gradient_penalty / packs * (norms - 1) / (2 * step)).astype(np.float32)[:, None]
        for sign in (1.0, -1.0):
            self._discriminate(np.ascontiguousarray(points + sign * step * direction), labels, True)
            self.discriminator.backward_parameters(sign * coef)
        return float(self.gradient_penalty * np.mean((norms - 1) ** 2))

    def _fake_labels(self, labels):
        return None

    def _optimized(self):
        return {"generator": self.generator, "discriminator": self.discriminator}

    def _fit(self, arrays, epochs, batch_size, lr, betas, verbose, callbacks):
        d_opt = self._optimizer("discriminator", lr, 0.0, betas)
        g_opt = self._optimizer("generator", lr, 0.0, betas)

        def train_step(batch, epoch, step):
            return self._train_step(batch[0], batch[1] if len(batch) > 1 else None, d_opt, g_opt)

        return self._run(arrays, train_step, None, epochs=epochs, batch_size=batch_size, validation=None,
                         verbose=verbose, callbacks=callbacks)

    def fit(self, x, epochs=5, batch_size=128, lr=2e-4, betas=(0.5, 0.999), verbose=1, callbacks=None):
        """Train on images x (Adam with the DCGAN settings by default);
        returns the History (also kept as `history_`)."""
        flat, self._layout = self._images(x)
        return self._fit((flat,), epochs, batch_size, lr, betas, verbose, callbacks)

    def generate(self, z):
        """Images generated from latent vectors z (N, latent_dim)."""
        z = self._latent(z, self.latent_dim)
        return self._to_layout(self._generate(z, None, False))

    def sample(self, n, seed=None):
        """n images from z ~ N(0, I), reproducible for a given seed."""
        n = self._count(n)
        z = ops.normal((n, self.latent_dim), seed=self.seed if seed is None else seed, stream="noise",
                       offset=1 << 62)
        return self.generate(z)

    def discriminate(self, x):
        """The discriminator's probability that x is real (critic score for
        the Wasserstein loss), (N,). With pack > 1, D judges consecutive
        packs of images: N must be a multiple of pack, and each image gets
        its pack's output."""
        flat, _ = self._images(x)
        return self._d_output(flat, None)

    def _d_output(self, flat, labels):
        if len(flat) % self.pack:
            raise ValueError(f"{type(self).__name__}: 'x' holds {len(flat)} images; with pack={self.pack} "
                             f"the discriminator needs a multiple of {self.pack}")
        logits = self._discriminate(flat, labels, False)[:, 0]
        out = logits.copy() if self.loss == "wasserstein" else _sigmoid(logits)
        return np.repeat(out, self.pack)


class CGAN(GAN):
    """Conditional GAN (Mirza & Osindero): generator and discriminator both
    see a one-hot class label (appended to the noise vector; appended as
    features, or as constant planes for "dcgan", to the image)."""

    def __init__(self, latent_dim=100, n_classes=10, architecture="mlp", loss="nonsaturating", d_steps=1,
                 label_smoothing=0.0, clip_value=0.01, input_shape=(1, 28, 28), seed=None, generator=None,
                 discriminator=None, gradient_penalty=0.0, pack=1, spectral_norm=False):
        self.n_classes = operator.index(n_classes)
        if self.n_classes < 2:
            raise ValueError(f"CGAN: 'n_classes' must be >= 2, got {n_classes}")
        super().__init__(latent_dim, architecture, loss, d_steps, label_smoothing, clip_value, input_shape, seed,
                         generator, discriminator, gradient_penalty, pack, spectral_norm)
        self._concat = nn.ConcatLabels(self.n_classes)

    def get_config(self):
        return {**super().get_config(), "n_classes": self.n_classes}

    def _labels(self, y, n, name="y"):
        y = np.asarray(y)
        if y.dtype.kind not in "iu":
            if y.dtype.kind == "f" and np.all(np.isfinite(y)) and np.all(y == np.round(y)):
                y = y.astype(np.int64)
            else:
                raise TypeError(f"'{name}' must hold integer class ids, got dtype {y.dtype}")
        y = y.reshape(-1).astype(np.int64)
        if len(y) != n:
            raise ValueError(f"'{name}' has {len(y)} labels for {n} images")
        if n and (y.min() < 0 or y.max() >= self.n_classes):
            raise ValueError(f"'{name}' must hold class ids in [0, {self.n_classes}), got values in "
                             f"[{y.min()}, {y.max()}]")
        return y

    def _g_input(self, z, labels):
        return np.concatenate([z, nn.one_hot(labels, self.n_classes)], axis=1)

    def _d_input(self, flat, labels):
        if self.architecture == "dcgan":
            images = flat.reshape((len(flat),) + self.input_shape)
            return self._concat(images, labels=labels)
        return self._concat(flat, labels=labels)

    def _d_grad(self, grad_in):
        return self._concat.backward(grad_in.reshape(self._concat_shape(len(grad_in))))

    def _concat_shape(self, n):
        c, h, w = self.input_shape
        if self.architecture == "dcgan":
            return (n, c + self.n_classes, h, w)
        return (n, self.input_dim + self.n_classes)

    def _fake_labels(self, labels):
        return labels        # generate the classes of the real batch

    def fit(self, x, y, epochs=5, batch_size=128, lr=2e-4, betas=(0.5, 0.999), verbose=1, callbacks=None):
        """Train on images x with class labels y in [0, n_classes)."""
        flat, self._layout = self._images(x)
        return self._fit((flat, self._labels(y, len(flat))), epochs, batch_size, lr, betas, verbose, callbacks)

    def generate(self, z, labels):
        """Images of the given classes from latent vectors z (N, latent_dim)."""
        z = self._latent(z, self.latent_dim)
        return self._to_layout(self._generate(z, self._labels(labels, len(z), "labels"), False))

    def sample(self, n, labels=None, seed=None):
        """n images; labels: one class id per image (or a single id for all);
        by default the classes in turn, 0, 1, ..., n_classes-1, 0, ..."""
        n = self._count(n)
        if labels is None:
            labels = np.arange(n) % self.n_classes
        elif np.ndim(labels) == 0:
            labels = np.full(n, labels)
        z = ops.normal((n, self.latent_dim), seed=self.seed if seed is None else seed, stream="noise",
                       offset=1 << 62)
        return self.generate(z, np.asarray(list(labels) if not hasattr(labels, "__len__") else labels))

    def discriminate(self, x, y):
        flat, _ = self._images(x)
        return self._d_output(flat, self._labels(y, len(flat)))
