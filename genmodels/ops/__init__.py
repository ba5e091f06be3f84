"""genmodels.ops: documented wrappers over the C kernels of genmodels._core.

Functional and allocation-aware: every function accepts array-likes for
inputs (converted once to C-contiguous float32), and an optional `out=`
buffer so training loops can reuse memory instead of allocating per batch.
The layers in genmodels.nn are built from these.
"""
from . import conv, elementwise, linalg, losses, memory, norm, optim, rng

_AREAS = (linalg, conv, elementwise, norm, losses, optim, rng, memory)
__all__ = [name for area in _AREAS for name in area.__all__]
globals().update({name: getattr(area, name) for area in _AREAS for name in area.__all__})
