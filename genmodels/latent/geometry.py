"""geometry."""

__all__ = []
