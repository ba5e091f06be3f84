"""losses kernels."""

__all__ = []
