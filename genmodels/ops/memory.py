"""Reusing the memory of freed arrays across training steps."""
from contextlib import contextmanager

from .. import _core

__all__ = ["recycled_memory"]


@contextmanager
def recycled_memory():
    """Within the block, NumPy arrays of 64 KiB or more that this thread
    allocates reuse the blocks of freed arrays of the same size.

    A training step allocates and frees the same sizes every batch; fresh
    memory from the OS costs a page fault per 4 KiB page (microseconds on a
    virtual machine), and the reused blocks avoid them. Results do not
    change. Blocks still kept on leaving the outermost block are freed; if
    another NumPy allocator is installed, nothing is done."""
    token = _core.recycle_enter()
    try:
        yield
    finally:
        _core.recycle_exit(token)
