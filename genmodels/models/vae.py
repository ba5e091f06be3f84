"""The variational autoencoder."""
import math
import operator

import numpy as np

from .. import nn, ops
from ..nn.module import fresh_gradients
from . import architectures
from .base import GenerativeModel

__all__ = ["VAE"]

_LOG_2PI = math.log(2 * math.pi)


def _logmeanexp(a, axis):
    m = a.max(axis=axis, keepdims=True)
    return (m + np.log(np.mean(np.exp(a - m), axis=axis, keepdims=True))).squeeze(axis)


class VAE(GenerativeModel):
    """Variational autoencoder (Kingma & Welling) with a diagonal Gaussian
    encoder q(z|x), prior N(0, I) and a Bernoulli or Gaussian decoder.

    The loss per example is reconstruction + beta * KL, in nats, summed over
    pixels and latent units (the convention of the literature); the history
    records all three per epoch ("loss", "reconstruction", "kl" and their
    "val_" versions).

    likelihood: "bernoulli" (decoder logits; data in [0, 1]) or "gaussian"
    (decoder means with variance `variance`: a number for a fixed variance,
    or "learned" for one learned variance per pixel).
    """

    _networks = ("encoder", "decoder")
    _counters = ("reparam", "noise")

    def __init__(self, latent_dim=20, architecture="mlp", likelihood="bernoulli", beta=1.0, hidden=(512, 256),
                 input_shape=(1, 28, 28), variance=1.0, seed=None, encoder=None, decoder=None):
        super().__init__(input_shape, seed)
        self.latent_dim = operator.index(latent_dim)
        if self.latent_dim < 1:
            raise ValueError(f"VAE: 'latent_dim' must be >= 1, got {latent_dim}")
        if likelihood not in ("bernoulli", "gaussian"):
            raise ValueError(f"VAE: 'likelihood' must be 'bernoulli' or 'gaussian', got {likelihood!r}")
        if not (math.isfinite(beta) and beta >= 0):
            raise ValueError(f"VAE: 'beta' must be a finite number >= 0, got {beta}")
        if variance != "learned" and not (isinstance(variance, (int, float)) and variance > 0):
            raise ValueError(f"VAE: 'variance' must be a positive number or 'learned', got {variance!r}")
        self.architecture, self.likelihood, self.beta = architecture, likelihood, float(beta)
        self.hidden, self.variance = tuple(int(h) for h in hidden), variance
        self.encoder = encoder if encoder is not None else architectures.encoder(
            architecture, self.input_shape, 2 * self.latent_dim, self.hidden, self.seed)
        self.decoder = decoder if decoder is not None else architectures.decoder(
            architecture, self.input_shape, self.latent_dim, self.hidden, self.seed)
        for name, net in (("encoder", self.encoder), ("decoder", self.decoder)):
            if not isinstance(net, nn.Module):
                raise TypeError(f"VAE: '{name}' must be a genmodels.nn.Module, got {type(net).__name__}")
        if likelihood == "gaussian" and variance == "learned":
            self.log_variance = np.zeros(self.input_dim, np.float32)
        else:
            fixed = math.log(variance) if likelihood == "gaussian" else 0.0
            self.log_variance = np.full(self.input_dim, fixed, np.float32)
        self._grad_log_variance = np.zeros_like(self.log_variance)
        self._reparam_offset = 0
        self._noise_offset = 0
        self.eval_seed = self.seed + 1

    def get_config(self):
        return {"latent_dim": self.latent_dim, "architecture": self.architecture, "likelihood": self.likelihood,
                "beta": self.beta, "hidden": list(self.hidden), "input_shape": list(self.input_shape),
                "variance": self.variance, "seed": self.seed}

    # --- the pieces of the model ------------------------------------------------
    def _encode(self, x, training):
        h = self.encoder.forward(x, training)
        if h.shape != (len(x), 2 * self.latent_dim):
            raise ValueError(f"VAE: the encoder must output (N, {2 * self.latent_dim}) (mean and log-variance), "
                             f"got {h.shape}")
        return np.ascontiguousarray(h[:, :self.latent_dim]), np.ascontiguousarray(h[:, self.latent_dim:])

    def _decode_raw(self, z, training):
        out = self.decoder.forward(z, training)
        out = out.reshape(len(z), -1)
        if out.shape[1] != self.input_dim:
            raise ValueError(f"VAE: the decoder must output {self.input_dim} values per example, got {out.shape[1]}")
        return np.ascontiguousarray(out)

    def _log_likelihood_terms(self, raw, x):
        """Per-example log p(x|z) (N,) and its gradient w.r.t. the decoder output."""
        if self.likelihood == "bernoulli":
            losses, grad = ops.bce_with_logits(raw, x, scale=1.0)
            return -losses, grad
        losses, grad, grad_lv = ops.gaussian_nll(raw, x, self.log_variance, scale=1.0)
        self._last_grad_lv = grad_lv
        return -losses, grad

    @property
    def _learns_variance(self):
        return self.likelihood == "gaussian" and self.variance == "learned"

    # --- training -------------------------------------------------------------------
    def _step(self, x, training):
        """Loss terms of a batch; with training, also the gradients."""
        n = len(x)
        mu, logvar = self._encode(x, training)
        eps = self._draw_normal(mu.shape, "reparam") if training else ops.normal(
            mu.shape, seed=self.eval_seed, stream="reparam")
        std = np.exp(0.5 * logvar)
        z = mu + std * eps
        raw = self._decode_raw(z, training)
        log_px, grad_raw = self._log_likelihood_terms(raw, x)
        kl, grad_mu_kl, grad_lv_kl = ops.gaussian_kl(mu, logvar, scale=self.beta / n)
        recon = float(-np.mean(log_px, dtype=np.float64))
        kl_mean = float(np.mean(kl, dtype=np.float64))
        terms = {"loss": recon + self.beta * kl_mean, "reconstruction": recon, "kl": kl_mean}
        if not training:
            return terms
        grad_raw *= 1.0 / n
        dz = self.decoder.backward(grad_raw.reshape(raw.shape)).reshape(z.shape)
        grad_mu = dz + grad_mu_kl
        grad_logvar = dz * eps * 0.5 * std + grad_lv_kl
        # the images need no gradient: the encoder's first layer skips it
        self.encoder.backward_parameters(np.concatenate([grad_mu, grad_logvar], axis=1))
        if self._learns_variance:
            self._grad_log_variance += self._last_grad_lv / n
        return terms

    def _optimized(self):
        pairs = [(p, g) for net in (self.encoder, self.decoder) for p, g in zip(net.parameters(), net.gradients())]
        if self._learns_variance:
            pairs.append((self.log_variance, self._grad_log_variance))
        return {"vae": pairs}

    def fit(self, x, epochs=10, batch_size=128, lr=1e-3, weight_decay=0.0, validation_data=None, verbose=1,
            callbacks=None, binarize=None):
        """Train on images x; returns the History (also kept as `history_`).

        binarize="dynamic" redraws binary pixels from the intensities each
        epoch (fresh Bernoulli draws, as in the likelihood literature)."""
        if binarize not in (None, "dynamic"):
            raise ValueError(f"fit: 'binarize' must be None or 'dynamic', got {binarize!r}")
        flat, self._layout = self._images(x)
        val = None if validation_data is None else (self._images(validation_data, "validation_data")[0],)
        opt = self._optimizer("vae", lr, weight_decay)

        def train_step(batch, epoch, step):
            xb = batch[0]
            if binarize == "dynamic":
                # binarize()'s draws, without its per-batch range check (fit checked x)
                draw = epoch * 1_000_003 + step
                xb = ops.bernoulli(xb, seed=self.seed, stream="binarize", offset=draw * xb.size)
            if self._learns_variance:
                self._grad_log_variance.fill(0.0)
            with fresh_gradients(self.encoder, self.decoder):
                terms = self._step(xb, training=True)
            nn.check_finite(terms, [g for _, g in opt.pairs])
            opt.step()
            return terms

        def eval_step(batch):
            return self._step(batch[0], training=False)

        return self._run((flat,), train_step, eval_step, epochs=epochs, batch_size=batch_size, validation=val,
                         verbose=verbose, callbacks=callbacks)

    # --- using the model ------------------------------------------------------------
    def encode(self, x):
        """(mu, logvar) of q(z|x), each (N, latent_dim)."""
        flat, _ = self._images(x, check_range=False)
        return self._encode(flat, False)

    def transform(self, x):
        """The posterior means (N, latent_dim), scikit-learn style."""
        return self.encode(x)[0]

    def decode(self, z):
        """Decoder means for latent codes z (N, latent_dim), as images."""
        z = self._latent(z, self.latent_dim)
        raw = self._decode_raw(z, False)
        mean = ops.activation_forward(raw, "sigmoid") if self.likelihood == "bernoulli" else raw
        return self._to_layout(mean)

    def reconstruct(self, x):
        """Decoder means at the posterior means, in the layout of x."""
        flat, layout = self._images(x, check_range=False)
        mu, _ = self._encode(flat, False)
        raw = self._decode_raw(mu, False)
        mean = ops.activation_forward(raw, "sigmoid") if self.likelihood == "bernoulli" else raw
        return self._to_layout(mean, layout)

    def sample(self, n, seed=None, draw=False):
        """n new images decoded from z ~ N(0, I): decoder means, or with
        draw=True samples from the likelihood (binary for Bernoulli)."""
        n = self._count(n)
        z = ops.normal((n, self.latent_dim), seed=self.seed if seed is None else seed, stream="noise")
        means = self.decode(z).reshape(n, -1)
        if draw:
            s = self.seed if seed is None else seed
            if self.likelihood == "bernoulli":
                means = ops.bernoulli(np.ascontiguousarray(means), seed=s, stream="binarize")
            else:
                std = np.exp(0.5 * self.log_variance)
                means = means + std * ops.normal(means.shape, seed=s, stream="binarize")
        return self._to_layout(means)

    def elbo(self, x, reduction="mean", seed=None):
        """The evidence lower bound log p(x) >= E_q[log p(x|z)] - KL(q || p),
        in nats: its mean over x, or per example with reduction=None. One
        z sample per example, from a fixed seed."""
        if reduction not in ("mean", None, "none"):
            raise ValueError(f"elbo: 'reduction' must be 'mean' or None, got {reduction!r}")
        flat, _ = self._images(x)
        out = []
        for start in range(0, len(flat), 1024):
            xb = flat[start:start + 1024]
            mu, logvar = self._encode(xb, False)
            eps = ops.normal(mu.shape, seed=self.eval_seed if seed is None else seed, stream="reparam",
                             offset=start * self.latent_dim)
            z = mu + np.exp(0.5 * logvar) * eps
            log_px, _ = self._log_likelihood_terms(self._decode_raw(z, False), xb)
            kl, _, _ = ops.gaussian_kl(mu, logvar, compute_grad=False)
            out.append(log_px - kl)
        per_example = np.concatenate(out).astype(np.float64)
        return float(per_example.mean()) if reduction == "mean" else per_example.astype(np.float32)

    def log_likelihood(self, x, k=500, reduction="mean", seed=None, method="importance"):
        """Estimate of log p(x) in nats from k samples per example.

        method="importance" (IWAE): z ~ q(z|x), log mean of p(x|z) p(z) / q(z|x);
        tight as k grows, and >= elbo on average. method="prior": z ~ p(z),
        log mean of p(x|z): unbiased in p(x) but needs astronomically many
        samples in high dimension (shown in the lab sheets for contrast).
        Batched so that k = 5000 fits in memory."""
        k = self._count(k, "k")
        if method not in ("importance", "prior"):
            raise ValueError(f"log_likelihood: 'method' must be 'importance' or 'prior', got {method!r}")
        flat, _ = self._images(x)
        s = self.eval_seed + 2 if seed is None else seed
        chunk = max(1, (1 << 22) // (k * max(self.input_dim, self.latent_dim)))   # ~16 MB of samples
        out = []
        for start in range(0, len(flat), chunk):
            xb = flat[start:start + chunk]
            b = len(xb)
            eps = ops.normal((b, k, self.latent_dim), seed=s, stream="reparam",
                             offset=start * k * self.latent_dim)
            if method == "importance":
                mu, logvar = self._encode(xb, False)
                std = np.exp(0.5 * logvar)[:, None, :]
                z = mu[:, None, :] + std * eps
                log_q = -0.5 * np.sum(eps ** 2 + _LOG_2PI, axis=2) - np.sum(np.log(std), axis=2)
            else:
                z, log_q = eps, None
            log_pz = -0.5 * np.sum(z.astype(np.float64) ** 2 + _LOG_2PI, axis=2)
            raw = self._decode_raw(np.ascontiguousarray(z.reshape(b * k, -1), dtype=np.float32), False)
            log_px, _ = self._log_likelihood_terms(raw, np.repeat(xb, k, axis=0))
            log_w = log_px.reshape(b, k).astype(np.float64)
            if method == "importance":
                log_w = log_w + log_pz - log_q
            out.append(_logmeanexp(log_w, axis=1))
        per_example = np.concatenate(out)
        return float(per_example.mean()) if reduction == "mean" else per_example.astype(np.float32)

    # log_variance is a parameter of the Gaussian likelihood: keep it in checkpoints
    def state_arrays(self):
        return {**super().state_arrays(), "log_variance": self.log_variance.copy()}

    def load_state_arrays(self, arrays):
        super().load_state_arrays(arrays)
        if "log_variance" in arrays:
            self.log_variance[...] = arrays["log_variance"]
