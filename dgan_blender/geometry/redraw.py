"""A layout that cannot be packed as drawn is drawn again, never fatal.

Used by every path that makes layouts for a seed and an index (data-set samples, the
fit's layout pool): draw ``a`` is seeded by :func:`dgan_blender.seeds.layout_seed`, so
the same command gives the same layouts, and draw 0 is what the code always drew.
"""

from __future__ import annotations

from typing import Callable, TypeVar

from ..seeds import MAX_LAYOUT_ATTEMPTS, layout_seed
from . import PackingError

T = TypeVar("T")


def first_that_packs(make: Callable[[int], T], seed: int, index: int,
                     attempts: int = MAX_LAYOUT_ATTEMPTS) -> tuple[T, int]:
    """(make(layout seed), attempt) of the first draw whose particles pack. Raises the
    last draw's :class:`PackingError`, prefixed with the index, when none does; other
    errors are not retried (a redraw would not change them)."""
    for attempt in range(attempts):
        try:
            return make(layout_seed(seed, index, attempt)), attempt
        except PackingError as exc:
            last = exc
    raise PackingError(f"sample {index}: none of {attempts} layout draws packs; last: {last}", last.what, last.n)
