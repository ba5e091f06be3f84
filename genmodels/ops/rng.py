"""rng kernels."""

__all__ = []
