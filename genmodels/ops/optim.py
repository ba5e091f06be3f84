"""optim kernels."""

__all__ = []
