"""genmodels.plot: the figures of the lab sheets (matplotlib, imported only
when a function is called). Every function returns the matplotlib Figure;
those that draw one panel accept ax= to draw into an existing axes."""
from .figures import compare, embedding, history, images, interpolation, latent_activations, manifold, reconstructions

__all__ = ["images", "reconstructions", "history", "embedding", "manifold", "interpolation",
           "latent_activations", "compare"]
