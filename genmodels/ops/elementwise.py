"""elementwise kernels."""

__all__ = []
