"""genmodels.models: AE, VAE, GAN and CGAN on one training base."""
from .. import io as _io
from .ae import AE
from .gan import CGAN, GAN
from .vae import VAE

__all__ = ["AE", "VAE", "GAN", "CGAN"]

for _cls in (AE, VAE, GAN, CGAN):
    _io.register(_cls)
