"""umap."""

__all__ = []
