"""genmodels.models: AE, VAE, GAN and CGAN on one training base."""
from .. import io as _io
from .ae import AE
from .vae import VAE

__all__ = ["AE", "VAE"]

for _cls in (AE, VAE):
    _io.register(_cls)
