"""The global default seed, used wherever a seed or random_state is None."""
import operator

_default_seed = 0


def seed(value):
    """Set the seed used by models and tools created without an explicit one."""
    global _default_seed
    try:
        value = operator.index(value)
    except TypeError:
        raise TypeError(f"seed: 'value' must be an int, got {type(value).__name__}") from None
    if not 0 <= value < 2**64:
        raise ValueError(f"seed: 'value' must be in [0, 2**64), got {value}")
    _default_seed = value
    from .nn.init import InitStream   # layers built after seed() start afresh
    InitStream._global_offset = 0


def default_seed():
    """The seed set by `seed()` (0 until set)."""
    return _default_seed


def resolve_seed(seed_or_none, name="seed"):
    """`seed_or_none` checked as a seed, or the global default when None."""
    if seed_or_none is None:
        return _default_seed
    try:
        value = operator.index(seed_or_none)
    except TypeError:
        raise TypeError(f"'{name}' must be an int or None, got {type(seed_or_none).__name__}") from None
    if not 0 <= value < 2**64:
        raise ValueError(f"'{name}' must be in [0, 2**64), got {value}")
    return value
