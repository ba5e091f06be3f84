"""The deterministic autoencoder."""
import operator

import numpy as np

from .. import nn, ops
from ..nn.module import fresh_gradients
from . import architectures
from .base import GenerativeModel

__all__ = ["AE"]


class AE(GenerativeModel):
    """Autoencoder: encoder to a latent_dim bottleneck, decoder back to the
    image. loss="bce" (cross-entropy of sigmoid outputs, in nats per image)
    or "mse" (squared error per image); either way the outputs are sigmoid
    activations in [0, 1]. History: "loss" (and "val_loss")."""

    _networks = ("encoder", "decoder")

    def __init__(self, latent_dim=10, architecture="mlp", loss="bce", hidden=(512, 256), input_shape=(1, 28, 28),
                 seed=None, encoder=None, decoder=None):
        super().__init__(input_shape, seed)
        self.latent_dim = operator.index(latent_dim)
        if self.latent_dim < 1:
            raise ValueError(f"AE: 'latent_dim' must be >= 1, got {latent_dim}")
        if loss not in ("bce", "mse"):
            raise ValueError(f"AE: 'loss' must be 'bce' or 'mse', got {loss!r}")
        self.architecture, self.loss, self.hidden = architecture, loss, tuple(int(h) for h in hidden)
        self.encoder = encoder if encoder is not None else architectures.encoder(
            architecture, self.input_shape, self.latent_dim, self.hidden, self.seed)
        self.decoder = decoder if decoder is not None else architectures.decoder(
            architecture, self.input_shape, self.latent_dim, self.hidden, self.seed)
        for name, net in (("encoder", self.encoder), ("decoder", self.decoder)):
            if not isinstance(net, nn.Module):
                raise TypeError(f"AE: '{name}' must be a genmodels.nn.Module, got {type(net).__name__}")

    def get_config(self):
        return {"latent_dim": self.latent_dim, "architecture": self.architecture, "loss": self.loss,
                "hidden": list(self.hidden), "input_shape": list(self.input_shape), "seed": self.seed}

    def _encode(self, x, training):
        z = self.encoder.forward(x, training)
        if z.shape != (len(x), self.latent_dim):
            raise ValueError(f"AE: the encoder must output (N, {self.latent_dim}), got {z.shape}")
        return np.ascontiguousarray(z)

    def _decode_logits(self, z, training):
        out = self.decoder.forward(z, training).reshape(len(z), -1)
        if out.shape[1] != self.input_dim:
            raise ValueError(f"AE: the decoder must output {self.input_dim} values per example, got {out.shape[1]}")
        return np.ascontiguousarray(out)

    def _step(self, x, training):
        n = len(x)
        z = self._encode(x, training)
        logits = self._decode_logits(z, training)
        if self.loss == "bce":
            losses, grad = ops.bce_with_logits(logits, x, scale=1.0 / n, compute_grad=training)
        else:
            out = ops.activation_forward(logits, "sigmoid")
            losses, grad = ops.mse(out, x, scale=1.0 / n, compute_grad=training)
            if training:
                grad = ops.activation_backward(grad, "sigmoid", y=out)
        terms = {"loss": float(np.mean(losses, dtype=np.float64))}
        if training:
            dz = self.decoder.backward(grad).reshape(z.shape)
            self.encoder.backward_parameters(dz)   # the images need no gradient
        return terms

    def _optimized(self):
        return {"ae": [self.encoder, self.decoder]}

    def fit(self, x, epochs=10, batch_size=128, lr=1e-3, weight_decay=0.0, validation_data=None, verbose=1,
            callbacks=None):
        """Train on images x; returns the History (also kept as `history_`)."""
        flat, self._layout = self._images(x)
        val = None if validation_data is None else (self._images(validation_data, "validation_data")[0],)
        opt = self._optimizer("ae", lr, weight_decay)

        def train_step(batch, epoch, step):
            with fresh_gradients(self.encoder, self.decoder):
                terms = self._step(batch[0], training=True)
            nn.check_finite(terms, [g for _, g in opt.pairs])
            opt.step()
            return terms

        return self._run((flat,), train_step, lambda b: self._step(b[0], False), epochs=epochs,
                         batch_size=batch_size, validation=val, verbose=verbose, callbacks=callbacks)

    def encode(self, x):
        """Latent codes (N, latent_dim): the bottleneck activations."""
        flat, _ = self._images(x, check_range=False)
        return self._encode(flat, False)

    transform = encode

    def decode(self, z):
        """Images decoded from latent codes z (N, latent_dim)."""
        z = self._latent(z, self.latent_dim)
        return self._to_layout(ops.activation_forward(self._decode_logits(z, False), "sigmoid"))

    def reconstruct(self, x):
        """decode(encode(x)), in the layout of x."""
        flat, layout = self._images(x, check_range=False)
        out = ops.activation_forward(self._decode_logits(self._encode(flat, False), False), "sigmoid")
        return self._to_layout(out, layout)
