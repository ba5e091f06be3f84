"""genmodels.metrics: numbers a notebook or a grading script can assert on."""
from . import embedding, reconstruction

_AREAS = (embedding, reconstruction)
__all__ = [name for area in _AREAS for name in area.__all__]
globals().update({name: getattr(area, name) for area in _AREAS for name in area.__all__})
