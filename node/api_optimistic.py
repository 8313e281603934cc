"""The optimistic rollup's REST routes, under the name tests and older callers import.

The routes live in :mod:`rollup.optimistic.api`, where ``l2lab node`` finds
them; this module re-exports its ``router``.
"""

from __future__ import annotations

from rollup.optimistic.api import router

__all__ = ["router"]
