"""genmodels.metrics: numbers a notebook or a grading script can assert on."""
from . import embedding, reconstruction, sample_quality

_AREAS = (embedding, reconstruction, sample_quality)
__all__ = [name for area in _AREAS for name in area.__all__]
globals().update({name: getattr(area, name) for area in _AREAS for name in area.__all__})
