"""Quality of low-dimensional embeddings."""

__all__ = []
