"""Parameter initialisation as PyTorch does it for the same layers, drawn
from the counter-based generator so a model is reproducible from its seed."""
import math

import numpy as np

from .. import _seed
from ..ops import rng

__all__ = ["InitStream", "kaiming_uniform", "uniform_fill"]


class InitStream:
    """Hands out disjoint ranges of the "init" stream of one seed, so every
    parameter tensor of a model gets its own values."""

    _global_offset = 0

    def __init__(self, seed=None):
        self.seed = _seed.resolve_seed(seed)
        self.shared = seed is None
        self.offset = 0

    def take(self, n):
        if self.shared:   # layers built without a seed share the global seed
            start = InitStream._global_offset
            InitStream._global_offset += n
            return start
        start, self.offset = self.offset, self.offset + n
        return start


def uniform_fill(shape, bound, stream):
    """Uniform(-bound, bound) values of `shape` from the stream."""
    size = int(np.prod(shape))
    return rng.uniform(shape, seed=stream.seed, stream="init", offset=stream.take(size),
                       low=-bound, high=bound)


def kaiming_uniform(shape, fan_in, stream):
    """PyTorch's default for Linear/Conv weights: kaiming_uniform(a=sqrt(5)),
    i.e. Uniform(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    gain = math.sqrt(2.0 / (1 + 5))
    return uniform_fill(shape, gain * math.sqrt(3.0 / fan_in), stream)
