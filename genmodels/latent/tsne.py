"""tsne."""

__all__ = []
