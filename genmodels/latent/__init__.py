"""genmodels.latent: study latent spaces — neighbours, t-SNE, UMAP,
interpolation, grids and concept vectors."""
from . import geometry, knn, tsne, umap

_AREAS = (knn, tsne, umap, geometry)
__all__ = [name for area in _AREAS for name in area.__all__]
globals().update({name: getattr(area, name) for area in _AREAS for name in area.__all__})
