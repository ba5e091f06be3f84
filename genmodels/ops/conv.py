"""conv kernels."""

__all__ = []
