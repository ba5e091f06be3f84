"""norm kernels."""

__all__ = []
